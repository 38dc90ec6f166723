"""Blocking clients for the DexVLG services, for scripts, demos, tests and benchmarks."""

from __future__ import annotations

import numpy as np
from dexvlg_interfaces.srv import PredictGrasp
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from rclpy.qos import QoSProfile, qos_profile_services_default

from dexvlg_ros.cloud import cloud_to_msg


class ServiceUnavailableError(TimeoutError):
    """The service did not appear, or did not answer, in time."""


class PredictGraspClient:
    """Calls /predict_grasp from its own node; usable from plain Python without an executor."""

    def __init__(self, node: Node, service: str = "predict_grasp",
                 qos_profile: QoSProfile = qos_profile_services_default) -> None:
        self.node = node
        self.client = node.create_client(PredictGrasp, service, qos_profile=qos_profile)
        # An executor of the node's own context: the node may live outside rclpy's default context.
        self._executor = SingleThreadedExecutor(context=node.context)

    def wait(self, timeout: float = 30.0) -> None:
        """Wait for the server (DDS discovery on loopback takes 0.15-3 s)."""
        if not self.client.wait_for_service(timeout_sec=timeout):
            raise ServiceUnavailableError(f"{self.client.srv_name} did not appear within {timeout:.0f} s")

    def request(
        self,
        instruction: str,
        points: np.ndarray | None = None,
        colors: np.ndarray | None = None,
        num_grasps: int = 0,
        frame_id: str = "camera_color_optical_frame",
    ) -> PredictGrasp.Request:
        """Build a request; ``points=None`` asks the planner to use perception's latest cloud."""
        request = PredictGrasp.Request(instruction=instruction, num_grasps=num_grasps)
        if points is not None:
            request.cloud = cloud_to_msg(points, colors, frame_id=frame_id)
        return request

    def call(self, request: PredictGrasp.Request, timeout: float = 60.0) -> PredictGrasp.Response:
        """Send and wait for the response, spinning this client's node."""
        future = self.client.call_async(request)
        self._executor.add_node(self.node)
        try:
            self._executor.spin_until_future_complete(future, timeout_sec=timeout)
        finally:
            self._executor.remove_node(self.node)
        if not future.done():
            self.client.remove_pending_request(future)
            raise ServiceUnavailableError(f"{self.client.srv_name} did not answer within {timeout:.0f} s")
        return future.result()
