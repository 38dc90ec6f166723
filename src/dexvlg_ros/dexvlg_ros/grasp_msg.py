"""dexvlg_core Grasp <-> dexvlg_interfaces/DexterousGrasp."""

from __future__ import annotations

import numpy as np
from dexvlg_interfaces.msg import DexterousGrasp
from std_msgs.msg import Header

from dexvlg_core.grasp import Grasp
from dexvlg_core.hand.joints import JOINT_NAMES
from dexvlg_core.rotations import matrix_to_quat_xyzw, quat_xyzw_to_matrix


def grasp_to_msg(grasp: Grasp, header: Header | None = None) -> DexterousGrasp:
    """Message for one grasp; ``header`` defaults to one whose frame_id is the grasp's frame."""
    msg = DexterousGrasp()
    msg.header = header if header is not None else Header(frame_id=grasp.frame_id)
    msg.wrist_pose.position.x, msg.wrist_pose.position.y, msg.wrist_pose.position.z = map(float, grasp.position)
    qx, qy, qz, qw = map(float, matrix_to_quat_xyzw(grasp.rotation))
    msg.wrist_pose.orientation.x, msg.wrist_pose.orientation.y = qx, qy
    msg.wrist_pose.orientation.z, msg.wrist_pose.orientation.w = qz, qw
    msg.joint_names = list(JOINT_NAMES)
    msg.joint_positions = grasp.joints.tolist()
    msg.pregrasp_positions = [] if grasp.pregrasp is None else grasp.pregrasp.tolist()
    msg.squeeze_positions = [] if grasp.squeeze is None else grasp.squeeze.tolist()
    msg.score = float(grasp.score)
    msg.part = grasp.part
    msg.contact_fingers = list(grasp.contact_fingers)
    return msg


def _in_joint_order(names: list[str], values: list[float] | np.ndarray, what: str) -> np.ndarray | None:
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return None
    if len(names) != values.size:
        raise ValueError(f"{what} has {values.size} values for {len(names)} joint names")
    index = {name: i for i, name in enumerate(names)}
    unknown = sorted(set(names) - set(JOINT_NAMES))
    missing = [name for name in JOINT_NAMES if name not in index]
    if unknown or missing:
        raise ValueError(f"joint names do not match the Shadow Hand: unknown {unknown}, missing {missing}")
    return values[[index[name] for name in JOINT_NAMES]]


def msg_to_grasp(msg: DexterousGrasp) -> Grasp:
    """Grasp from a message; joints are reordered by name, empty pregrasp/squeeze stay None."""
    names = list(msg.joint_names) or list(JOINT_NAMES)
    joints = _in_joint_order(names, msg.joint_positions, "joint_positions")
    if joints is None:
        raise ValueError("DexterousGrasp has no joint_positions")
    p, o = msg.wrist_pose.position, msg.wrist_pose.orientation
    return Grasp(
        position=np.array([p.x, p.y, p.z]),
        rotation=quat_xyzw_to_matrix(np.array([o.x, o.y, o.z, o.w])),
        joints=joints,
        pregrasp=_in_joint_order(names, msg.pregrasp_positions, "pregrasp_positions"),
        squeeze=_in_joint_order(names, msg.squeeze_positions, "squeeze_positions"),
        frame_id=msg.header.frame_id,
        part=msg.part,
        contact_fingers=tuple(msg.contact_fingers),
        score=float(msg.score),
    )
