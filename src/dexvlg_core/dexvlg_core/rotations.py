"""Rotations and rigid transforms used across DexVLG, in one place.

Matrices inside; (x, y, z, w) quaternions at ROS boundaries; (w, x, y, z) in MuJoCo and the BODex interchange
format; the continuous 6D form (first two matrix columns) for the model; 4x4 homogeneous transforms for poses.
"""

from __future__ import annotations

import warnings

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


def rot_x(angle: float) -> np.ndarray:
    """Rotation matrix about x."""
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def rot_z(angle: float) -> np.ndarray:
    """Rotation matrix about z."""
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def rpy_matrix(roll: float, pitch: float, yaw: float) -> np.ndarray:
    """URDF roll-pitch-yaw (fixed axes x, y, z): R = Rz(yaw) Ry(pitch) Rx(roll)."""
    return Rotation.from_euler("xyz", [roll, pitch, yaw]).as_matrix()


def transform(rotation: np.ndarray | None = None, translation=None) -> np.ndarray:
    """4x4 homogeneous transform from a rotation matrix and a translation."""
    out = np.eye(4)
    if rotation is not None:
        out[:3, :3] = rotation
    if translation is not None:
        out[:3, 3] = translation
    return out


def invert(pose: np.ndarray) -> np.ndarray:
    """Inverse of rigid transforms (..., 4, 4) without a general matrix inverse."""
    pose = np.asarray(pose, dtype=float)
    out = np.zeros_like(pose)
    rot_t = np.swapaxes(pose[..., :3, :3], -1, -2)
    out[..., :3, :3] = rot_t
    out[..., :3, 3] = -np.einsum("...ij,...j->...i", rot_t, pose[..., :3, 3])
    out[..., 3, 3] = 1.0
    return out


def matrix_to_quat_wxyz(rotation: np.ndarray) -> np.ndarray:
    """(..., 3, 3) rotation matrices -> (..., 4) quaternions (w, x, y, z), MuJoCo's order, with w >= 0."""
    return xyzw_to_wxyz(matrix_to_quat_xyzw(rotation))


def quat_wxyz_to_matrix(quat: np.ndarray) -> np.ndarray:
    """(..., 4) quaternions (w, x, y, z), normalized here -> (..., 3, 3) rotation matrices."""
    return quat_xyzw_to_matrix(wxyz_to_xyzw(quat))


def rpy_of(rotation: np.ndarray) -> np.ndarray:
    """URDF roll-pitch-yaw of a rotation matrix (inverse of rpy_matrix)."""
    with warnings.catch_warnings():
        # At pitch = +-pi/2 scipy warns and sets yaw = 0; the returned angles still reproduce the matrix.
        warnings.simplefilter("ignore", UserWarning)
        return Rotation.from_matrix(rotation).as_euler("xyz")


def rotation_angle_between(rot_a: np.ndarray, rot_b: np.ndarray) -> np.ndarray:
    """Angle (rad) of rot_a^T rot_b, batched; accurate for tiny angles (unlike acos of the trace)."""
    frob = np.linalg.norm(np.asarray(rot_a) - np.asarray(rot_b), axis=(-2, -1))
    # ||Ra - Rb||_F = 2 sqrt(2) sin(theta / 2)
    return 2.0 * np.arcsin(np.clip(frob / (2.0 * np.sqrt(2.0)), 0.0, 1.0))


def wrap_to_pi(angle: np.ndarray) -> np.ndarray:
    """Wrap angles to [-pi, pi)."""
    return (np.asarray(angle) + np.pi) % (2.0 * np.pi) - np.pi
