"""A depth-noise model of an active-stereo camera (RealSense D415-like), for sim-to-real training clouds.

Applied to a metric depth image (0 = no depth), in this order:
- disparity noise: stereo measures disparity d = f b / z; Gaussian sub-pixel noise on d gives the depth error
  growing with z^2 that stereo cameras show (~1 mm RMS at 0.8 m with the defaults), then d is quantized to the
  matcher's sub-pixel step;
- depth quantization to the stream's depth unit (z16, 1 mm);
- edge dropout: pixels within a few pixels of a depth discontinuity (object silhouette, self-occlusion) lose
  their depth with some probability, as stereo matching fails there;
- grazing-angle dropout: surfaces seen nearly edge-on (needs normals) return no depth;
- holes: a few random elliptical blobs without depth, and sparse random pixel dropout.
Everything is drawn from the given numpy Generator, so a seed fixes the result.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage


@dataclass(frozen=True)
class DepthNoiseConfig:
    """Noise model parameters (lengths in metres, sizes in pixels of the image the noise is applied to)."""

    baseline: float = 0.055  # D415 stereo baseline
    disparity_sigma_px: float = 0.08  # sub-pixel matching noise (RMS)
    disparity_step_px: float = 1.0 / 32.0  # matcher's sub-pixel resolution
    depth_unit: float = 0.001  # z16 stream unit
    edge_jump: float = 0.01  # a neighbour this much farther (or missing) makes a discontinuity
    edge_width_px: int = 2
    edge_dropout: float = 0.6  # probability an edge pixel loses its depth
    grazing_angle_deg: float = 78.0  # view ray vs surface normal beyond this: no depth
    holes: tuple[int, int] = (0, 3)  # number of elliptical holes, inclusive range
    hole_radius_px: tuple[float, float] = (2.0, 10.0)
    pixel_dropout: float = 0.01


def _edges(depth: np.ndarray, jump: float, width: int) -> np.ndarray:
    """Pixels within ``width`` of a depth discontinuity or of missing depth."""
    z = np.where(depth > 0, depth, np.inf)
    edge = np.zeros(depth.shape, bool)
    for axis in (0, 1):
        with np.errstate(invalid="ignore"):
            diff = np.abs(np.diff(z, axis=axis))
        jumpy = ~(diff <= jump)  # inf - inf is nan: missing on both sides is no edge, one side is
        both_missing = np.isinf(np.take(z, range(z.shape[axis] - 1), axis=axis)) & \
            np.isinf(np.take(z, range(1, z.shape[axis]), axis=axis))
        jumpy &= ~both_missing
        lo = [slice(None)] * 2
        hi = [slice(None)] * 2
        lo[axis], hi[axis] = slice(0, -1), slice(1, None)
        edge[tuple(lo)] |= jumpy
        edge[tuple(hi)] |= jumpy
    if width > 1:
        edge = ndimage.binary_dilation(edge, iterations=width - 1)
    return edge & (depth > 0)


def _holes(shape: tuple[int, int], config: DepthNoiseConfig, rng: np.random.Generator) -> np.ndarray:
    mask = np.zeros(shape, bool)
    v, u = np.mgrid[0 : shape[0], 0 : shape[1]]
    for _ in range(int(rng.integers(config.holes[0], config.holes[1] + 1))):
        cu, cv = rng.uniform(0, shape[1]), rng.uniform(0, shape[0])
        ru, rv = rng.uniform(*config.hole_radius_px, size=2)
        mask |= ((u - cu) / ru) ** 2 + ((v - cv) / rv) ** 2 <= 1.0
    return mask


def apply_depth_noise(depth: np.ndarray, fx: float, config: DepthNoiseConfig, rng: np.random.Generator,
                      cos_incidence: np.ndarray | None = None) -> np.ndarray:
    """Noisy copy of ``depth`` (H, W) metres, 0 = missing; ``fx`` the focal length in pixels of this image;
    ``cos_incidence`` (H, W): |cos| of the angle between view ray and surface normal, when known.
    """
    depth = np.asarray(depth, np.float64)
    valid = depth > 0
    out = np.zeros_like(depth)
    focal_baseline = fx * config.baseline
    disparity = focal_baseline / depth[valid]
    disparity = disparity + rng.normal(0.0, config.disparity_sigma_px, size=disparity.shape)
    if config.disparity_step_px > 0:
        disparity = np.round(disparity / config.disparity_step_px) * config.disparity_step_px
    z = focal_baseline / np.maximum(disparity, 1e-6)
    if config.depth_unit > 0:
        z = np.round(z / config.depth_unit) * config.depth_unit
    out[valid] = z
    drop = _edges(depth, config.edge_jump, config.edge_width_px) & (rng.random(depth.shape) < config.edge_dropout)
    if cos_incidence is not None:
        drop |= valid & (np.abs(cos_incidence) < np.cos(np.radians(config.grazing_angle_deg)))
    drop |= _holes(depth.shape, config, rng)
    drop |= rng.random(depth.shape) < config.pixel_dropout
    out[drop] = 0.0
    return out.astype(np.float32)
