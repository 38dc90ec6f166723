"""The physics evaluator: the reference power grasp holds, the open hand does not, bad input fails cleanly,
and parallel batches give the serial results."""

import os
from dataclasses import replace

import numpy as np
import pytest

from dexvlg_core.grasp import Grasp
from dexvlg_core.sim import examples
from dexvlg_core.sim.config import SimConfig
from dexvlg_core.sim.evaluator import evaluate, evaluate_batch
from dexvlg_core.sim.objects import load_object
from dexvlg_core.sim.scene import resting_pose


@pytest.fixture(scope="module")
def power(cube):
    return evaluate(examples.cube_power_grasp(), cube)


def test_power_grasp_holds_in_all_six_directions(power):
    assert power.passed, power.reason
    d = power.disturbance
    assert d.passed and d.directions == ("+x", "-x", "+y", "-y", "+z", "-z") and all(d.held)
    assert max(d.translation_mm) < 50.0 and max(d.rotation_deg) < 15.0
    assert d.steps == 100 + 100 + 6 * 500  # 0.4 s + 0.4 s at 4 ms once, then 2 s in each direction
    assert d.squeezed_contacts >= 5 and d.squeezed_mm < 20.0 and d.squeezed_deg < 10.0  # gripped before any push
    assert power.penetration.depth_mm < 3.0 and power.self_penetration.depth_mm < 3.0
    assert set(power.contacts.fingers) == {"palm", "middle", "ring", "little", "thumb"}
    assert power.contact_fingers_match is True
    assert power.reason.startswith("valid")


def test_same_pose_with_an_open_hand_fails(cube):
    result = evaluate(examples.cube_open_hand(), cube)
    assert not result.passed
    d = result.disturbance
    assert not d.passed and sum(d.held) <= 2  # at most the palm's own side and one lucky direction
    assert max(d.translation_mm) > 50.0
    assert "slipped" in result.reason and "-z" in result.reason  # nothing holds it against -z
    assert d.squeezed_contacts == 0  # the hand never touched it: each push carries it off freely


def test_power_grasp_without_squeeze_fails(cube):
    # pregrasp None -> squeeze = grasp: the servos hold the contact posture and press with no force.
    result = evaluate(replace(examples.cube_power_grasp(), pregrasp=None), cube)
    assert not result.passed and not result.disturbance.passed


def test_a_static_failure_is_simulated_only_when_asked(cube):
    # A self-penetration limit below zero fails every grasp statically; the hold test would pass.
    strict = SimConfig(max_self_penetration=-1.0, stop_at_first_failure=True)
    simulated = evaluate(examples.cube_power_grasp(), cube, strict)
    skipped = evaluate(examples.cube_power_grasp(), cube, replace(strict, simulate_static_failures=False))
    assert not simulated.passed and not skipped.passed
    assert simulated.disturbance.passed and simulated.sim_steps > 0
    assert skipped.disturbance is None and skipped.sim_steps == 0
    assert skipped.reason == simulated.reason.split("; object slipped")[0] and "self-penetration" in skipped.reason


def test_a_posture_judged_again_with_another_squeeze_reuses_its_static_checks(cube, monkeypatch):
    from dexvlg_core.sim import evaluator

    measured = []  # contacts() runs once per static measurement
    real_contacts = evaluator.contacts
    monkeypatch.setattr(evaluator, "contacts", lambda scene: measured.append(1) or real_contacts(scene))
    grasp, cache = examples.cube_power_grasp(), evaluator.SceneCache()
    first = evaluate(grasp, cube, cache=cache)
    again = evaluate(replace(grasp, pregrasp=None), cube, cache=cache)  # same posture, no squeeze
    assert len(measured) == 1 and again.contacts is first.contacts
    fresh = evaluate(replace(grasp, pregrasp=None), cube, cache=evaluator.SceneCache())
    assert len(measured) == 2
    # Reused or measured, the verdict is the same, to the last bit; the other squeeze is simulated anew.
    assert (again.penetration, again.self_penetration, again.contacts) == (
        fresh.penetration, fresh.self_penetration, fresh.contacts)
    assert again.disturbance == fresh.disturbance and again.reason == fresh.reason and not again.passed
    assert first.passed
    moved = evaluate(replace(grasp, position=grasp.position + np.array([0.001, 0.0, 0.0])), cube, cache=cache)
    assert len(measured) == 3 and moved.contacts is not first.contacts  # another posture: measured again


def test_lift_from_the_table(decomposition):
    bar = load_object(examples.bar(), name="bar", config=decomposition)
    table_pose = resting_pose(bar, examples.BAR_TABLE_ROTATION)
    config = SimConfig(run_disturbance=False, run_lift=True)
    lifted = evaluate(examples.bar_power_grasp(), bar, config, table_pose=table_pose)
    assert lifted.passed, lifted.reason
    assert lifted.lift.rise_mm == pytest.approx(30.0, abs=5.0) and not lifted.lift.on_table
    assert lifted.lift.table_penetration_mm == 0.0
    opened = replace(examples.bar_power_grasp(), joints=np.zeros(22), pregrasp=np.zeros(22))
    dropped = evaluate(opened, bar, config, table_pose=table_pose)
    assert not dropped.passed and dropped.lift.on_table and dropped.lift.rise_mm < 5.0
    assert "lift: object rose only" in dropped.reason
    # A grasp pose pushed 2 cm into the table is rejected before simulating.
    sunk = np.eye(4)
    sunk[:3, :3] = table_pose[:3, :3]
    sunk[:3, 3] = table_pose[:3, 3] - [0, 0, 0.02]
    into_table = evaluate(examples.bar_power_grasp(), bar, config, table_pose=sunk)
    assert not into_table.passed and "penetrates the table" in into_table.reason


def test_bad_inputs_give_failed_results_with_reasons(cube, tmp_path):
    row = examples.cube_power_grasp().to_bodex()[1].copy()
    row[0] = np.nan
    assert "NaN" in evaluate(row, cube).reason

    grasp = examples.cube_power_grasp()
    grasp.rotation = grasp.rotation.copy()
    grasp.rotation[0, 0] = np.nan  # mutated after validation
    assert "NaN" in evaluate(grasp, cube).reason

    beyond = replace(examples.cube_power_grasp(), joints=np.full(22, 2.5))
    result = evaluate(beyond, cube)
    assert not result.passed and "beyond joint limits" in result.reason and "rh_FFJ4" in result.reason

    broken = tmp_path / "broken.obj"
    broken.write_text("v 0 0 0\nv nonsense\nf 1 2 3\n")
    result = evaluate(examples.cube_power_grasp(), broken)
    assert not result.passed and result.reason.startswith("object unusable")

    deep = replace(examples.cube_power_grasp(), position=np.zeros(3))  # hand root in the cube's centre
    result = evaluate(deep, cube)
    assert not result.passed and "not simulated" in result.reason and result.sim_steps == 0

    exploding = SimConfig(force_per_mass=1e9)  # 1e8 N on a 0.1 kg object
    result = evaluate(examples.cube_power_grasp(), cube, exploding)
    assert not result.passed and "unstable" in result.reason


class _KillsWorker:
    """Unpickling this in a worker process ends that process at once (a stand-in for a crash in C code)."""

    def __reduce__(self):
        return (os._exit, (3,))


def test_parallel_batch_equals_serial(cube, decomposition, power):
    row = examples.cube_power_grasp().to_bodex()
    row[1, 3] = np.nan
    grasps = [examples.cube_power_grasp(), examples.cube_open_hand(), row,
              replace(examples.cube_power_grasp(), joints=np.full(22, -1.0))]
    config = SimConfig()
    serial = evaluate_batch(grasps, cube, config, workers=0, decomposition=decomposition)
    parallel = evaluate_batch(grasps, cube, config, workers=2, chunk_size=1, decomposition=decomposition)
    assert [r.summary() for r in serial] == [r.summary() for r in parallel]
    assert [r.passed for r in parallel] == [True, False, False, False]
    assert parallel[0].summary() == power.summary()


def test_a_crashing_grasp_does_not_stop_the_batch(cube, decomposition):
    grasps = [examples.cube_power_grasp(), _KillsWorker(), Grasp(np.zeros(3), np.eye(3), np.full(22, 9.0))]
    results = evaluate_batch(grasps, cube, workers=2, chunk_size=3, decomposition=decomposition)
    assert results[0].passed
    assert not results[1].passed and "crashed" in results[1].reason
    assert not results[2].passed and "beyond joint limits" in results[2].reason
