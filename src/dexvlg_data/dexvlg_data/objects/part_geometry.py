"""Part geometry of the reference pipeline (DexGraspNet 3.0, appendix C): part boxes, part kinds, grasp areas.

Every part gets its minimum-volume oriented box (``obb.oriented_box``: 256 Fibonacci x-axis candidates, rotating
calipers in-plane). From the boxes and the parts' relations each part gets one of four kinds, which decides how a
hand is initialized around it:

- lid-like: a flattish part capping a larger neighbour: the neighbour lies entirely on one side of it along its
  thin axis, below its footprint, and is about as wide (a pot lid, a bottle cap, a knob on a lid);
- L-shaped: a part poorly explained by one box (low volume fill) but well by two perpendicular boxes, or by three
  boxes forming a U (a mug handle, a bracket);
- disk-like: a flat round part: two similar large extents, a small third, a round outline (a plate, a pan);
- shaft-like (default): everything else, grasped around its long axis (a handle, a neck, a body).

Volume fill comes from voxelizing the part's surface inside its box and filling enclosed space (faces of
neighbouring parts close the cut where the part joins them); so hollow parts (a mug's body) stay hollow and are
not mistaken for L-shapes, because splitting them into two boxes does not explain them any better.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import ConvexHull, QhullError, cKDTree

from dexvlg_data.objects.obb import OBBConfig, OrientedBox, oriented_box
from dexvlg_data.objects.part_object import PartObject

LID, DISK, L_SHAPED, SHAFT = "lid-like", "disk-like", "L-shaped", "shaft-like"
PART_KIND_NAMES: tuple[str, ...] = (LID, DISK, L_SHAPED, SHAFT)


@dataclass(frozen=True)
class PartKindConfig:
    """Thresholds of the part-kind rules (ratios of sorted box extents a >= b >= c, fills are volume fractions)."""

    lid_max_flatness: float = 0.8  # c / b of a lid (caps are squat, lids flat)
    lid_below_fraction: float = 0.95  # share of the capped neighbour's points below the lid's mid-plane
    lid_max_overhang: float = 1.6  # lid width / capped neighbour width across the lid's plane
    lid_min_cover: float = 0.35  # lid width / neighbour width: a lid covers the end, not a speck on it
    lid_max_thickness: float = 1.5  # lid thickness / the capped neighbour's extent along the lid's normal
    lid_min_up: float = 0.7  # cosine between the lid's outward normal and the object's up (when it has one)
    disk_min_similarity: float = 0.6  # b / a
    disk_max_flatness: float = 0.4  # c / b
    # Outline roundness: hull area of the outline / its rectangle (circle 0.785, square 1.0). Off by default:
    # flat square plates (a lamp's base, a spatula's blade) are grasped like round ones.
    disk_max_outline_fill: float = 1.01
    l_max_solidity: float = 0.8  # silhouette area / its hull area of a bent part
    l_min_one_sided: float = 0.7  # share of the missing hull area in one piece (one notch, not a flared stem)
    l_min_notch_depth: float = 0.85  # the notch's inscribed radius / the bar's
    l_max_single_fill: float = 0.55  # one box explains at most this much of its volume
    l_min_split_fill: float = 0.7  # two (or three) perpendicular boxes explain at least this much
    l_min_gain: float = 1.45  # ... and this many times better than one box
    l_min_piece_share: float = 0.08  # every piece holds at least this share of the part's voxels
    min_piece_area_share: float = 0.1  # a separate piece of a part counts on its own above this share of its area
    voxels_along_longest: int = 32  # part grid for volume fill
    grid_resolution: int = 96  # object grid (voxels along its diagonal) for the solid inside test
    adjacency_tolerance: float = 0.02  # parts closer than this fraction of the object diagonal touch


@dataclass(frozen=True)
class PartGeometryConfig:
    """Settings of ``analyze_parts``: box search, kind rules, surface sampling and grasp-area selection."""

    obb: OBBConfig = field(default_factory=OBBConfig)
    kinds: PartKindConfig = field(default_factory=PartKindConfig)
    samples_per_part: int = 512
    shaft_central_fraction: float = 0.7  # grasp along the middle of a shaft, not its ends
    disk_rim_fraction: float = 0.75  # disk grasp points lie beyond this share of the radius
    lid_top_cosine: float = 0.3  # lid grasp points face outward at least this much
    default_up: tuple[float, float, float] | None = (0.0, 0.0, 1.0)  # objects stand upright (+z) unless told
    seed: int = 0


@dataclass(eq=False)
class PartGeometry:
    """Geometry of one part: its box, kind, principal direction and candidate grasp area (points, normals).

    ``principal_direction``: shaft: the long axis; disk: the flat normal; lid: the outward thin axis (away from
    the part it caps); L-shaped: the long axis of its largest piece (the grip bar).
    """

    index: int
    name: str
    box: OrientedBox
    kind: str
    principal_direction: np.ndarray
    grasp_points: np.ndarray
    grasp_normals: np.ndarray
    area: float
    features: dict[str, float] = field(default_factory=dict)


@dataclass
class _Part:
    index: int
    name: str
    vertices: np.ndarray
    samples: np.ndarray
    normals: np.ndarray
    area: float
    box: OrientedBox


def sample_faces(vertices: np.ndarray, faces: np.ndarray, count: int, rng: np.random.Generator,
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Area-weighted uniform surface samples of triangles: (points (count, 3), face index per point)."""
    tris = vertices[faces]
    areas = 0.5 * np.linalg.norm(np.cross(tris[:, 1] - tris[:, 0], tris[:, 2] - tris[:, 0]), axis=1)
    total = areas.sum()
    probs = areas / total if total > 0 else np.full(len(faces), 1.0 / len(faces))
    chosen = rng.choice(len(faces), size=count, p=probs)
    r1, r2 = rng.random(count), rng.random(count)
    flip = r1 + r2 > 1.0
    r1[flip], r2[flip] = 1.0 - r1[flip], 1.0 - r2[flip]
    t = tris[chosen]
    return t[:, 0] + r1[:, None] * (t[:, 1] - t[:, 0]) + r2[:, None] * (t[:, 2] - t[:, 0]), chosen


def _face_components(faces: np.ndarray, face_ids: np.ndarray, min_share: float, areas: np.ndarray,
                     ) -> list[np.ndarray]:
    """Edge-connected pieces of a face subset; pieces under ``min_share`` of its area ride with the largest."""
    if len(face_ids) < 2:
        return [face_ids]
    sub = faces[face_ids]
    edges = np.sort(np.concatenate([sub[:, [0, 1]], sub[:, [1, 2]], sub[:, [2, 0]]]), axis=1)
    owner = np.tile(np.arange(len(sub)), 3)
    order = np.lexsort((edges[:, 1], edges[:, 0]))
    edges, owner = edges[order], owner[order]
    same = np.all(edges[1:] == edges[:-1], axis=1)
    graph = coo_matrix((np.ones(same.sum()), (owner[:-1][same], owner[1:][same])), shape=(len(sub), len(sub)))
    count, labels = connected_components(graph, directed=False)
    if count == 1:
        return [face_ids]
    piece_area = np.bincount(labels, weights=areas[face_ids], minlength=count)
    big = piece_area >= min_share * piece_area.sum()
    if big.sum() <= 1:
        return [face_ids]
    main = np.flatnonzero(big)
    pieces = [face_ids[labels == k] for k in main]
    small = np.flatnonzero(~big)
    largest = int(np.argmax(piece_area[main]))
    for k in small:  # specks ride with the largest piece
        pieces[largest] = np.concatenate([pieces[largest], face_ids[labels == k]])
    return pieces


def _collect_parts(obj: PartObject, config: PartGeometryConfig) -> tuple[list[_Part], dict[int, OrientedBox]]:
    """Kind units (a part, or each separate piece of a part made of several) and the whole-part boxes."""
    rng = np.random.default_rng(config.seed)
    vertices = np.asarray(obj.mesh.vertices, dtype=np.float64)
    faces = np.asarray(obj.mesh.faces, dtype=np.int64)
    normals = np.asarray(obj.mesh.face_normals, dtype=np.float64)
    areas = np.asarray(obj.mesh.area_faces, dtype=np.float64)
    units, boxes = [], {}
    for index, name in enumerate(obj.part_names):
        face_ids = np.flatnonzero(obj.face_parts == index)
        if len(face_ids) == 0:
            continue
        pieces = _face_components(faces, face_ids, config.kinds.min_piece_area_share, areas)
        for piece in pieces:
            piece_vertices = vertices[np.unique(faces[piece])]
            points, chosen = sample_faces(vertices, faces[piece], config.samples_per_part, rng)
            units.append(_Part(index, name, piece_vertices, points, normals[piece][chosen],
                               float(areas[piece].sum()), oriented_box(piece_vertices, config.obb)))
        if len(pieces) == 1:
            boxes[index] = units[-1].box
        else:
            boxes[index] = oriented_box(vertices[np.unique(faces[face_ids])], config.obb)
    return units, boxes


@dataclass
class _SolidGrid:
    """The object's solid voxelized on one grid, each voxel labelled with the part of the nearest surface."""

    origin: np.ndarray
    cell: float
    solid: np.ndarray
    labels: np.ndarray

    def lookup(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ijk = np.floor((points - self.origin) / self.cell).astype(np.int64)
        inside = np.all((ijk >= 0) & (ijk < np.array(self.solid.shape)), axis=1)
        ijk = np.clip(ijk, 0, np.array(self.solid.shape) - 1)
        solid = self.solid[ijk[:, 0], ijk[:, 1], ijk[:, 2]] & inside
        return solid, self.labels[ijk[:, 0], ijk[:, 1], ijk[:, 2]]


def _solid_grid(obj: PartObject, resolution: int, rng: np.random.Generator) -> _SolidGrid:
    """Voxelize the surface from dense samples, close pinholes (dilate, fill, erode), label voxels by nearest part."""
    bounds = np.asarray(obj.mesh.bounds, dtype=np.float64)
    cell = float(np.linalg.norm(bounds[1] - bounds[0])) / resolution
    dims = np.ceil((bounds[1] - bounds[0]) / cell).astype(np.int64) + 6
    origin = bounds[0] - 3 * cell
    count = int(np.clip(6.0 * obj.mesh.area / (cell * cell), 5000, 400000))
    points, chosen = sample_faces(np.asarray(obj.mesh.vertices), np.asarray(obj.mesh.faces), count, rng)
    ijk = np.clip(np.floor((points - origin) / cell).astype(np.int64), 0, dims - 1)
    surface = np.zeros(dims, dtype=bool)
    surface[ijk[:, 0], ijk[:, 1], ijk[:, 2]] = True
    label_at = np.zeros(dims, dtype=np.int32)
    label_at[ijk[:, 0], ijk[:, 1], ijk[:, 2]] = obj.face_parts[chosen]
    closed = ndimage.binary_fill_holes(ndimage.binary_dilation(surface, iterations=1))
    solid = ndimage.binary_erosion(closed, iterations=1) | surface
    nearest = ndimage.distance_transform_edt(~surface, return_distances=False, return_indices=True)
    labels = label_at[nearest[0], nearest[1], nearest[2]]
    return _SolidGrid(origin, cell, solid, labels)


def _slice_profiles(occ: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per slice along ``axis``: voxel count, lower and upper occupied index along the two other axes."""
    moved = np.moveaxis(occ, axis, 0)
    n = moved.shape[0]
    count = moved.reshape(n, -1).sum(axis=1)
    lo, hi = np.zeros((n, 2), dtype=np.int64), np.zeros((n, 2), dtype=np.int64)
    for j, other in enumerate((1, 2)):
        present = moved.any(axis=3 - other)  # (n, size along `other`)
        idx = np.arange(present.shape[1])
        lo[:, j] = np.where(present, idx, np.iinfo(np.int64).max // 4).min(axis=1)
        hi[:, j] = np.where(present, idx, -1).max(axis=1)
    return count, lo, hi


def _window_boxes(count: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For every slice window [s, e): occupied voxels, AABB volume (voxels) and AABB extents (3,) along (k, o1, o2)."""
    n = len(count)
    occ = np.zeros((n + 1, n + 1))
    vol = np.zeros((n + 1, n + 1))
    ext = np.zeros((n + 1, n + 1, 3))
    slices = np.arange(n)
    for s in range(n):
        c = np.cumsum(count[s:])
        has = count[s:] > 0
        first = np.where(has, slices[s:], n).min() if has.any() else n
        last = np.maximum.accumulate(np.where(has, slices[s:], -1))
        lo_acc = np.minimum.accumulate(lo[s:], axis=0)
        hi_acc = np.maximum.accumulate(hi[s:], axis=0)
        along = np.where(last >= first, last - first + 1, 0)
        across = np.clip(hi_acc - lo_acc + 1, 0, None)
        occ[s, s + 1 :] = c
        ext[s, s + 1 :] = np.column_stack([along, across])
        vol[s, s + 1 :] = along * across[:, 0] * across[:, 1]
    return occ, vol, ext


def _long_axis(extents: np.ndarray) -> int:
    return int(np.argmax(extents))


def split_fill(occ: np.ndarray, min_share: float) -> tuple[float, float, int, np.ndarray | None]:
    """How well perpendicular boxes explain an occupancy grid (in the part's box frame).

    Tries one cut (two boxes) and two parallel cuts (three boxes, a U) along every axis; pieces must be
    elongated along different axes than their neighbours. Returns (one-box fill, best split fill, number of
    pieces of the best split, extents of its largest piece along the grid axes, or None).
    """
    total = int(occ.sum())
    if total == 0:
        return 0.0, 0.0, 1, None
    idx = np.argwhere(occ)
    whole = idx.max(axis=0) - idx.min(axis=0) + 1
    single = total / float(np.prod(whole))
    best, best_n, best_piece = single, 1, None
    for axis in range(3):
        count, lo, hi = _slice_profiles(occ, axis)
        n = len(count)
        occ_w, vol_w, ext_w = _window_boxes(count, lo, hi)
        order = [axis] + [a for a in range(3) if a != axis]
        to_grid = np.argsort(order)  # window extents are (k, o1, o2); reorder to grid axes
        windows = [[(0, t), (t, n)] for t in range(1, n)]
        windows += [[(0, t1), (t1, t2), (t2, n)] for t1 in range(1, n - 1) for t2 in range(t1 + 1, n)]
        for pieces in windows:
            counts = [occ_w[s, e] for s, e in pieces]
            if min(counts) < min_share * total:
                continue
            volume = sum(vol_w[s, e] for s, e in pieces)
            fill = total / volume
            if fill <= best:
                continue
            axes_long = [_long_axis(ext_w[s, e]) for s, e in pieces]
            if any(a == b for a, b in zip(axes_long[:-1], axes_long[1:], strict=False)):
                continue  # neighbouring pieces must be perpendicular
            largest = pieces[int(np.argmax(counts))]
            best, best_n, best_piece = fill, len(pieces), ext_w[largest][to_grid]
    return single, best, best_n, best_piece


def _occupancy(part: _Part, grid: _SolidGrid, voxels_along_longest: int) -> tuple[np.ndarray, float]:
    """Solid voxels of a part on a grid in its own box frame: (occupancy, cell size)."""
    box = part.box
    cell = max(box.extents[0] / voxels_along_longest, 0.5 * grid.cell)
    dims = np.maximum(np.ceil(box.extents / cell).astype(int), 1)
    origin = -0.5 * dims * cell
    idx = np.indices(dims).reshape(3, -1).T
    centers = box.from_local(origin + (idx + 0.5) * cell)
    solid, labels = grid.lookup(centers)
    return (solid & (labels == part.index)).reshape(tuple(dims)), cell


def silhouette_bend(occ: np.ndarray) -> tuple[float, float, float]:
    """Bend of a part from its silhouette along its thin (third) grid axis: (solidity, one-sidedness, notch depth).

    Only the largest connected piece counts (a pot's two handles are judged as one handle). Solidity is the
    silhouette's area over its convex hull's: low for an L, C, U or loop. One-sidedness is the share of the hull's
    uncovered area in its largest connected notch, or in enclosed holes: ~1 for a single notch or for loops (a bent
    part), ~0.5 for a stem flared at both ends. Notch depth is the widest notch's inscribed radius over the
    material's: a handle's opening is wider than its bar, a slightly curved or tapered shaft leaves only slivers.
    """
    sil = occ.any(axis=2)
    labels, count = ndimage.label(sil)
    if count > 1:
        sil = labels == 1 + int(np.argmax(np.bincount(labels.ravel())[1:]))
    pixels = np.argwhere(sil)
    if len(pixels) < 3:
        return 1.0, 0.0, 0.0
    try:
        hull = ConvexHull(pixels)
    except (QhullError, ValueError):
        return 1.0, 0.0, 0.0
    grid = np.indices(sil.shape).reshape(2, -1).T
    inside_hull = np.all(grid @ hull.equations[:, :2].T + hull.equations[:, 2] <= 1e-9, axis=1).reshape(sil.shape)
    inside_hull |= sil
    solidity = float(sil.sum() / inside_hull.sum())
    deficit = inside_hull & ~sil
    if not deficit.any():
        return solidity, 0.0, 0.0
    notch_labels, _ = ndimage.label(deficit)
    sizes = np.bincount(notch_labels.ravel())[1:]
    holes = ndimage.binary_fill_holes(sil) & ~sil  # loops (scissor handles) count as one-sided however many
    one_sided = max(float(sizes.max() / sizes.sum()), float(holes.sum() / deficit.sum()))
    notch_radius = float(ndimage.distance_transform_edt(np.pad(deficit, 1)).max())
    bar_radius = float(ndimage.distance_transform_edt(np.pad(sil, 1)).max())
    return solidity, one_sided, notch_radius / max(bar_radius, 1.0)


def _outline_fill(part: _Part) -> float:
    """Area of the part's outline (hull of its projection on the box's two long axes) / its rectangle."""
    local = part.box.to_local(part.vertices)[:, :2]
    rect = part.box.extents[0] * part.box.extents[1]
    if rect <= 0:
        return 1.0
    try:
        return float(ConvexHull(local).volume / rect)
    except (QhullError, ValueError):
        return 1.0


def _lid_direction(part: _Part, neighbours: list[_Part], volume_rest: float, volume_part: float,
                   cfg: PartKindConfig, up: np.ndarray | None, larger: list[_Part]) -> np.ndarray | None:
    """Outward thin axis when the part caps one of its neighbours (from above, when ``up`` is known), else None.

    ``larger``: touching units of other parts at least as big as this one; none may sit on top of it (a bottle's
    neck under its cap is no lid; a small knob on a lid does not stop the lid being one).
    """
    a, b, c = part.box.extents
    if b <= 0 or c / b > cfg.lid_max_flatness or volume_part >= volume_rest:
        return None
    for neighbour in neighbours:
        normal = part.box.axes[:, 2]
        local = part.box.to_local(neighbour.samples)
        if np.mean(local[:, 2]) > 0:
            normal, local = -normal, local * np.array([1.0, 1.0, -1.0])
        if np.mean(local[:, 2] < 0.0) < cfg.lid_below_fraction:
            continue
        if up is not None and float(normal @ up) < cfg.lid_min_up:
            continue
        if c > cfg.lid_max_thickness * float(np.ptp(local[:, 2])):
            continue  # a lid is thin next to what it closes (a cup standing on a saucer is no lid)
        # The lid sits over the neighbour (its centre inside the neighbour's end) and is about as wide as that end.
        near_end = local[local[:, 2] >= np.quantile(local[:, 2], 0.8)]
        lo, hi = near_end[:, :2].min(axis=0), near_end[:, :2].max(axis=0)
        if np.any(lo > 0) or np.any(hi < 0):
            continue
        width = float(np.max(hi - lo))
        if width > 0 and cfg.lid_min_cover <= a / width <= cfg.lid_max_overhang and not _covered(part, normal, larger):
            return normal
    return None


def _covered(part: _Part, normal: np.ndarray, others: list[_Part]) -> bool:
    """Whether one of ``others`` lies mostly above the part's top face, inside its footprint."""
    half = part.box.extents / 2.0
    for other in others:
        local = part.box.to_local(other.samples)
        height = (other.samples - part.box.center) @ normal
        over = (height > 0.5 * half[2]) & np.all(np.abs(local[:, :2]) <= half[:2], axis=1)
        if over.mean() > 0.5:
            return True
    return False


def _adjacency(parts: list[_Part], tolerance: float) -> dict[int, list[int]]:
    """Units of different parts that touch (closer than ``tolerance``)."""
    trees = [cKDTree(p.samples) for p in parts]
    adjacent: dict[int, list[int]] = {i: [] for i in range(len(parts))}
    for i in range(len(parts)):
        for j in range(i + 1, len(parts)):
            if parts[i].index == parts[j].index:
                continue
            distance, _ = trees[j].query(np.concatenate([parts[i].samples, parts[i].vertices]), k=1)
            if distance.min() <= tolerance:
                adjacent[i].append(j)
                adjacent[j].append(i)
    return adjacent


def _grasp_area(part: _Part, kind: str, direction: np.ndarray, config: PartGeometryConfig) -> np.ndarray:
    """Boolean mask over the part's samples: where a hand should close on it, by kind."""
    local = part.box.to_local(part.samples)
    half = part.box.extents / 2.0
    if kind == SHAFT:
        keep = np.abs(local[:, 0]) <= config.shaft_central_fraction * half[0]
    elif kind == DISK:
        radial = np.linalg.norm(local[:, :2] / np.maximum(half[:2], 1e-12), axis=1)
        keep = radial >= config.disk_rim_fraction * radial.max()
    elif kind == LID:
        height = (part.samples - part.box.center) @ direction
        keep = (part.normals @ direction >= config.lid_top_cosine) | (height >= 0.0)
    else:  # L-shaped: the grip bar, the piece along the principal direction, away from its ends
        along = (part.samples - part.box.center) @ direction
        across = part.samples - part.box.center - along[:, None] * direction
        offset = np.linalg.norm(across, axis=1)
        keep = offset >= np.quantile(offset, 0.5)
        span = np.abs(along) <= config.shaft_central_fraction * np.abs(along).max()
        keep &= span
    return keep if keep.any() else np.ones(len(part.samples), dtype=bool)


def _classify(unit: _Part, occupancy: np.ndarray, neighbours: list[_Part], volume: float, volume_rest: float,
              up: np.ndarray | None, cfg: PartKindConfig, larger: list[_Part],
              ) -> tuple[str, np.ndarray, dict[str, float]]:
    a, b, c = unit.box.extents
    single, split, n_pieces, piece = split_fill(occupancy, cfg.l_min_piece_share)
    outline = _outline_fill(unit)
    solidity, one_sided, notch = silhouette_bend(occupancy)
    features = {"fill": single, "split_fill": float(split), "split_pieces": float(n_pieces), "outline_fill": outline,
                "silhouette_solidity": solidity, "one_sided": one_sided, "notch_depth": notch,
                "b_over_a": float(b / a) if a > 0 else 0.0, "c_over_b": float(c / b) if b > 0 else 0.0,
                "volume": volume}
    lid_normal = _lid_direction(unit, neighbours, volume_rest, volume, cfg, up, larger)
    if lid_normal is not None:
        return LID, lid_normal, features
    bent = solidity <= cfg.l_max_solidity or (
        single <= cfg.l_max_single_fill and split >= cfg.l_min_split_fill and split >= cfg.l_min_gain * single)
    if bent and one_sided >= cfg.l_min_one_sided and notch >= cfg.l_min_notch_depth:
        return L_SHAPED, unit.box.axes[:, _long_axis(piece)] if piece is not None else unit.box.axes[:, 0], features
    if (features["b_over_a"] >= cfg.disk_min_similarity and features["c_over_b"] <= cfg.disk_max_flatness
            and outline <= cfg.disk_max_outline_fill):
        return DISK, unit.box.axes[:, 2], features
    return SHAFT, unit.box.axes[:, 0], features


def analyze_parts(obj: PartObject, config: PartGeometryConfig | None = None) -> list[PartGeometry]:
    """Box, kind, principal direction and grasp area of every part of an object (parts with no faces skipped).

    A part made of separate pieces (a dumbbell's two weights) is judged by its largest piece; its box covers all
    pieces, its grasp area lies on every piece.
    """
    config = config or PartGeometryConfig()
    cfg = config.kinds
    units, boxes = _collect_parts(obj, config)
    if not units:
        return []
    diagonal = float(np.linalg.norm(obj.mesh.extents))
    grid = _solid_grid(obj, cfg.grid_resolution, np.random.default_rng(config.seed + 1))
    occupancies = [_occupancy(u, grid, cfg.voxels_along_longest) for u in units]
    volumes = np.array([float(o.sum()) * cell**3 for o, cell in occupancies])
    part_volume = {i: float(volumes[[u.index == i for u in units]].sum()) for i in boxes}
    adjacent = _adjacency(units, cfg.adjacency_tolerance * diagonal)
    total_volume = float(volumes.sum())
    up_value = obj.metadata.get("up", config.default_up)
    up = None if up_value is None else np.asarray(up_value, dtype=np.float64) / np.linalg.norm(up_value)
    results = []
    for k, unit in enumerate(units):
        rest = total_volume - part_volume[unit.index]
        larger = [units[j] for j in adjacent[k] if volumes[j] >= volumes[k]]
        kind, direction, features = _classify(unit, occupancies[k][0], [units[j] for j in adjacent[k]],
                                              float(volumes[k]), rest, up, cfg, larger)
        results.append((kind, np.asarray(direction, dtype=np.float64), features))
    out = []
    for index in sorted(boxes):
        members = [k for k, u in enumerate(units) if u.index == index]
        main = max(members, key=lambda k: units[k].area)
        kind, direction, features = results[main]
        features = dict(features, pieces=float(len(members)))
        points, normals = [], []
        for k in members:  # every piece's grasp area, judged as the main piece's kind with its own axes
            unit_dir = results[k][1] if results[k][0] == kind else _kind_axis(units[k], kind, direction)
            keep = _grasp_area(units[k], kind, unit_dir, config)
            points.append(units[k].samples[keep])
            normals.append(units[k].normals[keep])
        out.append(PartGeometry(index, obj.part_names[index], boxes[index], kind, direction, np.concatenate(points),
                                np.concatenate(normals), float(sum(units[k].area for k in members)), features))
    return out


def _kind_axis(unit: _Part, kind: str, reference: np.ndarray) -> np.ndarray:
    """The axis of a unit that plays the role ``kind`` gives the principal direction, signed like ``reference``."""
    axis = unit.box.axes[:, 2] if kind in (DISK, LID) else unit.box.axes[:, 0]
    return axis if float(axis @ reference) >= 0 else -axis


def part_boxes(obj: PartObject, config: OBBConfig | None = None) -> dict[str, OrientedBox]:
    """Minimum-volume oriented box of every part, by part name."""
    boxes = {}
    vertices = np.asarray(obj.mesh.vertices)
    faces = np.asarray(obj.mesh.faces)
    for index, name in enumerate(obj.part_names):
        face_ids = np.flatnonzero(obj.face_parts == index)
        if len(face_ids):
            boxes[name] = oriented_box(vertices[np.unique(faces[face_ids])], config)
    return boxes
