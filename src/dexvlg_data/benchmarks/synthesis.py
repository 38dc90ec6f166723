"""Synthesis benchmark: yield, quality, throughput and LP vs DFC force closure, on objects of every split.

    python src/dexvlg_data/benchmarks/synthesis.py                    # -> results/synthesis.json + .png
    python src/dexvlg_data/benchmarks/synthesis.py --per-category 1 --categories 6 --batch 8 --workers 2

Runs `dexvlg synth`'s driver twice over the same objects and unit seeds (so the same initial hands): once with
the LP-based force closure (the default) and once with plain DFC. Both runs are resumable dataset directories
under --work (default data/bench/synthesis/{lp,dfc}); rerunning the command continues them, and on a finished
--work it re-scores the stored grasps in seconds (``optimized_this_run`` 0; ``wall_seconds_synthesis`` keeps
the wall time of the run that made them). Reports
- yield = validated / optimized, per split, style and part kind;
- penetration and self-penetration (mm, the evaluator's) and Q1 (synth.quality: mu 0.3, links within 5 mm; again
  from the fingertips alone, the reference benchmark's setting) of validated grasps (all of them, up to
  --q1-grasps, spread evenly over the whole set so that each grasp weighs the same), with their contacts; for
  context, Q1 at the squeezed posture and at the simulator's friction;
- six-direction success: validated / grasps that reached the disturbance test (passed the static checks);
- validated grasps per core-hour and the share of optimization vs. simulation in the CPU time;
- a picture of validated grasps on several objects (hand on the object, parts coloured);
- how far the shipped model's dataset (``make dataset``, data/grasps/<split>) has got: objects and validated
  grasps per split against the goal of 1,000 training objects and 50,000 grasps, and the same quality figures
  for up to --q1-grasps of each split's grasps (``--dataset-only`` updates just that entry of an existing
  report).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("MUJOCO_GL", "egl")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from dexvlg_core.grasp_io import read_grasps  # noqa: E402
from dexvlg_data.objects.families.splits import HELDOUT_CATEGORIES, TRAIN_CATEGORIES, split_of  # noqa: E402
from dexvlg_data.synth.config import OptimizerConfig, SDFConfig, SynthConfig, override  # noqa: E402
from dexvlg_data.synth.driver import DatasetDir, ObjectRef, SynthPlan, failure_kind, run_plan, summarize  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[3]
# Failure kinds (driver.failure_kind) decided before any simulation.
STATIC_FAILURES = frozenset({"hand-object penetration", "self-penetration", "part alignment", "no contact",
                             "pregrasp penetration"})


def bench_objects(per_category: int, categories: int) -> list[ObjectRef]:
    """Objects of the three procedural splits: train, held-out instances (seeds 90000+), held-out categories."""
    step = max(1, len(TRAIN_CATEGORIES) // categories)
    train_cats = TRAIN_CATEGORIES[::step][:categories]
    held_cats = HELDOUT_CATEGORIES[: max(1, categories // 2)]
    objects = [ObjectRef(c, s) for c in train_cats for s in range(per_category)]
    objects += [ObjectRef(c, 90_000 + s) for c in train_cats[: max(1, categories // 2)] for s in range(per_category)]
    objects += [ObjectRef(c, s) for c in held_cats for s in range(per_category)]
    return objects


def unit_records(root: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((root / "units").glob("*/*.json"))]


def six_direction_success(records: list[dict]) -> dict:
    """Among grasps that passed the static checks and were simulated: the share that held in all directions."""
    simulated = validated = 0
    for r in records:
        static = sum(n for kind, n in r["failures"].items() if failure_kind(kind) in STATIC_FAILURES)
        simulated += r["optimized"] - static
        validated += r["validated"]
    return {"simulated": simulated, "held": validated, "rate": validated / simulated if simulated else None}


def quality(root: Path, objects: list[ObjectRef], config: SynthConfig, limit: int) -> dict:
    """Penetration, self-penetration and Q1 of the validated grasps (Q1 of up to ``limit`` of them, spread evenly over
    the set), over all and over the wrap grasps alone (the reference dataset's published figures are for wrap grasps).

    Q1 twice: from every hand link within 5 mm (``q1``), and from the distal phalanges alone (``q1_tips_only``, the
    reference benchmark's evaluation setting); with the contacts behind them (links and fingertips within 5 mm,
    and how often the thumb's tip is one of them). Two more views of the same grasps, for context only (the goal
    and the reference figure are the grasp posture's Q1 at mu 0.3): ``q1_squeezed``, at the squeezed posture the
    simulator holds the object with, and ``q1_sim_friction``, at the simulator's friction (0.6).
    """
    from dexvlg_core.sim.config import SimConfig
    from dexvlg_data.synth.context import prepare_object
    from dexvlg_data.synth.quality import TIP_LINKS, link_contacts, q1_metric

    # (style, penetration, self-penetration, q1, q1 tips only, links, tips, thumb tip, q1 squeezed,
    #  q1 at the simulator's friction); None: not scored
    rows = []
    out = DatasetDir(root)
    per_object = {obj: [g for f in sorted((out.root / "grasps" / obj.object_id).glob("*.parquet"))
                        for g in read_grasps(f)] for obj in objects}
    # Q1's sample: evenly spread over all the grasps in order (objects, then their parts and styles), so that its
    # mean estimates the set's mean, each grasp weighing the same (objects with more grasps weigh more).
    total = sum(len(grasps) for grasps in per_object.values())
    chosen = set(np.linspace(0, total - 1, min(limit, total)).round().astype(int).tolist()) if total else set()
    first = 0  # index of the object's first grasp among all
    for obj, grasps in per_object.items():
        mine = {i - first for i in chosen if first <= i < first + len(grasps)}
        first += len(grasps)
        target = prepare_object(obj.load(), config) if mine else None
        for i, g in enumerate(grasps):
            scored: tuple = (None,) * 7
            if i in mine:
                names, points, normals = link_contacts(g, target)
                tips = [k for k, name in enumerate(names) if name in TIP_LINKS]
                squeezed = replace(g, joints=g.squeeze) if g.squeeze is not None else g
                scored = (q1_metric(points, normals), q1_metric(points[tips], normals[tips]), len(names), len(tips),
                          float("rh_thdistal" in names), q1_metric(*link_contacts(squeezed, target)[1:]),
                          q1_metric(points, normals, mu=SimConfig().friction[0]))
            rows.append((g.style, g.scores["penetration_mm"], g.scores["self_penetration_mm"], *scored))

    def stats(selected: list[tuple]) -> dict:
        out = {}
        for name, column in (("penetration_mm", 1), ("self_penetration_mm", 2), ("q1", 3), ("q1_tips_only", 4),
                             ("q1_squeezed", 8), ("q1_sim_friction", 9)):
            values = [r[column] for r in selected if r[column] is not None]
            out[name] = {"mean": float(np.mean(values)) if values else None,
                         "median": float(np.median(values)) if values else None, "count": len(values)}
            if name.startswith("q1"):
                out[name]["force_closure_share"] = float(np.mean(np.array(values) > 0)) if values else None
        scored = [r for r in selected if r[5] is not None]
        out["contacts_within_5mm"] = {
            "links": float(np.mean([r[5] for r in scored])) if scored else None,
            "fingertips": float(np.mean([r[6] for r in scored])) if scored else None,
            "thumb_tip_share": float(np.mean([r[7] for r in scored])) if scored else None}
        return out

    return {**stats(rows), "wrap": stats([r for r in rows if r[0] == "wrap"]),
            "pinch": stats([r for r in rows if r[0] == "pinch"])}


def per_split(records: list[dict], objects: list[ObjectRef]) -> dict:
    split = {o.object_id: split_of(o.category, o.seed) for o in objects}
    tally: dict[str, Counter] = {}
    for r in records:
        c = tally.setdefault(split[r["object"]], Counter())
        c["optimized"] += r["optimized"]
        c["validated"] += r["validated"]
    return {k: {**v, "yield": v["validated"] / v["optimized"] if v["optimized"] else None} for k, v in tally.items()}


def picture(root: Path, objects: list[ObjectRef], config: SynthConfig, out: Path, count: int = 8) -> None:
    """A grid of validated grasps, one per object where there is one, hand on the object, parts coloured.

    Each grasp is framed closely (the camera looks at the palm's contact area from 30 cm, beyond the fingertips)
    from two sides, so that the fingers on the part can be seen; the title names object, part, style and
    contact fingers.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import mujoco
    from scipy.spatial import cKDTree

    from dexvlg_core.rotations import transform
    from dexvlg_core.sim.scene import SceneOptions, build_scene
    from dexvlg_data.synth.context import prepare_object

    chosen = []
    for obj in objects:
        files = sorted((root / "grasps" / obj.object_id).glob("*.parquet"))
        grasps = [g for f in files for g in read_grasps(f)]
        if grasps:
            chosen.append((obj, grasps[len(grasps) // 2]))
        if len(chosen) == count:
            break
    if not chosen:
        return
    cols = min(4, len(chosen))
    rows = (len(chosen) + cols - 1) // cols
    fig, axes = plt.subplots(rows, 2 * cols, figsize=(4 * cols, 2.3 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for k, (obj, grasp) in enumerate(chosen):
        target = prepare_object(obj.load(), config)
        tree = cKDTree(target.obj.mesh.triangles_center)
        scene = build_scene(target.sim, options=SceneOptions(camera=False))
        for g in range(scene.model.ngeom):  # show the convex pieces, each coloured by the part of its nearest face
            name = scene.model.geom(g).name
            if name == "object_visual":
                scene.model.geom_rgba[g, 3] = 0.0
            if "object_hull" in name:
                scene.model.geom_group[g] = 2
                piece = int(name.rsplit("hull", 1)[1])
                _, face = tree.query(target.sim.hulls[piece].mean(axis=0))
                part = target.obj.face_parts[face]
                scene.model.geom_rgba[g] = [*(target.obj.part_colors[part] / 255.0), 1.0]
                scene.model.geom_matid[g] = -1  # a material's colour would override the geom's
        scene.set_hand(transform(grasp.rotation, grasp.position), grasp.joints)
        mujoco.mj_forward(scene.model, scene.data)
        palm = grasp.position + grasp.rotation @ np.array([0.0, -0.03, 0.07])  # in front of the palm
        renderer = mujoco.Renderer(scene.model, 240, 240)
        # From beyond the fingertips (+z), on the palm's side (-y), once from each side (+-x): the forearm, which
        # runs back along -z, stays out of the picture.
        for side, across in enumerate((0.7, -0.7)):
            eye = grasp.rotation @ np.array([across, -0.5, 1.0])
            forward = -eye / np.linalg.norm(eye)
            camera = mujoco.MjvCamera()
            camera.lookat[:] = palm
            camera.distance = 0.3
            camera.azimuth = float(np.degrees(np.arctan2(forward[1], forward[0])))
            camera.elevation = float(np.degrees(np.arcsin(np.clip(forward[2], -1.0, 1.0))))
            renderer.update_scene(scene.data, camera)
            ax = axes.flat[2 * k + side]
            ax.imshow(renderer.render())
            if side == 0:
                ax.set_title(f"{target.category}: {grasp.part}, {grasp.style}; {', '.join(grasp.contact_fingers)}",
                             fontsize=7, loc="left")
        renderer.close()
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)


DATASET_GOAL = {"train_objects": 1000, "train_validated": 50_000}


def dataset_progress(root: Path, q1_grasps: int = 0) -> dict:
    """Counts of the shipped model's grasp dataset (``make dataset``) so far, per split directory under root; with
    ``q1_grasps``, the quality (quality()) of up to that many of each split's validated grasps.
    """
    splits = {}
    for split in ("train", "heldout_instance", "heldout_category"):
        if not (root / split / "plan.json").exists():
            continue
        summary = summarize(root / split)
        cpu = summary["seconds"]["optimization_s"] + summary["seconds"]["validation_s"]
        plan = json.loads((root / split / "plan.json").read_text())
        splits[split] = {"objects_done": summary["objects"], "objects_planned": len(plan["objects"]),
                         "objects_with_grasps": summary["objects_with_grasps"], "validated": summary["validated"],
                         "optimized": summary["optimized"], "yield": summary["yield"],
                         "per_style": summary["per_style"],
                         "validated_per_core_hour": summary["validated"] / (cpu / 3600.0) if cpu else None,
                         "cpu_seconds": summary["seconds"], "optimization_stages": summary["optimization_stages"]}
        if q1_grasps and summary["validated"]:
            config = replace(SynthConfig(), sdf=SDFConfig(**plan["config"]["sdf"]))  # all quality() needs
            refs = [ObjectRef(**o) for o in plan["objects"]]
            members = [o for o in refs if (root / split / "grasps" / o.object_id).is_dir()]
            splits[split]["quality"] = quality(root / split, members, config, q1_grasps)
    train = splits.get("train", {})
    return {"root": os.path.relpath(root, REPO_ROOT), "splits": splits, "goal": DATASET_GOAL,
            "train_objects": train.get("objects_with_grasps", 0), "train_validated": train.get("validated", 0)}


def lp_vs_dfc(report: dict, variants: dict) -> dict:
    """Yield and six-direction success of both force closures on the objects both ran (identical inits)."""
    if "dfc" not in variants:
        return {}
    shared = {o.object_id for o in variants["dfc"][1]}
    out = {}
    for name in variants:
        records = [r for r in unit_records(Path(report["work"]) / name) if r["object"] in shared]
        optimized, validated = sum(r["optimized"] for r in records), sum(r["validated"] for r in records)
        out[name] = {"objects": len(shared), "optimized": optimized, "validated": validated,
                     "yield": validated / optimized if optimized else None,
                     "six_direction": six_direction_success(records)["rate"]}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-category", type=int, default=1)
    parser.add_argument("--categories", type=int, default=6, help="training categories (every n-th)")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--iterations", type=int, default=OptimizerConfig().iterations)
    parser.add_argument("--set", action="append", metavar="PATH=VALUE",
                        help="a synthesis setting for both variants, e.g. energy.weights.force_closure=15")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--dfc-objects", type=int, default=4, help="objects (the first ones) of the DFC run; 0: none")
    parser.add_argument("--q1-grasps", type=int, default=1000,
                        help="validated grasps to compute Q1 for (per dataset split; the benchmark's ~320 all fit)")
    parser.add_argument("--work", default=str(REPO_ROOT / "data" / "bench" / "synthesis"))
    parser.add_argument("--out", default=str(REPO_ROOT / "results" / "synthesis.json"))
    parser.add_argument("--dataset", default=str(REPO_ROOT / "data" / "grasps"), help="make dataset's output")
    parser.add_argument("--dataset-only", action="store_true",
                        help="only update the dataset counts in an existing --out (no benchmark run)")
    args = parser.parse_args()
    if args.dataset_only:
        out = Path(args.out)
        report = json.loads(out.read_text())
        report["dataset"] = dataset_progress(Path(args.dataset), args.q1_grasps)
        out.write_text(json.dumps(report, indent=1) + "\n")
        print(json.dumps({k: v for k, v in report["dataset"].items() if k != "splits"}, indent=1))
        return

    objects = bench_objects(args.per_category, args.categories)
    base = override(SynthConfig(batch_size=args.batch, optimizer=OptimizerConfig(iterations=args.iterations)),
                    args.set or ())
    variants = {"lp": (base, objects)}
    if args.dfc_objects:  # the same settings with plain DFC
        variants["dfc"] = (replace(base, energy=replace(base.energy, fc_lp=False)), objects[: args.dfc_objects])
    report: dict = {"objects": [o.object_id for o in objects], "work": args.work, "config": {
        "batch": args.batch, "iterations": args.iterations, "workers": args.workers, "set": args.set or []}}
    # A rerun on a finished --work only re-scores; the wall time of the run that synthesized stays on record.
    previous = json.loads(Path(args.out).read_text()) if Path(args.out).exists() else {}
    previous = previous if previous.get("work") == args.work else {}
    for name, (config, members) in variants.items():
        root = Path(args.work) / name
        before = summarize(root)["optimized"] if (root / "plan.json").exists() else 0  # a rerun only re-scores
        start = time.perf_counter()
        run_plan(SynthPlan(tuple(members), config, name=f"synthesis benchmark ({name})"), root, args.workers)
        wall = time.perf_counter() - start
        records = [r for r in unit_records(root) if r["object"] in {o.object_id for o in members}]
        summary = summarize(root)
        cpu = summary["seconds"]["optimization_s"] + summary["seconds"]["validation_s"]
        report[name] = {
            "yield": summary["yield"], "optimized": summary["optimized"], "validated": summary["validated"],
            "per_split": per_split(records, objects), "per_style": summary["per_style"],
            "per_kind": summary["per_kind"], "failures": summary["failures"],
            "posture_options": summary["posture_options"],  # 0: the grasp's own squeeze, k: the k-th fallback
            "six_direction": six_direction_success(records),
            "validated_per_core_hour": summary["validated"] / (cpu / 3600.0) if cpu else None,
            "time_split": {k: v / cpu for k, v in summary["seconds"].items()} if cpu else None,
            "cpu_seconds": summary["seconds"], "wall_seconds_this_run": wall,
            "optimization_stages": summary["optimization_stages"],  # optimization CPU by synthesis stage
            "optimized_this_run": summary["optimized"] - before,
            "wall_seconds_synthesis": wall if summary["optimized"] > before else previous.get(name, {}).get(
                "wall_seconds_synthesis", previous.get(name, {}).get("wall_seconds_this_run")),
            "rejected_objects": summary["rejected"],
            "objects": len(members),
            "quality": quality(root, members, config, args.q1_grasps),
        }
        print(f"{name}: yield {summary['yield']:.3f} ({summary['validated']}/{summary['optimized']}), "
              f"six-direction {report[name]['six_direction']['rate']}, "
              f"{report[name]['validated_per_core_hour']:.0f} validated/core-hour", flush=True)
    lp = report["lp"]
    report["summary"] = {
        "yield": lp["yield"], "penetration_mm": lp["quality"]["penetration_mm"]["mean"],
        "self_penetration_mm": lp["quality"]["self_penetration_mm"]["mean"], "q1": lp["quality"]["q1"]["mean"],
        "q1_tips_only": lp["quality"]["q1_tips_only"]["mean"],
        "q1_squeezed": lp["quality"]["q1_squeezed"]["mean"],
        "q1_sim_friction": lp["quality"]["q1_sim_friction"]["mean"],
        "validated_per_core_hour": lp["validated_per_core_hour"],
        "part_alignment_rate_of_validated": 1.0,  # validation requires the part-alignment check to pass
        "lp_vs_dfc": lp_vs_dfc(report, variants),
        "wrap": {k: lp["quality"]["wrap"][k]["mean"]
                 for k in ("penetration_mm", "self_penetration_mm", "q1", "q1_tips_only")},
        "reference_wrap": {"penetration_mm": 1.75, "self_penetration_mm": 0.19, "q1": 0.085},
        "goals": {"yield": 0.30, "penetration_mm": 1.5, "self_penetration_mm": 0.2, "q1": 0.08},
    }
    report["dataset"] = dataset_progress(Path(args.dataset), args.q1_grasps)
    report["machine"] = {"cpu_count": os.cpu_count(), "python": platform.python_version(),
                         "load_average_1min": os.getloadavg()[0]}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1) + "\n")
    picture(Path(args.work) / "lp", objects, base, out.with_suffix(".png"))
    print(json.dumps(report["summary"], indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
