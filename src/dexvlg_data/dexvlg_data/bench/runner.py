"""The benchmark harness: every method on every item, in parallel, resumable, and the summary of it all.

    summary = run_benchmark("results/bench_run", BenchSpec(), default_methods(), workers=2)

Run directory: ``items.json`` (the spec's items), ``objects/`` (imported package meshes, split other_seg),
``results/<method>/<item_id>.json`` (one record per method and item, written atomically: a killed run resumes
without redoing finished items), ``benchmark.json`` (per method and split), then the Markdown and HTML report.

A method is any predictor (dexvlg_core.predictor interface) named by "module:Attribute" plus keyword arguments; a
privileged one (the oracle) implements ``predict_with_truth(ItemTruth, num_grasps)``. A predictor that raises,
returns non-finite numbers or no grasp gets that item scored as failed, with the reason; the run goes on.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from functools import lru_cache
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from dexvlg_core.files import write_text_atomic
from dexvlg_core.grasp import Grasp
from dexvlg_core.predictor import load_predictor
from dexvlg_core.rotations import invert
from dexvlg_core.sim import SimConfig, evaluate
from dexvlg_data.bench.baselines import ItemTruth
from dexvlg_data.bench.items import (
    BenchItem,
    BenchSpec,
    build_items,
    import_package_objects,
    load_items,
    render_item,
    save_items,
    sim_object,
)
from dexvlg_data.bench.metrics import aggregate, diversity, item_metrics, score_grasp
from dexvlg_data.scenes.render import RenderedView


@dataclass(frozen=True)
class Method:
    """A named predictor: ``spec`` "package.module:Attribute", built with ``kwargs`` once per worker process."""

    name: str
    spec: str
    kwargs: dict = field(default_factory=dict, hash=False, compare=False)

    @staticmethod
    def parse(text: str) -> Method:
        """A method from "name=package.module:Class[,key=value...]" (values parsed as JSON when they are JSON)."""
        name, sep, rest = text.partition("=")
        if not sep or not name or ":" not in rest:
            raise ValueError(f"method must look like 'name=package.module:Class[,key=value]', got {text!r}")
        spec, *pairs = rest.split(",")
        kwargs = {}
        for pair in pairs:
            key, eq, value = pair.partition("=")
            if not eq:
                raise ValueError(f"method argument {pair!r} is not key=value")
            try:
                kwargs[key] = json.loads(value)
            except json.JSONDecodeError:
                kwargs[key] = value
        return Method(name, spec, kwargs)


def default_methods(library: str = "data/bench/library/train", oracle_cache: str = "data/bench/oracle") -> list[Method]:
    """The reference methods: random lower bound, retrieval, oracle upper bound."""
    return [
        Method("random", "dexvlg_data.bench.baselines:RandomBaseline"),
        Method("retrieval", "dexvlg_data.bench.baselines:RetrievalBaseline", {"library": library}),
        Method("oracle", "dexvlg_data.bench.baselines:OracleBaseline", {"cache_dir": oracle_cache}),
    ]


@dataclass(frozen=True)
class RunConfig:
    """How items are evaluated."""

    num_grasps: int = 4  # samples asked of each method per item (top-ranked first)
    physics: SimConfig = field(default_factory=lambda: SimConfig(run_disturbance=False, run_lift=True))


class RunDir:
    """Paths of a benchmark run directory."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    @property
    def items(self) -> Path:
        return self.root / "items.json"

    @property
    def objects(self) -> Path:
        return self.root / "objects"

    def record(self, method: str, item_id: str) -> Path:
        return self.root / "results" / method / f"{item_id}.json"

    @property
    def summary(self) -> Path:
        return self.root / "benchmark.json"


# ---------------------------------------------------------------------------------------------- one item
@lru_cache(maxsize=8)
def _predictor(method: Method) -> object:
    return load_predictor(method.spec, **method.kwargs)


def _failed(record: dict, reason: str) -> dict:
    record.update(status="failed", reason=reason)
    return record


def predict(method: Method, item: BenchItem, spec: BenchSpec, num_grasps: int) -> tuple[list[Grasp], RenderedView]:
    """Ask the method about the item; returns (grasps in the camera frame, the view it was asked about)."""
    view = render_item(item, spec)
    predictor = _predictor(method)
    if hasattr(predictor, "predict_with_truth"):
        truth = ItemTruth(item.object.load(), sim_object(item.object), item.part, view.object_pose,
                          view.object_to_camera(), item.fingers, item.seed)
        grasps = predictor.predict_with_truth(truth, num_grasps)
    else:
        grasps = predictor.predict(view.points, view.colors, item.instruction, num_grasps)
    return list(grasps), view


def _bad_grasp(grasp: object) -> str:
    if not isinstance(grasp, Grasp):
        return f"returned a {type(grasp).__name__}, not a Grasp"
    arrays = [grasp.position, grasp.rotation, grasp.joints] + [q for q in (grasp.pregrasp, grasp.squeeze)
                                                                if q is not None]
    if not all(np.all(np.isfinite(a)) for a in arrays):
        return "returned non-finite numbers (NaN or inf)"
    return ""


def run_item(method: Method, item: BenchItem, spec: BenchSpec, config: RunConfig) -> dict:
    """Evaluate one method on one item; never raises (a broken predictor fails the item, with the reason)."""
    start = time.process_time()
    record: dict = {"method": method.name, "item_id": item.item_id, "split": item.split,
                    "object_id": item.object.object_id, "part": item.part, "instruction": item.instruction,
                    "fingers": list(item.fingers), "status": "ok", "reason": "", "grasps": [],
                    "predict_seconds": 0.0, "seconds": 0.0}
    grasps: list[Grasp] = []
    try:
        t0 = time.process_time()
        grasps, view = predict(method, item, spec, config.num_grasps)
        record["predict_seconds"] = time.process_time() - t0
        grasps = grasps[: config.num_grasps]
        problems = [p for p in map(_bad_grasp, grasps) if p]
        if problems:
            _failed(record, f"bad prediction: {problems[0]}")
            grasps = []
        elif not grasps:
            _failed(record, "no grasp: the predictor returned an empty list")
    except Exception as error:  # any predictor failure is the predictor's, scored, never fatal
        _failed(record, f"predictor error: {type(error).__name__}: {error}")
        grasps = []
    if grasps:
        back = invert(view.object_to_camera())
        obj = sim_object(item.object)
        for rank, grasp in enumerate(grasps):
            in_object = replace(grasp.transformed(back), part=item.part, contact_fingers=item.fingers)
            result = evaluate(in_object, obj, config.physics, table_pose=view.object_pose)
            score = score_grasp(result, item.fingers).to_json()
            score.update(rank=rank, position=grasp.position.tolist(), rotation=grasp.rotation.tolist(),
                         joints=grasp.joints.tolist())
            record["grasps"].append(score)
    record["top1"], record["mean"] = item_metrics(record["grasps"], config.num_grasps, item.contact_mode)
    record["diversity"] = diversity(grasps)
    record["seconds"] = time.process_time() - start
    return record


# ---------------------------------------------------------------------------------------------- many items
def _worker_init() -> None:
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    import torch

    torch.set_num_threads(1)


def _run_chunk(method: Method, items: list[BenchItem], spec: BenchSpec, config: RunConfig, root: str) -> list[str]:
    run = RunDir(root)
    done = []
    for item in items:
        record = run_item(method, item, spec, config)
        write_text_atomic(run.record(method.name, item.item_id), json.dumps(record) + "\n")
        done.append(item.item_id)
    return done


def prepare(root: str | Path, spec: BenchSpec) -> list[BenchItem]:
    """The run directory's items: read them, or import package meshes and build them (once)."""
    run = RunDir(root)
    if run.items.is_file():
        return load_items(run.items, spec)
    objects_dir = None
    if "other_seg" in spec.splits:
        import_package_objects(run.objects)
        objects_dir = run.objects
    items, skipped = build_items(spec, objects_dir)
    save_items(run.items, spec, items, skipped)
    return items


def pending(root: str | Path, methods: Sequence[Method], items: Sequence[BenchItem]) -> list[tuple[Method, list]]:
    """(method, items of one object) chunks whose records are missing, objects kept together (warm scenes)."""
    run = RunDir(root)
    chunks = []
    for method in methods:
        by_object: dict[str, list[BenchItem]] = {}
        for item in items:
            if not run.record(method.name, item.item_id).is_file():
                by_object.setdefault(item.object.object_id, []).append(item)
        chunks += [(method, chunk) for chunk in by_object.values()]
    return chunks


def _progress(total: int, initial: int) -> object:
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, desc="bench", unit="item", dynamic_ncols=True)


def execute(root: str | Path, spec: BenchSpec, methods: Sequence[Method], items: Sequence[BenchItem],
            config: RunConfig, workers: int = 1, progress: bool = True) -> int:
    """Evaluate every missing (method, item); returns how many were evaluated now."""
    chunks = pending(root, methods, items)
    total = len(methods) * len(items)
    todo = sum(len(c) for _, c in chunks)
    bar = _progress(total, total - todo) if progress else None
    evaluated = 0

    def finished(ids: list[str]) -> None:
        nonlocal evaluated
        evaluated += len(ids)
        if bar is not None:
            bar.update(len(ids))

    try:
        if workers <= 1:
            for method, chunk in chunks:
                finished(_run_chunk(method, chunk, spec, config, str(root)))
        else:
            with ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_worker_init) as pool:
                futures = [pool.submit(_run_chunk, m, c, spec, config, str(root)) for m, c in chunks]
                for future in as_completed(futures):
                    finished(future.result())
    finally:
        if bar is not None:
            bar.close()
    return evaluated


def load_records(root: str | Path, methods: Sequence[Method], items: Sequence[BenchItem]) -> list[dict]:
    """Every record of the run, in (method, item) order."""
    run = RunDir(root)
    return [json.loads(run.record(m.name, i.item_id).read_text()) for m in methods for i in items
            if run.record(m.name, i.item_id).is_file()]


def describe(method: Method) -> dict:
    """The method's spec, arguments and, when its class offers ``describe_setup(**kwargs)``, what it was set up with
    (e.g. the retrieval library's size).
    """
    out: dict = {"spec": method.spec, "kwargs": method.kwargs}
    module_name, _, attribute = method.spec.partition(":")
    try:
        setup = getattr(getattr(importlib.import_module(module_name), attribute), "describe_setup", None)
        if setup is not None:
            out["setup"] = setup(**method.kwargs)
    except Exception as error:  # a description must never fail a finished run
        out["setup_error"] = f"{type(error).__name__}: {error}"
    return out


def summarize(spec: BenchSpec, methods: Sequence[Method], records: Sequence[dict], command: str = "") -> dict:
    """benchmark.json: per method and split, the metrics (aggregate) of its records."""
    results: dict = {}
    for method in methods:
        mine = [r for r in records if r["method"] == method.name]
        results[method.name] = {split: aggregate([r for r in mine if r["split"] == split]) for split in spec.splits}
        results[method.name]["all"] = aggregate(mine)
    return {"version": spec.version, "fingerprint": spec.fingerprint(), "command": command,
            "spec": spec.to_json(), "methods": [m.name for m in methods], "splits": list(spec.splits),
            "method_specs": {m.name: describe(m) for m in methods}, "results": results}


def run_benchmark(root: str | Path, spec: BenchSpec, methods: Sequence[Method], config: RunConfig | None = None,
                  workers: int = 1, progress: bool = True, command: str = "",
                  report: Callable[..., object] | None = None) -> dict:
    """Prepare, evaluate what is missing, summarize into benchmark.json; ``report(root, spec, summary, records)``
    afterwards when given.
    """
    config = config or RunConfig()
    if len({m.name for m in methods}) != len(methods):
        raise ValueError("method names must be unique")
    root = Path(root)
    items = prepare(root, spec)
    wall = time.perf_counter()
    evaluated = execute(root, spec, methods, items, config, workers, progress)
    records = load_records(root, methods, items)
    summary = summarize(spec, methods, records, command)
    summary["run"] = {"items": len(items), "evaluated_now": evaluated, "workers": workers,
                      "wall_seconds": time.perf_counter() - wall, "num_grasps": config.num_grasps}
    write_text_atomic(RunDir(root).summary, json.dumps(summary, indent=1, default=_json_default) + "\n")
    if report is not None:
        report(root, spec, summary, records)
    return summary


def _json_default(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return str(value)

