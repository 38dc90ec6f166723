"""Benchmark: procedural objects generated per second, overall and per category.

    python src/dexvlg_data/benchmarks/families.py [--seeds 20] [--out results/objects_families.json]

Single process, one object at a time (what a data-engine worker does); the time covers building the solids,
the boolean union with part provenance, normalization and colors.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from dexvlg_data.objects.families import (
    DIAGONAL_RANGE,
    HELDOUT_CATEGORIES,
    HELDOUT_INSTANCE_SEEDS,
    TRAIN_CATEGORIES,
    TRAIN_SEEDS,
    generate,
    get_spec,
    list_categories,
)

REPO = Path(__file__).resolve().parents[3]


def bench(seeds: int, start: int) -> dict[str, object]:
    generate("mug", start)  # warm-up: imports, manifold3d thread pool
    per_category: dict[str, dict[str, object]] = {}
    total_time, total = 0.0, 0
    for cat in list_categories():
        faces, times, real = [], [], []
        for s in range(start, start + seeds):
            t0 = time.perf_counter()
            obj = generate(cat, s)
            times.append(time.perf_counter() - t0)
            faces.append(len(obj.mesh.faces))
            real.append(float(obj.metadata["real_diagonal"]))
        spec = get_spec(cat)
        per_category[cat] = {
            "objects_per_s": round(len(times) / sum(times), 2),
            "ms_per_object_median": round(1000 * float(np.median(times)), 2),
            "faces_mean": round(float(np.mean(faces)), 1),
            "real_diagonal_m": [round(min(real), 3), round(max(real), 3)],  # before normalization
            "parts": {p.name: p.kind for p in spec.parts},
        }
        total_time += sum(times)
        total += len(times)
    return {
        "objects_per_s": round(total / total_time, 2),
        "objects": total,
        "seeds_per_category": seeds,
        "per_category": per_category,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--start-seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=REPO / "results" / "objects_families.json")
    args = ap.parse_args()
    result = bench(args.seeds, args.start_seed)
    report = {
        "categories": list_categories(),
        "train_categories": list(TRAIN_CATEGORIES),
        "heldout_categories": list(HELDOUT_CATEGORIES),
        "train_seeds": [TRAIN_SEEDS.start, TRAIN_SEEDS.stop],
        "heldout_instance_seeds": [HELDOUT_INSTANCE_SEEDS.start, HELDOUT_INSTANCE_SEEDS.stop],
        "diagonal_range_m": list(DIAGONAL_RANGE),
        "generation": result,
        "machine": {"cpu_count": os.cpu_count(), "python": platform.python_version()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    for cat, r in result["per_category"].items():
        print(f"{cat:18s} {r['objects_per_s']:7.1f} obj/s  {r['faces_mean']:7.0f} faces")
    print(f"overall: {result['objects_per_s']} objects/s ({result['objects']} objects) -> {args.out}")


if __name__ == "__main__":
    main()
