"""Generated UR10e MJCF/URDF: MuJoCo FK equals the analytic FK, limits, masses, servos, hand attachment."""

import math
import warnings
import xml.etree.ElementTree as ET

import mujoco
import numpy as np
import pytest

from dexvlg_core.arm import DEFAULT_LIMITS, HOME_Q, JOINT_NAMES, fk, link_frames
from dexvlg_core.arm.kinematics import FRAME_NAMES
from dexvlg_core.arm.mjcf import (
    ArmMjcfConfig,
    attach_hand,
    body_pose,
    joint_qpos_indices,
    ur10e_mjcf,
    ur10e_spec,
    write_ur10e_mjcf,
)
from dexvlg_core.arm.mount import HandMount
from dexvlg_core.arm.ur10e import FLANGE_T_TOOL0, LINK_MASSES, JointLimits
from dexvlg_core.arm.urdf import ur10e_urdf

# A small stand-in for the Shadow Hand model built in dexvlg_core/hand/: a default class, a mesh asset,
# a tendon and an actuator, which must all come along when it is attached.
HAND_MJCF = """
<mujoco model="hand">
  <compiler angle="degree"/>
  <default>
    <default class="rh"><joint damping="0.1" armature="0.001"/><geom rgba="0.2 0.2 0.2 1"/></default>
  </default>
  <asset><mesh name="palm_mesh" vertex="0 0 0 0.05 0 0 0 0.05 0 0 0 0.05"/></asset>
  <worldbody>
    <body name="rh_forearm" childclass="rh">
      <geom type="box" size="0.04 0.02 0.05" pos="0 0 0.05" mass="1.8"/>
      <body name="rh_palm" pos="0 0 0.1">
        <geom type="mesh" mesh="palm_mesh" mass="0.3"/>
        <body name="rh_ffproximal" pos="0 0 0.1">
          <joint name="rh_FFJ3" axis="1 0 0" range="0 90"/>
          <geom type="capsule" size="0.01" fromto="0 0 0 0 0 0.04" mass="0.05"/>
        </body>
      </body>
    </body>
  </worldbody>
  <tendon><fixed name="rh_T_FFJ3"><joint joint="rh_FFJ3" coef="1"/></fixed></tendon>
  <actuator><position name="rh_A_FFJ3" joint="rh_FFJ3" kp="1"/></actuator>
</mujoco>
"""


def _compile(spec):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # MuJoCo's note about attaching without a name prefix
        return spec.compile()


def _random_q(n, seed):
    return np.random.default_rng(seed).uniform(DEFAULT_LIMITS.lower_array, DEFAULT_LIMITS.upper_array, (n, 6))


def _site_pose(model, data, name):
    site = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_SITE, name)
    out = np.eye(4)
    out[:3, :3] = data.site_xmat[site].reshape(3, 3)
    out[:3, 3] = data.site_xpos[site]
    return out


@pytest.fixture(scope="module")
def arm_model():
    return mujoco.MjModel.from_xml_string(ur10e_mjcf())


def test_mujoco_fk_equals_analytic_fk(arm_model):
    data = mujoco.MjData(arm_model)
    qs = _random_q(300, seed=0)
    tool_err = flange_err = link_err = 0.0
    for q in qs:
        data.qpos[:] = q
        mujoco.mj_kinematics(arm_model, data)
        expected = fk(q)
        tool_err = max(tool_err, np.abs(_site_pose(arm_model, data, "tool0") - expected).max())
        flange_err = max(
            flange_err,
            np.abs(_site_pose(arm_model, data, "flange") - expected @ np.linalg.inv(FLANGE_T_TOOL0)).max(),
        )
        frames = link_frames(q)
        for k, name in enumerate(FRAME_NAMES):
            link_err = max(link_err, np.abs(body_pose(arm_model, data, name) - frames[k]).max())
    assert tool_err < 1e-9 and flange_err < 1e-9 and link_err < 1e-9


def test_base_placement_moves_the_whole_arm():
    config = ArmMjcfConfig(base_pos=(0.2, -0.1, 0.8), base_quat=(math.cos(0.25), 0.0, 0.0, math.sin(0.25)))
    model = mujoco.MjModel.from_xml_string(ur10e_mjcf(config))
    data = mujoco.MjData(model)
    data.qpos[:] = HOME_Q
    mujoco.mj_kinematics(model, data)
    base = body_pose(model, data, "base_link")
    assert np.abs(base[:3, 3] - [0.2, -0.1, 0.8]).max() < 1e-12
    assert np.abs(_site_pose(model, data, "tool0") - fk(np.array(HOME_Q), base_pose=base)).max() < 1e-9


def test_joint_ranges_actuators_and_masses(arm_model):
    for i, name in enumerate(JOINT_NAMES):
        joint = arm_model.joint(name)
        assert tuple(joint.range) == (DEFAULT_LIMITS.lower[i], DEFAULT_LIMITS.upper[i])
        actuator = arm_model.actuator(name)
        assert actuator.trnid[0] == joint.id
        assert actuator.forcerange[1] == DEFAULT_LIMITS.effort[i]
    assert arm_model.nu == 6 and arm_model.nq == 6
    for link, mass in LINK_MASSES.items():
        assert arm_model.body(link).mass[0] == pytest.approx(mass)
    assert np.all(arm_model.body_inertia[2:] > 0)
    full = mujoco.MjModel.from_xml_string(ur10e_mjcf(ArmMjcfConfig(limits=JointLimits.full_range())))
    assert full.joint("elbow_joint").range[1] == pytest.approx(2 * math.pi)


def test_no_self_contact_at_home(arm_model):
    data = mujoco.MjData(arm_model)
    data.qpos[:] = HOME_Q
    mujoco.mj_forward(arm_model, data)
    assert data.ncon == 0


def test_attach_hand_through_mount_transform():
    mount = HandMount(offset=0.07, yaw=0.3)
    model = _compile(attach_hand(ur10e_spec(), HAND_MJCF, mount))
    # Everything of the hand came along: joint, tendon, actuator, mesh, default class.
    assert model.nu == 7 and model.ntendon == 1 and model.nmesh == 1
    assert model.joint("rh_FFJ3").range[1] == pytest.approx(math.pi / 2)  # the hand's degree units kept
    data = mujoco.MjData(model)
    index = joint_qpos_indices(model)
    for q in _random_q(50, seed=1):
        data.qpos[index] = q
        mujoco.mj_kinematics(model, data)
        expected = fk(q, tcp=mount.hand_in_tool0())
        assert np.abs(body_pose(model, data, "rh_forearm") - expected).max() < 1e-9


def test_attach_bare_body_with_prefix():
    bare_body = '<body name="hand"><geom type="sphere" size="0.03"/></body>'
    spec = attach_hand(ur10e_mjcf(), bare_body, prefix="l_")
    model = _compile(spec)
    assert mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, "l_hand") >= 0


def test_servos_hold_and_track_with_hand_and_gravity():
    model = _compile(attach_hand(ur10e_spec(), HAND_MJCF))
    model.opt.timestep = 0.002
    model.opt.integrator = mujoco.mjtIntegrator.mjINT_IMPLICITFAST
    data = mujoco.MjData(model)
    index = joint_qpos_indices(model)
    data.qpos[index] = HOME_Q
    data.ctrl[:6] = HOME_Q
    for _ in range(250):
        mujoco.mj_step(model, data)
    assert np.abs(data.qpos[index] - HOME_Q).max() < 1e-3
    target = np.array([0.5, -1.2, 1.0, -1.3, -1.5, 0.4])
    data.ctrl[:6] = target
    for _ in range(1500):
        mujoco.mj_step(model, data)
    assert np.isfinite(data.qpos).all()
    assert np.abs(data.qpos[index] - target).max() < 1e-3


def test_write_mjcf_file(tmp_path):
    path = write_ur10e_mjcf(tmp_path / "ur10e.xml")
    assert mujoco.MjModel.from_xml_path(str(path)).nq == 6


def test_urdf_matches_analytic_fk_and_ros_names():
    urdf = ur10e_urdf()
    root = ET.fromstring(urdf)
    joints = {j.get("name"): j for j in root.iter("joint")}
    for i, name in enumerate(JOINT_NAMES):
        limit = joints[name].find("limit")
        assert float(limit.get("lower")) == DEFAULT_LIMITS.lower[i]
        assert float(limit.get("effort")) == DEFAULT_LIMITS.effort[i]
    links = {link.get("name") for link in root.iter("link")}
    assert {"base_link", "base", "flange", "tool0", "wrist_3_link"} <= links
    # MuJoCo reads URDF too: its link frames must equal ours.
    model = mujoco.MjModel.from_xml_string(urdf)
    data = mujoco.MjData(model)
    for q in _random_q(50, seed=2):
        data.qpos[:] = q
        mujoco.mj_kinematics(model, data)
        frames = link_frames(q)
        for k, name in enumerate(FRAME_NAMES[1:], start=1):
            assert np.abs(body_pose(model, data, name) - frames[k]).max() < 1e-9
