"""HandModel point sets: surface samples, contact candidates, front normals, keypoints, spheres."""

import mujoco
import numpy as np
import pytest
import torch

from dexvlg_core.hand import mjcf
from dexvlg_core.hand.geometry import (
    CONTACT_SETS,
    HandGeometryConfig,
    build_geometry,
    collision_primitives,
    convex_planes,
    primitive_sdf,
    visual_meshes,
)
from dexvlg_core.hand.joints import FINGERS, LINK_NAMES, joint_index, model_link_name, to_model
from dexvlg_core.hand.model import HandModel, HandModelConfig


@pytest.fixture(scope="module")
def hand() -> HandModel:
    return HandModel(dtype=torch.float64)


def _world_sdf(hand: HandModel, q: np.ndarray, points: np.ndarray, links: np.ndarray) -> np.ndarray:
    """Signed distance of world points to the union of their own link's MuJoCo collision geoms at q."""
    model, data = hand.mj_model, mujoco.MjData(hand.mj_model)
    data.qpos[mjcf.qpos_indices(model)] = to_model(q)
    mujoco.mj_kinematics(model, data)
    sdf = np.full(len(points), np.inf)
    for link in np.unique(links):
        body = model.body(model_link_name(LINK_NAMES[link])).id
        mine = links == link
        for geom in np.flatnonzero(model.geom_bodyid == body):
            if model.geom_group[geom] != mjcf.COLLISION_GROUP:
                continue
            local = (points[mine] - data.geom_xpos[geom]) @ data.geom_xmat[geom].reshape(3, 3)
            sdf[mine] = np.minimum(
                sdf[mine], primitive_sdf(model.geom_type[geom], model.geom_size[geom], local)
            )
    return sdf


def test_surface_points_lie_on_the_links_at_any_configuration(hand):
    q = hand.random_q(2, torch.Generator().manual_seed(0))
    points, normals = hand.surface_points(hand.forward_kinematics(q))
    assert points.shape == (2, 2048, 3) == normals.shape
    links = hand.surface_link.numpy()
    assert "rh_forearm" not in {LINK_NAMES[i] for i in links}
    for b in range(2):
        sdf = _world_sdf(hand, q[b].numpy(), points[b].numpy(), links)
        assert np.abs(sdf).max() < 1e-6
        # normals point out: a step along the normal leaves the link, a step against it enters
        out = _world_sdf(hand, q[b].numpy(), (points[b] + 1e-3 * normals[b]).numpy(), links)
        assert np.all(out > 0.0) and np.median(out) > 0.9e-3
    torch.testing.assert_close(
        torch.linalg.vector_norm(normals, dim=-1), torch.ones(2, 2048, dtype=torch.float64)
    )


def test_sampling_is_deterministic_and_seeded(hand):
    again = build_geometry(hand.mj_model, HandGeometryConfig())
    np.testing.assert_array_equal(again.surface.points, hand.geometry.surface.points)
    other = build_geometry(hand.mj_model, HandGeometryConfig(seed=1))
    assert not np.allclose(other.surface.points, hand.geometry.surface.points)


def test_visual_surface_points_lie_on_the_stl_meshes(hand):
    geometry = build_geometry(hand.mj_model, HandGeometryConfig(surface_source="visual", surface_points=300))
    meshes = visual_meshes(hand.mj_model)
    for link, mesh in meshes.items():
        mine = geometry.surface.link == LINK_NAMES.index(link)
        tri = mesh.triangles
        for p in geometry.surface.points[mine][:5]:
            # on the plane of some triangle and inside it (barycentric coordinates in [0, 1])
            normal = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
            area2 = np.linalg.norm(normal, axis=1)
            ok = area2 > 1e-14
            n = normal[ok] / area2[ok, None]
            t = tri[ok]
            plane = np.abs(np.einsum("ij,ij->i", p - t[:, 0], n))
            bary = [
                np.einsum("ij,ij->i", np.cross(t[:, (k + 1) % 3] - t[:, k], p - t[:, k]), n) for k in range(3)
            ]
            inside = np.all(np.stack(bary) >= -1e-12, axis=0)
            assert np.any(inside & (plane < 1e-9)), link


def test_contact_sets(hand):
    labels_wrap, labels_pinch = hand.contact_point_labels("wrap"), hand.contact_point_labels("pinch")
    assert set(labels_wrap) == set(FINGERS) | {"palm"}
    assert set(labels_pinch) == {"TH", "FF", "MF", "palm"}
    assert set(CONTACT_SETS["pinch"]) < set(CONTACT_SETS["wrap"])
    assert set(hand.contact_indices("pinch").tolist()) < set(hand.contact_indices("wrap").tolist())
    assert labels_wrap.count("palm") == 16 and labels_wrap.count("LF") == 8
    with pytest.raises(KeyError):
        hand.contact_indices("hook")


def test_contact_candidates_sit_on_the_palmar_faces(hand):
    q = hand.random_q(3, torch.Generator().manual_seed(1))
    poses = hand.forward_kinematics(q)
    points, normals = hand.contact_candidates(poses, "wrap")
    links = hand.geometry.contact.link
    front = hand.front_normals(poses)
    front_of = torch.stack([front[:, hand.front_links.index(LINK_NAMES[i])] for i in links], dim=1)
    cos = (normals * front_of).sum(-1)
    assert torch.all(cos >= hand.config.geometry.contact_min_cos - 1e-9)
    for b in range(3):
        assert np.abs(_world_sdf(hand, q[b].numpy(), points[b].numpy(), links)).max() < 1e-6


def test_front_normals_point_where_the_fingertips_flex(hand):
    # pads face the direction a fingertip moves when its distal joint flexes
    q = hand.random_q(4, torch.Generator().manual_seed(2)).requires_grad_(True)
    distal = {"FF": "rh_FFJ1", "MF": "rh_MFJ1", "RF": "rh_RFJ1", "LF": "rh_LFJ1", "TH": "rh_THJ1"}
    tips = hand.fingertips(hand.forward_kinematics(q))
    front = hand.front_normals(hand.forward_kinematics(q.detach()))
    for f, finger in enumerate(FINGERS):
        velocity = torch.stack(
            [torch.autograd.grad(tips[:, f, k].sum(), q, retain_graph=True)[0][:, joint_index(distal[finger])]
             for k in range(3)], dim=-1)  # fmt: skip
        velocity = velocity / torch.linalg.vector_norm(velocity, dim=-1, keepdim=True)
        pad = front[:, hand.front_links.index(f"rh_{finger.lower()}distal")]
        assert torch.all((velocity * pad).sum(-1) > 0.99), finger
    palm = hand.front_normals(hand.forward_kinematics(torch.zeros(1, 22, dtype=torch.float64)))
    torch.testing.assert_close(palm[0, 0], torch.tensor([0.0, -1.0, 0.0], dtype=torch.float64))


def test_penetration_keypoints_on_every_geometric_link(hand):
    q = hand.random_q(1, torch.Generator().manual_seed(3))
    keypoints = hand.penetration_keypoints(hand.forward_kinematics(q))
    links = hand.geometry.keypoints.link
    assert keypoints.shape == (1, len(links), 3)
    assert set(links.tolist()) == {p.link for p in collision_primitives(hand.mj_model, LINK_NAMES[1:])}
    assert np.abs(_world_sdf(hand, q[0].numpy(), keypoints[0].numpy(), links)).max() < 1e-6


def test_self_collision_spheres_fill_the_collision_geoms(hand):
    q = hand.random_q(1, torch.Generator().manual_seed(4))
    centres, radii = hand.self_collision_spheres(hand.forward_kinematics(q))
    sdf = _world_sdf(hand, q[0].numpy(), centres[0].numpy(), hand.sphere_link.numpy())
    assert np.all(sdf <= -radii.numpy() + 1e-7)  # every sphere inside its link's geoms (pk FK: ~1e-8 m)
    pairs = hand.geometry.sphere_pairs
    assert np.all(hand.geometry.spheres.link[pairs[:, 0]] != hand.geometry.spheres.link[pairs[:, 1]])


@pytest.mark.parametrize("spacing", [None, 0.5])
def test_self_penetration_broad_phase_keeps_every_overlapping_pair(hand, spacing):
    """The cluster broad phase gives exactly the all-pairs overlaps, values and gradients, on the default
    spheres and on synthesis's denser ones (spacing 0.5, with the forearm), for random and closed postures.
    """
    if spacing is not None:
        geometry = HandGeometryConfig(sphere_spacing=spacing, include_forearm=True)
        hand = HandModel(dtype=torch.float64, config=HandModelConfig(geometry=geometry))
    q = hand.random_q(48, torch.Generator().manual_seed(11))
    q[:16] = q[:16] * 0.3 + 0.7 * hand.upper  # fingers curled into the palm and onto each other
    q.requires_grad_(True)
    poses = hand.forward_kinematics(q)
    centres, radii = hand.self_collision_spheres(poses)
    pairs = torch.as_tensor(hand.geometry.sphere_pairs)
    i, j = pairs[:, 0], pairs[:, 1]
    every = torch.relu(radii[i] + radii[j] - torch.linalg.vector_norm(centres[:, i] - centres[:, j], dim=-1))
    fast = hand.self_penetration(poses)
    assert fast.shape == every.shape and (every > 0).sum() > 100
    torch.testing.assert_close(fast.sort(dim=-1).values, every.sort(dim=-1).values, rtol=0, atol=0)
    (grad_every,) = torch.autograd.grad(every.sum(), q, retain_graph=True)
    (grad_fast,) = torch.autograd.grad(fast.sum(), q)
    torch.testing.assert_close(grad_fast, grad_every)


def test_max_self_overlap_equals_the_table_maximum_over_the_masked_pairs():
    """max_self_overlap gives exactly the largest self_penetration column among the pairs with a sphere in the
    mask (all pairs without one), on synthesis's spheres, for curled postures where fingers overlap.
    """
    geometry = HandGeometryConfig(sphere_spacing=0.5, include_forearm=True)
    hand = HandModel(dtype=torch.float64, config=HandModelConfig(geometry=geometry))
    q = hand.random_q(32, torch.Generator().manual_seed(5))
    q[:16] = q[:16] * 0.3 + 0.7 * hand.upper
    poses = hand.forward_kinematics(q)
    table = hand.self_penetration(poses)
    assert (table.amax(dim=-1) > 0).sum() > 8
    torch.testing.assert_close(hand.max_self_overlap(poses), table.amax(dim=-1), rtol=0, atol=0)
    pairs = hand.sphere_pairs
    for links in (("rh_thproximal", "rh_thmiddle", "rh_thdistal"), ("rh_ffdistal",), ("rh_palm",)):
        mask = torch.isin(hand.sphere_link, torch.tensor([LINK_NAMES.index(link) for link in links]))
        columns = mask[pairs[:, 0]] | mask[pairs[:, 1]]
        expected = table[:, columns].amax(dim=-1)
        centres, _ = hand.self_collision_spheres(poses)
        for given in (None, centres):
            torch.testing.assert_close(hand.max_self_overlap(poses, mask, given), expected, rtol=0, atol=0)
    nothing = torch.zeros_like(hand.sphere_link, dtype=torch.bool)
    assert torch.equal(hand.max_self_overlap(poses, nothing), torch.zeros(32, dtype=torch.float64))


def test_self_penetration_open_hand_vs_crossed_fingers(hand):
    open_hand = torch.zeros(1, 22, dtype=torch.float64)
    assert hand.self_penetration(hand.forward_kinematics(open_hand)).max() == 0.0
    crossed = open_hand.clone()
    crossed[0, joint_index("rh_FFJ4")], crossed[0, joint_index("rh_MFJ4")] = (
        0.349,
        -0.349,
    )  # index onto middle
    depth = hand.self_penetration(hand.forward_kinematics(crossed))
    assert depth.max() > 0.003
    # MuJoCo agrees that the index and middle proximal capsules overlap there
    model, data = hand.mj_model, mujoco.MjData(hand.mj_model)
    data.qpos[mjcf.qpos_indices(model)] = to_model(crossed[0].numpy())
    mujoco.mj_forward(model, data)
    touching = {
        frozenset((model.geom(c.geom1).name, model.geom(c.geom2).name)) for c in data.contact[: data.ncon]
    }
    assert frozenset(("robot0:C_ffproximal", "robot0:C_mfproximal")) in touching


def test_convex_planes_give_the_forearm_hull_distance_and_a_subset_contains_it(hand):
    import trimesh

    box = trimesh.creation.box(extents=(0.02, 0.04, 0.06))
    planes = convex_planes(box)
    assert len(planes) == 6  # two triangles per face, one plane each
    inside = np.array([[0.0, 0.0, 0.0], [0.009, 0.0, 0.0], [0.0, -0.015, 0.02]])
    assert np.allclose((inside @ planes[:, :3].T - planes[:, 3]).max(axis=1), [-0.01, -0.001, -0.005])

    (forearm,) = collision_primitives(hand.mj_model, ("rh_forearm",))
    full, kept = convex_planes(forearm.mesh), convex_planes(forearm.mesh, 64)
    assert len(kept) == 64 < len(full)
    rng = np.random.default_rng(0)
    lo, hi = forearm.mesh.bounds
    points = rng.uniform(lo - 0.02, hi + 0.02, size=(20000, 3))
    exact = (points @ full[:, :3].T - full[:, 3]).max(axis=1)
    approx = (points @ kept[:, :3].T - kept[:, 3]).max(axis=1)
    assert np.all(approx <= exact + 1e-9)  # fewer planes: a superset of the hull, never a smaller shape
    assert np.all(approx[exact > 0.006] > 0)  # ... larger by only a few millimetres
