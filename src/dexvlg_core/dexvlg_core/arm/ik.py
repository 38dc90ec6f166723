"""Analytic inverse kinematics of the UR10e: every solution (up to 8), batched over poses, with reasons.

Geometry used (standard DH, see ur10e.py): joints 2-4 are parallel to z1 = (sin q1, -cos q1, 0), so
1. the wrist centre p5 = p - d6 z6 has component d4 along z1        -> two q1 (shoulder branch);
2. the tool axis z6 has component cos q5 along z1                   -> two q5 (wrist branch);
3. the tool x/y axes' components along z1 give q6 (free at the wrist singularity sin q5 = 0);
4. frame 4's origin in the arm plane is a planar 2R problem (a2, a3) -> two q3 (elbow branch), then q2, q4.

Branch index b = 4 * shoulder + 2 * wrist + elbow, where shoulder 0/1 takes the +/- square root in q1,
wrist 0/1 gives sin q5 >= 0 / <= 0 and elbow 0/1 gives q3 >= 0 / <= 0.
Pure numpy, batched. (The PyPI package ur-analytic-ik is correct but solves one pose per call, without
joint-limit wrapping or failure reasons; the benchmark times it as a reference when it is installed.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from dexvlg_core.rotations import invert, rotation_angle_between, wrap_to_pi

from .kinematics import fk_dh
from .ur10e import DEFAULT_LIMITS, NUM_JOINTS, UR10E_DH, JointLimits, URDHParams

NUM_BRANCHES = 8
# Numerical slack: a target this close to a workspace boundary is snapped onto it rather than rejected.
_LENGTH_EPS = 1e-10  # m, base-column boundary
_COS_EPS = 1e-9  # on cos(q3), i.e. < 1e-9 m on the shoulder-wrist distance
_SIN5_SINGULAR = 1e-9  # |sin q5| below which q6 is taken from the seed (wrist singularity)
_LIMIT_EPS = 1e-9  # rad
_DUPLICATE_EPS = 1e-6  # rad: closer solutions are one solution met from two branches at a singularity
_NEAR_SINGULAR = 1e-5  # root (m), |sin q5| and |q3| or pi - |q3| (rad) below which branches may coincide


class IKStatus(IntEnum):
    """Per-pose outcome; anything but OK comes with an empty solution set."""

    OK = 0
    INVALID_POSE = 1  # not a finite rigid transform
    IN_BASE_COLUMN = 2  # wrist centre closer than d4 to the base axis
    OUT_OF_REACH = 3  # wrist centre farther from the shoulder than |a2| + |a3|
    TOO_CLOSE = 4  # wrist centre closer to the shoulder than ||a2| - |a3||
    JOINT_LIMITS = 5  # kinematic solutions exist but none within the joint limits
    NUMERICAL = 6  # solutions failed the forward-kinematics check (should not happen)


@dataclass(frozen=True)
class IKResult:
    """IK solutions for N poses. Invalid rows of q are NaN; with a seed, rows are sorted closest first."""

    q: np.ndarray  # (N, 8, 6) joint solutions within the limits
    valid: np.ndarray  # (N, 8) bool
    branch: np.ndarray  # (N, 8) branch index of each row (see module doc)
    status: np.ndarray  # (N,) IKStatus codes
    axis_distance: np.ndarray  # (N,) wrist centre distance from the base axis (m)
    reach: np.ndarray  # (N, 4) shoulder-to-wrist distance per (shoulder, wrist) branch (m)
    num_kinematic: np.ndarray  # (N,) solutions before the joint-limit check
    params: URDHParams = UR10E_DH

    def __len__(self) -> int:
        return len(self.status)

    @property
    def ok(self) -> np.ndarray:
        return self.status == IKStatus.OK

    @property
    def num_solutions(self) -> np.ndarray:
        return self.valid.sum(axis=1)

    def solutions(self, i: int = 0) -> np.ndarray:
        """Valid solutions (k, 6) of pose i; k = 0 when unreachable."""
        return self.q[i][self.valid[i]]

    def best(self) -> np.ndarray:
        """(N, 6): the first valid row per pose (closest to the seed when one was given); NaN if none."""
        first = np.argmax(self.valid, axis=1)
        out = self.q[np.arange(len(self)), first].copy()
        out[~self.valid.any(axis=1)] = np.nan
        return out

    def reason(self, i: int = 0) -> str:
        """Why pose i has no solution ("" when it has)."""
        status = IKStatus(int(self.status[i]))
        p = self.params
        if status == IKStatus.OK:
            return ""
        if status == IKStatus.INVALID_POSE:
            return "invalid pose: not a finite rigid transform (orthonormal rotation, det +1)"
        if status == IKStatus.IN_BASE_COLUMN:
            return (
                f"unreachable: wrist centre is {self.axis_distance[i]:.4f} m from the base axis, closer than "
                f"d4 = {p.d4:.4f} m (target inside the base column)"
            )
        if status == IKStatus.OUT_OF_REACH:
            return (
                f"unreachable: wrist centre is {np.nanmin(self.reach[i]):.4f} m from the shoulder, "
                f"beyond the arm's reach |a2| + |a3| = {p.max_reach:.4f} m"
            )
        if status == IKStatus.TOO_CLOSE:
            return (
                f"unreachable: wrist centre is {np.nanmax(self.reach[i]):.4f} m from the shoulder, "
                f"closer than the elbow allows (||a2| - |a3|| = {p.min_reach:.4f} m)"
            )
        if status == IKStatus.JOINT_LIMITS:
            return f"all {int(self.num_kinematic[i])} kinematic solutions violate the joint limits"
        return "numerical failure: no solution passed the forward-kinematics check"


def solve_ik(
    pose: np.ndarray,
    *,
    seed: np.ndarray | None = None,
    limits: JointLimits = DEFAULT_LIMITS,
    params: URDHParams = UR10E_DH,
    tcp: np.ndarray | None = None,
    base_pose: np.ndarray | None = None,
    verify: bool = True,
    tol: float = 1e-6,
) -> IKResult:
    """All IK solutions for tool0 poses in base_link, shape (4, 4) or (N, 4, 4).

    seed (6,) or (N, 6): each joint's 2 pi-equivalent closest to the seed is chosen and solutions are sorted
    by distance to it; it also fixes q6 at the wrist singularity. Without a seed, the equivalent closest to
    the middle of the limits is chosen and rows stay in branch order.
    tcp: tool0 -> TCP transform when ``pose`` is a TCP pose (e.g. the hand root, see HandMount).
    base_pose: world -> base_link when ``pose`` is in the world frame.
    verify: drop any solution whose FK misses the target by more than tol (m and rad).
    """
    target = np.asarray(pose, dtype=float).reshape(-1, 4, 4)
    if base_pose is not None:
        target = invert(base_pose) @ target
    if tcp is not None:
        target = target @ invert(tcp)
    target = target.copy()
    target[:, :2, :] *= -1.0  # base_link -> controller base (Rz(pi))
    n = len(target)
    lower, upper = limits.lower_array, limits.upper_array
    ref = _reference(seed, n, lower, upper)

    pose_ok = _is_rigid(target)
    target[~pose_ok] = np.eye(4)  # keep the arithmetic finite; these rows are rejected below
    q, valid, far, close, column, axis_dist, reach, near_singular = _raw_solutions(target, params, ref[:, 5])
    valid &= pose_ok[:, None]
    valid &= ~_duplicates(q, valid, near_singular)
    num_kinematic = valid.sum(axis=1)

    q, in_limits = _apply_limits(q, ref, lower, upper)
    valid_lim = valid & in_limits
    final = valid_lim.copy()
    if verify:
        check = fk_dh(q, params)
        pos_err = np.linalg.norm(check[..., :3, 3] - target[:, None, :3, 3], axis=-1)
        rot_err = rotation_angle_between(check[..., :3, :3], target[:, None, :3, :3])
        final &= (pos_err <= tol) & (rot_err <= tol)

    status = np.full(n, IKStatus.NUMERICAL, dtype=np.int8)
    status[final.any(axis=1)] = IKStatus.OK
    none = ~final.any(axis=1)
    status[none & (num_kinematic > 0) & ~valid_lim.any(axis=1)] = IKStatus.JOINT_LIMITS
    unreachable = none & (num_kinematic == 0)
    status[unreachable & close] = IKStatus.TOO_CLOSE
    status[unreachable & far] = IKStatus.OUT_OF_REACH
    status[none & column] = IKStatus.IN_BASE_COLUMN
    status[~pose_ok] = IKStatus.INVALID_POSE

    branch = np.broadcast_to(np.arange(NUM_BRANCHES), (n, NUM_BRANCHES))
    if seed is not None:
        cost = np.where(final, np.sum((q - ref[:, None, :]) ** 2, axis=-1), np.inf)
        order = np.argsort(cost, axis=1, kind="stable")
        q = np.take_along_axis(q, order[..., None], axis=1)
        final = np.take_along_axis(final, order, axis=1)
        branch = np.take_along_axis(branch, order, axis=1)
    q = np.where(final[..., None], q, np.nan)
    return IKResult(q, final, np.array(branch), status, axis_dist, reach, num_kinematic, params)


def ik_closest(pose: np.ndarray, seed: np.ndarray, **kwargs) -> tuple[np.ndarray, np.ndarray]:
    """The solution closest to ``seed`` per pose: (q (N, 6) or (6,), ok (N,) or ()); NaN rows where none."""
    single = np.ndim(pose) == 2
    result = solve_ik(pose, seed=seed, **kwargs)
    best, ok = result.best(), result.ok
    return (best[0], ok[0]) if single else (best, ok)


def _reference(seed: np.ndarray | None, n: int, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    if seed is None:
        return np.broadcast_to((lower + upper) / 2.0, (n, NUM_JOINTS)).copy()
    seed = np.asarray(seed, dtype=float)
    if seed.shape[-1] != NUM_JOINTS:
        raise ValueError(f"seed must have shape (6,) or (N, 6), got {seed.shape}")
    return np.broadcast_to(seed, (n, NUM_JOINTS)).copy()


def _is_rigid(target: np.ndarray) -> np.ndarray:
    finite = np.isfinite(target).all(axis=(1, 2))
    rot = np.where(finite[:, None, None], target[:, :3, :3], np.eye(3))
    ortho = np.abs(np.swapaxes(rot, 1, 2) @ rot - np.eye(3)).max(axis=(1, 2)) < 1e-6
    bottom_ok = np.abs(target[:, 3] - [0.0, 0.0, 0.0, 1.0]).max(axis=1) < 1e-9
    return finite & ortho & (np.linalg.det(rot) > 0) & bottom_ok


def _raw_solutions(target: np.ndarray, p: URDHParams, q6_free: np.ndarray):
    """The 8 branch solutions in (-pi, pi] of DH-base tool0 poses, plus reachability diagnostics."""
    x6, y6, z6, pos = target[:, :3, 0], target[:, :3, 1], target[:, :3, 2], target[:, :3, 3]

    # 1. Shoulder: the wrist centre lies d4 off the arm plane, along z1.
    p5 = pos - p.d6 * z6
    axis_dist = np.hypot(p5[:, 0], p5[:, 1])
    column = axis_dist < p.d4 - _LENGTH_EPS
    root = np.sqrt(np.clip(axis_dist**2 - p.d4**2, 0.0, None))
    q1 = np.arctan2(p5[:, 1], p5[:, 0])[:, None] + np.arctan2(p.d4, np.stack([root, -root], axis=1))
    s1, c1 = np.sin(q1), np.cos(q1)  # (N, 2)

    # 2./3. Wrist: components of the tool axes along z1 = (s1, -c1, 0).
    def along_z1(axis: np.ndarray) -> np.ndarray:
        return axis[:, None, 0] * s1 - axis[:, None, 1] * c1

    c5, hx, hy = along_z1(z6), along_z1(x6), along_z1(y6)  # hx = cos q6 sin q5, hy = -sin q6 sin q5
    s5_abs = np.hypot(hx, hy)
    sign = np.array([1.0, -1.0])
    s5 = s5_abs[..., None] * sign  # (N, 2, 2)
    c5 = np.broadcast_to(c5[..., None], s5.shape)
    q5 = np.arctan2(s5, c5)
    singular = (s5_abs < _SIN5_SINGULAR)[..., None]
    q6 = np.where(singular, q6_free[:, None, None], np.arctan2(-sign * hy[..., None], sign * hx[..., None]))
    s6, c6 = np.sin(q6), np.cos(q6)

    # 4. Frame 4: origin p4 = p5 + d5 (sin q6 x6 + cos q6 y6); x4 = R [c5 c6, -c5 s6, -s5].
    def combo(a: np.ndarray, b: np.ndarray, c: np.ndarray | None = None) -> np.ndarray:
        out = a[..., None] * x6[:, None, None] + b[..., None] * y6[:, None, None]
        return out if c is None else out + c[..., None] * z6[:, None, None]

    p4 = p5[:, None, None] + p.d5 * combo(s6, c6)
    x4 = combo(c5 * c6, -c5 * s6, -s5)
    c1b, s1b = c1[..., None], s1[..., None]
    px = c1b * p4[..., 0] + s1b * p4[..., 1]  # in frame 1: x1 = (c1, s1, 0), y1 = (0, 0, 1)
    py = p4[..., 2] - p.d1
    q234 = np.arctan2(x4[..., 2], c1b * x4[..., 0] + s1b * x4[..., 1])

    reach2 = px**2 + py**2
    cos3 = (reach2 - p.a2**2 - p.a3**2) / (2.0 * p.a2 * p.a3)
    reach_ok = np.abs(cos3) <= 1.0 + _COS_EPS  # (N, 2, 2); a2 a3 > 0, so cos3 > 1 means too far
    # Two branches can only meet (within _DUPLICATE_EPS) where q1, q5 or q3 is (nearly) a double root.
    near_singular = (
        (root < _NEAR_SINGULAR)
        | np.any(s5_abs < _NEAR_SINGULAR, axis=1)
        | np.any(np.abs(cos3) > 1.0 - _NEAR_SINGULAR**2, axis=(1, 2))
    )
    far = np.any(cos3 > 1.0 + _COS_EPS, axis=(1, 2))
    close = np.any(cos3 < -1.0 - _COS_EPS, axis=(1, 2))
    cos3 = np.clip(cos3, -1.0, 1.0)
    q3 = np.arccos(cos3)[..., None] * sign  # (N, 2, 2, 2)
    q2 = np.arctan2(py, px)[..., None] - np.arctan2(p.a3 * np.sin(q3), p.a2 + p.a3 * cos3[..., None])
    q4 = q234[..., None] - q2 - q3

    shape = q3.shape
    q = np.stack(
        [
            np.broadcast_to(q1[:, :, None, None], shape),
            q2,
            q3,
            q4,
            np.broadcast_to(q5[..., None], shape),
            np.broadcast_to(q6[..., None], shape),
        ],
        axis=-1,
    ).reshape(-1, NUM_BRANCHES, NUM_JOINTS)
    q = -wrap_to_pi(-q)  # into (-pi, pi]
    valid = np.broadcast_to((reach_ok & ~column[:, None, None])[..., None], shape).reshape(-1, NUM_BRANCHES)
    valid = valid.copy()
    return q, valid, far, close, column, axis_dist, np.sqrt(reach2).reshape(-1, 4), near_singular


def _duplicates(q: np.ndarray, valid: np.ndarray, near_singular: np.ndarray) -> np.ndarray:
    """Rows equal (mod 2 pi) to an earlier valid row: branches that meet at a singularity.

    Only near-singular poses can have such rows, so only those are compared (all 8 x 8 pairs).
    """
    dup = np.zeros_like(valid)
    rows = np.flatnonzero(near_singular)
    if len(rows):
        sub_q, sub_valid = q[rows], valid[rows]
        diff = np.abs(wrap_to_pi(sub_q[:, :, None, :] - sub_q[:, None, :, :])).max(axis=-1)
        earlier = np.triu(np.ones((NUM_BRANCHES, NUM_BRANCHES), dtype=bool), 1)  # [i, j]: i < j
        dup[rows] = ((diff < _DUPLICATE_EPS) & sub_valid[:, :, None] & earlier).any(axis=1)
    return dup


def _apply_limits(q: np.ndarray, ref: np.ndarray, lower: np.ndarray, upper: np.ndarray):
    """Per joint, the 2 pi-equivalent within the limits closest to ref; flags rows with no such value.

    The equivalent nearest ref overall is within pi of it; if it lies outside the limits, the closest one
    inside (if any) is the next one towards the interval, one turn away.
    """
    two_pi = 2.0 * math.pi
    ref = ref[:, None, :]
    nearest = q + two_pi * np.round((ref - q) / two_pi)
    shifted = np.where(nearest < lower - _LIMIT_EPS, nearest + two_pi, nearest)
    shifted = np.where(nearest > upper + _LIMIT_EPS, nearest - two_pi, shifted)
    inside = (shifted >= lower - _LIMIT_EPS) & (shifted <= upper + _LIMIT_EPS)
    return np.clip(shifted, lower, upper), inside.all(axis=-1)
