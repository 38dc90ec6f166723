"""Robot-core benchmark: the numbers issue 3 asks for, in one file.

    python src/dexvlg_core/benchmarks/robot_core.py [--grasps 8] [--workers 2]

Hand FK max error against MuJoCo on 1,000 random configurations (m), FK + backward for 1,024 configurations (ms),
UR10e IK max error FK(IK(T)) - T on 10,000 poses (m, rad), and grasp-evaluator throughput per core next to the raw
mj_step limit of the same scene. Runs the per-area benchmarks (hand_fk.py, arm_ik.py, evaluator.py), writes their
own JSON files and results/robot_core.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

from dexvlg_core.hand.mjcf import mujoco_link_poses
from dexvlg_core.hand.model import HandModel

sys.path.insert(0, str(Path(__file__).resolve().parent))
import arm_ik  # noqa: E402  (sibling benchmark scripts)
import evaluator  # noqa: E402
import hand_fk  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[3]


def fk_max_error(count: int = 1000, seed: int = 0) -> float:
    """Largest link-position difference (m) between HandModel (float64) and MuJoCo over random configurations."""
    hand = HandModel(dtype=torch.float64)
    q = hand.random_q(count, torch.Generator().manual_seed(seed))
    poses = hand.forward_kinematics(q)
    reference, _ = mujoco_link_poses(hand.mj_model, q.numpy())
    return float(np.abs(poses.pos.numpy() - reference).max())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grasps", type=int, default=evaluator.BenchConfig.grasps)
    parser.add_argument("--workers", type=int, default=evaluator.BenchConfig.workers)
    parser.add_argument("--from-results", action="store_true",
                        help="summarize the existing hand_fk/arm_ik/evaluator JSON files instead of re-running them")
    args = parser.parse_args()
    results = REPO_ROOT / "results"
    results.mkdir(exist_ok=True)

    if args.from_results:
        fk, ik, ev = (json.loads((results / f"{name}.json").read_text()) for name in ("hand_fk", "arm_ik", "evaluator"))
    else:
        fk = hand_fk.run(hand_fk.BenchConfig())
        ik = arm_ik.run(10_000, 2_000, 0)
        ev = evaluator.run(evaluator.BenchConfig(grasps=args.grasps, workers=args.workers))
        for name, report in (("hand_fk", fk), ("arm_ik", ik), ("evaluator", ev)):
            (results / f"{name}.json").write_text(json.dumps(report, indent=2) + "\n")
    summary = {
        "fk_max_error_m": fk_max_error(),
        "fk_backward_ms_1024": fk["fk_backward_ms"],
        "ik_max_position_error_m": ik["accuracy"]["max_position_error_m"],
        "ik_max_rotation_error_rad": ik["accuracy"]["max_rotation_error_rad"],
        "evaluator_grasps_per_s_per_core": ev["evaluator_grasps_per_s_per_core"],
        "mj_step_limit_grasps_per_s_per_core": ev["limit_grasps_per_s_per_core"],
        "ratio_to_mj_step_limit": ev["ratio_to_limit"],
        "parallel_workers": ev["parallel_workers"],
        "parallel_ratio_to_mj_step_limit": ev["parallel_ratio_to_limit"],
        "load_average_1min": {"hand_fk": fk["load_average_1min"], "evaluator": ev["load_average_1min"]},
        "command": "python src/dexvlg_core/benchmarks/robot_core.py",
    }
    (results / "robot_core.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
