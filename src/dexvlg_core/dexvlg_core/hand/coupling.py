"""Coupled actuation of the Shadow Hand: 22 joints <-> 18 actuators, for simulation and execution.

On the real hand the middle (J2) and distal (J1) joints of FF, MF, RF and LF share one tendon actuator,
commanded as J0 = J1 + J2; the hand splits it between the two joints by itself (Shadow's J0 transmission
shares it equally when nothing touches the finger). The OpenAI MJCF models the same coupling with a servo on
the middle joint and a tight tendon that keeps distal ~= 1.142 * middle. Grasps keep all 22 joints; these
functions turn them into actuator commands and back. numpy arrays and torch tensors are both accepted;
leading batch dimensions are kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import mujoco
import numpy as np

from dexvlg_core.hand.joints import COUPLED_FINGERS, JOINT_NAMES, JOINT_SIGNS, joint_index, real_joint_name
from dexvlg_core.hand.mjcf import joint_limits

# The MJCF's coupling tendon T_FFJ1c: 0.00705 * distal - 0.00805 * middle stays within +-0.001 m.
MJCF_DISTAL_RATIO = 0.00805 / 0.00705


@dataclass(frozen=True)
class Coupling:
    """How a J0 command is shared: J1 = distal_ratio * J2 until one of the two reaches its limit."""

    distal_ratio: float = MJCF_DISTAL_RATIO


MJCF_COUPLING = Coupling(MJCF_DISTAL_RATIO)
REAL_HAND_COUPLING = Coupling(1.0)


def _actuator_names() -> tuple[str, ...]:
    names = []
    for joint in JOINT_NAMES:
        finger, number = joint[3:5], int(joint[6:])
        if finger in COUPLED_FINGERS and number in (1, 2):
            if number == 2:
                names.append(f"rh_{finger}J0")  # one actuator for the pair, named as the real hand does
            continue
        names.append(joint)
    return tuple(names)


# rh_FFJ4, rh_FFJ3, rh_FFJ0, rh_MFJ4, ..., rh_LFJ5, rh_LFJ4, rh_LFJ3, rh_LFJ0, rh_THJ5 .. rh_THJ1
ACTUATOR_NAMES: tuple[str, ...] = _actuator_names()
NUM_ACTUATORS = len(ACTUATOR_NAMES)
assert NUM_ACTUATORS == 18

# For each actuator: the joint(s) it drives, as indices into JOINT_NAMES (J2 first for coupled pairs).
_SOURCES: tuple[tuple[int, ...], ...] = tuple(
    (joint_index(f"rh_{name[3:5]}J2"), joint_index(f"rh_{name[3:5]}J1"))
    if name.endswith("J0")
    else (joint_index(name),)
    for name in ACTUATOR_NAMES
)


def _is_torch(x) -> bool:
    return hasattr(x, "new_tensor")


def _stack(columns: list, like):
    if _is_torch(like):
        import torch

        return torch.stack(columns, dim=-1)
    return np.stack(columns, axis=-1)


def _clip(x, lo: float, hi: float):
    return x.clamp(lo, hi) if _is_torch(x) else np.clip(x, lo, hi)


def joints_to_actuators(q):
    """22 joint positions (..., 22) -> 18 actuator commands (..., 18); coupled pairs give J0 = J1 + J2."""
    if q.shape[-1] != len(JOINT_NAMES):
        raise ValueError(f"expected (..., {len(JOINT_NAMES)}) joint positions, got {tuple(q.shape)}")
    return _stack([sum(q[..., i] for i in src) for src in _SOURCES], q)


def actuators_to_joints(a, coupling: Coupling = MJCF_COUPLING):
    """18 actuator commands (..., 18) -> 22 joint positions, sharing each J0 as the coupling says.

    J0 is first clipped to what the two joints can reach together, so the result always respects the
    joint limits and, within them, joints_to_actuators(actuators_to_joints(a)) == a.
    """
    if a.shape[-1] != NUM_ACTUATORS:
        raise ValueError(f"expected (..., {NUM_ACTUATORS}) actuator commands, got {tuple(a.shape)}")
    lower, upper = joint_limits()
    columns: list = [None] * len(JOINT_NAMES)
    for k, src in enumerate(_SOURCES):
        if len(src) == 1:
            columns[src[0]] = a[..., k]
            continue
        j2, j1 = src
        total = _clip(a[..., k], lower[j1] + lower[j2], upper[j1] + upper[j2])
        middle = _clip(total / (1.0 + coupling.distal_ratio), lower[j2], upper[j2])
        distal = _clip(total - middle, lower[j1], upper[j1])  # distal saturates first when ratio > 1
        columns[j2], columns[j1] = total - distal, distal  # the middle takes what the distal could not
    return _stack(columns, a)


def couple(q, coupling: Coupling = MJCF_COUPLING):
    """The posture the coupled hand actually takes for a 22-joint target (same total flexion per pair)."""
    return actuators_to_joints(joints_to_actuators(q), coupling)


def actuator_limits() -> tuple[np.ndarray, np.ndarray]:
    """(lower, upper) of the 18 actuator commands (a J0 spans the sum of its joints' ranges)."""
    lower, upper = joint_limits()
    return (
        np.array([lower[list(src)].sum() for src in _SOURCES]),
        np.array([upper[list(src)].sum() for src in _SOURCES]),
    )


def mujoco_ctrl(q: np.ndarray, model: mujoco.MjModel) -> np.ndarray:
    """MuJoCo ctrl (..., model.nu) of a hand model from build_hand_model() for 22 real joint targets.

    Coupled model (18 servos): each coupled finger's servo sits on the middle joint and the tendon makes the
    distal follow, so the target is shared the MJCF way first (keeping J1 + J2). That tendon is a band
    (+-0.001 m), so a finger that touches nothing settles with its distal up to 0.142 rad short of
    ratio x middle; use HandMjcfConfig(coupled=False) where the 22-joint posture must be reproduced.
    Decoupled model (22 servos): every joint gets its own target. Values come out in the MJCF sign
    convention.
    """
    q = np.asarray(q, dtype=np.float64)
    actuated = [real_joint_name(model.joint(model.actuator_trnid[i, 0]).name) for i in range(model.nu)]
    distal_actuated = all(f"rh_{finger}J1" in actuated for finger in COUPLED_FINGERS)
    target = q if distal_actuated else couple(q, MJCF_COUPLING)
    idx = [joint_index(name) for name in actuated]
    return target[..., idx] * np.asarray(JOINT_SIGNS)[idx]
