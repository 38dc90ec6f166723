"""UR10e analytic IK: round trips on 10,000 poses, unreachable poses, singularities, joint limits."""

import math

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from dexvlg_core.arm import (
    DEFAULT_LIMITS,
    UR10E_DH,
    IKStatus,
    JointLimits,
    URDHParams,
    fk,
    ik_closest,
    solve_ik,
)
from dexvlg_core.arm.kinematics import dh_matrices
from dexvlg_core.arm.mount import HandMount
from dexvlg_core.rotations import rotation_angle_between, wrap_to_pi

N_POSES = 10_000


def _random_q(n, seed=0, limits=DEFAULT_LIMITS):
    return np.random.default_rng(seed).uniform(limits.lower_array, limits.upper_array, (n, 6))


def _pose(position, rotation=None):
    out = np.eye(4)
    out[:3, :3] = np.eye(3) if rotation is None else rotation
    out[:3, 3] = position
    return out


def _assert_round_trip(result, targets, tol=1e-6):
    """Every valid solution reproduces its target in position (m) and rotation (rad)."""
    q = np.where(result.valid[..., None], result.q, 0.0)
    poses = fk(q)
    pos_err = np.linalg.norm(poses[..., :3, 3] - targets[:, None, :3, 3], axis=-1)
    rot_err = rotation_angle_between(poses[..., :3, :3], targets[:, None, :3, :3])
    assert np.max(np.where(result.valid, pos_err, 0.0)) < tol
    assert np.max(np.where(result.valid, rot_err, 0.0)) < tol
    assert not np.isnan(result.q[result.valid]).any()


@pytest.fixture(scope="module")
def random_round_trip():
    q = _random_q(N_POSES)
    targets = fk(q)
    return q, targets, solve_ik(targets, verify=False)


def test_fk_of_ik_is_identity_on_10000_poses(random_round_trip):
    _, targets, result = random_round_trip
    assert result.ok.all()
    assert result.num_solutions.min() >= 1
    _assert_round_trip(result, targets)


def test_generating_config_is_among_solutions(random_round_trip):
    q, _, result = random_round_trip
    diff = np.abs(wrap_to_pi(result.q - q[:, None, :])).max(axis=-1)
    diff = np.where(result.valid, diff, np.inf)
    assert np.all(diff.min(axis=1) < 1e-6)


def test_seed_selects_the_generating_config_exactly(random_round_trip):
    q, targets, _ = random_round_trip
    best, ok = ik_closest(targets[:2000], q[:2000])
    assert ok.all()
    # Not only modulo 2 pi: the seed picks the same turn of every joint.
    assert np.abs(best - q[:2000]).max() < 1e-6


def test_solutions_are_distinct_and_within_limits(random_round_trip):
    _, _, result = random_round_trip
    assert DEFAULT_LIMITS.contains(result.q[result.valid]).all()
    for i in range(200):
        sols = result.solutions(i)
        diff = np.abs(wrap_to_pi(sols[:, None] - sols[None])).max(axis=-1)
        assert np.all(diff[np.triu_indices(len(sols), 1)] > 1e-6)
    # A generic pose of the UR10e has 8 solutions (elbow up to +-pi allows all of them in principle).
    assert np.bincount(result.num_solutions, minlength=9)[8] > 0.5 * N_POSES


def test_verify_keeps_all_correct_solutions(random_round_trip):
    _, targets, result = random_round_trip
    verified = solve_ik(targets[:1000])
    np.testing.assert_array_equal(verified.valid, result.valid[:1000])


def test_far_pose_is_unreachable_with_reason():
    result = solve_ik(_pose([3.0, 0.5, 0.4]))
    assert result.status[0] == IKStatus.OUT_OF_REACH
    assert result.solutions().shape == (0, 6)
    assert not result.valid.any()
    assert "reach" in result.reason()


def test_pose_inside_base_column_is_unreachable_with_reason():
    # Tool pointing down above the base: the wrist centre is on the base axis, closer than d4.
    down = Rotation.from_euler("x", math.pi).as_matrix()
    result = solve_ik(_pose([0.02, -0.03, 0.4], down))
    assert result.status[0] == IKStatus.IN_BASE_COLUMN
    assert result.solutions().shape == (0, 6)
    assert "base column" in result.reason()
    assert result.axis_distance[0] < UR10E_DH.d4


def test_wrist_too_close_to_shoulder_is_rejected():
    # An arm with very unequal links has a hole around the shoulder; poses there have no solution.
    params = URDHParams(d1=0.18, a2=-0.6, a3=-0.2, d4=0.17, d5=0.12, d6=0.12)
    rng = np.random.default_rng(7)
    rot = Rotation.random(500, random_state=8).as_matrix()
    poses = np.tile(np.eye(4), (500, 1, 1))
    poses[:, :3, :3] = rot
    # Wrist centre 0.2-0.26 m from the base axis (outside the d4 column) at shoulder height.
    wrist_centre = rng.uniform([0.2, -0.02, 0.14], [0.26, 0.02, 0.22], (500, 3))
    poses[:, :3, 3] = wrist_centre + params.d6 * rot[:, :, 2]
    result = solve_ik(poses, params=params, limits=JointLimits.full_range())
    close = result.status == IKStatus.TOO_CLOSE
    assert close.sum() > 10
    assert not result.valid[close].any()
    assert "closer than the elbow" in result.reason(int(np.argmax(close)))


def test_mixed_batch_reports_per_pose():
    q = _random_q(3, seed=3)
    poses = np.concatenate([fk(q), _pose([5.0, 0.0, 0.0])[None], np.full((1, 4, 4), np.nan)])
    result = solve_ik(poses)
    assert list(result.status) == [IKStatus.OK] * 3 + [IKStatus.OUT_OF_REACH, IKStatus.INVALID_POSE]
    assert result.reason(0) == "" and "invalid" in result.reason(4)
    assert result.solutions(3).shape == (0, 6)


def test_non_rigid_matrices_are_invalid_row_by_row():
    poses = fk(np.zeros((4, 6)))
    poses[1, :3, :3] *= 1.1  # scaled
    poses[2, 3, 0] = 0.5  # not a homogeneous transform
    poses[3, :3, 0] *= -1.0  # reflection
    result = solve_ik(poses)
    assert list(result.status) == [IKStatus.OK] + [IKStatus.INVALID_POSE] * 3


@pytest.mark.parametrize(
    ("q", "expected_count"),
    [
        ((0.4, -1.2, 1.1, -0.5, 0.0, 0.3), 6),  # wrist singular (q5 = 0): two wrist branches meet
        ((0.4, -1.2, 1.1, -0.5, math.pi, 0.3), 6),  # wrist singular: q5 = pi
        ((0.4, -1.2, 0.0, -0.5, 1.0, 0.3), 1),  # elbow singular: arm stretched on its outer reach boundary
        ((0.4, -math.pi / 2, 0.0, math.pi / 2, 0.7, 0.3), 3),  # straight up: shoulder + elbow singular
        ((0.4, -math.pi / 2, 0.0, math.pi / 2, 0.0, 0.3), 3),  # all three at once
    ],
)
def test_singular_configurations_give_valid_distinct_solutions(q, expected_count):
    target = fk(np.array(q))
    result = solve_ik(target, seed=np.array(q))
    assert result.ok[0]
    _assert_round_trip(result, target[None])
    # Branches that meet at the singularity are reported once.
    sols = result.solutions()
    diff = np.abs(wrap_to_pi(sols[:, None] - sols[None])).max(axis=-1)
    assert np.all(diff[np.triu_indices(len(sols), 1)] > 1e-6)
    assert len(sols) == expected_count
    # The seed resolves the free joints, so the generating configuration comes back first.
    assert np.abs(result.best()[0] - q).max() < 1e-6


def test_joint_limits_are_respected_and_reported():
    q = _random_q(2000, seed=4)
    targets = fk(q)
    narrow = JointLimits(lower=(-1.0, -2.5, -1.0, -3.0, -1.5, -1.0), upper=(1.0, 0.0, 1.0, 0.0, 1.5, 1.0))
    result = solve_ik(targets, limits=narrow)
    assert narrow.contains(result.q[result.valid]).all()
    assert result.ok.any() and not result.ok.all()
    limited = int(np.argmax(result.status == IKStatus.JOINT_LIMITS))
    assert result.status[limited] == IKStatus.JOINT_LIMITS and "joint limits" in result.reason(limited)
    _assert_round_trip(result, targets)


def test_wrapping_brings_solutions_into_limits():
    # q1 = 5.5 rad is outside (-pi, pi]; the 2 pi-equivalent in the limits comes back when seeded near it.
    q = np.array([5.5, -1.0, 1.2, -1.5, -1.4, -5.0])
    target = fk(q)
    best, ok = ik_closest(target, q + 0.05)
    assert ok and np.abs(best - q).max() < 1e-6
    # Limits that exclude both turns of q1 leave no solution with that q1.
    tight = JointLimits(lower=(-0.5, *DEFAULT_LIMITS.lower[1:]), upper=(0.5, *DEFAULT_LIMITS.upper[1:]))
    result = solve_ik(target, limits=tight)
    assert np.all(np.abs(result.solutions()[:, 0]) <= 0.5 + 1e-9)


def test_hand_root_and_world_frame_targets():
    mount = HandMount(offset=0.06, yaw=0.4)
    base = _pose([0.5, -0.2, 0.7], Rotation.from_euler("z", 0.3).as_matrix())
    q = _random_q(100, seed=5)
    hand_world = fk(q, tcp=mount.hand_in_tool0(), base_pose=base)
    result = solve_ik(hand_world, tcp=mount.hand_in_tool0(), base_pose=base, seed=q)
    assert result.ok.all()
    assert np.abs(result.best() - q).max() < 1e-6
    np.testing.assert_allclose(mount.tool0_pose(hand_world), base @ fk(q), atol=1e-12)


def test_single_pose_api():
    q = np.array([0.1, -1.3, 1.4, -1.6, -1.5, 0.2])
    result = solve_ik(fk(q))
    assert len(result) == 1 and result.solutions().shape[1] == 6
    best, ok = ik_closest(fk(q), q)
    assert best.shape == (6,) and bool(ok)


def test_dh_matrices_shape():
    assert dh_matrices(np.zeros((3, 6))).shape == (3, 6, 4, 4)
