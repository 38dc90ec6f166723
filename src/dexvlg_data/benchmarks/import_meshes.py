"""Benchmark of importing meshes: objects per second for import (repair + decomposition), per stage, and the
rejection counts of a batch that mixes real package meshes with broken ones; plus the part-box quality (OBB volume
vs trimesh's) and part-kind agreement with the procedural families' design.

Run from the repository root:  python src/dexvlg_data/benchmarks/import_meshes.py [--quick] [--out PATH]
Writes results/objects_import.json. CoACD runs cold (a fresh cache), in the importer's worker process.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import trimesh

PACKAGE_ROOT = Path(__file__).resolve().parents[1]
REPO_ROOT = Path(__file__).resolve().parents[3]
try:
    import dexvlg_data  # noqa: F401
except ImportError:  # run from a source checkout without installing the package
    sys.path.insert(0, str(PACKAGE_ROOT))

from dexvlg_core.sim.objects import DecompositionConfig  # noqa: E402
from dexvlg_data.objects.importer import ImportConfig, ImportJob, import_meshes  # noqa: E402
from dexvlg_data.objects.obb import oriented_box  # noqa: E402
from dexvlg_data.objects.package_meshes import PACKAGE_MESHES, missing_package_meshes, package_jobs  # noqa: E402
from dexvlg_data.objects.repair import repair_mesh  # noqa: E402

SLOW = {"duck", "teddy"}  # CoACD needs about a minute each on a laptop-class CPU


def broken_meshes() -> list[ImportJob]:
    """One of each kind of broken input."""
    rng = np.random.default_rng(0)
    box = trimesh.creation.box((0.1, 0.1, 0.1))
    nan = box.copy()
    nan.vertices[0] = [np.nan, 0.0, 0.0]
    flat = trimesh.Trimesh([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], [[0, 1, 2], [0, 2, 3]], process=False)
    soup = trimesh.Trimesh(rng.uniform(size=(600, 3)), np.arange(600).reshape(-1, 3), process=False)
    huge = trimesh.Trimesh(box.vertices, np.zeros((5_000_000, 3), dtype=np.int32), process=False)
    meshes = {"empty": trimesh.Trimesh(), "nan-vertices": nan, "zero-volume": flat, "triangle-soup": soup,
              "5M-faces": huge}
    return [ImportJob(m, category="broken", object_id=name, source_name=f"synthetic:{name}")
            for name, m in meshes.items()]


def obb_quality(n: int = 200, seed: int = 0) -> dict[str, float]:
    """Our part box volume / trimesh's oriented box volume on random primitives and unions (lower is better)."""
    rng = np.random.default_rng(seed)
    ratios, ours, theirs = [], 0.0, 0.0
    for i in range(n):
        kind = i % 4
        if kind == 0:
            mesh = trimesh.creation.box(rng.uniform(0.02, 0.3, 3))
        elif kind == 1:
            mesh = trimesh.creation.cylinder(rng.uniform(0.01, 0.1), rng.uniform(0.02, 0.3), sections=24)
        elif kind == 2:
            mesh = trimesh.convex.convex_hull(rng.normal(size=(60, 3)) * rng.uniform(0.02, 0.2, 3))
        else:
            rod = trimesh.creation.cylinder(0.01, 0.2, sections=16)
            rod.apply_transform(trimesh.transformations.random_rotation_matrix(rng.random(3)))
            mesh = trimesh.util.concatenate([trimesh.creation.box(rng.uniform(0.02, 0.2, 3)), rod])
        mesh.apply_transform(trimesh.transformations.random_rotation_matrix(rng.random(3)))
        start = time.perf_counter()
        box = oriented_box(mesh.vertices)
        ours += time.perf_counter() - start
        start = time.perf_counter()
        _, extents = trimesh.bounds.oriented_bounds(mesh.vertices)
        theirs += time.perf_counter() - start
        ratios.append(box.volume / float(np.prod(extents)))
    r = np.array(ratios)
    return {"objects": n, "ratio_max": float(r.max()), "ratio_mean": float(r.mean()),
            "ratio_median": float(np.median(r)), "ratio_min": float(r.min()),
            "share_tighter": float(np.mean(r < 0.999)),
            "ms_per_box": 1000 * ours / n, "trimesh_ms_per_box": 1000 * theirs / n}


def kind_agreement(seeds: int = 3) -> dict[str, object]:
    """Part kinds we recognize vs the kinds the procedural families built their parts to be."""
    try:
        from dexvlg_data.objects.families import generate, list_categories
        from dexvlg_data.objects.part_geometry import analyze_parts
    except ImportError:
        return {"skipped": "no procedural families"}
    agree = total = 0
    per_kind: dict[str, list[int]] = {}
    start = time.perf_counter()
    objects = 0
    for category in list_categories():
        for seed in range(seeds):
            try:
                obj = generate(category, seed)
            except Exception:  # a generator in development
                continue
            objects += 1
            designed = obj.metadata.get("part_kinds", {})
            for geometry in analyze_parts(obj):
                want = designed.get(geometry.name)
                if want is None:
                    continue
                total += 1
                agree += geometry.kind == want
                per_kind.setdefault(want, [0, 0])
                per_kind[want][0] += geometry.kind == want
                per_kind[want][1] += 1
    return {"objects": objects, "parts": total, "agreement": agree / total if total else None,
            "recall_by_designed_kind": {k: v[0] / v[1] for k, v in sorted(per_kind.items())},
            "seconds_per_object": (time.perf_counter() - start) / max(objects, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"skip the slow package meshes {sorted(SLOW)}")
    parser.add_argument("--out", default=str(REPO_ROOT / "results" / "objects_import.json"))
    args = parser.parse_args()

    jobs = package_jobs([m.name for m in PACKAGE_MESHES if not (args.quick and m.name in SLOW)])
    with tempfile.TemporaryDirectory() as cache:
        config = ImportConfig(decomposition=DecompositionConfig(cache_dir=cache))
        start = time.perf_counter()
        objects, report = import_meshes([*jobs, *broken_meshes()], config)
        wall = time.perf_counter() - start
        # repair alone, on the same real meshes
        repair_start = time.perf_counter()
        for job in jobs:
            try:
                repair_mesh(trimesh.load(job.source, process=False, force="mesh"))
            except Exception:
                pass
        repair_wall = time.perf_counter() - repair_start
    imported = report.imported
    stage = report.summary()["stage_seconds"]
    import_seconds = sum(r.seconds for r in imported)
    result = {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "inputs": len(report.records),
        "package_meshes": len(jobs),
        "package_meshes_missing": [m.object_id for m in missing_package_meshes()],
        "imported": len(imported),
        "rejected": len(report.rejected),
        "rejection_counts": report.rejection_counts(),
        "rejections": [{"name": r.name, "stage": r.stage, "code": r.code, "reason": r.reason} for r in report.rejected],
        "import_objects_per_second": len(imported) / import_seconds if import_seconds else None,
        "repair_plus_decomposition_objects_per_second": (
            len(imported) / (stage.get("repair", 0) + stage.get("decompose", 0))
            if stage.get("decompose") else None),
        "repair_objects_per_second": len(jobs) / repair_wall if repair_wall else None,
        "batch_wall_seconds": wall,
        "stage_seconds": stage,
        "objects": [{"id": r.name.split("/")[-1], "category": r.category, "faces": r.faces_out,
                     "convex_pieces": r.collision_pieces, "parts": r.parts, "seconds": r.seconds} for r in imported],
        "obb_vs_trimesh": obb_quality(),
        "part_kind_agreement_with_families": kind_agreement(),
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(report.to_text())
    print(f"import (load+repair+simplify+decompose+segment+name): {result['import_objects_per_second']:.3f} objects/s")
    print(f"repair + decomposition: {result['repair_plus_decomposition_objects_per_second']:.3f} objects/s; "
          f"repair alone: {result['repair_objects_per_second']:.1f} objects/s")
    print(f"rejections: {result['rejection_counts']}")
    obb = result["obb_vs_trimesh"]
    print(f"OBB volume / trimesh's on {obb['objects']} objects: max {obb['ratio_max']:.4f}, "
          f"mean {obb['ratio_mean']:.4f}, {obb['ms_per_box']:.1f} ms per box")
    print(f"part kinds vs family design: {result['part_kind_agreement_with_families']}")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
