"""Posture search: which squeezes hold the same optimized grasps (how PostureConfig.fallbacks was chosen).

    python src/dexvlg_data/benchmarks/synth_postures.py               # -> results/synthesis_postures.json
    python src/dexvlg_data/benchmarks/synth_postures.py --squeezes "curl 0.2" "displacement 0.02" --workers 2

On the synthesis benchmark's objects (synthesis.bench_objects: 12 objects of the three splits, 68 part-style
units), the first batch of every unit is optimized once with the default settings. Every optimized grasp is
validated with its own squeeze, and every grasp that passes the static checks (penetration, self-penetration,
part alignment) is simulated again with each of ``--squeezes``: the pregrasp and squeeze that synthesize() derives
for that squeeze (SynthBatch.fallbacks), the grasp pose unchanged. Reports, per style and over both:
- grasps held by their own squeeze, by each squeeze alone, and by any;
- the greedy order of fallbacks (each step adds the squeeze that holds most of the grasps not yet held) and how
  many grasps each prefix holds;
- for the configured PostureConfig.fallbacks: grasps held and simulations the search costs (a fallback equal to
  a grasp's own squeeze is skipped, as validate() does).
Rows per unit go to --work/rows.jsonl, so a stopped run continues where it stopped.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

from tqdm import tqdm  # noqa: E402

from dexvlg_data.synth.config import STYLES, PostureConfig, SynthConfig  # noqa: E402
from dexvlg_data.synth.driver import ObjectRef, object_units, part_problems  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthesis import bench_objects  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[3]
# The configured fallbacks and each style's own squeeze (the other style's fallback candidate). A first run with
# ten squeezes (also curl 0.35, displacement 0.005 and 0.02, force 5) chose the configured four greedily.
SQUEEZES = ("curl 0.1", "curl 0.2", "curl 0.28", "displacement 0.01", "displacement 0.015", "displacement 0.03")
# The squeeze every grasp starts with, per style (PostureConfig: wraps curl, pinches push by displacement).
OWN = {"wrap": f"curl {PostureConfig().curl_angle:g}", "pinch": f"displacement {PostureConfig().squeeze_distance:g}"}


def unit_rows(obj: ObjectRef, squeezes: tuple[str, ...], batch: int) -> list[dict]:
    """One row per (part, style) unit of an object: which of its grasps each squeeze holds."""
    import torch

    from dexvlg_data.synth.context import prepare_object
    from dexvlg_data.synth.pipeline import synthesize
    from dexvlg_data.synth.validate import grasp_checks_passed, validate

    torch.set_num_threads(1)
    base = SynthConfig(batch_size=batch)
    config = replace(base, postures=replace(base.postures, fallbacks=squeezes))
    target = prepare_object(obj.load(), config)
    skipped = part_problems(target)  # as the dataset driver skips them
    rows = []
    for unit in object_units(obj, [p for p in target.part_names if p not in skipped], STYLES):
        synth = synthesize(target, unit.part, unit.style, config, seed=unit.seed(0))
        own = validate(synth.grasps, target.sim, target.category)
        static = [grasp_checks_passed(v.result) for v in own]
        row = {"unit": f"{obj.object_id}|{unit.part}|{unit.style}", "kind": target.part(unit.part).kind,
               "style": unit.style, "static_ok": static, "own": [v.passed for v in own]}
        tried = [i for i, ok in enumerate(static) if ok]
        for spec, (pregrasps, squeezes_) in zip(squeezes, synth.fallbacks, strict=True):
            trial = [replace(synth.grasps[i], pregrasp=pregrasps[i], squeeze=squeezes_[i]) for i in tried]
            held = [False] * len(synth.grasps)
            for i, v in zip(tried, validate(trial, target.sim, target.category) if trial else [], strict=True):
                held[i] = v.passed
            row[spec] = held
        rows.append(row)
    return rows


def held(rows: list[dict], squeezes: list[str]) -> int:
    """Grasps held by their own squeeze or any of ``squeezes``."""
    return sum(any(r[s][i] for s in ["own", *squeezes]) for r in rows for i in range(len(r["own"])))


def greedy(rows: list[dict], squeezes: tuple[str, ...], steps: int) -> list[dict]:
    chosen: list[str] = []
    order = []
    for _ in range(min(steps, len(squeezes))):
        best = max((s for s in squeezes if s not in chosen), key=lambda s: held(rows, [*chosen, s]))
        chosen.append(best)
        order.append({"add": best, "held": held(rows, chosen)})
    return order


def search_cost(rows: list[dict], fallbacks: tuple[str, ...]) -> dict:
    """What validate()'s search does with ``fallbacks``: grasps held, and simulations beyond each grasp's own."""
    kept, simulations, by = 0, 0, dict.fromkeys(fallbacks, 0)
    for r in rows:
        for i in range(len(r["own"])):
            if r["own"][i]:
                kept += 1
                continue
            if not r["static_ok"][i]:
                continue
            for spec in fallbacks:
                if spec == OWN[r["style"]]:
                    continue
                simulations += 1
                if r[spec][i]:
                    kept, by[spec] = kept + 1, by[spec] + 1
                    break
    return {"fallbacks": list(fallbacks), "held": kept, "extra_simulations": simulations, "held_by": by}


def report(rows: list[dict], squeezes: tuple[str, ...], fallbacks: tuple[str, ...]) -> dict:
    out = {}
    for style in (*STYLES, "both"):
        group = [r for r in rows if style in ("both", r["style"])]
        known = tuple(s for s in squeezes if all(s in r for r in group))
        out[style] = {
            "units": len(group), "grasps": sum(len(r["own"]) for r in group),
            "static_ok": sum(sum(r["static_ok"]) for r in group), "own": held(group, []),
            "alone": {s: sum(sum(r[s]) for r in group) for s in known},
            "any": held(group, list(known)), "greedy": greedy(group, known, 6),
        }
        if all(s in known for s in fallbacks):
            out[style]["configured"] = search_cost(group, fallbacks)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--squeezes", nargs="+", default=list(SQUEEZES), help='"MODE AMOUNT" each')
    parser.add_argument("--per-category", type=int, default=1)
    parser.add_argument("--categories", type=int, default=6)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--work", default=str(REPO_ROOT / "data" / "bench" / "postures"))
    parser.add_argument("--out", default=str(REPO_ROOT / "results" / "synthesis_postures.json"))
    args = parser.parse_args()
    squeezes = tuple(args.squeezes)
    fallbacks = PostureConfig().fallbacks
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    path = work / "rows.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    done = {r["unit"].split("|")[0] for r in rows if all(s in r for s in squeezes)}
    objects = [o for o in bench_objects(args.per_category, args.categories) if o.object_id not in done]
    rows = [r for r in rows if r["unit"].split("|")[0] in done]
    with ProcessPoolExecutor(max(1, args.workers)) as pool, path.open("a") as sink:
        jobs = [pool.submit(unit_rows, o, squeezes, args.batch) for o in objects]
        for job in tqdm(as_completed(jobs), total=len(jobs), desc="objects", unit="object"):
            for row in job.result():  # an object's rows are written together: a rerun redoes a partial one
                sink.write(json.dumps(row) + "\n")
                rows.append(row)
            sink.flush()
    result = {"objects": len({r["unit"].split("|")[0] for r in rows}), "batch": args.batch,
              "squeezes": list(squeezes), "own_squeeze": OWN, **report(rows, squeezes, fallbacks)}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    for style in (*STYLES, "both"):
        r = result[style]
        steps = ", ".join(f"+{g['add']} {g['held']}" for g in r["greedy"])
        print(f"{style}: {r['grasps']} grasps, {r['static_ok']} through the static checks; own squeeze holds "
              f"{r['own']}, any {r['any']}; greedy: {steps}")
        if "configured" in r:
            c = r["configured"]
            print(f"  configured fallbacks {c['fallbacks']}: {c['held']} held, {c['extra_simulations']} extra "
                  f"simulations")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
