"""Point sampling shared by the hand geometry, rendering and the model's inputs."""

from __future__ import annotations

import numpy as np


def farthest_point_indices(points: np.ndarray, count: int, start: int | None = None) -> np.ndarray:
    """Indices of ``min(count, N)`` points spread by farthest-point sampling.

    Deterministic: starts at ``start``, or at the point farthest from the centroid. Uses fpsample's exact
    KD-tree FPS when installed (fast for 10^5 points), a numpy loop otherwise.
    """
    points = np.ascontiguousarray(points, dtype=np.float32)
    n = len(points)
    count = min(count, n)
    if count <= 0:
        return np.zeros(0, np.int64)
    if start is None:
        start = int(np.argmax(np.linalg.norm(points - points.mean(0), axis=1)))
    try:
        import fpsample
    except ImportError:
        fpsample = None
    if fpsample is not None and count < n:
        height = 7 if n > 20_000 else 5
        return np.asarray(fpsample.bucket_fps_kdline_sampling(points, count, height, start_idx=start), np.int64)
    chosen = [start]
    dist = np.linalg.norm(points - points[start], axis=1)
    for _ in range(count - 1):
        chosen.append(int(np.argmax(dist)))
        dist = np.minimum(dist, np.linalg.norm(points - points[chosen[-1]], axis=1))
    return np.array(chosen, dtype=np.int64)
