"""Shared, cached fixtures of the scenes tests (a helper module: it holds no tests itself)."""

from __future__ import annotations

import tempfile
from functools import cache

import numpy as np

from dexvlg_core.camera import D415_COLOR
from dexvlg_core.sim.objects import DecompositionConfig
from dexvlg_data.objects.families import generate
from dexvlg_data.scenes.catalog import SceneConfig, SceneObject, prepare_scene_object
from dexvlg_data.scenes.render import RenderConfig
from dexvlg_data.scenes.stable import StablePoseConfig
from dexvlg_data.scenes.toy_grasps import bar_grasps, labeled_bar, toy_grasps

HULL = DecompositionConfig(method="hull")  # exact for boxes; fast for everything else
SMALL_RENDER = RenderConfig(intrinsics=D415_COLOR.scaled(0.25), num_points=256)


@cache
def cache_dir() -> str:
    return tempfile.mkdtemp(prefix="dexvlg-scenes-test-")


def scene_config(drops: int = 64) -> SceneConfig:
    return SceneConfig(stable=StablePoseConfig(drops=drops, chunk=32), decomposition=HULL, cache_dir=cache_dir())


@cache
def bar_scene() -> SceneObject:
    return prepare_scene_object(labeled_bar(), bar_grasps(), scene_config())


@cache
def mug_scene() -> SceneObject:
    mug = generate("mug", 1)
    grasps = (toy_grasps(mug, "handle", 30, 0, "wrap") + toy_grasps(mug, "body", 30, 1, "pinch")
              + toy_grasps(mug, "body", 30, 2, "wrap"))
    return prepare_scene_object(mug, grasps, scene_config(96))


def mesh_in(obj, pose: np.ndarray) -> np.ndarray:
    """(F, 3, 3) triangles of obj's mesh moved by the 4x4 ``pose``."""
    vertices = np.asarray(obj.mesh.vertices) @ pose[:3, :3].T + pose[:3, 3]
    return vertices[np.asarray(obj.mesh.faces)]
