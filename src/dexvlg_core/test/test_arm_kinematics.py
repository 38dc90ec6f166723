"""UR10e forward kinematics: closed form vs the DH product, ROS frame conventions, published values."""

import math

import numpy as np

from dexvlg_core.arm import JOINT_NAMES, UR10E_DH, fk, fk_dh, link_frames
from dexvlg_core.arm.kinematics import collision_capsules, dh_matrices
from dexvlg_core.arm.mount import HandMount
from dexvlg_core.arm.ur10e import (
    BASE_LINK_T_BASE,
    DEFAULT_LIMITS,
    FLANGE_T_TOOL0,
    LINK_SHAPES,
    WRIST3_T_FLANGE,
    JointLimits,
)


def _random_q(n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(DEFAULT_LIMITS.lower_array, DEFAULT_LIMITS.upper_array, (n, 6))


def test_closed_form_fk_equals_dh_product():
    q = _random_q(2000)
    mats = dh_matrices(q)
    product = mats[:, 0]
    for i in range(1, 6):
        product = product @ mats[:, i]
    assert np.abs(fk_dh(q) - product).max() < 1e-12


def test_zero_pose_matches_published_dh_values():
    # UR controller base frame at q = 0: TCP at (a2 + a3, -(d4 + d6), d1 - d5), tool z along -y.
    p = UR10E_DH
    pose = fk_dh(np.zeros(6))
    np.testing.assert_allclose(pose[:3, 3], [p.a2 + p.a3, -(p.d4 + p.d6), p.d1 - p.d5], atol=1e-12)
    np.testing.assert_allclose(pose[:3, 2], [0.0, -1.0, 0.0], atol=1e-12)
    # base_link (REP-103) is the controller base turned by pi about z: the arm reaches along +x.
    np.testing.assert_allclose(fk(np.zeros(6))[:3, 3], [1.18425, 0.2907, 0.06085], atol=1e-12)


def test_base_link_is_base_turned_by_pi():
    q = _random_q(50, seed=1)
    np.testing.assert_allclose(fk(q), BASE_LINK_T_BASE @ fk_dh(q), atol=1e-12)


def test_ros_frames_tool0_is_wrist3_and_flange_x_is_tool_z():
    # ur_description: wrist_3 -> flange -> tool0 composes to identity; flange x = tool0 z.
    np.testing.assert_allclose(WRIST3_T_FLANGE @ FLANGE_T_TOOL0, np.eye(4), atol=1e-12)
    np.testing.assert_allclose(WRIST3_T_FLANGE[:3, 0], [0.0, 0.0, 1.0], atol=1e-12)
    q = _random_q(50, seed=2)
    np.testing.assert_allclose(link_frames(q)[:, -1], fk(q), atol=1e-12)


def test_link_frames_rotate_about_their_z_axes():
    q = _random_q(20, seed=3)
    frames = link_frames(q)
    for j in range(6):
        bumped = q.copy()
        bumped[:, j] += 0.3
        moved = link_frames(bumped)
        # Joint j turns its own link about that link's z axis: origin and z axis stay put.
        np.testing.assert_allclose(moved[:, j + 1, :3, 3], frames[:, j + 1, :3, 3], atol=1e-12)
        np.testing.assert_allclose(moved[:, j + 1, :3, 2], frames[:, j + 1, :3, 2], atol=1e-12)
        assert np.abs(moved[:, j + 1, :3, 0] - frames[:, j + 1, :3, 0]).max() > 0.1


def test_tcp_and_base_pose_compose():
    q = _random_q(10, seed=4)
    tcp = HandMount(offset=0.08, yaw=0.5).hand_in_tool0()
    base = np.eye(4)
    base[:3, 3] = [0.3, -0.2, 0.75]
    np.testing.assert_allclose(fk(q, tcp=tcp, base_pose=base), base @ fk(q) @ tcp, atol=1e-12)
    np.testing.assert_allclose(fk(q, tcp=tcp)[:, :3, 3] - fk(q)[:, :3, 3], 0.08 * fk(q)[:, :3, 2], atol=1e-12)


def test_joint_names_and_limits_config():
    assert JOINT_NAMES[0] == "shoulder_pan_joint" and JOINT_NAMES[-1] == "wrist_3_joint"
    assert DEFAULT_LIMITS.upper[2] == math.pi and DEFAULT_LIMITS.upper[0] == 2 * math.pi
    assert JointLimits.full_range().upper[2] == 2 * math.pi
    assert not DEFAULT_LIMITS.contains(np.array([0, 0, 3.5, 0, 0, 0]))
    assert JointLimits.full_range().contains(np.array([0, 0, 3.5, 0, 0, 0]))


def test_collision_capsules_follow_links():
    q = _random_q(5, seed=5)
    p0, p1, radius = collision_capsules(q)
    assert p0.shape == (5, len(LINK_SHAPES), 3) and radius.shape == (len(LINK_SHAPES),)
    # The flange disc ends at tool0.
    np.testing.assert_allclose(p1[:, -1], fk(q)[:, :3, 3], atol=1e-12)
