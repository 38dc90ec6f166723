"""The generated interfaces match the contract in DESIGN.md and every field is documented."""

from pathlib import Path

import pytest
from dexvlg_interfaces.action import ExecuteGrasp
from dexvlg_interfaces.msg import DexterousGrasp
from dexvlg_interfaces.srv import CaptureCloud, FilterGrasps, PredictGrasp
from rclpy.serialization import deserialize_message, serialize_message

WS_ROOT = Path(__file__).resolve().parents[3]
INTERFACE_FILES = sorted(
    p for d in ("msg", "srv", "action") for p in (WS_ROOT / d).glob("*.*")
)


def test_interface_sources_exist():
    names = {p.name for p in INTERFACE_FILES}
    assert {
        "DexterousGrasp.msg",
        "PredictGrasp.srv",
        "FilterGrasps.srv",
        "CaptureCloud.srv",
        "ExecuteGrasp.action",
    } <= names


@pytest.mark.parametrize("path", INTERFACE_FILES, ids=lambda p: p.name)
def test_every_field_has_a_comment(path):
    """Units, frames and the meaning of empty values are written next to each field."""
    lines = path.read_text().splitlines()
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or stripped == "---":
            continue
        inline = "#" in stripped
        above = i > 0 and lines[i - 1].strip().startswith("#")
        assert inline or above, f"{path.name}:{i + 1} field without comment: {stripped}"


def test_dexterous_grasp_fields():
    grasp = DexterousGrasp()
    for field in (
        "header",
        "wrist_pose",
        "joint_names",
        "pregrasp_positions",
        "joint_positions",
        "squeeze_positions",
        "score",
        "part",
        "contact_fingers",
    ):
        assert hasattr(grasp, field), field


def test_grasp_serializes_round_trip():
    grasp = DexterousGrasp()
    grasp.header.frame_id = "camera_color_optical_frame"
    grasp.wrist_pose.position.x = 0.25
    grasp.wrist_pose.orientation.w = 1.0
    grasp.joint_names = [f"j{i}" for i in range(22)]
    grasp.joint_positions = [0.1 * i for i in range(22)]
    grasp.part = "handle"
    grasp.contact_fingers = ["thumb", "index"]
    back = deserialize_message(serialize_message(grasp), DexterousGrasp)
    assert back == grasp


def test_services_and_action_fields():
    request = PredictGrasp.Request()
    assert {"instruction", "cloud", "num_grasps"} <= set(request.get_fields_and_field_types())
    response = PredictGrasp.Response()
    assert {"success", "message", "grasps"} <= set(response.get_fields_and_field_types())
    assert "grasps" in FilterGrasps.Request.get_fields_and_field_types()
    assert "rejection_reasons" in FilterGrasps.Response.get_fields_and_field_types()
    assert "cloud" in CaptureCloud.Response.get_fields_and_field_types()
    assert "grasp" in ExecuteGrasp.Goal.get_fields_and_field_types()
    assert "stage" in ExecuteGrasp.Feedback.get_fields_and_field_types()
    assert "success" in ExecuteGrasp.Result.get_fields_and_field_types()
