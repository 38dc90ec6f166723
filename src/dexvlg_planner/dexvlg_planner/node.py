"""The /predict_grasp service: a thin node around a GraspPredictor (logic lives in dexvlg_core / dexvlg_model)."""

from __future__ import annotations

import threading
import time

import rclpy
from dexvlg_interfaces.srv import PredictGrasp
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup, ReentrantCallbackGroup
from rclpy.executors import ExternalShutdownException, MultiThreadedExecutor
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import PointCloud2
from visualization_msgs.msg import MarkerArray

from dexvlg_core.predictor import GraspPredictor, PredictionError, check_request, load_predictor
from dexvlg_ros.cloud import CloudError, msg_to_cloud
from dexvlg_ros.grasp_msg import grasp_to_msg
from dexvlg_ros.markers import grasp_markers
from dexvlg_ros.services import deliver_responses

DEFAULT_PREDICTOR = "dexvlg_core.predictor:RandomGraspPredictor"


class PlannerNode(Node):
    """Serves PredictGrasp; an empty request cloud means the latest cloud from perception."""

    def __init__(self, predictor: GraspPredictor | None = None, **node_kwargs: object) -> None:
        super().__init__("dexvlg_planner", **node_kwargs)
        self.declare_parameter("predictor", DEFAULT_PREDICTOR)
        self.declare_parameter("default_num_grasps", 16)
        self.declare_parameter("max_num_grasps", 256)
        self.declare_parameter("cloud_topic", "/dexvlg/object_cloud")
        # How long an answer waits for DDS to match a caller that was discovered moments ago (see dexvlg_ros.services).
        self.declare_parameter("response_patience_s", 5.0)
        spec = self.get_parameter("predictor").value
        self._predictor = predictor if predictor is not None else load_predictor(spec)
        # Models are not thread-safe; concurrent callers are served one after the other.
        self._predict_lock = threading.Lock()
        self._latest_cloud: PointCloud2 | None = None
        self.create_subscription(
            PointCloud2,
            self.get_parameter("cloud_topic").value,
            self._on_cloud,
            QoSProfile(depth=1, reliability=ReliabilityPolicy.BEST_EFFORT),
            callback_group=MutuallyExclusiveCallbackGroup(),
        )
        # Every answer is also drawn in rviz2 (config/dexvlg.rviz).
        self._markers = self.create_publisher(MarkerArray, "/dexvlg/grasp_markers", 1)
        service = self.create_service(
            PredictGrasp, "predict_grasp", self._on_predict, callback_group=ReentrantCallbackGroup()
        )
        self.responses = deliver_responses(
            service, float(self.get_parameter("response_patience_s").value), logger=self.get_logger()
        )
        self.get_logger().info(f"/predict_grasp ready (predictor: {type(self._predictor).__name__})")

    def _on_cloud(self, msg: PointCloud2) -> None:
        self._latest_cloud = msg

    def _on_predict(self, request: PredictGrasp.Request, response: PredictGrasp.Response) -> PredictGrasp.Response:
        timings: dict[str, float] = {}
        start = time.perf_counter()
        cloud_msg = request.cloud
        if cloud_msg.width * cloud_msg.height == 0:
            cloud_msg = self._latest_cloud
            if cloud_msg is None:
                response.success = False
                response.message = "request cloud is empty and no cloud has arrived from perception yet"
                return response
        num_grasps = int(request.num_grasps) or int(self.get_parameter("default_num_grasps").value)
        num_grasps = min(num_grasps, int(self.get_parameter("max_num_grasps").value))
        try:
            cloud = msg_to_cloud(cloud_msg).flat(drop_invalid=False)  # check_request reports all-NaN clouds
            points, colors = check_request(cloud.points, cloud.colors, request.instruction)
            timings["decode_cloud"] = time.perf_counter() - start
            with self._predict_lock:
                start = time.perf_counter()
                grasps = self._predictor.predict(points, colors, request.instruction, num_grasps)
                timings["predict"] = time.perf_counter() - start
        except (CloudError, PredictionError) as error:
            response.success, response.message = False, str(error)
            return response
        except Exception as error:  # a crashing model must not take the service down
            self.get_logger().error(f"predictor failed: {error!r}")
            response.success, response.message = False, f"predictor failed: {error!r}"
            return response
        grasps = grasps[:num_grasps]
        response.grasps = [grasp_to_msg(g, cloud_msg.header) for g in grasps]
        self._markers.publish(grasp_markers(grasps, cloud_msg.header))
        response.success = bool(response.grasps)
        response.message = f"{len(response.grasps)} grasps" if response.grasps else "predictor returned no grasp"
        response.timing_names = list(timings)
        response.timing_values = list(timings.values())
        return response


def main(args: list[str] | None = None) -> None:
    """Run the planner node until interrupted."""
    rclpy.init(args=args)
    node = PlannerNode()
    executor = MultiThreadedExecutor(num_threads=4)
    executor.add_node(node)
    try:
        executor.spin()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        node.destroy_node()
        rclpy.try_shutdown()


if __name__ == "__main__":
    main()
