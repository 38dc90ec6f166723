"""Part alignment repair: lift fingers that touch another part off the object before validation.

Validation asks that every hand link touching the object be closer to the target part than to any other part
(dexvlg_core.sim.checks.part_alignment). In the first benchmark runs this failed more grasps than everything
else together: a hand closed onto a bottle's body also rests a finger on its neck, one on a lid on the jar
below. Fingers are independent, so such a finger is opened, by bisection on how far its closing joints go back
towards their lower limits, until none of its links is within ``clearance`` of the object; the grasp then holds
(or not: the physics decides) with the fingers that touch the right part. The palm and thumb base cannot be
lifted separately: grasps with those on another part stay as they are and fail validation.

The link test mirrors the evaluator's. A link touches when its collision shape is within ``touch`` of the object,
measured on the collision spheres that tile it (sdf(centre) - radius, within 0.3 mm of the shape), as the
evaluator measures geometry distance. Surface samples ~3-4 mm apart overstated it by 2-3 mm: on twelve units
that the check failed most, two thirds of the fingers it called misaligned sat 0.4-1.9 mm from another part,
and their nearest samples 2.0-4.9 mm, so they were never lifted. A touching link is misaligned when its surface
samples come nearer to another part's surface samples than to the target part's.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.spatial import cKDTree

from dexvlg_core.hand.joints import JOINT_NAMES, LINK_NAMES
from dexvlg_core.hand.model import HandModel, LinkPoses
from dexvlg_data.synth.closing import CHAINS, CLOSING_JOINTS, FINGERS, _clearance, _link_mask
from dexvlg_data.synth.context import SynthObject


def link_finger(link: str) -> str:
    """The finger ("FF", ..., "TH") whose closing joints move ``link``; "" for the links they do not move (palm,
    wrist, forearm, knuckles, the little finger's metacarpal, the thumb base).
    """
    return next((finger for finger, chain in CHAINS.items() if any(link in links for _, links in chain)), "")


def _link_clearance(hand: HandModel, target: SynthObject, poses: LinkPoses) -> torch.Tensor:
    """(B, L) each link's distance to the object over its collision spheres (LINK_NAMES order; inf: no spheres)."""
    centres, radii = hand.self_collision_spheres(poses)
    gap = (target.sdf.distance(centres) - radii).double()
    out = torch.full((gap.shape[0], len(LINK_NAMES)), float("inf"), dtype=torch.float64)
    index = hand.sphere_link.long().expand_as(gap)
    return out.scatter_reduce(1, index, gap, reduce="amin")


def misaligned_fingers(hand: HandModel, target: SynthObject, part: str, root_pos: np.ndarray, root_rot: np.ndarray,
                       joints: np.ndarray, touch: float = 0.0025) -> tuple[np.ndarray, np.ndarray]:
    """Per grasp (B, 5) which fingers (FINGERS order) touch the object nearer another part, and (B,) whether a
    link that cannot be lifted (palm, wrist, forearm, thumb base) does.
    """
    dtype = hand.dtype
    with torch.no_grad():
        poses = hand.forward_kinematics(torch.as_tensor(joints, dtype=dtype), torch.as_tensor(root_pos, dtype=dtype),
                                        torch.as_tensor(root_rot, dtype=dtype))
        points, _ = hand.surface_points(poses)
        link_gap = _link_clearance(hand, target, poses).numpy()
    points = points.double().numpy()
    links = hand.surface_link.numpy()
    index = target.obj.part_index(part)
    own = target.surface_points[target.surface_parts == index]
    others = target.surface_points[target.surface_parts != index]
    batch = len(points)
    fingers = np.zeros((batch, len(FINGERS)), bool)
    fixed = np.zeros(batch, bool)
    if len(others) == 0:
        return fingers, fixed
    own_tree, other_tree = cKDTree(own), cKDTree(others)
    for b in range(batch):
        for link in np.flatnonzero(link_gap[b] < touch):
            mine = links == link
            to_own = own_tree.query(points[b, mine], k=1)[0].min()
            to_other = other_tree.query(points[b, mine], k=1)[0].min()
            if to_other < to_own:
                finger = link_finger(LINK_NAMES[link])
                if finger:
                    fingers[b, FINGERS.index(finger)] = True
                else:
                    fixed[b] = True
    return fingers, fixed


@torch.no_grad()
def lift_fingers(hand: HandModel, target: SynthObject, root_pos: np.ndarray, root_rot: np.ndarray,
                 joints: np.ndarray, lift: np.ndarray, clearance: float = 0.004, iterations: int = 8) -> np.ndarray:
    """(B, 22) joints with the fingers marked in ``lift`` (B, 5) opened just enough to clear the object."""
    dtype = hand.dtype
    pos, rot = torch.as_tensor(root_pos, dtype=dtype), torch.as_tensor(root_rot, dtype=dtype)
    q = torch.as_tensor(joints, dtype=dtype).clone()
    for f, finger in enumerate(FINGERS):
        rows = torch.as_tensor(np.flatnonzero(lift[:, f]))
        if len(rows) == 0:
            continue
        columns = torch.tensor([JOINT_NAMES.index(j) for j in CLOSING_JOINTS[finger]])
        mine = _link_mask(hand, CHAINS[finger][0][1])  # the collision spheres of all the finger's links
        start, open_ = q[rows][:, columns], hand.lower[columns].expand(len(rows), -1)

        def clear(s: torch.Tensor, rows=rows, columns=columns, mine=mine, start=start, open_=open_) -> torch.Tensor:
            trial = q[rows].clone()
            trial[:, columns] = start + s[:, None] * (open_ - start)
            return _clearance(hand, target.sdf, hand.forward_kinematics(trial, pos[rows], rot[rows]), mine) > clearance

        lo, hi = torch.zeros(len(rows), dtype=dtype), torch.ones(len(rows), dtype=dtype)
        for _ in range(iterations):  # invariant: hi clears (or is fully open), lo does not
            mid = 0.5 * (lo + hi)
            ok = clear(mid)
            lo, hi = torch.where(ok, lo, mid), torch.where(ok, mid, hi)
        q[rows.unsqueeze(1), columns] = start + hi[:, None] * (open_ - start)
    return q.double().numpy()
