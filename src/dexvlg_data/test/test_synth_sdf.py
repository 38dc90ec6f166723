"""Object distance for synthesis: exact point-triangle queries, the torch grid, the union of convex pieces."""

import numpy as np
import pytest
import torch
import trimesh

from dexvlg_core.triangles import closest_point_on_triangles
from dexvlg_data.synth.config import SDFConfig
from dexvlg_data.synth.sdf import ConvexUnion, MeshDistance, ObjectSDF

HALF = np.array([0.03, 0.02, 0.04])


def box_sdf(points: np.ndarray, half: np.ndarray = HALF) -> np.ndarray:
    """Analytic signed distance of an axis-aligned box centred at the origin (positive outside)."""
    q = np.abs(points) - half
    return np.linalg.norm(np.maximum(q, 0.0), axis=-1) + np.minimum(q.max(axis=-1), 0.0)


def test_closest_point_on_triangles_matches_brute_force():
    rng = np.random.default_rng(0)
    n = 300
    a, b, c, p = (rng.normal(size=(n, 3)) for _ in range(4))
    closest, _ = closest_point_on_triangles(p, a, b, c)
    # brute force over a dense barycentric grid of each triangle
    s = np.linspace(0.0, 1.0, 81)
    u, v = np.meshgrid(s, s, indexing="ij")
    keep = (u + v) <= 1.0
    u, v = u[keep], v[keep]
    grid = a[:, None] + u[None, :, None] * (b - a)[:, None] + v[None, :, None] * (c - a)[:, None]
    brute = np.linalg.norm(grid - p[:, None], axis=-1).min(axis=1)
    exact = np.linalg.norm(closest - p, axis=-1)
    assert np.all(exact <= brute + 1e-12)
    assert np.all(brute - exact < 0.05)  # the grid's own resolution


def test_mesh_distance_is_exact_on_a_box():
    mesh = trimesh.creation.box(extents=2 * HALF)
    points = np.random.default_rng(1).uniform(-0.08, 0.08, (4000, 3))
    distance, normal, closest = MeshDistance(mesh).query(points)
    np.testing.assert_allclose(distance, box_sdf(points), atol=1e-9)
    np.testing.assert_allclose(np.linalg.norm(normal, axis=1), 1.0, atol=1e-9)
    np.testing.assert_allclose(np.linalg.norm(points - closest, axis=1), np.abs(distance), atol=1e-9)


@pytest.fixture(scope="module")
def box_grid() -> ObjectSDF:
    return ObjectSDF.build(trimesh.creation.box(extents=2 * HALF), SDFConfig(cell=0.002, margin=0.02))


def test_grid_is_accurate_near_the_surface(box_grid):
    rng = np.random.default_rng(2)
    surface, _ = trimesh.sample.sample_surface(trimesh.creation.box(extents=2 * HALF), 3000, seed=2)
    points = surface + rng.normal(0.0, 0.005, surface.shape)
    distance, normal = box_grid(torch.tensor(points, dtype=torch.float32))
    error = np.abs(distance.numpy() - box_sdf(points))
    assert error.max() < 1.5e-3 and error.mean() < 1e-4
    far = np.abs(box_sdf(points)) > 0.002
    assert np.all(np.sign(distance.numpy()[far]) == np.sign(box_sdf(points)[far]))
    np.testing.assert_allclose(torch.linalg.vector_norm(normal, dim=-1).numpy(), 1.0, atol=1e-5)


def test_grid_gradient_points_outwards_and_far_points_feel_the_object(box_grid):
    points = torch.tensor([[0.045, 0.0, 0.0], [0.0, 0.0, -0.055], [0.5, 0.0, 0.0]], requires_grad=True)
    distance, normal = box_grid(points)
    distance.sum().backward()
    np.testing.assert_allclose(points.grad[:2].numpy(), [[1, 0, 0], [0, 0, -1]], atol=1e-3)
    np.testing.assert_allclose(normal[:2].detach().numpy(), [[1, 0, 0], [0, 0, -1]], atol=1e-3)
    assert distance[2].item() == pytest.approx(0.47, abs=1e-3)  # beyond the grid: box distance added


def test_convex_union_inside_test_and_distance():
    a = trimesh.creation.box(extents=(0.06, 0.02, 0.02))
    b = trimesh.creation.box(extents=(0.02, 0.06, 0.02))
    union = ConvexUnion([a.vertices, b.vertices])
    inside = union.contains(np.array([[0.025, 0.0, 0.0], [0.0, 0.025, 0.0], [0.025, 0.025, 0.0]]))
    assert inside.tolist() == [True, True, False]
    sdf = ObjectSDF.build(union, SDFConfig(cell=0.002, margin=0.01))
    distance, _ = sdf(torch.tensor([[0.025, 0.025, 0.0], [0.0, 0.0, 0.0]]))
    assert distance[0].item() == pytest.approx(0.015, abs=1e-3)  # to the nearer arm
    assert distance[1].item() == pytest.approx(-0.01, abs=1e-3)


def test_distance_alone_equals_the_distance_of_a_full_query_value_and_gradient(box_grid):
    rng = np.random.default_rng(5)
    points = torch.tensor(rng.normal(0.0, 0.06, (7, 40, 3)), dtype=torch.float32)  # inside, near and beyond
    points[0, 0] = torch.tensor([0.5, -0.3, 0.2])
    full_points, alone_points = points.clone().requires_grad_(True), points.clone().requires_grad_(True)
    full = box_grid(full_points)[0]
    alone = box_grid.distance(alone_points)
    assert alone.shape == (7, 40)
    torch.testing.assert_close(alone, full)
    full.sum().backward()
    alone.sum().backward()
    torch.testing.assert_close(alone_points.grad, full_points.grad)
