"""Close fingers until contact, batched: each flexion joint in turn, proximal to distal, by bisection on the SDF.

The torch counterpart of dexvlg_core.sim.examples.close_until_contact (which poses one hand in MuJoCo): per
finger of the style, each closing joint turns towards its upper limit until the links it moves come within
``gap`` of the object, measured as sdf(centre) - radius over the collision spheres of those links (exact for
the finger capsules the spheres tile, corners and edges of the object included), or until
the hand's collision spheres overlap by more than ``self_gap`` or than they did before closing (a thumb closing
onto the index). A joint whose links already touch stays; one that never meets the object closes fully, unless
the finger is already within ``keep_near`` of the object: then closing can only curl a contact the optimizer
placed away from the surface (a pinch on a convex body whose side lies outside the finger's sweep), and the joint
stays. Used to pre-shape hands around the part before optimizing (every finger starts in contact) and to tighten
them afterwards. open_fingers does the reverse for fingers that start inside the object.
"""

from __future__ import annotations

import numpy as np
import torch

from dexvlg_core.hand.joints import JOINT_NAMES, LINK_NAMES
from dexvlg_core.hand.model import HandModel, LinkPoses
from dexvlg_data.synth.sdf import ObjectSDF

# Joints each finger closes with, proximal to distal, and the links each of them moves.
CHAINS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    f: ((f"rh_{f}J3", (f"rh_{f.lower()}proximal", f"rh_{f.lower()}middle", f"rh_{f.lower()}distal")),
        (f"rh_{f}J2", (f"rh_{f.lower()}middle", f"rh_{f.lower()}distal")),
        (f"rh_{f}J1", (f"rh_{f.lower()}distal",)))
    for f in ("FF", "MF", "RF", "LF")
}
CHAINS["TH"] = (("rh_THJ4", ("rh_thproximal", "rh_thmiddle", "rh_thdistal")),
                 ("rh_THJ2", ("rh_thmiddle", "rh_thdistal")),
                 ("rh_THJ1", ("rh_thdistal",)))
FINGERS: tuple[str, ...] = tuple(CHAINS)  # "FF", "MF", "RF", "LF", "TH"
# The joints that close each finger (towards their upper limits).
CLOSING_JOINTS: dict[str, tuple[str, ...]] = {finger: tuple(j for j, _ in chain) for finger, chain in CHAINS.items()}


def _link_mask(hand: HandModel, links: tuple[str, ...]) -> torch.Tensor:
    """(S,) bool: the hand's collision spheres on the given links."""
    return torch.isin(hand.sphere_link, torch.tensor([LINK_NAMES.index(link) for link in links]))


def _clearance(hand: HandModel, sdf: ObjectSDF, poses: LinkPoses, mask: torch.Tensor | None = None,
               centres: torch.Tensor | None = None) -> torch.Tensor:
    """(B,) smallest sdf(centre) - radius over the posed hand's collision spheres (those in ``mask``, if given);
    ``centres``: the posed sphere centres (self_collision_spheres), if already known.
    """
    radii = hand.sphere_radii
    if centres is None:
        centres, _ = hand.self_collision_spheres(poses)
    if mask is not None:
        centres, radii = centres[:, mask], radii[mask]
    return (sdf.distance(centres) - radii).min(dim=-1).values


@torch.no_grad()
def close_fingers(hand: HandModel, sdf: ObjectSDF, root_pos: np.ndarray, root_rot: np.ndarray, joints: np.ndarray,
                  fingers: tuple[str, ...], gap: float = 0.001, iterations: int = 10, self_gap: float = 0.0,
                  keep_near: float = 0.0) -> np.ndarray:
    """(B, 22) joints with the given fingers ("FF", ..., "TH") closed onto the object (module docstring)."""
    dtype = hand.dtype
    pos, rot = torch.as_tensor(root_pos, dtype=dtype), torch.as_tensor(root_rot, dtype=dtype)
    q = torch.as_tensor(joints, dtype=dtype).clone()

    # A finger that would run into another finger (thumb onto index) stops there too: at self_gap of overlap,
    # or at what the hand already had before closing (a start that overlaps must not freeze every joint).
    allowed = torch.clamp(hand.max_self_overlap(hand.forward_kinematics(q, pos, rot)), min=self_gap)

    def clearance(trial: torch.Tensor, mask: torch.Tensor, rows: torch.Tensor | None = None) -> torch.Tensor:
        # Only pairs with a sphere on the moving links (mask) can change; every accepted posture keeps the others
        # within ``allowed``, so testing the moving pairs alone gives the verdict of testing all of them.
        # ``rows``: the hands ``trial`` holds (default: all).
        p, r, a = (pos, rot, allowed) if rows is None else (pos[rows], rot[rows], allowed[rows])
        poses = hand.forward_kinematics(trial, p, r)
        centres, _ = hand.self_collision_spheres(poses)  # posed once for both tests
        clear = _clearance(hand, sdf, poses, mask, centres)
        return torch.where(hand.max_self_overlap(poses, mask, centres) > a + 1e-6, -1.0, clear)

    for finger in fingers:
        near = (clearance(q, _link_mask(hand, CHAINS[finger][0][1])) <= keep_near) & (keep_near > 0)  # all its links
        for joint, links in CHAINS[finger]:
            j = JOINT_NAMES.index(joint)
            mask = _link_mask(hand, links)
            free = clearance(q, mask) > gap
            trial = q.clone()
            trial[:, j] = float(hand.upper[j])
            fully = free & (clearance(trial, mask) > gap)
            stays = fully & near  # a finger near the object whose sweep would only curl it away
            # Bisection for the hands whose joint stops on the way (about a fifth): the others' verdicts are in.
            rows = torch.nonzero(free & ~fully).squeeze(-1)
            lo = q[:, j].clone()
            if len(rows):
                trial = q[rows].clone()
                low, hi = trial[:, j].clone(), torch.full_like(trial[:, j], float(hand.upper[j]))
                for _ in range(iterations):  # invariant: low clears the object, hi does not
                    mid = 0.5 * (low + hi)
                    trial[:, j] = mid
                    clear = clearance(trial, mask, rows) > gap
                    low, hi = torch.where(clear, mid, low), torch.where(clear, hi, mid)
                lo[rows] = low
            q[:, j] = torch.where(stays | ~free, q[:, j], torch.where(fully, hand.upper[j], lo))
    return q.double().numpy()


@torch.no_grad()
def open_fingers(hand: HandModel, sdf: ObjectSDF, root_pos: np.ndarray, root_rot: np.ndarray, joints: np.ndarray,
                 fingers: tuple[str, ...], gap: float = 0.001, iterations: int = 10) -> np.ndarray:
    """(B, 22) joints with each given finger that is inside the object opened just enough to clear it.

    A finger's closing joints move together towards their lower limits, q(s) = (1 - s) q + s lower, and s is the
    smallest in [0, 1] (by bisection) at which the finger's links clear the object by ``gap``; a finger that no
    opening clears opens fully. Fingers already clear keep their joints. The pre-shape then fits wide parts that
    the hand-crafted posture would reach into, and closing (close_fingers) brings the fingers back onto them.
    """
    dtype = hand.dtype
    pos, rot = torch.as_tensor(root_pos, dtype=dtype), torch.as_tensor(root_rot, dtype=dtype)
    q = torch.as_tensor(joints, dtype=dtype).clone()

    def opened(index: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        trial = q.clone()
        trial[:, index] = (1.0 - s[:, None]) * q[:, index] + s[:, None] * hand.lower[index].to(dtype)
        return trial

    def clearance(trial: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return _clearance(hand, sdf, hand.forward_kinematics(trial, pos, rot), mask)

    for finger in fingers:
        chain = CHAINS[finger]
        mask = _link_mask(hand, chain[0][1])
        index = torch.tensor([JOINT_NAMES.index(joint) for joint, _ in chain])
        inside = clearance(q, mask) <= gap
        lo, hi = torch.zeros(len(q), dtype=dtype), torch.ones(len(q), dtype=dtype)
        hi = torch.where(clearance(opened(index, hi), mask) > gap, hi, torch.full_like(hi, 2.0))  # 2: none clears
        for _ in range(iterations):  # invariant: lo does not clear, hi does (or is the marker)
            mid = 0.5 * (lo + torch.clamp(hi, max=1.0))
            clear = clearance(opened(index, mid), mask) > gap
            lo, hi = torch.where(clear, lo, mid), torch.where(clear, mid, hi)
        q = opened(index, torch.where(inside, torch.clamp(hi, max=1.0), torch.zeros_like(hi)))
    return q.double().numpy()


@torch.no_grad()
def approach_until_contact(hand: HandModel, sdf: ObjectSDF, root_pos: np.ndarray, root_rot: np.ndarray,
                           joints: np.ndarray, gap: float = 0.002, hover: float = 0.005, max_travel: float = 0.1,
                           steps: int = 24) -> np.ndarray:
    """(B, 3) root positions of hands hovering off the object moved along their palm normal until they touch it.

    A hand whose collision spheres all stay farther than ``hover`` from the object (the optimizer let it drift
    off, e.g. away from an initial penetration) is sphere-traced towards where its palm faces: each step moves by
    the clearance minus ``gap``, which cannot carry any sphere into the object (the distance field is
    1-Lipschitz). A hand that meets nothing within ``max_travel`` stays where it was.
    """
    dtype = hand.dtype
    start = torch.as_tensor(root_pos, dtype=dtype)
    pos, rot, q = start.clone(), torch.as_tensor(root_rot, dtype=dtype), torch.as_tensor(joints, dtype=dtype)
    towards = -rot[:, :, 1]  # the palm faces the hand frame's -y

    def clearance(p: torch.Tensor) -> torch.Tensor:
        return _clearance(hand, sdf, hand.forward_kinematics(q, p, rot))

    moving = clearance(pos) > hover
    travelled = torch.zeros(len(pos), dtype=dtype)
    for _ in range(steps):
        c = clearance(pos)
        step = torch.where(moving, torch.clamp(c - gap, min=0.0), torch.zeros_like(c))
        if not bool((step > 1e-4).any()):
            break
        pos = pos + step[:, None] * towards
        travelled = travelled + step
    touched = clearance(pos) <= gap + 1e-3
    keep = moving & touched & (travelled <= max_travel)
    return torch.where(keep[:, None], pos, start).double().numpy()
