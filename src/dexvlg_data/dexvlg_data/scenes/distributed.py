"""Cluster-scale rendering with Ray: the render-cache shards (dataset.render_shard) as Ray tasks.

render_shard is a pure function of (objects, poses, view keys, config, seed) that writes one file atomically, so
a shard rendered by any node is identical to one rendered locally, failed tasks can simply be retried, and a
rerun skips the shards already written. Uses the running Ray cluster (ray.init(address=...)) when there is one,
else starts a local one. The output directory must be shared storage on a real cluster.
"""

from __future__ import annotations

import numpy as np

from dexvlg_data.objects import PartObject
from dexvlg_data.scenes.render import RenderConfig, RenderedView, render_view


def connect_ray():
    """The ray module, connected to the running cluster or a local one (shared by every Ray backend)."""
    try:
        import ray
    except ImportError as error:  # optional dependency
        raise RuntimeError("the Ray backend needs `pip install ray`") from error
    if not ray.is_initialized():
        ray.init(include_dashboard=False, log_to_driver=False)
    return ray


def render_shards_ray(jobs: list[tuple[list, str]], config: RenderConfig, seed: int, max_retries: int = 2) -> list[str]:
    """Run ``(tasks, path)`` shard jobs (see dataset.write_render_cache) as Ray tasks; returns the paths."""
    if not jobs:
        return []
    ray = connect_ray()
    from dexvlg_data.scenes.dataset import render_shard

    remote = ray.remote(max_retries=max_retries)(render_shard)
    config_ref = ray.put(config)
    return ray.get([remote.remote(tasks, config_ref, seed, path) for tasks, path in jobs])


def render_views_ray(items: list[tuple[PartObject, np.ndarray, int, int]], config: RenderConfig) -> list[RenderedView]:
    """Render ``(object, object pose, view index, seed)`` items as Ray tasks (same results as render_view)."""
    ray = connect_ray()
    remote = ray.remote(render_view)
    config_ref = ray.put(config)
    return ray.get([remote.remote(obj, pose, view, config_ref, seed) for obj, pose, view, seed in items])
