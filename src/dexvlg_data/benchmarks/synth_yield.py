"""Synthesis core benchmark: yield, quality and cost of part-aware grasp synthesis on a few family objects.

    python src/dexvlg_data/benchmarks/synth_yield.py                 # -> results/synth_core.json
    python src/dexvlg_data/benchmarks/synth_yield.py --batch 8 --iterations 100 --cases "bottle:body,mug:handle"

For every (object, part) and both styles: synthesize() one batch, validate() it in MuJoCo, and report
- yield = validated / optimized grasps, per part kind and per style;
- mean hand-object and self penetration (mm) of the validated grasps;
- where the time goes: CPU seconds of optimization vs. validation (static checks + simulation);
- validated grasps per core-hour (validated / total CPU hours of this process, one torch thread);
- the object distance grid against trimesh's exact signed distance: error and query speed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import trimesh  # noqa: E402

from dexvlg_data.objects.families import generate  # noqa: E402
from dexvlg_data.synth import OptimizerConfig, SynthConfig, prepare_object, synthesize, validate  # noqa: E402
from dexvlg_data.synth.config import override  # noqa: E402
from dexvlg_data.synth.driver import failure_kind  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_CASES = ("bottle:body,hammer:handle,screwdriver:handle,jar:lid,teapot:lid,frying pan:pan,lamp:base,"
                 "wine glass:base,mug:handle,kettle:handle")


def sdf_accuracy(target, samples: int = 4000, seed: int = 0) -> dict:
    """Grid vs trimesh's exact signed distance (sign flipped to ours) near the mesh surface, and query speeds."""
    mesh = target.obj.mesh
    rng = np.random.default_rng(seed)
    surface, _ = trimesh.sample.sample_surface(mesh, samples, seed=seed)
    points = surface + rng.normal(0.0, 0.01, surface.shape)
    start = time.perf_counter()
    exact = -trimesh.proximity.signed_distance(mesh, points)
    trimesh_s = time.perf_counter() - start
    # The mesh grid (the collision grid describes a different shape: the union of convex pieces).
    from dexvlg_data.synth.config import SDFConfig
    from dexvlg_data.synth.sdf import ObjectSDF

    grid = ObjectSDF.build(mesh, SDFConfig(source="mesh"))
    query = torch.tensor(points, dtype=torch.float32)
    grid(query)
    start = time.perf_counter()
    for _ in range(10):
        value, _ = grid(query)
    grid_s = (time.perf_counter() - start) / 10
    error = np.abs(value.numpy() - exact)
    sign = np.abs(exact) > 0.002
    return {
        "object": target.obj.object_id, "points": samples, "grid_shape": list(grid.shape), "cell_mm": 1e3 * grid.cell,
        "build_s": grid.info.seconds, "mean_abs_error_mm": float(1e3 * error.mean()),
        "p99_abs_error_mm": float(1e3 * np.quantile(error, 0.99)), "max_abs_error_mm": float(1e3 * error.max()),
        "sign_agreement_beyond_2mm": float(np.mean(np.sign(value.numpy()[sign]) == np.sign(exact[sign]))),
        "grid_points_per_s": samples / grid_s, "trimesh_points_per_s": samples / trimesh_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--set", action="append", metavar="PATH=VALUE",
                        help="a synthesis setting, e.g. postures.curl_angle=0.15 (dexvlg_data.synth.config)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cases", default=DEFAULT_CASES, help="comma-separated category:part")
    parser.add_argument("--out", default=str(REPO_ROOT / "results" / "synth_core.json"))
    parser.add_argument("--sdf-only", action="store_true", help="only the distance-grid accuracy and speed")
    args = parser.parse_args()
    torch.set_num_threads(1)
    config = override(SynthConfig(batch_size=args.batch, optimizer=OptimizerConfig(iterations=args.iterations)),
                      args.set or ())
    cases = [tuple(c.split(":")) for c in args.cases.split(",")]

    if args.sdf_only:
        rows = [sdf_accuracy(prepare_object(generate(c, args.seed), config)) for c, _ in cases[:3]]
        out = Path(args.out)
        out.write_text(json.dumps({"sdf": rows, "command": "synth_yield.py --sdf-only"}, indent=2) + "\n")
        print(json.dumps(rows, indent=2))
        return
    rows, sdf_rows = [], []
    cpu = defaultdict(float)
    for category, part in cases:
        start = time.process_time()
        target = prepare_object(generate(category, args.seed), config)
        cpu["prepare"] += time.process_time() - start
        if len(sdf_rows) < 3:
            sdf_rows.append(sdf_accuracy(target))
        kind = target.part(part).kind
        for style in ("wrap", "pinch"):
            start = time.process_time()
            batch = synthesize(target, part, style, config, seed=args.seed)
            opt_s = time.process_time() - start
            start = time.process_time()
            checked = validate(batch.grasps, target.sim, target.category, fallbacks=batch.fallbacks)
            val_s = time.process_time() - start
            cpu["optimization"] += opt_s
            cpu["validation"] += val_s
            good = [v for v in checked if v.passed]
            reasons = defaultdict(int)
            for v in checked:
                if not v.passed:
                    reasons[failure_kind(v.result.reason)] += 1
            row = {"object": target.obj.object_id, "part": part, "kind": kind, "style": style,
                   "optimized": len(checked), "validated": len(good),
                   "penetration_mm": [v.result.penetration.depth_mm for v in good],
                   "self_penetration_mm": [v.result.self_penetration.depth_mm for v in good],
                   "optimization_cpu_s": opt_s, "validation_cpu_s": val_s,
                   "final_energy": float(batch.optimization.energy["total"].mean()),
                   "failures": dict(reasons), "example_caption": good[0].grasp.caption if good else ""}
            rows.append(row)
            print(f"{category:>12} {part:<8} {kind:<11} {style:<5} {len(good):3d}/{len(checked)}  "
                  f"opt {opt_s:6.1f}s  val {val_s:5.1f}s  {dict(reasons)}", flush=True)

    def summary(select) -> dict:
        chosen = [r for r in rows if select(r)]
        optimized, validated = sum(r["optimized"] for r in chosen), sum(r["validated"] for r in chosen)
        return {"optimized": optimized, "validated": validated, "yield": validated / optimized if optimized else None}

    pen = [p for r in rows for p in r["penetration_mm"]]
    spen = [p for r in rows for p in r["self_penetration_mm"]]
    validated = sum(r["validated"] for r in rows)
    total_cpu = sum(cpu.values())
    result = {
        "config": {"batch": args.batch, "iterations": args.iterations, "set": args.set or [], "seed": args.seed,
                   "torch_threads": 1, "cases": [f"{c}:{p}" for c, p in cases]},
        "yield": summary(lambda r: True),
        "yield_per_style": {s: summary(lambda r, s=s: r["style"] == s) for s in ("wrap", "pinch")},
        "yield_per_kind": {k: summary(lambda r, k=k: r["kind"] == k) for k in sorted({r["kind"] for r in rows})},
        "validated_penetration_mm_mean": float(np.mean(pen)) if pen else None,
        "validated_self_penetration_mm_mean": float(np.mean(spen)) if spen else None,
        "cpu_seconds": dict(cpu),
        "time_split": {k: v / total_cpu for k, v in cpu.items()},
        "validated_grasps_per_core_hour": validated / (total_cpu / 3600.0),
        "validated_grasps_per_core_hour_excluding_prepare":
            validated / ((cpu["optimization"] + cpu["validation"]) / 3600.0),
        "sdf": sdf_rows,
        "goal": "yield >= 0.30 (issue 5)",
        "rows": rows,
        "machine": {"cpu_count": os.cpu_count(), "python": platform.python_version(), "torch": torch.__version__,
                    "load_average_1min": os.getloadavg()[0]},
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k not in ("rows", "sdf")}, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
