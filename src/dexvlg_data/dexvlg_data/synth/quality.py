"""Q1 (Ferrari-Canny epsilon) of a grasp: the radius of the largest wrench ball inside the grasp wrench space.

Contacts are the hand links touching the object (hand surface samples within ``contact_distance`` of it, one
contact per link at its deepest sample), with Coulomb cones of friction ``mu`` linearized by ``edges`` unit
forces; torques about the object's centre are divided by ``torque_length`` (by default half the object's
bounding-box diagonal, as grasp-dataset papers scale them). Q1 = 0 when the origin lies outside the hull (no
force closure). mu = 0.1 is conservative next to the simulator's 0.6, so values compare with published ones
computed at low friction.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.spatial import ConvexHull, QhullError

from dexvlg_core.grasp import Grasp


def q1_metric(points: np.ndarray, normals: np.ndarray, centre: np.ndarray, mu: float = 0.1, edges: int = 8,
              torque_length: float = 0.1) -> float:
    """Q1 of point contacts at points (K, 3) with outward object normals (K, 3)."""
    points, normals = np.asarray(points, dtype=np.float64), np.asarray(normals, dtype=np.float64)
    if len(points) < 2:
        return 0.0
    inward = -normals / np.linalg.norm(normals, axis=1, keepdims=True)
    helper = np.where(np.abs(inward[:, :1]) < 0.9, [[1.0, 0.0, 0.0]], [[0.0, 1.0, 0.0]])
    t1 = np.cross(inward, helper)
    t1 /= np.linalg.norm(t1, axis=1, keepdims=True)
    t2 = np.cross(inward, t1)
    angles = 2.0 * np.pi * np.arange(edges) / edges
    forces = (inward[:, None] + mu * (np.cos(angles)[None, :, None] * t1[:, None]
                                      + np.sin(angles)[None, :, None] * t2[:, None]))  # (K, E, 3)
    torques = np.cross((points - centre)[:, None], forces) / torque_length
    wrenches = np.concatenate([forces, torques], axis=-1).reshape(-1, 6)
    try:
        hull = ConvexHull(wrenches)
    except QhullError:  # flat wrench set (e.g. all contacts on one line): no force closure
        return 0.0
    offsets = hull.equations[:, -1]  # n . x + offset <= 0 inside; distance of the origin = -offset
    return float(max(0.0, (-offsets).min()))


def grasp_q1(grasp: Grasp, target, mu: float = 0.1, edges: int = 8, contact_distance: float = 0.002,
             torque_length: float | None = None) -> float:
    """Q1 of a grasp (object frame) on a SynthObject, from the links touching its distance grid."""
    from dexvlg_data.synth.context import hand_model

    hand = hand_model()
    dtype = hand.dtype
    with torch.no_grad():
        poses = hand.forward_kinematics(torch.as_tensor(grasp.joints, dtype=dtype)[None],
                                        torch.as_tensor(grasp.position, dtype=dtype)[None],
                                        torch.as_tensor(grasp.rotation, dtype=dtype)[None])
        surface, _ = hand.surface_points(poses)
        distance, normals = target.sdf(surface[0])
    distance, normals, surface = distance.double().numpy(), normals.double().numpy(), surface[0].double().numpy()
    links = hand.surface_link.numpy()
    touching = distance < contact_distance
    points, contact_normals = [], []
    for link in np.unique(links[touching]):
        members = np.flatnonzero(touching & (links == link))
        deepest = members[np.argmin(distance[members])]
        points.append(surface[deepest] - distance[deepest] * normals[deepest])  # onto the surface
        contact_normals.append(normals[deepest])
    if torque_length is None:
        torque_length = 0.5 * float(np.linalg.norm(target.obj.mesh.extents))
    return q1_metric(np.array(points).reshape(-1, 3), np.array(contact_normals).reshape(-1, 3), target.centre, mu,
                     edges, torque_length)
