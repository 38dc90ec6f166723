"""Pregrasp and squeeze postures of an optimized grasp (DESIGN.md: squeeze = 2 * grasp - pregrasp).

The step between them (pregrasp = grasp - step, squeeze = grasp + step, within the joint limits) is one of
(PostureConfig.mode):

- "curl" (default): the closing joints of the style's fingers turn by ``curl_angle``, as a hand controller closes
  a grasp. Measured on optimized batches (bottle body, hammer handle), it holds more grasps through the
  six-direction test than the contact-wise modes: 9/20 at 0.2 rad against 5/20 for "displacement".
- "displacement": each contact finger's contact point moves ``squeeze_distance`` into the object along the
  surface normal (optionally times its LP force), joints from a damped least-squares step on that finger's joints.
  Pinches use it by default (``pinch_mode``): thumb and fingertips press towards each other instead of curling.
- "force": the joint step that makes a blocked finger press its contact with the LP's balanced force.

A grasp whose squeeze lets the object slip is validated again with the squeezes of
``PostureConfig.fallbacks`` (fallback_configs), in order: the posture search keeps the first that holds.

Fingers outside the style's split keep their grasp joints throughout. The wrist stays where it is: the
evaluator's protocol moves only the fingers.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch

from dexvlg_core.hand.joints import JOINT_NAMES
from dexvlg_core.hand.mjcf import joint_limits
from dexvlg_data.synth.closing import CLOSING_JOINTS
from dexvlg_data.synth.config import PostureConfig
from dexvlg_data.synth.energy import GraspEnergy
from dexvlg_data.synth.force_closure import solve_force_lp, wrench_matrix


def finger_joint_mask(finger: str) -> torch.Tensor:
    """(22,) bool: the joints of one finger ("FF", ..., "TH")."""
    return torch.tensor([name[3:5] == finger for name in JOINT_NAMES])


def curl_mask(fingers: tuple[str, ...]) -> np.ndarray:
    """(22,) 1 for the closing joints of the given fingers ("FF", ..., "TH"; "palm" is ignored), else 0."""
    mask = np.zeros(len(JOINT_NAMES))
    for finger in fingers:
        for joint in CLOSING_JOINTS.get(finger, ()):
            mask[JOINT_NAMES.index(joint)] = 1.0
    return mask


def squeeze_step(energy: GraspEnergy, root_pos: np.ndarray, root_rot: np.ndarray, joints: np.ndarray,
                 config: PostureConfig | None = None) -> np.ndarray:
    """(B, 22) joint step that moves each contact finger's contact point into the object (see module doc)."""
    config = config or PostureConfig()
    mode = config.pinch_mode if energy.style == "pinch" and config.pinch_mode else config.mode
    if mode not in ("curl", "force", "displacement"):
        raise ValueError(f"PostureConfig mode must be 'curl', 'force' or 'displacement', not {mode!r}")
    if mode == "curl":
        return np.broadcast_to(config.curl_angle * curl_mask(energy.groups), np.shape(joints)).copy()
    hand = energy.hand
    dtype = hand.dtype
    q = torch.tensor(joints, dtype=dtype, requires_grad=True)
    pos, rot = torch.as_tensor(root_pos, dtype=dtype), torch.as_tensor(root_rot, dtype=dtype)
    contacts = energy.contacts(hand.forward_kinematics(q, pos, rot))
    points, normals = contacts["points"], contacts["object_normals"].detach()
    forces = torch.ones(points.shape[:2], dtype=dtype)
    if config.scale_by_forces:
        forces, _ = solve_force_lp(wrench_matrix(points.detach(), normals, energy.centre,
                                                 energy.config.torque_length), energy.config.fc_min_force)
    step = torch.zeros_like(q)
    for g, finger in enumerate(energy.groups):
        if finger == "palm":
            continue  # the palm rides on the wrist, which stays put
        mask = finger_joint_mask(finger)
        rows = [torch.autograd.grad(points[:, g, k].sum(), q, retain_graph=True)[0] for k in range(3)]
        jac = torch.stack(rows, dim=1) * mask  # (B, 3, 22): only this finger's joints move it
        if mode == "force":  # servo torque kp * dq = J' f: the finger presses with force f at the contact
            force = -normals[:, g] * (config.squeeze_force * forces[:, g, None])
            move = (jac.transpose(1, 2) @ force.unsqueeze(-1)).squeeze(-1) / config.servo_kp
        else:  # the contact point moves by the given distance into the object
            target = -normals[:, g] * (config.squeeze_distance * forces[:, g, None])
            damped = jac @ jac.transpose(1, 2) + config.damping * torch.eye(3, dtype=dtype)
            move = (jac.transpose(1, 2) @ torch.linalg.solve(damped, target.unsqueeze(-1))).squeeze(-1)
        step = step + move
    limit = config.max_joint_step
    return step.detach().clamp(-limit, limit).double().numpy()


FALLBACK_FIELDS = {"curl": "curl_angle", "displacement": "squeeze_distance", "force": "squeeze_force"}


def fallback_configs(config: PostureConfig) -> list[PostureConfig]:
    """The squeeze of each of ``config.fallbacks`` ("curl 0.35", "displacement 0.02", "force 5") as a
    PostureConfig for both styles, in order; a malformed entry is a ValueError that names the forms.
    """
    options = []
    for spec in config.fallbacks:
        mode, _, amount = spec.strip().partition(" ")
        try:
            value = float(amount)
        except ValueError:
            value = float("nan")
        if mode not in FALLBACK_FIELDS or not np.isfinite(value) or value <= 0:
            raise ValueError(f"PostureConfig.fallbacks entry {spec!r}: expected 'MODE AMOUNT' with MODE one of "
                             f"{', '.join(FALLBACK_FIELDS)} and a positive amount, e.g. 'curl 0.35'")
        options.append(replace(config, mode=mode, pinch_mode=None, fallbacks=(), **{FALLBACK_FIELDS[mode]: value}))
    return options


def derive_postures(joints: np.ndarray, step: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(pregrasp, squeeze) from grasp joints and a squeeze step (..., 22): pregrasp = joints - step within the
    limits, squeeze = 2 * joints - pregrasp.
    """
    joints = np.asarray(joints, dtype=np.float64)
    lower, upper = joint_limits()
    pregrasp = np.clip(joints - np.asarray(step, dtype=np.float64), lower, upper)
    return pregrasp, 2.0 * joints - pregrasp
