"""pytorch-kinematics chain of the fixed-wrist hand, with the one patch it needs under mujoco 4.x."""

from __future__ import annotations

import torch

from dexvlg_core.hand.mjcf import HandMjcfConfig, hand_xml


def pytorch_kinematics():
    """Import pytorch_kinematics with its MJCF joint-type map keyed by plain ints.

    Why: pytorch-kinematics 0.10 keys JOINT_TYPE_MAP by mujoco.mjtJoint members, but with mujoco 4.x
    `model.joint(i).type[0]` is a numpy int32 that the pybind enum does not compare equal to inside a dict
    lookup, so every hinge raises KeyError. Re-keying the (module-level) map by int fixes the lookup without
    touching site-packages; it is idempotent and harmless on older mujoco.
    """
    import pytorch_kinematics as pk

    type_map = pk.mjcf.JOINT_TYPE_MAP
    if not all(type(key) is int for key in type_map):
        items = list(type_map.items())
        type_map.clear()  # mutate in place: build_chain_from_mjcf reads the module global
        type_map.update({int(key): value for key, value in items})
    return pk


def build_chain(dtype: torch.dtype = torch.float32, device: str | torch.device = "cpu"):
    """pytorch_kinematics.Chain of the fixed-wrist hand; its root frame is the hand root frame."""
    pk = pytorch_kinematics()
    # Coupling tendons do not change kinematics; pytorch-kinematics ignores tendons anyway.
    chain = pk.build_chain_from_mjcf(hand_xml(HandMjcfConfig()))
    return chain.to(dtype=dtype, device=device)
