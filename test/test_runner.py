"""The launch-free runner starts the graph of config/graphs/, forwards signals and leaves no orphan."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from dexvlg_bringup.graph import available_graphs, load_graph
from dexvlg_ros.clients import PredictGraspClient


def children_of(pid: int) -> list[int]:
    path = f"/proc/{pid}/task/{pid}/children"
    try:
        with open(path) as handle:
            return [int(p) for p in handle.read().split()]
    except FileNotFoundError:
        return []


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def wait_until(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def test_graphs_are_defined_once_for_launch_and_runner():
    assert {"sim", "real_robot"} <= set(available_graphs())
    graph = load_graph("sim")
    planner = next(n for n in graph.nodes if n.package == "dexvlg_planner")
    args = planner.ros_args({"default_num_grasps": "4"})
    assert args[:3] == ["--ros-args", "-r", "__node:=dexvlg_planner"]
    assert "--params-file" in args and "default_num_grasps:=4" in args


def test_unknown_graph_is_a_clear_error():
    result = subprocess.run([sys.executable, "-m", "dexvlg_bringup.runner", "no_such_graph"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "no graph 'no_such_graph'" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_every_node(runner_process, rclpy_node, sig):
    runner = runner_process("sim")
    PredictGraspClient(rclpy_node).wait(timeout=60.0)
    nodes = children_of(runner.pid)
    assert nodes, "runner started no node"
    runner.send_signal(sig)
    assert runner.wait(timeout=30) == 0
    assert wait_until(lambda: not any(alive(p) for p in nodes), 10.0)


def test_killed_runner_leaves_no_orphan(runner_process, rclpy_node):
    runner = runner_process("sim")
    PredictGraspClient(rclpy_node).wait(timeout=60.0)
    nodes = children_of(runner.pid)
    assert nodes
    os.kill(runner.pid, signal.SIGKILL)
    runner.wait(timeout=10)
    assert wait_until(lambda: not any(alive(p) for p in nodes), 15.0), "nodes outlived a SIGKILLed runner"


def test_parameter_override_reaches_the_node(runner_process, rclpy_node):
    import numpy as np

    runner_process("sim", "--param", "dexvlg_planner.default_num_grasps=3")
    client = PredictGraspClient(rclpy_node)
    client.wait(timeout=60.0)
    points = np.random.default_rng(0).normal(size=(500, 3)).astype(np.float32)
    response = client.call(client.request("grasp it", points))
    assert response.success and len(response.grasps) == 3


def test_a_process_that_prints_much_is_not_blocked_and_its_output_is_kept():
    from conftest import start_process, stop_process

    # More than a pipe holds (64 KB): with a pipe read only at the end, the child would block on its print.
    process = start_process([sys.executable, "-c", "print('x' * 200_000); print('done')"])
    assert process.wait(10) == 0
    output = stop_process(process)
    assert output.endswith("done\n") and len(output) > 200_000
