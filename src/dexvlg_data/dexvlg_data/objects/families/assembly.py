"""Union closed part solids into one watertight mesh whose faces remember which part they came from."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import trimesh
from manifold3d import Manifold, OpType


class AssemblyError(ValueError):
    """A generator produced an invalid solid (not closed, several bodies, a part with no visible surface)."""


@dataclass
class PartAssembly:
    """Closed solids tagged with part names; ``build`` unions them and labels every face by provenance.

    Each added solid is made a manifold3d "original", so after the boolean union each output triangle's run
    names the input it came from (``run_original_id``): the labels are exact, with no nearest-face guessing.
    Where solids overlap, the surface that stays outside belongs to the solid it was cut from.
    """

    part_names: tuple[str, ...]
    params: dict[str, object] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)  # per-instance part-kind overrides (e.g. a tall shade)
    _pieces: list[tuple[int, Manifold]] = field(default_factory=list)

    def add(self, part: str, solid: Manifold) -> None:
        """Add a closed solid to a part (a part may be made of several solids)."""
        if part not in self.part_names:
            raise AssemblyError(f"unknown part {part!r}; parts: {self.part_names}")
        if solid.is_empty():
            raise AssemblyError(f"empty solid for part {part!r} ({solid.status()})")
        self._pieces.append((self.part_names.index(part), solid))

    def build(self) -> tuple[trimesh.Trimesh, np.ndarray]:
        """Union all solids: (watertight single-body mesh, per-face part index)."""
        if not self._pieces:
            raise AssemblyError("no solids")
        originals = [solid.as_original() for _, solid in self._pieces]
        id_to_part = {m.original_id(): part for m, (part, _) in zip(originals, self._pieces, strict=True)}
        union = Manifold.batch_boolean(originals, OpType.Add)
        shells = union.decompose()
        # A lid on a hollow pot seals its cavity: that void's inward-facing shell (negative volume) is invisible
        # and would only mislead surface sampling, so it is dropped; everything left must be one body.
        bodies = [s for s in shells if s.volume() > 0]
        if len(bodies) != 1:
            raise AssemblyError(f"{len(bodies)} separate bodies; parts must touch to form one solid")
        out = (bodies[0] if len(shells) > 1 else union).to_mesh64()
        tris = np.asarray(out.tri_verts, dtype=np.int64)
        verts = np.asarray(out.vert_properties, dtype=np.float64)[:, :3]
        run_index = np.asarray(out.run_index, dtype=np.int64) // 3
        run_ids = np.asarray(out.run_original_id, dtype=np.int64)
        face_parts = np.repeat([id_to_part[int(i)] for i in run_ids], np.diff(run_index)).astype(np.int32)
        present = np.unique(face_parts)
        if len(present) != len(self.part_names):
            missing = [n for i, n in enumerate(self.part_names) if i not in present]
            raise AssemblyError(f"parts with no surface after the union: {missing}")
        mesh = trimesh.Trimesh(vertices=verts, faces=tris, process=False)
        return mesh, face_parts
