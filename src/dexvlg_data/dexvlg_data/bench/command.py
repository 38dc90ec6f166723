"""``dexvlg bench``: score grasp predictors on the simulation benchmark (resumable, parallel).

    dexvlg bench --out data/bench/run --workers 2                     # random, retrieval, oracle on all splits
    dexvlg bench --out data/bench/run --only random,retrieval
    dexvlg bench --out data/bench/run --method "dexvlg=dexvlg_model.predictor:DexVLGPredictor,checkpoint=ckpt.pt"
    dexvlg bench --out data/bench/run --publish results                # + results/benchmark.json and report

Kill it at any point and run the same command again: finished (method, item) records are kept. The items are a
pure function of the spec options (--objects-per-split, --views, --splits, --seed): another spec needs another
--out directory.
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import sys
from pathlib import Path

from PIL import Image

from dexvlg_data.bench.items import SPLITS, BenchSpec
from dexvlg_data.bench.runner import Method, RunConfig, default_methods, run_benchmark


def methods_from_args(args: argparse.Namespace) -> list[Method]:
    """The reference methods (or those --only names) followed by every --method."""
    methods = default_methods(args.library, args.oracle_cache)
    if args.only:
        wanted = args.only.split(",")
        if unknown := set(wanted) - {m.name for m in methods}:
            raise ValueError(f"--only: unknown reference methods {sorted(unknown)}; expected random, retrieval, oracle")
        methods = [m for m in methods if m.name in wanted]
    elif args.method:
        methods = []
    return methods + [Method.parse(text) for text in args.method or ()]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``dexvlg bench``."""
    parser = subparsers.add_parser("bench", help="simulation benchmark of grasp predictors (resumable, parallel)",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="run directory (created; reused to resume)")
    parser.add_argument("--splits", default=",".join(SPLITS))
    parser.add_argument("--objects-per-split", type=int, default=BenchSpec.objects_per_split)
    parser.add_argument("--views", type=int, default=BenchSpec.views_per_object, help="camera views per object")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-contact", action="store_true", help="no contact-mode ('with contact on') items")
    parser.add_argument("--grasps", type=int, default=RunConfig.num_grasps, help="samples asked per item")
    parser.add_argument("--only", help="comma-separated subset of the reference methods")
    parser.add_argument("--method", action="append", help="name=package.module:Class[,key=value] (repeatable); "
                                                          "alone, it replaces the reference methods")
    parser.add_argument("--library", default="data/bench/library/train", help="retrieval library (dexvlg synth dir)")
    parser.add_argument("--oracle-cache", default="data/bench/oracle", help="oracle's synthesized grasps")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--no-images", action="store_true", help="skip the per-item pictures of the HTML report")
    parser.add_argument("--publish", help="also write DIR/benchmark.json and DIR/benchmark/ (table, HTML, images)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the benchmark, write the report, print the table."""
    from dexvlg_data.bench.report import write_report

    spec = BenchSpec(seed=args.seed, splits=tuple(args.splits.split(",")), objects_per_split=args.objects_per_split,
                     views_per_object=args.views, contact_variant=not args.no_contact)
    methods = methods_from_args(args)
    if not methods:
        raise ValueError("no methods to run")
    command = "dexvlg " + " ".join(shlex.quote(a) for a in sys.argv[sys.argv.index("bench"):]) \
        if "bench" in sys.argv else ""

    def report(root: Path, spec: BenchSpec, summary: dict, records: list[dict]) -> None:
        write_report(root, spec, summary, records, images=not args.no_images, workers=args.workers)

    summary = run_benchmark(args.out, spec, methods, RunConfig(num_grasps=args.grasps), workers=args.workers,
                            command=command, report=report)
    if args.publish:
        publish(args.out, args.publish)
    print((Path(args.out) / "benchmark.md").read_text())
    print(json.dumps({m: {s: summary["results"][m][s]["items_per_s_per_core"] for s in spec.splits}
                      for m in summary["methods"]}, indent=1), "items/s/core")
    return 0


def publish(run_dir: str | Path, results: str | Path) -> None:
    """Copy the summary and the report of a run into a results directory (what gets committed)."""
    run_dir, results = Path(run_dir), Path(results)
    target = results / "benchmark"
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    shutil.copy2(run_dir / "benchmark.json", results / "benchmark.json")
    for name in ("benchmark.md", "report.html"):
        if (run_dir / name).is_file():
            shutil.copy2(run_dir / name, target / name)
    for picture in sorted((run_dir / "images").glob("*/*.png")):
        # A 48-color palette keeps the pictures readable at a quarter of the size: they get committed.
        out = target / picture.relative_to(run_dir)
        out.parent.mkdir(parents=True, exist_ok=True)
        Image.open(picture).convert("RGB").quantize(48, method=Image.Quantize.MEDIANCUT).save(out, optimize=True)
