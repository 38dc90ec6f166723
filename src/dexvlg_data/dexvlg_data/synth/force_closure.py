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

With friction (``friction`` > 0) each contact may push anywhere in its Coulomb cone, linearized by ``edges``
unit-normal-force edge directions n_in + mu (cos a t1 + sin a t2); the LP then solves for edge magnitudes g >= 0
whose per-contact sums (the normal forces) lie in the box. This is the closure the simulator tests (its friction
is 0.6; a lower mu leaves a margin): without it a cylinder, whose normals never point along its axis, can never be
closed, and the optimizer chases an unreachable frictionless target. A contact's box may be scaled by a ``gate``
in (0, 1] (the energy gates by distance, so a palm hovering 1 cm off cannot be counted on to push); a pose counts
as stable only if at least ``min_contacts`` contacts are fully gated in.

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


def cone_wrenches(points: torch.Tensor, normals: torch.Tensor, centre: torch.Tensor, friction: float,
                  edges: int = 8, torque_length: float = 0.05) -> torch.Tensor:
    """(B, 6, F * E) wrenches of each contact's E friction-cone edges (unit normal force each), contact-major."""
    inward = -torch.nn.functional.normalize(normals, dim=-1)
    helper = torch.where(inward[..., :1].abs() < 0.9, inward.new_tensor([1.0, 0.0, 0.0]),
                         inward.new_tensor([0.0, 1.0, 0.0]))
    t1 = torch.nn.functional.normalize(torch.linalg.cross(inward, helper, dim=-1), dim=-1)
    t2 = torch.linalg.cross(inward, t1, dim=-1)
    angles = 2.0 * torch.pi * torch.arange(edges, dtype=points.dtype) / edges
    force = inward.unsqueeze(2) + friction * (torch.cos(angles)[:, None] * t1.unsqueeze(2)
                                              + torch.sin(angles)[:, None] * t2.unsqueeze(2))  # (B, F, E, 3)
    torque = torch.linalg.cross((points - centre).unsqueeze(2).expand_as(force), force, dim=-1) / torque_length
    batch, count = points.shape[:2]
    return torch.cat([force, torque], dim=-1).reshape(batch, count * edges, 6).transpose(1, 2)


@torch.no_grad()
def solve_force_lp(wrenches: torch.Tensor, min_force: float = 0.2, max_force: float = 1.0, edges: int = 1,
                   gate: torch.Tensor | None = None, tolerance: float = 1e-7, max_iterations: int = 40,
                   ) -> tuple[torch.Tensor, torch.Tensor]:
    """Contact forces minimizing ||W g||_1 with every contact's normal force in [min_force, max_force], and the
    residual.

    wrenches (B, 6, F * edges): one column per contact (edges=1, frictionless) or per friction-cone edge of each
    contact (cone_wrenches). gate (B, F) in (0, 1] scales each contact's box. Returns the per-edge magnitudes
    (B, F * edges; with edges=1 the contact forces) and the residual (B,). The LP  min 1's  s.t.
    -s <= W g <= s, g >= 0, box on the per-contact sums, is solved for the whole batch at once by Mehrotra's
    primal-dual interior-point method (float64; typically 10-20 iterations of one small Cholesky each).
    """
    w = wrenches.detach().to(torch.float64)
    batch, rows, columns = w.shape
    count = columns // edges
    kw = {"dtype": w.dtype, "device": w.device}
    sums = torch.repeat_interleave(torch.eye(count, **kw), edges, dim=1).expand(batch, count, columns)
    scale = (torch.ones(batch, count, **kw) if gate is None else gate.detach().to(torch.float64))
    eye_s = torch.eye(rows, **kw).expand(batch, rows, rows)
    zeros_c = torch.zeros(batch, count, rows, **kw)
    blocks = [torch.cat([w, -eye_s], -1), torch.cat([-w, -eye_s], -1),
              torch.cat([-sums, zeros_c], -1), torch.cat([sums, zeros_c], -1)]
    bounds = [w.new_zeros(batch, 2 * rows), -min_force * scale, max_force * scale]
    if edges > 1:  # edge magnitudes >= 0 (with one column per contact the lower bound already says so)
        blocks.append(torch.cat([-torch.eye(columns, **kw).expand(batch, columns, columns),
                                 torch.zeros(batch, columns, rows, **kw)], -1))
        bounds.append(w.new_zeros(batch, columns))
    a = torch.cat(blocks, dim=1)  # (B, K, n)
    at = a.transpose(1, 2)
    b = torch.cat(bounds, dim=1)
    cost = torch.cat([w.new_zeros(columns), w.new_ones(rows)]).expand(batch, -1)
    g = (0.5 * (min_force + max_force) * scale / edges).repeat_interleave(edges, dim=1)
    z = torch.cat([g, (w @ g.unsqueeze(-1)).squeeze(-1).abs() + 1.0], dim=-1)
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
        ratio = (dual / slack).clamp(1e-12, 1e12)  # converged grasps get extreme ratios; keep H well posed
        hess = at @ (a * ratio.unsqueeze(-1)) + 1e-12 * torch.eye(a.shape[-1], **kw)
        factor, info = torch.linalg.cholesky_ex(hess)
        failed = info != 0  # numerically singular at the very end: keep the current (converged) iterate
        active = active & ~failed
        factor = torch.where(failed[:, None, None], torch.eye(a.shape[-1], **kw), factor)

        state = (a, factor, r_dual, r_primal, slack, dual)
        dz, ds, dl = _newton_direction(state, slack * dual)  # predictor (affine scaling)
        ap, ad = _max_step(slack, ds), _max_step(dual, dl)
        gap_aff = ((slack + ap[:, None] * ds) * (dual + ad[:, None] * dl)).sum(-1) / constraints
        sigma = (gap_aff / gap.clamp_min(1e-300)) ** 3
        dz, ds, dl = _newton_direction(state, slack * dual + ds * dl - (sigma * gap)[:, None])  # corrector
        ap, ad = 0.99 * _max_step(slack, ds) * active, 0.99 * _max_step(dual, dl) * active
        z, slack = z + ap[:, None] * dz, slack + ap[:, None] * ds
        dual = dual + ad[:, None] * dl
    g = z[:, :columns].clamp_min(0.0)
    if edges == 1:
        g = torch.minimum(torch.maximum(g, min_force * scale), max_force * scale)
    residual = torch.linalg.vector_norm(w @ g.unsqueeze(-1), ord=1, dim=(-2, -1))
    return g.to(wrenches.dtype), residual.to(wrenches.dtype)


@dataclass
class ForceClosure:
    """Per grasp: the energy, whether the LP found it stable, the LP forces and residual."""

    energy: torch.Tensor  # (B,)
    stable: torch.Tensor  # (B,) bool
    forces: torch.Tensor  # (B, F)
    residual: torch.Tensor  # (B,)
    edge_forces: torch.Tensor | None = None  # (B, F * edges) the LP solution (None for plain DFC)


def force_closure_energy(points: torch.Tensor, normals: torch.Tensor, centre: torch.Tensor, *,
                         min_force: float = 0.2, stable: float = 0.15, torque_length: float = 0.05,
                         use_lp: bool = True, friction: float = 0.0, edges: int = 8,
                         gate: torch.Tensor | None = None, min_contacts: int = 2,
                         solution: tuple[torch.Tensor, torch.Tensor] | None = None) -> ForceClosure:
    """LP-based force closure of contacts (B, F, 3) with outward object normals (B, F, 3) (module docstring).

    use_lp=False gives plain DFC for every grasp (the baseline). friction > 0: contacts push within linearized
    friction cones; gate (B, F) in (0, 1] scales each contact's force box, and a pose with fewer than
    ``min_contacts`` fully gated contacts is never stable. ``forces`` are the contacts' normal forces.
    solution: (per-edge magnitudes, residual) of an earlier solve (ForceClosure.edge_forces, .residual) to use
    instead of solving the LP again: an optimizer's pose moves little between steps, and the LP is a fifth of
    a step.
    """
    w = wrench_matrix(points, normals, centre, torque_length)
    dfc = dfc_energy(w)
    if not use_lp:
        zeros = torch.zeros_like(dfc)
        return ForceClosure(dfc, torch.zeros_like(dfc, dtype=torch.bool), torch.ones_like(w[:, 0]), zeros)
    if friction > 0.0:
        w_lp, per = cone_wrenches(points, normals, centre, friction, edges, torque_length), edges
    else:
        w_lp, per = w, 1
    g, residual = solution if solution is not None else solve_force_lp(w_lp, min_force, edges=per, gate=gate)
    rescaled = torch.linalg.vector_norm((w_lp * g.unsqueeze(1)).sum(-1), dim=-1)
    is_stable = residual < stable
    if gate is not None:
        is_stable = is_stable & ((gate >= 1.0).sum(-1) >= min_contacts)
    forces = g.reshape(g.shape[0], -1, per).sum(-1)
    return ForceClosure(torch.where(is_stable, rescaled, dfc), is_stable, forces, residual, g)
