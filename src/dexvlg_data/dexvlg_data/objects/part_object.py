"""PartObject: a watertight mesh whose faces carry semantic part labels — the unit every later stage consumes."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import trimesh


@dataclass
class PartObject:
    """A mesh (metres, object frame) with one part label per face and a name and color per part.

    ``face_parts[f]`` indexes ``part_names``; ``part_colors`` is (P, 3) uint8. ``category`` is the human object
    name used in captions ("mug"); ``object_id`` is unique and stable ("mug-00042" for a procedural object made
    from (category, seed)); ``source`` says where it came from ("procedural", "pybullet_data", "user:<path>").
    """

    object_id: str
    category: str
    mesh: trimesh.Trimesh
    face_parts: np.ndarray
    part_names: tuple[str, ...]
    part_colors: np.ndarray
    source: str = "procedural"
    metadata: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.face_parts = np.asarray(self.face_parts, dtype=np.int32)
        self.part_colors = np.asarray(self.part_colors, dtype=np.uint8).reshape(-1, 3)
        self.part_names = tuple(self.part_names)
        if len(self.face_parts) != len(self.mesh.faces):
            raise ValueError(f"{self.object_id}: {len(self.face_parts)} face labels for {len(self.mesh.faces)} faces")
        if len(self.part_colors) != len(self.part_names):
            raise ValueError(f"{self.object_id}: {len(self.part_colors)} colors for {len(self.part_names)} parts")
        if len(self.face_parts) and (self.face_parts.min() < 0 or self.face_parts.max() >= len(self.part_names)):
            raise ValueError(f"{self.object_id}: face labels outside 0..{len(self.part_names) - 1}")

    def part_index(self, name: str) -> int:
        """Index of a part by name; unknown parts are a clear error."""
        try:
            return self.part_names.index(name)
        except ValueError:
            raise KeyError(
                f"{self.object_id} ({self.category}) has no part {name!r}; parts: {self.part_names}"
            ) from None

    def part_mesh(self, name: str) -> trimesh.Trimesh:
        """The faces of one part as their own mesh (not watertight in general)."""
        return self.mesh.submesh([np.flatnonzero(self.face_parts == self.part_index(name))], append=True)

    def face_colors(self) -> np.ndarray:
        """(F, 3) uint8 color of every face, from its part."""
        return self.part_colors[self.face_parts]

    @property
    def diagonal(self) -> float:
        """Bounding-box diagonal (m)."""
        return float(np.linalg.norm(self.mesh.extents))
