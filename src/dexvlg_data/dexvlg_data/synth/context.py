"""What synthesis precomputes once per object: distance grid, part geometry, surface samples, the sim object.

    target = prepare_object(part_object, config)     # seconds (CoACD and the grid; both cached by the callers)
    target.part("handle")                             # PartGeometry: kind, box, principal direction, grasp area

Everything is in the object (mesh) frame, the frame grasps are stored and validated in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import torch
from scipy.spatial import cKDTree

from dexvlg_core.hand.geometry import HandGeometryConfig, collision_primitives, convex_planes
from dexvlg_core.hand.model import HandModel, HandModelConfig
from dexvlg_core.sim import DecompositionConfig, SimObject, load_object
from dexvlg_data.objects.part_geometry import PartGeometry, analyze_parts, sample_faces
from dexvlg_data.objects.part_object import PartObject
from dexvlg_data.synth.config import SynthConfig
from dexvlg_data.synth.sdf import ConvexUnion, ObjectSDF


@lru_cache(maxsize=4)
def hand_model(surface_points: int = SynthConfig.hand_surface_points,
               sphere_spacing: float = SynthConfig.hand_sphere_spacing, dtype: torch.dtype = torch.float32,
               ) -> HandModel:
    """The shared HandModel for synthesis (building one takes about a second), by point-set density."""
    # The forearm's surface is included: validation simulates it, and around handles and wide parts it is what
    # runs into the object first.
    config = HandModelConfig(geometry=HandGeometryConfig(surface_points=surface_points, sphere_spacing=sphere_spacing,
                                                         include_forearm=True))
    return HandModel("cpu", dtype, config)


@lru_cache(maxsize=4)
def forearm_planes(hand: HandModel, count: int = 64) -> torch.Tensor:
    """(K, 4) planes of the forearm's collision hull in the forearm's link frame (geometry.convex_planes).

    The forearm is one big convex hull in the simulator: a thin handle or blade that pokes into it lies between
    the hand's surface samples there (a point inside a 2 cm handle is never more than 1 cm deep), so the
    object's samples are tested against these planes instead (energy.hull_penetration_energy).
    """
    (prim,) = collision_primitives(hand.mj_model, ("rh_forearm",))
    return torch.as_tensor(convex_planes(prim.mesh, count), dtype=hand.dtype)


@dataclass(eq=False)
class SynthObject:
    """A PartObject with everything the energies and the initializer read, as torch tensors where they need it."""

    obj: PartObject
    sim: SimObject
    sdf: ObjectSDF
    parts: list[PartGeometry]
    surface_points: np.ndarray  # (M, 3) area-uniform samples of the mesh
    surface_parts: np.ndarray  # (M,) part index of each
    centre: np.ndarray  # (3,) torque reference (volume centroid)
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def category(self) -> str:
        return self.obj.category

    @property
    def part_names(self) -> tuple[str, ...]:
        return self.obj.part_names

    def part(self, name: str) -> PartGeometry:
        """Geometry of a part by name; KeyError naming the parts that have geometry."""
        for geometry in self.parts:
            if geometry.name == name:
                return geometry
        raise KeyError(f"{self.obj.object_id} has no analysed part {name!r}; parts: {[p.name for p in self.parts]}")

    def samples(self, limit: int) -> torch.Tensor:
        """At most ``limit`` surface samples (K, 3) of the whole object, evenly taken from the area-uniform set."""
        key = ("all", limit)
        if key not in self._cache:
            index = np.linspace(0, len(self.surface_points) - 1, min(limit, len(self.surface_points)))
            self._cache[key] = torch.as_tensor(self.surface_points[index.astype(np.int64)], dtype=self.sdf.dtype)
        return self._cache[key]

    def points_of(self, part: str, other: bool = False, limit: int | None = None, reach: float = 0.15,
                  ) -> torch.Tensor:
        """Surface samples (K, 3) of a part, at most ``limit`` of them.

        other=True: samples of every other part within ``reach`` of the part (where a hand on the part can be).
        """
        key = (part, other, limit, reach)
        if key not in self._cache:
            index = self.obj.part_index(part)
            mask = (self.surface_parts != index) if other else (self.surface_parts == index)
            points = self.surface_points[mask]
            if other and len(points):
                near, _ = cKDTree(self.surface_points[self.surface_parts == index]).query(points, k=1)
                points = points[near <= reach]
            if limit is not None and len(points) > limit:
                points = points[np.linspace(0, len(points) - 1, limit).astype(np.int64)]
            self._cache[key] = torch.as_tensor(points, dtype=self.sdf.dtype)
        return self._cache[key]


def prepare_object(obj: PartObject, config: SynthConfig | None = None,
                   decomposition: DecompositionConfig | None = None) -> SynthObject:
    """Load the sim object (CoACD pieces, cached on disk), build the distance grid, analyse the parts.

    Raises dexvlg_core.sim.MeshError for meshes the simulator cannot use, ValueError for objects without parts.
    """
    config = config or SynthConfig()
    if len(obj.part_names) == 0 or len(obj.face_parts) == 0:
        raise ValueError(f"{obj.object_id}: no part labels")
    sim = load_object(obj, config=decomposition)
    shape = ConvexUnion(sim.hulls) if config.sdf.source == "collision" else obj.mesh
    if config.sdf.source not in ("collision", "mesh"):
        raise ValueError(f"SDFConfig.source must be 'collision' or 'mesh', not {config.sdf.source!r}")
    sdf = ObjectSDF.build(shape, config.sdf)
    parts = analyze_parts(obj)
    rng = np.random.default_rng(0)
    count = max(8192, 4 * config.barrier_points)
    points, faces = sample_faces(np.asarray(obj.mesh.vertices), np.asarray(obj.mesh.faces), count, rng)
    centre = np.asarray(obj.mesh.center_mass if obj.mesh.is_volume else obj.mesh.centroid, dtype=np.float64)
    return SynthObject(obj, sim, sdf, parts, points, obj.face_parts[faces], centre)
