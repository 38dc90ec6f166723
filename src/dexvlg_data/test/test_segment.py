"""Part segmentation without labels: the geometric default segmenter on shapes whose parts are known."""

import numpy as np
import pytest
import trimesh
from manifold3d import Manifold

from dexvlg_data.objects.families.assembly import PartAssembly
from dexvlg_data.objects.segment import (
    ConvexPieceSegmenter,
    SegmentationHints,
    Segmenter,
    SinglePartSegmenter,
    boundary_folds,
    relabel_by_area,
)


def _box(size, center) -> Manifold:
    return Manifold.cube(size, True).translate(center)


def _assemble(solids: list[tuple[str, Manifold]]) -> tuple[trimesh.Trimesh, np.ndarray]:
    names = tuple(dict.fromkeys(n for n, _ in solids))
    assembly = PartAssembly(names)
    for name, solid in solids:
        assembly.add(name, solid)
    mesh, labels = assembly.build()
    return mesh.subdivide().subdivide(), np.repeat(labels, 16)  # finer faces, as a scanned mesh would have


def _box_vertices(size, center) -> np.ndarray:
    return trimesh.creation.box(size).vertices + np.asarray(center)


def _agreement(labels: np.ndarray, truth: np.ndarray, areas: np.ndarray) -> float:
    """Area share of faces whose predicted part maps to their true part (each prediction to its majority truth)."""
    good = 0.0
    for p in np.unique(labels):
        mask = labels == p
        good += np.bincount(truth[mask], weights=areas[mask]).max()
    return good / areas.sum()


# A hammer: a thin upright handle under a wide head; the junction is a concave crease.
HAMMER = [("handle", _box((0.03, 0.03, 0.25), (0.0, 0.0, 0.125))), ("head", _box((0.14, 0.04, 0.04), (0.0, 0.0, 0.27)))]


def test_protocol():
    assert isinstance(ConvexPieceSegmenter(), Segmenter)
    assert isinstance(SinglePartSegmenter(), Segmenter)


def test_convex_pieces_split_at_the_concave_crease():
    mesh, truth = _assemble(HAMMER)
    pieces = [_box_vertices((0.03, 0.03, 0.25), (0.0, 0.0, 0.125)), _box_vertices((0.14, 0.04, 0.04), (0, 0, 0.27))]
    labels = ConvexPieceSegmenter().segment(mesh, SegmentationHints(pieces=pieces))
    assert labels.max() == 1
    assert _agreement(labels, truth, mesh.area_faces) > 0.97


def test_cuts_through_a_smooth_wall_are_merged():
    mesh, truth = _assemble(HAMMER)
    # an over-segmentation: the handle cut in three along its length, as CoACD may cut a long part
    pieces = [_box_vertices((0.03, 0.03, 0.0834), (0.0, 0.0, z)) for z in (0.0417, 0.125, 0.2083)]
    pieces.append(_box_vertices((0.14, 0.04, 0.04), (0.0, 0.0, 0.27)))
    labels = ConvexPieceSegmenter().segment(mesh, SegmentationHints(pieces=pieces))
    assert labels.max() == 1
    assert _agreement(labels, truth, mesh.area_faces) > 0.97


def test_separately_modelled_pieces_stay_apart():
    # a box standing on a box of the same footprint: no crease, but modelled as two pieces (a can and its lid)
    mesh, truth = _assemble([("body", _box((0.06, 0.06, 0.1), (0, 0, 0.05))), ("lid", _box((0.06, 0.06, 0.02),
                                                                                             (0, 0, 0.11)))])
    one = [np.concatenate([_box_vertices((0.06, 0.06, 0.12), (0, 0, 0.06))])]
    merged = ConvexPieceSegmenter().segment(mesh, SegmentationHints(pieces=one))
    assert merged.max() == 0  # geometry alone sees one convex block
    labels = ConvexPieceSegmenter().segment(mesh, SegmentationHints(pieces=one, face_source=truth))
    assert labels.max() == 1 and _agreement(labels, truth, mesh.area_faces) > 0.99


def test_part_count_is_capped_and_labels_are_ordered_by_area():
    from dexvlg_data.objects.segment import ConvexPieceConfig

    solids = [("base", _box((0.3, 0.3, 0.04), (0, 0, 0.02)))]
    solids += [(f"post{i}", _box((0.02, 0.02, 0.1), (x, y, 0.09))) for i, (x, y) in
               enumerate([(-0.1, -0.1), (0.1, -0.1), (-0.1, 0.1), (0.1, 0.1)])]
    mesh, truth = _assemble(solids)
    pieces = [_box_vertices((0.3, 0.3, 0.04), (0, 0, 0.02))]
    pieces += [_box_vertices((0.02, 0.02, 0.1), (x, y, 0.09)) for x, y in [(-0.1, -0.1), (0.1, -0.1), (-0.1, 0.1),
                                                                           (0.1, 0.1)]]
    five = ConvexPieceSegmenter().segment(mesh, SegmentationHints(pieces=pieces))
    assert five.max() == 4 and _agreement(five, truth, mesh.area_faces) > 0.97
    areas = np.bincount(five, weights=mesh.area_faces)
    assert np.all(np.diff(areas) <= 1e-12)
    three = ConvexPieceSegmenter(ConvexPieceConfig(max_parts=3)).segment(mesh, SegmentationHints(pieces=pieces))
    assert three.max() == 2


def test_boundary_fold_sign():
    mesh, truth = _assemble(HAMMER)
    adjacency = mesh.face_adjacency
    cross = truth[adjacency[:, 0]] != truth[adjacency[:, 1]]
    folds = boundary_folds(mesh, truth, adjacency[cross], radius=0.01)
    assert np.median(folds) > 45  # handle meets head at a concave right angle
    body = truth == 0
    edge = np.flatnonzero(body[adjacency[:, 0]] & body[adjacency[:, 1]]
                          & (np.abs(mesh.face_adjacency_angles) > 1.0))  # the handle's own convex edges
    halves = np.where(mesh.face_normals[:, 0] > 0.5, 1, 0)  # split the handle's sides to compare across an edge
    convex = boundary_folds(mesh, halves, adjacency[edge], radius=0.005)
    assert np.median(convex) < -45


def test_single_part_and_relabel():
    mesh = trimesh.creation.box((0.1, 0.1, 0.1))
    assert np.all(SinglePartSegmenter().segment(mesh) == 0)
    labels = relabel_by_area(np.array([5, 5, 2, 9, 9, 9]), np.ones(6))
    assert labels.tolist() == [1, 1, 2, 0, 0, 0]


def test_without_hints_the_core_decomposition_is_used(tmp_path, monkeypatch):
    pytest.importorskip("coacd")
    monkeypatch.setenv("DEXVLG_CACHE_DIR", str(tmp_path))
    mesh, truth = _assemble(HAMMER)
    labels = ConvexPieceSegmenter().segment(trimesh.Trimesh(mesh.vertices, mesh.faces))
    assert labels.max() >= 1 and _agreement(labels, truth, mesh.area_faces) > 0.9
    assert any(tmp_path.rglob("*.npz"))  # decomposed by dexvlg_core and cached there
