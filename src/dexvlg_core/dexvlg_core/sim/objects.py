"""Objects for simulation: a checked triangle mesh, its per-face part labels and its convex decomposition.

MuJoCo collides meshes as their convex hulls, so a concave object needs a convex decomposition to be grasped
inside its concavities (a mug's handle, a bowl). CoACD (collision-aware approximate convex decomposition) makes
it; results are cached on disk per mesh content hash and decomposition settings, since CoACD takes seconds to
minutes per object and every worker process and every run needs the same pieces.

Fallback: when CoACD is not installed (or ``method="hull"``), the collision shape is the mesh's single convex
hull. That is exact for convex objects (boxes, cylinders, spheres) and over-fills concave ones.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import trimesh

from dexvlg_core.files import atomic_path

_CACHE_VERSION = 1


class MeshError(ValueError):
    """A mesh that cannot become a simulated object (fails to load, empty, non-finite, flat, bad labels)."""


class DecompositionCrashError(MeshError):
    """CoACD's process died on this mesh (an abort or a segfault in its native code), on every try."""


class DecompositionTimeoutError(MeshError):
    """CoACD ran past its time limit on this mesh (its child process was killed)."""


@dataclass(frozen=True)
class DecompositionConfig:
    """How the collision shape is made. ``method``: "coacd" (falls back to "hull" if CoACD is missing) or "hull"."""

    method: str = "coacd"
    threshold: float = 0.05  # CoACD concavity threshold (smaller: more, tighter pieces)
    max_convex_hull: int = -1  # -1: no limit
    resolution: int = 50  # CoACD preprocess (manifold repair) resolution
    max_hull_vertices: int = 256
    seed: int = 0
    cache_dir: str | None = None  # None: $DEXVLG_CACHE_DIR/convex, else ~/.cache/dexvlg/convex


@dataclass(frozen=True, eq=False)
class SimObject:
    """A rigid object ready for a MuJoCo scene. Object frame = the mesh's frame; metres.

    ``hulls`` are the vertex arrays of the convex collision pieces (MuJoCo takes each one's hull).
    ``face_parts[f]`` indexes ``part_names`` (None when the object has no part labels).
    ``key`` identifies the geometry (content hash), used for caching scenes and decompositions.
    """

    name: str
    vertices: np.ndarray
    faces: np.ndarray
    hulls: tuple[np.ndarray, ...]
    face_parts: np.ndarray | None
    part_names: tuple[str, ...]
    key: str
    method: str

    @property
    def mesh(self) -> trimesh.Trimesh:
        return trimesh.Trimesh(self.vertices, self.faces, process=False)

    @property
    def has_parts(self) -> bool:
        return self.face_parts is not None and len(self.part_names) > 0

    def part_index(self, name: str) -> int:
        """Index of a part by name; KeyError naming the known parts otherwise."""
        try:
            return self.part_names.index(name)
        except ValueError:
            raise KeyError(f"object {self.name!r} has no part {name!r}; parts: {self.part_names}") from None

    def part_triangles(self) -> list[np.ndarray]:
        """(F_p, 3, 3) triangle corners of each part, in part_names order."""
        if self.face_parts is None:
            raise ValueError(f"object {self.name!r} has no part labels")
        triangles = self.vertices[self.faces]
        return [triangles[self.face_parts == p] for p in range(len(self.part_names))]


def default_cache_dir() -> Path:
    """Where decompositions are cached unless DecompositionConfig.cache_dir says otherwise."""
    root = os.environ.get("DEXVLG_CACHE_DIR")
    return (Path(root) if root else Path.home() / ".cache" / "dexvlg") / "convex"


def _load_mesh(source: str | Path | trimesh.Trimesh) -> trimesh.Trimesh:
    if isinstance(source, trimesh.Trimesh):
        return source
    path = Path(source)
    if not path.is_file():
        raise MeshError(f"mesh file {path} does not exist")
    try:
        loaded = trimesh.load(path, force="mesh", process=False)
    except Exception as error:  # trimesh raises many kinds for bad files
        raise MeshError(f"mesh {path} fails to load: {type(error).__name__}: {error}") from error
    if not isinstance(loaded, trimesh.Trimesh):
        raise MeshError(f"mesh {path} holds no triangles (loaded {type(loaded).__name__})")
    return loaded


def _check_geometry(vertices: np.ndarray, faces: np.ndarray, name: str) -> None:
    if len(vertices) == 0 or len(faces) == 0:
        raise MeshError(f"mesh {name!r} is empty ({len(vertices)} vertices, {len(faces)} faces)")
    if vertices.ndim != 2 or vertices.shape[1] != 3 or faces.ndim != 2 or faces.shape[1] != 3:
        raise MeshError(f"mesh {name!r} needs (V, 3) vertices and (F, 3) triangles")
    if not np.all(np.isfinite(vertices)):
        raise MeshError(f"mesh {name!r} has non-finite vertex coordinates")
    if faces.min() < 0 or faces.max() >= len(vertices):
        raise MeshError(f"mesh {name!r} has face indices outside 0..{len(vertices) - 1}")
    used = vertices[np.unique(faces)]
    extent = used.max(axis=0) - used.min(axis=0)
    if extent.min() < 1e-5:
        raise MeshError(f"mesh {name!r} is flat or degenerate (extents {extent} m); it has no volume to grasp")
    if extent.max() > 10.0:
        raise MeshError(f"mesh {name!r} is {extent.max():.1f} m across; objects are in metres (wrong units?)")


def _part_labels(
    face_parts: Sequence | np.ndarray | None, part_names: Sequence[str], n_faces: int, name: str
) -> tuple[np.ndarray | None, tuple[str, ...]]:
    if face_parts is None:
        return None, tuple(part_names)
    labels = np.asarray(face_parts)
    if labels.shape != (n_faces,):
        raise MeshError(f"mesh {name!r}: {labels.size} part labels for {n_faces} faces")
    if labels.dtype.kind in "US":  # part names per face
        names = tuple(part_names) or tuple(dict.fromkeys(labels.tolist()))
        lookup = {n: i for i, n in enumerate(names)}
        unknown = set(labels.tolist()) - set(lookup)
        if unknown:
            raise MeshError(f"mesh {name!r}: face labels {sorted(unknown)} not among part_names {names}")
        return np.array([lookup[n] for n in labels.tolist()], dtype=np.int32), names
    if labels.dtype.kind not in "iu":
        raise MeshError(f"mesh {name!r}: part labels must be integers or names, got {labels.dtype}")
    names = tuple(part_names) or tuple(f"part{i}" for i in range(int(labels.max()) + 1))
    if labels.min() < 0 or labels.max() >= len(names):
        raise MeshError(f"mesh {name!r}: part labels outside 0..{len(names) - 1}")
    return labels.astype(np.int32), names


def mesh_key(vertices: np.ndarray, faces: np.ndarray) -> str:
    """Content hash of a mesh (little-endian float64 vertices, int64 faces)."""
    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(vertices, dtype="<f8").tobytes())
    digest.update(np.ascontiguousarray(faces, dtype="<i8").tobytes())
    return digest.hexdigest()[:32]


COACD_TIMEOUT_S = 1800.0  # default limit of one CoACD run


def _coacd_available() -> bool:
    try:
        import coacd  # noqa: F401
    except ImportError:
        return False
    return True


def _decompose(vertices: np.ndarray, faces: np.ndarray, config: DecompositionConfig, method: str,
               timeout: float = COACD_TIMEOUT_S) -> list[np.ndarray]:
    if method == "hull":
        hull = trimesh.Trimesh(vertices, faces, process=False).convex_hull
        return [np.asarray(hull.vertices, dtype=np.float64)]
    # CoACD aborts its process on some meshes ("unexpected code path was hit" in its manifold preprocessing, seen on
    # a procedural lamp with every seed; a segfault on bad indices), which no try/except can catch; it runs in a
    # child process, so that this becomes a MeshError for this one object and not the end of the worker and the
    # objects beside it. After a crash a watertight mesh is tried once more without the preprocessing, which it
    # does not need (the lamp then decomposes); an open mesh needs it, and is given up. A timeout is not retried.
    failures = []
    watertight = trimesh.Trimesh(vertices, faces, process=False).is_watertight
    for preprocess in ("auto", "off") if watertight else ("auto",):
        try:
            return _coacd_in_child(vertices, faces, config, preprocess, timeout)
        except _CoacdChildError as crash:
            failures.append(f"preprocess {preprocess}: {crash}")
    raise DecompositionCrashError("CoACD crashed on this mesh (" + "; ".join(failures) + ")")


class _CoacdChildError(RuntimeError):
    """The CoACD child process died or failed."""


def _coacd_in_child(vertices: np.ndarray, faces: np.ndarray, config: DecompositionConfig, preprocess: str,
                    timeout: float = COACD_TIMEOUT_S) -> list[np.ndarray]:
    import subprocess
    import sys
    import tempfile

    with tempfile.TemporaryDirectory(prefix="dexvlg-coacd-") as tmp:
        inputs, outputs = Path(tmp) / "mesh.npz", Path(tmp) / "hulls.npz"
        np.savez(inputs, vertices=np.asarray(vertices, dtype=np.float64), faces=np.asarray(faces, dtype=np.int64),
                 threshold=config.threshold, max_convex_hull=config.max_convex_hull,
                 resolution=config.resolution, max_hull_vertices=config.max_hull_vertices, seed=config.seed,
                 preprocess=preprocess)
        env = dict(os.environ)  # the child imports this module wherever the parent found it
        package_root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(filter(None, (package_root, env.get("PYTHONPATH"))))
        command = [sys.executable, "-c", "import sys; from dexvlg_core.sim.objects import coacd_child_main; "
                   "coacd_child_main(sys.argv[1], sys.argv[2])", str(inputs), str(outputs)]
        try:
            done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as error:
            raise DecompositionTimeoutError(f"CoACD ran past {timeout:g} s on this mesh") from error
        if done.returncode != 0:
            how = f"killed by signal {-done.returncode}" if done.returncode < 0 else f"exit status {done.returncode}"
            last = (done.stderr.strip().splitlines() or [""])[-1][:200]
            raise _CoacdChildError(f"{how}{': ' + last if last else ''}")
        with np.load(outputs) as stored:
            hulls = [stored[f"hull{i}"] for i in range(int(stored["count"]))]
    if not hulls:
        raise MeshError("CoACD returned no convex pieces")
    return hulls


def coacd_child_main(inputs: str, outputs: str) -> None:
    """The CoACD child process: mesh and settings from ``inputs``, convex pieces (>= 4 vertices) to ``outputs``."""
    import coacd

    with np.load(inputs) as given:
        coacd.set_log_level("error")
        parts = coacd.run_coacd(
            coacd.Mesh(given["vertices"], given["faces"]),
            threshold=float(given["threshold"]),
            max_convex_hull=int(given["max_convex_hull"]),
            preprocess_mode=str(given["preprocess"]),
            preprocess_resolution=int(given["resolution"]),
            max_ch_vertex=int(given["max_hull_vertices"]),
            seed=int(given["seed"]),
        )
    hulls = [np.asarray(v, dtype=np.float64) for v, _ in parts if len(v) >= 4]
    np.savez(outputs, count=len(hulls), **{f"hull{i}": h for i, h in enumerate(hulls)})


def convex_pieces(vertices: np.ndarray, faces: np.ndarray, config: DecompositionConfig | None = None,
                  key: str | None = None, timeout: float = COACD_TIMEOUT_S) -> tuple[list[np.ndarray], str]:
    """Vertex arrays of the convex collision pieces and the method used, from the disk cache when present.

    CoACD runs in a child process: a crash is a DecompositionCrashError, a run past ``timeout`` seconds a
    DecompositionTimeoutError (both MeshErrors).
    """
    config = config or DecompositionConfig()
    if config.method not in ("coacd", "hull"):
        raise ValueError(f"unknown decomposition method {config.method!r}; use 'coacd' or 'hull'")
    method = config.method
    if method == "coacd" and not _coacd_available():
        warnings.warn("coacd is not installed: using each object's convex hull as its collision shape",
                      stacklevel=2)
        method = "hull"
    key = key or mesh_key(vertices, faces)
    settings = f"v{_CACHE_VERSION}-{method}"
    if method == "coacd":
        settings += f"-t{config.threshold:g}-n{config.max_convex_hull}-r{config.resolution}"
        settings += f"-m{config.max_hull_vertices}-s{config.seed}"
    cache = Path(config.cache_dir) if config.cache_dir else default_cache_dir()
    path = cache / f"{key}-{settings}.npz"
    if path.is_file():
        try:
            with np.load(path) as stored:
                return [stored[f"hull{i}"] for i in range(int(stored["count"]))], method
        except Exception:  # a corrupt cache entry is recomputed, not fatal
            pass
    hulls = _decompose(vertices, faces, config, method, timeout)
    try:
        # Written under a unique name and renamed: parallel workers may decompose the same mesh at once.
        with atomic_path(path, ".tmp.npz") as tmp:
            np.savez(tmp, count=len(hulls), **{f"hull{i}": h for i, h in enumerate(hulls)})
    except OSError as error:
        warnings.warn(f"cannot cache the decomposition in {cache}: {error}", stacklevel=2)
    return hulls, method


def load_object(
    source: str | Path | trimesh.Trimesh | object,
    *,
    face_parts: Sequence | np.ndarray | None = None,
    part_names: Sequence[str] = (),
    name: str = "",
    config: DecompositionConfig | None = None,
) -> SimObject:
    """A SimObject from a mesh file, a trimesh, or anything with ``.mesh`` / ``.face_parts`` / ``.part_names``
    (e.g. dexvlg_data's PartObject). Raises MeshError with the reason for unusable meshes.

    face_parts: one label per face (int indices into part_names, or part names); optional.
    """
    if isinstance(source, SimObject):
        return source
    if hasattr(source, "mesh") and not isinstance(source, (str, Path, trimesh.Trimesh)):
        face_parts = getattr(source, "face_parts", None) if face_parts is None else face_parts
        part_names = tuple(part_names) or tuple(getattr(source, "part_names", ()))
        name = name or str(getattr(source, "object_id", ""))
        source = source.mesh
    if not isinstance(source, (str, Path, trimesh.Trimesh)):
        raise MeshError(f"cannot make an object from {type(source).__name__}")
    name = name or (Path(source).stem if isinstance(source, (str, Path)) else "object")
    mesh = _load_mesh(source)
    vertices = np.asarray(mesh.vertices, dtype=np.float64)
    faces = np.asarray(mesh.faces, dtype=np.int64)
    _check_geometry(vertices, faces, name)
    labels, names = _part_labels(face_parts, part_names, len(faces), name)
    key = mesh_key(vertices, faces)
    try:
        hulls, method = convex_pieces(vertices, faces, config, key)
    except (MeshError, ValueError):
        raise
    except Exception as error:
        raise MeshError(f"convex decomposition of {name!r} failed: {type(error).__name__}: {error}") from error
    return SimObject(name, vertices, faces, tuple(hulls), labels, names, key, method)
