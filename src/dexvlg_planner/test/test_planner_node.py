"""The planner node in-process, with real rclpy and DDS, and predictors that misbehave on purpose."""

from __future__ import annotations

import os
import threading
import time

import numpy as np
import pytest
import rclpy
from rclpy.executors import MultiThreadedExecutor
from rclpy.parameter import Parameter
from rclpy.qos import DurabilityPolicy, QoSProfile

from dexvlg_core.grasp import Grasp
from dexvlg_planner.node import PlannerNode
from dexvlg_ros.clients import PredictGraspClient, ServiceUnavailableError


class CrashingPredictor:
    def predict(self, points, colors, instruction, num_grasps):
        raise RuntimeError("CUDA out of memory (simulated)")


class EmptyPredictor:
    def predict(self, points, colors, instruction, num_grasps):
        return []


class RecordingPredictor:
    """Returns grasps at the centroid, and records what it was given."""

    def __init__(self):
        self.calls = []

    def predict(self, points, colors, instruction, num_grasps):
        self.calls.append((points.copy(), instruction, num_grasps))
        centre = points.mean(axis=0)
        return [Grasp(position=centre, rotation=np.eye(3), joints=np.zeros(22), score=1.0 - i / num_grasps)
                for i in range(num_grasps)]


@pytest.fixture
def serve(monkeypatch):
    monkeypatch.setenv("ROS_DOMAIN_ID", str(60 + os.getpid() % 40))
    context = rclpy.Context()
    rclpy.init(context=context)
    started: list[tuple[MultiThreadedExecutor, PlannerNode]] = []

    def start(predictor, **parameters):
        overrides = [Parameter(name, value=value) for name, value in parameters.items()]
        server = PlannerNode(predictor=predictor, context=context, parameter_overrides=overrides)
        executor = MultiThreadedExecutor(num_threads=2, context=context)
        executor.add_node(server)
        threading.Thread(target=executor.spin, daemon=True).start()
        started.append((executor, server))
        client = PredictGraspClient(rclpy.create_node("planner_test_client", context=context))
        client.wait(timeout=30.0)
        return client

    start.started, start.context = started, context  # for tests that need the server or a client of their own
    yield start
    for executor, server in started:
        executor.shutdown()
        server.destroy_node()
    rclpy.shutdown(context=context)


def cloud(n=500):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 3)).astype(np.float32), rng.integers(0, 255, (n, 3), dtype=np.uint8)


def test_crashing_predictor_answers_with_the_error(serve):
    client = serve(CrashingPredictor())
    response = client.call(client.request("grasp it", *cloud()))
    assert not response.success and "CUDA out of memory" in response.message
    # The service is still up after the crash.
    assert "CUDA" in client.call(client.request("grasp it", *cloud())).message


def test_empty_prediction_is_not_success(serve):
    client = serve(EmptyPredictor())
    response = client.call(client.request("grasp it", *cloud()))
    assert not response.success and "no grasp" in response.message


def test_nan_points_are_dropped_and_count_is_capped(serve):
    predictor = RecordingPredictor()
    client = serve(predictor)
    points, colors = cloud()
    points[:100] = np.nan
    response = client.call(client.request("  grasp the mug  ", points, colors, num_grasps=10_000))
    assert response.success
    received, instruction, num = predictor.calls[-1]
    assert len(received) == 400 and np.isfinite(received).all()
    assert num == 256 and len(response.grasps) == 256  # max_num_grasps
    np.testing.assert_allclose(
        [response.grasps[0].wrist_pose.position.x, response.grasps[0].wrist_pose.position.y],
        np.nanmean(points, axis=0)[:2], atol=1e-5)


def test_default_num_grasps(serve):
    client = serve(RecordingPredictor())
    response = client.call(client.request("grasp it", *cloud(), num_grasps=0))
    assert len(response.grasps) == 16


def test_an_answer_the_caller_cannot_receive_is_retried_then_dropped_and_the_service_goes_on(serve):
    """A caller whose response reader never matches (it asks for transient-local responses; the server's writer
    is volatile) is the race of a just-discovered caller made permanent: the planner keeps trying for its
    patience, reports the loss, and answers the next caller."""
    unmatchable = PredictGraspClient(rclpy.create_node("unmatchable_client", context=serve.context),
                                     qos_profile=QoSProfile(depth=10, durability=DurabilityPolicy.TRANSIENT_LOCAL))
    client = serve(RecordingPredictor(), response_patience_s=0.6)  # waits for the service: discovery is done
    time.sleep(0.5)  # the unmatchable client's request writer matches the server's reader like any other
    with pytest.raises(ServiceUnavailableError, match="did not answer"):
        unmatchable.call(unmatchable.request("", *cloud()), timeout=3.0)  # rejected at once: empty instruction
    _, server = serve.started[-1]
    responses = server.responses
    assert responses.dropped == 1 and responses.delivered == 0
    response = client.call(client.request("grasp it", *cloud()))
    assert response.success
    assert responses.delivered == 1 and responses.dropped == 1
