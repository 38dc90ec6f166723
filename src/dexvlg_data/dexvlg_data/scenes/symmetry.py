"""Rotational symmetry of a part-labeled mesh, used to merge stable poses that only differ by a symmetry.

A rotation S (about an axis through the surface centroid) is a symmetry when every part, rotated by S, lies on
the same part of the unrotated mesh (part labels count: a mug is not symmetric because of its handle, a bottle
is). Two resting poses with object-frame up-vectors u1, u2 are the same pose when u2 is in the orbit of u1
under the symmetry group; yaw about the table normal never matters.

Tested per candidate axis (principal axes of the surface and the object frame's axes): n-fold symmetry for
n = 2..6 and continuous symmetry (invariance under two unrelated angles).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.spatial.transform import Rotation

from dexvlg_core.sim.checks import point_triangles_distance

_ORDERS = (6, 5, 4, 3, 2)  # highest first: a 4-fold axis is also 2-fold
_CONTINUOUS_ANGLES_DEG = (37.0, 51.4)  # a shape invariant under both is (numerically) axially symmetric


@dataclass(frozen=True)
class SymmetryConfig:
    """How symmetry is tested."""

    samples_per_part: int = 160  # surface samples per part that must land back on the same part
    tolerance: float = 0.01  # allowed distance, as a fraction of the bounding-box diagonal (95th percentile)
    seed: int = 0


@dataclass(frozen=True)
class SymmetryAxis:
    """One symmetry axis in the object frame; order 0 means continuous (any angle)."""

    axis: np.ndarray
    order: int

    def rotations(self, step_deg: float = 3.0) -> list[np.ndarray]:
        """Rotation matrices of this axis' group except the identity (continuous: sampled every step_deg)."""
        count = self.order if self.order > 0 else int(round(360.0 / step_deg))
        return [Rotation.from_rotvec(self.axis * 2.0 * np.pi * k / count).as_matrix() for k in range(1, count)]


@dataclass(frozen=True)
class Symmetry:
    """The rotational symmetries found for an object (empty: none)."""

    axes: tuple[SymmetryAxis, ...] = field(default_factory=tuple)

    @property
    def trivial(self) -> bool:
        return not self.axes

    def describe(self) -> str:
        """Short text, e.g. "C_inf about (0, 0, 1)"."""
        if self.trivial:
            return "none"
        return "; ".join(f"C{'_inf' if a.order == 0 else a.order} about ({a.axis[0]:.2f}, {a.axis[1]:.2f}, "
                         f"{a.axis[2]:.2f})" for a in self.axes)

    def orbit(self, vector: np.ndarray, step_deg: float = 3.0, max_size: int = 4000) -> np.ndarray:
        """(K, 3) unit vectors the group maps ``vector`` to (breadth first, merged within step_deg / 2)."""
        start = np.asarray(vector, float) / np.linalg.norm(vector)
        if self.trivial:
            return start[None]
        generators = [r for a in self.axes for r in a.rotations(step_deg)]
        merge = np.cos(np.radians(step_deg / 2.0))
        orbit, frontier = [start], [start]
        while frontier and len(orbit) < max_size:
            fresh = []
            for v in frontier:
                for rot in generators:
                    w = rot @ v
                    if max(float(w @ o) for o in orbit) < merge:
                        orbit.append(w)
                        fresh.append(w)
            frontier = fresh
        return np.array(orbit)

    def to_array(self) -> np.ndarray:
        """(A, 4) rows (axis x, y, z, order) for storage."""
        return np.array([[*a.axis, a.order] for a in self.axes], dtype=np.float64).reshape(-1, 4)

    @classmethod
    def from_array(cls, rows: np.ndarray) -> Symmetry:
        """Inverse of :meth:`to_array`."""
        return cls(tuple(SymmetryAxis(np.asarray(r[:3], float), int(r[3])) for r in np.asarray(rows).reshape(-1, 4)))


def _sample_parts(vertices: np.ndarray, faces: np.ndarray, labels: np.ndarray, count: int,
                  rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per part: (area-uniform surface samples, that part's triangles)."""
    triangles = vertices[faces]
    out = []
    for part in np.unique(labels):
        tri = triangles[labels == part]
        area = 0.5 * np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)
        if area.sum() <= 0:
            continue
        pick = rng.choice(len(tri), size=count, p=area / area.sum())
        r1, r2 = rng.random(count), rng.random(count)
        s = np.sqrt(r1)
        corners = tri[pick]
        points = (1 - s)[:, None] * corners[:, 0] + (s * (1 - r2))[:, None] * corners[:, 1] + \
            (s * r2)[:, None] * corners[:, 2]
        out.append((points, tri))
    return out


def _invariant(parts: list[tuple[np.ndarray, np.ndarray]], centre: np.ndarray, rotation: np.ndarray,
               limit: float) -> bool:
    for points, tri in parts:
        moved = (points - centre) @ rotation.T + centre
        if np.percentile(point_triangles_distance(moved, tri), 95) > limit:
            return False
    return True


def _surface_frame(vertices: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Area-weighted surface centroid (exact, unlike a sample mean) and candidate axes: the principal axes of
    the area-weighted triangle centroids and the object frame's axes.
    """
    tri = vertices[faces]
    area = 0.5 * np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)
    centres = tri.mean(axis=1)
    centroid = (area[:, None] * centres).sum(axis=0) / area.sum()
    offsets = centres - centroid
    _, vectors = np.linalg.eigh((area[:, None] * offsets).T @ offsets)
    axes: list[np.ndarray] = []
    for axis in [*np.eye(3), *vectors.T]:
        axis = np.asarray(axis, float) / np.linalg.norm(axis)
        if all(abs(axis @ a) < 0.995 for a in axes):
            axes.append(axis)
    return centroid, axes


def detect_symmetry(vertices: np.ndarray, faces: np.ndarray, face_parts: np.ndarray | None = None,
                    config: SymmetryConfig | None = None) -> Symmetry:
    """Rotational symmetry axes of a (part-labeled) mesh; see the module docstring."""
    config = config or SymmetryConfig()
    vertices = np.asarray(vertices, float)
    faces = np.asarray(faces, np.int64)
    labels = np.zeros(len(faces), np.int64) if face_parts is None else np.asarray(face_parts)
    rng = np.random.default_rng(config.seed)
    parts = _sample_parts(vertices, faces, labels, config.samples_per_part, rng)
    if not parts:
        return Symmetry()
    centre, axes = _surface_frame(vertices, faces)
    limit = config.tolerance * float(np.linalg.norm(vertices.max(axis=0) - vertices.min(axis=0)))
    found: list[SymmetryAxis] = []
    for axis in axes:
        def invariant(degrees: float, axis: np.ndarray = axis) -> bool:
            return _invariant(parts, centre, Rotation.from_rotvec(axis * np.radians(degrees)).as_matrix(), limit)

        # Every order in _ORDERS has a 2-, 3- or 5-fold subgroup: an axis with none of them has no symmetry.
        if not any(invariant(360.0 / n) for n in (2, 3, 5)):
            continue
        if all(invariant(a) for a in _CONTINUOUS_ANGLES_DEG):
            found.append(SymmetryAxis(axis, 0))
            continue
        order = next(n for n in _ORDERS if invariant(360.0 / n))
        found.append(SymmetryAxis(axis, order))
    return Symmetry(tuple(found))
