"""Real meshes that ship inside PyPI packages: the third test split, objects nobody here designed.

pybullet (``pybullet_data``) ships a mug, a duck, a teddy bear, the Stanford bunny, a soccer ball, a toy brick and a
Jenga block; robosuite ships a bottle, a can, a milk carton, a cereal box, bread and a lemon. They go through the
same import path as any user mesh (repair -> decomposition -> our segmenter -> our namer), so their part labels are
our segmenter's, not a designer's. Packages are only read (robosuite installs with ``--no-deps`` for its assets);
a missing package just leaves its meshes out.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from dexvlg_data.objects.importer import ImportConfig, ImportedObject, ImportJob, import_meshes
from dexvlg_data.objects.report import ImportReport

PACKAGE_SPLIT = "package-meshes"


@dataclass(frozen=True)
class PackageMesh:
    """A mesh file inside an installed package, its category, its real size (bounding-box diagonal, m) and the
    axis that is up in the file.
    """

    name: str
    package: str
    path: str
    category: str
    diagonal: float
    up_axis: str = "z"

    @property
    def object_id(self) -> str:
        """Stable id, e.g. "pybullet-mug"."""
        return f"{self.package.split('_')[0]}-{self.name}"

    def file(self) -> Path | None:
        """The mesh file, or None when the package (or the file) is not installed."""
        spec = importlib.util.find_spec(self.package)
        if spec is None or not spec.submodule_search_locations:
            return None
        path = Path(next(iter(spec.submodule_search_locations))) / self.path
        return path if path.is_file() else None


_ROBOSUITE = "models/assets/objects/meshes"
PACKAGE_MESHES: tuple[PackageMesh, ...] = (
    PackageMesh("mug", "pybullet_data", "objects/mug.obj", "mug", 0.18),
    PackageMesh("duck", "pybullet_data", "duck.obj", "duck", 0.13, up_axis="y"),
    PackageMesh("teddy", "pybullet_data", "teddy2_VHACD_CHs.obj", "teddy bear", 0.14, up_axis="y"),
    PackageMesh("bunny", "pybullet_data", "bunny.obj", "bunny", 0.15),
    PackageMesh("soccerball", "pybullet_data", "soccerball.obj", "ball", 0.22),
    PackageMesh("lego", "pybullet_data", "lego/lego.obj", "toy brick", 0.05),
    PackageMesh("jenga", "pybullet_data", "jenga/jenga.obj", "block", 0.16),
    PackageMesh("bottle", "robosuite", f"{_ROBOSUITE}/bottle.stl", "bottle", 0.17),
    PackageMesh("can", "robosuite", f"{_ROBOSUITE}/can.stl", "can", 0.09),
    PackageMesh("milk", "robosuite", f"{_ROBOSUITE}/milk.stl", "milk carton", 0.17),
    PackageMesh("cereal", "robosuite", f"{_ROBOSUITE}/cereal.stl", "cereal box", 0.18),
    PackageMesh("bread", "robosuite", f"{_ROBOSUITE}/bread.stl", "bread", 0.09),
    PackageMesh("lemon", "robosuite", f"{_ROBOSUITE}/lemon.stl", "lemon", 0.07),
)


def available_package_meshes(names: list[str] | None = None) -> list[PackageMesh]:
    """The package meshes installed here (optionally only those named)."""
    chosen = [m for m in PACKAGE_MESHES if names is None or m.name in names or m.object_id in names]
    return [m for m in chosen if m.file() is not None]


def missing_package_meshes() -> list[PackageMesh]:
    """Package meshes whose package or file is not installed."""
    return [m for m in PACKAGE_MESHES if m.file() is None]


def package_jobs(names: list[str] | None = None) -> list[ImportJob]:
    """Import jobs for the installed package meshes, at their real size and upright."""
    return [ImportJob(m.file(), category=m.category, object_id=m.object_id, size=m.diagonal, up_axis=m.up_axis,
                      source_name=f"{m.package}:{m.path}") for m in available_package_meshes(names)]


def import_package_split(names: list[str] | None = None, config: ImportConfig | None = None,
                         ) -> tuple[list[ImportedObject], ImportReport]:
    """Import the package meshes (all installed, or those named) through the user-mesh path."""
    objects, report = import_meshes(package_jobs(names), config)
    for imported in objects:
        imported.obj.metadata["split"] = PACKAGE_SPLIT
    return objects, report
