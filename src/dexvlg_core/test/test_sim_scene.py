"""Scene builder: protocol physics options, object mass, the mocap-welded hand, the D415 camera, the arm."""

import mujoco
import numpy as np
import pytest

from dexvlg_core.arm import fk
from dexvlg_core.arm.mount import HandMount
from dexvlg_core.arm.ur10e import HOME_Q
from dexvlg_core.camera import D415_COLOR
from dexvlg_core.hand.joints import JOINT_NAMES
from dexvlg_core.rotations import rot_z, transform
from dexvlg_core.sim import examples
from dexvlg_core.sim.config import SimConfig
from dexvlg_core.sim.objects import DecompositionConfig, load_object
from dexvlg_core.sim.scene import SceneOptions, build_scene, resting_pose


@pytest.fixture(scope="module")
def cube(tmp_path_factory):
    return load_object(examples.cube(), name="cube", config=DecompositionConfig(
        cache_dir=str(tmp_path_factory.mktemp("convex"))))


def test_protocol_options_and_object(cube):
    config = SimConfig()
    scene = build_scene(cube, config, SceneOptions(camera=False))
    m = scene.model
    assert m.opt.timestep == 0.004 and m.opt.impratio == 10.0
    assert m.opt.integrator == mujoco.mjtIntegrator.mjINT_IMPLICITFAST
    assert m.opt.cone == mujoco.mjtCone.mjCONE_ELLIPTIC
    assert m.body_mass[scene.object_body] == pytest.approx(0.1)
    side = examples.CUBE_SIZE
    assert np.allclose(m.body_inertia[scene.object_body], 0.1 * side**2 / 6, rtol=1e-6)  # solid cube
    for geom in [*scene.object_geoms, *scene.hand_geoms]:
        assert m.geom_condim[geom] == 4
        assert np.allclose(m.geom_friction[geom][:2], (0.6, 0.02))
    assert len(scene.hand_actuators) == 22 and len(scene.hand_geoms) >= 19


def test_mocap_weld_and_servos_move_the_hand(cube):
    scene = build_scene(cube, options=SceneOptions(camera=False))
    scene.set_gravity(False)
    start = transform(rot_z(0.7), [0.3, 0.2, 0.1])
    q = np.zeros(22)
    q[JOINT_NAMES.index("rh_MFJ3")] = 0.8
    q[JOINT_NAMES.index("rh_THJ1")] = 0.5
    scene.set_hand(start, q)
    mujoco.mj_forward(scene.model, scene.data)
    assert np.allclose(scene.root_pose(), start, atol=1e-9)
    # Move the mocap 5 cm and command new finger targets: the weld drags the hand, the servos follow.
    target = transform(rot_z(0.7), [0.35, 0.2, 0.1])
    scene.set_root_target(target)
    q2 = q.copy()
    q2[JOINT_NAMES.index("rh_MFJ3")] = 0.3
    scene.set_finger_targets(q2)
    mujoco.mj_step(scene.model, scene.data, 250)
    assert np.linalg.norm(scene.root_pose()[:3, 3] - target[:3, 3]) < 2e-3
    reached = scene.data.qpos[scene.hand_qpos][JOINT_NAMES.index("rh_MFJ3")]
    assert reached == pytest.approx(0.3, abs=0.03)
    assert np.allclose(scene.object_pose(), np.eye(4))  # untouched object stays put (gravity off)


def test_camera_sees_the_object_on_the_table(cube):
    scene = build_scene(cube, options=SceneOptions(table=True))
    assert np.allclose(scene.object_pose0, resting_pose(cube))
    scene.set_hand(transform(np.eye(3), [5.0, 5.0, 5.0]), np.zeros(22))  # out of view
    mujoco.mj_forward(scene.model, scene.data)
    intrinsics = D415_COLOR.scaled(0.25)
    rgb, depth, points, colors = scene.render(intrinsics)
    assert rgb.shape == (180, 320, 3) and depth.shape == (180, 320) and points.shape == (180, 320, 3)
    # The camera looks at the cube's centre: the central pixel hits the cube's surface.
    centre = points[90, 160]
    local = centre - scene.object_pose0[:3, 3]
    sdf = np.abs(local).max() - examples.CUBE_SIZE / 2
    assert abs(sdf) < 2e-3
    # Every other valid pixel sees the table top (z = 0); beyond the table there is nothing (NaN).
    valid = np.isfinite(points).all(axis=2)
    off_cube = valid & (np.abs(points - scene.object_pose0[:3, 3]).max(axis=2) > examples.CUBE_SIZE / 2 + 0.005)
    assert off_cube.sum() > 0.5 * off_cube.size
    assert np.abs(points[off_cube][:, 2]).max() < 3e-3
    assert 0.6 < depth[90, 160] < 0.8  # camera 0.8 m from the centre, the surface in front of it


def test_hand_on_the_arm_sits_at_the_mount(cube):
    options = SceneOptions(arm=True, camera=False, mount_offset=0.05)
    scene = build_scene(cube, options=options)
    assert scene.mocap < 0 and len(scene.arm_qpos) == 6
    scene.set_arm(np.array(HOME_Q))
    scene.set_hand(None, np.zeros(22))
    mujoco.mj_forward(scene.model, scene.data)
    base = transform(np.eye(3), options.arm_base)
    expected = base @ fk(np.array(HOME_Q)) @ HandMount(0.05, 0.0).hand_in_tool0()
    assert np.allclose(scene.root_pose(), expected, atol=1e-6)
