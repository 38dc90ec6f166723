"""Tabletop scenes benchmark: stable-pose search time, renderer speed and fidelity, loader throughput, pictures.

    python src/dexvlg_data/benchmarks/scenes.py            # -> results/scenes.json, results/scenes/*.png
    python src/dexvlg_data/benchmarks/scenes.py --quick    # fewer drops and views (smoke run)

Stable poses are searched in a fresh cache (so the time is measured, not read back); CoACD decompositions come
from the usual decomposition cache and their time is reported separately. Grasps are stand-ins
(dexvlg_data.scenes.toy_grasps) until the synthesized tables exist: they exercise placement and the loader.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
from torch.utils.data import DataLoader

from dexvlg_core.sim import load_object
from dexvlg_core.sim.checks import point_triangles_distance
from dexvlg_data.objects.families import generate
from dexvlg_data.scenes.catalog import SceneConfig, SceneObject, prepare_scene_object
from dexvlg_data.scenes.dataset import LoaderConfig, SceneDataset, collate_samples, write_render_cache
from dexvlg_data.scenes.noise import DepthNoiseConfig
from dexvlg_data.scenes.pictures import save_clouds_figure, save_views_figure
from dexvlg_data.scenes.render import RenderConfig, render_view
from dexvlg_data.scenes.stable import StablePoseConfig, find_stable_poses_batch, pose_drift
from dexvlg_data.scenes.toy_grasps import bar_grasps, labeled_bar, toy_grasps

REPO_ROOT = Path(__file__).resolve().parents[3]
OBJECTS = (("mug", 1, "handle"), ("kettle", 3, "handle"), ("bottle", 2, "body"), ("hammer", 4, "handle"),
           ("wine glass", 5, "stem"), ("frying pan", 6, "handle"))


def _grasps(obj, target: str) -> list:
    other = next(p for p in obj.part_names if p != target)
    return (toy_grasps(obj, target, 60, 0, "wrap") + toy_grasps(obj, target, 60, 1, "pinch")
            + toy_grasps(obj, other, 40, 2, "wrap"))


def stable_pose_search(objects: list, drops: int, workers: int, cache: str) -> tuple[dict, list]:
    """Decompose (cached), drop-test in ``cache`` (fresh: measured), re-simulate every pose 2 s."""
    start = time.perf_counter()
    sims = [load_object(o, name=o.object_id) for o in objects]
    decomposition_s = time.perf_counter() - start
    config = StablePoseConfig(drops=drops)
    start = time.perf_counter()
    results = find_stable_poses_batch(sims, config, cache_dir=cache, workers=workers)
    wall = time.perf_counter() - start
    per_object = {}
    for obj, sim, res in zip(objects, sims, results, strict=True):
        drifts = [pose_drift(sim, res.pose(i), 2.0) for i in range(len(res))]
        per_object[obj.object_id] = {
            "seconds_one_core": round(res.seconds, 2), "poses": len(res), "settled": res.settled, "drops": res.drops,
            "top_probabilities": [round(float(p), 3) for p in res.probabilities[:5]],
            "symmetry": res.symmetry.describe(), "collision_pieces": len(sim.hulls),
            "max_drift_mm_2s": round(max(d.max_vertex_mm for d in drifts), 4),
        }
    summary = {
        "drops_per_object": drops, "workers": workers, "wall_seconds_all_objects": round(wall, 2),
        "mean_seconds_per_object_one_core": round(float(np.mean([v["seconds_one_core"]
                                                                 for v in per_object.values()])), 2),
        "decomposition_seconds_all_objects_cached_or_not": round(decomposition_s, 2),
        "max_drift_mm_2s_all_poses": max(v["max_drift_mm_2s"] for v in per_object.values()),
        "per_object": per_object,
    }
    return summary, sims


def renderer(scenes: list[SceneObject], views: int) -> dict:
    """Views/s and cloud-to-mesh error of both renderers (full D415 resolution, 10,000 points)."""
    out = {}
    for name, config in (("raycast", RenderConfig()), ("opengl", RenderConfig(backend="opengl")),
                         ("raycast+noise", RenderConfig(noise=DepthNoiseConfig()))):
        errors, pixels, seconds = [], [], 0.0
        render_view(scenes[0].part_object, scenes[0].pose(0), 0, config)  # compile / warm up
        count = 0
        for scene in scenes:
            for k in range(views):
                start = time.perf_counter()
                view = render_view(scene.part_object, scene.pose(0), k, config, seed=k)
                seconds += time.perf_counter() - start
                count += 1
                t = view.object_to_camera()
                tri = (scene.part_object.mesh.vertices @ t[:3, :3].T + t[:3, 3])[scene.part_object.mesh.faces]
                errors.append(float(point_triangles_distance(view.points[:1000], tri).mean()))
                pixels.append(view.valid_pixels)
        out[name] = {"views_per_s": round(count / seconds, 2), "cloud_to_mesh_mean_mm": round(1e3 * np.mean(errors), 6),
                     "cloud_to_mesh_worst_view_mm": round(1e3 * np.max(errors), 6),
                     "object_pixels_mean": int(np.mean(pixels)), "views": count}
    return out


def loader(scenes: list[SceneObject], samples: int, workers: int) -> dict:
    """Training samples per second delivered by the loader (batches of 8 through a DataLoader, worker start-up
    included): rendering on the fly (``samples`` samples) and reading the render cache (two whole epochs).
    """
    out = {}
    config = LoaderConfig(seed=0)

    def rate(dataset: SceneDataset, num_workers: int, limit: int | None = None, epochs: int = 1) -> float:
        start, n = time.perf_counter(), 0
        for epoch in range(epochs):
            dataset.set_epoch(epoch)
            for batch in DataLoader(dataset, batch_size=8, num_workers=num_workers, collate_fn=collate_samples):
                n += len(batch["instruction"])
                if limit is not None and n >= limit:
                    return n / (time.perf_counter() - start)
        return n / (time.perf_counter() - start)

    out["on_the_fly_samples_per_s"] = {f"workers={w}": round(rate(SceneDataset(scenes, config), w, samples), 2)
                                       for w in (0, workers)}
    with tempfile.TemporaryDirectory() as cache:
        start = time.perf_counter()
        write_render_cache(scenes, cache, config.render, seed=0, workers=workers)
        views = sum(len(s.placements) for s in scenes) * config.render.rig.views
        out["render_cache"] = {"seconds": round(time.perf_counter() - start, 2), "workers": workers,
                               "shards": sum(1 for _ in Path(cache).glob("shard-*.npz")),
                               "mb": round(sum(p.stat().st_size for p in Path(cache).glob("*.npz")) / 1e6, 1),
                               "views_at_most": views}
        out["cached_samples_per_s"] = {f"workers={w}": round(rate(SceneDataset(scenes, config, cache), w, epochs=2), 2)
                                       for w in (0, workers)}
    out["items_per_epoch_upper_bound"] = len(SceneDataset(scenes, config))
    return out


def ray_check(scene: SceneObject) -> dict:
    """Render 8 views through Ray and compare with local renders (they must be identical)."""
    try:
        import ray
    except ImportError:
        return {"available": False}
    from dexvlg_data.scenes.distributed import render_views_ray

    config = RenderConfig()
    start = time.perf_counter()
    ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False)
    init_s = time.perf_counter() - start
    items = [(scene.part_object, scene.pose(0), k, k) for k in range(8)]
    start = time.perf_counter()
    remote = render_views_ray(items, config)
    ray_s = time.perf_counter() - start
    ray.shutdown()
    same = all(np.array_equal(r.points, render_view(o, p, k, config, s).points)
               for r, (o, p, k, s) in zip(remote, items, strict=True))
    return {"available": True, "version": ray.__version__, "init_seconds": round(init_s, 2),
            "views_per_s_incl_first_task_startup": round(8 / ray_s, 2), "identical_to_local": same}


def pictures(scenes: list[SceneObject], targets: dict[str, str], out: Path) -> list[str]:
    """The 8 RGB views and the 8 clouds (target part, one grasp) of each scene's most frequent usable pose."""
    written = []
    for scene in scenes:
        part = targets[scene.object_id]
        pose = next((i for i in range(scene.num_poses) if scene.kept_grasps(i, part)), None)
        if pose is None:
            continue
        name = scene.object_id
        written.append(str(save_views_figure(scene, pose, out / f"{name}_views.png").relative_to(REPO_ROOT)))
        written.append(str(save_clouds_figure(scene, pose, part, out / f"{name}_clouds.png").relative_to(REPO_ROOT)))
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--no-ray", action="store_true")
    args = parser.parse_args()
    drops = 100 if args.quick else 1000
    objects = [generate(c, s) for c, s, _ in OBJECTS]
    targets = {o.object_id: t for o, (_, _, t) in zip(objects, OBJECTS, strict=True)}
    report: dict[str, object] = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version()}}

    with tempfile.TemporaryDirectory() as cache:
        print(f"stable poses: {len(objects)} objects x {drops} drops ...", flush=True)
        report["stable_poses"], _ = stable_pose_search(objects, drops, args.workers, cache)
        config = SceneConfig(stable=StablePoseConfig(drops=drops), cache_dir=cache)  # now cached
        start = time.perf_counter()
        scenes = [prepare_scene_object(o, _grasps(o, targets[o.object_id]), config, workers=args.workers)
                  for o in objects]
        bar = prepare_scene_object(labeled_bar(), bar_grasps(), config)
        prepare_s = time.perf_counter() - start
    checked = sum(len(s.grasps) * s.num_poses for s in scenes)
    report["placement"] = {
        "grasp_pose_pairs_checked": checked, "kept": int(sum(len(p.kept) for s in scenes for p in s.placements)),
        "seconds_incl_bar_stable_poses": round(prepare_s, 2),
        "bar_reference_grasp_kept_per_pose": {f"up={np.round(bar.stable.up[i], 2).tolist()}": len(p.kept)
                                              for i, p in enumerate(bar.placements)},
    }
    print("renderer ...", flush=True)
    report["renderer"] = renderer(scenes, 2 if args.quick else 8)
    print("loader ...", flush=True)
    report["loader"] = loader(scenes[:3], 48 if args.quick else 160, args.workers)
    if not args.no_ray:
        print("ray ...", flush=True)
        report["ray"] = ray_check(scenes[0])
    print("pictures ...", flush=True)
    report["pictures"] = pictures([scenes[0], scenes[1], bar], {**targets, bar.object_id: "body"},
                                  REPO_ROOT / "results" / "scenes")
    render = report["renderer"]
    report["summary"] = {
        "stable_pose_seconds_per_object": {k: v["seconds_one_core"]
                                           for k, v in report["stable_poses"]["per_object"].items()},
        "views_per_s": render["raycast"]["views_per_s"],
        "views_per_s_opengl": render["opengl"]["views_per_s"],
        "loader_samples_per_s": report["loader"]["cached_samples_per_s"],
        "loader_samples_per_s_on_the_fly": report["loader"]["on_the_fly_samples_per_s"],
        "cloud_to_mesh_error_mm": render["raycast"]["cloud_to_mesh_mean_mm"],
        "cloud_to_mesh_error_mm_opengl": render["opengl"]["cloud_to_mesh_mean_mm"],
        "cloud_to_mesh_error_mm_noisy": render["raycast+noise"]["cloud_to_mesh_mean_mm"],
        "stable_pose_max_drift_mm_2s": report["stable_poses"]["max_drift_mm_2s_all_poses"],
    }
    report["command"] = "python src/dexvlg_data/benchmarks/scenes.py" + (" --quick" if args.quick else "")
    path = REPO_ROOT / "results" / "scenes.json"
    if not args.quick:
        path.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report["summary"], indent=2))
    print(f"wrote {path if not args.quick else '(quick run: results not written)'}")


if __name__ == "__main__":
    main()
