"""Synthesis tuning: settings side by side on the same units of an existing dataset.

    python src/dexvlg_data/benchmarks/synth_tuning.py --variant it300:optimizer.iterations=300 \
        --variant fc15:energy.weights.force_closure=15              # -> results/synthesis_tuning.json

Samples ``--units`` (object, part, style) units of a ``dexvlg synth`` dataset directory (seeded; most with 1-13
validated grasps in their first batch, where a setting can move the count either way, a few with none), and runs
each variant (``name:PATH=VALUE[,PATH=VALUE...]``, see ``dexvlg synth --set``) plus the dataset's own settings
("base") on them: one batch of the unit's first seed each, validated in MuJoCo. Per variant: validated grasps,
failures by kind (and how many simulated failures had let go of the object by the end of the squeeze), Q1
(synth.quality) and closure share of the validated ones, penetration, CPU seconds. "base"
must reproduce the dataset's first-batch counts (checked: synthesis is deterministic); the comparison is then
between settings on identical initial hands. Rows are appended per unit to --work/<variant>.jsonl, so a stopped
run continues where it stopped; the sample is kept in --work/units.json, so later variants in the same --work run
on the same units even after the dataset has grown.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import time
from collections import Counter
from dataclasses import asdict
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from dexvlg_data.synth.config import SynthConfig, override  # noqa: E402
from dexvlg_data.synth.context import prepare_object  # noqa: E402
from dexvlg_data.synth.driver import ObjectRef, Unit, failure_kind  # noqa: E402
from dexvlg_data.synth.pipeline import synthesize  # noqa: E402
from dexvlg_data.synth.quality import grasp_q1  # noqa: E402
from dexvlg_data.synth.validate import validate  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[3]


def sample_units(dataset: Path, count: int, seed: int) -> list[dict]:
    """``count`` units of a dataset: 5/6 with 1-13 validated in the first batch (2/3 of them shaft-like, the
    dataset's bulk), 1/6 with none (lids excluded: nothing moves them); sorted so each object is prepared once.
    """
    plan = json.loads((dataset / "plan.json").read_text())
    refs = {ObjectRef(**o).object_id: ObjectRef(**o) for o in plan["objects"]}
    records = [json.loads(p.read_text()) for p in sorted((dataset / "units").glob("*/*.json"))]
    rng = random.Random(seed)
    some = [r for r in records if 1 <= r["validated_per_batch"][0] <= 13]
    none = [r for r in records if r["validated_per_batch"][0] == 0 and r["kind"] != "lid-like"]
    n_none = count // 6
    n_shaft = min(2 * (count - n_none) // 3, sum(r["kind"] == "shaft-like" for r in some))
    chosen = (rng.sample([r for r in some if r["kind"] == "shaft-like"], n_shaft)
              + rng.sample([r for r in some if r["kind"] != "shaft-like"], count - n_none - n_shaft)
              + rng.sample(none, n_none))
    units = [{"object": r["object"], "source": asdict(refs[r["object"]]), "part": r["part"], "style": r["style"],
              "kind": r["kind"], "dataset_first_batch": r["validated_per_batch"][0]} for r in chosen]
    return sorted(units, key=lambda u: (u["object"], u["part"], u["style"]))


def pinned_units(work: Path, dataset: Path, count: int, seed: int) -> list[dict]:
    """The units of a work directory: sampled on its first run and kept in work/units.json. A growing dataset
    would otherwise give a rerun another sample, and variants run at different times other units.
    """
    path = work / "units.json"
    sample = {"dataset": str(dataset.resolve()), "units": count, "seed": seed}
    if path.exists():
        saved = json.loads(path.read_text())
        if saved["sample"] != sample:
            raise SystemExit(f"{work} holds the units of another sample ({saved['sample']}); pass another --work")
        return saved["units"]
    units = sample_units(dataset, count, seed)
    path.write_text(json.dumps({"sample": sample, "units": units}, indent=1) + "\n")
    return units


def _leaves(tree: dict, prefix: str = "") -> dict[str, object]:
    """Nested settings as {"energy.weights.force_closure": 5.0, ...}."""
    out: dict[str, object] = {}
    for name, value in tree.items():
        if isinstance(value, dict):
            out.update(_leaves(value, f"{prefix}{name}."))
        else:
            out[prefix + name] = value
    return out


def dataset_config(recorded: dict) -> SynthConfig:
    """The SynthConfig a dataset's plan.json recorded: the defaults with every recorded difference set."""
    defaults = _leaves(json.loads(json.dumps(asdict(SynthConfig()))))
    changed = [f"{path}={json.dumps(value) if isinstance(value, list) else value}"
               for path, value in _leaves(recorded).items() if defaults.get(path) != value]
    unknown = sorted(set(_leaves(recorded)) - set(defaults))
    if unknown:
        raise SystemExit(f"plan.json's config has settings this code does not know ({', '.join(unknown)}); rerun "
                         "with the code that made it")
    # Settings added since the dataset was made take their current defaults; the baseline check below then says
    # whether those reproduce the dataset's grasps.
    return override(SynthConfig(), changed)


def run_variants(configs: dict[str, SynthConfig], units: list[dict], work: Path) -> dict[str, list[dict]]:
    """One batch per unit and variant; rows appended to work/<variant>.jsonl and reused on a rerun. Units outside,
    variants inside: each object is prepared once for all variants that share its distance-grid settings.
    """
    rows = {}
    wanted = {(u["object"], u["part"], u["style"]) for u in units}
    for name in configs:
        path = work / f"{name}.jsonl"
        found = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
        rows[name] = [r for r in found if (r["object"], r["part"], r["style"]) in wanted]  # this sample's only
    done = {name: {(r["object"], r["part"], r["style"]) for r in rows[name]} for name in configs}
    for unit in units:
        todo = [n for n in configs if (unit["object"], unit["part"], unit["style"]) not in done[n]]
        prepared: dict = {}
        ref = ObjectRef(**unit["source"])
        for name in todo:
            config = configs[name]
            if (config.sdf, config.barrier_points) not in prepared:
                prepared[(config.sdf, config.barrier_points)] = prepare_object(ref.load(), config)
            target = prepared[(config.sdf, config.barrier_points)]
            t0 = time.process_time()
            batch = synthesize(target, unit["part"], unit["style"], config,
                               seed=Unit(ref, unit["part"], unit["style"]).seed(0))
            t1 = time.process_time()
            checked = validate(batch.grasps, target.sim, target.category, fallbacks=batch.fallbacks)
            t2 = time.process_time()
            valid = [v.grasp for v in checked if v.passed]
            row = {"object": unit["object"], "part": unit["part"], "style": unit["style"], "kind": unit["kind"],
                   "validated": len(valid), "optimized": len(checked),
                   "dataset_first_batch": unit["dataset_first_batch"],
                   "failures": dict(Counter(failure_kind(v.result.reason) for v in checked if not v.passed)),
                   # simulated failures whose object the hand no longer touched after the squeeze (let go or
                   # pushed out while closing), as opposed to a grip too weak for the push
                   "released": sum(1 for v in checked if not v.passed and v.result.disturbance is not None
                                   and v.result.disturbance.squeezed_contacts == 0),
                   "q1": [grasp_q1(g, target) for g in valid],
                   "penetration_mm": [g.scores.get("penetration_mm", 0.0) for g in valid],
                   "optimization_s": t1 - t0, "validation_s": t2 - t1}
            with (work / f"{name}.jsonl").open("a") as f:
                f.write(json.dumps(row) + "\n")
            rows[name].append(row)
            print(f"{name:>10} {unit['object']} {unit['part']}-{unit['style']}: {len(valid)} validated "
                  f"(dataset {unit['dataset_first_batch']})", flush=True)
    return rows


def summary(rows: list[dict]) -> dict:
    q1 = [q for r in rows for q in r["q1"]]
    failures: Counter = Counter()
    for r in rows:
        failures.update(r["failures"])
    cpu = sum(r["optimization_s"] + r["validation_s"] for r in rows)
    validated, optimized = sum(r["validated"] for r in rows), sum(r["optimized"] for r in rows)
    return {"units": len(rows), "validated": validated, "optimized": optimized,
            "yield": validated / optimized if optimized else None,
            "q1_mean": float(np.mean(q1)) if q1 else None,
            "in_closure": float(np.mean(np.array(q1) > 0)) if q1 else None,
            "penetration_mm": float(np.mean([p for r in rows for p in r["penetration_mm"]])) if q1 else None,
            "optimization_s": sum(r["optimization_s"] for r in rows),
            "validation_s": sum(r["validation_s"] for r in rows),
            "validated_per_core_hour": 3600 * validated / cpu if cpu else None,
            "failures": dict(failures.most_common()),
            # rows from before the evaluator reported squeezed_contacts lack it: then unknown, not zero
            "released": sum(r["released"] for r in rows) if all("released" in r for r in rows) else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default=str(REPO_ROOT / "data" / "grasps" / "train"))
    parser.add_argument("--units", type=int, default=12)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--variant", action="append", default=[], metavar="NAME:PATH=VALUE[,PATH=VALUE]")
    parser.add_argument("--work", default=str(REPO_ROOT / "data" / "bench" / "tuning"))
    parser.add_argument("--out", default=str(REPO_ROOT / "results" / "synthesis_tuning.json"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    dataset, work = Path(args.dataset), Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    plan = json.loads((dataset / "plan.json").read_text())
    from dexvlg_data.synth.driver import PLAN_VERSION

    if plan["version"] != PLAN_VERSION:
        raise SystemExit(f"{dataset} was made by plan version {plan['version']}, this code is {PLAN_VERSION}: "
                         "its first-batch counts are not this code's baseline")
    base = dataset_config(plan["config"])
    units = pinned_units(work, dataset, args.units, args.seed)
    variants = {"base": []}
    for text in args.variant:
        name, _, settings = text.partition(":")
        # Commas separate settings only where PATH= follows: a list value ["TH","FF"] keeps its own.
        variants[name] = [s for s in re.split(r",(?=[\w.]+=)", settings) if s]
    configs = {name: override(base, settings) for name, settings in variants.items()}
    results = run_variants(configs, units, work)
    report: dict = {"dataset": str(dataset), "units": units, "variants": {
        name: {"set": variants[name], **summary(rows)} for name, rows in results.items()}}
    # deterministic synthesis: "base" gives the dataset's own first batches, grasp for grasp
    report["base_reproduces_dataset"] = all(r["validated"] == r["dataset_first_batch"] for r in results["base"])
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1) + "\n")
    print(f"{'variant':>10} {'validated':>9} {'yield':>6} {'Q1':>6} {'closure':>7} {'pen mm':>6} {'per core-h':>10}")
    for name, v in report["variants"].items():
        print(f"{name:>10} {v['validated']:>9} {v['yield']:>6.3f} {v['q1_mean'] or 0:>6.3f} "
              f"{v['in_closure'] or 0:>7.2f} {v['penetration_mm'] or 0:>6.2f} "
              f"{v['validated_per_core_hour'] or 0:>10.0f}")
    print(f"base reproduces the dataset's first batches: {report['base_reproduces_dataset']}; wrote {out}")


if __name__ == "__main__":
    main()
