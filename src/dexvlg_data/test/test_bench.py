"""Benchmark harness: items reproducible from the spec, metrics, baselines, broken predictors scored as failed,
identical repeat runs, and a run killed midway resumes without redoing items.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from scipy.spatial import cKDTree

from dexvlg_core.grasp import Grasp
from dexvlg_core.grasp_io import write_grasps
from dexvlg_core.rotations import invert, transform
from dexvlg_data.bench.baselines import (
    RandomBaseline,
    RetrievalBaseline,
    part_in_instruction,
    register,
)
from dexvlg_data.bench.command import methods_from_args
from dexvlg_data.bench.items import BenchSpec, build_items, load_items, render_item, save_items
from dexvlg_data.bench.metrics import aggregate, item_metrics
from dexvlg_data.bench.runner import Method, RunConfig, RunDir, run_benchmark
from dexvlg_data.cli import build_parser

SPEC = BenchSpec(objects_per_split=1, splits=("seen",))
HERE = Path(__file__).parent
RANDOM = Method("random", "dexvlg_data.bench.baselines:RandomBaseline")
BROKEN = [Method(name, f"bench_predictors:{cls}") for name, cls in
          (("crashing", "Crashing"), ("nan", "NaNGrasps"), ("empty", "Empty"))]


@pytest.fixture(scope="module")
def items():
    return build_items(SPEC)[0]


def test_items_are_a_pure_function_of_the_spec(items, tmp_path):
    again, _ = build_items(SPEC)
    assert [i.to_json() for i in again] == [i.to_json() for i in items]
    assert len({i.item_id for i in items}) == len(items)
    plain = [i for i in items if not i.contact_mode]
    contact = [i for i in items if i.contact_mode]
    assert plain and len(contact) == len(plain)
    for item in plain:
        assert item.instruction == f"Grasp the {item.part} part of the {item.object.category} object"
    assert all("with contact on" in i.instruction for i in contact)
    # The camera sees the target part in every item's cloud.
    view = render_item(items[0], SPEC)
    part_index = items[0].object.load().part_index(items[0].part)
    assert (view.parts == part_index).sum() >= SPEC.min_part_points
    assert np.array_equal(view.points, render_item(items[0], SPEC).points)
    save_items(tmp_path / "items.json", SPEC, items, {})
    assert [i.item_id for i in load_items(tmp_path / "items.json", SPEC)] == [i.item_id for i in items]
    with pytest.raises(ValueError, match="another benchmark spec"):
        load_items(tmp_path / "items.json", BenchSpec(objects_per_split=1, splits=("seen",), seed=1))


def test_spec_rejects_bad_values():
    with pytest.raises(ValueError, match="unknown benchmark splits"):
        BenchSpec(splits=("seen", "mars"))
    with pytest.raises(ValueError, match="views_per_object"):
        BenchSpec(views_per_object=9)


def test_item_metrics_count_missing_samples_as_failures():
    scores = [{"suc": True, "pta": True, "pga": False, "cma": True}, {"suc": False, "pta": True, "pga": True}]
    top1, mean = item_metrics(scores, requested=4, contact_mode=True)
    assert top1 == {"suc": 1, "pta": 1, "pga": 0, "cma": 1}
    assert mean == {"suc": 0.25, "pta": 0.5, "pga": 0.25, "cma": 0.25}
    top1, mean = item_metrics([], requested=4, contact_mode=False)
    assert top1 == {"suc": 0, "pta": 0, "pga": 0, "cma": None} and mean["suc"] == 0.0
    record = {"fingers": [], "status": "ok", "reason": "", "seconds": 2.0, "grasps": [],
              "diversity": {"position_mm": None, "joints_rad": None}}
    summary = aggregate([record | {"top1": {"suc": 1, "pta": 1, "pga": 0, "cma": None}, "mean": top1},
                         record | {"top1": {"suc": 0, "pta": 1, "pga": 0, "cma": None}, "mean": top1,
                                   "status": "failed", "reason": "predictor error: boom"}])
    assert summary["top1"]["suc"] == 50.0 and summary["top1"]["pta"] == 100.0 and summary["top1"]["cma"] is None
    assert summary["failed_items"] == 1 and summary["failure_reasons"] == {"predictor error": 1}
    assert summary["items_per_s_per_core"] == pytest.approx(0.5)


def test_random_baseline_is_deterministic_per_request():
    rng = np.random.default_rng(0)
    points = rng.normal(0.0, 0.03, (500, 3)).astype(np.float32) + np.array([0, 0, 0.6], np.float32)
    colors = np.zeros((500, 3), np.uint8)
    a = RandomBaseline(seed=1).predict(points, colors, "grasp the handle", 5)
    b = RandomBaseline(seed=1).predict(points, colors, "grasp the handle", 5)
    c = RandomBaseline(seed=1).predict(points, colors, "grasp the body", 5)
    assert len(a) == 5 and all(np.allclose(x.position, y.position) for x, y in zip(a, b, strict=True))
    assert not np.allclose(a[0].position, c[0].position)
    # Palms face the cloud: the palm normal (-y) points towards the centre from outside.
    centre = points.mean(axis=0)
    for grasp in a:
        assert np.dot(-grasp.rotation[:, 1], centre - grasp.position) > 0


def test_registration_recovers_a_rigid_motion():
    import trimesh

    from dexvlg_data.bench.baselines import _start_rotations

    # An asymmetric L of two bars (no symmetry to confuse it with), seen from one side only.
    bars = [trimesh.creation.box([0.16, 0.03, 0.03]),
            trimesh.creation.box([0.03, 0.08, 0.03], transform=transform(np.eye(3), [0.065, 0.055, 0.0]))]
    model = np.concatenate([b.sample(1500, seed=i) for i, b in enumerate(bars)])
    rotation = np.linalg.qr(np.random.default_rng(2).normal(size=(3, 3)))[0]
    rotation *= np.sign(np.linalg.det(rotation))
    truth = transform(rotation, [0.1, -0.2, 0.7])
    observed = model[model[:, 2] > -0.005] @ truth[:3, :3].T + truth[:3, 3]
    pose, error = register(model, observed, _start_rotations(model, observed))
    assert error < 2e-3
    moved = model @ pose[:3, :3].T + pose[:3, 3]
    assert np.abs(moved - (model @ truth[:3, :3].T + truth[:3, 3])).max() < 0.01


def test_part_names_are_read_from_the_instruction():
    parts = {"handle", "body", "handle grip", "lid"}
    assert part_in_instruction("Grasp the handle grip part of the mug object", parts) == "handle grip"
    assert part_in_instruction("pick up the mug by its Handle.", parts) == "handle"
    assert part_in_instruction("grasp the spout", parts) == ""


def test_retrieval_moves_library_grasps_onto_the_observed_object(items, tmp_path):
    """A library of one object (the benchmark's own, with one hand-made grasp): the retrieved grasp must land where
    that grasp is on the observed object, i.e. the registration found the object's pose in the camera.
    """
    item = next(i for i in items if not i.contact_mode)
    obj = item.object.load()
    grasp = Grasp(position=[0.0, 0.05, 0.02], rotation=np.eye(3), joints=np.zeros(22), object_id=obj.object_id,
                  part=item.part, style="wrap")
    library = tmp_path / "library"
    write_grasps(library / "grasps" / obj.object_id / f"{item.part}-wrap.parquet", [grasp])
    (library / "objects").mkdir()
    (library / "objects" / f"{obj.object_id}.json").write_text(json.dumps(
        {"source": {"category": item.object.category, "seed": item.object.seed, "path": ""}}))
    view = render_item(item, SPEC)
    predicted = RetrievalBaseline(str(library)).predict(view.points, view.colors, item.instruction, 3)
    assert len(predicted) == 1
    # The object pose the retrieval estimated (predicted grasp = estimate @ library grasp) must put the object's
    # surface where it really is (up to the object's own symmetry, which is why surfaces are compared, not poses).
    estimate = transform(predicted[0].rotation, predicted[0].position) @ invert(transform(grasp.rotation,
                                                                                         grasp.position))
    surface = np.asarray(obj.mesh.sample(2000, seed=0))
    truth = view.object_to_camera()
    placed, actual = (surface @ t[:3, :3].T + t[:3, 3] for t in (estimate, truth))
    gap = cKDTree(actual).query(placed)[0]
    assert gap.mean() < 0.003, f"registered surface {1e3 * gap.mean():.1f} mm from the true one"
    setup = RetrievalBaseline.describe_setup(str(library))
    assert (setup["objects_with_grasps"], setup["grasps"], setup["grasps_per_part"]) == (1, 1, {item.part: 1})
    other = "Grasp the spout part of the teapot object"
    with pytest.raises(ValueError, match="no training grasp of any part named"):
        RetrievalBaseline(str(library)).predict(view.points, view.colors, other, 3)


def test_broken_predictors_fail_their_items_and_the_run_goes_on(items, tmp_path):
    summary = run_benchmark(tmp_path, SPEC, [*BROKEN, RANDOM], RunConfig(num_grasps=2), progress=False)
    n = len(items)
    expected = {"crashing": "predictor error: RuntimeError: model weights missing",
                "nan": "bad prediction: returned non-finite numbers", "empty": "no grasp"}
    for name, reason in expected.items():
        result = summary["results"][name]["seen"]
        assert result["failed_items"] == n and result["top1"]["suc"] == 0.0 and result["top1"]["pta"] == 0.0
        record = json.loads(RunDir(tmp_path).record(name, items[0].item_id).read_text())
        assert record["status"] == "failed" and record["reason"].startswith(reason)
    random = summary["results"]["random"]["seen"]
    assert random["failed_items"] == 0 and random["items"] == n
    assert random["penetration_mm"] is not None and random["items_per_s_per_core"] > 0
    record = json.loads(RunDir(tmp_path).record("random", items[0].item_id).read_text())
    assert len(record["grasps"]) == 2 and all("suc" in g and "lift_mm" in g for g in record["grasps"])


def test_repeat_runs_are_identical(items, tmp_path):
    first = run_benchmark(tmp_path / "a", SPEC, [RANDOM], RunConfig(num_grasps=2), progress=False)
    second = run_benchmark(tmp_path / "b", SPEC, [RANDOM], RunConfig(num_grasps=2), progress=False)
    for summary in (first, second):
        for split in summary["results"]["random"].values():
            split.pop("items_per_s_per_core")
    assert first["results"] == second["results"]
    record = RunDir(tmp_path / "a").record("random", items[0].item_id).read_text()
    assert json.loads(record)["grasps"] == json.loads(
        RunDir(tmp_path / "b").record("random", items[0].item_id).read_text())["grasps"]


def test_killed_run_resumes_without_redoing_items(items, tmp_path):
    slow = Method("slow", "bench_predictors:SlowRandom")
    script = (
        "import sys, pickle\n"
        "from dexvlg_data.bench.runner import run_benchmark, RunConfig\n"
        "spec, methods = pickle.loads(bytes.fromhex(sys.argv[1]))\n"
        "run_benchmark(sys.argv[2], spec, methods, RunConfig(num_grasps=2), progress=False)\n"
    )
    import pickle

    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]))
    process = subprocess.Popen([sys.executable, "-c", script, pickle.dumps((SPEC, [slow])).hex(), str(tmp_path)],
                               env=env, start_new_session=True)
    results = tmp_path / "results" / "slow"
    deadline = time.time() + 120
    while time.time() < deadline and not list(results.glob("*.json")):
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    before = {p.name: p.stat().st_mtime_ns for p in results.glob("*.json")}
    assert 1 <= len(before) < len(items), "the run was not killed midway"
    assert not list(results.glob(".*")), "a killed writer left a partial file"
    summary = run_benchmark(tmp_path, SPEC, [slow], RunConfig(num_grasps=2), progress=False)
    assert summary["run"]["evaluated_now"] == len(items) - len(before)
    assert {p.name: p.stat().st_mtime_ns for p in results.glob("*.json") if p.name in before} == before
    reference = run_benchmark(tmp_path / "uninterrupted", SPEC, [slow], RunConfig(num_grasps=2), progress=False)
    for s in (summary, reference):
        for split in s["results"]["slow"].values():
            split.pop("items_per_s_per_core")
    assert summary["results"] == reference["results"]


def test_command_line_methods():
    parser = build_parser()
    args = parser.parse_args(["bench", "--out", "x", "--only", "random,oracle"])
    assert [m.name for m in methods_from_args(args)] == ["random", "oracle"]
    args = parser.parse_args(["bench", "--out", "x", "--method", "mine=pkg.mod:Cls,checkpoint=a.pt,steps=8"])
    (method,) = methods_from_args(args)
    assert (method.name, method.spec, method.kwargs) == ("mine", "pkg.mod:Cls", {"checkpoint": "a.pt", "steps": 8})
    with pytest.raises(ValueError, match="unknown reference methods"):
        methods_from_args(parser.parse_args(["bench", "--out", "x", "--only", "magic"]))
    with pytest.raises(ValueError, match="name=package.module:Class"):
        Method.parse("no-spec-here")

