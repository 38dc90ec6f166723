"""Streaming training data: a PyTorch IterableDataset over tabletop samples, and the render cache it can read.

    scenes = prepare_scene_objects(objects, "grasps.parquet")
    write_render_cache(scenes, "renders/", RenderConfig(), workers=2)       # optional: render once
    data = SceneDataset(scenes, LoaderConfig(seed=0), cache_dir="renders/")  # or cache_dir=None: on the fly
    loader = DataLoader(data, batch_size=32, num_workers=2, collate_fn=collate_samples)

An item is (object, stable pose, view, target part with valid grasps). Items come in units (on the fly: the
views of one object pose, rendered once and shared by its parts; cached: one shard). Units are shuffled by
(seed, epoch) and dealt out round-robin to every (rank, DataLoader worker), so workers never overlap and
together cover everything; each item's randomness (noise, sampling, instruction, grasp subset) is drawn from
a generator seeded by (seed, epoch, item), so an item's sample does not depend on who produces it.

Render cache: ``shard-NNNNN.npz`` files of ``views_per_shard`` views each (points, colors, part labels, camera
and object poses), written atomically and skipped when present (resumable), plus ``index.json``. Shards are
rendered in parallel by processes or by Ray (dexvlg_data.scenes.distributed).
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import IterableDataset, get_worker_info

from dexvlg_core.files import atomic_path, write_text_atomic
from dexvlg_data.objects import PartObject
from dexvlg_data.scenes.catalog import SceneObject
from dexvlg_data.scenes.instructions import InstructionConfig
from dexvlg_data.scenes.render import RenderConfig, RenderedView, render_view
from dexvlg_data.scenes.samples import build_sample

ViewKey = tuple[str, int, int]  # (object_id, pose index, view index)


def view_seed(seed: int, key: ViewKey) -> list[int]:
    """Seed sequence of one view's render (noise, point sampling): the same wherever it is rendered."""
    return [seed, zlib.crc32(key[0].encode()), key[1], key[2]]


def render_config_key(config: RenderConfig) -> str:
    """Hash of a render config (the cache is only valid for the config it was written with)."""
    return hashlib.sha1(json.dumps(asdict(config), sort_keys=True, default=str).encode()).hexdigest()[:12]


# ---------------------------------------------------------------------------------------------- cache
def view_keys(scenes: Sequence[SceneObject], views: int) -> list[ViewKey]:
    """Every (object, pose, view) with at least one valid grasp in the pose, in a fixed order."""
    return [(s.object_id, p, v) for s in scenes for p in range(s.num_poses) if len(s.placements[p].kept)
            for v in range(views)]


def render_shard(tasks: list[tuple[PartObject, np.ndarray, ViewKey]], config: RenderConfig, seed: int,
                 path: str) -> str:
    """Render views into one shard file (atomic); a pure function of its arguments (Ray- and process-safe)."""
    views = [render_view(obj, pose, key[2], config, np.random.default_rng(view_seed(seed, key)))
             for obj, pose, key in tasks]
    with atomic_path(path, ".tmp.npz") as tmp:
        np.savez(tmp, object_id=np.array([k[0] for _, _, k in tasks]),
                 pose_index=np.array([k[1] for _, _, k in tasks], np.int64),
                 view_index=np.array([k[2] for _, _, k in tasks], np.int64),
                 points=np.stack([v.points for v in views]), colors=np.stack([v.colors for v in views]),
                 parts=np.stack([v.parts for v in views]), camera_pose=np.stack([v.camera_pose for v in views]),
                 object_pose=np.stack([v.object_pose for v in views]),
                 valid_pixels=np.array([v.valid_pixels for v in views], np.int64))
    return path


def _shard_ok(path: Path) -> bool:
    try:
        with np.load(path) as f:
            return "valid_pixels" in f.files
    except (OSError, ValueError):
        return False


def write_render_cache(scenes: Sequence[SceneObject], directory: str | Path, config: RenderConfig | None = None,
                       seed: int = 0, views_per_shard: int = 64, workers: int = 1, backend: str = "process") -> Path:
    """Render every view of every scene into shards under ``directory``; present shards are kept (resume).

    backend: "process" (``workers`` spawned processes) or "ray" (the running or a local Ray cluster).
    """
    config = config or RenderConfig()
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    keys = view_keys(scenes, config.rig.views)
    by_id = {s.object_id: s for s in scenes}
    shards = [keys[i : i + views_per_shard] for i in range(0, len(keys), views_per_shard)]
    paths = [root / f"shard-{i:05d}.npz" for i in range(len(shards))]
    jobs = [([(by_id[k[0]].part_object, by_id[k[0]].pose(k[1]), k) for k in shard], str(path))
            for shard, path in zip(shards, paths, strict=True) if not _shard_ok(path)]
    if backend == "ray":
        from dexvlg_data.scenes.distributed import render_shards_ray

        render_shards_ray(jobs, config, seed)
    elif workers > 1 and len(jobs) > 1:
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
            list(pool.map(render_shard, [t for t, _ in jobs], [config] * len(jobs), [seed] * len(jobs),
                          [p for _, p in jobs]))
    else:
        for tasks, path in jobs:
            render_shard(tasks, config, seed, path)
    index = {"render_config": render_config_key(config), "seed": seed,
             "shards": [{"file": p.name, "views": [list(k) for k in s]} for p, s in zip(paths, shards, strict=True)]}
    write_text_atomic(root / "index.json", json.dumps(index))
    return root


def read_shard(path: str | Path) -> dict[ViewKey, RenderedView]:
    """The views stored in one shard, by (object_id, pose index, view index)."""
    with np.load(path) as f:
        a = {name: f[name] for name in f.files}  # NpzFile re-reads an array on every access: read each once
    keys = [(str(o), int(p), int(v)) for o, p, v in zip(a["object_id"], a["pose_index"], a["view_index"], strict=True)]
    return {key: RenderedView(a["points"][i], a["colors"][i], a["parts"][i], a["camera_pose"][i], a["object_pose"][i],
                              key[2], int(a["valid_pixels"][i])) for i, key in enumerate(keys)}


# ---------------------------------------------------------------------------------------------- dataset
@dataclass(frozen=True)
class LoaderConfig:
    """What the loader yields and in which order."""

    seed: int = 0
    shuffle: bool = True
    render: RenderConfig = field(default_factory=RenderConfig)
    instructions: InstructionConfig = field(default_factory=InstructionConfig)
    grasps_per_sample: int | None = 16  # None: all grasps the instruction allows (collate pads them)
    fresh_renders_each_epoch: bool = False  # on the fly only: new noise / sampling every epoch
    min_part_points: int = 10  # skip items whose target part shows fewer sampled points in the view (occluded)
    rank: int = 0  # distributed training: this process' rank among world_size
    world_size: int = 1


@dataclass(frozen=True)
class _Unit:
    views: tuple[ViewKey, ...]
    shard: str = ""  # cached mode: the shard file holding these views


class SceneDataset(IterableDataset):
    """Iterable of training-sample dicts (see :class:`dexvlg_data.scenes.samples.TrainingSample`)."""

    def __init__(self, scenes: Sequence[SceneObject], config: LoaderConfig | None = None,
                 cache_dir: str | Path | None = None):
        super().__init__()
        self.scenes = {s.object_id: s for s in scenes}
        self.config = config or LoaderConfig()
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.epoch = 0
        self._units = self._cached_units() if self.cache_dir is not None else self._render_units()

    def set_epoch(self, epoch: int) -> None:
        """Reshuffle (and, with fresh_renders_each_epoch, re-render) for another epoch."""
        self.epoch = int(epoch)

    def _render_units(self) -> list[_Unit]:
        keys = view_keys(list(self.scenes.values()), self.config.render.rig.views)
        units: dict[tuple[str, int], list[ViewKey]] = {}
        for key in keys:
            units.setdefault(key[:2], []).append(key)
        return [_Unit(tuple(v)) for v in units.values()]

    def _cached_units(self) -> list[_Unit]:
        index = json.loads((self.cache_dir / "index.json").read_text())
        if index["render_config"] != render_config_key(self.config.render):
            raise ValueError(f"render cache {self.cache_dir} was written with another RenderConfig")
        units = []
        for shard in index["shards"]:
            views = tuple((k[0], int(k[1]), int(k[2])) for k in shard["views"] if k[0] in self.scenes)
            if views:
                units.append(_Unit(views, shard["file"]))
        return units

    def items(self, unit: _Unit) -> list[tuple[ViewKey, str]]:
        """(view, part) items of a unit."""
        return [(key, part) for key in unit.views for part in self.scenes[key[0]].parts_with_grasps(key[1])]

    def __len__(self) -> int:
        """Items per epoch over all ranks and workers (an upper bound: items whose part is occluded in the view
        are skipped when rendered).
        """
        return sum(len(self.items(u)) for u in self._units)

    def _my_units(self) -> list[_Unit]:
        info = get_worker_info()
        worker, workers = (info.id, info.num_workers) if info is not None else (0, 1)
        order = np.arange(len(self._units))
        if self.config.shuffle:
            order = np.random.default_rng([self.config.seed, self.epoch]).permutation(len(self._units))
        me = self.config.rank * workers + worker
        return [self._units[i] for i in order[me :: self.config.world_size * workers]]

    def _views(self, unit: _Unit) -> dict[ViewKey, RenderedView]:
        return read_shard(self.cache_dir / unit.shard) if unit.shard else {}

    def _render(self, key: ViewKey) -> RenderedView:
        scene = self.scenes[key[0]]
        seed = view_seed(self.config.seed, key)
        if self.config.fresh_renders_each_epoch:
            seed = [*seed, self.epoch]
        return render_view(scene.part_object, scene.pose(key[1]), key[2], self.config.render,
                           np.random.default_rng(seed))

    def __iter__(self) -> Iterator[dict[str, object]]:
        cfg = self.config
        for unit in self._my_units():
            views = self._views(unit)
            items = self.items(unit)
            order = np.arange(len(items))
            if cfg.shuffle:
                order = np.random.default_rng([cfg.seed, self.epoch, zlib.crc32(repr(unit.views[0]).encode())]
                                              ).permutation(len(items))
            for i in order:
                key, part = items[i]
                if key not in views:
                    views[key] = self._render(key)
                scene = self.scenes[key[0]]
                part_index = scene.part_object.part_index(part)
                if np.count_nonzero(views[key].parts == part_index) < cfg.min_part_points:
                    continue  # the target part is (nearly) invisible from this camera
                rng = np.random.default_rng([cfg.seed, self.epoch, *view_seed(0, key)[1:], part_index])
                yield build_sample(scene, views[key], key[1], part, rng, cfg.instructions,
                                   cfg.grasps_per_sample).to_dict()


def collate_samples(batch: list[dict[str, object]]) -> dict[str, object]:
    """Stack a list of sample dicts into tensors; grasps are padded to the largest count with ``grasp_mask``."""
    out: dict[str, object] = {
        "points": torch.from_numpy(np.stack([b["points"] for b in batch])),
        "colors": torch.from_numpy(np.stack([b["colors"] for b in batch])),
        "part_mask": torch.from_numpy(np.stack([b["part_mask"] for b in batch])),
        "camera_pose": torch.from_numpy(np.stack([b["camera_pose"] for b in batch])),
        "object_pose": torch.from_numpy(np.stack([b["object_pose"] for b in batch])),
    }
    most = max(len(b["grasps"]) for b in batch)
    width = batch[0]["grasps"].shape[1]
    grasps = np.zeros((len(batch), most, width), np.float32)
    mask = np.zeros((len(batch), most), bool)
    for i, b in enumerate(batch):
        grasps[i, : len(b["grasps"])] = b["grasps"]
        mask[i, : len(b["grasps"])] = True
    out["grasps"] = torch.from_numpy(grasps)
    out["grasp_mask"] = torch.from_numpy(mask)
    for name in ("instruction", "form", "object_id", "category", "part", "style", "contact_fingers", "pose_index",
                 "view_index"):
        out[name] = [b[name] for b in batch]
    return out
