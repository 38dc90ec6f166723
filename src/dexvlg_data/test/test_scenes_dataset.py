"""Training samples and the streaming loader: grasps in the camera frame, determinism, worker sharding, cache."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from test_scenes_common import HULL, SMALL_RENDER, bar_scene, mug_scene, scene_config
from torch.utils.data import DataLoader

from dexvlg_core.grasp_io import write_grasps
from dexvlg_core.rotations import rot6d_to_matrix, transform
from dexvlg_core.sim import load_object
from dexvlg_data.scenes.catalog import prepare_scene_object, procedural_object, render_item
from dexvlg_data.scenes.dataset import LoaderConfig, SceneDataset, collate_samples, read_shard, write_render_cache
from dexvlg_data.scenes.render import render_view
from dexvlg_data.scenes.stable import find_stable_poses
from dexvlg_data.scenes.toy_grasps import labeled_bar


def _key(sample) -> tuple:
    return sample["object_id"], sample["pose_index"], sample["view_index"], sample["part"]


@pytest.fixture(scope="module")
def scenes():
    return [bar_scene(), mug_scene()]


@pytest.fixture(scope="module")
def config():
    return LoaderConfig(seed=3, render=SMALL_RENDER, grasps_per_sample=4)


def test_samples_carry_camera_frame_grasps_and_the_part(scenes, config):
    by_id = {s.object_id: s for s in scenes}
    samples = list(SceneDataset(scenes, config))
    assert 0.5 * len(SceneDataset(scenes, config)) < len(samples) <= len(SceneDataset(scenes, config))
    for sample in samples[:40]:
        scene = by_id[sample["object_id"]]
        assert sample["points"].shape == (256, 3) and sample["grasps"].shape == (4, 31)
        assert sample["part_mask"].sum() >= config.min_part_points
        assert scene.part_object.category in sample["instruction"] and sample["part"] in sample["instruction"]
        for flat, index in zip(sample["grasps"], sample["grasp_indices"], strict=True):
            grasp = scene.grasps[index]
            assert grasp.part == sample["part"] and index in scene.placements[sample["pose_index"]].kept
            if sample["contact_fingers"]:
                assert set(grasp.contact_fingers) == set(sample["contact_fingers"])
            if sample["style"]:
                assert grasp.style == sample["style"]
            # Back to the world frame: camera pose x flat grasp == object pose x object-frame grasp.
            world = sample["camera_pose"] @ transform(rot6d_to_matrix(flat[3:9].astype(float)), flat[:3])
            expected = scene.pose(sample["pose_index"]) @ transform(grasp.rotation, grasp.position)
            np.testing.assert_allclose(world, expected, atol=1e-5)
            np.testing.assert_allclose(flat[9:], grasp.joints, atol=1e-6)


def test_loader_is_deterministic_and_seed_dependent(scenes, config):
    first = list(SceneDataset(scenes, config))
    second = list(SceneDataset(scenes, config))
    assert [_key(s) for s in first] == [_key(s) for s in second]
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a["points"], b["points"])
        np.testing.assert_array_equal(a["grasps"], b["grasps"])
        assert a["instruction"] == b["instruction"]
    other = list(SceneDataset(scenes, replace(config, seed=4)))
    assert [_key(s) for s in other] != [_key(s) for s in first]
    assert sorted(map(_key, other)) == sorted(map(_key, first))
    epoch = SceneDataset(scenes, config)
    epoch.set_epoch(1)
    assert [_key(s) for s in epoch] != [_key(s) for s in first]


def test_workers_and_ranks_split_items_disjointly(scenes, config):
    single = {_key(s): s for s in SceneDataset(scenes, config)}
    loader = DataLoader(SceneDataset(scenes, config), batch_size=None, num_workers=2)
    multi = [s for s in loader]
    assert sorted(map(_key, multi)) == sorted(single)  # each item exactly once
    for sample in multi:  # an item's content does not depend on which worker made it
        np.testing.assert_array_equal(sample["points"], single[_key(sample)]["points"])
        assert sample["instruction"] == single[_key(sample)]["instruction"]
    ranks = [list(SceneDataset(scenes, replace(config, rank=r, world_size=2))) for r in range(2)]
    keys = [set(map(_key, r)) for r in ranks]
    assert not keys[0] & keys[1] and keys[0] | keys[1] == set(single) and keys[0] and keys[1]


def test_render_cache_matches_on_the_fly(scenes, config, tmp_path):
    bar = scenes[:1]
    write_render_cache(bar, tmp_path, config.render, seed=config.seed, views_per_shard=6)
    shards = sorted(tmp_path.glob("shard-*.npz"))
    assert len(shards) >= 2 and (tmp_path / "index.json").is_file()
    cached = list(SceneDataset(bar, config, cache_dir=tmp_path))
    fly = {_key(s): s for s in SceneDataset(bar, config)}
    assert sorted(map(_key, cached)) == sorted(fly)
    for sample in cached:
        np.testing.assert_array_equal(sample["points"], fly[_key(sample)]["points"])
        np.testing.assert_array_equal(sample["grasps"], fly[_key(sample)]["grasps"])
    # Resume: a removed shard is rewritten, identical.
    before = read_shard(shards[0])
    shards[0].unlink()
    write_render_cache(bar, tmp_path, config.render, seed=config.seed, views_per_shard=6)
    after = read_shard(shards[0])
    assert before.keys() == after.keys()
    for key in before:
        np.testing.assert_array_equal(before[key].points, after[key].points)
    with pytest.raises(ValueError, match="another RenderConfig"):
        SceneDataset(bar, replace(config, render=replace(config.render, num_points=128)), cache_dir=tmp_path)


def test_collate_pads_grasps(scenes, config):
    samples = list(SceneDataset(scenes, replace(config, grasps_per_sample=None)))[:6]
    batch = collate_samples(samples)
    counts = [len(s["grasps"]) for s in samples]
    assert batch["points"].shape == (6, 256, 3) and batch["grasps"].shape == (6, max(counts), 31)
    assert batch["grasp_mask"].sum(dim=1).tolist() == counts
    assert len(batch["instruction"]) == 6


def test_grasps_come_from_a_grasp_table_file(scenes, tmp_path):
    bar, mug = scenes
    path = write_grasps(tmp_path / "grasps.parquet", mug.grasps + bar.grasps)
    again = prepare_scene_object(labeled_bar(), path, scene_config())
    assert len(again.grasps) == len(bar.grasps) and {g.object_id for g in again.grasps} == {"bar-00000"}
    assert [p.kept.tolist() for p in again.placements] == [p.kept.tolist() for p in bar.placements]


def test_render_item_is_a_pure_function_of_ids():
    config = scene_config(32)
    a = render_item("bottle-00002", 0, 5, SMALL_RENDER, config, seed=1)
    b = render_item("bottle-00002", 0, 5, SMALL_RENDER, config, seed=1)
    np.testing.assert_array_equal(a.points, b.points)
    obj = procedural_object("bottle-00002")
    assert obj.object_id == "bottle-00002" and obj.category == "bottle"
    poses = find_stable_poses(load_object(obj, config=HULL), config.stable, cache_dir=config.cache_dir)
    direct = render_view(obj, poses.pose(0), 5, SMALL_RENDER, np.random.default_rng([1, 0, 5]))
    np.testing.assert_array_equal(a.points, direct.points)
    with pytest.raises(KeyError):
        procedural_object("not an id")
