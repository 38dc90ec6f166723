"""Pregrasp and squeeze postures of an optimized grasp (DESIGN.md: squeeze = 2 * grasp - pregrasp).

Each contact finger of the style is opened by moving its contact point out of the object along the surface
normal, by ``squeeze_distance`` (times the contact force the force-closure LP gives it, for grasps the LP finds
stable, with ``scale_by_forces``); the joints come from a damped least-squares step on that finger's own joints. The
squeeze then moves each contact as far *into* the object, so the position servos press along the contact
normals with force in proportion to the LP's balanced forces, rather than just curling every joint (which
pushes the object around). Fingers outside the style's split keep their grasp joints throughout. The wrist stays
where it is: the evaluator's protocol moves only the fingers.
"""

from __future__ import annotations

import numpy as np
import torch

from dexvlg_core.hand.joints import JOINT_NAMES
from dexvlg_core.hand.mjcf import joint_limits
from dexvlg_data.synth.config import PostureConfig
from dexvlg_data.synth.energy import GraspEnergy
from dexvlg_data.synth.force_closure import solve_force_lp, wrench_matrix


def finger_joint_mask(finger: str) -> torch.Tensor:
    """(22,) bool: the joints of one finger ("FF", ..., "TH")."""
    return torch.tensor([name[3:5] == finger for name in JOINT_NAMES])


def squeeze_step(energy: GraspEnergy, root_pos: np.ndarray, root_rot: np.ndarray, joints: np.ndarray,
                 config: PostureConfig | None = None) -> np.ndarray:
    """(B, 22) joint step that moves each contact finger's contact point into the object (see module doc)."""
    config = config or PostureConfig()
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
        if config.mode == "force":  # servo torque kp * dq = J' f: the finger presses with force f at the contact
            force = -normals[:, g] * (config.squeeze_force * forces[:, g, None])
            move = (jac.transpose(1, 2) @ force.unsqueeze(-1)).squeeze(-1) / config.servo_kp
        else:  # the contact point moves by the given distance into the object
            target = -normals[:, g] * (config.squeeze_distance * forces[:, g, None])
            damped = jac @ jac.transpose(1, 2) + config.damping * torch.eye(3, dtype=dtype)
            move = (jac.transpose(1, 2) @ torch.linalg.solve(damped, target.unsqueeze(-1))).squeeze(-1)
        step = step + move
    limit = config.max_joint_step
    return step.detach().clamp(-limit, limit).double().numpy()


def derive_postures(joints: np.ndarray, step: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(pregrasp, squeeze) from grasp joints and a squeeze step (..., 22): pregrasp = joints - step within the
    limits, squeeze = 2 * joints - pregrasp.
    """
    joints = np.asarray(joints, dtype=np.float64)
    lower, upper = joint_limits()
    pregrasp = np.clip(joints - np.asarray(step, dtype=np.float64), lower, upper)
    return pregrasp, 2.0 * joints - pregrasp
