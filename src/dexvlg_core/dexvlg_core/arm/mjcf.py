"""Generated MuJoCo model (MJCF) of the UR10e, and attaching the Shadow Hand to its flange.

Body frames are ur_description's link frames (see ur10e.py), so MuJoCo's body poses equal link_frames()
and the ``tool0`` site equals fk(). Collision shapes are capsules/cylinders (LINK_SHAPES); each link's
published mass is spread over its shapes by volume and MuJoCo derives the inertia from them.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import mujoco
import numpy as np

from dexvlg_core.rotations import matrix_to_quat_wxyz

from .mount import DEFAULT_MOUNT, HandMount
from .ur10e import (
    BASE_INERTIA_LINK,
    BASE_LINK,
    DEFAULT_LIMITS,
    FLANGE,
    JOINT_NAMES,
    LINK_MASSES,
    LINK_NAMES,
    LINK_SHAPES,
    TOOL0,
    UR10E_DH,
    WRIST3_T_FLANGE,
    JointLimits,
    LinkShape,
    URDHParams,
    joint_origins,
)

DEFAULT_CLASS = "ur10e"
HAND_FRAME = "hand_mount"
WRIST_BODY = LINK_NAMES[-1]

# Links two apart whose primitives touch around the wrist in ordinary poses (the real covers nest).
_EXCLUDED_PAIRS: tuple[tuple[str, str], ...] = (
    ("forearm_link", "wrist_2_link"),
    ("wrist_1_link", "wrist_3_link"),
)


@dataclass(frozen=True)
class ArmMjcfConfig:
    """Options of the generated UR10e MJCF. Gains are per joint, JOINT_NAMES order."""

    model_name: str = "ur10e"
    params: URDHParams = UR10E_DH
    limits: JointLimits = DEFAULT_LIMITS
    base_pos: tuple[float, float, float] = (0.0, 0.0, 0.0)  # base_link in the world
    base_quat: tuple[float, float, float, float] = (1.0, 0.0, 0.0, 0.0)  # w, x, y, z
    # Position servos; stiff like the real arm's joint controller. Forces are capped at the rated torques.
    kp: tuple[float, ...] = (20000.0, 20000.0, 10000.0, 2000.0, 2000.0, 2000.0)
    kv: tuple[float, ...] = (1000.0, 1000.0, 500.0, 100.0, 100.0, 100.0)
    # Reflected rotor inertia of the harmonic drives (approximate) keeps the stiff servos stable.
    armature: tuple[float, ...] = (5.0, 5.0, 2.5, 0.5, 0.5, 0.5)
    damping: tuple[float, ...] = (1.0, 1.0, 1.0, 0.5, 0.5, 0.5)
    # The UR controller compensates the arm's weight itself; MuJoCo does it with gravcomp.
    gravcomp: bool = True
    rgba: tuple[float, float, float, float] = (0.7, 0.72, 0.75, 1.0)
    shapes: tuple[LinkShape, ...] = LINK_SHAPES


DEFAULT_ARM_CONFIG = ArmMjcfConfig()


def _fmt(values) -> str:
    # repr() keeps every digit, so MuJoCo reads back exactly the transforms the analytic FK uses.
    return " ".join(repr(float(v)) for v in np.ravel(values))


def _geom_masses(shapes: tuple[LinkShape, ...]) -> list[float]:
    totals: dict[str, float] = {}
    for shape in shapes:
        totals[shape.link] = totals.get(shape.link, 0.0) + shape.volume
    return [LINK_MASSES[s.link] * s.volume / totals[s.link] for s in shapes]


def ur10e_mjcf(config: ArmMjcfConfig = DEFAULT_ARM_CONFIG) -> str:
    """The UR10e as an MJCF string.

    Bodies base_link .. wrist_3_link, sites tool0 and flange, one position actuator per joint (named like
    the joint), joint and control ranges from config.limits, torques capped at the rated efforts.
    """
    root = ET.Element("mujoco", model=config.model_name)
    ET.SubElement(root, "compiler", angle="radian", autolimits="true")
    defaults = ET.SubElement(ET.SubElement(root, "default"), "default", {"class": DEFAULT_CLASS})
    ET.SubElement(defaults, "joint", axis="0 0 1")
    ET.SubElement(defaults, "geom", rgba=_fmt(config.rgba), group="2")
    ET.SubElement(defaults, "site", size="0.005", group="4")

    world = ET.SubElement(root, "worldbody")
    base = ET.SubElement(
        world, "body", name=BASE_LINK, pos=_fmt(config.base_pos), quat=_fmt(config.base_quat),
        childclass=DEFAULT_CLASS,
    )
    parent = ET.SubElement(base, "body", name=BASE_INERTIA_LINK, quat=_fmt([0.0, 0.0, 0.0, 1.0]))
    masses = _geom_masses(config.shapes)
    _add_shapes(parent, BASE_INERTIA_LINK, config.shapes, masses)

    lower, upper = config.limits.lower, config.limits.upper
    for i, (origin, link) in enumerate(zip(joint_origins(config.params), LINK_NAMES, strict=True)):
        attrs = {"name": link, "pos": _fmt(origin[:3, 3]), "quat": _fmt(matrix_to_quat_wxyz(origin[:3, :3]))}
        if config.gravcomp:
            attrs["gravcomp"] = "1"
        body = ET.SubElement(parent, "body", attrs)
        ET.SubElement(
            body, "joint", name=JOINT_NAMES[i], range=_fmt([lower[i], upper[i]]),
            armature=_fmt([config.armature[i]]), damping=_fmt([config.damping[i]]),
        )
        _add_shapes(body, link, config.shapes, masses)
        parent = body
    ET.SubElement(parent, "site", name=TOOL0)
    ET.SubElement(parent, "site", name=FLANGE, quat=_fmt(matrix_to_quat_wxyz(WRIST3_T_FLANGE[:3, :3])))

    contact = ET.SubElement(root, "contact")
    for body1, body2 in _EXCLUDED_PAIRS:
        ET.SubElement(contact, "exclude", body1=body1, body2=body2)
    actuators = ET.SubElement(root, "actuator")
    for i, joint in enumerate(JOINT_NAMES):
        effort = config.limits.effort[i]
        ET.SubElement(
            actuators, "position", {"class": DEFAULT_CLASS}, name=joint, joint=joint,
            kp=_fmt([config.kp[i]]), kv=_fmt([config.kv[i]]), ctrlrange=_fmt([lower[i], upper[i]]),
            forcerange=_fmt([-effort, effort]),
        )
    ET.indent(root)
    return ET.tostring(root, encoding="unicode")


def _add_shapes(body: ET.Element, link: str, shapes: tuple[LinkShape, ...], masses: list[float]) -> None:
    for shape, mass in zip(shapes, masses, strict=True):
        if shape.link == link:
            ET.SubElement(
                body, "geom", name=shape.name, type=shape.kind, size=_fmt([shape.radius]),
                fromto=_fmt([*shape.p0, *shape.p1]), mass=_fmt([mass]),
            )


def write_ur10e_mjcf(path: str | Path, config: ArmMjcfConfig = DEFAULT_ARM_CONFIG) -> Path:
    """Write ur10e_mjcf(config) to ``path``."""
    path = Path(path)
    path.write_text(ur10e_mjcf(config))
    return path


def ur10e_spec(config: ArmMjcfConfig = DEFAULT_ARM_CONFIG) -> mujoco.MjSpec:
    """The UR10e as an editable MjSpec (for scenes that attach it, or the hand to it)."""
    return mujoco.MjSpec.from_string(ur10e_mjcf(config))


def _as_spec(model: mujoco.MjSpec | str) -> mujoco.MjSpec:
    if isinstance(model, mujoco.MjSpec):
        return model
    text = model.strip()
    if not text.startswith("<mujoco"):
        # A bare <body> element: wrap it into a model of its own.
        text = f"<mujoco><worldbody>{text}</worldbody></mujoco>"
    return mujoco.MjSpec.from_string(text)


def attach_hand(
    arm: mujoco.MjSpec | str,
    hand: mujoco.MjSpec | str,
    mount: HandMount = DEFAULT_MOUNT,
    *,
    hand_body: str | None = None,
    prefix: str = "",
    wrist_body: str = WRIST_BODY,
    compensate_payload: bool = True,
) -> mujoco.MjSpec:
    """Attach a hand to the arm's flange through ``mount`` (tool0 -> hand root) and return the arm spec.

    arm: an MjSpec or MJCF string of the UR10e (ur10e_spec / ur10e_mjcf).
    hand: an MjSpec, a full MJCF string, or the XML of a bare <body> element. Its body ``hand_body``
    (default: the first body of its worldbody) becomes a child of ``wrist_body`` (the frame of which is
    tool0), carrying its subtree, and the actuators, tendons, defaults and assets referring to it.
    compensate_payload: gravity-compensate the hand's bodies too, as the UR controller does for a payload
    whose mass is configured, so the arm's servos track without sag.
    """
    arm_spec = _as_spec(arm)
    hand_spec = _as_spec(hand)
    root = hand_spec.body(hand_body) if hand_body else hand_spec.worldbody.first_body()
    if root is None:
        raise ValueError(f"hand model has no body {hand_body!r}" if hand_body else "hand model has no body")
    wrist = arm_spec.body(wrist_body)
    if wrist is None:
        raise ValueError(f"arm model has no body {wrist_body!r}")
    pos, quat = mount.pos_quat()
    frame = wrist.add_frame(name=f"{prefix}{HAND_FRAME}", pos=list(pos), quat=list(quat))
    attached = frame.attach_body(root, prefix, "")
    if compensate_payload:
        attached.gravcomp = 1.0
        for body in attached.find_all(mujoco.mjtObj.mjOBJ_BODY):
            body.gravcomp = 1.0
    # The wrist_2 cover and the hand's mounting plate overlap at short adapters; they never really collide.
    arm_spec.add_exclude(bodyname1=LINK_NAMES[-2], bodyname2=attached.name)
    return arm_spec


def body_pose(model: mujoco.MjModel, data: mujoco.MjData, body: str) -> np.ndarray:
    """World pose (4, 4) of a body (e.g. the attached hand root) after mj_kinematics/mj_forward."""
    body_id = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, body)
    if body_id < 0:
        raise KeyError(f"no body {body!r}")
    out = np.eye(4)
    out[:3, :3] = data.xmat[body_id].reshape(3, 3)
    out[:3, 3] = data.xpos[body_id]
    return out


def joint_qpos_indices(model: mujoco.MjModel, prefix: str = "") -> np.ndarray:
    """Addresses in qpos of the six arm joints in a compiled model (JOINT_NAMES order)."""
    ids = [mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_JOINT, prefix + name) for name in JOINT_NAMES]
    if min(ids) < 0:
        raise KeyError(f"model lacks some of {JOINT_NAMES} (prefix {prefix!r})")
    return model.jnt_qposadr[ids]

