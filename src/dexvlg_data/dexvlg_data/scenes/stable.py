"""Stable resting poses of an object on a table, found by dropping it in MuJoCo (DESIGN.md, tabletop protocol).

Each object is dropped from ``drop_height`` (its lowest point above the table) in N uniformly random
orientations and simulated until it settles (or ``max_time``). Settled poses are merged when their object-frame
up-vectors agree within ``merge_angle_deg`` up to the object's rotational symmetry (yaw about the table normal
never matters). Each kept pose is a real settled state of one drop, so it stays put when simulated again.

Drops run in chunks; each chunk's result is written to disk (atomically) as soon as it is done, so a killed run
resumes where it stopped, and the merged result is cached per object (mesh + collision pieces + settings hash).
``find_stable_poses_batch`` spreads the chunks of many objects over worker processes.

The drop scene is only the object (free joint, convex collision pieces of sim/objects.py, mass and inertia as
sim/scene.py sets them) and a ground plane whose top is z = 0: no hand, so a drop costs ~5 ms.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from multiprocessing import get_context
from pathlib import Path

import mujoco
import numpy as np
from scipy.spatial.transform import Rotation

from dexvlg_core.files import atomic_path
from dexvlg_core.rotations import matrix_to_quat_wxyz, quat_wxyz_to_matrix, transform
from dexvlg_core.sim import SceneOptions, SimConfig, SimObject, load_object
from dexvlg_core.sim.objects import DecompositionConfig, default_cache_dir
from dexvlg_core.sim.scene import OBJECT_JOINT, add_object, set_options
from dexvlg_data.scenes.symmetry import Symmetry, SymmetryConfig, detect_symmetry

_CACHE_VERSION = 2
TABLE_GEOM = "table"


@dataclass(frozen=True)
class StablePoseConfig:
    """Drop-test settings. Times in seconds, lengths in metres."""

    drops: int = 1000
    drop_height: float = 0.10  # lowest point of the object above the table at release
    max_time: float = 5.0
    check_every: float = 0.1  # settling test period
    settle_checks: int = 3  # consecutive calm checks that count as settled
    max_speed: float = 0.005  # m/s, calm = below this ...
    max_angular_speed: float = 0.05  # rad/s, ... and this
    merge_angle_deg: float = 8.0  # up-vectors closer than this (up to symmetry) are the same pose
    min_fraction: float = 0.005  # poses reached by fewer drops than this fraction are dropped as flukes
    # Each pose is checked by simulating it again: a cluster's lowest members are tried in turn until one moves
    # less than max_drift_mm in verify_time (a drop can look calm at the top of a slow rock); none: dropped.
    verify_time: float = 2.0
    max_drift_mm: float = 2.0
    verify_candidates: int = 5
    chunk: int = 125  # drops per resumable unit of work
    seed: int = 0
    physics: SimConfig = field(default_factory=SimConfig)  # timestep, solver, friction, mass
    symmetry: SymmetryConfig = field(default_factory=SymmetryConfig)
    use_symmetry: bool = True

    def key(self) -> str:
        """Hash of every setting that changes the result (``chunk`` included: each chunk seeds its own drops)."""
        return hashlib.sha1(json.dumps(asdict(self), sort_keys=True, default=str).encode()).hexdigest()[:12]


@dataclass
class StablePoses:
    """The deduplicated resting poses of one object, most frequent first.

    ``rotations[i]`` is the object's orientation in the world (table top z = 0, z up), ``heights[i]`` the
    object origin's height; the pose is ``transform(rotations[i], (0, 0, heights[i]))``. ``up[i]`` is the world
    up direction in the object frame. ``counts[i]`` drops ended in pose i.
    """

    object_key: str
    rotations: np.ndarray  # (K, 3, 3)
    heights: np.ndarray  # (K,)
    up: np.ndarray  # (K, 3)
    counts: np.ndarray  # (K,)
    drops: int
    settled: int
    symmetry: Symmetry
    seconds: float = 0.0  # drop-search time (sum over chunks, one core each, plus merging)
    rejected: int = 0  # clusters left out because no member stayed put when simulated again

    def __len__(self) -> int:
        return len(self.heights)

    def pose(self, index: int, xy: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
        """4x4 world pose of stable pose ``index`` (object origin above ``xy``)."""
        return transform(self.rotations[index], (xy[0], xy[1], self.heights[index]))

    @property
    def probabilities(self) -> np.ndarray:
        """Fraction of all drops that ended in each pose."""
        return self.counts / max(self.drops, 1)

    def save(self, path: str | Path) -> Path:
        """Write atomically as .npz."""
        return _atomic_savez(Path(path), object_key=np.array(self.object_key), rotations=self.rotations,
                             heights=self.heights, up=self.up, counts=self.counts, drops=self.drops,
                             settled=self.settled, symmetry=self.symmetry.to_array(), seconds=self.seconds,
                             rejected=self.rejected)

    @classmethod
    def load(cls, path: str | Path) -> StablePoses:
        """Read what :meth:`save` wrote."""
        with np.load(path) as f:
            return cls(str(f["object_key"]), f["rotations"], f["heights"], f["up"], f["counts"], int(f["drops"]),
                       int(f["settled"]), Symmetry.from_array(f["symmetry"]), float(f["seconds"]), int(f["rejected"]))


# ---------------------------------------------------------------------------------------------- scene
def _atomic_savez(path: Path, **arrays: object) -> Path:
    with atomic_path(path, ".tmp.npz") as tmp:
        np.savez(tmp, **arrays)
    return path


def drop_model(obj: SimObject, physics: SimConfig | None = None) -> mujoco.MjModel:
    """Compiled drop scene: ``obj`` on a free joint above an infinite table plane (top at z = 0)."""
    physics = physics or SimConfig()
    spec = mujoco.MjSpec()
    spec.modelname = "dexvlg_drop_test"
    set_options(spec, physics)
    add_object(spec, obj, np.eye(4), physics, SceneOptions(camera=False))
    spec.worldbody.add_geom(name=TABLE_GEOM, type=mujoco.mjtGeom.mjGEOM_PLANE, size=[0.0, 0.0, 1.0],
                            friction=[physics.friction[0], physics.friction[1], 1e-4], condim=physics.condim)
    return spec.compile()


@lru_cache(maxsize=4)
def _cached_model(obj: SimObject, physics: SimConfig) -> mujoco.MjModel:
    return drop_model(obj, physics)


def _place(model: mujoco.MjModel, data: mujoco.MjData, pose: np.ndarray) -> slice:
    joint = model.joint(OBJECT_JOINT)
    qpos = slice(int(joint.qposadr[0]), int(joint.qposadr[0]) + 7)
    mujoco.mj_resetData(model, data)
    data.qpos[qpos] = np.concatenate([pose[:3, 3], matrix_to_quat_wxyz(pose[:3, :3])])
    mujoco.mj_forward(model, data)
    return qpos


def _drop(model: mujoco.MjModel, data: mujoco.MjData, vertices: np.ndarray, rotation: np.ndarray,
          config: StablePoseConfig) -> tuple[bool, np.ndarray]:
    """Simulate one drop; (settled, final 4x4 pose)."""
    lowest = (vertices @ rotation.T)[:, 2].min()
    qpos = _place(model, data, transform(rotation, (0.0, 0.0, config.drop_height - lowest)))
    dt = model.opt.timestep
    per_check = max(1, round(config.check_every / dt))
    calm = 0
    for _ in range(int(np.ceil(config.max_time / (per_check * dt)))):
        mujoco.mj_step(model, data, nstep=per_check)
        speed, spin = np.linalg.norm(data.qvel[:3]), np.linalg.norm(data.qvel[3:6])
        calm = calm + 1 if speed < config.max_speed and spin < config.max_angular_speed else 0
        if calm >= config.settle_checks or not np.all(np.isfinite(data.qpos)):
            break
    q = data.qpos[qpos]
    settled = calm >= config.settle_checks and bool(np.all(np.isfinite(q)))
    return settled, transform(quat_wxyz_to_matrix(q[3:]), q[:3]) if settled else np.full((4, 4), np.nan)


def _chunk_rotations(config: StablePoseConfig, chunk: int) -> np.ndarray:
    count = min(config.chunk, config.drops - chunk * config.chunk)
    rng = np.random.default_rng([config.seed, chunk])
    return Rotation.random(count, random_state=rng).as_matrix()


def run_chunk(obj: SimObject, config: StablePoseConfig, chunk: int) -> dict[str, np.ndarray]:
    """Drops of one chunk: settled flags (n,), final poses (n, 4, 4) (NaN where unsettled), seconds."""
    start = time.perf_counter()
    model = _cached_model(obj, config.physics)
    data = mujoco.MjData(model)
    results = [_drop(model, data, obj.vertices, r, config) for r in _chunk_rotations(config, chunk)]
    return {"settled": np.array([s for s, _ in results], bool),
            "poses": np.array([p for _, p in results]).reshape(-1, 4, 4),
            "seconds": np.array(time.perf_counter() - start)}


# ---------------------------------------------------------------------------------------------- merging
def cluster_poses(poses: np.ndarray, symmetry: Symmetry, config: StablePoseConfig, drops: int) -> list[list[int]]:
    """Indices of settled poses (M, 4, 4) grouped by up-vector up to symmetry, most frequent first; groups
    smaller than config.min_fraction of ``drops`` are left out.
    """
    ups = poses[:, 2, :3]  # world z in the object frame = third row of R
    limit = np.cos(np.radians(config.merge_angle_deg))
    orbits: list[np.ndarray] = []
    members: list[list[int]] = []
    for i, u in enumerate(ups):
        for orbit, group in zip(orbits, members, strict=True):
            if (orbit @ u).max() >= limit:
                group.append(i)
                break
        else:
            orbits.append(symmetry.orbit(u) if config.use_symmetry else u[None])
            members.append([i])
    minimum = max(1, int(np.ceil(config.min_fraction * drops)))
    return sorted((g for g in members if len(g) >= minimum), key=lambda g: (-len(g), g[0]))


def merge_poses(obj: SimObject, poses: np.ndarray, symmetry: Symmetry, config: StablePoseConfig, drops: int,
                seconds: float = 0.0) -> StablePoses:
    """Stable poses from settled drops (M, 4, 4): one verified representative per cluster (see the config)."""
    reps, counts, rejected = [], [], 0
    for group in cluster_poses(poses, symmetry, config, drops):
        # Real settled drops only (so they stay put when simulated again); the lowest first.
        candidates = sorted(group, key=lambda i: (poses[i, 2, 3], i))[: config.verify_candidates]
        stable = next((i for i in candidates if pose_drift(obj, poses[i], config.verify_time, config.physics)
                       .max_vertex_mm <= config.max_drift_mm), None)
        if stable is None:
            rejected += 1
            continue
        reps.append(stable)
        counts.append(len(group))
    return StablePoses(
        object_key=obj.key,
        rotations=poses[reps, :3, :3].reshape(-1, 3, 3),
        heights=poses[reps, 2, 3].reshape(-1),
        up=poses[reps, 2, :3].reshape(-1, 3),
        counts=np.array(counts, np.int64),
        drops=drops,
        settled=len(poses),
        symmetry=symmetry,
        seconds=seconds,
        rejected=rejected,
    )


# ---------------------------------------------------------------------------------------------- caching
def default_stable_dir() -> Path:
    """$DEXVLG_CACHE_DIR/stable_poses (or ~/.cache/dexvlg/stable_poses), next to the decomposition cache."""
    return default_cache_dir().parent / "stable_poses"


def _object_hash(obj: SimObject) -> str:
    digest = hashlib.sha1(obj.key.encode())
    for hull in obj.hulls:
        digest.update(np.ascontiguousarray(hull, "<f8").tobytes())
    if obj.face_parts is not None:
        digest.update(np.ascontiguousarray(obj.face_parts, "<i4").tobytes())
    return digest.hexdigest()[:16]


def cache_paths(obj: SimObject, config: StablePoseConfig, cache_dir: str | Path | None = None) -> tuple[Path, Path]:
    """(merged result file, folder of per-chunk files) of ``obj`` under ``config``."""
    root = Path(cache_dir) if cache_dir else default_stable_dir()
    stem = f"{_object_hash(obj)}-v{_CACHE_VERSION}-{config.key()}"
    return root / f"{stem}.npz", root / f"{stem}.chunks"


def _chunk_path(folder: Path, chunk: int) -> Path:
    return folder / f"chunk{chunk:05d}.npz"


def _load_chunk(path: Path) -> dict[str, np.ndarray] | None:
    try:
        with np.load(path) as f:
            return {k: f[k] for k in ("settled", "poses", "seconds")}
    except (OSError, ValueError, KeyError):  # missing or torn file: redo the chunk
        return None


def _chunks(config: StablePoseConfig) -> range:
    return range(int(np.ceil(config.drops / config.chunk)))


def _finish(obj: SimObject, config: StablePoseConfig, chunks: list[dict[str, np.ndarray]],
            result_path: Path) -> StablePoses:
    settled = np.concatenate([c["settled"] for c in chunks])
    poses = np.concatenate([c["poses"] for c in chunks])[settled]
    start = time.perf_counter()
    symmetry = (detect_symmetry(obj.vertices, obj.faces, obj.face_parts, config.symmetry) if config.use_symmetry
                else Symmetry())
    result = merge_poses(obj, poses, symmetry, config, config.drops)
    result.seconds = time.perf_counter() - start + float(sum(float(c["seconds"]) for c in chunks))
    result.save(result_path)
    return result


def _as_sim_object(source: object, decomposition: DecompositionConfig | None) -> SimObject:
    return source if isinstance(source, SimObject) else load_object(source, config=decomposition)


def find_stable_poses(source: object, config: StablePoseConfig | None = None, *,
                      cache_dir: str | Path | None = None, decomposition: DecompositionConfig | None = None,
                      workers: int = 1) -> StablePoses:
    """Stable poses of one object (SimObject, PartObject, mesh path or trimesh), from the cache when present."""
    return find_stable_poses_batch([source], config, cache_dir=cache_dir, decomposition=decomposition,
                                   workers=workers)[0]


def _worker_chunk(obj: SimObject, config: StablePoseConfig, chunk: int, path: str) -> int:
    result = run_chunk(obj, config, chunk)
    _atomic_savez(Path(path), **result)
    return chunk


def find_stable_poses_batch(sources: Sequence[object], config: StablePoseConfig | None = None, *,
                            cache_dir: str | Path | None = None, decomposition: DecompositionConfig | None = None,
                            workers: int = 1) -> list[StablePoses]:
    """Stable poses of many objects; missing drop chunks run on ``workers`` processes (spawned), each written
    as it finishes, so an interrupted call resumes. Results come back in ``sources`` order.
    """
    config = config or StablePoseConfig()
    objects = [_as_sim_object(s, decomposition) for s in sources]
    todo: list[tuple[int, int, Path]] = []
    for i, obj in enumerate(objects):
        result_path, folder = cache_paths(obj, config, cache_dir)
        if not result_path.is_file():
            todo += [(i, c, _chunk_path(folder, c)) for c in _chunks(config)
                     if _load_chunk(_chunk_path(folder, c)) is None]
    if todo and workers > 1:
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
            list(pool.map(_worker_chunk, [objects[i] for i, _, _ in todo], [config] * len(todo),
                          [c for _, c, _ in todo], [str(p) for _, _, p in todo]))
    else:
        for i, c, path in todo:
            _worker_chunk(objects[i], config, c, str(path))
    results = []
    for obj in objects:
        result_path, folder = cache_paths(obj, config, cache_dir)
        if result_path.is_file():
            try:
                results.append(StablePoses.load(result_path))
                continue
            except (OSError, ValueError, KeyError):
                pass  # torn cache: rebuild from the chunks
        chunks = [_load_chunk(_chunk_path(folder, c)) for c in _chunks(config)]
        if any(c is None for c in chunks):
            missing = [c for c, data in zip(_chunks(config), chunks, strict=True) if data is None]
            raise RuntimeError(f"stable-pose chunks {missing} of {obj.name!r} are missing after the run")
        results.append(_finish(obj, config, chunks, result_path))
    return results


# ---------------------------------------------------------------------------------------------- checks
@dataclass(frozen=True)
class Drift:
    """How far a resting object moved when simulated again."""

    max_vertex_mm: float  # largest displacement of any mesh vertex
    origin_mm: float
    rotation_deg: float


def pose_drift(obj: SimObject, pose: np.ndarray, seconds: float = 2.0, physics: SimConfig | None = None) -> Drift:
    """How far ``obj`` moves when put at rest at ``pose`` (4x4 world) on the table and simulated ``seconds``."""
    physics = physics or SimConfig()
    model = _cached_model(obj, physics)
    data = mujoco.MjData(model)
    qpos = _place(model, data, pose)
    mujoco.mj_step(model, data, nstep=max(1, round(seconds / model.opt.timestep)))
    q = data.qpos[qpos]
    after = transform(quat_wxyz_to_matrix(q[3:]), q[:3])
    before_v = obj.vertices @ pose[:3, :3].T + pose[:3, 3]
    after_v = obj.vertices @ after[:3, :3].T + after[:3, 3]
    angle = Rotation.from_matrix(pose[:3, :3].T @ after[:3, :3]).magnitude()
    return Drift(1e3 * float(np.linalg.norm(after_v - before_v, axis=1).max()),
                 1e3 * float(np.linalg.norm(after[:3, 3] - pose[:3, 3])), float(np.degrees(angle)))
