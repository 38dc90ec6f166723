"""Workspace benchmark: cold and warm set-up time from a fresh clone, and /predict_grasp DDS round trip.

    make bench            (or: python scripts/bench_workspace.py [--skip-setup] [--repeats 20])

Cold = scripts/bootstrap.sh in a fresh clone with an empty .venv (pip served from its cache when warm);
warm = the same command again with nothing to do. Round trip = a client process sending a 300,000-point colored
cloud to the planner process over Fast DDS on loopback and receiving 16 grasps. Writes results/workspace.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

WS_ROOT = Path(__file__).resolve().parents[1]


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.monotonic()
    subprocess.run(command, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.monotonic() - start


def setup_times() -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "AMENT_PREFIX_PATH", "CMAKE_PREFIX_PATH",
                                                            "COLCON_PREFIX_PATH", "PYTHONPATH", "LD_LIBRARY_PATH")}
    env.pop("_ROS_WHEELS_BOOTSTRAP_COMPLETE", None)
    clone = Path(tempfile.mkdtemp(prefix="dexvlg_bench_")) / "ws"
    try:
        subprocess.run(["git", "clone", "-q", str(WS_ROOT), str(clone)], check=True)
        cold = timed(["bash", "scripts/bootstrap.sh"], clone, env)
        warm = timed(["bash", "scripts/bootstrap.sh"], clone, env)
    finally:
        shutil.rmtree(clone.parent, ignore_errors=True)
    return {"cold_setup_s": round(cold, 1), "warm_setup_s": round(warm, 2)}


def dds_round_trip(repeats: int, points_count: int) -> dict[str, float]:
    import rclpy

    from dexvlg_ros.clients import PredictGraspClient

    env = dict(os.environ, ROS_DOMAIN_ID=str(150 + os.getpid() % 50))
    os.environ["ROS_DOMAIN_ID"] = env["ROS_DOMAIN_ID"]
    server = subprocess.Popen([sys.executable, "-m", "dexvlg_bringup.runner", "sim"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    rclpy.init()
    node = rclpy.create_node("bench_client")
    try:
        client = PredictGraspClient(node)
        client.wait(timeout=60.0)
        rng = np.random.default_rng(0)
        points = rng.normal(0.0, 0.1, size=(points_count, 3)).astype(np.float32) + np.float32([0, 0, 0.7])
        colors = rng.integers(0, 256, size=(points_count, 3), dtype=np.uint8)
        times, build = [], []
        for i in range(repeats + 2):
            start = time.perf_counter()
            request = client.request("grasp the object", points, colors, num_grasps=16)
            built = time.perf_counter()
            response = client.call(request)
            end = time.perf_counter()
            if not response.success:
                raise RuntimeError(response.message)
            if i >= 2:  # the first calls pay for discovery and allocation
                times.append(end - start)
                build.append(built - start)
    finally:
        node.destroy_node()
        rclpy.shutdown()
        server.terminate()
        server.wait(30)
    return {
        "dds_round_trip_median_ms": round(1000 * float(np.median(times)), 1),
        "dds_round_trip_p90_ms": round(1000 * float(np.percentile(times, 90)), 1),
        "cloud_to_msg_median_ms": round(1000 * float(np.median(build)), 1),
        "dds_points": points_count,
        "dds_repeats": repeats,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-setup", action="store_true", help="only the DDS round trip; keep old setup numbers")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--points", type=int, default=300_000)
    args = parser.parse_args()
    out = WS_ROOT / "results" / "workspace.json"
    results = json.loads(out.read_text()) if out.exists() else {}
    if not args.skip_setup:
        results.update(setup_times())
    results.update(dds_round_trip(args.repeats, args.points))
    results["machine"] = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    results["command"] = "make bench"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
