"""/predict_grasp across two processes over real Fast DDS, with a 300,000-point colored cloud."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import rclpy

from dexvlg_ros.clients import PredictGraspClient


def tabletop_cloud(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A box on a table seen from above: points and colors in a camera-like frame (metres)."""
    rng = np.random.default_rng(seed)
    half = n // 2
    table = np.column_stack([rng.uniform(-0.4, 0.4, half), rng.uniform(-0.3, 0.3, half), np.full(half, 0.8)])
    box = np.column_stack([rng.uniform(-0.05, 0.05, n - half), rng.uniform(-0.08, 0.08, n - half),
                           rng.uniform(0.65, 0.8, n - half)])
    points = np.vstack([table, box]).astype(np.float32)
    colors = np.vstack([np.tile([200, 200, 190], (half, 1)), np.tile([30, 90, 200], (n - half, 1))])
    return points, colors.astype(np.uint8)


@pytest.fixture
def planner(runner_process, rclpy_node):
    runner_process("sim")
    client = PredictGraspClient(rclpy_node)
    client.wait(timeout=60.0)
    return client


def test_300k_point_cloud_round_trip(planner):
    points, colors = tabletop_cloud(300_000)
    response = planner.call(planner.request("grasp the box", points, colors, num_grasps=8), timeout=60.0)
    assert response.success, response.message
    assert len(response.grasps) == 8
    for grasp in response.grasps:
        assert grasp.header.frame_id == "camera_color_optical_frame"
        assert len(grasp.joint_positions) == len(grasp.joint_names) == 22
        position = np.array([grasp.wrist_pose.position.x, grasp.wrist_pose.position.y, grasp.wrist_pose.position.z])
        assert np.linalg.norm(position - points.mean(axis=0)) < 1.0  # around the object, in its frame
    assert "predict" in list(response.timing_names)


@pytest.mark.parametrize(
    "instruction, cloud, reason",
    [
        ("", "box", "empty instruction"),
        ("grasp the box", "nan", "no finite point"),
        ("grasp the box", "none", "no cloud has arrived"),
    ],
)
def test_bad_requests_fail_with_a_reason(planner, instruction, cloud, reason):
    points, colors = tabletop_cloud(1000)
    if cloud == "nan":
        points[:] = np.nan
    request = planner.request(instruction, None if cloud == "none" else points, colors)
    response = planner.call(request)
    assert not response.success
    assert reason in response.message
    assert len(response.grasps) == 0


def test_concurrent_callers_all_get_answers(planner, rclpy_node):
    """Four clients, each with its own node, call at once; the server answers each with its own request."""
    points, colors = tabletop_cloud(20_000)
    context = rclpy_node.context

    def call(i: int) -> int:
        node = rclpy.create_node(f"concurrent_client_{i}", context=context)
        try:
            client = PredictGraspClient(node)
            client.wait(timeout=30.0)
            return len(client.call(client.request("grasp the box", points, colors, num_grasps=1 + i)).grasps)
        finally:
            node.destroy_node()

    with ThreadPoolExecutor(4) as pool:
        counts = list(pool.map(call, range(4)))
    assert counts == [1, 2, 3, 4]
