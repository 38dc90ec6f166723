"""Signed distance to an object surface: exact queries in numpy, and a precomputed grid queried in torch.

Sign convention: positive outside, negative inside (trimesh's signed_distance is the opposite); normals point
outward. The grid is what the optimizer uses (one trilinear lookup per point, differentiable in the point); the
exact query builds the grid and serves as its reference.

Exact query: the closest point among the triangles of the ``candidates`` surface samples nearest to each query
point (a KD-tree over dense area samples, vertices and centroids), with the sign from the angle-weighted
pseudonormal of the closest feature (face, edge or vertex), which is exact for watertight meshes (Baerentzen &
Aanaes 2005). Grid: exact values within ``band`` of the surface; beyond it, the distance to the nearest surface
sample (its error shrinks like spacing^2 / distance) and a sign per connected far region, voted by the band.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
import trimesh
from scipy import ndimage
from scipy.spatial import cKDTree

from dexvlg_core.triangles import closest_point_on_triangles
from dexvlg_data.synth.config import SDFConfig

_FACE, _VA, _VB, _VC, _EAB, _EBC, _ECA = range(7)  # feature codes of closest_point_on_triangles


class MeshDistance:
    """Exact signed distance, closest points and outward normals of a watertight triangle mesh (numpy)."""

    def __init__(self, mesh: trimesh.Trimesh, spacing: float | None = None, candidates: int = 12,
                 max_samples: int = 400_000, inside: Callable[[np.ndarray], np.ndarray] | None = None):
        mesh = trimesh.Trimesh(np.asarray(mesh.vertices, dtype=np.float64), np.asarray(mesh.faces), process=True)
        self.mesh = mesh
        self.inside = inside  # an exact inside test, when known, overrides the pseudonormal sign
        self.candidates = candidates
        self.triangles = np.asarray(mesh.triangles)
        self.face_normals = np.asarray(mesh.face_normals)
        faces = np.asarray(mesh.faces)
        # Pseudonormals: vertices angle-weighted, edges the sum of their two faces.
        vertex = np.zeros((len(mesh.vertices), 3))
        np.add.at(vertex, faces.ravel(), (np.asarray(mesh.face_angles)[..., None] * self.face_normals[:, None]
                                          ).reshape(-1, 3))
        edge = np.zeros((len(mesh.edges_unique), 3))
        np.add.at(edge, mesh.edges_unique_inverse, np.repeat(self.face_normals, 3, axis=0))
        # per triangle: rows = the 7 feature codes
        self._pseudo = np.stack([self.face_normals, vertex[faces[:, 0]], vertex[faces[:, 1]], vertex[faces[:, 2]],
                                 *(edge[mesh.edges_unique_inverse.reshape(-1, 3)[:, k]] for k in range(3))], axis=1)
        # Dense samples (area-uniform + vertices + centroids), each remembering its triangle.
        area = float(mesh.area)
        spacing = spacing or np.sqrt(area / 50_000)
        count = int(np.clip(area / spacing**2, 10_000, max_samples))
        points, face_of = trimesh.sample.sample_surface(mesh, count, seed=0)
        corner_faces = np.repeat(np.arange(len(faces)), 3)
        self._samples = np.concatenate([points, self.triangles.reshape(-1, 3), mesh.triangles_center])
        self._sample_face = np.concatenate([face_of, corner_faces, np.arange(len(faces))])
        self._tree = cKDTree(self._samples)

    @property
    def samples(self) -> np.ndarray:
        """The dense surface samples (S, 3) the candidate search uses."""
        return self._samples

    def query(self, points: np.ndarray, chunk: int = 100_000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Signed distance (N,), outward unit normal (N, 3) and closest surface point (N, 3) of points (N, 3)."""
        points = np.asarray(points, dtype=np.float64).reshape(-1, 3)
        out_d, out_n, out_c = np.empty(len(points)), np.empty((len(points), 3)), np.empty((len(points), 3))
        for start in range(0, len(points), chunk):
            sl = slice(start, start + chunk)
            out_d[sl], out_n[sl], out_c[sl] = self._query(points[sl])
        return out_d, out_n, out_c

    def _query(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        k = min(self.candidates, len(self._samples))
        _, idx = self._tree.query(points, k=k)
        faces = self._sample_face[idx.reshape(len(points), k)]  # (N, k)
        rep = np.repeat(points, k, axis=0)
        tri = self.triangles[faces.ravel()]
        closest, feature = closest_point_on_triangles(rep, tri[:, 0], tri[:, 1], tri[:, 2])
        dist = np.linalg.norm(rep - closest, axis=1).reshape(len(points), k)
        best = np.argmin(dist, axis=1)
        rows = np.arange(len(points))
        face = faces[rows, best]
        closest = closest.reshape(len(points), k, 3)[rows, best]
        feature = feature.reshape(len(points), k)[rows, best]
        dist = dist[rows, best]
        pseudo = self._pseudo[face, feature]
        offset = points - closest
        if self.inside is not None:
            sign = np.where(self.inside(points), -1.0, 1.0)
        else:
            sign = np.where(np.einsum("ij,ij->i", offset, pseudo) < 0.0, -1.0, 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            normal = offset / dist[:, None] * sign[:, None]
        on_surface = dist < 1e-9
        pseudo_unit = pseudo / np.maximum(np.linalg.norm(pseudo, axis=1, keepdims=True), 1e-12)
        normal[on_surface] = pseudo_unit[on_surface]
        return sign * dist, normal, closest


class ConvexUnion:
    """A union of convex pieces (MuJoCo's collision shape of an object): its boundary mesh and inside test.

    The boundary comes from manifold3d's union of the pieces' hulls; where pieces touch along an edge it can
    have non-manifold edges, so the sign comes from the exact inside test (inside any piece's half-spaces).
    """

    def __init__(self, pieces: Sequence[np.ndarray]):
        import manifold3d
        from scipy.spatial import ConvexHull

        hulls = [ConvexHull(np.asarray(p, dtype=np.float64)) for p in pieces]
        self.equations = [h.equations for h in hulls]  # (F, 4): normal . x + offset <= 0 inside
        solids = [manifold3d.Manifold.hull_points(np.asarray(p, dtype=np.float64)[h.vertices])
                  for p, h in zip(pieces, hulls, strict=True)]
        union = manifold3d.Manifold.batch_boolean(solids, manifold3d.OpType.Add).to_mesh()
        self.mesh = trimesh.Trimesh(np.asarray(union.vert_properties)[:, :3], np.asarray(union.tri_verts),
                                    process=True)
        self._lower = [h.min_bound for h in hulls]
        self._upper = [h.max_bound for h in hulls]

    def contains(self, points: np.ndarray) -> np.ndarray:
        """(N,) whether each point lies inside (or on) any piece."""
        points = np.asarray(points, dtype=np.float64).reshape(-1, 3)
        inside = np.zeros(len(points), dtype=bool)
        for eq, lo, hi in zip(self.equations, self._lower, self._upper, strict=True):
            near = np.flatnonzero(np.all((points >= lo) & (points <= hi), axis=1) & ~inside)
            if len(near):
                inside[near] = (points[near] @ eq[:, :3].T + eq[:, 3]).max(axis=1) <= 0.0
        return inside


@dataclass
class GridInfo:
    """Numbers about a built grid (for logs and benchmarks)."""

    shape: tuple[int, int, int]
    cell: float
    exact_points: int
    seconds: float


class ObjectSDF:
    """Signed-distance grid of an object with outward normals, queried in torch (trilinear, differentiable).

        sdf = ObjectSDF.build(mesh, SDFConfig())
        distance, normal = sdf(points)      # points (..., 3) -> (...), (..., 3)

    Beyond the grid the distance is the value at the nearest grid point plus the distance to it, so far points
    still feel a pull towards the object.
    """

    def __init__(self, values: np.ndarray, normals: np.ndarray, lower: np.ndarray, cell: float,
                 device: str | torch.device = "cpu", dtype: torch.dtype = torch.float32, info: GridInfo | None = None):
        self.device, self.dtype = torch.device(device), dtype
        self.cell = float(cell)
        self.shape = tuple(int(s) for s in values.shape)
        self.info = info
        # grid_sample wants (N, C, D, H, W) with the last point coordinate indexing W: store (z, y, x).
        stacked = np.concatenate([values[None], np.moveaxis(normals, -1, 0)], axis=0).transpose(0, 3, 2, 1)
        self._grid = torch.as_tensor(np.ascontiguousarray(stacked), dtype=dtype, device=self.device)[None]
        self._values = self._grid[:, :1].contiguous()  # the distance channel alone, for distance()
        self.lower = torch.as_tensor(lower, dtype=dtype, device=self.device)
        self.upper = self.lower + cell * (torch.as_tensor(self.shape, dtype=dtype, device=self.device) - 1)

    @classmethod
    def build(cls, mesh: trimesh.Trimesh | ConvexUnion, config: SDFConfig | None = None,
              device: str | torch.device = "cpu", dtype: torch.dtype = torch.float32) -> ObjectSDF:
        """Grid over the shape's bounds plus config.margin (a watertight mesh or a union of convex pieces)."""
        import time

        start = time.perf_counter()
        config = config or SDFConfig()
        inside = None
        if isinstance(mesh, ConvexUnion):
            mesh, inside = mesh.mesh, mesh.contains
        bounds = np.asarray(mesh.bounds, dtype=np.float64)
        lower, upper = bounds[0] - config.margin, bounds[1] + config.margin
        cell = max(config.cell, float((upper - lower).max()) / (config.max_cells - 1))
        shape = np.ceil((upper - lower) / cell).astype(np.int64) + 1
        axes = [lower[i] + cell * np.arange(shape[i]) for i in range(3)]
        points = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 3)

        exact = MeshDistance(mesh, spacing=0.5 * cell, candidates=config.candidates, inside=inside)
        grid_shape = tuple(int(s) for s in shape)
        # Surface voxels: grid points next to a surface sample. Their Euclidean distance transform finds the
        # band (exact distances there) and, for every far point, a nearby surface point to measure from.
        ijk = np.clip(np.rint((exact.samples - lower) / cell).astype(np.int64), 0, shape - 1)
        surface = np.zeros(grid_shape, dtype=bool)
        surface[ijk[:, 0], ijk[:, 1], ijk[:, 2]] = True
        cells, nearest = ndimage.distance_transform_edt(~surface, return_indices=True)
        band = (cells.ravel() * cell) <= config.band + cell
        values, normals = np.empty(len(points)), np.empty((len(points), 3))
        closest = np.empty((len(points), 3))
        values[band], normals[band], closest[band] = exact.query(points[band])
        far = ~band
        anchor = np.ravel_multi_index(tuple(n.ravel()[far] for n in nearest), grid_shape)  # surface voxel
        offset = points[far] - closest[anchor]
        values[far] = np.linalg.norm(offset, axis=1)
        normals[far] = offset

        # Far points: one sign per connected far region, the majority of its band neighbours'.
        far_grid = far.reshape(grid_shape)
        sign_grid = np.sign(values).reshape(grid_shape) * (~far_grid)
        labels, count = ndimage.label(far_grid)
        if count:
            votes = np.zeros(count + 1)
            for axis in range(3):
                for step in (1, -1):
                    neighbour = np.roll(sign_grid, step, axis=axis)
                    valid = np.ones(grid_shape, dtype=bool)
                    edge = [slice(None)] * 3
                    edge[axis] = slice(0, 1) if step == 1 else slice(-1, None)
                    valid[tuple(edge)] = False  # no wrap-around
                    votes += np.bincount(labels[valid], weights=neighbour[valid], minlength=count + 1)
            region_sign = np.where(votes >= 0, 1.0, -1.0)[labels.ravel()[far]]
            values[far] *= region_sign
            normals[far] *= region_sign[:, None]
        norm = np.linalg.norm(normals, axis=1, keepdims=True)
        normals = normals / np.maximum(norm, 1e-12)
        info = GridInfo(grid_shape, cell, int(band.sum()), time.perf_counter() - start)
        return cls(values.reshape(grid_shape), normals.reshape(*grid_shape, 3), lower, cell, device, dtype, info)

    def _sample(self, grid: torch.Tensor, points: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Channels of ``grid`` (C, N) at points (..., 3) clamped into the grid, and the distance (N,) from
        each point to where it was clamped.
        """
        flat = points.reshape(-1, 3)
        inside = torch.maximum(torch.minimum(flat, self.upper), self.lower)
        coords = (inside - self.lower) / (self.upper - self.lower) * 2.0 - 1.0
        sampled = torch.nn.functional.grid_sample(
            grid, coords.view(1, 1, 1, -1, 3), mode="bilinear", padding_mode="border", align_corners=True
        ).view(grid.shape[1], -1)
        return sampled, torch.linalg.vector_norm(flat - inside, dim=-1)

    def __call__(self, points: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Signed distance (...) and unit outward normal (..., 3) at points (..., 3); differentiable in points."""
        sampled, outside = self._sample(self._grid, points)
        normal = torch.nn.functional.normalize(sampled[1:].T, dim=-1)
        return (sampled[0] + outside).view(points.shape[:-1]), normal.view(*points.shape[:-1], 3)

    def distance(self, points: torch.Tensor) -> torch.Tensor:
        """Signed distance (...) at points (..., 3), as ``self(points)[0]`` without the normals (cheaper)."""
        sampled, outside = self._sample(self._values, points)
        return (sampled[0] + outside).view(points.shape[:-1])
