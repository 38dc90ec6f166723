"""Tabletop scenes from synthesized, validated grasps: placement, an independent table check, training samples.

    python src/dexvlg_data/benchmarks/scenes_synthesized.py --grasps data/bench/synthesis/lp
        # -> "synthesized" section of results/scenes.json, results/scenes/synth_*.png

Takes every object of a `dexvlg synth` dataset directory that has validated grasps, finds its stable poses
(1,000 drops, cached), moves the grasps into each pose and drops those that hit the table or whose part is
hidden. Then checks the kept ones independently of the placement code: the hand's surface samples (forearm
included) in pregrasp and grasp must stay above the table top (z >= -0.5 mm; the samples lie on the collision
geoms the placement measures exactly). Finally draws training samples through the streaming loader and saves
pictures of the 8 views and clouds with a synthesized grasp.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader

from dexvlg_core.rotations import transform
from dexvlg_data.scenes.catalog import SceneConfig, SceneObject, prepare_scene_objects
from dexvlg_data.scenes.dataset import LoaderConfig, SceneDataset, collate_samples
from dexvlg_data.scenes.pictures import save_clouds_figure, save_views_figure
from dexvlg_data.scenes.stable import StablePoseConfig
from dexvlg_data.synth.context import hand_model
from dexvlg_data.synth.driver import ObjectRef

REPO_ROOT = Path(__file__).resolve().parents[3]
TABLE_TOLERANCE = 5e-4  # m


def lowest_hand_point(scene: SceneObject, pose_index: int, grasp_index: int) -> float:
    """Lowest z (m, table top = 0) of the hand's surface samples in pregrasp and grasp, object in the pose."""
    hand = hand_model()
    grasp = scene.grasps[grasp_index]
    root = scene.pose(pose_index) @ transform(grasp.rotation, grasp.position)
    lowest = np.inf
    for joints in (grasp.pregrasp if grasp.pregrasp is not None else grasp.joints, grasp.joints):
        with torch.no_grad():
            poses = hand.forward_kinematics(torch.as_tensor(joints, dtype=hand.dtype)[None],
                                            torch.as_tensor(root[:3, 3], dtype=hand.dtype)[None],
                                            torch.as_tensor(root[:3, :3], dtype=hand.dtype)[None])
            points, _ = hand.surface_points(poses)
        lowest = min(lowest, float(points[0, :, 2].min()))
    return lowest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grasps", default=str(REPO_ROOT / "data" / "bench" / "synthesis" / "lp"))
    parser.add_argument("--drops", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--samples", type=int, default=32)
    args = parser.parse_args()
    root = Path(args.grasps)
    plan = json.loads((root / "plan.json").read_text())
    refs = [ObjectRef(**o) for o in plan["objects"]]
    with_grasps = [r for r in refs if list((root / "grasps" / r.object_id).glob("*.parquet"))
                   and any(len(p.read_bytes()) for p in (root / "grasps" / r.object_id).glob("*.parquet"))]
    objects = [r.load() for r in with_grasps]
    start = time.perf_counter()
    scenes = prepare_scene_objects(objects, root / "grasps", SceneConfig(stable=StablePoseConfig(drops=args.drops)),
                                   workers=args.workers)
    prepare_s = time.perf_counter() - start
    scenes = [s for s in scenes if s.grasps]

    per_object, lowest_all, below = {}, np.inf, 0
    for scene in scenes:
        kept = sum(len(p.kept) for p in scene.placements)
        checked = len(scene.grasps) * len(scene.placements)
        dropped: dict[str, int] = {}
        for p in scene.placements:
            for reason, n in p.dropped.items():
                dropped[reason] = dropped.get(reason, 0) + n
            for g in p.kept:
                z = lowest_hand_point(scene, p.pose_index, int(g))
                lowest_all = min(lowest_all, z)
                below += int(z < -TABLE_TOLERANCE)
        per_object[scene.object_id] = {"grasps": len(scene.grasps), "poses": len(scene.placements),
                                       "grasp_pose_pairs": checked, "kept": kept, "dropped": dropped}
    dataset = SceneDataset(scenes, LoaderConfig(seed=0))
    start, samples, example = time.perf_counter(), 0, None
    for batch in DataLoader(dataset, batch_size=8, num_workers=0, collate_fn=collate_samples):
        samples += len(batch["instruction"])
        example = example or {"instruction": batch["instruction"][0], "part": batch["part"][0]}
        if samples >= args.samples:
            break
    loader_rate = samples / (time.perf_counter() - start)

    pictures = []
    out_dir = REPO_ROOT / "results" / "scenes"
    for scene in scenes[:2]:
        pose = next((i for i in range(scene.num_poses) if scene.kept_grasps(i)), None)
        if pose is None:
            continue
        part = scene.parts_with_grasps(pose)[0]
        name = f"synth_{scene.object_id}"
        pictures.append(str(save_views_figure(scene, pose, out_dir / f"{name}_views.png").relative_to(REPO_ROOT)))
        pictures.append(str(save_clouds_figure(scene, pose, part, out_dir / f"{name}_clouds.png")
                            .relative_to(REPO_ROOT)))

    section = {
        "grasps_from": str(root), "objects": len(scenes), "prepare_seconds": round(prepare_s, 1),
        "grasp_pose_pairs": sum(v["grasp_pose_pairs"] for v in per_object.values()),
        "kept": sum(v["kept"] for v in per_object.values()),
        "kept_below_table_top": below, "lowest_kept_hand_point_mm": round(1e3 * lowest_all, 3),
        "loader_samples": samples, "loader_samples_per_s_on_the_fly": round(loader_rate, 2),
        "example_sample": example, "pictures": pictures, "per_object": per_object,
        "command": "python src/dexvlg_data/benchmarks/scenes_synthesized.py --grasps " + str(args.grasps),
        "machine_load_1min": os.getloadavg()[0],
    }
    path = REPO_ROOT / "results" / "scenes.json"
    report = json.loads(path.read_text()) if path.exists() else {}
    report["synthesized"] = section
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({k: v for k, v in section.items() if k != "per_object"}, indent=2))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
