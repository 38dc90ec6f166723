"""Dataset production: many objects in, sharded Parquet grasp tables and per-object metadata out, resumable.

    plan = SynthPlan(objects=[ObjectRef("bottle", 0), ...], config=SynthConfig(), batches=1)
    run_plan(plan, "data/grasps", workers=2)             # or backend="ray"

Work is split into units, one per (object, part, style). A unit's output is a pure function of its key and the
plan (synthesize() is deterministic from its seed, validation is deterministic physics), and it is written as
two files, each atomically: ``grasps/<object>/<part>-<style>.parquet`` (validated grasps) and then
``units/<object>/<part>-<style>.json`` (counts, timings, reasons), whose presence marks the unit done. A run
killed at any moment therefore loses only units in flight, and running it again computes exactly those: the
result is the set of grasps an uninterrupted run gives, none lost, none duplicated. Objects that cannot be used
(no parts, broken mesh, parts too small to hold) are recorded under ``rejected/`` with the reason and skipped.

The directory's ``plan.json`` records everything needed to reproduce it; a run against a directory made with a
different plan is refused rather than mixing datasets.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import threading
import time
import traceback
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from dexvlg_core.files import write_text_atomic
from dexvlg_core.grasp import Grasp
from dexvlg_core.grasp_io import write_grasps
from dexvlg_data.synth.config import STYLES, SynthConfig

# Part of every plan's fingerprint: bump it whenever synthesis or validation code changes the grasps a unit gives,
# so that a dataset directory made by older code is refused rather than continued with different grasps.
# 6: the posture search (PostureConfig.fallbacks); 7: lid claw, sphere-based alignment repair; 8: the thumb search
# (InitConfig.thumb_search); 9: finger placement for closure (PostureConfig.place_for_closure); 10: wrist turns
# for closure (PostureConfig.wrist_turns).
PLAN_VERSION = 10
MIN_PART_EXTENT = 0.01  # m: a part whose second-largest box side is below this is too small to grasp


@dataclass(frozen=True)
class ObjectRef:
    """A procedural object (category, seed) or an imported one (``path``: a save_part_object directory)."""

    category: str = ""
    seed: int = 0
    path: str = ""

    @property
    def object_id(self) -> str:
        if self.path:
            return Path(self.path).name
        from dexvlg_data.objects.families import object_id

        return object_id(self.category, self.seed)

    def load(self):
        """The PartObject (generated or read from disk)."""
        if self.path:
            from dexvlg_data.objects.storage import load_part_object

            return load_part_object(self.path)[0]
        from dexvlg_data.objects.families import generate

        return generate(self.category, self.seed)


@dataclass(frozen=True)
class SynthPlan:
    """What a dataset directory holds: which objects, how many batches per (part, style), and the config."""

    objects: tuple[ObjectRef, ...]
    config: SynthConfig = field(default_factory=SynthConfig)
    batches: int = 1  # synthesize() batches per (object, part, style), seeds derived from the unit key
    styles: tuple[str, ...] = STYLES
    name: str = ""
    # A unit stops after a batch that validates nothing: a part the hand cannot hold in that style (a lid under an
    # arched handle, a wide kettle body) then costs one batch instead of ``batches``, and the compute goes to the
    # units that yield. Deterministic like everything else: the decision follows from the batch's own grasps.
    stop_when_empty: bool = False

    def to_json(self) -> dict:
        return {"version": PLAN_VERSION, "name": self.name, "batches": self.batches,
                "stop_when_empty": self.stop_when_empty, "styles": list(self.styles),
                "config": asdict(self.config), "objects": [asdict(o) for o in self.objects]}

    def fingerprint(self) -> str:
        """Hash of what determines each unit's grasps: code version, config, batches, stop rule, styles. Not the
        object list, so that a dataset can grow by more objects; not the name.
        """
        body = self.to_json()
        for key in ("name", "objects"):
            body.pop(key)
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Unit:
    """One piece of work: every batch of one (object, part, style)."""

    obj: ObjectRef
    part: str
    style: str

    @property
    def name(self) -> str:
        return f"{self.part}-{self.style}".replace("/", "_").replace(" ", "_")

    def seed(self, batch: int) -> int:
        """A batch seed from the unit key: stable across runs, machines and orderings."""
        key = f"{self.obj.object_id}|{self.part}|{self.style}|{batch}".encode()
        return int.from_bytes(hashlib.sha256(key).digest()[:4], "little")


# ---------------------------------------------------------------------------------------------- files
class DatasetDir:
    """Paths of a synthesis output directory."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def grasps(self, unit: Unit) -> Path:
        return self.root / "grasps" / unit.obj.object_id / f"{unit.name}.parquet"

    def unit_meta(self, unit: Unit) -> Path:
        return self.root / "units" / unit.obj.object_id / f"{unit.name}.json"

    def rejected(self, obj: ObjectRef) -> Path:
        return self.root / "rejected" / f"{obj.object_id}.json"

    def object_meta(self, obj: ObjectRef) -> Path:
        return self.root / "objects" / f"{obj.object_id}.json"

    def done(self, unit: Unit) -> bool:
        return self.unit_meta(unit).exists()

    def check_plan(self, plan: SynthPlan) -> None:
        """Record the plan in plan.json (objects accumulate over runs); refuse a directory whose grasps were made
        with another config, batches or styles.
        """
        path = self.root / "plan.json"
        record = {"fingerprint": plan.fingerprint(), **plan.to_json()}
        if path.exists():
            existing = json.loads(path.read_text())
            if existing.get("fingerprint") != plan.fingerprint():
                raise ValueError(f"{self.root} was made with another plan (fingerprint {existing.get('fingerprint')},"
                                 f" this one {plan.fingerprint()}); use a new directory")
            known = existing["objects"]
            record["objects"] = known + [o for o in record["objects"] if o not in known]
            record["name"] = existing.get("name") or record["name"]
        write_text_atomic(path, json.dumps(record, indent=1) + "\n")


# ---------------------------------------------------------------------------------------------- the work
def object_units(obj: ObjectRef, part_names: Sequence[str], styles: Sequence[str]) -> list[Unit]:
    """The units of an object, part-major."""
    return [Unit(obj, part, style) for part in part_names for style in styles]


def part_problems(target) -> dict[str, str]:
    """Parts that cannot be grasped, with the reason (too small, no surface to grasp)."""
    problems = {}
    for geometry in target.parts:
        extents = np.sort(np.asarray(geometry.box.extents))[::-1]
        if extents[1] < MIN_PART_EXTENT:
            problems[geometry.name] = f"too small to grasp ({1e3 * extents[1]:.1f} mm wide)"
        elif len(geometry.grasp_points) == 0:
            problems[geometry.name] = "no grasp area"
    for name in target.part_names:
        if all(g.name != name for g in target.parts):
            problems[name] = "no geometry (no faces labelled with it)"
    return problems


def run_object(obj: ObjectRef, plan: SynthPlan, root: str) -> dict:
    """Every unit of one object that is not done yet; returns a summary. Never raises for a bad object."""
    from dexvlg_data.synth.context import prepare_object
    from dexvlg_data.synth.pipeline import synthesize
    from dexvlg_data.synth.validate import validate

    out = DatasetDir(root)
    start = time.perf_counter()
    try:
        target = prepare_object(obj.load(), plan.config)
    except Exception as error:  # a broken object is reported and skipped, whatever broke
        reason = f"{type(error).__name__}: {error}"
        write_text_atomic(out.rejected(obj), json.dumps({"object": obj.object_id, "reason": reason}) + "\n")
        return {"object": obj.object_id, "rejected": reason, "units": 0, "validated": 0}
    problems = part_problems(target)
    parts = [p for p in target.part_names if p not in problems]
    meta = {"object": obj.object_id, "category": target.category, "source": asdict(obj),
            "parts": {g.name: {"kind": g.kind, "extents_m": np.asarray(g.box.extents).round(5).tolist()}
                      for g in target.parts},
            "skipped_parts": problems}
    write_text_atomic(out.object_meta(obj), json.dumps(meta, indent=1) + "\n")
    summary = {"object": obj.object_id, "units": 0, "validated": 0, "optimized": 0}
    for unit in object_units(obj, parts, plan.styles):
        if out.done(unit):
            continue
        grasps, optimized, reasons, timing, per_batch = [], 0, Counter(), defaultdict(float), []
        stages: dict[str, float] = defaultdict(float)  # optimization_s split by synthesis stage
        for batch in range(plan.batches):
            t0 = time.process_time()  # CPU seconds of this process: core-hours, whatever else runs
            result = synthesize(target, unit.part, unit.style, plan.config, seed=unit.seed(batch))
            t1 = time.process_time()
            checked = validate(result.grasps, target.sim, target.category, fallbacks=result.fallbacks)
            timing["optimization_s"] += t1 - t0
            timing["validation_s"] += time.process_time() - t1
            for stage, seconds in result.stages.items():
                stages[stage] += seconds
            optimized += len(checked)
            grasps += [v.grasp for v in checked if v.passed]
            reasons.update(failure_kind(v.result.reason) for v in checked if not v.passed)
            per_batch.append(sum(v.passed for v in checked))
            if plan.stop_when_empty and not per_batch[-1]:
                break
        write_grasps(out.grasps(unit), grasps)  # first the data, then the mark that says it is complete
        record = {"object": obj.object_id, "category": target.category, "part": unit.part,
                  "kind": target.part(unit.part).kind, "style": unit.style, "optimized": optimized,
                  "validated": len(grasps), "validated_per_batch": per_batch, "failures": dict(reasons), **timing,
                  "stages_s": dict(stages),
                  "posture_options": _posture_options(grasps),
                  "penetration_mm": [g.scores.get("penetration_mm") for g in grasps],
                  "self_penetration_mm": [g.scores.get("self_penetration_mm") for g in grasps]}
        write_text_atomic(out.unit_meta(unit), json.dumps(record) + "\n")
        summary["units"] += 1
        summary["validated"] += len(grasps)
        summary["optimized"] += optimized
    summary["seconds"] = time.perf_counter() - start
    return summary


def _posture_options(grasps: list[Grasp]) -> dict[str, int]:
    """How many validated grasps held with their own squeeze ("0") and with each fallback ("1", ...)."""
    return dict(sorted(Counter(str(int(g.scores.get("posture_option", 0))) for g in grasps).items()))


def failure_kind(reason: str) -> str:
    """The kind of a failure ("object slipped", "hand-object penetration", ...) without its numbers.

    Also maps a kind that older code stored with its numbers ("penetration 11.6 mm >") to today's name, so that
    summaries of a dataset made across versions of this function tally one kind once.
    """
    if "no hand link touches the object" in reason:  # reported under part alignment; a different failure
        return "no contact"
    if re.match(r"penetration [\d.]+ mm >", reason):  # deeper than the evaluator simulates: the pregrasp's, as
        return "pregrasp penetration"  # the grasp itself passed the 3 mm check when this is the first reason
    return reason.split(";")[0].split(" (")[0].split(":")[0].rstrip("0123456789. m").strip()[:48]


def _worker_init(threads: int) -> None:
    import torch

    torch.set_num_threads(threads)
    # A pool worker outlives a killed parent and would go on with its object; it exits instead (its unit files
    # are atomic, so nothing half-written is left behind as done).
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()


def _exit_with_parent(parent: int, poll: float = 0.5) -> None:
    while os.getppid() == parent:
        time.sleep(poll)
    os._exit(1)


def _pending(plan: SynthPlan, out: DatasetDir) -> list[ObjectRef]:
    """Objects with at least one unit not done (an object's units are known only after loading it, so an
    object counts as pending until its metadata exists and all its units are marked).
    """
    pending = []
    for obj in plan.objects:
        if out.rejected(obj).exists():
            continue
        meta_path = out.object_meta(obj)
        if meta_path.exists():
            meta = json.loads(meta_path.read_text())
            parts = [p for p in meta["parts"] if p not in meta["skipped_parts"]]
            if all(out.done(u) for u in object_units(obj, parts, plan.styles)):
                continue
        pending.append(obj)
    return pending


def run_plan(plan: SynthPlan, root: str | Path, workers: int = 1, backend: str = "process",
             progress: bool = True, on_object: Callable[[dict], None] | None = None) -> dict:
    """Synthesize and validate every pending unit of the plan into ``root``; returns the dataset summary.

    backend: "process" (a spawn pool of ``workers`` processes, one torch thread each; workers=0 runs in this
    process) or "ray" (one task per object on the running Ray cluster, or a local one).
    """
    out = DatasetDir(root)
    out.root.mkdir(parents=True, exist_ok=True)
    out.check_plan(plan)
    pending = _pending(plan, out)
    bar = _progress(len(plan.objects), len(plan.objects) - len(pending), progress)
    unfinished = []
    for summary in _execute(pending, plan, str(out.root), workers, backend):
        if "error" in summary:  # said at once, and listed in the result; the object stays pending
            unfinished.append(summary)
            bar.write(f"synth: {summary['object']} not finished: {summary['error'].strip()}")
        else:
            bar.update(1)
            bar.set_postfix(validated=summary.get("validated", 0), refresh=False)
        if on_object:
            on_object(summary)
    bar.close()
    return {**summarize(out.root), "unfinished": unfinished}


def _execute(objects: list[ObjectRef], plan: SynthPlan, root: str, workers: int, backend: str) -> Iterator[dict]:
    if not objects:
        return
    if backend == "ray":
        yield from _execute_ray(objects, plan, root)
    elif backend != "process":
        raise ValueError(f"unknown backend {backend!r}; expected 'process' or 'ray'")
    elif workers <= 0:
        for obj in objects:
            yield run_object(obj, plan, root)
    else:
        yield from _execute_pool(objects, plan, root, workers)


# A worker that dies (killed, out of memory, an abort in native code) breaks the whole pool: every object in
# flight fails with BrokenProcessPool, the guilty one and the bystanders alike. Those objects become suspects and
# run again one at a time in a new pool, so that a death can be pinned on its object; an object that kills its
# worker this many times while running alone is reported, and the run goes on with the rest. Its finished units
# are kept either way, and a rerun tries it again.
POOL_ATTEMPTS = 2


def _execute_pool(objects: list[ObjectRef], plan: SynthPlan, root: str, workers: int) -> Iterator[dict]:
    queue, suspects, deaths = deque(objects), deque(), Counter()
    while queue or suspects:
        alone = bool(suspects)
        ctx = get_context("spawn")  # torch and MuJoCo do not survive fork safely
        with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_worker_init, initargs=(1,)) as pool:
            running: dict = {}
            broken = False
            while not broken:
                if alone and not running and suspects:
                    obj = suspects.popleft()
                    running[pool.submit(run_object, obj, plan, root)] = obj
                while not alone and queue and len(running) < 2 * workers:
                    obj = queue.popleft()
                    running[pool.submit(run_object, obj, plan, root)] = obj
                if not running:
                    break
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    obj = running.pop(future)
                    try:
                        yield future.result()
                    except BrokenProcessPool:
                        broken = True
                        if not alone:
                            suspects.append(obj)
                            continue
                        deaths[obj] += 1
                        if deaths[obj] < POOL_ATTEMPTS:
                            suspects.appendleft(obj)
                        else:
                            yield {"object": obj.object_id,
                                   "error": f"its worker died {POOL_ATTEMPTS} times while it ran alone (killed, out"
                                            " of memory or an abort in native code); its finished units are kept"}
                    except Exception:  # run_object itself raised: report; the rerun redoes the object
                        yield {"object": obj.object_id, "error": traceback.format_exc(limit=2)}
            for future, obj in running.items():  # the rest of a broken pool's objects: done, or suspects
                try:
                    yield future.result()
                except BrokenProcessPool:
                    suspects.append(obj)
                except Exception:
                    yield {"object": obj.object_id, "error": traceback.format_exc(limit=2)}


def _execute_ray(objects: list[ObjectRef], plan: SynthPlan, root: str) -> Iterator[dict]:
    from dexvlg_data.scenes.distributed import connect_ray

    ray = connect_ray()
    remote = ray.remote(max_retries=2, num_cpus=1)(_ray_object)
    plan_ref = ray.put(plan)
    tasks = {remote.remote(obj, plan_ref, root): obj for obj in objects}
    pending = list(tasks)
    while pending:
        done, pending = ray.wait(pending, num_returns=1)
        try:
            yield ray.get(done[0])
        except Exception as error:  # Ray's retries are spent (a worker or node died each time): report it
            yield {"object": tasks[done[0]].object_id, "error": f"{type(error).__name__}: {error}"}


def _ray_object(obj: ObjectRef, plan: SynthPlan, root: str) -> dict:
    _worker_init(1)
    return run_object(obj, plan, root)


class _NoBar:
    def update(self, n: int = 1) -> None: ...
    def write(self, text: str) -> None: print(text, file=sys.stderr)
    def set_postfix(self, **_: object) -> None: ...
    def close(self) -> None: ...


def _progress(total: int, initial: int, enabled: bool):
    if not enabled:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, unit="object", desc="synth", dynamic_ncols=True)


# ---------------------------------------------------------------------------------------------- summary
def summarize(root: str | Path) -> dict:
    """Counts over a dataset directory (complete units only): yield per style, part kind and category."""
    out = DatasetDir(root)
    records = [json.loads(p.read_text()) for p in sorted((out.root / "units").glob("*/*.json"))]
    rejected = [json.loads(p.read_text()) for p in sorted((out.root / "rejected").glob("*.json"))]

    def tally(key: Callable[[dict], str]) -> dict:
        groups: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for r in records:
            groups[key(r)][0] += r["optimized"]
            groups[key(r)][1] += r["validated"]
        return {k: {"optimized": o, "validated": v, "yield": v / o if o else None}
                for k, (o, v) in sorted(groups.items())}

    optimized = sum(r["optimized"] for r in records)
    validated = sum(r["validated"] for r in records)
    failures: Counter = Counter()
    for r in records:
        for kind, n in r["failures"].items():
            failures[failure_kind(kind)] += n
    options: Counter = Counter()
    for r in records:  # units made before the posture search have no such entry
        options.update(r.get("posture_options", {}))
    seconds = {k: sum(r.get(k, 0.0) for r in records) for k in ("optimization_s", "validation_s")}
    # Where optimization_s goes, over the units that recorded it (those made before stages were timed did not).
    staged, stage_s = [r["stages_s"] for r in records if "stages_s" in r], Counter()
    for stages in staged:
        stage_s.update(stages)
    return {
        "units": len(records), "objects": len({r["object"] for r in records}),
        "objects_with_grasps": len({r["object"] for r in records if r["validated"]}),
        "optimized": optimized, "validated": validated, "yield": validated / optimized if optimized else None,
        "per_style": tally(lambda r: r["style"]), "per_kind": tally(lambda r: r["kind"]),
        "per_category": tally(lambda r: r["category"]),
        "failures": dict(failures.most_common()), "posture_options": dict(sorted(options.items())),
        "seconds": seconds, "optimization_stages": {"units": len(staged), "cpu_s": dict(stage_s)},
        "rejected": rejected,
    }
