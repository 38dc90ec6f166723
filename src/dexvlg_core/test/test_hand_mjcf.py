"""The generated fixed-wrist MJCF: loaded from the installed package, root frame, options."""

import mujoco
import numpy as np
import pytest

from dexvlg_core.hand import mjcf
from dexvlg_core.hand.joints import joint_index, to_model


@pytest.fixture(scope="module")
def model() -> mujoco.MjModel:
    return mjcf.build_hand_model()


def _body_pos(model, data, body):
    return data.body(mjcf.MODEL_PREFIX + body).xpos.copy()


def test_assets_come_from_installed_gymnasium_robotics():
    assert "site-packages" in str(mjcf.asset_dir()) or "dist-packages" in str(mjcf.asset_dir())
    assert (mjcf.mesh_dir() / "palm.stl").is_file()
    assert str(mjcf.mesh_dir()) in mjcf.hand_xml()


def test_wrist_is_gone_and_actuation_is_coupled(model):
    for name in mjcf.WRIST_JOINTS:
        with pytest.raises(KeyError):
            model.joint(name)
    assert model.nu == 18
    tendons = {model.tendon(i).name for i in range(model.ntendon)}
    assert not any("WRJ" in name for name in tendons)
    assert {f"{mjcf.MODEL_PREFIX}T_{f}J1c" for f in ("FF", "MF", "RF", "LF")} <= tendons


def test_root_frame_is_world_and_palm_offset(model):
    data = mujoco.MjData(model)
    mujoco.mj_kinematics(model, data)
    palm = data.body(mjcf.PALM_BODY)
    np.testing.assert_allclose(palm.xpos, mjcf.PALM_IN_ROOT[:3, 3], atol=1e-12)
    np.testing.assert_allclose(palm.xmat.reshape(3, 3), mjcf.PALM_IN_ROOT[:3, :3], atol=1e-9)
    np.testing.assert_allclose(data.body(mjcf.ROOT_BODY).xpos, 0.0, atol=1e-12)
    assert mjcf.PALM_IN_ROOT[2, 3] == pytest.approx(0.034)


def test_interchange_axes_fingers_z_palm_minus_y_thumb_x(model):
    data = mujoco.MjData(model)
    mujoco.mj_kinematics(model, data)
    tip = data.site(mjcf.FINGERTIP_SITES[0]).xpos.copy()
    assert tip[2] > 0.15  # fingers point along +z
    assert _body_pos(model, data, "thdistal")[0] > 0.05  # thumb on the +x side
    q = np.zeros(22)
    q[[joint_index("rh_FFJ3"), joint_index("rh_FFJ2")]] = 0.8
    data.qpos[mjcf.qpos_indices(model)] = to_model(q)
    mujoco.mj_kinematics(model, data)
    assert data.site(mjcf.FINGERTIP_SITES[0]).xpos[1] < tip[1] - 0.03  # flexing curls towards -y: palm side


def test_decoupled_and_no_forearm_options():
    model = mjcf.build_hand_model(mjcf.HandMjcfConfig(coupled=False, keep_forearm=False))
    assert model.nu == 22
    tendons = {model.tendon(i).name for i in range(model.ntendon)}
    assert not any(name.endswith("J1c") for name in tendons)
    forearm = model.body(mjcf.MODEL_PREFIX + "forearm").id
    assert not np.any(model.geom_bodyid == forearm)
    actuated = {model.joint(model.actuator_trnid[i, 0]).name for i in range(model.nu)}
    assert len(actuated) == 22


def test_open_hand_touches_nothing_and_holds_still(model):
    # regression: with the wrist welded, a visual placeholder box of the thumb base collided with the palm
    model.opt.gravity[:] = 0.0
    data = mujoco.MjData(model)
    mujoco.mj_forward(model, data)
    assert data.ncon == 0
    for _ in range(500):
        mujoco.mj_step(model, data)
    np.testing.assert_allclose(data.qpos, 0.0, atol=0.02)
