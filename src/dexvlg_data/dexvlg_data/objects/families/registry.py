"""Category registry: a spec per category (parts, part kinds, palettes, generator) and ``generate(category, seed)``."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from dexvlg_data.objects.families.assembly import PartAssembly
from dexvlg_data.objects.families.palette import sample_color
from dexvlg_data.objects.part_object import PartObject

PartKind = Literal["lid-like", "disk-like", "L-shaped", "shaft-like"]
PART_KINDS: tuple[str, ...] = ("lid-like", "disk-like", "L-shaped", "shaft-like")

# The reference pipeline normalizes every object so its bounding-box diagonal lies in [20, 50] cm; objects whose
# real size falls outside are scaled uniformly to the nearest bound (a small margin keeps float noise inside).
DIAGONAL_RANGE = (0.20, 0.50)
_DIAGONAL_MARGIN = 0.002

Builder = Callable[[np.random.Generator, PartAssembly], None]


@dataclass(frozen=True)
class PartSpec:
    """One semantic part: its name as people say it, the part kind it is built to be, and its color source.

    ``materials`` are palette names (palette.MATERIALS); with probability ``same_prob`` the part takes the color
    of part ``same_as`` instead (a mug's handle is usually glazed like its body).
    """

    name: str
    kind: PartKind
    materials: tuple[str, ...]
    same_as: str | None = None
    same_prob: float = 0.0


@dataclass(frozen=True)
class FamilySpec:
    """A procedural category: caption name, parts in label order, and the generator that builds the solids."""

    category: str
    parts: tuple[PartSpec, ...]
    build: Builder

    @property
    def slug(self) -> str:
        """Category name usable in ids and file names ("spray bottle" -> "spray_bottle")."""
        return self.category.replace(" ", "_")

    @property
    def part_names(self) -> tuple[str, ...]:
        """Part names in label order."""
        return tuple(p.name for p in self.parts)

    @property
    def part_kinds(self) -> dict[str, str]:
        """Part name -> the part kind it is built to be (an instance may override it: see metadata["part_kinds"])."""
        return {p.name: p.kind for p in self.parts}


_REGISTRY: dict[str, FamilySpec] = {}


def family(category: str, parts: tuple[PartSpec, ...]) -> Callable[[Builder], Builder]:
    """Decorator registering a generator function under ``category``."""

    def register(build: Builder) -> Builder:
        if category in _REGISTRY:
            raise ValueError(f"category {category!r} registered twice")
        names = [p.name for p in parts]
        if len(set(names)) != len(names) or len(names) < 2:
            raise ValueError(f"{category}: need >= 2 distinctly named parts, got {names}")
        _REGISTRY[category] = FamilySpec(category, parts, build)
        return build

    return register


def _load() -> None:
    # Importing the category modules fills the registry (they use the @family decorator).
    from dexvlg_data.objects.families import household, kitchen, tools, vessels  # noqa: F401


def list_categories() -> list[str]:
    """All registered category names, sorted."""
    _load()
    return sorted(_REGISTRY)


def get_spec(category: str) -> FamilySpec:
    """The spec of a category; accepts the caption name ("spray bottle") or the slug ("spray_bottle")."""
    _load()
    name = category.replace("_", " ")
    if name not in _REGISTRY:
        raise KeyError(f"unknown category {category!r}; known: {sorted(_REGISTRY)}")
    return _REGISTRY[name]


def object_id(category: str, seed: int) -> str:
    """Stable id of a procedural object, e.g. "mug-00042"."""
    return f"{get_spec(category).slug}-{int(seed):05d}"


def _rng(category: str, seed: int) -> np.random.Generator:
    # crc32, not hash(): Python salts str hashes per process and generation must be reproducible anywhere.
    return np.random.default_rng([zlib.crc32(category.encode()), int(seed)])


def flat_kind(thickness: float, width: float, limit: float = 0.35) -> str:
    """Kind of a round part from its proportions: disk-like when thin for its width, else shaft-like."""
    return "disk-like" if thickness <= limit * width else "shaft-like"


def normalize_scale(diagonal: float, lo: float = DIAGONAL_RANGE[0], hi: float = DIAGONAL_RANGE[1]) -> float:
    """Uniform scale bringing a bounding-box diagonal into [lo, hi] (1.0 when it already is)."""
    target = float(np.clip(diagonal, lo + _DIAGONAL_MARGIN, hi - _DIAGONAL_MARGIN))
    return target / diagonal


def generate(category: str, seed: int) -> PartObject:
    """Build the procedural object (category, seed): watertight, part-labeled, colored, diagonal in range.

    The object stands upright (+z up) with its bounding-box centre at the origin. Geometry and colors use
    separate random streams, so palette changes never change shapes.
    """
    spec = get_spec(category)
    geo_rng, color_rng = _rng(spec.category, seed).spawn(2)
    asm = PartAssembly(spec.part_names)
    spec.build(geo_rng, asm)
    mesh, face_parts = asm.build()
    kinds = {**spec.part_kinds, **asm.kinds}
    if set(kinds) != set(spec.part_names) or not set(kinds.values()) <= set(PART_KINDS):
        raise ValueError(f"{spec.category}: bad part kinds {kinds}")
    real_diag = float(np.linalg.norm(mesh.extents))
    scale = normalize_scale(real_diag)
    center = mesh.bounds.mean(axis=0)
    mesh.vertices = (mesh.vertices - center) * scale
    colors = np.zeros((len(spec.parts), 3), dtype=np.uint8)
    for i, part in enumerate(spec.parts):
        colors[i] = sample_color(part.materials, color_rng)
        if part.same_as is not None and color_rng.random() < part.same_prob:
            colors[i] = colors[spec.part_names.index(part.same_as)]
    metadata: dict[str, object] = {
        "seed": int(seed),
        "part_kinds": kinds,
        "real_diagonal": real_diag,
        "scale": scale,
        "up": (0.0, 0.0, 1.0),
        "params": dict(asm.params),
    }
    return PartObject(object_id=f"{spec.slug}-{int(seed):05d}", category=spec.category, mesh=mesh,
                      face_parts=face_parts, part_names=spec.part_names, part_colors=colors,
                      source="procedural", metadata=metadata)
