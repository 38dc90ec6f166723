"""Scene objects: a part-labeled object with its stable poses and its grasps placed in each pose.

    scene = prepare_scene_object(part_object, grasps)            # stable poses (cached) + placements
    scenes = prepare_scene_objects(objects, "grasps.parquet")   # grasps read from a grasp table per object

Grasps come from any grasp table in the dexvlg_core.grasp_io format (rows of the object's ``object_id``) or as
Grasp lists. ``render_item(object_id, pose_index, view_index)`` is the pure function a cluster worker needs:
a procedural object id regenerates the mesh from its seed, the stable poses come from the (deterministic)
cache, and the cloud from render_view.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dexvlg_core.grasp import Grasp
from dexvlg_core.grasp_io import read_grasps
from dexvlg_core.sim import SimObject, load_object
from dexvlg_core.sim.objects import DecompositionConfig
from dexvlg_data.objects import PartObject
from dexvlg_data.objects.families import generate, get_spec
from dexvlg_data.scenes.placement import Placement, PlacementConfig, place_all
from dexvlg_data.scenes.render import RenderConfig, RenderedView, render_view
from dexvlg_data.scenes.stable import StablePoseConfig, StablePoses, find_stable_poses, find_stable_poses_batch


@dataclass(frozen=True)
class SceneConfig:
    """How scenes are made from objects (stable-pose search, grasp placement, collision shapes)."""

    stable: StablePoseConfig = field(default_factory=StablePoseConfig)
    placement: PlacementConfig = field(default_factory=PlacementConfig)
    decomposition: DecompositionConfig = field(default_factory=DecompositionConfig)
    cache_dir: str | None = None  # stable-pose cache; None: dexvlg_data.scenes.stable.default_stable_dir()
    max_poses: int | None = None  # keep only the most frequent poses


@dataclass
class SceneObject:
    """An object ready for tabletop samples."""

    part_object: PartObject
    sim_object: SimObject
    stable: StablePoses
    grasps: list[Grasp]  # object frame
    placements: list[Placement]  # one per used stable pose

    @property
    def object_id(self) -> str:
        return self.part_object.object_id

    @property
    def num_poses(self) -> int:
        return len(self.placements)

    def pose(self, index: int) -> np.ndarray:
        """4x4 world pose of stable pose ``index``."""
        return self.stable.pose(index)

    def kept_grasps(self, pose_index: int, part: str | None = None) -> list[int]:
        """Indices of the grasps valid in a pose (optionally of one part)."""
        kept = self.placements[pose_index].kept
        return [int(i) for i in kept if part is None or self.grasps[i].part == part]

    def parts_with_grasps(self, pose_index: int) -> list[str]:
        """Parts that have at least one valid grasp in the pose, in part order."""
        present = {self.grasps[i].part for i in self.placements[pose_index].kept}
        return [p for p in self.part_object.part_names if p in present]


def procedural_object(object_id: str) -> PartObject:
    """Regenerate a procedural object from its id ("mug-00042" -> generate("mug", 42))."""
    slug, _, seed = object_id.rpartition("-")
    if not slug or not seed.isdigit():
        raise KeyError(f"{object_id!r} is not a procedural object id like 'mug-00042'")
    return generate(get_spec(slug).category, int(seed))


def _sim(obj: PartObject, config: SceneConfig) -> SimObject:
    return load_object(obj, name=obj.object_id, config=config.decomposition)


def _grasps_for(obj: PartObject, grasps: Sequence[Grasp] | str | Path | None) -> list[Grasp]:
    if grasps is None:
        return []
    if isinstance(grasps, (str, Path)):
        return read_grasps(grasps, filters=[("object_id", "=", obj.object_id)])
    return list(grasps)


def _assemble(obj: PartObject, sim: SimObject, stable: StablePoses, grasps: list[Grasp],
              config: SceneConfig) -> SceneObject:
    count = len(stable) if config.max_poses is None else min(len(stable), config.max_poses)
    placements = place_all(grasps, sim, [stable.pose(i) for i in range(count)], config.placement)
    return SceneObject(obj, sim, stable, grasps, placements)


def prepare_scene_object(obj: PartObject, grasps: Sequence[Grasp] | str | Path | None = None,
                         config: SceneConfig | None = None, workers: int = 1) -> SceneObject:
    """Stable poses (cached) and placed grasps of one object; ``grasps`` a list or a grasp table path."""
    config = config or SceneConfig()
    sim = _sim(obj, config)
    stable = find_stable_poses(sim, config.stable, cache_dir=config.cache_dir, workers=workers)
    return _assemble(obj, sim, stable, _grasps_for(obj, grasps), config)


def prepare_scene_objects(objects: Sequence[PartObject], grasps: Sequence[Grasp] | str | Path | None = None,
                          config: SceneConfig | None = None, workers: int = 1) -> list[SceneObject]:
    """:func:`prepare_scene_object` for many objects, the drop tests of all spread over ``workers``."""
    config = config or SceneConfig()
    sims = [_sim(o, config) for o in objects]
    stables = find_stable_poses_batch(sims, config.stable, cache_dir=config.cache_dir, workers=workers)
    if grasps is None or isinstance(grasps, (str, Path)):
        per_object = [_grasps_for(o, grasps) for o in objects]
    else:
        by_id: dict[str, list[Grasp]] = {}
        for g in grasps:
            by_id.setdefault(g.object_id, []).append(g)
        per_object = [by_id.get(o.object_id, []) for o in objects]
    return [_assemble(o, s, st, g, config) for o, s, st, g in zip(objects, sims, stables, per_object, strict=True)]


def render_item(object_id: str, pose_index: int, view_index: int, render: RenderConfig | None = None,
                scene: SceneConfig | None = None, seed: int = 0) -> RenderedView:
    """Cloud of view ``view_index`` of procedural object ``object_id`` in stable pose ``pose_index``: a pure
    function of its arguments (stable poses are recomputed or read from the deterministic cache).
    """
    scene = scene or SceneConfig()
    obj = procedural_object(object_id)
    stable = find_stable_poses(_sim(obj, scene), scene.stable, cache_dir=scene.cache_dir)
    return render_view(obj, stable.pose(pose_index), view_index, render, np.random.default_rng([seed, pose_index,
                                                                                                view_index]))
