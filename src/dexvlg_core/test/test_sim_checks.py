"""Static grasp checks: measured penetration depths, self-penetration, contacts and part alignment."""

import mujoco
import numpy as np
import pytest
import trimesh

from dexvlg_core.hand.joints import joint_index
from dexvlg_core.rotations import transform
from dexvlg_core.sim import examples
from dexvlg_core.sim.checks import (
    TriangleIndex,
    contacts,
    hand_object_penetration,
    nearest_distance,
    part_alignment,
    penetration,
    point_triangles_distance,
    pose_static,
    self_penetration,
)
from dexvlg_core.sim.evaluator import postures_of
from dexvlg_core.sim.objects import DecompositionConfig, load_object
from dexvlg_core.sim.scene import SceneOptions, build_scene

FAR = transform(np.eye(3), [0.5, 0.5, 0.5])  # hand root far from the object


@pytest.fixture(scope="module")
def cube_scene(cube):
    return build_scene(cube, options=SceneOptions(camera=False))


@pytest.mark.parametrize("depth", [0.001, 0.003, 0.005, 0.008])
def test_sphere_pushed_into_box_measures_its_depth(cube, depth):
    # The cube's CoACD hull as a MuJoCo mesh and spheres pushed `depth` into three different faces.
    half, radius = examples.CUBE_SIZE / 2, 0.01
    spec = mujoco.MjSpec()
    spec.add_mesh(name="cube", uservert=cube.hulls[0].ravel())
    spec.worldbody.add_geom(name="cube", type=mujoco.mjtGeom.mjGEOM_MESH, meshname="cube")
    centres = [(0.0, 0.0, half + radius - depth), (half + radius - depth, 0.01, -0.005),
               (0.012, -(half + radius - depth), 0.004)]
    for i, centre in enumerate(centres):
        spec.worldbody.add_geom(name=f"s{i}", type=mujoco.mjtGeom.mjGEOM_SPHERE, size=[radius, 0, 0], pos=centre)
    spec.worldbody.add_geom(name="apart", type=mujoco.mjtGeom.mjGEOM_SPHERE, size=[radius, 0, 0],
                            pos=(0, 0, -(half + radius + 0.002)))
    model = spec.compile()
    data = mujoco.MjData(model)
    mujoco.mj_kinematics(model, data)
    box = np.array([model.geom("cube").id])
    for i in range(len(centres)):
        check = penetration(model, data, np.array([model.geom(f"s{i}").id]), box, limit=0.003)
        assert check.depth_mm == pytest.approx(1e3 * depth, abs=0.5)
        assert check.passed == (depth <= 0.003)
        assert check.pair == (f"s{i}", "cube") and "mm" in check.reason
    assert penetration(model, data, np.array([model.geom("apart").id]), box, limit=0.003).depth_mm == 0.0


def test_palm_pushed_five_mm_into_the_cube(cube):
    # Palm front face at y = -0.0111 in the root frame; the cube's +y face 5 mm behind it, clear of the thumb.
    centre = (-0.012, -0.0111 - examples.CUBE_SIZE / 2 + 0.005, 0.07)
    scene = build_scene(cube, options=SceneOptions(camera=False), object_pose=transform(np.eye(3), centre))
    pose_static(scene, np.eye(4), np.zeros(22))
    check = hand_object_penetration(scene)
    assert check.depth_mm == pytest.approx(5.0, abs=0.5)
    # The palm and the little finger's metacarpal share the palm plane: both are 5 mm deep.
    assert check.pair[0] in ("C_palm0", "C_lfmetacarpal") and check.pair[1] == "object_hull0"
    assert not check.passed
    assert "exceeds 3.0 mm" in check.reason


def test_self_penetration_open_hand_vs_crossed_fingers(cube_scene):
    pose_static(cube_scene, FAR, np.zeros(22))
    open_hand = self_penetration(cube_scene)
    assert open_hand.depth_mm == 0.0 and open_hand.passed
    # Index and middle fingers abducted towards each other: the proximal capsules (r = 1 cm) cross.
    q = np.zeros(22)
    q[joint_index("rh_FFJ4")], q[joint_index("rh_MFJ4")] = 0.349, -0.349
    pose_static(cube_scene, FAR, q)
    crossed = self_penetration(cube_scene)
    assert crossed.depth_mm == pytest.approx(20.0, abs=0.5)
    assert crossed.pair == ("C_ffproximal", "C_mfproximal") and not crossed.passed


def test_power_grasp_contacts(cube_scene):
    postures = postures_of(examples.cube_power_grasp(), cube_scene.object_pose0)
    pose_static(cube_scene, postures.root, postures.grasp)
    found = contacts(cube_scene)
    assert set(found.fingers) == {"palm", "middle", "ring", "little", "thumb"}
    assert "rh_ffdistal" not in found.links and found.link_distance_mm["rh_ffdistal"] > 2.0
    assert all(found.link_distance_mm[link] <= 2.0 for link in found.links)
    assert found.matches(("middle", "ring", "little", "thumb", "palm"))
    assert found.matches(("index", "middle", "ring", "little", "thumb", "palm"))  # one finger off: still CMA
    assert not found.matches(("index", "thumb"))
    pose_static(cube_scene, FAR, np.zeros(22))
    assert contacts(cube_scene).links == ()


def test_part_alignment(decomposition):
    # The cube plus a small knob under its -z face, away from every contact of the power grasp.
    body = examples.cube()
    knob = trimesh.creation.box(extents=(0.02, 0.02, 0.01))
    knob.apply_translation((0.0, 0.0, -examples.CUBE_SIZE / 2 - 0.005))
    mesh = trimesh.util.concatenate([body, knob])
    labels = np.r_[np.zeros(len(body.faces), int), np.ones(len(knob.faces), int)]
    obj = load_object(mesh, face_parts=labels, part_names=("body", "knob"),
                      config=DecompositionConfig(method="hull", cache_dir=decomposition.cache_dir))
    scene = build_scene(obj, options=SceneOptions(camera=False))
    postures = postures_of(examples.cube_power_grasp(), scene.object_pose0)
    pose_static(scene, postures.root, postures.grasp)
    touching = contacts(scene)
    links = touching.links
    on_body = part_alignment(scene, "body", touching)
    assert on_body.passed and "closest to part 'body'" in on_body.reason
    assert set(on_body.fingers_on_part()) >= {"middle", "ring", "thumb"}
    on_knob = part_alignment(scene, "knob", touching)
    assert not on_knob.passed and set(on_knob.misaligned) == set(links)
    target, other = on_knob.link_distance_mm["rh_palm"]
    assert target > 10.0 and other < 2.0
    assert not part_alignment(scene, "lid", touching).passed
    assert "no part 'lid'" in part_alignment(scene, "lid", touching).reason


def test_point_triangle_distance_matches_trimesh():
    rng = np.random.default_rng(0)
    sphere = trimesh.creation.icosphere(subdivisions=3, radius=0.05)  # 1280 triangles
    sphere.vertices *= (1.0, 0.6, 1.4)  # uneven triangle sizes
    triangles = sphere.vertices[sphere.faces]
    points = rng.normal(size=(300, 3)) * 0.05
    fast = point_triangles_distance(points, triangles)
    # trimesh's naive closest point: every triangle for every point (independent implementation).
    _, expected, _ = trimesh.proximity.closest_point_naive(sphere, points)
    assert np.allclose(fast, expected, atol=1e-9)
    for subset in (points[:40], points[rng.random(300) < 0.2] * 0.3, points + 0.2):
        _, naive, _ = trimesh.proximity.closest_point_naive(sphere, subset)
        assert nearest_distance(subset, triangles) == pytest.approx(naive.min(), abs=1e-9)


def test_split_triangle_index_keeps_distances_exact_and_bounds_the_radius():
    """Long slivers (a coarse cylinder's sides) are split into small triangles; distances stay exact."""
    rng = np.random.default_rng(1)
    cylinder = trimesh.creation.cylinder(radius=0.03, height=0.25, sections=12)
    triangles = cylinder.vertices[cylinder.faces]
    index = TriangleIndex.build(triangles, max_radius=0.005)
    assert index.radii.max() <= 0.005 and len(index.triangles) > 10 * len(triangles)
    assert np.isclose(np.linalg.norm(np.cross(index.triangles[:, 1] - index.triangles[:, 0],
                                              index.triangles[:, 2] - index.triangles[:, 0]), axis=1).sum(),
                      2 * cylinder.area)  # the same surface (cross-product norms are twice the areas)
    points = rng.normal(size=(400, 3)) * (0.04, 0.04, 0.1)
    _, naive, _ = trimesh.proximity.closest_point_naive(cylinder, points)
    assert np.allclose(point_triangles_distance(points, index.triangles), naive, atol=1e-9)
    for subset in (points[:25], points[rng.random(400) < 0.1] * 0.2, points + 0.3):
        _, naive, _ = trimesh.proximity.closest_point_naive(cylinder, subset)
        assert nearest_distance(subset, index) == pytest.approx(naive.min(), abs=1e-9)
        assert nearest_distance(subset, triangles) == pytest.approx(naive.min(), abs=1e-9)
    capped = TriangleIndex.build(triangles, max_radius=0.0005, max_triangles=2000)  # far too fine: it stops
    assert len(triangles) < len(capped.triangles) <= 2000
    assert nearest_distance(points[:25], capped) == pytest.approx(nearest_distance(points[:25], triangles), abs=1e-9)


def _six_closings(scene, postures):
    """The six-direction test as the protocol states it: every direction from the reset pregrasp, closing included."""
    from dexvlg_core.sim.checks import _hold, _interpolate, _pose_change

    cfg = scene.config
    scene.set_gravity(False)
    scene.set_table_enabled(False)
    pre, grasp, squeeze = postures.ctrls(scene)
    moved = []
    for direction in cfg.directions:
        scene.reset()
        scene.set_hand(postures.root, postures.pregrasp)
        scene.data.ctrl[scene.hand_actuators] = pre
        mujoco.mj_forward(scene.model, scene.data)
        start = scene.object_pose()
        _interpolate(scene, pre, grasp, cfg.steps(cfg.approach_time))
        _interpolate(scene, grasp, squeeze, cfg.steps(cfg.squeeze_time))
        scene.data.xfrc_applied[scene.object_body, :3] = cfg.force * np.asarray(direction, dtype=np.float64)
        _hold(scene, cfg.steps(cfg.hold_time), "hold")
        scene.data.xfrc_applied[scene.object_body] = 0.0
        translation, rotation = _pose_change(start, scene.object_pose())
        moved.append((1e3 * translation, rotation))
    return moved


def test_closing_once_gives_bit_for_bit_the_six_closings_of_the_protocol(cube_scene):
    from dataclasses import replace

    from dexvlg_core.hand.mjcf import joint_limits
    from dexvlg_core.sim.checks import disturbance_test

    rng, (lower, upper) = np.random.default_rng(3), joint_limits()
    base = examples.cube_power_grasp()
    moves = []
    for k in range(3):  # the reference grasp and two with perturbed fingers
        joints = base.joints if k == 0 else np.clip(base.joints + rng.uniform(-0.15, 0.15, 22), lower, upper)
        postures = postures_of(replace(base, joints=joints), cube_scene.object_pose0)
        result = disturbance_test(cube_scene, postures)
        assert len(result.directions) == 6
        assert list(zip(result.translation_mm, result.rotation_deg, strict=True)) == _six_closings(cube_scene, postures)
        moves.append(result.translation_mm)
    assert len({m for move in moves for m in move}) > 6  # the grasps differ: not one outcome compared three times
