"""The Shadow Hand MJCF with the wrist fixed, built at run time from the gymnasium-robotics package.

Frames. The OpenAI palm frame (body robot0:palm) already has the interchange orientation: fingers along +z,
the palm facing -y (the flexion axes are +x, so flexing curls the fingers towards -y) and the thumb on the +x
side. The interchange hand root sits 3.4 cm behind the palm along +z, which is exactly where the model's
robot0:wrist body (the WRJ1 axis) is. The built model places that root at the MuJoCo world origin, so the
world frame of the returned model *is* the hand root frame and PALM_IN_ROOT is the only offset to know.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import mujoco
import numpy as np

from dexvlg_core.hand.joints import (
    JOINT_NAMES,
    JOINT_SIGNS,
    LINK_NAMES,
    MODEL_JOINT_NAMES,
    MODEL_PREFIX,
    model_link_name,
    to_model,
)

# Pose of the model's palm body (the base the fingers hang from) in the interchange hand root frame:
# same orientation, 3.4 cm along the finger axis. 4x4 homogeneous transform.
PALM_IN_ROOT: np.ndarray = np.array(
    [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.034], [0.0, 0.0, 0.0, 1.0]]
)
PALM_IN_ROOT.setflags(write=False)

MOUNT_BODY = MODEL_PREFIX + "hand mount"  # top body of the hand; attach or weld this to an arm or a mocap
PALM_BODY = MODEL_PREFIX + "palm"
ROOT_BODY = MODEL_PREFIX + "wrist"  # coincides with the interchange root frame (wrist fixed at 0)
WRIST_JOINTS: tuple[str, ...] = (MODEL_PREFIX + "WRJ1", MODEL_PREFIX + "WRJ0")
FINGERTIP_SITES: tuple[str, ...] = tuple(f"{MODEL_PREFIX}S_{f}tip" for f in ("ff", "mf", "rf", "lf", "th"))

# Geom groups used by the OpenAI model: meshes to look at (and sample) vs primitives/convex hulls to collide.
VISUAL_GROUP = 1
COLLISION_GROUP = 4

_HAND_FILES = ("shared.xml", "shared_asset.xml", "robot.xml")


@dataclass(frozen=True)
class HandMjcfConfig:
    """Options for the generated hand model."""

    # True: the real hand's J1/J2 coupling tendons stay and 18 position actuators drive it (J0 = J1 + J2
    # per coupled finger). False: coupling tendons removed and a position actuator added on every distal
    # joint, so all 22 joints are commanded independently (what grasp benchmarks with free joints assume).
    coupled: bool = True
    # Keep the forearm body's geoms (a big convex hull behind the wrist; it can hit tables and arms).
    keep_forearm: bool = True


def asset_dir() -> Path:
    """Folder of the installed gymnasium-robotics hand MJCF (robot.xml, shared.xml, shared_asset.xml)."""
    import importlib.util

    spec = importlib.util.find_spec("gymnasium_robotics")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("gymnasium_robotics is needed for the Shadow Hand model (pip install it)")
    # Resolved without importing the package: its import prints warnings and pulls gymnasium in.
    hand = Path(spec.origin).parent / "envs" / "assets" / "hand"
    missing = [name for name in _HAND_FILES if not (hand / name).is_file()]
    if missing:
        raise FileNotFoundError(f"gymnasium_robotics at {hand} lacks {missing}")
    return hand


def mesh_dir() -> Path:
    """Folder of the hand's STL meshes in the installed gymnasium-robotics package."""
    return asset_dir().parent / "stls" / "hand"


def original_xml() -> str:
    """The OpenAI hand as one MJCF string (includes inlined, absolute mesh folder), wrist joints intact."""
    hand = asset_dir()
    top = ET.Element("mujoco", model="shadow_hand")
    ET.SubElement(top, "compiler", angle="radian", meshdir=str(mesh_dir()))
    # MjSpec.from_string cannot resolve <include> without files on disk next to the string, so inline them.
    for child in ET.parse(hand / "shared.xml").getroot():
        top.append(child)
    assets = ET.SubElement(top, "asset")
    for child in ET.parse(hand / "shared_asset.xml").getroot():
        assets.append(child)
    world = ET.SubElement(top, "worldbody")
    for child in ET.parse(hand / "robot.xml").getroot():
        world.append(child)
    return ET.tostring(top, encoding="unicode")


def _mount_in_root(spec: mujoco.MjSpec) -> tuple[np.ndarray, np.ndarray]:
    """Pose (pos, quat wxyz) of the mount body in the root (wrist) frame, all joints at zero."""
    model = spec.compile()
    data = mujoco.MjData(model)
    mujoco.mj_kinematics(model, data)
    mount, root = data.body(MOUNT_BODY), data.body(ROOT_BODY)
    rot_root = root.xmat.reshape(3, 3)
    pos = rot_root.T @ (mount.xpos - root.xpos)
    rel = rot_root.T @ mount.xmat.reshape(3, 3)
    quat = np.zeros(4)
    mujoco.mju_mat2Quat(quat, rel.ravel())
    return pos, quat


def build_hand_spec(config: HandMjcfConfig | None = None) -> mujoco.MjSpec:
    """MjSpec of the fixed-wrist, 22-joint hand whose world frame is the interchange hand root frame."""
    config = config or HandMjcfConfig()
    spec = mujoco.MjSpec.from_string(original_xml())
    spec.modelname = "shadow_hand_fixed_wrist"

    # Lock the wrist: drop its joints and everything that refers to them (tendons, actuators, sensors).
    for name in _tendons_using(spec, WRIST_JOINTS):
        spec.delete(spec.tendon(name))
    for actuator in list(spec.actuators):
        if actuator.target in WRIST_JOINTS:
            spec.delete(actuator)
    for sensor in list(spec.sensors):
        if sensor.objname in WRIST_JOINTS:
            spec.delete(sensor)
    for name in WRIST_JOINTS:
        spec.delete(spec.joint(name))

    # Place the mount so that the wrist body (the root) lands on the world origin with identity orientation.
    pos, quat = _mount_in_root(spec)
    mount = spec.body(MOUNT_BODY)
    mount.alt.type = mujoco.mjtOrientation.mjORIENTATION_QUAT
    mount.pos, mount.quat = pos, quat

    # The thumb's 1 mm placeholder boxes (V_thbase, V_thhub) are visual-group geoms that inherit contype=1
    # and conaffinity=1. With a wrist joint MuJoCo's parent-child filter hid their contact with the palm; with
    # the wrist fixed the palm is welded to the world, that filter no longer applies, and V_thbase would sit
    # 3 mm inside C_palm0 and shove the thumb around. Visual geoms never collide.
    for geom in spec.geoms:
        if geom.group == VISUAL_GROUP:
            geom.contype, geom.conaffinity = 0, 0

    if not config.keep_forearm:
        for geom in list(spec.body(MODEL_PREFIX + "forearm").geoms):
            spec.delete(geom)
    if not config.coupled:
        _decouple(spec)
    return spec


def _tendons_using(spec: mujoco.MjSpec, joints: tuple[str, ...]) -> list[str]:
    """Names of the fixed tendons that wrap any of the joints (read from a compiled copy: MjsTendon does
    not expose its wraps in the Python bindings).
    """
    model = spec.compile()
    joint_ids = {model.joint(name).id for name in joints}
    names = []
    for tendon_id in range(model.ntendon):
        start, count = model.tendon_adr[tendon_id], model.tendon_num[tendon_id]
        wraps = range(start, start + count)
        if any(
            model.wrap_type[w] == mujoco.mjtWrap.mjWRAP_JOINT and model.wrap_objid[w] in joint_ids
            for w in wraps
        ):
            names.append(model.tendon(tendon_id).name)
    return names


def _decouple(spec: mujoco.MjSpec) -> None:
    """Remove the distal/middle coupling tendons and actuate each distal joint on its own."""
    for tendon in list(spec.tendons):
        if tendon.name.endswith("J1c"):
            spec.delete(tendon)
    template = spec.actuator(MODEL_PREFIX + "A_FFJ1")  # the middle-joint servo the distal copies
    for finger in ("FF", "MF", "RF", "LF"):
        distal = f"{MODEL_PREFIX}{finger}J0"
        joint = spec.joint(distal)
        actuator = spec.add_actuator(name=f"{MODEL_PREFIX}A_{finger}J0", target=distal)
        actuator.trntype = mujoco.mjtTrn.mjTRN_JOINT
        actuator.set_to_position(kp=template.gainprm[0])
        actuator.ctrlrange = joint.range
        actuator.ctrllimited = mujoco.mjtLimited.mjLIMITED_TRUE
        actuator.forcerange = template.forcerange
        actuator.forcelimited = mujoco.mjtLimited.mjLIMITED_TRUE


@lru_cache(maxsize=4)
def hand_xml(config: HandMjcfConfig | None = None) -> str:
    """MJCF text of the fixed-wrist hand (meshes referenced by absolute path into the installed package)."""
    return build_hand_spec(config).to_xml()


def build_hand_model(config: HandMjcfConfig | None = None) -> mujoco.MjModel:
    """Compiled fixed-wrist hand model; its world frame is the hand root frame.

    Compiled from hand_xml() rather than the spec so that MuJoCo and pytorch-kinematics (which parses that
    text) see bit-identical numbers; the XML writer rounds quaternions to ~1e-7.
    """
    return mujoco.MjModel.from_xml_string(hand_xml(config))


def qpos_indices(model: mujoco.MjModel) -> np.ndarray:
    """Qpos addresses of the 22 joints in JOINT_NAMES order (values there are in the MJCF sign convention)."""
    return np.array([model.joint(name).qposadr[0] for name in MODEL_JOINT_NAMES], dtype=np.int64)


def dof_indices(model: mujoco.MjModel) -> np.ndarray:
    """qvel/dof addresses of the 22 joints in JOINT_NAMES order."""
    return np.array([model.joint(name).dofadr[0] for name in MODEL_JOINT_NAMES], dtype=np.int64)


def joint_limits(model: mujoco.MjModel | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(lower, upper) of the 22 joints in JOINT_NAMES order and the real sign convention."""
    model = model or _default_model()
    ranges = np.array([model.joint(name).range for name in MODEL_JOINT_NAMES], dtype=np.float64)
    signs = np.asarray(JOINT_SIGNS)[:, None]
    flipped = np.sort(ranges * signs, axis=1)  # a flipped joint swaps and negates its bounds
    return flipped[:, 0] + 0.0, flipped[:, 1] + 0.0  # + 0.0 turns -0.0 into 0.0


def mujoco_link_poses(model: mujoco.MjModel, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reference FK by MuJoCo: world positions (B, L, 3) and rotations (B, L, 3, 3) of LINK_NAMES for q (B, 22)."""
    data = mujoco.MjData(model)
    idx = qpos_indices(model)
    bodies = [model.body(model_link_name(link)).id for link in LINK_NAMES]
    pos, rot = np.empty((len(q), len(bodies), 3)), np.empty((len(q), len(bodies), 3, 3))
    for b, qb in enumerate(to_model(np.asarray(q, dtype=np.float64))):
        data.qpos[idx] = qb
        mujoco.mj_kinematics(model, data)
        pos[b], rot[b] = data.xpos[bodies], data.xmat[bodies].reshape(-1, 3, 3)
    return pos, rot


@lru_cache(maxsize=1)
def _default_model() -> mujoco.MjModel:
    return build_hand_model()


assert len(MODEL_JOINT_NAMES) == len(JOINT_NAMES)
