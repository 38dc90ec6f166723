"""Finger placement: a finger swung about its base (the thumb about THJ5, a finger about J4), straightened and
closed onto the part; the placements are scored, and the best kept if it beats the finger as it is.

Two scores:

- init.oppose_thumb, when hands are first shaped around the part: how squarely the thumb's pad pushes against
  the other contacts;
- place_for_closure, after the optimizer has closed the fingers: the grasp's Q1 (synth.quality, the
  benchmark's protocol). The optimizer leaves most thumbs off the surface or resting with the proximal phalanx
  beside the palm (its fingertip term loses to the penetration terms), and closing the thumb's flexion joints
  cannot swing it across to the far side of the part; swinging it can.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from dexvlg_core.hand.joints import joint_index
from dexvlg_core.hand.model import HandModel, LinkPoses
from dexvlg_data.synth.alignment import misaligned_fingers
from dexvlg_data.synth.closing import CHAINS, CLOSING_JOINTS, FINGERS, _clearance, _link_mask, close_fingers
from dexvlg_data.synth.context import SynthObject
from dexvlg_data.synth.quality import hand_contacts, hands_q1

# Per finger, the joint it swings about and the angles tried; the other joints it moves (CLOSING_JOINTS, and the
# thumb's twist THJ3) straighten to 0 before the finger closes onto the part.
THUMB_SWINGS = np.linspace(-1.0, 1.0, 9)
SWINGS: dict[str, tuple[str, np.ndarray]] = {"TH": ("rh_THJ5", THUMB_SWINGS)} | {
    finger: (f"rh_{finger}J4", np.linspace(-0.3, 0.3, 5)) for finger in ("FF", "MF", "RF", "LF")}
THUMB_LINKS = CHAINS["TH"][0][1]  # the links the thumb's closing joints move


@dataclass
class Placements:
    """Candidate placements of one finger, S per hand, hand-major (B * S rows)."""

    joints: np.ndarray  # (B * S, 22)
    root_pos: np.ndarray  # (B * S, 3)
    root_rot: np.ndarray  # (B * S, 3, 3)
    poses: LinkPoses  # the hands posed
    clearance: np.ndarray  # (B * S,) the finger links' sdf - radius over their collision spheres


def digit_candidates(hand: HandModel, target: SynthObject, finger: str, root_pos: np.ndarray, root_rot: np.ndarray,
                     joints: np.ndarray, gap: float) -> Placements:
    """Per hand (B) S = 1 + len(SWINGS[finger][1]) placements of one finger ("FF", ..., "TH"): candidate 0 the
    finger as it is, then the finger straightened at each swing angle and closed onto the object (close_fingers,
    ``gap``).

    """
    swing, angles = SWINGS[finger]
    straight = CLOSING_JOINTS[finger] + (("rh_THJ3",) if finger == "TH" else ())
    b, s = len(joints), len(angles) + 1
    q = np.repeat(np.asarray(joints, dtype=np.float64)[:, None], s, axis=1)
    for name in straight:
        q[:, 1:, joint_index(name)] = 0.0
    q[:, 1:, joint_index(swing)] = angles[None]
    pos, rot = np.repeat(root_pos, s, axis=0), np.repeat(root_rot, s, axis=0)
    closed = q.reshape(b * s, -1)
    swung = np.arange(b * s) % s != 0
    closed[swung] = close_fingers(hand, target.sdf, pos[swung], rot[swung], closed[swung], (finger,), gap)
    dtype = hand.dtype
    with torch.no_grad():
        poses = hand.forward_kinematics(torch.as_tensor(closed, dtype=dtype), torch.as_tensor(pos, dtype=dtype),
                                        torch.as_tensor(rot, dtype=dtype))
        clearance = _clearance(hand, target.sdf, poses, _link_mask(hand, CHAINS[finger][0][1])).double().numpy()
    return Placements(closed, pos, rot, poses, clearance)


def place_for_closure(hand: HandModel, target: SynthObject, part: str, root_pos: np.ndarray, root_rot: np.ndarray,
                      joints: np.ndarray, gap: float, fingers: tuple[str, ...] = ("TH",), min_gain: float = 0.005,
                      mu: float = 0.3, edges: int = 4) -> np.ndarray:
    """(B, 22) joints with each of ``fingers`` in turn moved to the placement (digit_candidates) that gives the
    grasp the highest Q1.

    A placement counts if the finger's links clear the object, it adds no self-collision (its largest sphere
    overlap is no more than the hand's before) and none of the finger's links touches another part than
    ``part`` (alignment); it replaces the finger as it is only when it raises Q1 (friction ``mu``, cones of
    ``edges`` edges: 4 ranks placements like the benchmark's 8 at a fifth of the convex-hull time) by more than
    ``min_gain``. Hands that no placement improves keep their joints.
    """
    out = np.asarray(joints, dtype=np.float64).copy()
    b = len(out)
    q1 = hands_q1(hand, target, root_pos, root_rot, out, mu, edges)
    for finger in fingers:
        s = len(SWINGS[finger][1]) + 1
        c = digit_candidates(hand, target, finger, root_pos, root_rot, out, gap)
        clear = c.clearance.reshape(b, s) > 0.0

        def on_part(flat: np.ndarray, c: Placements = c, finger: str = finger) -> np.ndarray:
            misaligned, _ = misaligned_fingers(hand, target, part, c.root_pos[flat], c.root_rot[flat], c.joints[flat])
            return ~misaligned[:, FINGERS.index(finger)]

        take, flat, gained = _best_for_closure(hand, target, c, clear, q1, min_gain, mu, edges, on_part)
        out[take], q1[take] = c.joints[flat], gained
    return out


def _best_for_closure(hand: HandModel, target: SynthObject, c: Placements, clear: np.ndarray, q1: np.ndarray,
                      min_gain: float, mu: float, edges: int,
                      aligned: Callable[[np.ndarray], np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The candidate of ``c`` (B hands x S, candidate 0 the hand as it is) each hand moves to: among those that
    ``clear`` (B, S) allows and that add no self-collision (largest sphere overlap no more than candidate 0's),
    the one with the highest Q1 that beats the hand's ``q1`` by more than ``min_gain`` and that ``aligned`` (flat
    candidate indices -> bool) accepts. Alignment is tested on each hand's leader alone (a few per hand), not on
    every candidate. Returns the hands that move, their candidates' flat indices and their Q1.
    """
    b, s = clear.shape
    with torch.no_grad():
        overlap = hand.max_self_overlap(c.poses).double().numpy().reshape(b, s)
    counts = clear & (overlap <= overlap[:, :1] + 1e-6)
    counts[:, 0] = False  # the hand as it is: the baseline, q1
    score = np.full((b, s), -np.inf)
    rows, cols = np.nonzero(counts)
    if len(rows):
        flat = rows * s + cols
        score[rows, cols] = hands_q1(hand, target, c.root_pos[flat], c.root_rot[flat], c.joints[flat], mu, edges)
    score[score <= q1[:, None] + min_gain] = -np.inf
    left = score.copy()  # candidates not yet tested
    chosen = np.full(b, -1)
    while np.isfinite(left).any():
        hands = np.flatnonzero(np.isfinite(left).any(axis=1))
        best = np.argmax(left[hands], axis=1)
        ok = aligned(hands * s + best)
        chosen[hands[ok]] = best[ok]
        left[hands[ok]] = -np.inf
        left[hands[~ok], best[~ok]] = -np.inf
    take = np.flatnonzero(chosen >= 0)
    return take, take * s + chosen[take], score[take, chosen[take]]


def turned_wrists(hand: HandModel, target: SynthObject, root_pos: np.ndarray, root_rot: np.ndarray,
                  joints: np.ndarray, fingers: tuple[str, ...], turns: tuple[tuple[int, float], ...],
                  gap: float) -> Placements:
    """Per hand (B) S = 1 + len(turns) wrist poses: candidate 0 the hand as it is, then the hand turned about its
    contacts' centroid (the palm's centre where nothing touches) by each (hand-frame axis 0/1/2, angle) of
    ``turns``, with ``fingers`` straightened and closed onto the object again (close_fingers, ``gap``).
    """
    if any(axis not in (0, 1, 2) for axis, _ in turns):
        raise ValueError(f"wrist turns are (hand-frame axis 0, 1 or 2, angle in rad), got {turns}")
    b, s = len(joints), len(turns) + 1
    root_pos, root_rot = np.asarray(root_pos, dtype=np.float64), np.asarray(root_rot, dtype=np.float64)
    contacts = hand_contacts(hand, target, root_pos, root_rot, joints)
    pivot = np.array([points.mean(axis=0) if len(points) else position
                      for (_, points, _), position in zip(contacts, root_pos, strict=True)])
    pos, rot = np.repeat(root_pos, s, axis=0), np.repeat(root_rot, s, axis=0)
    q = np.repeat(np.asarray(joints, dtype=np.float64), s, axis=0)
    for k, (axis, angle) in enumerate(turns, start=1):
        rows = np.arange(b) * s + k
        turn = _axis_rotations(root_rot[:, :, axis], angle)  # (B, 3, 3), object frame
        rot[rows] = turn @ root_rot
        pos[rows] = pivot + np.einsum("bij,bj->bi", turn, root_pos - pivot)
    turned = np.arange(b * s) % s != 0
    for finger in fingers:
        for name in CLOSING_JOINTS[finger]:
            q[turned, joint_index(name)] = 0.0
    q[turned] = close_fingers(hand, target.sdf, pos[turned], rot[turned], q[turned], fingers, gap)
    dtype = hand.dtype
    with torch.no_grad():
        poses = hand.forward_kinematics(torch.as_tensor(q, dtype=dtype), torch.as_tensor(pos, dtype=dtype),
                                        torch.as_tensor(rot, dtype=dtype))
        clearance = _clearance(hand, target.sdf, poses).double().numpy()
    return Placements(q, pos, rot, poses, clearance)


def _axis_rotations(axes: np.ndarray, angle: float) -> np.ndarray:
    """(B, 3, 3) rotations by ``angle`` about each unit axis of (B, 3) (Rodrigues)."""
    k = np.zeros((len(axes), 3, 3))
    k[:, 0, 1], k[:, 0, 2], k[:, 1, 2] = -axes[:, 2], axes[:, 1], -axes[:, 0]
    k -= k.transpose(0, 2, 1)
    return np.eye(3) + np.sin(angle) * k + (1.0 - np.cos(angle)) * (k @ k)


def turn_for_closure(hand: HandModel, target: SynthObject, part: str, root_pos: np.ndarray, root_rot: np.ndarray,
                     joints: np.ndarray, fingers: tuple[str, ...], turns: tuple[tuple[int, float], ...],
                     gap: float, min_gain: float = 0.005, mu: float = 0.3,
                     edges: int = 4) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(root_pos, root_rot, joints) with each hand moved to the wrist pose (turned_wrists) that gives the grasp the
    highest Q1, by more than ``min_gain`` over the hand as it is.

    The optimizer's pose is where its energies balance, not where the contacts oppose best: a hand a little
    rolled or tilted on a handle gets its fingertips and thumb squarely across it. A turned pose counts if the
    whole hand clears the object at least as well as before (or clears it), adds no self-collision, and
    touches no other part with more fingers (alignment, tested on each hand's leader alone).
    """
    b, s = len(joints), len(turns) + 1
    c = turned_wrists(hand, target, root_pos, root_rot, joints, fingers, turns, gap)
    clearance = c.clearance.reshape(b, s)
    clear = clearance >= np.minimum(clearance[:, :1], 0.0)
    q1 = hands_q1(hand, target, root_pos, root_rot, joints, mu, edges)
    pos, rot = np.array(root_pos, dtype=np.float64), np.array(root_rot, dtype=np.float64)
    out = np.asarray(joints, dtype=np.float64).copy()
    before, _ = misaligned_fingers(hand, target, part, pos, rot, out)

    def no_more_misaligned(flat: np.ndarray) -> np.ndarray:
        misaligned, _ = misaligned_fingers(hand, target, part, c.root_pos[flat], c.root_rot[flat], c.joints[flat])
        return misaligned.sum(axis=1) <= before[flat // s].sum(axis=1)

    take, flat, _ = _best_for_closure(hand, target, c, clear, q1, min_gain, mu, edges, no_more_misaligned)
    pos[take], rot[take], out[take] = c.root_pos[flat], c.root_rot[flat], c.joints[flat]
    return pos, rot, out
