"""``dexvlg synth``: synthesize and validate grasps for a split of objects into a resumable dataset directory.

    dexvlg synth --split train --per-category 42 --out data/grasps/train --workers 2
    dexvlg synth --objects "mug:0,bottle:3" --out /tmp/grasps --batch 16
    dexvlg synth --meshes data/imported --out data/grasps/package      # save_part_object directories
    dexvlg synth --out data/grasps/train --summary                     # counts of what is there
    dexvlg synth --objects "mug:0" --out /tmp/g --set energy.weights.force_closure=15 --set postures.curl_angle=0.15

Kill it at any point and run the same command again: it continues where it stopped (driver module doc).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from dexvlg_data.synth.config import STYLES, OptimizerConfig, SynthConfig, override
from dexvlg_data.synth.driver import ObjectRef, SynthPlan, run_plan, summarize


def plan_from_args(args: argparse.Namespace) -> SynthPlan:
    """The plan the command line describes."""
    objects: list[ObjectRef] = []
    if args.split:
        from dexvlg_data.objects.families.splits import split_members

        members = sorted(split_members(args.split, args.per_category), key=lambda m: (m[1], m[0]))
        objects += [ObjectRef(c, s) for c, s in members]  # seed-major: a partial run covers every category
    for item in filter(None, (args.objects or "").split(",")):
        category, _, seed = item.strip().rpartition(":")
        if not category or not seed.isdigit():
            raise ValueError(f"--objects takes category:seed items, got {item!r}")
        objects.append(ObjectRef(category, int(seed)))
    if args.meshes:
        folder = Path(args.meshes)
        if not folder.is_dir():
            raise FileNotFoundError(f"--meshes: no directory {folder}")
        objects += [ObjectRef(path=str(p.parent.resolve())) for p in sorted(folder.glob("*/parts.json"))]
    if not objects:
        raise ValueError("no objects: give --split, --objects or --meshes")
    config = SynthConfig(batch_size=args.batch)
    if args.iterations:
        config = replace(config, optimizer=replace(OptimizerConfig(), iterations=args.iterations))
    config = override(config, args.set or ())  # recorded in plan.json and its fingerprint, like every setting
    styles = tuple(args.styles.split(","))
    if unknown := set(styles) - set(STYLES):
        raise ValueError(f"unknown styles {sorted(unknown)}; expected {STYLES}")
    return SynthPlan(tuple(dict.fromkeys(objects)), config, args.batches, styles, name=args.name or "",
                     stop_when_empty=args.stop_when_empty)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``dexvlg synth``."""
    parser = subparsers.add_parser("synth", help="synthesize + validate grasps (resumable, parallel)",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="dataset directory (created; reused to resume)")
    parser.add_argument("--split", choices=("train", "heldout_instance", "heldout_category"))
    parser.add_argument("--per-category", type=int, default=1, help="objects per category of --split")
    parser.add_argument("--objects", help="comma-separated category:seed")
    parser.add_argument("--meshes", help="directory of imported objects (dexvlg import-meshes output)")
    parser.add_argument("--batch", type=int, default=SynthConfig().batch_size, help="grasps per batch")
    parser.add_argument("--batches", type=int, default=1, help="batches per (object, part, style)")
    parser.add_argument("--stop-when-empty", action="store_true",
                        help="a (part, style) stops after a batch that validates nothing (SynthPlan.stop_when_empty)")
    parser.add_argument("--iterations", type=int, default=0, help="optimizer iterations (0: the config's)")
    parser.add_argument("--set", action="append", metavar="PATH=VALUE",
                        help="any synthesis setting, e.g. energy.weights.force_closure=15 (repeatable; "
                             "dexvlg_data.synth.config names them)")
    parser.add_argument("--styles", default=",".join(STYLES))
    parser.add_argument("--workers", type=int, default=1, help="worker processes (0: in this process)")
    parser.add_argument("--backend", choices=("process", "ray"), default="process")
    parser.add_argument("--name", default="", help="a label stored in plan.json")
    parser.add_argument("--summary", action="store_true", help="only print the counts of --out")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the plan (or only summarize) and print the counts."""
    if args.summary:
        if not Path(args.out).is_dir():
            raise FileNotFoundError(f"no dataset directory {args.out}")
        result = summarize(args.out)
    else:
        result = run_plan(plan_from_args(args), args.out, workers=args.workers, backend=args.backend)
    short = {k: v for k, v in result.items() if k not in ("per_category", "rejected", "unfinished")}
    short["rejected"] = len(result["rejected"])
    unfinished = [u["object"] for u in result.get("unfinished", [])]
    if unfinished:
        short["unfinished"] = unfinished
    print(json.dumps(short, indent=1))
    if unfinished:  # the dataset is incomplete: a script running this command must not go on as if it were
        print(f"dexvlg synth: {len(unfinished)} objects not finished; run the same command again to finish them",
              file=sys.stderr)
        return 1
    return 0
