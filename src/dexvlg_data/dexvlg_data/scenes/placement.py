"""Grasps (object frame) moved into each stable pose on the table; those the table forbids are dropped.

A grasp is dropped in a pose when
- the hand collides with the table: any hand collision geom (forearm included, as MuJoCo simulates it) is
  closer to the table than ``min_clearance`` (negative distance = penetration) or lies below the table top, in
  any of the checked postures (pregrasp and grasp by default); distances are MuJoCo's own
  (dexvlg_core.sim.checks.min_distances) on the scene of dexvlg_core.sim.build_scene with a table;
- its target part is hidden by the table: more than ``max_hidden_fraction`` of the part's area is on or
  against the table top (faces below ``contact_height`` that do not face up).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import mujoco
import numpy as np

from dexvlg_core.grasp import Grasp
from dexvlg_core.rotations import transform
from dexvlg_core.sim import Scene, SceneOptions, SimConfig, SimObject, build_scene
from dexvlg_core.sim.checks import min_distances

POSTURES = ("pregrasp", "grasp", "squeeze")


@dataclass(frozen=True)
class PlacementConfig:
    """When the table rules a grasp out."""

    min_clearance: float = 0.0  # m; hand-table signed distance must be at least this
    postures: tuple[str, ...] = ("pregrasp", "grasp")
    contact_height: float = 0.01  # faces with centre below this height (m) ...
    max_up_normal: float = 0.5  # ... and normal z below this count as hidden by the table
    max_hidden_fraction: float = 0.5
    physics: SimConfig = field(default_factory=SimConfig)

    def __post_init__(self) -> None:
        unknown = set(self.postures) - set(POSTURES)
        if unknown:
            raise ValueError(f"unknown postures {sorted(unknown)}; use {POSTURES}")


@dataclass
class Placement:
    """The grasps that survive one stable pose."""

    pose_index: int
    kept: np.ndarray  # indices into the grasp list, ascending
    clearance: np.ndarray  # (G,) smallest hand-table signed distance over the checked postures (m)
    hidden: dict[str, float]  # part -> fraction of its area hidden by the table
    dropped: dict[str, int]  # reason -> count ("table", "hidden part")


def hidden_fractions(obj: SimObject, object_pose: np.ndarray,
                     config: PlacementConfig | None = None) -> dict[str, float]:
    """Fraction of each part's area on or against the table when ``obj`` rests at ``object_pose``."""
    config = config or PlacementConfig()
    if not obj.has_parts:
        return {}
    world = obj.vertices @ object_pose[:3, :3].T + object_pose[:3, 3]
    tri = world[obj.faces]
    cross = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    area = 0.5 * np.linalg.norm(cross, axis=1)
    normal_z = cross[:, 2] / np.maximum(2.0 * area, 1e-18)
    hidden = (tri[:, :, 2].mean(axis=1) < config.contact_height) & (normal_z < config.max_up_normal)
    out = {}
    for p, name in enumerate(obj.part_names):
        mine = obj.face_parts == p
        total = area[mine].sum()
        out[name] = float(area[mine & hidden].sum() / total) if total > 0 else 1.0
    return out


class TableChecker:
    """Hand-table clearance of grasps, on one compiled scene (hand, table top at z = 0) per object."""

    def __init__(self, obj: SimObject, physics: SimConfig | None = None):
        self.scene: Scene = build_scene(obj, physics or SimConfig(), SceneOptions(table=True, camera=False))
        self._table = np.array([self.scene.table_geom])

    def clearance(self, root: np.ndarray, joints: np.ndarray, distmax: float = 0.05) -> float:
        """Smallest signed distance (m) between the hand at ``root`` (4x4 world) / ``joints`` and the table;
        ``-inf`` when a hand geom lies entirely under the table top (the thin table box would miss it).
        """
        scene = self.scene
        scene.set_hand(root, joints)
        mujoco.mj_kinematics(scene.model, scene.data)
        centres = scene.data.geom_xpos[scene.hand_geoms, 2]
        if (centres < 0.0).any():
            return float("-inf")
        return float(min_distances(scene.model, scene.data, scene.hand_geoms, self._table, distmax).min())


def _posture(grasp: Grasp, name: str) -> np.ndarray:
    if name == "grasp":
        return grasp.joints
    if name == "pregrasp":
        return grasp.pregrasp if grasp.pregrasp is not None else grasp.joints
    return grasp.squeeze_or_derived()


def place_grasps(grasps: list[Grasp], obj: SimObject, object_pose: np.ndarray, pose_index: int = 0,
                 config: PlacementConfig | None = None, checker: TableChecker | None = None) -> Placement:
    """Which of ``grasps`` (object frame) stay valid with ``obj`` resting at ``object_pose`` on the table."""
    config = config or PlacementConfig()
    checker = checker or TableChecker(obj, config.physics)
    hidden = hidden_fractions(obj, object_pose, config)
    clearance = np.full(len(grasps), np.inf)
    dropped: Counter[str] = Counter()
    kept = []
    for i, grasp in enumerate(grasps):
        if grasp.part and hidden.get(grasp.part, 0.0) > config.max_hidden_fraction:
            dropped["hidden part"] += 1
            continue
        root = object_pose @ transform(grasp.rotation, grasp.position)
        for name in config.postures:
            clearance[i] = min(clearance[i], checker.clearance(root, _posture(grasp, name)))
            if clearance[i] < config.min_clearance:
                break
        if clearance[i] < config.min_clearance:
            dropped["table"] += 1
            continue
        kept.append(i)
    return Placement(pose_index, np.array(kept, np.int64), clearance, hidden, dict(dropped))


def place_all(grasps: list[Grasp], obj: SimObject, poses: list[np.ndarray],
              config: PlacementConfig | None = None) -> list[Placement]:
    """:func:`place_grasps` for every stable pose (one compiled scene shared)."""
    config = config or PlacementConfig()
    checker = TableChecker(obj, config.physics)
    return [place_grasps(grasps, obj, pose, i, config, checker) for i, pose in enumerate(poses)]
