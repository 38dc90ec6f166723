"""How the Shadow Hand sits on the UR10e: ONE constant transform tool0 -> hand root.

The hand root frame is the hand model's root body (DESIGN.md: fingers +z, palm facing -y, thumb side +x).
The mounting puts the hand's forearm/finger axis (+z) along tool0 +z, i.e. straight out of the flange,
after an adapter of ``offset`` metres, turned by ``yaw`` about that axis. With yaw = 0 the palm faces
tool0 -y and the thumb side is tool0 +x.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from dexvlg_core.rotations import invert, rot_z, transform


@dataclass(frozen=True)
class HandMount:
    """tool0 -> hand root: translation ``offset`` (m) along tool0 z, then rotation ``yaw`` (rad) about z.

    offset is the adapter between the flange face and the hand model's root frame; 0.0-0.1 m for a hand model
    whose root is at its wrist/forearm mounting plate.
    """

    offset: float = 0.05
    yaw: float = 0.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.offset) and math.isfinite(self.yaw)):
            raise ValueError("HandMount: offset and yaw must be finite")

    def hand_in_tool0(self) -> np.ndarray:
        """4x4 pose of the hand root in tool0."""
        return transform(rot_z(self.yaw), [0.0, 0.0, self.offset])

    def pos_quat(self) -> tuple[np.ndarray, np.ndarray]:
        """(pos, quat w x y z) of the hand root in tool0, for MuJoCo."""
        half = 0.5 * self.yaw
        return np.array([0.0, 0.0, self.offset]), np.array([math.cos(half), 0.0, 0.0, math.sin(half)])

    def tool0_pose(self, hand_pose: np.ndarray) -> np.ndarray:
        """tool0 poses (..., 4, 4) that put the hand root at ``hand_pose`` (same frame)."""
        return np.asarray(hand_pose, dtype=float) @ invert(self.hand_in_tool0())

    def hand_pose(self, tool0_pose: np.ndarray) -> np.ndarray:
        """Hand root poses (..., 4, 4) for tool0 poses."""
        return np.asarray(tool0_pose, dtype=float) @ self.hand_in_tool0()


DEFAULT_MOUNT = HandMount()
