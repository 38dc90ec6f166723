"""Rendering: camera rig geometry, clouds on the object surface, noise model, sampling, determinism."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial import cKDTree
from test_scenes_common import mesh_in

from dexvlg_core.rotations import transform
from dexvlg_core.sim.checks import point_triangles_distance
from dexvlg_data.objects.families import generate
from dexvlg_data.scenes.noise import DepthNoiseConfig, apply_depth_noise
from dexvlg_data.scenes.render import (
    CameraRig,
    RenderConfig,
    camera_poses,
    render_view,
    sample_indices,
    view_target,
)


@pytest.fixture(scope="module")
def mug():
    obj = generate("mug", 1)
    yaw = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    pose = transform(yaw, (0.05, -0.02, -obj.mesh.vertices[:, 2].min()))  # standing, off the origin
    return obj, pose


def test_camera_rig_circle_elevation_and_aim():
    target = np.array([0.1, -0.2, 0.05])
    poses = camera_poses(target, CameraRig())
    assert poses.shape == (8, 4, 4)
    offsets = poses[:, :3, 3] - target
    np.testing.assert_allclose(np.linalg.norm(offsets, axis=1), 0.8, atol=1e-9)
    np.testing.assert_allclose(np.degrees(np.arcsin(offsets[:, 2] / 0.8)), 45.0, atol=1e-9)
    azimuths = np.degrees(np.arctan2(offsets[:, 1], offsets[:, 0])) % 360
    np.testing.assert_allclose(np.sort(azimuths), np.arange(8) * 45.0, atol=1e-9)
    for pose in poses:  # optical z looks at the target, image y points down (world -z component)
        forward = pose[:3, 2]
        np.testing.assert_allclose(forward, (target - pose[:3, 3]) / 0.8, atol=1e-9)
        assert pose[2, 1] < 0
        np.testing.assert_allclose(pose[:3, :3].T @ pose[:3, :3], np.eye(3), atol=1e-9)
        assert np.linalg.det(pose[:3, :3]) > 0


@pytest.mark.parametrize("backend", ["raycast", "opengl"])
def test_cloud_lies_on_object_surface_in_camera_frame(mug, backend):
    obj, pose = mug
    view = render_view(obj, pose, 3, RenderConfig(backend=backend, num_points=4000))
    assert view.points.shape == (4000, 3) and view.colors.shape == (4000, 3)
    assert view.valid_pixels > 4000  # full D415 resolution sees more object pixels than we keep
    triangles = mesh_in(obj, view.object_to_camera())
    error = point_triangles_distance(view.points[:1500], triangles)
    assert error.mean() < 0.002  # the bound
    if backend == "raycast":
        assert error.max() < 1e-5  # exact ray casting
    # Part labels agree with the nearest face's part for nearly every point.
    centres = triangles.mean(axis=1)
    nearest = np.argmin(np.linalg.norm(view.points[:300, None] - centres[None], axis=2), axis=1)
    assert np.mean(obj.face_parts[nearest] == view.parts[:300]) > 0.9


def test_cloud_is_in_the_optical_frame_of_the_right_camera(mug):
    obj, pose = mug
    view = render_view(obj, pose, 5, RenderConfig(num_points=2000))
    assert np.all(view.points[:, 2] > 0.6) and np.all(view.points[:, 2] < 1.0)  # ~80 cm in front
    world = view.points @ view.camera_pose[:3, :3].T + view.camera_pose[:3, 3]
    assert world[:, 2].min() > -1e-6  # nothing under the table
    np.testing.assert_allclose(world.mean(axis=0)[:2], view_target(obj, pose)[:2], atol=0.05)
    camera = camera_poses(view_target(obj, pose))[5]
    np.testing.assert_allclose(view.camera_pose, camera)


def test_render_is_deterministic_and_noise_changes_it(mug):
    obj, pose = mug
    config = RenderConfig(num_points=2000, noise=DepthNoiseConfig())
    a = render_view(obj, pose, 1, config, seed=7)
    b = render_view(obj, pose, 1, config, seed=7)
    c = render_view(obj, pose, 1, config, seed=8)
    clean = render_view(obj, pose, 1, RenderConfig(num_points=2000), seed=7)
    np.testing.assert_array_equal(a.points, b.points)
    np.testing.assert_array_equal(a.colors, b.colors)
    assert not np.array_equal(a.points, c.points)
    assert a.valid_pixels < clean.valid_pixels  # dropout removes pixels
    error = point_triangles_distance(a.points[:1000], mesh_in(obj, a.object_to_camera()))
    assert 0.0002 < error.mean() < 0.005  # about 1 mm of stereo noise at 80 cm


def test_depth_noise_model_statistics():
    rng = np.random.default_rng(0)
    depth = np.full((120, 160), 0.8)
    depth[:, :20] = 0.0  # a missing band: its border is an edge
    config = DepthNoiseConfig(holes=(0, 0), pixel_dropout=0.0, edge_dropout=1.0)
    noisy = apply_depth_noise(depth, 924.0, config, rng)
    interior = noisy[:, 30:]
    assert np.all(interior > 0)
    assert 0.0005 < np.std(interior) < 0.003  # ~1 mm RMS at 0.8 m
    np.testing.assert_allclose(np.round(interior / 0.001) * 0.001, interior, atol=1e-6)  # 1 mm steps
    assert np.all(noisy[:, 20:22] == 0)  # edge pixels dropped
    holes = apply_depth_noise(depth, 924.0, DepthNoiseConfig(holes=(3, 3), hole_radius_px=(8, 8)), rng)
    assert (holes[:, 30:] == 0).sum() > 100


def test_farthest_point_sampling_spreads_and_pads():
    rng = np.random.default_rng(0)
    points = np.concatenate([rng.normal(0, 0.001, (5000, 3)), rng.normal(1, 0.001, (50, 3))])
    chosen = sample_indices(points, 64, np.random.default_rng(1))
    assert len(set(chosen.tolist())) == 64
    assert np.sum(chosen >= 5000) >= 8  # the small far cluster is covered (uniform random sampling: ~0.6)
    uniform = rng.random((5000, 3))
    fps = sample_indices(uniform, 200, np.random.default_rng(2))
    rand = np.random.default_rng(2).choice(5000, 200, replace=False)

    def coverage(idx):  # farthest any point is from the chosen ones
        return cKDTree(uniform[idx]).query(uniform)[0].max()

    assert coverage(fps) < 0.75 * coverage(rand)
    padded = sample_indices(points[:10], 25, np.random.default_rng(1))
    assert len(padded) == 25 and set(padded.tolist()) == set(range(10))
