"""Batched gradient-based grasp search: Adam over wrist position, wrist rotation (6D) and joints.

The step sizes decay exponentially (lr * lr_final_fraction ** (t / T)); during the first ``noise_until`` of the
iterations the joints also get Gaussian noise shrinking linearly to zero (a cheap Langevin-style exploration, as
DexGraspNet's annealed MCMC does with its temperature). Joints are projected onto their limits after every step.
Deterministic for a given initialization and generator.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from pytorch_kinematics.transforms import matrix_to_rotation_6d, rotation_6d_to_matrix

from dexvlg_data.synth.config import OptimizerConfig

EnergyFn = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], dict[str, torch.Tensor]]


@dataclass
class OptimizationResult:
    """Optimized hands (object frame) and their energies, per grasp."""

    root_pos: np.ndarray  # (B, 3)
    root_rot: np.ndarray  # (B, 3, 3)
    joints: np.ndarray  # (B, 22)
    energy: dict[str, np.ndarray]  # term -> (B,) at the end
    initial_energy: dict[str, np.ndarray]  # term -> (B,) at the start
    history: np.ndarray = field(default_factory=lambda: np.zeros(0))  # mean total energy per iteration
    seconds: float = 0.0


def _numpy(terms: dict[str, torch.Tensor]) -> dict[str, np.ndarray]:
    return {k: v.detach().double().numpy() for k, v in terms.items()}


def optimize(energy: EnergyFn, root_pos: np.ndarray, root_rot: np.ndarray, joints: np.ndarray,
             lower: torch.Tensor, upper: torch.Tensor, config: OptimizerConfig | None = None,
             generator: torch.Generator | None = None, dtype: torch.dtype = torch.float32) -> OptimizationResult:
    """Minimize ``energy(pos, rot, q)["total"]`` for every hand of the batch from the given start."""
    config = config or OptimizerConfig()
    start = time.perf_counter()
    pos = torch.tensor(root_pos, dtype=dtype, requires_grad=True)
    rot6 = matrix_to_rotation_6d(torch.as_tensor(root_rot, dtype=dtype)).detach().requires_grad_(True)
    q = torch.tensor(joints, dtype=dtype).clamp(lower, upper).requires_grad_(True)
    adam = torch.optim.Adam([
        {"params": [pos], "lr": config.lr_position},
        {"params": [rot6], "lr": config.lr_rotation},
        {"params": [q], "lr": config.lr_joints},
    ], betas=config.betas)
    base = [group["lr"] for group in adam.param_groups]
    steps = max(1, config.iterations)
    noisy = int(config.noise_until * steps)
    history, initial = [], None
    for t in range(steps):
        decay = config.lr_final_fraction ** (t / max(1, steps - 1))
        for group, lr in zip(adam.param_groups, base, strict=True):
            group["lr"] = lr * decay
        terms = energy(pos, rotation_6d_to_matrix(rot6), q)
        if initial is None:
            initial = _numpy(terms)
        history.append(float(terms["total"].detach().mean()))
        adam.zero_grad(set_to_none=True)
        terms["total"].sum().backward()
        adam.step()
        with torch.no_grad():
            if t < noisy and config.noise_joints > 0:
                scale = config.noise_joints * (1.0 - t / noisy)
                q.add_(scale * torch.randn(q.shape, generator=generator, dtype=dtype))
            q.copy_(torch.maximum(torch.minimum(q, upper), lower))
    with torch.no_grad():
        rot = rotation_6d_to_matrix(rot6)
        final = _numpy(energy(pos, rot, q))
    return OptimizationResult(pos.detach().double().numpy(), rot.double().numpy(), q.detach().double().numpy(),
                              final, initial or final, np.asarray(history), time.perf_counter() - start)
