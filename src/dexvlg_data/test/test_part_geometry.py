"""Part geometry (reference appendix C): minimum-volume part boxes and part kinds on objects built to be each kind."""

import numpy as np
import pytest
import trimesh
from manifold3d import Manifold, OpType
from scipy.spatial.transform import Rotation

from dexvlg_data.objects.families.assembly import PartAssembly
from dexvlg_data.objects.obb import fibonacci_directions, min_area_rectangle, oriented_box
from dexvlg_data.objects.part_geometry import DISK, L_SHAPED, LID, SHAFT, analyze_parts, part_boxes
from dexvlg_data.objects.part_object import PartObject

# ----------------------------------------------------------------------------------------------------- boxes


def _random_points(i: int, rng: np.random.Generator) -> np.ndarray:
    """Vertices of a random primitive, union or torus segment, randomly posed."""
    kind = i % 7
    if kind == 0:
        mesh = trimesh.creation.box(rng.uniform(0.02, 0.3, 3))
    elif kind == 1:
        sections = int(rng.integers(8, 40))
        mesh = trimesh.creation.cylinder(rng.uniform(0.01, 0.1), rng.uniform(0.02, 0.3), sections=sections)
    elif kind == 2:
        mesh = trimesh.creation.capsule(rng.uniform(0.02, 0.2), rng.uniform(0.01, 0.08), count=[12, 12])
    elif kind == 3:
        mesh = trimesh.convex.convex_hull(rng.normal(size=(int(rng.integers(8, 120)), 3)) * rng.uniform(0.02, 0.2, 3))
    elif kind == 4:
        mesh = trimesh.creation.icosphere(2, 0.05)
        mesh.apply_scale(rng.uniform(0.5, 2.0, 3))
    elif kind == 5:  # a union of a box and a rod, like a hammer or a T
        rod = trimesh.creation.cylinder(rng.uniform(0.005, 0.03), rng.uniform(0.1, 0.3), sections=16)
        rod.apply_transform(trimesh.transformations.random_rotation_matrix(rng.random(3)))
        rod.apply_translation(rng.uniform(-0.05, 0.05, 3))
        mesh = trimesh.util.concatenate([trimesh.creation.box(rng.uniform(0.02, 0.2, 3)), rod])
    else:  # a torus segment: curved, like a handle
        mesh = trimesh.creation.torus(rng.uniform(0.03, 0.1), rng.uniform(0.005, 0.02), major_sections=24,
                                      minor_sections=8)
        mesh = trimesh.Trimesh(mesh.vertices[mesh.vertices[:, 0] > rng.uniform(-0.02, 0.02)], process=False)
    rotation = Rotation.random(random_state=i).as_matrix()
    return np.asarray(mesh.vertices) @ rotation.T + rng.normal(size=3)


def test_fibonacci_directions_cover_the_half_sphere():
    d = fibonacci_directions(256)
    assert d.shape == (256, 3)
    assert np.allclose(np.linalg.norm(d, axis=1), 1.0)
    assert np.all(d[:, 2] > 0)
    # every direction of the half sphere has a lattice direction within ~10 degrees
    probe = fibonacci_directions(2000)
    assert np.degrees(np.arccos(np.max(probe @ d.T, axis=1).clip(-1, 1))).max() < 10.0


def test_rotating_calipers_find_a_rotated_rectangle():
    angle = 0.37
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    corners = np.array([[0, 0], [3, 0], [3, 1], [0, 1]], dtype=float) @ rotation.T + [5.0, -2.0]
    points = np.concatenate([corners, corners.mean(axis=0) + 0.1 * np.random.default_rng(0).normal(size=(20, 2))])
    area, center, axis, sizes = min_area_rectangle(points)
    assert area == pytest.approx(3.0, rel=1e-9)
    assert sorted(sizes) == pytest.approx([1.0, 3.0])
    assert center == pytest.approx(corners.mean(axis=0))


def test_obb_within_5_percent_of_trimesh_on_200_objects():
    rng = np.random.default_rng(7)
    ratios = []
    for i in range(200):
        points = _random_points(i, rng)
        box = oriented_box(points)
        assert box.contains(points, tolerance=1e-7 * np.ptp(points, axis=0).max()).all()
        assert np.allclose(box.axes.T @ box.axes, np.eye(3), atol=1e-9)
        assert np.linalg.det(box.axes) == pytest.approx(1.0)
        assert np.all(np.diff(box.extents) <= 1e-12)  # longest first
        _, extents = trimesh.bounds.oriented_bounds(points)
        ratios.append(box.volume / float(np.prod(extents)))
    ratios = np.array(ratios)
    assert ratios.max() <= 1.05, f"worst ratio {ratios.max():.4f} (object {int(ratios.argmax())})"
    assert np.median(ratios) <= 1.01


def test_obb_on_generated_family_objects():
    families = pytest.importorskip("dexvlg_data.objects.families")
    ratios = []
    for category in families.list_categories()[:12]:
        try:
            obj = families.generate(category, 0)
        except Exception:  # generators still in development must not fail this test
            continue
        for name, box in part_boxes(obj).items():
            points = obj.mesh.vertices[np.unique(obj.mesh.faces[obj.face_parts == obj.part_index(name)])]
            _, extents = trimesh.bounds.oriented_bounds(points)
            ratios.append(box.volume / float(np.prod(extents)))
    if not ratios:
        pytest.skip("no family object could be generated")
    assert max(ratios) <= 1.05


# ----------------------------------------------------------------------------------------------------- kinds


def _cylinder(radius: float, z0: float, z1: float, segments: int = 40) -> Manifold:
    return Manifold.cylinder(z1 - z0, radius, radius, segments).translate((0.0, 0.0, z0))


def _tube(radius: float, wall: float, z0: float, z1: float, floor: float = 0.006) -> Manifold:
    return _cylinder(radius, z0, z1) - _cylinder(radius - wall, z0 + floor, z1 + 0.01)


def _box(size: tuple[float, float, float], center: tuple[float, float, float]) -> Manifold:
    return Manifold.cube(size, True).translate(center)


def _arc(radius: float, tube: float, center: tuple[float, float, float], n: int = 18) -> Manifold:
    """A half torus in the xz plane opening towards -x (a mug handle), as hulls of consecutive spheres."""
    angles = np.linspace(-np.pi / 2, np.pi / 2, n)
    spheres = [Manifold.sphere(tube, 16).translate((center[0] + radius * np.cos(a), center[1],
                                                    center[2] + radius * np.sin(a))) for a in angles]
    return Manifold.batch_boolean([Manifold.batch_hull([a, b]) for a, b in zip(spheres[:-1], spheres[1:], strict=True)],
                                  OpType.Add)


def _object(name: str, solids: list[tuple[str, Manifold]]) -> PartObject:
    names = tuple(dict.fromkeys(n for n, _ in solids))
    assembly = PartAssembly(names)
    for part, solid in solids:
        assembly.add(part, solid)
    mesh, face_parts = assembly.build()
    return PartObject(name, name, mesh, face_parts, names, np.full((len(names), 3), 128))


OBJECTS = {
    "pot": [("body", _tube(0.09, 0.006, 0.0, 0.12)), ("lid", _cylinder(0.092, 0.12, 0.132)),
            ("knob", _cylinder(0.015, 0.131, 0.15))],
    "bottle": [("body", _cylinder(0.04, 0.0, 0.18)), ("neck", _cylinder(0.014, 0.179, 0.229)),
               ("cap", _cylinder(0.017, 0.228, 0.248))],
    "jar": [("body", _cylinder(0.05, 0.0, 0.12)), ("lid", _cylinder(0.052, 0.119, 0.135))],
    "plate": [("plate", _cylinder(0.12, 0.0, 0.015, 48))],
    "pan": [("pan", _tube(0.12, 0.006, 0.0, 0.05)), ("handle", _box((0.2, 0.025, 0.015), (0.21, 0.0, 0.04)))],
    "wine glass": [("bowl", _tube(0.04, 0.004, 0.12, 0.2)), ("stem", _cylinder(0.006, 0.01, 0.121)),
                   ("base", _cylinder(0.04, 0.0, 0.011))],
    "mug": [("body", _tube(0.045, 0.005, 0.0, 0.11)), ("handle", _arc(0.035, 0.007, (0.042, 0.0, 0.055)))],
    "mug with square handle": [
        ("body", _tube(0.045, 0.005, 0.0, 0.11)),
        ("handle", _box((0.04, 0.015, 0.012), (0.06, 0.0, 0.09)) + _box((0.04, 0.015, 0.012), (0.06, 0.0, 0.02))
         + _box((0.012, 0.015, 0.082), (0.075, 0.0, 0.055)))],
    "hook": [("base", _box((0.15, 0.06, 0.06), (0.0, 0.0, 0.03))),
             ("hook", _box((0.015, 0.03, 0.12), (0.0, 0.0, 0.12)) + _box((0.08, 0.03, 0.015), (0.0325, 0.0, 0.1725)))],
    "hammer": [("handle", _cylinder(0.014, 0.0, 0.25)), ("head", _box((0.12, 0.035, 0.035), (0.0, 0.0, 0.26)))],
}
EXPECTED = {
    ("pot", "body"): SHAFT, ("pot", "lid"): LID, ("pot", "knob"): SHAFT,
    ("bottle", "body"): SHAFT, ("bottle", "neck"): SHAFT, ("bottle", "cap"): LID,
    ("jar", "lid"): LID, ("jar", "body"): SHAFT,
    ("plate", "plate"): DISK, ("pan", "pan"): DISK, ("pan", "handle"): SHAFT,
    ("wine glass", "base"): DISK, ("wine glass", "stem"): SHAFT,
    ("mug", "body"): SHAFT, ("mug", "handle"): L_SHAPED,
    ("mug with square handle", "handle"): L_SHAPED, ("hook", "hook"): L_SHAPED, ("hook", "base"): SHAFT,
    ("hammer", "handle"): SHAFT, ("hammer", "head"): SHAFT,
}


@pytest.fixture(scope="module")
def analyzed():
    return {name: {g.name: g for g in analyze_parts(_object(name, solids))} for name, solids in OBJECTS.items()}


@pytest.mark.parametrize(("obj", "part"), sorted(EXPECTED))
def test_part_kind_is_recognized(analyzed, obj, part):
    geometry = analyzed[obj][part]
    assert geometry.kind == EXPECTED[(obj, part)], f"{obj}/{part}: {geometry.kind}, features {geometry.features}"


def test_every_kind_is_covered():
    assert set(EXPECTED.values()) == {LID, DISK, L_SHAPED, SHAFT}


def test_principal_directions(analyzed):
    z = np.array([0.0, 0.0, 1.0])
    assert analyzed["pot"]["lid"].principal_direction @ z > 0.99  # a lid's outward normal points up
    assert analyzed["bottle"]["cap"].principal_direction @ z > 0.99
    assert abs(analyzed["plate"]["plate"].principal_direction @ z) > 0.99  # a disk's normal
    assert abs(analyzed["hammer"]["handle"].principal_direction @ z) > 0.99  # a shaft's long axis
    assert abs(analyzed["pan"]["handle"].principal_direction[0]) > 0.99
    assert abs(analyzed["mug"]["handle"].principal_direction @ z) > 0.9  # the grip bar of the handle is upright


def test_grasp_areas_lie_on_their_parts(analyzed):
    for parts in analyzed.values():
        for geometry in parts.values():
            assert len(geometry.grasp_points) > 0
            assert geometry.grasp_points.shape == geometry.grasp_normals.shape
            assert geometry.box.contains(geometry.grasp_points, tolerance=1e-6).all()
    handle = analyzed["hammer"]["handle"]
    along = (handle.grasp_points - handle.box.center) @ handle.principal_direction
    assert np.abs(along).max() <= 0.36 * handle.box.extents[0]  # the middle of a shaft, not its ends
    lid = analyzed["pot"]["lid"]
    assert np.all((lid.grasp_points - lid.box.center) @ lid.principal_direction >= -1e-9)  # the top of a lid


def test_separate_pieces_of_one_part_are_judged_one_by_one():
    weights = _cylinder(0.06, -0.012, 0.012).rotate((0.0, 90.0, 0.0))
    obj = _object("dumbbell", [("bar", _cylinder(0.012, -0.15, 0.15).rotate((0.0, 90.0, 0.0))),
                               ("weights", weights.translate((0.12, 0.0, 0.0)) + weights.translate((-0.12, 0.0, 0.0)))])
    parts = {g.name: g for g in analyze_parts(obj)}
    assert parts["weights"].kind == DISK
    assert parts["weights"].features["pieces"] == 2
    assert parts["weights"].box.extents[0] > 0.2  # the part's box spans both weights
    assert parts["bar"].kind == SHAFT
