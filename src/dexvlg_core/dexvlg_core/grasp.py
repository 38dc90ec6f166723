"""The one grasp type of DexVLG: wrist pose, 22 joint angles in three postures, and what the grasp is for.

Frames and units: metres and radians; the wrist pose is the pose of the hand root (3.4 cm behind the palm along
the finger axis; fingers +z, palm -y, thumb side +x) in ``frame_id``. Joint arrays follow
``dexvlg_core.hand.joints.JOINT_NAMES``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from dexvlg_core.hand.joints import FINGER_NAMES, NUM_JOINTS
from dexvlg_core.rotations import (
    matrix_to_quat_xyzw,
    matrix_to_rot6d,
    quat_xyzw_to_matrix,
    rot6d_to_matrix,
    wxyz_to_xyzw,
    xyzw_to_wxyz,
)

STYLES = ("wrap", "pinch")
CONTACT_NAMES = (*FINGER_NAMES.values(), "palm")
FLAT_SIZE = 3 + 6 + NUM_JOINTS  # the model's layout: position, 6D rotation, joints
BODEX_SIZE = 3 + 4 + NUM_JOINTS  # interchange layout: position, quaternion (w, x, y, z), joints


def _joints(values: np.ndarray | None, name: str) -> np.ndarray | None:
    if values is None:
        return None
    array = np.asarray(values, dtype=np.float64).reshape(-1)
    if array.shape != (NUM_JOINTS,):
        raise ValueError(f"{name} needs {NUM_JOINTS} joint angles, got {array.size}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite joint angles")
    return array


@dataclass
class Grasp:
    """One Shadow Hand grasp. ``pregrasp``/``squeeze`` may be None: they are then derived when needed."""

    position: np.ndarray
    rotation: np.ndarray
    joints: np.ndarray
    pregrasp: np.ndarray | None = None
    squeeze: np.ndarray | None = None
    frame_id: str = ""
    object_id: str = ""
    part: str = ""
    style: str = ""
    contact_fingers: tuple[str, ...] = ()
    caption: str = ""
    score: float = float("nan")
    scores: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.position = np.asarray(self.position, dtype=np.float64).reshape(3)
        self.rotation = np.asarray(self.rotation, dtype=np.float64).reshape(3, 3)
        if not (np.all(np.isfinite(self.position)) and np.all(np.isfinite(self.rotation))):
            raise ValueError("grasp wrist pose contains NaN or infinite values")
        if not np.allclose(self.rotation @ self.rotation.T, np.eye(3), atol=1e-5):
            raise ValueError("grasp rotation is not orthonormal")
        self.joints = _joints(self.joints, "joints")
        self.pregrasp = _joints(self.pregrasp, "pregrasp")
        self.squeeze = _joints(self.squeeze, "squeeze")
        if self.style and self.style not in STYLES:
            raise ValueError(f"unknown grasp style {self.style!r}; expected one of {STYLES}")
        unknown = set(self.contact_fingers) - set(CONTACT_NAMES)
        if unknown:
            raise ValueError(f"unknown contact fingers {sorted(unknown)}; expected names from {CONTACT_NAMES}")
        self.contact_fingers = tuple(self.contact_fingers)

    @property
    def quat_xyzw(self) -> np.ndarray:
        """Wrist orientation as a ROS quaternion (x, y, z, w)."""
        return matrix_to_quat_xyzw(self.rotation)

    def squeeze_or_derived(self) -> np.ndarray:
        """Squeeze posture; when absent, 2 * grasp - pregrasp (the reference protocol), or the grasp itself."""
        if self.squeeze is not None:
            return self.squeeze
        if self.pregrasp is None:
            return self.joints.copy()
        return 2.0 * self.joints - self.pregrasp

    def to_flat(self) -> np.ndarray:
        """(31,) the model's layout: position (3), 6D rotation (6), grasp joints (22)."""
        return np.concatenate([self.position, matrix_to_rot6d(self.rotation), self.joints])

    @classmethod
    def from_flat(cls, flat: np.ndarray, **metadata: object) -> Grasp:
        """Inverse of :meth:`to_flat`; the 6D rotation is orthonormalized."""
        flat = np.asarray(flat, dtype=np.float64).reshape(-1)
        if flat.shape != (FLAT_SIZE,):
            raise ValueError(f"flat grasp needs {FLAT_SIZE} values, got {flat.size}")
        return cls(position=flat[:3], rotation=rot6d_to_matrix(flat[3:9]), joints=flat[9:], **metadata)

    def to_bodex(self) -> np.ndarray:
        """(3, 29) pregrasp, grasp, squeeze rows in the BODex interchange layout (quaternion w, x, y, z)."""
        root = np.concatenate([self.position, xyzw_to_wxyz(self.quat_xyzw)])
        pregrasp = self.pregrasp if self.pregrasp is not None else self.joints
        return np.stack([np.concatenate([root, q]) for q in (pregrasp, self.joints, self.squeeze_or_derived())])

    @classmethod
    def from_bodex(cls, rows: np.ndarray, **metadata: object) -> Grasp:
        """From (3, 29) pregrasp/grasp/squeeze rows, or one (29,) grasp row; the grasp row's root is used."""
        rows = np.asarray(rows, dtype=np.float64)
        rows = rows.reshape(1, -1) if rows.ndim == 1 else rows
        if rows.shape[-1] != BODEX_SIZE or rows.shape[0] not in (1, 3):
            raise ValueError(f"BODex grasp needs 1 or 3 rows of {BODEX_SIZE} values, got shape {rows.shape}")
        grasp_row = rows[0] if rows.shape[0] == 1 else rows[1]
        postures = {} if rows.shape[0] == 1 else {"pregrasp": rows[0, 7:], "squeeze": rows[2, 7:]}
        return cls(
            position=grasp_row[:3],
            rotation=quat_xyzw_to_matrix(wxyz_to_xyzw(grasp_row[3:7])),
            joints=grasp_row[7:],
            **postures,
            **metadata,
        )

    def transformed(self, pose: np.ndarray, frame_id: str | None = None) -> Grasp:
        """A copy whose wrist pose is moved by the 4x4 rigid transform ``pose`` (new frame <- grasp's frame)."""
        pose = np.asarray(pose, dtype=np.float64)
        return self.with_pose(pose[:3, :3] @ self.position + pose[:3, 3], pose[:3, :3] @ self.rotation, frame_id)

    def with_pose(self, position: np.ndarray, rotation: np.ndarray, frame_id: str | None = None) -> Grasp:
        """A copy with another wrist pose (e.g. moved into another frame)."""
        return replace(
            self, position=position, rotation=rotation, frame_id=self.frame_id if frame_id is None else frame_id
        )
