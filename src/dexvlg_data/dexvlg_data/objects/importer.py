"""Any mesh a user brings -> a segmented, named, simulation-ready PartObject.

    load (OBJ/STL/PLY/GLB) -> repair to watertight -> simplify above a face budget -> upright, centred, scaled
    -> convex decomposition (dexvlg_core.sim.objects, CoACD, cached; rejected above 200 pieces)
    -> part segmentation (Segmenter) -> part names (PartNamer) -> part colors from the mesh's own colors

Every failure is a per-object ``MeshImportError`` (stage, code, reason); ``import_meshes`` goes on with the next
mesh and fills an ``ImportReport``. CoACD can abort the whole process on some inputs (a C++ assertion); dexvlg_core
runs it in a child process, so a crash or a run past ``decomposition_timeout`` rejects that one mesh.

CLI: ``dexvlg import-meshes PATHS... --out DIR`` (``add_parser`` / ``run``).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import trimesh
from scipy.spatial import cKDTree

from dexvlg_data.objects.naming import PartNamer, RuleNamer, VLMConfig, VLMNamer, default_namer
from dexvlg_data.objects.part_object import PartObject
from dexvlg_data.objects.repair import (
    SUPPORTED_SUFFIXES,
    MeshImportError,
    RepairConfig,
    load_mesh,
    repair_mesh,
    simplify_mesh,
)
from dexvlg_data.objects.report import ImportRecord, ImportReport
from dexvlg_data.objects.segment import (
    ConvexPieceConfig,
    ConvexPieceSegmenter,
    SegmentationHints,
    Segmenter,
    relabel_by_area,
)

# Typical real bounding-box diagonals (m) by category, for meshes that come without a size. A procedural family
# that declares ``real_diagonal`` on its spec takes precedence. Unknown categories get DEFAULT_DIAGONAL.
SIZE_PRIORS: dict[str, float] = {
    "mug": 0.15, "cup": 0.13, "teacup": 0.17, "bottle": 0.28, "jar": 0.18, "can": 0.12, "kettle": 0.3,
    "teapot": 0.25, "pitcher": 0.26, "bucket": 0.38, "bowl": 0.2, "plate": 0.27, "pan": 0.45, "frying pan": 0.45,
    "saucepan": 0.4, "pot": 0.35, "stock pot": 0.4, "wine glass": 0.21, "glass": 0.15, "ladle": 0.32,
    "spatula": 0.32, "knife": 0.3, "hammer": 0.33, "screwdriver": 0.22, "wrench": 0.25, "scissors": 0.2,
    "toothbrush": 0.19, "drill": 0.3, "flashlight": 0.22, "lamp": 0.5, "headphones": 0.25, "spray bottle": 0.28,
    "duck": 0.12, "rubber duck": 0.12, "teddy bear": 0.35, "teddy": 0.35, "bunny": 0.15, "rabbit": 0.2,
    "soda can": 0.14, "milk carton": 0.2, "cereal box": 0.3, "box": 0.3, "bread": 0.15, "lemon": 0.09,
    "fruit": 0.1, "ball": 0.3, "toy brick": 0.08, "brick": 0.25, "block": 0.1, "phone": 0.16, "shoe": 0.3,
    "toy": 0.2, "object": 0.25,
}
DEFAULT_DIAGONAL = 0.25


def category_diagonal(category: str) -> float:
    """Typical real bounding-box diagonal (m) of a category (see SIZE_PRIORS)."""
    name = category.strip().lower()
    try:
        from dexvlg_data.objects.families import get_spec

        real = getattr(get_spec(name), "real_diagonal", None)
        if real is not None:
            return 0.5 * (float(real[0]) + float(real[1]))
    except (KeyError, ImportError):
        pass
    return SIZE_PRIORS.get(name, DEFAULT_DIAGONAL)


def _diagonal_range() -> tuple[float, float] | None:
    try:
        from dexvlg_data.objects.families import DIAGONAL_RANGE

        return (float(DIAGONAL_RANGE[0]), float(DIAGONAL_RANGE[1]))
    except ImportError:
        return (0.20, 0.50)


@dataclass(frozen=True)
class ImportConfig:
    """Settings of one import. ``size``: bounding-box diagonal (m) to scale to (else the category's prior);
    ``normalize_diagonal``: then clamp it into the reference range [20, 50] cm like every procedural object.
    ``up_axis``: the file's up axis ("x", "y", "z", "-y", ...; None: "y" for glTF, else "z").
    """

    repair: RepairConfig = field(default_factory=RepairConfig)
    face_budget: int = 20_000
    size: float | None = None
    normalize_diagonal: bool = True
    up_axis: str | None = None
    decompose: bool = True
    max_pieces: int = 200  # the reference pipeline drops objects CoACD splits into more pieces
    decomposition: object | None = None  # dexvlg_core.sim.objects.DecompositionConfig; None: its defaults
    decomposition_timeout: float = 600.0  # seconds per mesh
    max_parts: int = 8  # of the default segmenter


@dataclass(eq=False)
class ImportedObject:
    """The result of one import: the object, its convex collision pieces (vertex arrays, object frame, the
    same pieces dexvlg_core caches for simulation), and what each stage took.
    """

    obj: PartObject
    pieces: list[np.ndarray]
    decomposition_method: str
    timings: dict[str, float]
    warnings: list[str]
    faces_in: int


def _decompose(mesh: trimesh.Trimesh, config: ImportConfig) -> tuple[list[np.ndarray], str]:
    from dexvlg_core.sim.objects import DecompositionCrashError, DecompositionTimeoutError, convex_pieces

    vertices = np.asarray(mesh.vertices, dtype=np.float64)
    faces = np.asarray(mesh.faces, dtype=np.int64)
    try:
        hulls, method = convex_pieces(vertices, faces, config.decomposition,  # type: ignore[arg-type]
                                      timeout=config.decomposition_timeout)
    except DecompositionTimeoutError as error:
        raise MeshImportError("decompose", "timeout", str(error)) from error
    except DecompositionCrashError as error:
        raise MeshImportError("decompose", "crashed", str(error)) from error
    except Exception as error:
        raise MeshImportError("decompose", "failed", f"{type(error).__name__}: {error}") from error
    if len(hulls) > config.max_pieces:
        raise MeshImportError("decompose", "too-many-pieces",
                              f"{len(hulls)} convex pieces > {config.max_pieces} (too intricate to simulate)")
    return list(hulls), method


# ------------------------------------------------------------------------------------------------------ pipeline

_AXES = {"x": 0, "y": 1, "z": 2}


def up_rotation(up_axis: str) -> np.ndarray:
    """Rotation taking the given axis ("y", "-x", ...) of a file to +z."""
    axis = up_axis.strip().lower()
    sign = -1.0 if axis.startswith("-") else 1.0
    if axis.lstrip("+-") not in _AXES:
        raise ValueError(f"up axis must be x, y or z with an optional sign, got {up_axis!r}")
    source = np.zeros(3)
    source[_AXES[axis.lstrip("+-")]] = sign
    target = np.array([0.0, 0.0, 1.0])
    if np.allclose(source, target):
        return np.eye(3)
    if np.allclose(source, -target):
        return np.diag([1.0, -1.0, -1.0])
    return trimesh.geometry.align_vectors(source, target)[:3, :3]


def _face_colors(mesh: trimesh.Trimesh) -> np.ndarray | None:
    """(F, 3) face colors from the file's colors, materials or textures; None when it has none."""
    try:
        visual = mesh.visual
        if visual is None or visual.kind is None:
            return None
        colors = visual.to_color() if visual.kind == "texture" else visual
        if colors.kind == "face":
            rgb = np.asarray(colors.face_colors)[:, :3]
        else:
            rgb = np.asarray(colors.vertex_colors)[:, :3][np.asarray(mesh.faces)].mean(axis=1)
    except Exception:  # visuals are optional: any trouble reading them means "no colors"
        return None
    if rgb.shape != (len(mesh.faces), 3) or np.all(rgb == rgb[0]) and tuple(rgb[0]) == (102, 102, 102):
        return None  # trimesh's default gray is no color
    return np.asarray(rgb, dtype=np.float64)


def _part_colors(face_parts: np.ndarray, n_parts: int, transferred: np.ndarray | None) -> tuple[np.ndarray, str]:
    if transferred is None:
        from dexvlg_data.objects.gallery import LABEL_COLORS

        return LABEL_COLORS[np.arange(n_parts) % len(LABEL_COLORS)].copy(), "label"
    colors = np.zeros((n_parts, 3), dtype=np.uint8)
    for p in range(n_parts):
        colors[p] = np.clip(np.median(transferred[face_parts == p], axis=0), 0, 255).astype(np.uint8)
    return colors, "mesh"


def _object_id(source: str | Path | trimesh.Trimesh, object_id: str | None) -> str:
    if object_id:
        return object_id
    if isinstance(source, (str, Path)):
        return Path(source).stem.replace(" ", "_")
    return "mesh"


def import_mesh(
    source: str | Path | trimesh.Trimesh,
    category: str | None = None,
    *,
    object_id: str | None = None,
    config: ImportConfig | None = None,
    segmenter: Segmenter | None = None,
    namer: PartNamer | None = None,
    source_name: str | None = None,
) -> ImportedObject:
    """Import one mesh file (or trimesh). Raises MeshImportError (stage, code, reason) when it cannot be used.

    ``category`` defaults to the file name ("mug.obj" -> "mug").
    """
    config = config or ImportConfig()
    oid = _object_id(source, object_id)
    category = (category or oid.split("-")[0].replace("_", " ")).strip().lower()
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[stage] = round(now - clock, 4)
        clock = now

    raw = load_mesh(source, config.repair)
    colors = _face_colors(raw)
    color_centers = np.asarray(raw.triangles_center) if colors is not None and len(raw.faces) else None
    lap("load")
    mesh, face_source, info = repair_mesh(raw, config.repair)
    lap("repair")
    mesh, face_source, _ = simplify_mesh(mesh, config.face_budget, face_source)
    lap("simplify")

    # upright, centred, scaled
    suffix = Path(source).suffix.lower() if isinstance(source, (str, Path)) else ""
    up_axis = config.up_axis or ("y" if suffix in (".glb", ".gltf") else "z")
    rotation = up_rotation(up_axis)
    vertices = np.asarray(mesh.vertices) @ rotation.T
    center = 0.5 * (vertices.min(axis=0) + vertices.max(axis=0))
    diagonal = float(np.linalg.norm(vertices.max(axis=0) - vertices.min(axis=0)))
    target = config.size if config.size else category_diagonal(category)
    if config.normalize_diagonal:
        limits = _diagonal_range()
        if limits is not None:
            target = float(np.clip(target, limits[0] + 0.002, limits[1] - 0.002))
    scale = target / diagonal
    mesh = trimesh.Trimesh((vertices - center) * scale, np.asarray(mesh.faces), process=False)
    lap("scale")

    pieces, method = [], "none"
    if config.decompose:
        pieces, method = _decompose(mesh, config)
    lap("decompose")

    segmenter = segmenter or ConvexPieceSegmenter(ConvexPieceConfig(max_parts=config.max_parts))
    hints = SegmentationHints(pieces=pieces or None, face_source=face_source)
    try:
        face_parts = np.asarray(segmenter.segment(mesh, hints), dtype=np.int32)
    except Exception as error:
        raise MeshImportError("segment", "failed", f"{type(error).__name__}: {error}") from error
    face_parts = relabel_by_area(face_parts, mesh.area_faces)
    lap("segment")

    namer = namer or RuleNamer()
    try:
        names = list(namer.name_parts(mesh, face_parts, category))
    except Exception as error:
        raise MeshImportError("name", "failed", f"{type(error).__name__}: {error}") from error
    lap("name")

    transferred = None
    if colors is not None and color_centers is not None:
        original = (color_centers @ rotation.T - center) * scale
        _, nearest = cKDTree(original).query(mesh.triangles_center)
        transferred = colors[nearest]
    part_colors, color_source = _part_colors(face_parts, len(names), transferred)
    metadata: dict[str, object] = {
        "up": (0.0, 0.0, 1.0),
        "source_up_axis": up_axis,
        "scale": scale,
        "target_diagonal": target,
        "source_diagonal": diagonal,
        "repair": info.as_dict(),
        "collision_pieces": len(pieces),
        "decomposition": method,
        "segmenter": getattr(segmenter, "name", type(segmenter).__name__),
        "namer": getattr(namer, "name", type(namer).__name__),
        "colors": color_source,
    }
    label = source_name or (f"user:{source}" if isinstance(source, (str, Path)) else "user:mesh")
    obj = PartObject(object_id=oid, category=category, mesh=mesh, face_parts=face_parts, part_names=names,
                     part_colors=part_colors, source=label, metadata=metadata)
    return ImportedObject(obj, pieces, method, timings, list(info.warnings), info.faces_in)


@dataclass(frozen=True)
class ImportJob:
    """One mesh of a batch: where it is, and optionally its category, id, size and up axis."""

    source: str | Path | trimesh.Trimesh
    category: str | None = None
    object_id: str | None = None
    size: float | None = None
    up_axis: str | None = None
    source_name: str | None = None


def import_meshes(
    jobs: Iterable[ImportJob | str | Path],
    config: ImportConfig | None = None,
    *,
    segmenter: Segmenter | None = None,
    namer: PartNamer | None = None,
    report: ImportReport | None = None,
    on_object: object | None = None,
) -> tuple[list[ImportedObject], ImportReport]:
    """Import many meshes; failures are recorded in the report and the batch goes on.

    ``on_object(imported)`` (optional) is called for each success, e.g. to save it.
    """
    config = config or ImportConfig()
    report = report if report is not None else ImportReport()
    results = []
    for job in jobs:
        job = job if isinstance(job, ImportJob) else ImportJob(job)
        oid = job.object_id or _object_id(job.source, None)
        name = str(job.source) if isinstance(job.source, (str, Path)) else (job.source_name or oid)
        job_config = replace(config, size=job.size if job.size else config.size,
                             up_axis=job.up_axis or config.up_axis)
        start = time.perf_counter()
        try:
            imported = import_mesh(job.source, job.category, object_id=oid, config=job_config,
                                   segmenter=segmenter, namer=namer, source_name=job.source_name)
        except MeshImportError as error:
            report.add(ImportRecord(oid, name, "rejected", category=job.category or "", stage=error.stage,
                                    code=error.code, reason=error.reason,
                                    seconds=round(time.perf_counter() - start, 3)))
            continue
        except Exception as error:  # a bug or an unforeseen input: reject this one, keep going
            report.add(ImportRecord(oid, name, "rejected", category=job.category or "", stage="internal",
                                    code="error", reason=f"{type(error).__name__}: {error}",
                                    seconds=round(time.perf_counter() - start, 3)))
            continue
        obj = imported.obj
        report.add(ImportRecord(oid, name, "imported", category=obj.category, faces_in=imported.faces_in,
                                faces_out=len(obj.mesh.faces), collision_pieces=len(imported.pieces),
                                parts=list(obj.part_names), seconds=round(time.perf_counter() - start, 3),
                                timings=imported.timings, warnings=imported.warnings))
        results.append(imported)
        if on_object is not None:
            on_object(imported)  # type: ignore[operator]
    return results, report


# ----------------------------------------------------------------------------------------------------------- CLI


def expand_paths(paths: Sequence[str | Path]) -> list[Path]:
    """Files as given, directories searched recursively for supported mesh files (sorted)."""
    out: list[Path] = []
    for item in paths:
        path = Path(item)
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*") if p.suffix.lower() in SUPPORTED_SUFFIXES and p.is_file()))
        else:
            out.append(path)
    return out


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``import-meshes`` on a ``dexvlg`` subcommand parser."""
    parser = subparsers.add_parser(
        "import-meshes", help="repair, decompose, segment and name user meshes (OBJ/STL/PLY/GLB)",
        description="Import meshes as part-labeled objects; writes one folder per object and an import report "
                    "(import_report.json / .txt) listing what was rejected and why.")
    parser.add_argument("paths", nargs="+", help="mesh files or folders (searched recursively)")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--category", default=None, help="category of every mesh (default: from the file name)")
    parser.add_argument("--size", type=float, default=None, help="bounding-box diagonal in metres (default: prior)")
    parser.add_argument("--keep-size", action="store_true", help="do not clamp the diagonal into [20, 50] cm")
    parser.add_argument("--up", default=None, help="the files' up axis: x, y, z, -y, ... (default: z; glTF: y)")
    parser.add_argument("--face-budget", type=int, default=20_000, help="simplify meshes above this many faces")
    parser.add_argument("--max-pieces", type=int, default=200, help="reject above this many convex pieces")
    parser.add_argument("--no-decompose", action="store_true", help="skip the convex decomposition")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds of CoACD per mesh")
    parser.add_argument("--namer", choices=("auto", "rules", "vlm"), default="auto",
                        help="part naming: offline rules, the VLM endpoint (DEXVLG_VLM_BASE_URL, DEXVLG_VLM_MODEL, "
                             "DEXVLG_VLM_API_KEY), or auto (the VLM when configured)")
    parser.set_defaults(func=run)
    return parser


def _namer(choice: str) -> PartNamer:
    if choice == "rules":
        return RuleNamer()
    if choice == "vlm":
        config = VLMConfig.from_env()
        if config is None:
            raise SystemExit("--namer vlm needs DEXVLG_VLM_BASE_URL and DEXVLG_VLM_MODEL")
        return VLMNamer(config)
    return default_namer()


def run(args: argparse.Namespace) -> int:
    """Run ``import-meshes``: 0 when every mesh was imported, 1 when some were rejected, 2 when none was."""
    from dexvlg_data.objects.storage import save_part_object

    out = Path(args.out)
    paths = expand_paths(args.paths)
    config = ImportConfig(face_budget=args.face_budget, size=args.size, normalize_diagonal=not args.keep_size,
                          up_axis=args.up, decompose=not args.no_decompose, max_pieces=args.max_pieces,
                          decomposition_timeout=args.timeout)
    jobs = [ImportJob(p, category=args.category) for p in paths]
    used: set[str] = set()

    def save(imported: ImportedObject) -> None:
        folder = imported.obj.object_id
        k = 2
        while folder in used:
            folder, k = f"{imported.obj.object_id}-{k}", k + 1
        used.add(folder)
        save_part_object(imported.obj, out / folder, imported.pieces)
        print(f"imported {imported.obj.object_id}: {', '.join(imported.obj.part_names)} -> {out / folder}")

    _, report = import_meshes(jobs, config, namer=_namer(args.namer), on_object=save)
    json_path, text_path = report.write(out)
    for record in report.rejected:
        print(f"rejected {record.name}: {record.stage}/{record.code}: {record.reason}")
    print(f"{len(report.imported)} imported, {len(report.rejected)} rejected; report: {text_path} and {json_path}")
    if not report.records or not report.rejected:
        return 0
    return 1 if report.imported else 2
