"""Benchmark of the UR10e analytic IK: solves per second, batched and single, and accuracy.

Run from the repository root:  python src/dexvlg_core/benchmarks/arm_ik.py [--poses 10000] [--out PATH]
Writes results/arm_ik.json. If the optional PyPI package ur-analytic-ik is importable, it is timed on the
same poses as a reference (it is not a dependency of the project).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

PACKAGE_ROOT = Path(__file__).resolve().parents[1]
REPO_ROOT = Path(__file__).resolve().parents[3]
try:
    from dexvlg_core.arm import DEFAULT_LIMITS, fk, fk_dh, ik_closest, solve_ik
    from dexvlg_core.rotations import rotation_angle_between
except ImportError:  # run from a source checkout without installing the package
    sys.path.insert(0, str(PACKAGE_ROOT))
    from dexvlg_core.arm import DEFAULT_LIMITS, fk, fk_dh, ik_closest, solve_ik
    from dexvlg_core.rotations import rotation_angle_between


def _best_time(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _accuracy(result, targets) -> dict[str, float]:
    q = np.where(result.valid[..., None], result.q, 0.0)
    poses = fk(q)
    pos = np.linalg.norm(poses[..., :3, 3] - targets[:, None, :3, 3], axis=-1)
    rot = rotation_angle_between(poses[..., :3, :3], targets[:, None, :3, :3])
    return {
        "max_position_error_m": float(np.max(np.where(result.valid, pos, 0.0))),
        "max_rotation_error_rad": float(np.max(np.where(result.valid, rot, 0.0))),
        "mean_solutions_per_pose": float(result.num_solutions.mean()),
        "fraction_solved": float(result.ok.mean()),
    }


def _reference_library(targets_dh: np.ndarray, count: int) -> dict | None:
    try:
        import ur_analytic_ik  # optional reference, imported only if present
    except ImportError:
        return None
    solver = ur_analytic_ik.ur10e.inverse_kinematics
    elapsed = _best_time(lambda: [solver(targets_dh[i]) for i in range(count)], 3)
    return {"package": "ur-analytic-ik", "single_solves_per_s": count / elapsed}


def run(num_poses: int, num_single: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    q = rng.uniform(DEFAULT_LIMITS.lower_array, DEFAULT_LIMITS.upper_array, (num_poses, 6))
    targets = fk(q)

    batched = {}
    for verify in (True, False):
        elapsed = _best_time(lambda v=verify: solve_ik(targets, verify=v), 5)
        batched[f"verify_{str(verify).lower()}"] = {"seconds": elapsed, "solves_per_s": num_poses / elapsed}
    elapsed = _best_time(lambda: solve_ik(targets, seed=q), 5)
    batched["with_seed"] = {"seconds": elapsed, "solves_per_s": num_poses / elapsed}

    single_targets = targets[:num_single]
    elapsed = _best_time(lambda: [solve_ik(t) for t in single_targets], 3)
    single = {"solves_per_s": num_single / elapsed, "microseconds_per_solve": 1e6 * elapsed / num_single}
    elapsed = _best_time(lambda: [ik_closest(t, s) for t, s in zip(single_targets, q, strict=False)], 3)
    closest = {"solves_per_s": num_single / elapsed}
    elapsed = _best_time(lambda: fk(q), 5)

    return {
        "benchmark": "UR10e analytic IK (dexvlg_core.arm.solve_ik), all 8 branches, joint limits applied",
        "poses": num_poses,
        "batched": batched,
        "single": single,
        "single_closest_to_seed": closest,
        "fk_batched_per_s": num_poses / elapsed,
        "accuracy": _accuracy(solve_ik(targets, verify=False), targets),
        "reference_library": _reference_library(fk_dh(q), num_single),
        "machine": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "cpu_count": os.cpu_count(),
            "processor": platform.processor() or platform.machine(),
        },
    }


def main() -> None:
    """Run the benchmark and write the JSON report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--poses", type=int, default=10_000)
    parser.add_argument("--single", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "results" / "arm_ik.json")
    args = parser.parse_args()
    report = run(args.poses, args.single, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
