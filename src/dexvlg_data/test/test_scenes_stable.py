"""Stable poses: symmetry detection, deduplication up to symmetry, stability when re-simulated, caching."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh
from test_scenes_common import HULL, bar_scene, mug_scene

from dexvlg_core.sim import load_object
from dexvlg_data.objects.families import generate
from dexvlg_data.scenes import stable
from dexvlg_data.scenes.stable import StablePoseConfig, find_stable_poses, pose_drift
from dexvlg_data.scenes.symmetry import Symmetry, detect_symmetry


def _cube(labeled: bool):
    mesh = trimesh.creation.box(extents=(0.055,) * 3)
    labels = (mesh.face_normals[:, 2] > 0.9).astype(int) if labeled else np.zeros(len(mesh.faces), int)
    return load_object(mesh, face_parts=labels, part_names=("body", "top") if labeled else ("body",), config=HULL,
                       name="cube")


def test_symmetry_detection():
    def orders(sym):
        return sorted(a.order for a in sym.axes)

    bottle = generate("bottle", 1)
    sym = detect_symmetry(bottle.mesh.vertices, bottle.mesh.faces, bottle.face_parts)
    assert orders(sym) == [0] and abs(sym.axes[0].axis[2]) > 0.99  # continuous about its upright axis
    mug = generate("mug", 1)
    assert detect_symmetry(mug.mesh.vertices, mug.mesh.faces, mug.face_parts).trivial  # the handle breaks it
    cube = _cube(False)
    assert orders(detect_symmetry(cube.vertices, cube.faces)) == [4, 4, 4]
    top = _cube(True)
    sym = detect_symmetry(top.vertices, top.faces, top.face_parts)  # a labeled top leaves the 4-fold z axis
    assert orders(sym) == [4] and abs(sym.axes[0].axis[2]) > 0.99


@pytest.mark.parametrize("labeled, expected", [(False, 1), (True, 3)])
def test_cube_poses_merge_up_to_symmetry(tmp_path, labeled, expected):
    poses = find_stable_poses(_cube(labeled), StablePoseConfig(drops=48, chunk=16), cache_dir=tmp_path)
    assert len(poses) == expected  # plain cube: one face down; labeled top: top up, top down, top sideways
    assert poses.counts.sum() == poses.settled == 48
    np.testing.assert_allclose(poses.heights, 0.0275, atol=0.002)  # centre half the size above the table
    unmerged = find_stable_poses(_cube(labeled), StablePoseConfig(drops=48, chunk=16, use_symmetry=False),
                                 cache_dir=tmp_path)
    assert len(unmerged) == 6  # without symmetry: one pose per face


def test_stable_poses_stay_put_when_simulated_again():
    for scene in (bar_scene(), mug_scene()):
        assert len(scene.stable) >= 2
        for i in range(len(scene.stable)):
            drift = pose_drift(scene.sim_object, scene.stable.pose(i), seconds=2.0)
            assert drift.max_vertex_mm < 5.0, (scene.object_id, i, drift)
            assert drift.rotation_deg < 2.0, (scene.object_id, i, drift)


def test_unstable_pose_drifts():
    # The control: the bar balanced on an edge (45 degrees) falls over, so the drift check can fail.
    obj = bar_scene().sim_object
    tilt = np.array([[1.0, 0.0, 0.0], [0.0, np.cos(0.7), -np.sin(0.7)], [0.0, np.sin(0.7), np.cos(0.7)]])
    lowest = (obj.vertices @ tilt.T)[:, 2].min()
    pose = np.eye(4)
    pose[:3, :3], pose[2, 3] = tilt, -lowest
    assert pose_drift(obj, pose, seconds=2.0).max_vertex_mm > 5.0
    # ... and a cluster of such "settled" drops is rejected when poses are merged, a real one is kept.
    merged = stable.merge_poses(obj, np.array([pose] * 3), Symmetry(), StablePoseConfig(), drops=3)
    assert len(merged) == 0 and merged.rejected == 1
    flat = bar_scene().stable.pose(0)
    merged = stable.merge_poses(obj, np.array([pose, flat, flat]), Symmetry(), StablePoseConfig(), drops=3)
    assert len(merged) == 1 and merged.counts.tolist() == [2] and merged.rejected == 1


def test_cache_resume_and_reuse(tmp_path, monkeypatch):
    obj = _cube(True)
    config = StablePoseConfig(drops=48, chunk=16)
    first = find_stable_poses(obj, config, cache_dir=tmp_path)
    result, chunks = stable.cache_paths(obj, config, tmp_path)
    assert result.is_file() and len(list(chunks.glob("chunk*.npz"))) == 3
    # A killed run: the merged file and one chunk are gone; the rerun redoes only that chunk.
    result.unlink()
    (chunks / "chunk00001.npz").unlink()
    calls = []
    real = stable.run_chunk
    monkeypatch.setattr(stable, "run_chunk", lambda o, c, k: calls.append(k) or real(o, c, k))
    again = find_stable_poses(obj, config, cache_dir=tmp_path)
    assert calls == [1]
    np.testing.assert_array_equal(first.rotations, again.rotations)
    np.testing.assert_array_equal(first.counts, again.counts)
    # Fully cached: nothing is simulated.
    monkeypatch.setattr(stable, "run_chunk", lambda *a: pytest.fail("simulated despite the cache"))
    cached = find_stable_poses(obj, config, cache_dir=tmp_path)
    np.testing.assert_array_equal(first.heights, cached.heights)
