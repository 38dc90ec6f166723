"""Workspace-level fixtures: real processes over real DDS on loopback, each test on its own ROS domain."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
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
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kwargs)


def stop_process(process: subprocess.Popen, timeout: float = 15.0) -> str:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.stdout.read() if process.stdout else ""


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
