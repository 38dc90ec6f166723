"""Grasps on the table: kept grasps never penetrate the table (checked independently), hidden parts drop."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch
from test_scenes_common import bar_scene, mug_scene

from dexvlg_core.hand.model import HandModel
from dexvlg_core.rotations import transform
from dexvlg_data.scenes.placement import hidden_fractions, place_grasps


def _lowest_hand_point(grasps, object_pose: np.ndarray) -> np.ndarray:
    """Lowest world z of the hand's surface points (HandModel, not MuJoCo) at grasp and pregrasp, per grasp."""
    hand = HandModel(dtype=torch.float64)
    roots = np.array([object_pose @ transform(g.rotation, g.position) for g in grasps])
    lowest = np.full(len(grasps), np.inf)
    for name in ("joints", "pregrasp"):
        q = torch.as_tensor(np.array([getattr(g, name) for g in grasps]))
        poses = hand.forward_kinematics(q, torch.as_tensor(roots[:, :3, 3]), torch.as_tensor(roots[:, :3, :3]))
        lowest = np.minimum(lowest, hand.surface_points(poses)[0][..., 2].min(dim=1).values.numpy())
    return lowest


def test_bar_grasps_kept_only_when_standing():
    scene = bar_scene()
    for i, placement in enumerate(scene.placements):
        up = scene.stable.up[i]
        standing = abs(up[0]) > 0.99  # the bar's long axis (x) vertical
        assert (len(placement.kept) == 4) == standing, (up, placement.kept)
        if not standing:
            assert len(placement.kept) == 0


def test_no_kept_grasp_penetrates_the_table():
    for scene in (bar_scene(), mug_scene()):
        total_kept = total_dropped = 0
        for i, placement in enumerate(scene.placements):
            pose = scene.pose(i)
            kept = [scene.grasps[k] for k in placement.kept]
            if kept:
                assert _lowest_hand_point(kept, pose).min() > -1e-3, scene.object_id
                assert np.all(placement.clearance[placement.kept] >= 0.0)
            dropped = [g for k, g in enumerate(scene.grasps) if k not in set(placement.kept.tolist())]
            total_kept += len(kept)
            total_dropped += placement.dropped.get("table", 0)
            if dropped:  # the control: most dropped grasps do reach under the table top
                assert np.mean(_lowest_hand_point(dropped, pose) < 0.0) > 0.5
        assert total_kept > 0 and total_dropped > 0, scene.object_id


def test_hidden_part_drops_its_grasps():
    scene = bar_scene()
    upside_down = next(i for i in range(len(scene.stable)) if scene.stable.up[i][0] < -0.99)  # "top" on the table
    pose = scene.pose(upside_down)
    hidden = hidden_fractions(scene.sim_object, pose)
    assert hidden["top"] == 1.0 and hidden["body"] < 0.05
    grasps = [replace(g, part="top") for g in scene.grasps]
    placement = place_grasps(grasps, scene.sim_object, pose)
    assert len(placement.kept) == 0 and placement.dropped == {"hidden part": len(grasps)}
    right_way_up = next(i for i in range(len(scene.stable)) if scene.stable.up[i][0] > 0.99)
    assert len(place_grasps(grasps, scene.sim_object, scene.pose(right_way_up)).kept) == 4
