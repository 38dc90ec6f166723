import numpy as np
import pytest
from dexvlg_interfaces.msg import DexterousGrasp
from rclpy.serialization import deserialize_message, serialize_message
from scipy.spatial.transform import Rotation

from dexvlg_core.grasp import Grasp
from dexvlg_core.hand.joints import JOINT_NAMES
from dexvlg_ros.grasp_msg import grasp_to_msg, msg_to_grasp


def make_grasp(**overrides) -> Grasp:
    rng = np.random.default_rng(0)
    args = dict(
        position=[0.1, -0.2, 0.5],
        rotation=Rotation.from_euler("xyz", [0.3, -1.0, 2.0]).as_matrix(),
        joints=rng.uniform(0, 1, 22),
        pregrasp=rng.uniform(0, 0.3, 22),
        frame_id="camera_color_optical_frame",
        part="neck",
        contact_fingers=("thumb", "index", "middle"),
        score=0.75,
    )
    return Grasp(**(args | overrides))


def test_round_trip_through_serialized_message():
    grasp = make_grasp()
    msg = deserialize_message(serialize_message(grasp_to_msg(grasp)), DexterousGrasp)
    assert list(msg.joint_names) == list(JOINT_NAMES)
    assert len(msg.squeeze_positions) == 0
    back = msg_to_grasp(msg)
    np.testing.assert_allclose(back.position, grasp.position)
    np.testing.assert_allclose(back.rotation, grasp.rotation, atol=1e-12)
    np.testing.assert_allclose(back.joints, grasp.joints)
    np.testing.assert_allclose(back.pregrasp, grasp.pregrasp)
    assert back.squeeze is None
    assert (back.frame_id, back.part, back.contact_fingers, back.score) == (
        "camera_color_optical_frame", "neck", ("thumb", "index", "middle"), 0.75)


def test_joints_are_reordered_by_name():
    grasp = make_grasp()
    msg = grasp_to_msg(grasp)
    order = np.random.default_rng(1).permutation(22)
    msg.joint_names = [JOINT_NAMES[i] for i in order]
    msg.joint_positions = grasp.joints[order].tolist()
    msg.pregrasp_positions = grasp.pregrasp[order].tolist()
    np.testing.assert_allclose(msg_to_grasp(msg).joints, grasp.joints)


def test_bad_messages_raise():
    msg = grasp_to_msg(make_grasp())
    msg.joint_names = list(msg.joint_names[:-1]) + ["rh_WRJ1"]
    with pytest.raises(ValueError, match="unknown"):
        msg_to_grasp(msg)
    msg = grasp_to_msg(make_grasp())
    msg.joint_positions = []
    with pytest.raises(ValueError, match="no joint_positions"):
        msg_to_grasp(msg)
    msg = grasp_to_msg(make_grasp())
    msg.wrist_pose.orientation.w = 0.0
    msg.wrist_pose.orientation.x = msg.wrist_pose.orientation.y = msg.wrist_pose.orientation.z = 0.0
    with pytest.raises(ValueError, match="non-zero"):
        msg_to_grasp(msg)


def test_markers_rank_and_replace_previous_set():
    from std_msgs.msg import Header
    from visualization_msgs.msg import Marker

    from dexvlg_ros.markers import grasp_markers

    grasps = [make_grasp(), make_grasp(position=[0.0, 0.0, 0.3])]
    markers = grasp_markers(grasps, Header(frame_id="world")).markers
    assert markers[0].action == Marker.DELETEALL
    arrows = [m for m in markers if m.type == Marker.ARROW and m.action == Marker.ADD]
    assert len(arrows) == 2 and arrows[0].color.g > arrows[1].color.g
    start, tip = arrows[1].points
    np.testing.assert_allclose([tip.x - start.x, tip.y - start.y, tip.z - start.z], grasps[1].rotation[:, 2] * 0.08)
