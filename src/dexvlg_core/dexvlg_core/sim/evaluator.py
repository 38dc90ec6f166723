"""The physics grasp evaluator: evaluate(grasp, object, config) -> EvalResult, serially or in parallel processes.

A grasp is given in the OBJECT frame (Grasp.position/rotation = hand root pose in the mesh's frame). The
six-direction test places the object at the world origin; the lift test rests it on a table (its lowest point
on the table top, or at a given stable pose). Every failure -- bad numbers in the grasp, joints beyond their
limits, a mesh that does not load, a simulation that explodes, or anything unexpected -- becomes a failed
EvalResult with a reason; nothing raises out of evaluate() or evaluate_batch().

Scenes are compiled once per object and process and reused (MuJoCo state is fully reset per test), which is
what keeps the evaluator near the raw mj_step rate. The static checks of a grasp posture are remembered too: a
grasp judged again with another pregrasp or squeeze only simulates.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import time
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import trimesh

from dexvlg_core.grasp import BODEX_SIZE, Grasp
from dexvlg_core.hand.joints import JOINT_NAMES, NUM_JOINTS
from dexvlg_core.hand.mjcf import joint_limits
from dexvlg_core.rotations import transform
from dexvlg_core.sim.checks import (
    ContactCheck,
    DisturbanceResult,
    GraspPostures,
    LiftResult,
    PartAlignment,
    PenetrationCheck,
    SimulationError,
    contacts,
    disturbance_test,
    hand_object_penetration,
    lift_test,
    part_alignment,
    pose_static,
    self_penetration,
)
from dexvlg_core.sim.config import SimConfig
from dexvlg_core.sim.objects import DecompositionConfig, MeshError, SimObject, load_object
from dexvlg_core.sim.scene import Scene, SceneOptions, build_scene, resting_pose

ObjectSource = SimObject | str | Path | trimesh.Trimesh


@dataclass
class EvalResult:
    """Everything the evaluator measured about one grasp; ``passed`` = DexVLG validation passed."""

    passed: bool
    reason: str
    object: str = ""
    penetration: PenetrationCheck | None = None
    pregrasp_penetration_mm: float = float("nan")
    self_penetration: PenetrationCheck | None = None
    contacts: ContactCheck | None = None
    contact_fingers_match: bool | None = None  # CMA, when the grasp names its contact fingers
    part: PartAlignment | None = None
    disturbance: DisturbanceResult | None = None
    lift: LiftResult | None = None
    seconds: float = 0.0
    sim_steps: int = 0

    def summary(self) -> dict:
        """Flat, JSON-friendly numbers (for files, logs and comparing runs)."""
        pre = self.pregrasp_penetration_mm
        out: dict = {"passed": self.passed, "reason": self.reason, "object": self.object,
                     "pregrasp_penetration_mm": None if math.isnan(pre) else pre, "sim_steps": self.sim_steps}
        if self.penetration:
            out["penetration_mm"] = self.penetration.depth_mm
        if self.self_penetration:
            out["self_penetration_mm"] = self.self_penetration.depth_mm
        if self.contacts:
            out["contact_links"] = list(self.contacts.links)
            out["contact_fingers"] = list(self.contacts.fingers)
        if self.contact_fingers_match is not None:
            out["contact_fingers_match"] = self.contact_fingers_match
        if self.part:
            out["part_aligned"] = self.part.passed
        if self.disturbance:
            out["disturbance"] = asdict(self.disturbance)
        if self.lift:
            out["lift"] = asdict(self.lift)
        return out


def _failed(reason: str, **kwargs) -> EvalResult:
    return EvalResult(False, reason, **kwargs)


# ---------------------------------------------------------------------------------------------- inputs
def as_grasp(grasp: Grasp | np.ndarray | Sequence[float]) -> Grasp:
    """A Grasp from a Grasp or BODex interchange rows ((29,) or (3, 29)); ValueError with the reason."""
    if isinstance(grasp, Grasp):
        return grasp
    rows = np.asarray(grasp, dtype=np.float64)
    if rows.shape[-1] != BODEX_SIZE:
        raise ValueError(f"expected a Grasp or BODex rows of {BODEX_SIZE} numbers, got shape {rows.shape}")
    if not np.all(np.isfinite(rows)):
        raise ValueError("grasp contains NaN or infinite numbers")
    quats = rows.reshape(-1, BODEX_SIZE)[:, 3:7]
    if np.any(np.abs(np.linalg.norm(quats, axis=1) - 1.0) > 1e-3):
        raise ValueError("grasp root quaternion is not unit length")
    return Grasp.from_bodex(rows)


def check_grasp(grasp: Grasp, config: SimConfig) -> str:
    """Reason the grasp's numbers cannot be simulated, or "" when they are fine."""
    if not (np.all(np.isfinite(grasp.position)) and np.all(np.isfinite(grasp.rotation))):
        return "grasp root pose contains NaN or infinite values"
    if np.abs(grasp.position).max() > 10.0:
        return f"grasp root position {grasp.position} is more than 10 m from the object"
    if not np.allclose(grasp.rotation @ grasp.rotation.T, np.eye(3), atol=1e-4) or np.linalg.det(grasp.rotation) < 0:
        return "grasp rotation is not a proper rotation matrix"
    lower, upper = joint_limits()
    tol = config.joint_limit_tolerance
    for label, q in (("joints", grasp.joints), ("pregrasp", grasp.pregrasp), ("squeeze", grasp.squeeze)):
        if q is None:
            continue
        q = np.asarray(q, dtype=np.float64)
        if q.shape != (NUM_JOINTS,) or not np.all(np.isfinite(q)):
            return f"grasp {label} are not {NUM_JOINTS} finite joint angles"
        if label == "squeeze":
            continue  # 2 * grasp - pregrasp may overshoot; the servos clip it
        beyond = np.flatnonzero((q < lower - tol) | (q > upper + tol))
        if len(beyond):
            j = beyond[0]
            return (f"grasp {label} beyond joint limits: {JOINT_NAMES[j]} = {q[j]:.3f} outside "
                    f"[{lower[j]:.3f}, {upper[j]:.3f}]" + (f" (+{len(beyond) - 1} more)" if len(beyond) > 1 else ""))
    return ""


def postures_of(grasp: Grasp, object_pose: np.ndarray) -> GraspPostures:
    """The grasp in a scene whose object sits at ``object_pose``; pregrasp defaults to the grasp."""
    root = object_pose @ transform(grasp.rotation, grasp.position)
    pregrasp = grasp.pregrasp if grasp.pregrasp is not None else grasp.joints
    return GraspPostures(root, np.asarray(pregrasp, float), np.asarray(grasp.joints, float),
                         np.asarray(grasp.squeeze_or_derived(), float))


# ---------------------------------------------------------------------------------------------- scenes
@dataclass(frozen=True)
class StaticChecks:
    """The checks of a grasp posture that need no simulation (penetration, self-penetration, contacts, part
    alignment): they depend on the object, the configuration, the hand's root and grasp joints and the part only.
    """

    penetration: PenetrationCheck
    self_penetration: PenetrationCheck
    contacts: ContactCheck
    part: PartAlignment | None


class SceneCache:
    """Compiled scenes per (object, table) in this process, least recently used dropped first; and the static
    checks of the last grasp postures judged, so that a grasp judged again with another pregrasp or squeeze (the
    synthesis posture search) is not measured again: the same posture gives the same numbers.
    """

    def __init__(self, size: int = 4, static_size: int = 512):
        self.size, self.static_size = size, static_size
        self._scenes: OrderedDict[tuple, Scene] = OrderedDict()
        self._static: OrderedDict[tuple, StaticChecks] = OrderedDict()

    def static_checks(self, key: tuple, measure) -> StaticChecks:
        """The static checks under ``key`` (see static_key), measured by ``measure()`` if not remembered."""
        checks = self._static.get(key)
        if checks is None:
            checks = measure()
            self._static[key] = checks
            while len(self._static) > self.static_size:
                self._static.popitem(last=False)
        self._static.move_to_end(key)
        return checks

    def get(self, obj: SimObject, config: SimConfig, table: bool, object_pose: np.ndarray | None = None) -> Scene:
        pose_key = None if object_pose is None else tuple(np.round(np.asarray(object_pose).ravel(), 9))
        key = (obj.key, config, table, pose_key)
        scene = self._scenes.get(key)
        if scene is None:
            options = SceneOptions(table=table, camera=False)
            if table and object_pose is None:
                object_pose = resting_pose(obj)
            scene = build_scene(obj, config, options, object_pose)
            self._scenes[key] = scene
            while len(self._scenes) > self.size:
                self._scenes.popitem(last=False)
        self._scenes.move_to_end(key)
        return scene


_CACHE = SceneCache()


def static_key(obj: SimObject, config: SimConfig, postures: GraspPostures, part: str) -> tuple:
    """What a grasp posture's static checks depend on, exactly (the arrays' bytes, not rounded values)."""
    root, joints = np.ascontiguousarray(postures.root, np.float64), np.ascontiguousarray(postures.grasp, np.float64)
    return obj.key, config, root.tobytes(), joints.tobytes(), part


# ---------------------------------------------------------------------------------------------- evaluate
def evaluate(
    grasp: Grasp | np.ndarray,
    obj: ObjectSource,
    config: SimConfig | None = None,
    *,
    table_pose: np.ndarray | None = None,
    decomposition: DecompositionConfig | None = None,
    cache: SceneCache | None = None,
) -> EvalResult:
    """Judge one grasp of ``obj`` (grasp in the object frame). Never raises: failures come back as results.

    table_pose: object pose on the table for the lift test (4x4, world, table top z = 0); default: the mesh's
    orientation with its lowest point on the table.
    """
    start = time.perf_counter()
    config = config or SimConfig()
    name = obj.name if isinstance(obj, SimObject) else str(getattr(obj, "name", "") or obj)[:80]
    try:
        result = _evaluate(grasp, obj, config, table_pose, decomposition, cache or _CACHE)
    except MeshError as error:
        result = _failed(f"object unusable: {error}", object=name)
    except SimulationError as error:
        result = _failed(str(error), object=name)
    except Exception as error:  # one bad grasp must never stop a batch
        result = _failed(f"evaluation error: {type(error).__name__}: {error}", object=name)
    result.seconds = time.perf_counter() - start
    return result


def _evaluate(grasp, obj, config: SimConfig, table_pose, decomposition, cache: SceneCache) -> EvalResult:
    try:
        grasp = as_grasp(grasp)
    except ValueError as error:
        return _failed(f"bad grasp: {error}")
    simobj = load_object(obj, config=decomposition)
    problem = check_grasp(grasp, config)
    if problem:
        return _failed(f"bad grasp: {problem}", object=simobj.name)

    scene = cache.get(simobj, config, table=False)
    postures = postures_of(grasp, scene.object_pose0)
    result = EvalResult(True, "", object=simobj.name)

    # Static checks at the grasp posture, then the penetration of the pregrasp (the simulation's start).
    def measure() -> StaticChecks:
        pose_static(scene, postures.root, postures.grasp)
        penetration, self_overlap, touching = hand_object_penetration(scene), self_penetration(scene), contacts(scene)
        part = part_alignment(scene, grasp.part, touching) if grasp.part else None
        return StaticChecks(penetration, self_overlap, touching, part)

    static = cache.static_checks(static_key(simobj, config, postures, grasp.part), measure)
    result.penetration, result.self_penetration = static.penetration, static.self_penetration
    result.contacts, result.part = static.contacts, static.part
    if grasp.contact_fingers:
        result.contact_fingers_match = result.contacts.matches(grasp.contact_fingers)
    pose_static(scene, postures.root, postures.pregrasp)
    pre_depth = hand_object_penetration(scene).depth_mm
    result.pregrasp_penetration_mm = pre_depth

    failures = [c.reason for c in (result.penetration, result.self_penetration) if not c.passed]
    if result.part is not None and not result.part.passed:
        failures.append(f"part alignment: {result.part.reason}")
    deepest = max(result.penetration.depth_mm, pre_depth)
    if deepest > 1e3 * config.reject_penetration:
        failures.append(f"penetration {deepest:.1f} mm > {1e3 * config.reject_penetration:.0f} mm: not simulated")
    elif not failures or config.simulate_static_failures:  # else failed already: simulating cannot change that
        if config.run_disturbance:
            result.disturbance = disturbance_test(scene, postures)
            result.sim_steps += result.disturbance.steps
            if not result.disturbance.passed:
                failures.append(result.disturbance.reason)
        if config.run_lift:
            table_scene = cache.get(simobj, config, table=True, object_pose=table_pose)
            result.lift = lift_test(table_scene, postures_of(grasp, table_scene.object_pose0))
            result.sim_steps += result.lift.steps
            if not result.lift.passed:
                failures.append(f"lift: {result.lift.reason}")
    result.passed = not failures
    result.reason = "; ".join(failures) if failures else "valid: " + "; ".join(
        r for r in (result.penetration.reason, result.self_penetration.reason,
                    result.disturbance.reason if result.disturbance else "", result.lift.reason if result.lift else "")
        if r
    )
    return result


# ---------------------------------------------------------------------------------------------- batches
def _worker_init() -> None:
    # One MuJoCo thread per process and no BLAS oversubscription: the parallelism is the processes.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")


def _evaluate_chunk(items: list[tuple[int, object]], obj: ObjectSource, config: SimConfig,
                    table_pose: np.ndarray | None,
                    decomposition: DecompositionConfig | None) -> list[tuple[int, EvalResult]]:
    return [(i, evaluate(g, obj, config, table_pose=table_pose, decomposition=decomposition)) for i, g in items]


class BatchEvaluator:
    """Worker processes (spawned, one MuJoCo scene cache each) that evaluate batches of grasps.

    Keep one open across batches to pay the process start-up once:

        with BatchEvaluator(workers=4, config=config) as pool:
            results = pool.evaluate(grasps, obj)

    workers: None = all cores; 0 or 1 = in this process. Results come back in input order; a grasp whose
    evaluation fails, or even crashes its worker process, gets a failed result and the rest go on.
    """

    def __init__(self, workers: int | None = None, config: SimConfig | None = None, *, chunk_size: int = 4,
                 decomposition: DecompositionConfig | None = None):
        self.workers = (os.cpu_count() or 1) if workers is None else workers
        self.config = config or SimConfig()
        self.chunk_size = max(1, chunk_size)
        self.decomposition = decomposition
        # spawn, not fork: a forked child would inherit MuJoCo/OpenGL/torch state; spawn is safe everywhere.
        self._context = multiprocessing.get_context("spawn")
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> BatchEvaluator:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Stop the worker processes."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _executor(self, workers: int) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=self._context, initializer=_worker_init)
        return self._pool

    def _discard_pool(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def evaluate(self, grasps: Sequence[Grasp | np.ndarray], obj: ObjectSource | Sequence[ObjectSource], *,
                 table_pose: np.ndarray | None = None) -> list[EvalResult]:
        """Evaluate ``grasps`` of ``obj`` (one object for all, or a list with one per grasp)."""
        n = len(grasps)
        objects = list(obj) if isinstance(obj, (list, tuple)) else [obj] * n
        if len(objects) != n:
            raise ValueError(f"{len(objects)} objects for {n} grasps")
        if self.workers <= 1 or n <= 1:
            return [evaluate(g, o, self.config, table_pose=table_pose, decomposition=self.decomposition)
                    for g, o in zip(grasps, objects, strict=True)]
        # Load each distinct object once here (a broken mesh then fails its grasps without reaching a worker),
        # and send chunks that share one object, so that each worker compiles a scene once per object.
        loaded: dict[int, SimObject | str] = {}
        for o in objects:
            if id(o) not in loaded:
                try:
                    loaded[id(o)] = load_object(o, config=self.decomposition)
                except Exception as error:
                    loaded[id(o)] = f"object unusable: {error}"
        results: list[EvalResult | None] = [None] * n
        groups: dict[int, list[int]] = {}
        for i, o in enumerate(objects):
            if isinstance(loaded[id(o)], str):
                results[i] = _failed(loaded[id(o)], object=str(o)[:80])
            else:
                groups.setdefault(id(o), []).append(i)
        size = self.chunk_size
        chunks = [(key, idx[k : k + size]) for key, idx in groups.items() for k in range(0, len(idx), size)]
        crashed = self._run(chunks, grasps, loaded, table_pose, results)
        if crashed:
            self._isolate(crashed, chunks, grasps, loaded, table_pose, results)
        return [r if r is not None else _failed("evaluation did not complete") for r in results]

    def _submit(self, pool, idx, grasps, obj, table_pose):
        return pool.submit(_evaluate_chunk, [(i, grasps[i]) for i in idx], obj, self.config, table_pose,
                           self.decomposition)

    def _run(self, chunks, grasps, loaded, table_pose, results) -> list[int]:
        pool = self._executor(self.workers)
        futures = [(self._submit(pool, idx, grasps, loaded[key], table_pose), idx) for key, idx in chunks]
        crashed: list[int] = []
        for future, idx in futures:
            try:
                for i, result in future.result():
                    results[i] = result
            except BrokenProcessPool:
                crashed.extend(i for i in idx if results[i] is None)
            except Exception as error:
                for i in idx:
                    results[i] = _failed(f"evaluation error: {type(error).__name__}: {error}")
        if crashed:
            self._discard_pool()
        return crashed

    def _isolate(self, crashed, chunks, grasps, loaded, table_pose, results) -> None:
        # A worker died (e.g. a crash inside MuJoCo) and took the pool with it. Redo the unfinished grasps one
        # at a time in a one-process pool, so only a grasp that kills its worker on its own is failed for it.
        key_of = {i: key for key, idx in chunks for i in idx}
        pool = ProcessPoolExecutor(max_workers=1, mp_context=self._context, initializer=_worker_init)
        try:
            for i in crashed:
                try:
                    results[i] = self._submit(pool, [i], grasps, loaded[key_of[i]], table_pose).result()[0][1]
                except BrokenProcessPool:
                    results[i] = _failed("evaluation crashed its worker process")
                    pool.shutdown(wait=False)
                    pool = ProcessPoolExecutor(max_workers=1, mp_context=self._context, initializer=_worker_init)
        finally:
            pool.shutdown(wait=True)


def evaluate_batch(
    grasps: Sequence[Grasp | np.ndarray],
    obj: ObjectSource | Sequence[ObjectSource],
    config: SimConfig | None = None,
    *,
    workers: int | None = None,
    chunk_size: int = 4,
    table_pose: np.ndarray | None = None,
    decomposition: DecompositionConfig | None = None,
) -> list[EvalResult]:
    """One batch through a BatchEvaluator that lives for this call (see BatchEvaluator)."""
    with BatchEvaluator(workers, config, chunk_size=chunk_size, decomposition=decomposition) as pool:
        return pool.evaluate(grasps, obj, table_pose=table_pose)


def success_rate(results: Sequence[EvalResult]) -> float:
    """Fraction of passed results (nan for none)."""
    return sum(r.passed for r in results) / len(results) if results else math.nan
