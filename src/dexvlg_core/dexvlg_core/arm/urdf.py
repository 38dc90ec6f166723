"""Generated URDF of the UR10e with ur_description's link/joint names and frames (primitive collisions).

Links: base_link, base_link_inertia, shoulder_link .. wrist_3_link, and the fixed frames base, flange,
tool0 (as ur_description). Inertials are read from the compiled MJCF so both models carry the same values.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import mujoco
import numpy as np

from dexvlg_core.rotations import rpy_of, transform

from .mjcf import DEFAULT_ARM_CONFIG, ArmMjcfConfig, ur10e_mjcf
from .ur10e import (
    BASE_INERTIA_LINK,
    BASE_LINK,
    BASE_LINK_T_BASE,
    FLANGE,
    FLANGE_T_TOOL0,
    JOINT_NAMES,
    LINK_NAMES,
    TOOL0,
    WRIST3_T_FLANGE,
    LinkShape,
    joint_origins,
)


def _fmt(values) -> str:
    return " ".join(repr(float(v)) for v in np.ravel(values))


def _origin(parent: ET.Element, pose: np.ndarray) -> None:
    ET.SubElement(parent, "origin", xyz=_fmt(pose[:3, 3]), rpy=_fmt(rpy_of(pose[:3, :3])))


def _segment_pose(p0: np.ndarray, p1: np.ndarray) -> np.ndarray:
    """Pose whose z axis runs from p0 to p1, centred between them (URDF cylinders are z-aligned)."""
    axis = (p1 - p0) / np.linalg.norm(p1 - p0)
    helper = np.array([1.0, 0.0, 0.0]) if abs(axis[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    x = np.cross(helper, axis)
    x /= np.linalg.norm(x)
    return transform(np.column_stack([x, np.cross(axis, x), axis]), (p0 + p1) / 2.0)


def _add_collision(link: ET.Element, shape: LinkShape) -> None:
    p0, p1 = np.asarray(shape.p0, float), np.asarray(shape.p1, float)
    pieces = [("cylinder", _segment_pose(p0, p1))]
    if shape.kind == "capsule":  # URDF has no capsule: a cylinder and two end spheres
        pieces += [("sphere0", transform(None, p0)), ("sphere1", transform(None, p1))]
    for kind, pose in pieces:
        for tag in ("visual", "collision"):
            element = ET.SubElement(link, tag, name=f"{shape.name}_{kind}")
            _origin(element, pose)
            geometry = ET.SubElement(element, "geometry")
            if kind == "cylinder":
                ET.SubElement(geometry, "cylinder", radius=_fmt([shape.radius]),
                              length=_fmt([np.linalg.norm(p1 - p0)]))
            else:
                ET.SubElement(geometry, "sphere", radius=_fmt([shape.radius]))


def _add_inertial(link: ET.Element, model: mujoco.MjModel, name: str) -> None:
    body = model.body(name)
    inertial = ET.SubElement(link, "inertial")
    rot = np.zeros(9)
    mujoco.mju_quat2Mat(rot, body.iquat)
    _origin(inertial, transform(rot.reshape(3, 3), body.ipos))
    ET.SubElement(inertial, "mass", value=_fmt(body.mass))
    # Principal axes frame: the inertia tensor is diagonal there.
    diagonal = dict(zip(("ixx", "iyy", "izz"), (_fmt([v]) for v in body.inertia), strict=True))
    ET.SubElement(inertial, "inertia", **diagonal, ixy="0.0", ixz="0.0", iyz="0.0")


def _fixed(robot: ET.Element, name: str, parent: str, child: str, pose: np.ndarray) -> None:
    joint = ET.SubElement(robot, "joint", name=name, type="fixed")
    ET.SubElement(joint, "parent", link=parent)
    ET.SubElement(joint, "child", link=child)
    _origin(joint, pose)


def ur10e_urdf(config: ArmMjcfConfig = DEFAULT_ARM_CONFIG, robot_name: str = "ur10e") -> str:
    """The UR10e as a URDF string (for robot_state_publisher / MoveIt / rviz2)."""
    model = mujoco.MjModel.from_xml_string(ur10e_mjcf(config))
    robot = ET.Element("robot", name=robot_name)
    for name in (BASE_LINK, BASE_INERTIA_LINK, *LINK_NAMES, "base", FLANGE, TOOL0):
        link = ET.SubElement(robot, "link", name=name)
        if name == BASE_INERTIA_LINK or name in LINK_NAMES:
            for shape in config.shapes:
                if shape.link == name:
                    _add_collision(link, shape)
            _add_inertial(link, model, name)

    _fixed(robot, "base_link-base_link_inertia", BASE_LINK, BASE_INERTIA_LINK, BASE_LINK_T_BASE)
    parents = (BASE_INERTIA_LINK, *LINK_NAMES[:-1])
    limits = config.limits
    for i, origin in enumerate(joint_origins(config.params)):
        joint = ET.SubElement(robot, "joint", name=JOINT_NAMES[i], type="revolute")
        ET.SubElement(joint, "parent", link=parents[i])
        ET.SubElement(joint, "child", link=LINK_NAMES[i])
        _origin(joint, origin)
        ET.SubElement(joint, "axis", xyz="0 0 1")
        ET.SubElement(joint, "limit", lower=_fmt([limits.lower[i]]), upper=_fmt([limits.upper[i]]),
                      effort=_fmt([limits.effort[i]]), velocity=_fmt([limits.velocity[i]]))
    _fixed(robot, "base_link-base_fixed_joint", BASE_LINK, "base", BASE_LINK_T_BASE)
    _fixed(robot, "wrist_3-flange", LINK_NAMES[-1], FLANGE, WRIST3_T_FLANGE)
    _fixed(robot, "flange-tool0", FLANGE, TOOL0, FLANGE_T_TOOL0)
    ET.indent(robot)
    return '<?xml version="1.0"?>\n' + ET.tostring(robot, encoding="unicode")


def write_ur10e_urdf(path: str | Path, config: ArmMjcfConfig = DEFAULT_ARM_CONFIG) -> Path:
    """Write ur10e_urdf(config) to ``path``."""
    path = Path(path)
    path.write_text(ur10e_urdf(config))
    return path
