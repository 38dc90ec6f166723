"""Force closure energies: plain DFC and the LP-rescaled form (DexGraspNet 3.0), batched in torch.

Contacts push along the inward object normal (the frictionless view DFC takes). The wrench matrix W (B, 6, F)
has one column per contact: the force direction c = -n and its torque (x - centre) x c / L, where L
(``torque_length``) makes forces and torques weigh alike.

- DFC (Liu et al. 2021): every contact pushes with magnitude 1; E = ||W 1||.
- LP: magnitudes f are free in [f_min, 1] (forces >= 0, max force 1; f_min keeps every contact of the style
  engaged). The LP  min ||W f||_1  over that box is solved per grasp by a batched log-barrier interior-point
  method (a dozen unknowns, 10-15 Newton steps). A pose whose residual is below ``stable`` can already be
  balanced: it gets the rescaled energy E = ||W f*||, which no longer asks the contacts to push equally hard
  (more natural grasps); the others keep DFC, whose equal forces pull the contacts into opposition.

Gradients: f* is held fixed (Danskin: the optimal value's derivative in W equals the objective's derivative at
f*, since the box constraints do not depend on the pose).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


def wrench_matrix(points: torch.Tensor, normals: torch.Tensor, centre: torch.Tensor,
                  torque_length: float = 0.05) -> torch.Tensor:
    """(B, 6, F) unit-force wrenches of contacts at points (B, F, 3) pushing against outward normals (B, F, 3)."""
    force = -normals
    torque = torch.linalg.cross(points - centre, force, dim=-1) / torque_length
    return torch.cat([force, torque], dim=-1).transpose(1, 2)


def dfc_energy(wrenches: torch.Tensor) -> torch.Tensor:
    """(B,) differentiable force closure ||W 1||: net wrench of unit contact forces."""
    return torch.linalg.vector_norm(wrenches.sum(dim=-1), dim=-1)


def _mv(m: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    return (m @ v.unsqueeze(-1)).squeeze(-1)


def _max_step(x: torch.Tensor, dx: torch.Tensor) -> torch.Tensor:
    """Largest step in [0, 1] keeping x + step * dx >= 0, per batch row."""
    ratio = torch.where(dx < 0, -x / dx, torch.full_like(x, float("inf")))
    return torch.clamp(ratio.min(-1).values, max=1.0)


def _newton_direction(state: tuple[torch.Tensor, ...], r_comp: torch.Tensor,
                      ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Primal, slack and dual steps of the reduced KKT system (A' diag(dual / slack) A) dz = rhs."""
    a, factor, r_dual, r_primal, slack, dual = state
    rhs = -r_dual + _mv(a.transpose(1, 2), (r_comp - dual * r_primal) / slack)
    dz = torch.cholesky_solve(rhs.unsqueeze(-1), factor).squeeze(-1)
    ds = -r_primal - _mv(a, dz)
    return dz, ds, (-r_comp - dual * ds) / slack


@torch.no_grad()
def solve_force_lp(wrenches: torch.Tensor, min_force: float = 0.2, max_force: float = 1.0,
                   tolerance: float = 1e-7, max_iterations: int = 40) -> tuple[torch.Tensor, torch.Tensor]:
    """Contact force magnitudes f (B, F) minimizing ||W f||_1 with min_force <= f <= max_force, and the residual.

    The LP  min 1's  s.t.  -s <= W f <= s,  f in the box, solved for the whole batch at once by Mehrotra's
    primal-dual interior-point method (float64; typically 10-15 iterations of one 12 x 12 Cholesky each).
    """
    w = wrenches.detach().to(torch.float64)
    batch, rows, count = w.shape
    eye_f = torch.eye(count, dtype=w.dtype, device=w.device).expand(batch, count, count)
    eye_s = torch.eye(rows, dtype=w.dtype, device=w.device).expand(batch, rows, rows)
    zeros = torch.zeros(batch, count, rows, dtype=w.dtype, device=w.device)
    a = torch.cat([torch.cat([w, -eye_s], -1), torch.cat([-w, -eye_s], -1),
                   torch.cat([-eye_f, zeros], -1), torch.cat([eye_f, zeros], -1)], dim=1)  # (B, K, n)
    at = a.transpose(1, 2)
    b = torch.cat([w.new_zeros(batch, 2 * rows), w.new_full((batch, count), -min_force),
                   w.new_full((batch, count), max_force)], dim=1)
    cost = torch.cat([w.new_zeros(count), w.new_ones(rows)]).expand(batch, -1)
    f = w.new_full((batch, count), 0.5 * (min_force + max_force))
    z = torch.cat([f, (w @ f.unsqueeze(-1)).squeeze(-1).abs() + 1.0], dim=-1)
    slack = b - (a @ z.unsqueeze(-1)).squeeze(-1)  # > 0: a strictly feasible start
    dual = torch.ones_like(slack)
    constraints = a.shape[1]

    for _ in range(max_iterations):
        gap = (slack * dual).sum(-1) / constraints
        r_dual = cost + _mv(at, dual)
        r_primal = _mv(a, z) + slack - b
        active = (gap >= tolerance) | (r_dual.abs().amax(-1) >= 1e3 * tolerance)
        if not bool(active.any()):
            break
        scale = (dual / slack).clamp(1e-12, 1e12)  # converged grasps get extreme ratios; keep H well posed
        hess = at @ (a * scale.unsqueeze(-1)) + 1e-12 * torch.eye(a.shape[-1], dtype=w.dtype, device=w.device)
        factor, info = torch.linalg.cholesky_ex(hess)
        failed = info != 0  # numerically singular at the very end: keep the current (converged) iterate
        active = active & ~failed
        factor = torch.where(failed[:, None, None], torch.eye(a.shape[-1], dtype=w.dtype, device=w.device), factor)

        state = (a, factor, r_dual, r_primal, slack, dual)
        dz, ds, dl = _newton_direction(state, slack * dual)  # predictor (affine scaling)
        ap, ad = _max_step(slack, ds), _max_step(dual, dl)
        gap_aff = ((slack + ap[:, None] * ds) * (dual + ad[:, None] * dl)).sum(-1) / constraints
        sigma = (gap_aff / gap.clamp_min(1e-300)) ** 3
        dz, ds, dl = _newton_direction(state, slack * dual + ds * dl - (sigma * gap)[:, None])  # corrector
        ap, ad = 0.99 * _max_step(slack, ds) * active, 0.99 * _max_step(dual, dl) * active
        z, slack = z + ap[:, None] * dz, slack + ap[:, None] * ds
        dual = dual + ad[:, None] * dl
    forces = z[:, :count].clamp(min_force, max_force)
    residual = torch.linalg.vector_norm(w @ forces.unsqueeze(-1), ord=1, dim=(-2, -1))
    return forces.to(wrenches.dtype), residual.to(wrenches.dtype)


@dataclass
class ForceClosure:
    """Per grasp: the energy, whether the LP found it stable, the LP forces and residual."""

    energy: torch.Tensor  # (B,)
    stable: torch.Tensor  # (B,) bool
    forces: torch.Tensor  # (B, F)
    residual: torch.Tensor  # (B,)


def force_closure_energy(points: torch.Tensor, normals: torch.Tensor, centre: torch.Tensor, *,
                         min_force: float = 0.2, stable: float = 0.15, torque_length: float = 0.05,
                         use_lp: bool = True) -> ForceClosure:
    """LP-based force closure of contacts (B, F, 3) with outward object normals (B, F, 3) (module docstring).

    use_lp=False gives plain DFC for every grasp (the baseline).
    """
    w = wrench_matrix(points, normals, centre, torque_length)
    dfc = dfc_energy(w)
    if not use_lp:
        zeros = torch.zeros_like(dfc)
        return ForceClosure(dfc, torch.zeros_like(dfc, dtype=torch.bool), torch.ones_like(w[:, 0]), zeros)
    forces, residual = solve_force_lp(w, min_force)
    rescaled = torch.linalg.vector_norm((w * forces.unsqueeze(1)).sum(-1), dim=-1)
    is_stable = residual < stable
    return ForceClosure(torch.where(is_stable, rescaled, dfc), is_stable, forces, residual)
