"""Small rigid-transform helpers for the arm package (batched where it matters)."""

from __future__ import annotations

import warnings

import numpy as np
from scipy.spatial.transform import Rotation


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


def quat_wxyz(rotation: np.ndarray) -> np.ndarray:
    """Quaternion (w, x, y, z) of a rotation matrix (MuJoCo order)."""
    x, y, z, w = Rotation.from_matrix(rotation).as_quat()
    return np.array([w, x, y, z])


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
