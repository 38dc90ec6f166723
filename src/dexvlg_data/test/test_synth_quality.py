"""Q1: positive for contacts that enclose an object, zero without force closure, grows with friction."""

import numpy as np
import pytest
import torch
from scipy.spatial import ConvexHull

from dexvlg_data.synth.force_closure import cone_wrenches
from dexvlg_data.synth.quality import q1_metric

FACES = np.array([[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]], dtype=float)


def test_six_face_contacts_on_a_cube_are_in_force_closure():
    points, normals = 0.03 * FACES, FACES
    q = q1_metric(points, normals, mu=0.1)
    assert q > 0.02  # face-centred contacts resist torque only through friction
    assert q1_metric(points, normals, mu=0.5) > q  # more friction, a bigger wrench space
    # Torques about the contacts' centroid with unit mean arms: the same grasp at any scale scores the same.
    assert q1_metric(10.0 * points + 1.0, normals, mu=0.5) == pytest.approx(q1_metric(points, normals, mu=0.5))


def test_contacts_on_one_side_or_frictionless_pair_have_no_closure():
    one_side = np.array([[0.03, y, z] for y in (-0.01, 0.01) for z in (-0.01, 0.01)])
    assert q1_metric(one_side, np.tile(FACES[0], (4, 1)), mu=0.3) == 0.0
    pair = 0.03 * FACES[:2]
    assert q1_metric(pair, FACES[:2], mu=0.0) == 0.0
    assert q1_metric(pair[:1], FACES[:1]) == 0.0  # a single contact


def test_joggled_hull_gives_the_exact_hulls_q1():
    """q1_metric joggles qhull's input for speed: the value must stay that of the unjoggled hull, and contacts
    whose wrench hull has the origin on its boundary (closure lost by a hair) must still score exactly 0."""
    rng = np.random.default_rng(3)
    for k in (3, 6, 12):
        points = rng.normal(size=(k, 3)) * 0.03
        normals = points / np.linalg.norm(points, axis=1, keepdims=True)
        centre = points.mean(axis=0)
        arm = float(np.linalg.norm(points - centre, axis=1).mean())
        wrenches = cone_wrenches(torch.from_numpy(points)[None], torch.from_numpy(normals)[None],
                                 torch.from_numpy(centre), 0.3, 8, arm)[0].T.numpy()
        exact = ConvexHull(np.vstack([wrenches, np.zeros((1, 6))]))  # qhull's default: exact merged facets
        offsets = -exact.equations[:, -1] / np.linalg.norm(exact.equations[:, :-1], axis=1)
        assert q1_metric(points, normals) == pytest.approx(max(0.0, offsets.min()), abs=1e-8)
    # Two opposite contacts with friction: the wrench set is flat in torque about their axis (origin on the hull).
    assert q1_metric(0.03 * FACES[:2], FACES[:2], mu=0.3) == 0.0


@pytest.fixture(scope="module")
def block_grasps():
    """Optimized (not validated) wrap grasps on the top half of a 6 x 6 x 12 cm block, and the block."""
    import trimesh

    from dexvlg_core.sim import DecompositionConfig
    from dexvlg_data.objects.part_object import PartObject
    from dexvlg_data.synth import OptimizerConfig, SDFConfig, SynthConfig, prepare_object, synthesize

    mesh = trimesh.creation.box(extents=(0.06, 0.06, 0.12)).subdivide().subdivide()
    labels = (mesh.triangles_center[:, 2] > 0).astype(np.int32)
    block = PartObject("block-0", "block", mesh, labels, ("base", "top"), np.array([[200, 120, 40], [40, 120, 200]]))
    config = SynthConfig(batch_size=6, sdf=SDFConfig(cell=0.003), optimizer=OptimizerConfig(iterations=40))
    target = prepare_object(block, config, DecompositionConfig(method="hull"))
    return synthesize(target, "top", "wrap", config, seed=3).grasps, target


def test_link_contacts_lie_on_the_surface_and_fingertips_are_their_distal_subset(block_grasps):
    from dexvlg_data.synth.quality import TIP_LINKS, grasp_q1, link_contacts

    grasps, target = block_grasps
    touching = palm_or_phalanx = 0
    for grasp in grasps:
        names, points, normals = link_contacts(grasp, target)
        tip_names, tip_points, tip_normals = link_contacts(grasp, target, tips_only=True)
        touching += len(names)
        palm_or_phalanx += len(names) - len(tip_names)
        assert set(tip_names) == {name for name in names if name in TIP_LINKS}
        keep = [names.index(name) for name in tip_names]
        np.testing.assert_allclose(tip_points, points[keep])
        np.testing.assert_allclose(np.linalg.norm(normals, axis=1), 1.0, atol=1e-9)
        # Projected onto the surface: within a grid cell of it, not 5 mm off.
        distance, _ = target.sdf(torch.as_tensor(points, dtype=target.sdf.dtype))
        assert np.all(np.abs(distance.numpy()) < 0.002)
        # The fingertips' wrench space is a subset of all links', so their Q1 cannot be larger.
        assert grasp_q1(grasp, target, tips_only=True) <= grasp_q1(grasp, target) + 1e-12
        assert grasp_q1(grasp, target, tips_only=True) == q1_metric(tip_points, tip_normals)
    assert touching >= 2 * len(grasps)  # optimized wraps touch the block with several links each
    assert palm_or_phalanx > 0  # so that keeping the fingertips alone drops some


def test_q1_of_a_batch_of_hands_equals_each_grasps_own(block_grasps):
    from dexvlg_data.synth import hand_model
    from dexvlg_data.synth.quality import grasp_q1, hands_q1

    grasps, target = block_grasps
    batch = hands_q1(hand_model(), target, np.stack([g.position for g in grasps]),
                     np.stack([g.rotation for g in grasps]), np.stack([g.joints for g in grasps]))
    np.testing.assert_allclose(batch, [grasp_q1(g, target) for g in grasps], rtol=1e-9, atol=1e-12)
    assert (batch > 0).any()
