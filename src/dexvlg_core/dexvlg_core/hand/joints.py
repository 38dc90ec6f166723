"""Joint names and ordering of the 22-DoF Shadow Hand (wrist fixed): the one place they are defined."""

from __future__ import annotations

import numpy as np

FINGERS: tuple[str, ...] = ("FF", "MF", "RF", "LF", "TH")

# Human names used in captions and messages, keyed by the Shadow Hand finger prefix.
FINGER_NAMES: dict[str, str] = {
    "FF": "index",
    "MF": "middle",
    "RF": "ring",
    "LF": "little",
    "TH": "thumb",
}

# Joints per finger, proximal to distal, as the real hand names them (J4 = abduction, J1 = distal).
_FINGER_JOINTS: dict[str, tuple[int, ...]] = {
    "FF": (4, 3, 2, 1),
    "MF": (4, 3, 2, 1),
    "RF": (4, 3, 2, 1),
    "LF": (5, 4, 3, 2, 1),
    "TH": (5, 4, 3, 2, 1),
}

# rh_FFJ4 .. rh_FFJ1, rh_MFJ4 .., rh_RFJ4 .., rh_LFJ5 .., rh_THJ5 .. rh_THJ1: the order of every joint array
# in grasps, messages, files and the model.
JOINT_NAMES: tuple[str, ...] = tuple(
    f"rh_{finger}J{index}" for finger in FINGERS for index in _FINGER_JOINTS[finger]
)
NUM_JOINTS = len(JOINT_NAMES)
assert NUM_JOINTS == 22

# Fingers whose J1 and J2 are driven by one actuator on the real hand (J1 follows J2).
COUPLED_FINGERS: tuple[str, ...] = ("FF", "MF", "RF", "LF")


def joint_index(name: str) -> int:
    """Position of a joint (real name, e.g. "rh_THJ3") in the 22-joint order."""
    try:
        return JOINT_NAMES.index(name)
    except ValueError:
        raise KeyError(f"unknown Shadow Hand joint {name!r}; expected one of {JOINT_NAMES}") from None


def finger_of(joint_name: str) -> str:
    """Finger prefix ("FF", ..., "TH") of a real joint name."""
    joint_index(joint_name)
    return joint_name[3:5]


# --- The OpenAI / gymnasium-robotics MJCF (the model DexGraspNet used) -------------------------------------
# That model numbers joints per finger from 3 (FF/MF/RF) or 4 (LF, TH) down to 0, proximal to distal; the real
# hand counts from 4 or 5 down to 1. Mapped by meaning, not by number: model FFJ3 (abduction) is rh_FFJ4,
# model FFJ2 (proximal flexion) rh_FFJ3, model FFJ1 (middle) rh_FFJ2, model FFJ0 (distal) rh_FFJ1; LFJ4 (palm
# curl) is rh_LFJ5; THJ4 (base rotation) rh_THJ5, ..., THJ0 (distal) rh_THJ1.
MODEL_PREFIX = "robot0:"

# Model joint for each entry of JOINT_NAMES (same order).
MODEL_JOINT_NAMES: tuple[str, ...] = tuple(
    f"{MODEL_PREFIX}{name[3:5]}J{int(name[6:]) - 1}" for name in JOINT_NAMES
)

# real value = sign * model value. The real hand's URDF turns four axes the other way round from the MJCF
# (rh_FFJ4, rh_MFJ4 about -y; rh_THJ2, rh_THJ1 about -y), so e.g. rh_THJ1 flexes positive (0..pi/2) where the
# model's THJ0 flexes negative. Every joint array outside MuJoCo uses the real convention; DexGraspNet-style
# raw model values must be multiplied by these signs on the way in.
_FLIPPED: frozenset[str] = frozenset({"rh_FFJ4", "rh_MFJ4", "rh_THJ2", "rh_THJ1"})
JOINT_SIGNS: tuple[float, ...] = tuple(-1.0 if name in _FLIPPED else 1.0 for name in JOINT_NAMES)

# Links (bodies) of the fixed-wrist hand as the real hand names them, and the model body of each.
LINK_NAMES: tuple[str, ...] = (
    "rh_forearm", "rh_wrist", "rh_palm",
    "rh_ffknuckle", "rh_ffproximal", "rh_ffmiddle", "rh_ffdistal",
    "rh_mfknuckle", "rh_mfproximal", "rh_mfmiddle", "rh_mfdistal",
    "rh_rfknuckle", "rh_rfproximal", "rh_rfmiddle", "rh_rfdistal",
    "rh_lfmetacarpal", "rh_lfknuckle", "rh_lfproximal", "rh_lfmiddle", "rh_lfdistal",
    "rh_thbase", "rh_thproximal", "rh_thhub", "rh_thmiddle", "rh_thdistal",
)  # fmt: skip


def model_joint_name(name: str) -> str:
    """MJCF joint name (e.g. "robot0:FFJ3") of a real joint name (e.g. "rh_FFJ4")."""
    return MODEL_JOINT_NAMES[joint_index(name)]


def real_joint_name(model_name: str) -> str:
    """Real joint name of an MJCF joint name; KeyError for joints the fixed-wrist hand does not have."""
    try:
        return JOINT_NAMES[MODEL_JOINT_NAMES.index(model_name)]
    except ValueError:
        raise KeyError(f"{model_name!r} is not one of the 22 finger joints of the MJCF") from None


def model_link_name(link: str) -> str:
    """MJCF body name of a real link name ("rh_ffdistal" -> "robot0:ffdistal")."""
    if link not in LINK_NAMES:
        raise KeyError(f"unknown Shadow Hand link {link!r}")
    return MODEL_PREFIX + link[3:]


def to_model(q):
    """Real-convention joint values (..., 22) -> MJCF qpos values in the same order (numpy or torch)."""
    return q * _signs_like(q)


def from_model(q_model):
    """MJCF qpos values (..., 22) in JOINT_NAMES order -> real-convention joint values (numpy or torch)."""
    return q_model * _signs_like(q_model)


def _signs_like(q):
    # torch tensors have new_tensor (keeps device and dtype); anything else goes through numpy.
    if hasattr(q, "new_tensor"):
        return q.new_tensor(JOINT_SIGNS)
    return np.asarray(JOINT_SIGNS, dtype=np.result_type(np.asarray(q).dtype, np.float32))
