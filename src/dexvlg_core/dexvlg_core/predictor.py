"""The grasp predictor interface: colored cloud + instruction -> ranked grasps.

The /predict_grasp service, the benchmarks and the baselines all speak it, so any method (the DexVLG model of any
size, its variants, baselines) plugs into every harness by a "module:attribute" spec.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from dexvlg_core.grasp import Grasp
from dexvlg_core.hand.mjcf import joint_limits


class PredictionError(ValueError):
    """A request the predictor cannot serve (empty cloud, empty instruction, ...), with the reason."""


@runtime_checkable
class GraspPredictor(Protocol):
    """Anything that proposes grasps for an object cloud and an instruction."""

    def predict(self, points: np.ndarray, colors: np.ndarray, instruction: str, num_grasps: int) -> list[Grasp]:
        """Grasps in the cloud's frame, best first, at most ``num_grasps``.

        ``points`` (N, 3) float32 metres without NaN, ``colors`` (N, 3) uint8.
        """
        ...


def check_request(points: np.ndarray, colors: np.ndarray, instruction: str) -> tuple[np.ndarray, np.ndarray]:
    """Drop non-finite points and refuse requests nobody can serve; returns the clean (points, colors)."""
    points = np.asarray(points, dtype=np.float32).reshape(-1, 3)
    colors = np.asarray(colors, dtype=np.uint8).reshape(-1, 3)
    if len(points) != len(colors):
        raise PredictionError(f"{len(points)} points but {len(colors)} colors")
    if not instruction.strip():
        raise PredictionError("empty instruction: say what to grasp, e.g. 'grasp the handle of the mug'")
    if len(points) == 0:
        raise PredictionError("empty point cloud")
    keep = np.all(np.isfinite(points), axis=1)
    if not keep.any():
        raise PredictionError(f"point cloud has no finite point ({len(points)} points, all NaN/inf)")
    return points[keep], colors[keep]


def load_predictor(spec: str, **kwargs: object) -> GraspPredictor:
    """Instantiate a predictor from "package.module:ClassOrFactory" with keyword arguments."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"predictor spec must look like 'package.module:Class', got {spec!r}")
    try:
        factory = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as error:
        raise ValueError(f"cannot load predictor {spec!r}: {error}") from error
    predictor = factory(**kwargs)
    if not isinstance(predictor, GraspPredictor):
        raise TypeError(f"{spec!r} does not provide predict(points, colors, instruction, num_grasps)")
    return predictor


@dataclass
class RandomGraspPredictor:
    """Lower-bound baseline: random hand poses around the cloud, palm towards its centre, random postures.

    It ignores the instruction; any learned predictor must beat it.
    """

    standoff: float = 0.12  # hand root distance from the cloud surface along the approach (m)
    seed: int = 0

    def predict(self, points: np.ndarray, colors: np.ndarray, instruction: str, num_grasps: int) -> list[Grasp]:
        """Random grasps around the cloud (see class doc)."""
        points, _ = check_request(points, colors, instruction)
        rng = np.random.default_rng(self.seed)
        centre = points.mean(axis=0)
        radius = float(np.percentile(np.linalg.norm(points - centre, axis=1), 90))
        lower, upper = joint_limits()
        grasps = []
        for _ in range(num_grasps):
            approach = rng.normal(size=3)
            approach /= np.linalg.norm(approach)
            # Hand frame: fingers +z, palm -y; the palm faces the centre, so +y points away from it (= approach).
            y_axis = approach
            z_axis = np.cross(rng.normal(size=3), y_axis)
            z_axis /= np.linalg.norm(z_axis)
            x_axis = np.cross(y_axis, z_axis)
            rotation = np.stack([x_axis, y_axis, z_axis], axis=1)
            position = centre + approach * (radius + self.standoff) - z_axis * 0.08
            joints = rng.uniform(lower, upper)
            pregrasp = np.clip(0.3 * joints, lower, upper)
            grasps.append(Grasp(position=position, rotation=rotation, joints=joints, pregrasp=pregrasp,
                                score=float(rng.random())))
        return sorted(grasps, key=lambda g: -g.score)
