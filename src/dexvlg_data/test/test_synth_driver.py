"""dexvlg synth: sharded output, resume after a kill with exactly the grasps of an uninterrupted run, bad objects
reported and skipped, a different plan refused, the Ray backend gives the same dataset."""

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest
import trimesh

from dexvlg_core.grasp_io import read_grasps_table
from dexvlg_data.objects.part_object import PartObject
from dexvlg_data.objects.storage import save_part_object
from dexvlg_data.synth.config import OptimizerConfig, SDFConfig, SynthConfig
from dexvlg_data.synth.driver import DatasetDir, ObjectRef, SynthPlan, Unit, run_plan, summarize

# Small and quick: coarse grid, few iterations, two grasps per batch.
CONFIG = SynthConfig(batch_size=2, sdf=SDFConfig(cell=0.004, max_cells=60),
                     optimizer=OptimizerConfig(iterations=10))


def _table_rows(root: Path) -> list[tuple]:
    rows = []
    for path in sorted((root / "grasps").glob("*/*.parquet")):
        table = read_grasps_table(path).to_pydict()
        rows += [(path.parent.name, path.name, tuple(p), tuple(j))
                 for p, j in zip(table["position"], table["joints"], strict=True)]
    return rows


def _objects(tmp_path: Path) -> tuple[ObjectRef, ...]:
    cube = trimesh.creation.box(extents=(0.06, 0.06, 0.06))
    good = PartObject("cube-0", "cube", cube, np.zeros(len(cube.faces), dtype=np.int32), ("box",),
                      np.array([[200, 120, 40]]))
    flat = trimesh.creation.box(extents=(0.2, 0.2, 1e-6))  # a degenerate slab: the simulator cannot use it
    broken = PartObject("slab-0", "slab", flat, np.zeros(len(flat.faces), dtype=np.int32), ("top",),
                        np.array([[10, 10, 10]]))
    paths = [save_part_object(o, tmp_path / "objects" / o.object_id) for o in (good, broken)]
    return tuple(ObjectRef(path=str(p)) for p in paths)


@pytest.fixture(scope="module")
def objects(tmp_path_factory):
    return _objects(tmp_path_factory.mktemp("objs"))


@pytest.fixture(scope="module")
def reference(objects, tmp_path_factory):
    root = tmp_path_factory.mktemp("reference")
    plan = SynthPlan(objects, CONFIG, batches=2, styles=("wrap", "pinch"))
    summary = run_plan(plan, root, workers=0, progress=False)
    return plan, root, summary


def test_units_are_written_and_bad_objects_reported(reference, objects):
    plan, root, summary = reference
    assert summary["units"] == 2  # the cube's one part x two styles
    assert summary["optimized"] == 2 * 2 * CONFIG.batch_size
    assert len(summary["rejected"]) == 1 and summary["rejected"][0]["object"] == "slab-0"
    assert summary["rejected"][0]["reason"]
    out = DatasetDir(root)
    for style in ("wrap", "pinch"):
        unit = Unit(objects[0], "box", style)
        assert out.grasps(unit).exists() and out.done(unit)
        record = json.loads(out.unit_meta(unit).read_text())
        assert record["validated"] == len(read_grasps_table(out.grasps(unit)))
        # every validated grasp held with its own squeeze ("0") or one of the fallbacks ("1".."6")
        assert sum(record["posture_options"].values()) == record["validated"]
        assert set(record["posture_options"]) <= {str(k) for k in range(len(CONFIG.postures.fallbacks) + 1)}
    assert sum(summary["posture_options"].values()) == summary["validated"]
    assert json.loads((root / "plan.json").read_text())["fingerprint"] == plan.fingerprint()
    # a second run has nothing to do
    again = run_plan(plan, root, workers=0, progress=False)
    assert again["units"] == summary["units"] and again["validated"] == summary["validated"]


def test_another_plan_is_refused_more_objects_are_not(reference, objects):
    plan, root, _ = reference
    with pytest.raises(ValueError, match="another plan"):
        run_plan(SynthPlan(objects, CONFIG, batches=3), root, workers=0, progress=False)
    assert SynthPlan(objects[:1], CONFIG, batches=2).fingerprint() == plan.fingerprint()
    recorded = json.loads((root / "plan.json").read_text())["objects"]
    run_plan(SynthPlan(objects[:1], CONFIG, batches=2), root, workers=0, progress=False)  # nothing new to do
    assert json.loads((root / "plan.json").read_text())["objects"] == recorded


def test_a_unit_stops_after_a_batch_that_validates_nothing(tmp_path):
    bar = trimesh.creation.cylinder(radius=0.015, height=0.14, sections=24)  # a handle the hand holds
    held = PartObject("bar-0", "bar", bar, np.zeros(len(bar.faces), dtype=np.int32), ("bar",),
                      np.array([[200, 120, 40]]))
    crate = trimesh.creation.box(extents=(0.4, 0.4, 0.4))  # flat faces wider than the hand: nothing holds it
    unheld = PartObject("crate-0", "crate", crate, np.zeros(len(crate.faces), dtype=np.int32), ("side",),
                        np.array([[90, 90, 200]]))
    refs = tuple(ObjectRef(path=str(save_part_object(o, tmp_path / "objects" / o.object_id))) for o in (held, unheld))
    config = SynthConfig(batch_size=2, sdf=CONFIG.sdf, optimizer=OptimizerConfig(iterations=30))
    plan = SynthPlan(refs, config, batches=3, styles=("wrap", "pinch"), stop_when_empty=True)
    assert plan.fingerprint() != SynthPlan(refs, config, batches=3, styles=("wrap", "pinch")).fingerprint()
    run_plan(plan, tmp_path / "out", workers=0, progress=False)
    records = {(r["object"], r["style"]): r for r in
               (json.loads(p.read_text()) for p in (tmp_path / "out" / "units").glob("*/*.json"))}
    for style in ("wrap", "pinch"):
        crate = records[("crate-0", style)]  # one batch, then stop
        assert crate["validated_per_batch"] == [0] and crate["optimized"] == 2
    for record in records.values():
        counts = record["validated_per_batch"]
        assert 0 not in counts[:-1] and (len(counts) == 3 or counts[-1] == 0)
        assert record["optimized"] == 2 * len(counts) and record["validated"] == sum(counts)
    assert any(len(r["validated_per_batch"]) == 3 for r in records.values())  # the bar's units ran every batch


def test_fewer_batches_give_the_first_batches_of_more(reference, objects, tmp_path):
    """A plan with fewer batches per unit is a prefix of one with more (seeds follow the unit and the batch), so a
    dataset's batch count can be lowered without changing which grasps it holds.
    """
    _, reference_root, _ = reference
    run_plan(SynthPlan(objects[:1], CONFIG, batches=1, styles=("wrap", "pinch")), tmp_path, workers=0, progress=False)
    full, short = DatasetDir(reference_root), DatasetDir(tmp_path)
    checked = 0
    for style in ("wrap", "pinch"):
        unit = Unit(objects[0], "box", style)
        first = json.loads(full.unit_meta(unit).read_text())["validated_per_batch"][0]
        assert json.loads(short.unit_meta(unit).read_text())["validated_per_batch"] == [first]
        kept = read_grasps_table(short.grasps(unit)).to_pydict()
        prefix = read_grasps_table(full.grasps(unit)).slice(0, first).to_pydict()
        assert repr(kept) == repr(prefix)  # repr: a NaN score ("no Q1") equals itself
        checked += first
    assert checked > 0  # some grasps were compared


def test_seeds_depend_on_the_unit_key_only(objects):
    a, b = Unit(objects[0], "box", "wrap"), Unit(objects[0], "box", "pinch")
    assert a.seed(0) == Unit(objects[0], "box", "wrap").seed(0)
    assert len({a.seed(0), a.seed(1), b.seed(0)}) == 3


def test_killed_run_resumes_to_the_same_dataset(reference, objects, tmp_path):
    plan, reference_root, _ = reference
    root = tmp_path / "killed"
    script = (
        "import sys, pickle; from dexvlg_data.synth.driver import run_plan; "
        "plan = pickle.loads(bytes.fromhex(sys.argv[1])); run_plan(plan, sys.argv[2], workers=0, progress=False)"
    )
    import pickle

    process = subprocess.Popen([sys.executable, "-c", script, pickle.dumps(plan).hex(), str(root)],
                               env=os.environ.copy())
    deadline = time.time() + 300
    while time.time() < deadline and not list((root / "units").glob("*/*.json")):  # kill after the first unit
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert len(list((root / "units").glob("*/*.json"))) < 2, "the run finished before it could be killed"
    run_plan(plan, root, workers=0, progress=False)
    assert _table_rows(root) == _table_rows(reference_root)
    assert summarize(root)["optimized"] == summarize(reference_root)["optimized"]


def test_pool_workers_exit_when_the_run_is_killed(objects, tmp_path):
    import pickle

    plan = SynthPlan(objects[:1], replace(CONFIG, optimizer=OptimizerConfig(iterations=2000)), batches=1)
    script = (
        "import sys, pickle; from dexvlg_data.synth.driver import run_plan; "
        "run_plan(pickle.loads(bytes.fromhex(sys.argv[1])), sys.argv[2], workers=1, progress=False)"
    )
    process = subprocess.Popen([sys.executable, "-c", script, pickle.dumps(plan).hex(), str(tmp_path / "out")],
                               env=os.environ.copy())

    def children() -> set[int]:
        found = set()
        for task in Path(f"/proc/{process.pid}/task").glob("*"):
            found |= {int(c) for c in (task / "children").read_text().split()}
        return found

    deadline = time.time() + 120
    while time.time() < deadline and not (tmp_path / "out" / "objects").exists():  # a worker is on the object
        time.sleep(0.1)
    workers = children()
    assert workers, "no pool worker started"
    process.send_signal(signal.SIGKILL)
    process.wait()
    deadline = time.time() + 20
    while time.time() < deadline and any(Path(f"/proc/{pid}").exists() and "zombie" not in
                                         Path(f"/proc/{pid}/status").read_text() for pid in workers):
        time.sleep(0.2)
    alive = [pid for pid in workers if Path(f"/proc/{pid}").exists()
             and "zombie" not in Path(f"/proc/{pid}/status").read_text()]
    assert not alive, f"workers {alive} outlived the killed run"
    assert not list((tmp_path / "out" / "units").glob("*/*.json"))  # killed mid-object: nothing marked done


def test_process_pool_and_ray_give_the_same_dataset(reference, tmp_path):
    plan, reference_root, _ = reference
    pooled = tmp_path / "pool"
    run_plan(plan, pooled, workers=2, progress=False)
    assert _table_rows(pooled) == _table_rows(reference_root)
    ray = pytest.importorskip("ray")
    try:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        run_plan(plan, tmp_path / "ray", backend="ray", progress=False)
    finally:
        ray.shutdown()
    assert _table_rows(tmp_path / "ray") == _table_rows(reference_root)


@dataclass(frozen=True)
class _CrashingRef(ObjectRef):
    """An object whose load kills the process loading it, as an abort in native code or the OOM killer would:
    only the first time when ``marker`` names a file (created then), every time when it is empty. A module-level
    class, so that spawned workers unpickle it.
    """

    marker: str = ""

    def load(self):
        if not self.marker or not os.path.exists(self.marker):
            if self.marker:
                Path(self.marker).touch()
            os.kill(os.getpid(), signal.SIGKILL)
        return super().load()


def test_a_dead_worker_restarts_the_pool_and_loses_nothing(reference, tmp_path):
    plan, reference_root, _ = reference
    crashing = tuple(_CrashingRef(path=o.path, marker=str(tmp_path / f"crashed-{i}"))
                     for i, o in enumerate(plan.objects))
    result = run_plan(replace(plan, objects=crashing), tmp_path / "out", workers=2, progress=False)
    assert all((tmp_path / f"crashed-{i}").exists() for i in range(len(crashing)))  # every worker did die once
    assert not result["unfinished"]
    assert _table_rows(tmp_path / "out") == _table_rows(reference_root)
    assert result["optimized"] == summarize(reference_root)["optimized"]


@pytest.mark.parametrize("crasher_first", [True, False])
def test_an_object_that_always_kills_its_worker_is_reported_and_the_run_goes_on(reference, tmp_path, crasher_first):
    from dexvlg_data.synth import driver

    plan, reference_root, _ = reference
    always = _CrashingRef(path=plan.objects[0].path)
    bystander = ObjectRef(path=plan.objects[1].path)  # in flight beside it whenever the pool breaks
    objects = (always, bystander) if crasher_first else (bystander, always)
    result = run_plan(replace(plan, objects=objects), tmp_path / "out", workers=1, progress=False)
    assert [u["object"] for u in result["unfinished"]] == [always.object_id]
    assert f"died {driver.POOL_ATTEMPTS} times while it ran alone" in result["unfinished"][0]["error"]
    assert (tmp_path / "out" / "rejected" / f"{bystander.object_id}.json").exists()  # the other object was done


def test_command_line(objects, tmp_path, capsys):
    from dexvlg_data.cli import main

    folder = Path(objects[0].path).parent
    out = tmp_path / "cli"
    assert main(["synth", "--meshes", str(folder), "--out", str(out), "--batch", "2", "--iterations", "5",
                 "--styles", "pinch", "--workers", "0"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["units"] == 1 and printed["rejected"] == 1
    assert main(["synth", "--out", str(out), "--summary"]) == 0
    stopping = tmp_path / "stopping"
    assert main(["synth", "--meshes", str(folder), "--out", str(stopping), "--batch", "2", "--iterations", "5",
                 "--batches", "3", "--stop-when-empty", "--styles", "pinch", "--workers", "0"]) == 0
    assert json.loads((stopping / "plan.json").read_text())["stop_when_empty"] is True
    assert main(["synth", "--objects", "mug", "--out", str(out)]) == 2  # bad item: one-line error
    assert main(["synth", "--out", str(tmp_path / "none"), "--summary"]) == 2
    # --set: any setting; it is part of the plan, so the directory made without it refuses it
    tuned = ["synth", "--meshes", str(folder), "--batch", "2", "--iterations", "5", "--styles", "pinch",
             "--workers", "0", "--set", "energy.weights.force_closure=15", "--set", "postures.curl_angle=0.15"]
    capsys.readouterr()
    assert main([*tuned, "--out", str(out)]) == 2
    assert "made with another plan" in capsys.readouterr().err
    assert main([*tuned, "--out", str(tmp_path / "tuned")]) == 0
    config = json.loads((tmp_path / "tuned" / "plan.json").read_text())["config"]
    assert config["energy"]["weights"]["force_closure"] == 15.0 and config["postures"]["curl_angle"] == 0.15
    assert main([*tuned, "--out", str(tmp_path / "bad"), "--set", "energy.weights.grip=1"]) == 2
    assert "no field 'grip'" in capsys.readouterr().err


def test_failure_kinds():
    from dexvlg_data.synth.driver import failure_kind

    assert failure_kind("object slipped under +x (20.1 mm, 3.0 deg); limits 50 mm, 15 deg") == "object slipped under +x"
    assert failure_kind("hand-object penetration 12.72 mm (C_ffmiddle / object_hull20) exceeds 3.0 mm") == (
        "hand-object penetration")
    assert failure_kind("part alignment: no hand link touches the object") == "no contact"
    assert failure_kind("penetration 11.6 mm > 10 mm: not simulated") == "pregrasp penetration"
    assert failure_kind("penetration 11.6 mm >") == "pregrasp penetration"  # as older code stored it
    assert failure_kind("hand-object penetration") == "hand-object penetration"  # a stored kind maps to itself
    assert failure_kind("part alignment: links rh_ffdistal are closer to another part") == "part alignment"


def test_summary_tallies_each_failure_kind_once(tmp_path):
    """Units written by older code kept numbers in a kind ("penetration 11.6 mm >"): the summary merges them."""
    units = tmp_path / "units" / "obj-00000"
    units.mkdir(parents=True)
    base = {"object": "obj-00000", "category": "obj", "kind": "shaft-like", "optimized": 16, "validated": 4}
    old = {"penetration 11.6 mm >": 1, "penetration 12.3 mm >": 2, "object slipped under +x": 5}
    new = {"pregrasp penetration": 3, "object slipped under +x": 1}
    for name, failures in (("body-wrap", old), ("body-pinch", new)):
        style = name.split("-")[1]
        (units / f"{name}.json").write_text(json.dumps({**base, "part": "body", "style": style, "failures": failures}))
    summary = summarize(tmp_path)
    assert summary["failures"] == {"pregrasp penetration": 6, "object slipped under +x": 6}
    assert summary["optimized"] == 32 and summary["validated"] == 8
    assert summary["optimization_stages"] == {"units": 0, "cpu_s": {}}  # units from before stages were timed


def test_summary_adds_up_the_synthesis_stages(reference):
    _, root, _ = reference
    stages = summarize(root)["optimization_stages"]
    assert stages["units"] == 2
    assert set(stages["cpu_s"]) == {"initial_poses", "optimization", "closing", "wrist_turns", "finger_placement",
                                    "postures"}
    records = [json.loads(path.read_text()) for path in (Path(root) / "units").glob("*/*.json")]
    assert sum(stages["cpu_s"].values()) == pytest.approx(sum(r["optimization_s"] for r in records), rel=0.05)
