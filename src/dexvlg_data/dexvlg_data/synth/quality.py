"""Q1 (Ferrari-Canny epsilon) of a grasp: the radius of the largest wrench ball inside the grasp wrench space.

The protocol of the reference grasp benchmark's analytic metrics (DexGraspBench), so that values sit next to
published ones: contacts are the hand links within ``contact_distance`` = 5 mm of the object (every finger and
palm link here; ``tips_only`` keeps the distal phalanges alone, as that benchmark's evaluation config does,
which rates grasps that hold with the palm and the middle and proximal phalanges as open); per link, the mean of
its samples that close, projected onto the surface, with their mean normal. Each contact gets a Coulomb cone of
friction ``mu`` = 0.3 (half the simulator's 0.6, the margin that benchmark leaves) linearized by ``edges``
unit-normal-force edges. Torques are taken about the contacts' centroid with the lever arms scaled to unit mean
length, which makes Q1 independent of the object's size. Q1 = 0 when the origin lies outside the hull (no
force closure).
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.spatial import ConvexHull, QhullError

from dexvlg_core.grasp import Grasp
from dexvlg_core.hand.joints import LINK_NAMES
from dexvlg_data.synth.force_closure import cone_wrenches

TIP_LINKS = tuple(name for name in LINK_NAMES if name.endswith("distal"))
# qhull joggles the wrenches ("QJ": 2-3x faster in 6-D than its default exact merging, same Q1 within 2e-9 on
# dataset grasps); a hull whose boundary passes through the origin then comes out ~1e-9 either side of it. Q1 below
# this floor is no force closure (the smallest closed Q1 on those grasps was 2e-4).
Q1_FLOOR = 1e-8


def q1_metric(points: np.ndarray, normals: np.ndarray, mu: float = 0.3, edges: int = 8) -> float:
    """Q1 of point contacts at points (K, 3) with outward object normals (K, 3)."""
    points, normals = np.asarray(points, dtype=np.float64), np.asarray(normals, dtype=np.float64)
    if len(points) < 2:
        return 0.0
    # Torques about the contacts' centroid, lever arms scaled to unit mean length.
    centre = points.mean(axis=0)
    arm = float(np.linalg.norm(points - centre, axis=1).mean()) + 1e-12
    cones = cone_wrenches(torch.from_numpy(points)[None], torch.from_numpy(normals)[None], torch.from_numpy(centre),
                          mu, edges, arm)
    wrenches = cones[0].T.numpy()  # (K * E, 6)
    try:
        # The origin joins the hull unless enclosed.
        hull = ConvexHull(np.vstack([wrenches, np.zeros((1, 6))]), qhull_options="QJ")
    except QhullError:  # flat wrench set (e.g. all contacts on one line): no force closure
        return 0.0
    offsets = -hull.equations[:, -1] / np.linalg.norm(hull.equations[:, :-1], axis=1)
    q1 = float(offsets.min())
    return q1 if q1 > Q1_FLOOR else 0.0


Contacts = tuple[tuple[str, ...], np.ndarray, np.ndarray]  # link names, points (K, 3), outward normals (K, 3)


def hand_contacts(hand, target, root_pos: np.ndarray, root_rot: np.ndarray, joints: np.ndarray,
                  contact_distance: float = 0.005, tips_only: bool = False) -> list[Contacts]:
    """Per hand (root_pos (B, 3), root_rot (B, 3, 3), joints (B, 22), object frame) its contacts as the Q1
    protocol takes them: per hand link within ``contact_distance`` of the object (distal phalanges alone with
    ``tips_only``), its link name, the mean of its close samples projected onto the surface and their mean
    outward normal; links in hand order.
    """
    dtype = hand.dtype
    with torch.no_grad():
        poses = hand.forward_kinematics(torch.as_tensor(joints, dtype=dtype), torch.as_tensor(root_pos, dtype=dtype),
                                        torch.as_tensor(root_rot, dtype=dtype))
        surface, _ = hand.surface_points(poses)
        distance, normals = target.sdf(surface)
    distance, normals, surface = distance.double().numpy(), normals.double().numpy(), surface.double().numpy()
    links = hand.surface_link.numpy()
    allowed = np.isin(links, [LINK_NAMES.index(name) for name in TIP_LINKS]) if tips_only else True
    touching = (distance < contact_distance) & allowed  # (B, N)
    # Per (hand, link): the mean of its touching samples projected onto the surface, and their mean normal.
    hands, samples = np.nonzero(touching)
    shape = (len(surface), len(LINK_NAMES))
    group = np.ravel_multi_index((hands, links[samples]), shape)
    count = np.bincount(group, minlength=np.prod(shape)).reshape(shape)
    point_sum, normal_sum = np.zeros((*shape, 3)), np.zeros((*shape, 3))
    np.add.at(point_sum.reshape(-1, 3), group, surface[hands, samples] - distance[hands, samples, None]
              * normals[hands, samples])
    np.add.at(normal_sum.reshape(-1, 3), group, normals[hands, samples])
    out = []
    for b in range(len(surface)):
        present = np.flatnonzero(count[b])  # links in hand order
        normal = normal_sum[b, present]
        out.append((tuple(LINK_NAMES[k] for k in present), point_sum[b, present] / count[b, present, None],
                    normal / np.maximum(np.linalg.norm(normal, axis=1, keepdims=True), 1e-12)))
    return out


def hands_q1(hand, target, root_pos: np.ndarray, root_rot: np.ndarray, joints: np.ndarray, mu: float = 0.3,
             edges: int = 8, contact_distance: float = 0.005) -> np.ndarray:
    """(B,) Q1 of a batch of hands (hand_contacts' arguments) on a SynthObject, friction cones of ``edges`` edges."""
    contacts = hand_contacts(hand, target, root_pos, root_rot, joints, contact_distance)
    return np.array([q1_metric(points, normals, mu, edges) for _, points, normals in contacts])


def link_contacts(grasp: Grasp, target, contact_distance: float = 0.005, tips_only: bool = False) -> Contacts:
    """hand_contacts of one grasp (object frame) on a SynthObject."""
    from dexvlg_data.synth.context import hand_model

    return hand_contacts(hand_model(), target, grasp.position[None], grasp.rotation[None], grasp.joints[None],
                         contact_distance, tips_only)[0]


def grasp_q1(grasp: Grasp, target, mu: float = 0.3, edges: int = 8, contact_distance: float = 0.005,
             tips_only: bool = False) -> float:
    """Q1 of a grasp (object frame) on a SynthObject, from the links touching its distance grid."""
    _, points, normals = link_contacts(grasp, target, contact_distance, tips_only)
    return q1_metric(points, normals, mu, edges)
