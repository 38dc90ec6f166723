"""Part-aware initial hand poses (DexGraspNet 3.0 style): where the palm starts, how it is turned, which posture.

For every hand of the batch a grasp point is drawn from the grasp area its part kind prescribes
(``PartGeometry.grasp_points``), the palm centre is put in front of it, retreating along the approach, and the
hand is turned by the part's principal direction ``a``:

- shaft-like and L-shaped (the grip bar): the palm faces the surface (approach = -surface normal) and the
  fingers' flexion axis (hand x) lies along +-a, so the fingers curl around the shaft;
- lid-like: the palm comes down on the lid along -a (a = the lid's outward axis), turned about a by one of
  ``lid_rotations`` (24) evenly spaced angles; with InitConfig.lid_claw the hand is a claw held above the lid
  (claw_posture), its fingertips and thumb tip on either side of the lid just below its top;
- disk-like: the palm faces the rim from outside, radially inwards in the disk's plane, with the flexion axis
  along the rim's tangent, so thumb and fingers close on the two faces of the disk.

Then the wrist is jittered (rotation about the approach, tilt, sideways shift) and the joints start from the
style's hand-crafted pre-shape plus noise (on shafts wider than InitConfig.wide_part, with the thumb swung out
to close on the far side: WIDE_THUMB); with InitConfig.open_fingers the fingers outside the style's split
that the pre-shape puts inside the part open until they clear it (closing.open_fingers), and with
InitConfig.close_fingers the style's fingers are then closed onto the part (closing.close_fingers), so
optimization starts from hands in contact; with InitConfig.thumb_search the thumb is then placed where its pad
rests on the part most squarely against the other contacts (oppose_thumb). The hand root frame:
fingers +z, palm -y, thumb +x.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
from scipy.spatial.transform import Rotation

from dexvlg_core.hand.joints import JOINT_NAMES, joint_index
from dexvlg_core.hand.model import HandModel
from dexvlg_data.objects.part_geometry import DISK, L_SHAPED, LID, SHAFT, PartGeometry
from dexvlg_data.synth.closing import FINGERS, close_fingers, open_fingers
from dexvlg_data.synth.config import STYLES, InitConfig
from dexvlg_data.synth.context import SynthObject
from dexvlg_data.synth.placement import THUMB_SWINGS, digit_candidates

# Hand-crafted pre-shapes (real joint names without the "rh_" prefix; others 0), before the fingers of the style
# are closed onto the part (closing.close_fingers). Wrap: fingers nearly straight, the thumb half swung in front
# of the palm (THJ4) and turned towards the fingers (THJ5). Pinch: index and middle lead, ring and little curled
# out of the way, the thumb further opposed.
POSTURES: dict[str, dict[str, float]] = {
    "wrap": {
        "FFJ3": 0.1, "FFJ2": 0.1, "FFJ1": 0.05,
        "MFJ3": 0.1, "MFJ2": 0.1, "MFJ1": 0.05,
        "RFJ3": 0.1, "RFJ2": 0.1, "RFJ1": 0.05,
        "LFJ5": 0.1, "LFJ3": 0.1, "LFJ2": 0.1, "LFJ1": 0.05,
        "THJ5": 0.3, "THJ4": 0.1, "THJ3": 0.1, "THJ2": 0.1, "THJ1": 0.1,
    },
    "pinch": {
        "FFJ3": 0.2, "FFJ2": 0.2, "FFJ1": 0.1,
        "MFJ3": 0.2, "MFJ2": 0.2, "MFJ1": 0.1,
        "RFJ3": 1.4, "RFJ2": 1.4, "RFJ1": 1.2,
        "LFJ5": 0.3, "LFJ3": 1.4, "LFJ2": 1.4, "LFJ1": 1.2,
        "THJ5": 0.5, "THJ4": 0.3, "THJ3": 0.1, "THJ2": 0.2, "THJ1": 0.1,
    },
}  # fmt: skip

# On a wide shaft (InitConfig.wide_part) the thumb starts swung out in front of the palm (THJ4) and turned back
# (THJ5), so that closing wraps it around the far side, opposite the fingers. From the style's pre-shape it closes
# onto the part beside the palm instead: palm, fingers and thumb then cover less than half the circumference, a
# grasp that holds in simulation (friction 0.6) but is not in force closure at mu 0.3. On 5-8 cm bodies (16
# grasps per unit): eight wrap units 83 -> 87 of 128 validated, Q1 0.016 -> 0.051; four pinch units 37 -> 50 of
# 64, Q1 0.005 -> 0.047. On 2-4 cm handles it lost grasps and closure (paintbrush wrap 11 -> 4 of 16,
# screwdriver pinch Q1 0.105 -> 0.042), hence the width rule.
WIDE_THUMB: dict[str, float] = {"THJ5": -0.4, "THJ4": 1.2}

# The point of the palm placed in front of the grasp point, relative to the palm's centre, along the fingers:
# a shaft lies across the upper palm, next to the finger bases, rather than in the palm's middle.
PALM_ANCHOR_SHIFT: dict[str, tuple[float, float]] = {"wrap": (0.0, 0.01), "pinch": (0.02, 0.05)}

# Lids are taken from above with a claw (InitConfig.lid_claw): the fingers bent down at the knuckles so that
# their tips reach the lid's side with the palm held above it, the thumb opposite them across the lid. With the
# palm on the lid, as for the other kinds, the fingertips of a Shadow hand end beyond any lid narrower than the
# hand (bottle caps, jar and teapot lids) and closed onto the body below it. At these flexions the fingertips sit
# about 6.5 cm below the palm, and the thumb can meet them at that depth 3.5-9 cm away. The synthesis benchmark's
# ten lid units (bottle caps, kettle and teapot lids; 160 grasps): 3 validated -> 13; seven training lids, 224
# grasps: 3 -> 13 (a palm target of 5 cm with the palm-down start: 13 as well, no palm term: 7).
CLAW_FINGERS: dict[str, float] = {"J3": 0.7, "J2": 0.5, "J1": 0.35}
CLAW_GAP = 0.015  # m: the claw opens this much wider than the lid
CLAW_DEPTH = 0.008  # m: the fingertips aim this far below the lid's top (at most half its thickness)

THUMB_JOINTS = ("THJ5", "THJ4", "THJ2", "THJ1")  # searched by claw_posture (THJ3, the thumb's twist, stays 0)


@lru_cache(maxsize=4)  # per hand model (hashed by identity): 2,205 poses, computed once
def _thumb_reach(hand: HandModel) -> tuple[np.ndarray, np.ndarray]:
    """Thumb joint settings on a grid (N, 4) (THUMB_JOINTS) and where each puts the thumb tip (N, 3), root frame."""
    grid = np.stack(np.meshgrid(np.linspace(-1.0, 1.0, 9), np.linspace(0.0, 1.22, 7), np.linspace(-0.5, 0.5, 5),
                                np.linspace(0.0, 1.5, 7), indexing="ij"), axis=-1).reshape(-1, 4)
    q = np.zeros((len(grid), len(JOINT_NAMES)))
    for k, name in enumerate(THUMB_JOINTS):
        q[:, joint_index("rh_" + name)] = grid[:, k]
    return grid, fingertips(hand, q)[:, 4]


def fingertips(hand: HandModel, joints: np.ndarray) -> np.ndarray:
    """Fingertip sites (..., 5, 3) (FF, MF, RF, LF, TH) of joints (..., 22) in the hand root frame."""
    q = torch.as_tensor(joints, dtype=hand.dtype)
    with torch.no_grad():
        tips = hand.fingertips(hand.forward_kinematics(q.reshape(-1, q.shape[-1])))
    return tips.double().numpy().reshape(*q.shape[:-1], 5, 3)


def claw_posture(hand: HandModel, style: str, width: float) -> np.ndarray:
    """(22,) a lid claw for ``style``: its fingers bent down (CLAW_FINGERS) and the thumb placed, by a search over
    its joints, at the fingertips' depth as near ``width`` + CLAW_GAP from the index and middle tips as it reaches.
    """
    q = posture(style)
    for finger in style_fingers(hand, style):
        if finger != "TH":
            for joint, value in CLAW_FINGERS.items():
                q[joint_index(f"rh_{finger}{joint}")] = value
    thumbs, tips = _thumb_reach(hand)
    lead = fingertips(hand, q)[:2].mean(axis=0)  # index and middle, in every style's split
    aim = lead - np.array([0.0, 0.0, width + CLAW_GAP])
    best = int(np.argmin(np.linalg.norm(tips - aim, axis=1)))
    for name, value in zip(THUMB_JOINTS, thumbs[best], strict=True):
        q[joint_index("rh_" + name)] = value
    return q


def oppose_thumb(hand: HandModel, target: SynthObject, style: str, root_pos: np.ndarray, root_rot: np.ndarray,
                 joints: np.ndarray, gap: float, touch: float = 0.003) -> np.ndarray:
    """(B, 22) joints with the thumb placed where it best opposes the hand's other contacts.

    Candidates: the thumb as it is, and the thumb straightened (THJ4, THJ3, THJ2, THJ1 at 0) at each swing of
    THUMB_SWINGS, closed onto the object (close_fingers). A candidate counts if its links clear the object and
    its pad comes within ``touch`` of it; its score is how squarely its pad pushes against the other contacts:
    -n_thumb . the mean outward normal under the palm and the fingers within ``touch`` (1: straight against
    them). The best counting candidate is kept; a hand with none keeps its thumb.
    """
    b, s = len(joints), len(THUMB_SWINGS) + 1
    c = digit_candidates(hand, target, "TH", root_pos, root_rot, joints, gap)
    closed, clearance = c.joints, c.clearance
    with torch.no_grad():
        points, _ = hand.contact_candidates(c.poses, style)
        distance, normals = target.sdf(points)
    labels = np.array(hand.contact_point_labels(style))
    distance, normals = distance.double().numpy(), normals.double().numpy()
    thumb = np.flatnonzero(labels == "TH")
    nearest = thumb[np.argmin(distance[:, thumb], axis=1)]
    thumb_normal = normals[np.arange(b * s), nearest]
    others = np.zeros((b * s, 3))
    for label in dict.fromkeys(labels):
        if label == "TH":
            continue
        members = np.flatnonzero(labels == label)
        pick = members[np.argmin(distance[:, members], axis=1)]
        near = distance[np.arange(b * s), pick] < touch
        others += near[:, None] * normals[np.arange(b * s), pick]
    others /= np.maximum(np.linalg.norm(others, axis=1, keepdims=True), 1e-12)
    score = -(thumb_normal * others).sum(axis=1)
    pad = distance[np.arange(b * s), nearest]
    counts = (clearance > 0.0) & (pad < touch) & (np.linalg.norm(others, axis=1) > 0.5)
    score = np.where(counts, score, -np.inf).reshape(b, s)
    best = np.argmax(score, axis=1)
    keep = np.isfinite(score[np.arange(b), best])
    out = np.asarray(joints, dtype=np.float64).copy()
    chosen = closed.reshape(b, s, -1)[np.arange(b), best]
    out[keep] = chosen[keep]
    return out


def posture(style: str, wide: bool = False) -> np.ndarray:
    """(22,) the hand-crafted starting joints of a style, JOINT_NAMES order; ``wide``: with WIDE_THUMB."""
    if style not in STYLES:
        raise ValueError(f"unknown grasp style {style!r}; expected one of {STYLES}")
    q = np.zeros(len(JOINT_NAMES))
    for name, value in (POSTURES[style] | (WIDE_THUMB if wide else {})).items():
        q[joint_index("rh_" + name)] = value
    return q


def part_width(geometry: PartGeometry) -> float:
    """The part's largest box extent across its principal direction (a shaft's girth, a lid's or disk's span)."""
    axes, extents = np.asarray(geometry.box.axes), np.asarray(geometry.box.extents)
    direction = _unit(np.asarray(geometry.principal_direction, dtype=np.float64))
    across = np.abs(direction @ axes) < np.sqrt(0.5)  # box axes nearer perpendicular than parallel to it
    return float(extents[across].max()) if across.any() else 0.0


def wide_thumb(geometry: PartGeometry, config: InitConfig) -> bool:
    """Whether hands on this part start from the wide-part thumb (WIDE_THUMB): shafts at least wide_part across."""
    return geometry.kind == SHAFT and part_width(geometry) >= config.wide_part


def palm_centre(hand: HandModel) -> np.ndarray:
    """(3,) centre of the palm's contact face in the hand root frame (rigid with the root)."""
    poses = hand.forward_kinematics(torch.zeros(1, len(JOINT_NAMES), dtype=hand.dtype))
    points, _ = hand.contact_candidates(poses, "wrap")
    labels = np.array(hand.contact_point_labels("wrap"))
    return points[0, torch.as_tensor(labels == "palm")].mean(0).double().numpy()


@dataclass
class InitialPoses:
    """A batch of starting hands in the object frame, and what each was aimed at."""

    root_pos: np.ndarray  # (B, 3)
    root_rot: np.ndarray  # (B, 3, 3)
    joints: np.ndarray  # (B, 22)
    grasp_points: np.ndarray  # (B, 3) the part point each hand was aimed at
    approach: np.ndarray  # (B, 3) unit direction from the palm towards the part


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)


def _perpendicular(v: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random unit vector perpendicular to each unit row of v."""
    r = rng.normal(size=v.shape)
    return _unit(r - np.sum(r * v, axis=-1, keepdims=True) * v)


def _frames(approach: np.ndarray, axis: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Hand rotations (B, 3, 3) whose palm faces ``approach`` and whose x (flexion axis) is closest to ``axis``."""
    y = -approach  # the palm's outward normal is -y
    x = axis - np.sum(axis * y, axis=-1, keepdims=True) * y
    degenerate = np.linalg.norm(x, axis=-1) < 0.3
    x = _unit(x)
    if degenerate.any():  # the axis runs along the approach: any flexion axis will do
        x[degenerate] = _perpendicular(y[degenerate], rng)
    z = np.cross(x, y)
    return np.stack([x, y, z], axis=-1)


def _sign(rng: np.random.Generator, count: int) -> np.ndarray:
    return np.where(rng.random(count) < 0.5, -1.0, 1.0)[:, None]


def _directions(geometry: PartGeometry, points: np.ndarray, normals: np.ndarray, rng: np.random.Generator,
                lid_rotations: int) -> tuple[np.ndarray, np.ndarray]:
    """Approach directions and hand rotations (B, 3, 3) for grasp points of a part, by its kind."""
    count = len(points)
    a = np.broadcast_to(_unit(np.asarray(geometry.principal_direction, dtype=np.float64)), (count, 3)).copy()
    if geometry.kind == LID:
        approach = -a
        reference = geometry.box.axes[:, 0] - (geometry.box.axes[:, 0] @ a[0]) * a[0]
        if np.linalg.norm(reference) < 1e-6:
            reference = _perpendicular(a[:1], rng)[0]
        angles = 2.0 * np.pi * (np.arange(count) % lid_rotations) / lid_rotations
        axis = Rotation.from_rotvec(angles[:, None] * a).apply(np.tile(_unit(reference), (count, 1)))
    elif geometry.kind == DISK:
        offset = points - geometry.box.center
        radial = offset - np.sum(offset * a, axis=-1, keepdims=True) * a
        flat = np.linalg.norm(radial, axis=-1) < 1e-6
        radial = _unit(radial)
        radial[flat] = _perpendicular(a[flat], rng)
        approach = -radial
        axis = _sign(rng, count) * np.cross(a, radial)
    elif geometry.kind in (SHAFT, L_SHAPED):
        approach = -_unit(normals)
        axis = _sign(rng, count) * a
    else:
        raise ValueError(f"unknown part kind {geometry.kind!r}")
    return approach, _frames(approach, axis, rng)


def initial_poses(target: SynthObject, part: str, style: str, batch: int, rng: np.random.Generator,
                  config: InitConfig | None = None, hand: HandModel | None = None) -> InitialPoses:
    """``batch`` starting hands around ``part`` of ``target`` for ``style`` (object frame)."""
    from dexvlg_data.synth.context import hand_model

    config = config or InitConfig()
    hand = hand or hand_model()
    geometry = target.part(part)
    claw = config.lid_claw and geometry.kind == LID
    q0 = claw_posture(hand, style, part_width(geometry)) if claw else posture(style, wide_thumb(geometry, config))
    pick = rng.integers(0, len(geometry.grasp_points), size=batch)
    points, normals = geometry.grasp_points[pick], geometry.grasp_normals[pick]
    approach, rot = _directions(geometry, points, normals, rng, config.lid_rotations)
    if claw:  # aim at the lid's axis, just below its top: where the claw's fingertips should close
        a = _unit(np.asarray(geometry.principal_direction, dtype=np.float64))
        centre = np.asarray(geometry.box.center, dtype=np.float64)
        half = 0.5 * float(np.abs(a @ np.asarray(geometry.box.axes)) @ np.asarray(geometry.box.extents))
        points = np.tile(centre + a * (half - min(half, CLAW_DEPTH)), (batch, 1))

    # Jitter: turn about the approach, tilt it, shift sideways (the palm keeps facing the grasp point).
    spin = Rotation.from_rotvec(rng.normal(0.0, config.jitter_angle, (batch, 1)) * approach)
    tilt_axis = _perpendicular(approach, rng)
    tilt = Rotation.from_rotvec(rng.normal(0.0, config.jitter_tilt, (batch, 1)) * tilt_axis)
    turn = tilt * spin
    rot = turn.as_matrix() @ rot
    approach = turn.apply(approach)
    shift = rng.normal(0.0, config.jitter_position, (batch, 3))
    shift -= np.sum(shift * approach, axis=-1, keepdims=True) * approach

    # The grasp point may lie inside the collision shape (hulls over-fill): retreat from where it comes out.
    with torch.no_grad():
        depth = torch.clamp(-target.sdf.distance(torch.as_tensor(points, dtype=target.sdf.dtype)), min=0.0)
    retreat = rng.uniform(*config.palm_distance, size=batch) + depth.double().numpy()
    lo, hi = PALM_ANCHOR_SHIFT[style]
    anchor = palm_centre(hand)[None] + np.outer(rng.uniform(lo, hi, size=batch), [0.0, 0.0, 1.0])
    if claw:  # the point between the leading fingertips and the thumb tip goes to the aim point
        retreat = np.zeros(batch)
        tips = fingertips(hand, q0)
        anchor = np.tile(0.5 * (tips[:2].mean(axis=0) + tips[4]), (batch, 1))
    palm_world = points - retreat[:, None] * approach + shift
    root_pos = palm_world - np.einsum("bij,bj->bi", rot, anchor)

    joints = q0[None] + rng.normal(0.0, config.jitter_joints, (batch, len(JOINT_NAMES)))
    lower, upper = hand.lower.double().numpy(), hand.upper.double().numpy()
    joints = np.clip(joints, lower, upper)
    if config.open_fingers:  # the fingers outside the style's split, curled out of the way
        idle = tuple(f for f in FINGERS if f not in style_fingers(hand, style))
        joints = open_fingers(hand, target.sdf, root_pos, rot, joints, idle, config.close_gap)
    if config.close_fingers:
        joints = close_fingers(hand, target.sdf, root_pos, rot, joints, style_fingers(hand, style), config.close_gap)
    if config.close_fingers and config.thumb_search and not claw:  # part of closing the hand onto the part
        joints = oppose_thumb(hand, target, style, root_pos, rot, joints, config.close_gap)
    return InitialPoses(root_pos, rot, joints, points, approach)


def style_fingers(hand: HandModel, style: str) -> tuple[str, ...]:
    """The fingers ("FF", ..., "TH") of a style's contact split."""
    return tuple(label for label in dict.fromkeys(hand.contact_point_labels(style)) if label != "palm")
