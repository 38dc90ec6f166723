"""Benchmark: physics grasp evaluations per second per core next to the raw mj_step limit of the same scene.

    PYTHONPATH=src/dexvlg_core python src/dexvlg_core/benchmarks/evaluator.py [--grasps 16] [--workers 2]

Grasps: the reference cube power grasp (dexvlg_core.sim.examples) and copies with the root moved by up to
2 mm and the joints by up to 0.05 rad, so passing and failing grasps both occur. Each is evaluated with the
full protocol (static checks + six directions: 3,200 mj_step calls, the closing simulated once).

The limit: the same scene replaying exactly the disturbance test's control sequence (pregrasp -> grasp ramp
0.4 s, grasp -> squeeze ramp 0.4 s, then from that state a 1 N push for 2 s in each of six directions), timing
only the mj_step calls, gives the raw
steps/s; divided by the steps one grasp needs, that is the most grasps/s one core can do. Raw replay and
evaluator alternate grasp by grasp so that both see the same machine load.
Writes results/evaluator.json at the repository root.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import mujoco
import numpy as np

from dexvlg_core.hand.mjcf import joint_limits
from dexvlg_core.sim import examples
from dexvlg_core.sim.checks import GraspPostures
from dexvlg_core.sim.config import SimConfig
from dexvlg_core.sim.evaluator import BatchEvaluator, SceneCache, evaluate, postures_of
from dexvlg_core.sim.objects import load_object
from dexvlg_core.sim.scene import Scene

REPO_ROOT = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class BenchConfig:
    grasps: int = 8
    workers: int = 2
    repeats: int = 1  # evaluations (and raw replays) per grasp
    seed: int = 0


def perturbed_grasps(n: int, seed: int) -> list:
    rng = np.random.default_rng(seed)
    lower, upper = joint_limits()
    base = examples.cube_power_grasp()
    out = [base]
    for _ in range(n - 1):
        joints = np.clip(base.joints + rng.uniform(-0.05, 0.05, 22), lower, upper)
        out.append(replace(base, position=base.position + rng.uniform(-0.002, 0.002, 3), joints=joints))
    return out


def raw_protocol_steps(scene: Scene, postures: GraspPostures, config: SimConfig) -> tuple[int, float]:
    """(steps, seconds inside mj_step) replaying exactly the control sequence of the six-direction test: the
    closing and the squeeze once, then from a copy of that state the push in each direction.
    """
    m, d, act = scene.model, scene.data, scene.hand_actuators
    pre, grasp, squeeze = postures.ctrls(scene)
    n_approach, n_squeeze = config.steps(config.approach_time), config.steps(config.squeeze_time)
    scene.set_gravity(False)
    steps, seconds = 0, 0.0
    scene.reset()
    scene.set_hand(postures.root, postures.pregrasp)
    d.ctrl[act] = pre
    mujoco.mj_forward(m, d)
    for a, b, n in ((pre, grasp, n_approach), (grasp, squeeze, n_squeeze)):
        for k in range(1, n + 1):
            d.ctrl[act] = a + (k / n) * (b - a)
            start = time.perf_counter()
            mujoco.mj_step(m, d)
            seconds += time.perf_counter() - start
        steps += n
    squeezed = mujoco.MjData(m)
    mujoco.mj_copyData(squeezed, m, d)
    for direction in config.directions:
        mujoco.mj_copyData(d, m, squeezed)
        d.xfrc_applied[scene.object_body, :3] = config.force * np.asarray(direction)
        n = config.steps(config.hold_time)
        start = time.perf_counter()
        mujoco.mj_step(m, d, n)
        seconds += time.perf_counter() - start
        d.xfrc_applied[:] = 0.0
        steps += n
    return steps, seconds


def run(bench: BenchConfig) -> dict:
    config = SimConfig()
    obj = load_object(examples.cube(), name="cube")
    grasps = perturbed_grasps(bench.grasps, bench.seed)
    cache = SceneCache()
    scene = cache.get(obj, config, table=False)
    evaluate(grasps[0], obj, config, cache=cache)  # warm up (geometry caches)

    # Per grasp, the raw replay and the evaluator back to back, so both see the same machine load.
    raw_steps = raw_seconds = eval_seconds = 0.0
    results = []
    for grasp in grasps:
        for _ in range(bench.repeats):
            steps, seconds = raw_protocol_steps(scene, postures_of(grasp, scene.object_pose0), config)
            start = time.perf_counter()
            result = evaluate(grasp, obj, config, cache=cache)
            eval_seconds += time.perf_counter() - start
            raw_steps, raw_seconds = raw_steps + steps, raw_seconds + seconds
        results.append(result)
    simulated = [r for r in results if r.sim_steps]
    raw_rate = raw_steps / raw_seconds
    sim_steps = float(np.mean([r.sim_steps for r in results]))
    serial_rate = len(grasps) * bench.repeats / eval_seconds
    limit = raw_rate / sim_steps

    # Idle rate for reference: open hand far from the object, nothing in contact.
    scene.reset()
    far = np.eye(4)
    far[:3, 3] = (0.5, 0.5, 0.5)
    scene.set_hand(far, np.zeros(22))
    mujoco.mj_forward(scene.model, scene.data)
    start = time.perf_counter()
    mujoco.mj_step(scene.model, scene.data, 4000)
    idle_rate = 4000 / (time.perf_counter() - start)

    # Parallel processes: a warm-up batch starts them and compiles their scenes, the second one is timed;
    # the first one's wall time (start-up included) is reported too.
    with BatchEvaluator(bench.workers, config, chunk_size=2) as pool:
        start = time.perf_counter()
        pool.evaluate(grasps[: 2 * bench.workers], obj)
        startup_seconds = time.perf_counter() - start
        start = time.perf_counter()
        parallel = pool.evaluate(grasps * bench.workers, obj)
        parallel_seconds = time.perf_counter() - start
    parallel_rate = len(parallel) / parallel_seconds / bench.workers
    same = all(a.summary() == b.summary() for a, b in zip(results * bench.workers, parallel, strict=True))

    reference = results[0].disturbance
    return {
        "grasps": len(grasps),
        "passed": int(sum(r.passed for r in results)),
        "simulated": len(simulated),
        "sim_steps_per_grasp": sim_steps,
        "mj_step_raw_steps_per_s": raw_rate,
        "mj_step_idle_steps_per_s": idle_rate,
        "limit_grasps_per_s_per_core": limit,
        "evaluator_grasps_per_s_per_core": serial_rate,
        "ratio_to_limit": serial_rate / limit,
        "parallel_workers": bench.workers,
        "parallel_grasps_per_s_per_core": parallel_rate,
        "parallel_ratio_to_limit": parallel_rate / limit,
        "parallel_equals_serial": same,
        "parallel_first_batch_seconds": startup_seconds,
        "reference_grasp": {
            "passed": results[0].passed,
            "directions": reference.directions,
            "translation_mm": reference.translation_mm,
            "rotation_deg": reference.rotation_deg,
        },
        "mujoco": mujoco.__version__,
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "load_average_1min": os.getloadavg()[0],  # other work on the machine lowers every rate here
        "config": asdict(bench),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grasps", type=int, default=BenchConfig.grasps)
    parser.add_argument("--workers", type=int, default=BenchConfig.workers)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "results" / "evaluator.json")
    args = parser.parse_args()
    result = run(BenchConfig(grasps=args.grasps, workers=args.workers))
    print(
        f"grasp evaluator: {result['evaluator_grasps_per_s_per_core']:.2f} grasps/s/core "
        f"({result['sim_steps_per_grasp']:.0f} steps each); raw mj_step {result['mj_step_raw_steps_per_s']:.0f} "
        f"steps/s -> limit {result['limit_grasps_per_s_per_core']:.2f} grasps/s/core; "
        f"ratio {100 * result['ratio_to_limit']:.0f}% (goal >= 50%)"
    )
    print(
        f"parallel ({result['parallel_workers']} processes, warm): "
        f"{result['parallel_grasps_per_s_per_core']:.2f} grasps/s/core, "
        f"ratio {100 * result['parallel_ratio_to_limit']:.0f}%; same results as serial: "
        f"{result['parallel_equals_serial']}; idle scene {result['mj_step_idle_steps_per_s']:.0f} steps/s"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
