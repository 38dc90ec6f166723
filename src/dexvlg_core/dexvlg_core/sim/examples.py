"""Reference grasps with known outcomes: a hand-posed power grasp of a 5.5 cm cube and of a 5.5 x 5.5 x 9 cm bar.

How the posture was found (close_until_contact, kept here so it can be regenerated): the palm is put 0.5 mm
from one face of the box (the object's +y face in the hand root frame), the thumb is turned to oppose
(THJ3 = 0.209, THJ2 = 0.3) and every flexion joint is then closed on its own, proximal to distal, until the
links it moves come within 0.5 mm of the box (bisection on MuJoCo's signed geom distances). The middle, ring
and little fingers wrap over the box's +z face, the thumb (THJ4 then THJ1) presses the face opposite the palm,
the index finger curls beside the cube. The pregrasp opens all fingers and keeps the thumb's opposition, so
squeeze = 2 * grasp - pregrasp closes every finger further than the contact posture (clipped by the servos).

The grasps are given in the object frame. The bar is the same grasp around a longer box, so that the hand
stays above a table when the bar stands on its end (object +x up, BAR_TABLE_ROTATION): that is the lift-test
case; the hand approaches horizontally like a hand taking a standing bottle.
"""

from __future__ import annotations

import mujoco
import numpy as np
import trimesh

from dexvlg_core.grasp import Grasp
from dexvlg_core.hand.joints import JOINT_NAMES, joint_index
from dexvlg_core.hand.mjcf import joint_limits
from dexvlg_core.sim.checks import min_distances
from dexvlg_core.sim.scene import Scene

CUBE_SIZE = 0.055
BAR_EXTENTS = (0.09, 0.055, 0.055)
# Box centres in the hand root frame: the palm's front face is at y = -0.0111, the box 0.5 mm in front of it;
# the box's +z face at z = 0.121 passes under the flexed proximal phalanges.
CUBE_CENTRE_IN_ROOT = (-0.008, -0.0391, 0.0935)
BAR_CENTRE_IN_ROOT = (-0.0255, -0.0391, 0.0935)
# The bar standing on its -x end: object +x -> world +z (rotation about y by -90 degrees).
BAR_TABLE_ROTATION = np.array([[0.0, 0.0, -1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])

# close_until_contact(...) for the cube, rounded to 0.1 mrad (rh_FFJ4 ... rh_THJ1, real sign convention).
POWER_GRASP_JOINTS = (
    0.0, 1.571, 1.571, 1.571,  # FF: beside the cube, fully curled
    0.0, 1.571, 0.1532, 0.7382,  # MF
    0.0, 1.3338, 0.6492, 0.0819,  # RF
    0.0, 0.0, 0.5328, 1.571, 0.4161,  # LF
    0.0, 1.222, 0.209, 0.3, 1.2266,  # TH
)  # fmt: skip
THUMB_OPPOSITION = {"rh_THJ3": 0.209, "rh_THJ2": 0.3}

# Joints closed by close_until_contact, per finger, with the links whose contact stops each of them.
CLOSING_CHAINS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = tuple(
    ((f"rh_{f}J3", f"rh_{f}J2", f"rh_{f}J1"), (f"rh_{f.lower()}proximal", f"rh_{f.lower()}middle",
                                                f"rh_{f.lower()}distal"))
    for f in ("FF", "MF", "RF", "LF")
) + ((("rh_THJ4", "rh_THJ1"), ("rh_thproximal", "rh_thmiddle", "rh_thdistal")),)


def open_pregrasp(joints: np.ndarray | tuple[float, ...]) -> np.ndarray:
    """Open hand that keeps the thumb's opposition joints of ``joints`` (the pregrasp of these examples)."""
    pre = np.zeros(len(JOINT_NAMES))
    for name in THUMB_OPPOSITION:
        pre[joint_index(name)] = joints[joint_index(name)]
    return pre


def _grasp(centre: tuple[float, float, float], joints=POWER_GRASP_JOINTS, pregrasp: bool = True) -> Grasp:
    q = np.asarray(joints, dtype=np.float64)
    # Root in the object frame: the object sits at `centre` in the root frame, same orientation.
    return Grasp(position=-np.asarray(centre), rotation=np.eye(3), joints=q,
                 pregrasp=open_pregrasp(q) if pregrasp else None, style="wrap", object_id="box",
                 contact_fingers=("middle", "ring", "little", "thumb", "palm"))


def cube() -> trimesh.Trimesh:
    """The 5.5 cm cube (object frame at its centre)."""
    return trimesh.creation.box(extents=(CUBE_SIZE,) * 3)


def bar() -> trimesh.Trimesh:
    """The 9 x 5.5 x 5.5 cm bar (object frame at its centre, long axis x)."""
    return trimesh.creation.box(extents=BAR_EXTENTS)


def cube_power_grasp() -> Grasp:
    """Power grasp of cube(): holds in all six directions of the disturbance test."""
    return _grasp(CUBE_CENTRE_IN_ROOT)


def cube_open_hand() -> Grasp:
    """The same root pose with the hand open (pregrasp = grasp = 0): must fail the disturbance test."""
    zeros = np.zeros(len(JOINT_NAMES))
    return Grasp(position=-np.asarray(CUBE_CENTRE_IN_ROOT), rotation=np.eye(3), joints=zeros, pregrasp=zeros)


def bar_power_grasp() -> Grasp:
    """Power grasp of bar(); with the bar standing on the table (BAR_TABLE_ROTATION) it passes the lift test."""
    return _grasp(BAR_CENTRE_IN_ROOT)


def close_until_contact(scene: Scene, start: np.ndarray, gap: float = 5e-4, iterations: int = 20,
                        root: np.ndarray | None = None) -> np.ndarray:
    """Close the flexion joints of ``start`` one at a time (CLOSING_CHAINS order, proximal to distal) until the
    links each one moves come within ``gap`` of the object; joints that never touch close fully.
    The hand root stays at ``root`` (4x4 world; default identity). Kinematic only (no dynamics).
    """
    lower, upper = joint_limits()
    root = np.eye(4) if root is None else root
    links = np.array(scene.hand_geom_links)

    def distance(q: np.ndarray, moved: set[str]) -> float:
        scene.set_hand(root, q)
        mujoco.mj_kinematics(scene.model, scene.data)
        geoms = scene.hand_geoms[np.isin(links, list(moved))]
        return float(min_distances(scene.model, scene.data, geoms, scene.object_geoms, 0.05).min())

    q = np.asarray(start, dtype=np.float64).copy()
    for joints, chain in CLOSING_CHAINS:
        for k, name in enumerate(joints):
            j = joint_index(name)
            # A finger joint moves its own link and the ones after it; the thumb's joints all move its tip.
            moved = set(chain[k:]) if not name.startswith("rh_TH") else set(chain)
            if distance(q, moved) <= gap:
                continue
            closed = q.copy()
            closed[j] = upper[j]
            if distance(closed, moved) > gap:
                q = closed
                continue
            lo, hi = q[j], upper[j]
            for _ in range(iterations):
                mid = 0.5 * (lo + hi)
                trial = q.copy()
                trial[j] = mid
                lo, hi = (mid, hi) if distance(trial, moved) > gap else (lo, mid)
            q[j] = max(lower[j], lo)
    return q
