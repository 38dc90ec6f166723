"""Rotation representations used across DexVLG: matrices inside, (x, y, z, w) quaternions at ROS boundaries,
(w, x, y, z) in the BODex interchange format, and the continuous 6D form (first two matrix columns) for the model.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation


def matrix_to_quat_xyzw(rotation: np.ndarray) -> np.ndarray:
    """(..., 3, 3) rotation matrices -> (..., 4) unit quaternions (x, y, z, w) with w >= 0."""
    rotation = np.asarray(rotation, dtype=np.float64)
    quat = Rotation.from_matrix(rotation.reshape(-1, 3, 3)).as_quat()
    quat *= np.where(quat[:, 3:4] < 0.0, -1.0, 1.0)  # one canonical sign, so round trips compare equal
    return quat.reshape(rotation.shape[:-2] + (4,))


def quat_xyzw_to_matrix(quat: np.ndarray) -> np.ndarray:
    """(..., 4) quaternions (x, y, z, w), normalized here -> (..., 3, 3) rotation matrices."""
    quat = np.asarray(quat, dtype=np.float64)
    norms = np.linalg.norm(quat, axis=-1)
    if not np.all(np.isfinite(quat)) or np.any(norms < 1e-9):
        raise ValueError("quaternion must be finite and non-zero")
    return Rotation.from_quat(quat.reshape(-1, 4)).as_matrix().reshape(quat.shape[:-1] + (3, 3))


def xyzw_to_wxyz(quat: np.ndarray) -> np.ndarray:
    """Reorder quaternions from ROS (x, y, z, w) to (w, x, y, z)."""
    return np.roll(np.asarray(quat, dtype=np.float64), 1, axis=-1)


def wxyz_to_xyzw(quat: np.ndarray) -> np.ndarray:
    """Reorder quaternions from (w, x, y, z) to ROS (x, y, z, w)."""
    return np.roll(np.asarray(quat, dtype=np.float64), -1, axis=-1)


def matrix_to_rot6d(rotation: np.ndarray) -> np.ndarray:
    """(..., 3, 3) -> (..., 6): the first two columns, concatenated (column 0 then column 1)."""
    rotation = np.asarray(rotation, dtype=np.float64)
    return np.concatenate([rotation[..., :, 0], rotation[..., :, 1]], axis=-1)


def rot6d_to_matrix(rot6d: np.ndarray) -> np.ndarray:
    """(..., 6) -> (..., 3, 3) by Gram-Schmidt, so any network output maps to a valid rotation."""
    rot6d = np.asarray(rot6d, dtype=np.float64)
    a, b = rot6d[..., :3], rot6d[..., 3:]
    x = a / np.linalg.norm(a, axis=-1, keepdims=True)
    b = b - np.sum(x * b, axis=-1, keepdims=True) * x
    y = b / np.linalg.norm(b, axis=-1, keepdims=True)
    z = np.cross(x, y)
    return np.stack([x, y, z], axis=-1)
