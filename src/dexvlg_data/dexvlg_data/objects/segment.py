"""Part segmentation without labels: the ``Segmenter`` interface and a geometric default.

``ConvexPieceSegmenter`` follows the minima rule (people cut objects into parts along concave creases): the
convex pieces of the collision decomposition over-segment the surface, and neighbouring pieces merge unless the
surface between them folds inward. The fold is measured at the scale of the object (mean normals of each side
within a few percent of the diagonal), so a smooth fillet of many small faces still counts as a crease, while a
cut CoACD made through a smooth wall (the slices of a mug's body) does not. Boundaries between separately
modelled pieces of the input (a handle modelled apart from its mug) count as creases too.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np
import trimesh
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import ConvexHull, QhullError, cKDTree


@dataclass
class SegmentationHints:
    """What the import already knows: convex pieces (vertex arrays) and the input piece each face came from."""

    pieces: list[np.ndarray] | None = None
    face_source: np.ndarray | None = None


@runtime_checkable
class Segmenter(Protocol):
    """Splits a watertight mesh into parts: one integer label per face, 0..P-1, largest part first."""

    name: str

    def segment(self, mesh: trimesh.Trimesh, hints: SegmentationHints | None = None) -> np.ndarray:
        """Per-face part labels."""
        ...


@dataclass(frozen=True)
class SinglePartSegmenter:
    """Everything is one part (for objects without meaningful parts, or as a fallback)."""

    name: str = "single"

    def segment(self, mesh: trimesh.Trimesh, hints: SegmentationHints | None = None) -> np.ndarray:
        """All zeros."""
        return np.zeros(len(mesh.faces), dtype=np.int32)


@dataclass(frozen=True)
class ConvexPieceConfig:
    """Settings of the convex-piece segmenter. Angles in degrees; sizes as fractions of the object diagonal."""

    merge_angle: float = 15.0  # neighbours whose boundary folds inward less than this (on average) merge
    source_boundary_angle: float = 90.0  # fold assigned to boundaries between separately modelled input pieces
    ring_radius: float = 0.03  # neighbourhood for the fold measure
    min_part_area: float = 0.03  # parts with less of the surface join their most compatible neighbour
    max_parts: int = 8
    speck_area: float = 0.002  # pieces of regions below this area are absorbed before the fold measure
    enclosed_share: float = 0.8  # a part this much inside its main neighbour's convex hull joins it


def _face_to_piece(centers: np.ndarray, pieces: list[np.ndarray], samples: int = 20000, seed: int = 0) -> np.ndarray:
    """Each face centre goes to the convex piece whose surface is nearest (dense samples of every piece's hull)."""
    from dexvlg_data.objects.part_geometry import sample_faces

    rng = np.random.default_rng(seed)
    hulls = []
    for vertices in pieces:
        try:
            hull = ConvexHull(vertices)
        except (QhullError, ValueError):
            continue
        hulls.append((np.asarray(vertices, dtype=np.float64), hull.simplices, float(hull.area)))
    if not hulls:
        return np.zeros(len(centers), dtype=np.int64)
    total = sum(h[2] for h in hulls)
    points, owners = [], []
    for index, (vertices, simplices, area) in enumerate(hulls):
        count = max(64, int(samples * area / total))
        pts, _ = sample_faces(vertices, simplices, count, rng)
        points.append(np.concatenate([pts, vertices]))
        owners.append(np.full(len(pts) + len(vertices), index))
    _, nearest = cKDTree(np.concatenate(points)).query(centers)
    return np.concatenate(owners)[nearest]


def _regions(adjacency: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Connected patches of faces sharing a key."""
    same = key[adjacency[:, 0]] == key[adjacency[:, 1]]
    pairs = adjacency[same]
    n = len(key)
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def _absorb_specks(labels: np.ndarray, adjacency: np.ndarray, edge_length: np.ndarray, areas: np.ndarray,
                   min_area: float) -> np.ndarray:
    """Join regions below ``min_area`` to the neighbour they share the longest boundary with."""
    labels = labels.copy()
    for _ in range(50):
        region_area = np.bincount(labels, weights=areas)
        small = np.flatnonzero((region_area > 0) & (region_area < min_area))
        if len(small) == 0:
            break
        a, b = labels[adjacency[:, 0]], labels[adjacency[:, 1]]
        cross = a != b
        changed = False
        for region in small[np.argsort(region_area[small])]:
            touching = cross & ((a == region) | (b == region))
            if not touching.any():
                continue
            other = np.where(a[touching] == region, b[touching], a[touching])
            target = int(np.bincount(other, weights=edge_length[touching]).argmax())
            labels[labels == region] = target
            a, b = labels[adjacency[:, 0]], labels[adjacency[:, 1]]
            cross = a != b
            changed = True
        if not changed:
            break
    return np.unique(labels, return_inverse=True)[1]


def boundary_folds(mesh: trimesh.Trimesh, labels: np.ndarray, edges: np.ndarray, radius: float) -> np.ndarray:
    """Signed fold (degrees, + concave) across each given face-adjacency pair, measured over a ring of ``radius``.

    For the pair (f_a, f_b), faces within ``radius`` of the shared edge on f_a's region (and facing like f_a) give
    an area-weighted normal and centre, likewise for f_b; the fold is the angle between the two normals, positive
    when the normals converge (the sides face each other: a concave crease).
    """
    centers = mesh.triangles_center
    normals = mesh.face_normals
    areas = mesh.area_faces
    mid = 0.5 * (centers[edges[:, 0]] + centers[edges[:, 1]])
    lists = cKDTree(centers).query_ball_point(mid, r=radius)
    lengths = np.fromiter((len(x) for x in lists), dtype=np.int64, count=len(lists))
    rows = np.repeat(np.arange(len(edges)), lengths)
    cols = np.concatenate([np.asarray(x, dtype=np.int64) for x in lists]) if len(rows) else np.zeros(0, np.int64)
    out = []
    for side in (0, 1):
        face = edges[:, side]
        keep = (labels[cols] == labels[face][rows]) & (np.einsum("ij,ij->i", normals[cols], normals[face][rows]) > 0)
        r, c = rows[keep], cols[keep]
        w = np.zeros(len(edges))
        np.add.at(w, r, areas[c])
        n = np.zeros((len(edges), 3))
        p = np.zeros((len(edges), 3))
        np.add.at(n, r, normals[c] * areas[c, None])
        np.add.at(p, r, centers[c] * areas[c, None])
        empty = w <= 0  # only the edge's own face: use it
        n[empty] = normals[face[empty]]
        p[empty] = centers[face[empty]]
        w[empty] = 1.0
        n /= np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)
        out.append((n, p / w[:, None]))
    (na, pa), (nb, pb) = out
    angle = np.degrees(np.arccos(np.clip(np.einsum("ij,ij->i", na, nb), -1.0, 1.0)))
    concave = np.einsum("ij,ij->i", pb - pa, na - nb) > 0
    return np.where(concave, angle, -angle)


def _merge(labels: np.ndarray, pair_a: np.ndarray, pair_b: np.ndarray, fold: np.ndarray, length: np.ndarray,
           areas: np.ndarray, cfg: ConvexPieceConfig) -> np.ndarray:
    """Agglomerate regions: merge the flattest boundary first while it folds less than ``merge_angle``; then
    absorb small parts and cap the count, always along the flattest boundary.
    """
    n = int(labels.max()) + 1
    stats: dict[int, dict[int, list[float]]] = {i: {} for i in range(n)}
    for a, b, f, w in zip(pair_a, pair_b, fold, length, strict=True):
        if a == b:
            continue
        for x, y in ((a, b), (b, a)):
            entry = stats[int(x)].setdefault(int(y), [0.0, 0.0])
            entry[0] += float(f * w)
            entry[1] += float(w)
    region_area = {i: float(a) for i, a in enumerate(np.bincount(labels, weights=areas, minlength=n))}
    parent = list(range(n))
    total = sum(region_area.values())

    def mean_fold(a: int, b: int) -> float:
        s, w = stats[a][b]
        return s / w if w > 0 else 0.0

    def union(a: int, b: int) -> None:
        for c, (s, w) in stats.pop(b).items():
            stats[c].pop(b, None)
            if c == a:
                continue
            entry = stats[a].setdefault(c, [0.0, 0.0])
            entry[0] += s
            entry[1] += w
            stats[c][a] = list(entry)
        stats[a].pop(b, None)
        region_area[a] += region_area.pop(b)
        parent[b] = a

    def run(stop: Callable[[float, int, int], bool]) -> None:
        heap = [(mean_fold(a, b), a, b) for a in stats for b in stats[a] if a < b]
        heapq.heapify(heap)
        while heap:
            value, a, b = heapq.heappop(heap)
            if a not in stats or b not in stats or b not in stats[a] or abs(mean_fold(a, b) - value) > 1e-9:
                continue
            if stop(value, a, b):
                continue
            union(a, b)
            for c in stats[a]:
                heapq.heappush(heap, (mean_fold(a, c), min(a, c), max(a, c)))

    run(lambda value, a, b: value >= cfg.merge_angle)
    run(lambda value, a, b: min(region_area[a], region_area[b]) >= cfg.min_part_area * total)
    run(lambda value, a, b: len(stats) <= cfg.max_parts)

    def find(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    roots = np.array([find(i) for i in range(n)])
    return roots[labels]


@dataclass(frozen=True)
class ConvexPieceSegmenter:
    """Default geometric segmenter: convex pieces merged across flat or convex boundaries (see module doc).

    Without pieces in the hints it asks ``dexvlg_core.sim.objects.convex_pieces`` (CoACD, cached on disk).
    """

    config: ConvexPieceConfig = field(default_factory=ConvexPieceConfig)
    name: str = "convex-pieces"

    def segment(self, mesh: trimesh.Trimesh, hints: SegmentationHints | None = None) -> np.ndarray:
        """Per-face part labels, 0 = largest part by area."""
        cfg = self.config
        hints = hints or SegmentationHints()
        n_faces = len(mesh.faces)
        if n_faces == 0:
            return np.zeros(0, dtype=np.int32)
        pieces = hints.pieces
        if pieces is None:
            from dexvlg_core.sim.objects import convex_pieces

            pieces, _ = convex_pieces(np.asarray(mesh.vertices), np.asarray(mesh.faces))
        source = np.zeros(n_faces, dtype=np.int64) if hints.face_source is None else np.asarray(hints.face_source)
        key = _face_to_piece(mesh.triangles_center, list(pieces)) * (int(source.max()) + 1) + source
        adjacency = np.asarray(mesh.face_adjacency)
        if len(adjacency) == 0:
            return np.zeros(n_faces, dtype=np.int32)
        edge_vertices = mesh.vertices[mesh.face_adjacency_edges]
        edge_length = np.linalg.norm(edge_vertices[:, 0] - edge_vertices[:, 1], axis=1)
        areas = mesh.area_faces
        labels = _regions(adjacency, key)
        labels = _absorb_specks(labels, adjacency, edge_length, areas, cfg.speck_area * areas.sum())
        a, b = labels[adjacency[:, 0]], labels[adjacency[:, 1]]
        cross = np.flatnonzero(a != b)
        if len(cross) == 0:
            return np.zeros(n_faces, dtype=np.int32)
        diagonal = float(np.linalg.norm(mesh.extents))
        fold = boundary_folds(mesh, labels, adjacency[cross], cfg.ring_radius * diagonal)
        between_sources = source[adjacency[cross, 0]] != source[adjacency[cross, 1]]
        fold = np.where(between_sources, np.maximum(fold, cfg.source_boundary_angle), fold)
        merged = _merge(labels, a[cross], b[cross], fold, edge_length[cross], areas, cfg)
        merged = _absorb_enclosed(mesh, merged, adjacency, edge_length, cfg.enclosed_share)
        return relabel_by_area(merged, areas)


def _absorb_enclosed(mesh: trimesh.Trimesh, labels: np.ndarray, adjacency: np.ndarray, edge_length: np.ndarray,
                     share: float) -> np.ndarray:
    """Join a part lying inside the convex hull of the neighbour it shares most boundary with (a cup's inner
    floor, the inside of a rim): it is a face of that neighbour's cavity, not a part one could grasp.
    """
    labels = labels.copy()
    centers = mesh.triangles_center
    faces = np.asarray(mesh.faces)
    changed = True
    while changed:
        changed = False
        a, b = labels[adjacency[:, 0]], labels[adjacency[:, 1]]
        cross = a != b
        for part in np.unique(labels):
            touching = cross & ((a == part) | (b == part))
            if not touching.any():
                continue
            other = np.where(a[touching] == part, b[touching], a[touching])
            neighbour = int(np.bincount(other, weights=edge_length[touching]).argmax())
            try:
                equations = ConvexHull(mesh.vertices[np.unique(faces[labels == neighbour])]).equations
            except (QhullError, ValueError):
                continue
            scale = float(np.linalg.norm(mesh.extents))
            inside = (centers[labels == part] @ equations[:, :3].T + equations[:, 3]).max(axis=1) <= 1e-3 * scale
            if inside.mean() >= share:
                labels[labels == part] = neighbour
                changed = True
                break
    return labels


def relabel_by_area(labels: np.ndarray, areas: np.ndarray) -> np.ndarray:
    """Labels renumbered 0..P-1 by decreasing total face area."""
    unique, inverse = np.unique(labels, return_inverse=True)
    order = np.argsort(-np.bincount(inverse, weights=areas, minlength=len(unique)), kind="stable")
    rank = np.empty(len(unique), dtype=np.int32)
    rank[order] = np.arange(len(unique), dtype=np.int32)
    return rank[inverse]
