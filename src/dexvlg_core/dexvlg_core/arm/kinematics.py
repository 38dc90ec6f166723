"""Forward kinematics of the UR10e (batched numpy): tool0, every link frame and the collision primitives."""

from __future__ import annotations

import numpy as np

from .ur10e import (
    BASE_INERTIA_LINK,
    BASE_LINK_T_BASE,
    LINK_NAMES,
    LINK_SHAPES,
    NUM_JOINTS,
    UR10E_DH,
    LinkShape,
    URDHParams,
)

# Frames returned by link_frames(), in order.
FRAME_NAMES: tuple[str, ...] = (BASE_INERTIA_LINK, *LINK_NAMES)


def _as_q(q: np.ndarray) -> np.ndarray:
    q = np.asarray(q, dtype=float)
    if q.shape[-1] != NUM_JOINTS:
        raise ValueError(f"expected joint arrays (..., {NUM_JOINTS}), got shape {q.shape}")
    return q


def dh_matrices(q: np.ndarray, params: URDHParams = UR10E_DH) -> np.ndarray:
    """Per-joint standard DH transforms A_i = Rz(q_i) Tz(d_i) Tx(a_i) Rx(alpha_i), shape (..., 6, 4, 4)."""
    q = _as_q(q)
    c, s = np.cos(q), np.sin(q)
    ca, sa = np.cos(params.alpha), np.sin(params.alpha)
    a, d = params.a, params.d
    out = np.zeros((*q.shape, 4, 4))
    out[..., 0, 0] = c
    out[..., 0, 1] = -s * ca
    out[..., 0, 2] = s * sa
    out[..., 0, 3] = a * c
    out[..., 1, 0] = s
    out[..., 1, 1] = c * ca
    out[..., 1, 2] = -c * sa
    out[..., 1, 3] = a * s
    out[..., 2, 1] = sa
    out[..., 2, 2] = ca
    out[..., 2, 3] = d
    out[..., 3, 3] = 1.0
    return out


def fk_dh(q: np.ndarray, params: URDHParams = UR10E_DH) -> np.ndarray:
    """Pose of tool0 in the controller's ``base`` frame (the DH base), shape (..., 4, 4).

    Closed form (equal to the product of dh_matrices, ~10x faster batched): joints 2-4 turn about
    z1 = (s1, -c1, 0), so frames 4-6 are written in frame 1 with q234 = q2 + q3 + q4 and then rotated by q1.
    """
    q = _as_q(q)
    s1, c1 = np.sin(q[..., 0]), np.cos(q[..., 0])
    q23 = q[..., 1] + q[..., 2]
    q234 = q23 + q[..., 3]
    s234, c234 = np.sin(q234), np.cos(q234)
    s5, c5 = np.sin(q[..., 4]), np.cos(q[..., 4])
    s6, c6 = np.sin(q[..., 5]), np.cos(q[..., 5])
    p = params
    c5c234, c5s234 = c5 * c234, c5 * s234
    # Axes and origin of tool0 in frame 1 (x1 = (c1, s1, 0), y1 = (0, 0, 1), z1 = (s1, -c1, 0)).
    x = (c6 * c5c234 - s6 * s234, c6 * c5s234 + s6 * c234, c6 * s5)
    y = (-s6 * c5c234 - c6 * s234, -s6 * c5s234 + c6 * c234, -s6 * s5)
    z = (-s5 * c234, -s5 * s234, c5)
    o = (
        p.a2 * np.cos(q[..., 1]) + p.a3 * np.cos(q23) + p.d5 * s234 - p.d6 * s5 * c234,
        p.a2 * np.sin(q[..., 1]) + p.a3 * np.sin(q23) - p.d5 * c234 - p.d6 * s5 * s234,
        p.d4 + p.d6 * c5,
    )
    out = np.zeros((*q.shape[:-1], 4, 4))
    for col, v in enumerate((x, y, z, o)):
        out[..., 0, col] = c1 * v[0] + s1 * v[2]
        out[..., 1, col] = s1 * v[0] - c1 * v[2]
        out[..., 2, col] = v[1]
    out[..., 2, 3] += p.d1
    out[..., 3, 3] = 1.0
    return out


def fk(
    q: np.ndarray,
    *,
    params: URDHParams = UR10E_DH,
    tcp: np.ndarray | None = None,
    base_pose: np.ndarray | None = None,
) -> np.ndarray:
    """Pose of tool0 (or of ``tcp``, given as tool0 -> TCP) in base_link (or in the world, given base_pose).

    base_pose is world -> base_link. Shapes: q (..., 6) -> (..., 4, 4).
    """
    pose = fk_dh(q, params)
    # base_link -> base is Rz(pi): negate the first two rows instead of a matmul.
    pose[..., :2, :] *= -1.0
    if tcp is not None:
        pose = pose @ np.asarray(tcp, dtype=float)
    if base_pose is not None:
        pose = np.asarray(base_pose, dtype=float) @ pose
    return pose


def link_frames(q: np.ndarray, params: URDHParams = UR10E_DH) -> np.ndarray:
    """Poses in base_link of FRAME_NAMES (base_link_inertia, shoulder_link .. wrist_3_link): (..., 7, 4, 4).

    Link i's frame is DH frame i-1 followed by Rz(q_i) Tz(d_i) (ur_description's link frames);
    wrist_3_link coincides with tool0.
    """
    q = _as_q(q)
    mats = dh_matrices(q, params)
    out = np.empty((*q.shape[:-1], NUM_JOINTS + 1, 4, 4))
    dh_prev = np.broadcast_to(BASE_LINK_T_BASE, (*q.shape[:-1], 4, 4))
    out[..., 0, :, :] = dh_prev
    for i in range(NUM_JOINTS):
        partial = np.zeros((*q.shape[:-1], 4, 4))  # Rz(q_i) Tz(d_i)
        partial[..., :2, :2] = _rz(q[..., i])
        partial[..., 2, 2] = 1.0
        partial[..., 2, 3] = params.d[i]
        partial[..., 3, 3] = 1.0
        out[..., i + 1, :, :] = dh_prev @ partial
        dh_prev = dh_prev @ mats[..., i, :, :]
    return out


def _rz(angle: np.ndarray) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.stack([np.stack([c, -s], -1), np.stack([s, c], -1)], -2)


def collision_capsules(
    q: np.ndarray,
    shapes: tuple[LinkShape, ...] = LINK_SHAPES,
    params: URDHParams = UR10E_DH,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Segment end points (..., S, 3) x 2 and radii (S,) of the arm's collision primitives in base_link.

    Cylinders are returned as capsules (slightly conservative), for fast arm-vs-scene distance checks.
    """
    frames = link_frames(q, params)
    index = {name: i for i, name in enumerate(FRAME_NAMES)}
    link_idx = np.array([index[s.link] for s in shapes])
    p0 = np.array([s.p0 for s in shapes], dtype=float)
    p1 = np.array([s.p1 for s in shapes], dtype=float)
    sel = frames[..., link_idx, :, :]
    rot, trans = sel[..., :3, :3], sel[..., :3, 3]
    w0 = np.einsum("...ij,...j->...i", rot, p0) + trans
    w1 = np.einsum("...ij,...j->...i", rot, p1) + trans
    return w0, w1, np.array([s.radius for s in shapes])

