"""Synthesis energies on hand-made cases: each term zero where it should be, positive where it should bite."""

import numpy as np
import pytest
import torch
from scipy.optimize import linprog

from dexvlg_core.hand.joints import JOINT_NAMES
from dexvlg_data.synth.context import hand_model
from dexvlg_data.synth.energy import (
    barrier_energy,
    direction_energy,
    fingertip_distance_energy,
    hand_in_object_energy,
    hull_penetration_energy,
    hull_screen,
    joint_limit_energy,
    palm_distance_energy,
    penetrating_distance,
    penetration_energy,
    self_penetration_energy,
    sphere_penetration_energy,
)
from dexvlg_data.synth.force_closure import dfc_energy, force_closure_energy, solve_force_lp, wrench_matrix

CENTRE = torch.zeros(3)


def test_penetration_zero_when_apart_positive_when_inside():
    far = torch.tensor([[0.02, 0.05, 0.001]])  # SDF of three hand points: all outside
    inside = torch.tensor([[0.02, -0.003, -0.001]])
    assert hand_in_object_energy(far).item() == 0.0
    assert hand_in_object_energy(inside).item() == pytest.approx(0.004)
    radii = torch.tensor([0.01, 0.008])
    assert sphere_penetration_energy(torch.tensor([[0.02, 0.05]]), radii).item() == 0.0
    assert sphere_penetration_energy(torch.tensor([[0.007, 0.05]]), radii).item() == pytest.approx(0.003)
    total = penetration_energy(inside, torch.tensor([[0.007, 0.05]]), radii)
    assert total.item() == pytest.approx(0.007)
    # the margin keeps points just outside the surface from counting as free
    assert hand_in_object_energy(torch.tensor([[0.0005]]), margin=0.001).item() == pytest.approx(0.0005)


def test_a_thin_rod_through_the_forearm_is_deep_in_its_hull_though_no_hand_sample_is():
    from dexvlg_core.hand.joints import LINK_NAMES
    from dexvlg_data.synth.context import forearm_planes

    hand = hand_model()
    planes = forearm_planes(hand)
    poses = hand.forward_kinematics(torch.zeros(1, len(JOINT_NAMES)))
    f = LINK_NAMES.index("rh_forearm")
    # A 1 cm rod across the forearm's middle, along the forearm's x.
    centre = poses.rot[0, f] @ torch.tensor([0.0, 0.01, 0.15]) + poses.pos[0, f]
    axis = poses.rot[0, f] @ torch.tensor([1.0, 0.0, 0.0])
    rod = centre + torch.linspace(-0.1, 0.1, 201)[:, None] * axis
    local = (rod[None] - poses.pos[:, f, None]) @ poses.rot[:, f]
    depth = -(local @ planes[:, :3].T - planes[:, 3]).amax(-1)
    # The rod's middle is centimetres inside the hull, where no hand sample inside a 5 mm rod is deeper than 5 mm.
    assert depth.max().item() > 0.04
    assert hull_penetration_energy(local, planes).item() == pytest.approx(torch.relu(depth).sum().item())
    # Gradient: moving the forearm off the rod lowers it; far away it is zero.
    shift = torch.zeros(3, requires_grad=True)
    moved = ((rod + shift)[None] - poses.pos[:, f, None]) @ poses.rot[:, f]
    hull_penetration_energy(moved, planes).backward()
    assert shift.grad.norm() > 0
    far = ((rod + 1.0)[None] - poses.pos[:, f, None]) @ poses.rot[:, f]
    assert hull_penetration_energy(far, planes).item() == 0.0


def test_hull_penetration_has_the_value_and_gradient_of_the_max_over_all_planes():
    # The energy picks each point's nearest plane without autograd; the dense amax over every plane is the
    # definition it must reproduce, value and gradient, with points inside, near and outside the hull.
    from dexvlg_data.synth.context import forearm_planes

    planes = forearm_planes(hand_model())
    generator = torch.Generator().manual_seed(0)
    points = (torch.rand(3, 400, 3, generator=generator, dtype=torch.float64) - 0.5) * 0.3
    points[:, :, 2] += 0.1  # along the forearm: a part of the cloud lies inside its hull
    planes = planes.double()
    screen = hull_screen(planes)
    assert len(screen) == 8 and len(set(screen.tolist())) == 8
    for margin, screened in ((0.0, None), (0.001, None), (0.0, screen), (0.001, screen)):
        dense_points = points.clone().requires_grad_(True)
        signed = (dense_points @ planes[:, :3].T - planes[:, 3]).amax(dim=-1)
        dense = torch.relu(margin - signed).sum(-1)
        (dense * torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)).sum().backward()
        sparse_points = points.clone().requires_grad_(True)
        sparse = hull_penetration_energy(sparse_points, planes, margin, screened)
        (sparse * torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)).sum().backward()
        assert (dense > 0).all()  # every hand of the batch has points inside
        torch.testing.assert_close(sparse, dense, rtol=1e-12, atol=1e-15)
        torch.testing.assert_close(sparse_points.grad, dense_points.grad, rtol=1e-12, atol=1e-15)
        assert (sparse_points.grad.norm(dim=-1) > 0).sum() < points.shape[0] * points.shape[1]  # outside: no pull


def test_penetrating_distance_has_the_values_and_penetration_gradient_of_the_full_lookup():
    # Only points closer than the margin are looked up with autograd; the energy built on it must not notice.
    import trimesh

    from dexvlg_data.synth.config import SDFConfig
    from dexvlg_data.synth.sdf import ObjectSDF

    sdf = ObjectSDF.build(trimesh.creation.box(extents=(0.04, 0.04, 0.04)), SDFConfig(cell=0.003))
    generator = torch.Generator().manual_seed(0)
    points = (torch.rand(3, 500, 3, generator=generator) - 0.5) * 0.08  # inside, near and outside the box
    weights = torch.tensor([1.0, 2.0, 3.0])
    for margin in (0.0, 0.001):
        dense_points = points.clone().requires_grad_(True)
        dense = hand_in_object_energy(sdf.distance(dense_points), margin)
        (dense * weights).sum().backward()
        sparse_points = points.clone().requires_grad_(True)
        distance = penetrating_distance(sdf, sparse_points, margin)
        sparse = hand_in_object_energy(distance, margin)
        (sparse * weights).sum().backward()
        assert torch.equal(distance.detach(), sdf.distance(points))
        assert (dense > 0).all() and torch.equal(sparse, dense)
        assert torch.equal(sparse_points.grad, dense_points.grad)
        assert 0 < (sparse_points.grad.norm(dim=-1) > 0).sum() < points.shape[0] * points.shape[1]


def test_self_penetration_zero_for_open_hand_positive_for_crossed_fingers():
    hand = hand_model()
    q = torch.zeros(2, len(JOINT_NAMES))
    q[1, JOINT_NAMES.index("rh_FFJ4")] = 0.349  # index and middle spread into each other
    q[1, JOINT_NAMES.index("rh_MFJ4")] = -0.349
    energy = self_penetration_energy(hand.self_penetration(hand.forward_kinematics(q)))
    assert energy[0].item() == 0.0 and energy[1].item() > 0.005


def test_joint_limit_energy():
    lower, upper = torch.zeros(3), torch.ones(3)
    assert joint_limit_energy(torch.tensor([[0.0, 0.5, 1.0]]), lower, upper).item() == 0.0
    assert joint_limit_energy(torch.tensor([[-0.1, 0.5, 1.2]]), lower, upper).item() == pytest.approx(0.3)


def test_barrier_large_on_another_part_zero_far_from_it():
    other = torch.tensor([[0.0, 0.0, 0.0], [0.0, 0.01, 0.0]])
    on_other = torch.tensor([[[0.0, 0.0, 0.0005]]])
    near = torch.tensor([[[0.0, 0.0, 0.01]]])
    far = torch.tensor([[[0.0, 0.0, 0.05]]])
    values = [barrier_energy(p, other, distance=0.02).item() for p in (on_other, near, far)]
    assert values[0] > 3.0  # -log(0.025)
    assert values[0] > values[1] > 0.0
    assert values[2] == 0.0
    assert barrier_energy(on_other, other[:0]).item() == 0.0  # no other part at all
    assert barrier_energy(on_other, other, weights=torch.zeros(1, 1)).item() == 0.0


def test_distance_terms():
    assert fingertip_distance_energy(torch.tensor([[0.01, -0.002, 0.0]])).item() == pytest.approx(0.012)
    assert palm_distance_energy(torch.tensor([0.01]), target=0.01).item() == pytest.approx(0.0)
    assert palm_distance_energy(torch.tensor([0.03, 0.0]), target=0.01).tolist() == pytest.approx([0.02, 0.01])


def test_direction_energy_zero_when_pads_face_the_surface():
    object_normals = torch.tensor([[[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]])
    assert direction_energy(-object_normals, object_normals).item() == pytest.approx(0.0)
    assert direction_energy(object_normals, object_normals).item() == pytest.approx(4.0)


def _pinch(one_sided: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Two contacts on a 2 cm sphere: opposite sides (antipodal) or both on +x (one-sided touch)."""
    points = torch.tensor([[[0.02, 0.0, 0.0], [-0.02, 0.0, 0.0]]])
    normals = torch.tensor([[[1.0, 0.0, 0.0], [-1.0, 0.0, 0.0]]])
    if one_sided:
        points = torch.tensor([[[0.02, 0.0, 0.0], [0.0195, 0.004, 0.0]]])
        normals = torch.nn.functional.normalize(points, dim=-1)
    return points, normals


@pytest.mark.parametrize("use_lp", [True, False])
def test_force_closure_lower_for_antipodal_pinch_than_one_sided_touch(use_lp):
    antipodal = force_closure_energy(*_pinch(False), CENTRE, use_lp=use_lp)
    one_sided = force_closure_energy(*_pinch(True), CENTRE, use_lp=use_lp)
    assert antipodal.energy.item() < 1e-4
    assert one_sided.energy.item() > 1.0
    if use_lp:
        assert bool(antipodal.stable) and not bool(one_sided.stable)
        assert one_sided.residual.item() >= 2 * 0.2 - 1e-4  # both push +x with at least the minimum force


def test_lp_rescaled_form_accepts_unequal_forces_dfc_does_not():
    # A palm (normal -y) against two fingertips at 45 degrees: balanced with palm force 1 and tips 1/sqrt(2).
    s = 1.0 / np.sqrt(2.0)
    points = torch.tensor([[[0.0, -0.02, 0.0], [0.02 * s, 0.02 * s, 0.0], [-0.02 * s, 0.02 * s, 0.0]]])
    normals = torch.nn.functional.normalize(points, dim=-1)
    lp = force_closure_energy(points, normals, CENTRE, use_lp=True)
    assert bool(lp.stable) and lp.energy.item() < 1e-4
    forces = lp.forces[0].numpy()  # balanced forces are unique up to scale
    np.testing.assert_allclose(forces / forces[0], [1.0, s, s], atol=1e-3)
    assert dfc_energy(wrench_matrix(points, normals, CENTRE)).item() > 0.4


def test_force_lp_matches_scipy():
    rng = np.random.default_rng(0)
    points = torch.tensor(rng.normal(0.0, 0.03, (12, 5, 3)), dtype=torch.float32)
    normals = torch.nn.functional.normalize(torch.tensor(rng.normal(size=(12, 5, 3)), dtype=torch.float32), dim=-1)
    wrenches = wrench_matrix(points, normals, CENTRE)
    forces, residual = solve_force_lp(wrenches, min_force=0.2)
    assert torch.all(forces >= 0.2 - 1e-6) and torch.all(forces <= 1.0 + 1e-6)
    for w, r in zip(wrenches.double().numpy(), residual.double().numpy(), strict=True):
        a = np.block([[w, -np.eye(6)], [-w, -np.eye(6)]])
        bounds = [(0.2, 1.0)] * 5 + [(0, None)] * 6
        ref = linprog(np.r_[np.zeros(5), np.ones(6)], A_ub=a, b_ub=np.zeros(12), bounds=bounds)
        assert r == pytest.approx(ref.fun, abs=1e-4)


def test_force_closure_gradient_flows_to_contact_points():
    points, normals = _pinch(True)
    points = points.clone().requires_grad_(True)
    force_closure_energy(points, normals, CENTRE).energy.sum().backward()
    assert torch.isfinite(points.grad).all() and points.grad.abs().sum() > 0


def test_barrier_nearest_sample_by_tree_matches_all_pairs_value_and_gradient():
    from scipy.spatial import cKDTree

    from dexvlg_data.synth.energy import nearest_other

    rng = np.random.default_rng(3)
    other = torch.tensor(rng.normal(0.0, 0.02, (300, 3)))
    points = torch.tensor(rng.normal(0.0, 0.02, (4, 50, 3)), requires_grad=True)
    tree = cKDTree(other.numpy())
    exact = torch.cdist(points, other.expand(4, -1, -1)).min(dim=-1).values
    (grad_exact,) = torch.autograd.grad(exact.sum(), points)
    picked = nearest_other(points, other, tree)
    (grad_picked,) = torch.autograd.grad(picked.sum(), points)
    torch.testing.assert_close(picked, exact)
    torch.testing.assert_close(grad_picked, grad_exact)
    torch.testing.assert_close(barrier_energy(points, other, tree=tree), barrier_energy(points, other))


def test_weighted_barrier_searches_only_weighted_points_with_the_same_value_and_gradient():
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(4)
    other = torch.tensor(rng.normal(0.0, 0.02, (300, 3)))
    points = torch.tensor(rng.normal(0.0, 0.02, (5, 80, 3)), requires_grad=True)
    weights = torch.tensor((rng.random((5, 80)) < 0.2) * rng.random((5, 80)))
    weights[3] = 0.0  # a hand with no weighted point at all
    tree = cKDTree(other.numpy())
    dense = (-torch.log(torch.clamp(torch.cdist(points, other.expand(5, -1, -1)).min(dim=-1).values / 0.02,
                                    1e-3, 1.0)) * weights).sum(-1)
    (grad_dense,) = torch.autograd.grad(dense.sum(), points)
    sparse = barrier_energy(points, other, 0.02, 1e-3, weights, tree)
    (grad_sparse,) = torch.autograd.grad(sparse.sum(), points)
    torch.testing.assert_close(sparse, dense)
    torch.testing.assert_close(grad_sparse, grad_dense)
    assert sparse[3] == 0.0 and dense[0] > 0.0


def test_friction_cone_lp_matches_scipy_with_gated_contacts():
    from dexvlg_data.synth.force_closure import cone_wrenches

    rng = np.random.default_rng(1)
    count, edges = 4, 8
    points = torch.tensor(rng.normal(0.0, 0.03, (6, count, 3)))
    normals = torch.nn.functional.normalize(torch.tensor(rng.normal(size=(6, count, 3))), dim=-1)
    gate = torch.tensor(rng.uniform(0.1, 1.0, (6, count)))
    wrenches = cone_wrenches(points, normals, CENTRE.double(), 0.3, edges)
    forces, residual = solve_force_lp(wrenches, min_force=0.2, edges=edges, gate=gate)
    assert torch.all(forces >= -1e-9)
    sums = np.kron(np.eye(count), np.ones((1, edges)))
    for w, g, r in zip(wrenches.numpy(), gate.numpy(), residual.numpy(), strict=True):
        a = np.block([[w, -np.eye(6)], [-w, -np.eye(6)], [-sums, np.zeros((count, 6))], [sums, np.zeros((count, 6))]])
        b = np.r_[np.zeros(12), -0.2 * g, g]
        bounds = [(0, None)] * (count * edges + 6)
        ref = linprog(np.r_[np.zeros(count * edges), np.ones(6)], A_ub=a, b_ub=b, bounds=bounds)
        assert r == pytest.approx(ref.fun, abs=1e-5)


def test_friction_closes_a_two_finger_pinch_on_a_cylinder_that_frictionless_forces_cannot():
    # Two opposite contacts squeeze a cylinder along x; a push along the axis (z) needs friction.
    points = torch.tensor([[[0.02, 0.0, 0.0], [-0.02, 0.0, 0.0], [0.0, 0.02, 0.01]]])
    normals = torch.tensor([[[1.0, 0.0, 0.0], [-1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
    frictionless = force_closure_energy(points, normals, CENTRE, friction=0.0)
    with_friction = force_closure_energy(points, normals, CENTRE, friction=0.5)
    assert not bool(frictionless.stable) and bool(with_friction.stable)
    # A contact gated out (far from the surface) cannot be counted on: too few contacts left to be stable.
    gated = force_closure_energy(points, normals, CENTRE, friction=0.5, gate=torch.tensor([[1.0, 1.0, 1e-3]]),
                                 min_contacts=3)
    assert not bool(gated.stable)
