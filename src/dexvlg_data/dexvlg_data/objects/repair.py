"""Loading and repairing user meshes: any OBJ/STL/PLY/GLB in, one watertight, consistently wound mesh out.

Every failure is a :class:`MeshImportError` naming the stage and a short reason code, so a batch import can
report what was rejected and why and go on with the next mesh. Repair works per connected piece: closed pieces
are kept, open ones are closed by MeshFix (pymeshfix), flat or unclosable ones are dropped, and the survivors are
unioned by manifold3d into one solid whose faces remember which input piece they came from (a segmentation hint:
meshes are often modelled as an assembly of parts, e.g. a mug and its handle).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import trimesh
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

SUPPORTED_SUFFIXES = (".obj", ".stl", ".ply", ".glb", ".gltf", ".off")


class MeshImportError(ValueError):
    """A mesh that cannot become an object: ``stage`` (load, check, repair, simplify, decompose, ...), ``code``
    (empty, non-finite, too-many-faces, zero-volume, soup, unrepairable, too-many-pieces, ...) and a reason.
    """

    def __init__(self, stage: str, code: str, reason: str) -> None:
        super().__init__(f"{stage}: {code}: {reason}")
        self.stage = stage
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class RepairConfig:
    """Limits and tolerances of loading and repair."""

    max_faces: int = 2_000_000  # refuse before repair: the reference pipeline skips such meshes too
    max_components: int = 5000  # more separate pieces than this is a triangle soup
    max_dropped_area: float = 0.5  # reject when pieces that enclose no volume hold more of the surface
    min_body_volume: float = 0.01  # separate bodies smaller than this share of the volume are dropped
    min_coverage: float = 0.8  # share of the input surface that must lie on (or inside) the repaired one
    min_precision: float = 0.5  # share of the repaired surface that must lie on the input (caps over openings don't)
    coverage_tolerance: float = 0.02  # ... within this fraction of the bounding-box diagonal
    flat_ratio: float = 1e-4  # smallest / largest extent below this: no volume
    weld_tolerance: float = 1e-5  # vertices closer than this fraction of the diagonal are merged


@dataclass
class RepairInfo:
    """What repair did: counts before and after, dropped pieces, the coverage check, warnings."""

    faces_in: int = 0
    faces_out: int = 0
    components_in: int = 0
    components_closed: int = 0
    components_fixed: int = 0
    components_dropped: int = 0
    dropped_area_share: float = 0.0
    bodies_dropped: int = 0
    coverage: float = 1.0
    precision: float = 1.0
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """Plain-data view for reports and metadata."""
        return dict(self.__dict__)


def _peek_face_count(path: Path, big: int = 20_000_000) -> int | None:
    """Face count from a binary STL or PLY header, or from the face lines of an OBJ file over ``big`` bytes,
    without loading the mesh (None when unknown).
    """
    suffix = path.suffix.lower()
    if suffix == ".obj":
        try:
            if path.stat().st_size <= big:
                return None
            with path.open("rb") as handle:
                return sum(1 for line in handle if line.startswith(b"f "))
        except OSError:
            return None
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError:
        return None
    if suffix == ".stl" and not head.lstrip().lower().startswith(b"solid") and len(head) >= 84:
        return int(struct.unpack("<I", head[80:84])[0])
    if suffix == ".ply" and head.startswith(b"ply"):
        for line in head.split(b"\n"):
            parts = line.split()
            if len(parts) == 3 and parts[0] == b"element" and parts[1] == b"face":
                return int(parts[2])
            if line.strip() == b"end_header":
                break
    return None


def load_mesh(source: str | Path | trimesh.Trimesh, config: RepairConfig | None = None) -> trimesh.Trimesh:
    """One triangle mesh from a file (scenes are flattened with their transforms) or a trimesh, unprocessed."""
    config = config or RepairConfig()
    if isinstance(source, trimesh.Trimesh):
        return source
    path = Path(source)
    if not path.is_file():
        raise MeshImportError("load", "missing", f"{path} does not exist")
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise MeshImportError("load", "format", f"{path.suffix or 'no suffix'} is not one of {SUPPORTED_SUFFIXES}")
    peeked = _peek_face_count(path)
    if peeked is not None and peeked > config.max_faces:
        raise MeshImportError("load", "too-many-faces", f"{peeked:,} faces (from the file, before loading) > "
                                                        f"limit {config.max_faces:,}")
    try:
        loaded = trimesh.load(path, process=False)
    except Exception as error:  # trimesh raises many kinds for broken files
        raise MeshImportError("load", "unreadable", f"{type(error).__name__}: {error}") from error
    if isinstance(loaded, trimesh.Scene):
        geometry = [g for g in loaded.dump(concatenate=False) if isinstance(g, trimesh.Trimesh)]
        if not geometry:
            raise MeshImportError("load", "empty", f"{path.name} holds no triangle geometry")
        loaded = trimesh.util.concatenate(geometry) if len(geometry) > 1 else geometry[0]
    if not isinstance(loaded, trimesh.Trimesh):
        raise MeshImportError("load", "empty", f"{path.name} holds no triangles ({type(loaded).__name__})")
    return loaded


def check_mesh(mesh: trimesh.Trimesh, config: RepairConfig | None = None) -> None:
    """Reject what no repair can save: no faces, non-finite coordinates, too many faces, no extent in some axis."""
    config = config or RepairConfig()
    vertices = np.asarray(mesh.vertices)
    faces = np.asarray(mesh.faces)
    if len(vertices) == 0 or len(faces) == 0:
        raise MeshImportError("check", "empty", f"{len(vertices)} vertices, {len(faces)} faces")
    if len(faces) > config.max_faces:
        raise MeshImportError("check", "too-many-faces", f"{len(faces):,} faces > limit {config.max_faces:,}")
    if faces.min() < 0 or faces.max() >= len(vertices):
        raise MeshImportError("check", "bad-indices", f"face indices outside 0..{len(vertices) - 1}")
    used = vertices[np.unique(faces)]
    finite = np.isfinite(used).all(axis=1)
    if not finite.all():
        count = int((~finite).sum())
        raise MeshImportError("check", "non-finite", f"{count} vertices have NaN or infinite coordinates")
    extents = used.max(axis=0) - used.min(axis=0)
    if extents.max() <= 0 or extents.min() <= config.flat_ratio * extents.max():
        raise MeshImportError("check", "zero-volume", f"the mesh is flat (extents {np.round(extents, 6).tolist()})")


def _weld(vertices: np.ndarray, faces: np.ndarray, tolerance: float) -> tuple[np.ndarray, np.ndarray]:
    """Merge vertices closer than ``tolerance`` (cracks between faces that should share an edge)."""
    if tolerance <= 0 or len(vertices) < 2:
        return vertices, faces
    pairs = cKDTree(vertices).query_pairs(tolerance, output_type="ndarray")
    if len(pairs) == 0:
        return vertices, faces
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(len(vertices), len(vertices)))
    _, cluster = connected_components(graph, directed=False)
    first = np.full(cluster.max() + 1, -1)
    first[cluster[::-1]] = np.arange(len(vertices))[::-1]  # each cluster is represented by its first vertex
    return vertices, first[cluster][faces]


def _clean(mesh: trimesh.Trimesh, weld: float) -> trimesh.Trimesh:
    vertices = np.asarray(mesh.vertices, dtype=np.float64)
    faces = np.asarray(mesh.faces, dtype=np.int64)
    used = vertices[np.unique(faces)]
    vertices, faces = _weld(vertices, faces, weld * float(np.linalg.norm(np.ptp(used, axis=0))))
    out = trimesh.Trimesh(vertices, faces, process=False)
    out.merge_vertices(merge_tex=True, merge_norm=True)
    out.update_faces(out.nondegenerate_faces(height=1e-12))
    out.update_faces(out.unique_faces())
    out.remove_unreferenced_vertices()
    return out


def _closed(mesh: trimesh.Trimesh) -> trimesh.Trimesh | None:
    """The piece as a closed, outward-wound solid, or None when it encloses no volume."""
    if len(mesh.faces) < 4:
        return None
    if not (mesh.is_watertight and mesh.is_winding_consistent):
        import pymeshfix

        fixer = pymeshfix.MeshFix(np.asarray(mesh.vertices, dtype=np.float64), np.asarray(mesh.faces, dtype=np.int32))
        fixer.repair(joincomp=False, remove_smallest_components=False)
        mesh = trimesh.Trimesh(np.asarray(fixer.points), np.asarray(fixer.faces), process=True)
        if len(mesh.faces) < 4 or not mesh.is_watertight:
            return None
    if mesh.volume < 0:
        mesh.invert()
    bounds_volume = float(np.prod(mesh.extents))
    if mesh.volume <= 1e-9 * max(bounds_volume, 1e-30):
        return None
    return mesh


def _union(pieces: list[trimesh.Trimesh]) -> tuple[trimesh.Trimesh, np.ndarray]:
    """Boolean union of closed pieces: (mesh, index of the input piece each face came from)."""
    from manifold3d import Manifold, Mesh, OpType

    solids, ids = [], {}
    for index, piece in enumerate(pieces):
        solid = Manifold(Mesh(vert_properties=np.ascontiguousarray(piece.vertices, dtype=np.float32),
                              tri_verts=np.ascontiguousarray(piece.faces, dtype=np.uint32)))
        if solid.is_empty():
            continue
        solid = solid.as_original()
        ids[solid.original_id()] = index
        solids.append(solid)
    if not solids:
        raise MeshImportError("repair", "unrepairable", "no piece is a valid closed manifold after repair")
    union = Manifold.batch_boolean(solids, OpType.Add) if len(solids) > 1 else solids[0]
    out = union.to_mesh64()
    faces = np.asarray(out.tri_verts, dtype=np.int64)
    vertices = np.asarray(out.vert_properties, dtype=np.float64)[:, :3]
    run_index = np.asarray(out.run_index, dtype=np.int64) // 3
    run_ids = np.asarray(out.run_original_id, dtype=np.int64)
    source = np.repeat([ids.get(int(i), 0) for i in run_ids], np.diff(run_index)).astype(np.int32)
    return trimesh.Trimesh(vertices, faces, process=False), source


def _drop_small_bodies(mesh: trimesh.Trimesh, source: np.ndarray, min_share: float) -> tuple[trimesh.Trimesh,
                                                                                            np.ndarray, int]:
    labels = trimesh.graph.connected_component_labels(mesh.face_adjacency, node_count=len(mesh.faces))
    count = int(labels.max()) + 1 if len(labels) else 0
    if count <= 1:
        return mesh, source, 0
    volumes = np.array([abs(mesh.submesh([np.flatnonzero(labels == k)], append=True).volume) for k in range(count)])
    keep = volumes >= min_share * volumes.sum()
    if keep.all():
        return mesh, source, 0
    mask = keep[labels]
    kept = mesh.submesh([np.flatnonzero(mask)], append=True)
    return kept, source[mask], int((~keep).sum())


def _coverage(original: trimesh.Trimesh, repaired: trimesh.Trimesh, tolerance: float, seed: int = 0,
              ) -> tuple[float, float]:
    """How faithful a repair is: (share of the input surface on or inside the repaired solid, share of the repaired
    surface near the input). A union legitimately swallows inner faces; losing outer ones or inventing surface
    (what MeshFix makes of a soup) shows in these numbers. Inside is judged by the nearest repaired face's side.
    """
    from dexvlg_data.objects.part_geometry import sample_faces

    rng = np.random.default_rng(seed)
    count = 4000
    a, _ = sample_faces(np.asarray(original.vertices), np.asarray(original.faces), count, rng)
    b, b_faces = sample_faces(np.asarray(repaired.vertices), np.asarray(repaired.faces), 4 * count, rng)
    distance, nearest = cKDTree(b).query(a)
    side = np.einsum("ij,ij->i", a - b[nearest], np.asarray(repaired.face_normals)[b_faces[nearest]])
    forward = float(np.mean((distance <= tolerance) | (side < 0)))
    back, _ = cKDTree(a).query(b[:count])
    return forward, float(np.mean(back <= tolerance))


def repair_mesh(mesh: trimesh.Trimesh, config: RepairConfig | None = None,
                ) -> tuple[trimesh.Trimesh, np.ndarray, RepairInfo]:
    """A watertight, outward-wound mesh from any triangle mesh: (mesh, source piece per face, what was done)."""
    config = config or RepairConfig()
    check_mesh(mesh, config)
    info = RepairInfo(faces_in=len(mesh.faces))
    cleaned = _clean(mesh, config.weld_tolerance)
    if len(cleaned.faces) == 0:
        raise MeshImportError("repair", "empty", "every face is degenerate or duplicated")
    labels = trimesh.graph.connected_component_labels(cleaned.face_adjacency, node_count=len(cleaned.faces))
    count = int(labels.max()) + 1
    info.components_in = count
    if count > config.max_components:
        raise MeshImportError("repair", "soup", f"{count:,} disconnected pieces (> {config.max_components:,}): "
                                                "a triangle soup, not a surface")
    areas = np.bincount(labels, weights=cleaned.area_faces, minlength=count)
    kept, dropped_area = [], 0.0
    for k in np.argsort(-areas):
        piece = cleaned.submesh([np.flatnonzero(labels == k)], append=True)
        was_closed = piece.is_watertight and piece.is_winding_consistent
        closed = _closed(piece)
        if closed is None:
            info.components_dropped += 1
            dropped_area += float(areas[k])
            continue
        info.components_closed += int(was_closed)
        info.components_fixed += int(not was_closed)
        kept.append(closed)
    info.dropped_area_share = float(dropped_area / max(areas.sum(), 1e-300))
    if not kept:
        code = "soup" if count > 1 else "unrepairable"
        raise MeshImportError("repair", code, f"none of {count:,} pieces encloses a volume (open, flat or "
                                              "non-manifold beyond repair)")
    if info.dropped_area_share > config.max_dropped_area:
        raise MeshImportError("repair", "soup", f"{info.components_dropped:,} of {count:,} pieces "
                                                f"({100 * info.dropped_area_share:.0f}% of the surface) enclose no "
                                                "volume and cannot be closed: a non-manifold triangle soup")
    if info.components_dropped:
        info.warnings.append(f"dropped {info.components_dropped} open/flat pieces "
                             f"({100 * info.dropped_area_share:.1f}% of the surface)")
    repaired, source = _union(kept)
    repaired, source, info.bodies_dropped = _drop_small_bodies(repaired, source, config.min_body_volume)
    if info.bodies_dropped:
        info.warnings.append(f"dropped {info.bodies_dropped} tiny separate bodies")
    if not repaired.is_watertight or repaired.volume <= 0:
        raise MeshImportError("repair", "unrepairable", "the union of the closed pieces is not a closed solid")
    diagonal = float(np.linalg.norm(cleaned.extents))
    info.coverage, info.precision = _coverage(cleaned, repaired, config.coverage_tolerance * diagonal)
    if info.coverage < config.min_coverage:
        raise MeshImportError("repair", "shape-changed", f"only {100 * info.coverage:.0f}% of the input surface lies "
                                                         "on or inside the repaired one: the repair lost much of it")
    if info.precision < config.min_precision:
        raise MeshImportError("repair", "shape-changed", f"only {100 * info.precision:.0f}% of the repaired surface "
                                                         "lies on the input: likely a non-manifold triangle soup")
    info.faces_out = len(repaired.faces)
    return repaired, source, info


def simplify_mesh(mesh: trimesh.Trimesh, face_budget: int, source: np.ndarray | None = None,
                  ) -> tuple[trimesh.Trimesh, np.ndarray | None, bool]:
    """Quadric decimation (fast-simplification) down to ``face_budget`` faces, keeping the mesh watertight.

    Returns (mesh, per-face source carried over by nearest face, whether it was simplified). When decimation
    opens the surface and MeshFix cannot close it again, the input comes back unchanged.
    """
    if len(mesh.faces) <= face_budget:
        return mesh, source, False
    import fast_simplification

    # fast-simplification wants writeable C arrays (trimesh's cached arrays are read-only views)
    points, faces = fast_simplification.simplify(np.array(mesh.vertices, dtype=np.float64, order="C"),
                                                 np.array(mesh.faces, dtype=np.int64, order="C"),
                                                 target_reduction=1.0 - face_budget / len(mesh.faces))
    out = trimesh.Trimesh(points, faces, process=True)
    if not (out.is_watertight and out.is_winding_consistent):
        out = _closed(out)
        if out is None:
            return mesh, source, False
    if out.volume < 0:
        out.invert()
    if source is not None:
        _, nearest = cKDTree(mesh.triangles_center).query(out.triangles_center)
        source = np.asarray(source)[nearest]
    return out, source, True
