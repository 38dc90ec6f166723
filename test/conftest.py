"""Workspace-level fixtures: real processes over real DDS on loopback, each test on its own ROS domain."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

WS_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def ros_domain(monkeypatch, worker_id="gw0"):
    """A ROS_DOMAIN_ID of its own per test process, so parallel runs on this machine do not meet."""
    domain = str(100 + os.getpid() % 100)
    monkeypatch.setenv("ROS_DOMAIN_ID", domain)
    monkeypatch.setenv("ROS_LOCALHOST_ONLY", "0")
    monkeypatch.setenv("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    return domain


@pytest.fixture
def rclpy_node(ros_domain):
    import rclpy

    context = rclpy.Context()
    rclpy.init(context=context)
    node = rclpy.create_node(f"test_client_{os.getpid()}", context=context)
    yield node
    node.destroy_node()
    rclpy.shutdown(context=context)


def start_process(args: list[str], **kwargs) -> subprocess.Popen:
    """Start a process whose output goes to a file: a pipe nobody reads until the end would block it at 64 KB."""
    output = tempfile.TemporaryFile(mode="w+")
    process = subprocess.Popen(args, stdout=output, stderr=subprocess.STDOUT, text=True, **kwargs)
    process.output = output  # read back by stop_process
    return process


def stop_process(process: subprocess.Popen, timeout: float = 15.0) -> str:
    """Stop it (SIGINT, then SIGKILL after ``timeout``) and return everything it printed."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    with process.output as output:
        output.seek(0)
        return output.read()


@pytest.fixture
def runner_process(ros_domain):
    """Start `python -m dexvlg_bringup.runner <graph>` and stop it afterwards."""
    started: list[subprocess.Popen] = []

    def start(graph: str, *extra: str) -> subprocess.Popen:
        process = start_process([sys.executable, "-m", "dexvlg_bringup.runner", graph, *extra])
        started.append(process)
        return process

    yield start
    for process in started:
        # Shown by pytest only when the test failed: the runner's own account of what happened.
        print(f"--- output of {' '.join(process.args[2:])} ---\n{stop_process(process)}")
