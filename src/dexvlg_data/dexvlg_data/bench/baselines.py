"""The benchmark's reference methods, all behind the predictor interface (cloud + instruction -> ranked grasps).

- ``RandomBaseline`` (lower bound): the palm 1 cm off a random cloud point, facing it, random roll, a random blend of
  the hand-crafted wrap/pinch postures; it ignores the instruction.
- ``RetrievalBaseline``: the training object whose rendered cloud is nearest in shape (PCA extents + distance
  histogram) among those with validated grasps of the part the instruction names; its mesh is registered to the
  observed cloud (ICP from many starting rotations) and its grasps of that part are moved onto the observation.
- ``OracleBaseline`` (upper bound): the synthesis pipeline itself, given the true mesh, part and table pose
  (privileged: it implements ``predict_with_truth``); validated grasps that clear the table come first.

Every method is deterministic: randomness is drawn from its seed and a hash of the request, so the same item gives
the same grasps in any process and in any order.
"""

from __future__ import annotations

import json
import re
import zlib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
from scipy.spatial import cKDTree
from scipy.spatial.transform import Rotation

from dexvlg_core.grasp import Grasp
from dexvlg_core.grasp_io import read_grasps, write_grasps
from dexvlg_core.hand.mjcf import joint_limits
from dexvlg_core.predictor import PredictionError, check_request
from dexvlg_core.sim.examples import open_pregrasp

PINCH_FINGERS = frozenset(("index", "middle", "thumb"))


@dataclass(frozen=True)
class ItemTruth:
    """What only an oracle may know about an item: the object, the target part, where it rests, the camera."""

    part_object: object  # dexvlg_data.objects.PartObject
    sim: object  # dexvlg_core.sim.SimObject, the one the benchmark judges with
    part: str
    object_pose: np.ndarray  # 4x4 world (table top z = 0)
    object_to_camera: np.ndarray  # 4x4
    fingers: tuple[str, ...]
    seed: int


def request_seed(seed: int, points: np.ndarray, instruction: str) -> list[int]:
    """Seed material from a method seed and the request (same request, same draws, in any process)."""
    return [seed, zlib.crc32(np.ascontiguousarray(points, np.float32).tobytes()), zlib.crc32(instruction.encode())]


def _palm_centre() -> np.ndarray:
    from dexvlg_data.synth.context import hand_model
    from dexvlg_data.synth.init import palm_centre

    return palm_centre(hand_model())


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


# ---------------------------------------------------------------------------------------------- random
@dataclass
class RandomBaseline:
    """Lower bound: random hand poses around the cloud (see module doc)."""

    seed: int = 0
    palm_distance: float = 0.01
    outward_noise: float = 0.6  # how far the approach may tilt from the outward direction

    @cached_property
    def _palm(self) -> np.ndarray:
        return _palm_centre()

    def predict(self, points: np.ndarray, colors: np.ndarray, instruction: str, num_grasps: int) -> list[Grasp]:
        """Random grasps around the cloud, in its frame."""
        from dexvlg_data.synth.init import posture

        points, _ = check_request(points, colors, instruction)
        rng = np.random.default_rng(request_seed(self.seed, points, instruction))
        centre = points.mean(axis=0)
        lower, upper = joint_limits()
        grasps = []
        for _ in range(num_grasps):
            target = points[rng.integers(len(points))].astype(np.float64)
            outward = target - centre
            outward = _unit(outward) if np.linalg.norm(outward) > 1e-6 else _unit(rng.normal(size=3))
            approach = _unit(outward + self.outward_noise * _unit(rng.normal(size=3)))
            # Hand frame: palm normal -y, fingers +z. +y points away from the object along the approach.
            z_axis = _unit(np.cross(rng.normal(size=3), approach))
            rotation = np.stack([np.cross(approach, z_axis), approach, z_axis], axis=1)
            palm = target + self.palm_distance * approach
            position = palm - rotation @ self._palm
            style = ("wrap", "pinch")[int(rng.integers(2))]
            joints = np.clip(posture(style) * rng.uniform(0.5, 1.3) + rng.normal(0.0, 0.1, size=len(lower)),
                             lower, upper)
            grasps.append(Grasp(position=position, rotation=rotation, joints=joints,
                                pregrasp=np.clip(open_pregrasp(joints), lower, upper), style=style,
                                score=float(rng.random())))
        return sorted(grasps, key=lambda g: -g.score)


# ---------------------------------------------------------------------------------------------- retrieval
def shape_descriptor(points: np.ndarray, rng: np.random.Generator, bins: int = 16, max_distance: float = 0.4,
                     pairs: int = 4000) -> np.ndarray:
    """Pose-invariant shape numbers of a cloud: sorted PCA extents (cm scale) and a pairwise-distance histogram."""
    centred = points - points.mean(axis=0)
    extents = np.sqrt(np.maximum(np.linalg.eigvalsh(np.cov(centred.T)), 0.0))[::-1]
    a, b = rng.integers(len(points), size=(2, pairs))
    hist, _ = np.histogram(np.linalg.norm(points[a] - points[b], axis=1), bins=bins, range=(0.0, max_distance))
    return np.concatenate([20.0 * extents, hist / max(pairs, 1)])


def _kabsch(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """4x4 rigid transform that best maps ``source`` points onto ``target`` (least squares)."""
    cs, ct = source.mean(axis=0), target.mean(axis=0)
    u, _, vt = np.linalg.svd((source - cs).T @ (target - ct))
    d = np.sign(np.linalg.det(vt.T @ u.T))
    rotation = vt.T @ np.diag([1.0, 1.0, d]) @ u.T
    pose = np.eye(4)
    pose[:3, :3], pose[:3, 3] = rotation, ct - rotation @ cs
    return pose


def register(model: np.ndarray, observed: np.ndarray, starts: np.ndarray, iterations: int = 25,
             keep: float = 0.9) -> tuple[np.ndarray, float]:
    """Model -> observation transform by trimmed point-to-point ICP from each start rotation (centroids aligned).

    Every observed point is matched to its nearest model point (the observation is partial, the model complete);
    the worst ``1 - keep`` matches are ignored. Returns (4x4 pose, trimmed mean residual in m) of the best start.
    """
    tree = cKDTree(model)
    best, best_error = np.eye(4), np.inf
    for rotation in starts:
        pose = np.eye(4)
        pose[:3, :3] = rotation
        pose[:3, 3] = observed.mean(axis=0) - rotation @ model.mean(axis=0)
        error = np.inf
        for _ in range(iterations):
            local = (observed - pose[:3, 3]) @ pose[:3, :3]  # observation in the model frame
            dist, idx = tree.query(local)
            order = np.argsort(dist)[: max(3, int(keep * len(dist)))]
            error = float(dist[order].mean())
            pose = _kabsch(model[idx[order]], observed[order])
        if error < best_error:
            best, best_error = pose, error
    return best, best_error


@dataclass
class LibraryObject:
    """One training object of the retrieval library: surface samples, rendered-view descriptors, grasps by part."""

    object_id: str
    category: str
    surface: np.ndarray  # (M, 3) object frame
    descriptors: np.ndarray  # (views, D)
    grasps: dict[str, list[Grasp]]  # part -> validated grasps (object frame)


def part_in_instruction(instruction: str, parts: set[str]) -> str:
    """The longest known part name said in the instruction (whole words), or ""."""
    text = " " + re.sub(r"[^a-z0-9]+", " ", instruction.lower()) + " "
    said = [p for p in parts if f" {p.lower()} " in text]
    return max(said, key=len) if said else ""


def dataset_grasps(dataset: str | Path) -> dict[str, dict[str, list[Grasp]]]:
    """Validated grasps of a ``dexvlg synth`` dataset directory: object id -> part -> grasps (objects with any)."""
    out: dict[str, dict[str, list[Grasp]]] = {}
    for folder in sorted(p for p in (Path(dataset) / "grasps").glob("*") if p.is_dir()):
        by_part: dict[str, list[Grasp]] = {}
        for table in sorted(folder.glob("*.parquet")):
            for grasp in read_grasps(table):
                by_part.setdefault(grasp.part, []).append(grasp)
        if by_part:
            out[folder.name] = by_part
    return out


def build_library(dataset: str | Path, views: tuple[int, ...] = (0, 2, 4, 6), surface_points: int = 3000,
                  seed: int = 0) -> list[LibraryObject]:
    """The retrieval library from a ``dexvlg synth`` dataset directory (objects with validated grasps only)."""
    from dexvlg_core.sim import load_object
    from dexvlg_core.sim.scene import resting_pose
    from dexvlg_data.scenes.render import RenderConfig, render_view
    from dexvlg_data.synth.driver import ObjectRef

    root = Path(dataset)
    library = []
    for object_id, grasps in dataset_grasps(root).items():
        meta = json.loads((root / "objects" / f"{object_id}.json").read_text())
        obj = ObjectRef(**meta["source"]).load()
        rng = np.random.default_rng([seed, zlib.crc32(obj.object_id.encode())])
        surface = np.asarray(obj.mesh.sample(surface_points, seed=int(rng.integers(2**31))), np.float64)
        pose = resting_pose(load_object(obj, name=obj.object_id))
        config = RenderConfig(num_points=2048)
        descriptors = []
        for view in views:
            cloud = render_view(obj, pose, view, config, seed=int(rng.integers(2**31)))
            descriptors.append(shape_descriptor(cloud.points.astype(np.float64), rng))
        library.append(LibraryObject(obj.object_id, obj.category, surface, np.array(descriptors), grasps))
    return library


@dataclass
class RetrievalBaseline:
    """Nearest training object in cloud shape with grasps of the named part, registered onto the observation."""

    library: str = "data/bench/library/train"  # a `dexvlg synth` dataset directory
    seed: int = 0
    icp_points: int = 1024
    _objects: list[LibraryObject] | None = field(default=None, repr=False)

    @staticmethod
    def describe_setup(library: str = "data/bench/library/train", **_: object) -> dict:
        """What the library held when a run used it (objects and grasps per part), for the run's summary."""
        counts: dict[str, int] = {}
        grasps = dataset_grasps(library)
        for by_part in grasps.values():
            for part, rows in by_part.items():
                counts[part] = counts.get(part, 0) + len(rows)
        return {"library": str(library), "objects_with_grasps": len(grasps), "grasps": sum(counts.values()),
                "grasps_per_part": dict(sorted(counts.items()))}

    @property
    def objects(self) -> list[LibraryObject]:
        if self._objects is None:
            if not (Path(self.library) / "grasps").is_dir():
                raise FileNotFoundError(f"retrieval library {self.library!r} is not a dexvlg synth dataset directory")
            self._objects = build_library(self.library, seed=self.seed)
        return self._objects

    def predict(self, points: np.ndarray, colors: np.ndarray, instruction: str, num_grasps: int) -> list[Grasp]:
        """The retrieved object's grasps of the instructed part, moved onto the observed cloud (its frame)."""
        points, _ = check_request(points, colors, instruction)
        points = points.astype(np.float64)
        parts = {p for o in self.objects for p in o.grasps}
        part = part_in_instruction(instruction, parts)
        if not part:
            raise PredictionError(f"no training grasp of any part named in {instruction!r} (library parts: "
                                  f"{', '.join(sorted(parts)) or 'none'})")
        rng = np.random.default_rng(request_seed(self.seed, points, instruction))
        query = shape_descriptor(points, rng)
        candidates = [o for o in self.objects if part in o.grasps]
        distances = [np.linalg.norm(o.descriptors - query, axis=1).min() for o in candidates]
        match = candidates[int(np.argmin(distances))]
        sample = points[rng.choice(len(points), size=min(self.icp_points, len(points)), replace=False)]
        pose, _ = register(match.surface, sample, _start_rotations(match.surface, sample))
        grasps = match.grasps[part][:num_grasps]
        return [g.transformed(pose) for g in grasps]


def _start_rotations(model: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """ICP starts: the 24 rotations of the cube and the 4 proper PCA-axis alignments."""
    def axes(points: np.ndarray) -> np.ndarray:
        _, vectors = np.linalg.eigh(np.cov((points - points.mean(axis=0)).T))
        return vectors[:, ::-1]

    model_axes, observed_axes = axes(model), axes(observed)
    starts = list(Rotation.create_group("O").as_matrix())
    for signs in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
        flip = np.diag([signs[0], signs[1], signs[0] * signs[1]])
        rotation = observed_axes @ flip @ model_axes.T
        if np.linalg.det(rotation) < 0:
            rotation = observed_axes @ flip @ np.diag([1, 1, -1]) @ model_axes.T
        starts.append(rotation)
    return np.array(starts)


# ---------------------------------------------------------------------------------------------- oracle
@dataclass
class OracleBaseline:
    """Upper bound: synthesize + validate grasps of the true part on the true mesh, keep those that clear the table.

    Synthesized grasps are cached per (object, part, style) under ``cache_dir`` (atomic Parquet), so contact-mode
    items and reruns reuse them.
    """

    cache_dir: str = "data/bench/oracle"
    batch_size: int = 8
    iterations: int = 0  # 0: the synthesis config's
    seed: int = 0
    match_fingers: bool = False  # pinch grasps for items instructing thumb/index/middle (doubles the synthesis)

    def predict(self, points: np.ndarray, colors: np.ndarray, instruction: str, num_grasps: int) -> list[Grasp]:
        """The oracle needs the item's truth; without it, it cannot answer."""
        raise PredictionError("the oracle predicts only with the item's ground truth (predict_with_truth)")

    def predict_with_truth(self, truth: ItemTruth, num_grasps: int) -> list[Grasp]:
        """Validated, table-clear grasps of the true part first (camera frame)."""
        from dexvlg_data.scenes.placement import place_grasps

        pinch = self.match_fingers and truth.fingers and set(truth.fingers) <= PINCH_FINGERS
        style = "pinch" if pinch else "wrap"
        grasps = self._synthesized(truth, style)
        placement = place_grasps(grasps, truth.sim, truth.object_pose)
        clear = set(placement.kept.tolist())

        def rank(i: int) -> tuple:
            g = grasps[i]
            # The table decides first: a grasp through it cannot even be approached.
            return (i not in clear, not g.scores.get("valid", 0.0), g.scores.get("energy_total", np.inf), i)

        order = sorted(range(len(grasps)), key=rank)[:num_grasps]
        return [grasps[i].transformed(truth.object_to_camera) for i in order]

    def _synthesized(self, truth: ItemTruth, style: str) -> list[Grasp]:
        from dataclasses import replace

        from dexvlg_data.synth.config import OptimizerConfig, SynthConfig
        from dexvlg_data.synth.pipeline import synthesize
        from dexvlg_data.synth.validate import validate

        obj = truth.part_object
        path = Path(self.cache_dir) / obj.object_id / f"{truth.part.replace(' ', '_')}-{style}.parquet"
        if path.is_file():
            return read_grasps(path)
        config = SynthConfig(batch_size=self.batch_size)
        if self.iterations:
            config = replace(config, optimizer=replace(OptimizerConfig(), iterations=self.iterations))
        seed = zlib.crc32(f"{self.seed}:{obj.object_id}:{truth.part}:{style}".encode())
        batch = synthesize(obj, truth.part, style, config, seed=seed)
        checked = validate(batch.grasps, truth.sim, obj.category, fallbacks=batch.fallbacks)
        grasps = []
        for v in checked:
            scores = dict(v.grasp.scores, valid=float(v.passed))  # energy_total: the weighted sum of the terms
            grasps.append(replace(v.grasp, scores=scores))
        write_grasps(path, grasps)
        return grasps

