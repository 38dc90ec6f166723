"""Where synthesis CPU time goes, per stage, on a few fixed units (one batch each, validated in MuJoCo).

    python src/dexvlg_data/benchmarks/synth_stages.py                      # -> results/synthesis_stages.json
    python src/dexvlg_data/benchmarks/synth_stages.py --units mug:0:handle:wrap --batch 16 --out /tmp/s.json

Per unit (category:seed:part:style): CPU seconds of synthesis (split by SynthBatch.stages) and of validation,
and the validated count. Run it on two checkouts under the same load to compare code versions; the counts must
agree when a change is meant to leave the grasps as they are.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402

from dexvlg_data.synth.config import SynthConfig  # noqa: E402
from dexvlg_data.synth.context import prepare_object  # noqa: E402
from dexvlg_data.synth.driver import ObjectRef, Unit  # noqa: E402
from dexvlg_data.synth.pipeline import synthesize  # noqa: E402
from dexvlg_data.synth.validate import validate  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_UNITS = ("mug:0:handle:wrap", "mug:0:body:pinch", "bottle:0:body:wrap", "frying_pan:0:handle:pinch")


def run(units: list[str], batch: int) -> dict:
    config = replace(SynthConfig(), batch_size=batch)
    torch.set_num_threads(1)
    rows, stages = [], Counter()
    for spec in units:
        category, seed, part, style = spec.split(":")
        ref = ObjectRef(category, int(seed))
        target = prepare_object(ref.load(), config)
        start = time.process_time()
        result = synthesize(target, part, style, config, seed=Unit(ref, part, style).seed(0))
        synthesis = time.process_time() - start
        checked = validate(result.grasps, target.sim, target.category, fallbacks=result.fallbacks)
        validation = time.process_time() - start - synthesis
        stages.update(result.stages)
        rows.append({"unit": spec, "synthesis_s": synthesis, "validation_s": validation, "stages_s": result.stages,
                     "validated": sum(v.passed for v in checked), "optimized": len(checked)})
        print(f"{spec}: synthesis {synthesis:.1f} CPU-s, validation {validation:.1f} CPU-s, "
              f"{rows[-1]['validated']}/{len(checked)} validated", flush=True)
    total = sum(r["synthesis_s"] + r["validation_s"] for r in rows)
    split = {name: seconds / total for name, seconds in stages.items()}
    split["validation"] = sum(r["validation_s"] for r in rows) / total
    return {"batch": batch, "units": rows, "cpu_seconds_total": total,
            "cpu_seconds_per_unit": total / len(rows), "validated": sum(r["validated"] for r in rows),
            "share": split}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", nargs="+", default=list(DEFAULT_UNITS), help="category:seed:part:style")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--out", default=str(REPO_ROOT / "results" / "synthesis_stages.json"))
    args = parser.parse_args()
    report = run(args.units, args.batch)
    report["command"] = "python src/dexvlg_data/benchmarks/synth_stages.py " + " ".join(
        ["--units", *args.units, "--batch", str(args.batch)])
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=1) + "\n")
    for name, share in sorted(report["share"].items(), key=lambda item: -item[1]):
        print(f"{name:>18}: {100 * share:5.1f} %")
    print(f"{report['cpu_seconds_per_unit']:.1f} CPU-s per unit, {report['validated']} validated -> {args.out}")


if __name__ == "__main__":
    main()
