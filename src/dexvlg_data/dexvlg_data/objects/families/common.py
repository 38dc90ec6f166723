"""Part builders shared by several categories: side handles, shoulders, spouts, long tool handles."""

from __future__ import annotations

import math

import numpy as np

from dexvlg_data.objects.families.geometry import superellipse_handle

Rng = np.random.Generator


def side_handle(rng: Rng, z: np.ndarray, r: np.ndarray, z_top: float, z_bot: float, sink: float,
                size: float, tube: float, flat: bool = True) -> tuple[np.ndarray, float]:
    """A random loop / D / square side-handle path on a revolved body (+x side) and its cross-section aspect.

    ``size`` is how far the loop reaches out; the path starts and ends ``sink`` inside the body surface.
    """
    reach = size * rng.uniform(0.6, 1.1)
    aspect = rng.uniform(1.0, 2.0) if flat else rng.uniform(0.9, 1.3)
    # Squarer loops have tighter corners: keep the bend radius above the tube radius.
    squareness = float(rng.choice([2.0, 2.0, 2.5, 3.0, 3.5])) if reach > 5 * tube else 2.0
    lean = rng.uniform(-0.35, 0.35)
    x_top, x_bot = np.interp(z_top, z, r), np.interp(z_bot, z, r)
    path = superellipse_handle(x_top - sink, x_bot - sink, z_top, z_bot, reach, squareness, lean=lean)
    return path, aspect


def shoulder(z_end: float, r_end: float, r_top: float, height: float, power: float,
             n: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """(z, r) samples of a shoulder falling from radius r_end at z_end to r_top, ``height`` higher.

    power 2 is a round (elliptic) dome, 1 a straight cone, < 1 a concave (bottle-like) neck flare.
    """
    t = np.linspace(0.0, 1.0, n + 1)[1:]
    return z_end + t * height, r_top + (r_end - r_top) * (1.0 - t**power) ** (1.0 / power)


def spout_path(start: np.ndarray, angle: float, length: float, curl: float, n: int = 16) -> np.ndarray:
    """Path of a spout in the xz-plane leaving ``start`` outward (+x) and upward at ``angle`` (rad).

    ``curl`` bends it: > 0 starts flatter and ends steeper (a gooseneck S), 0 is straight. The first point is
    moved back inside the body by the caller's choice of ``start``.
    """
    t = np.linspace(0.0, 1.0, n)
    a0, a1 = angle - curl, angle + curl
    heading = a0 + (a1 - a0) * t
    step = length / (n - 1)
    dx, dz = np.cos(heading) * step, np.sin(heading) * step
    x = start[0] + np.r_[0.0, np.cumsum(dx[:-1])]
    z = start[2] + np.r_[0.0, np.cumsum(dz[:-1])]
    return np.column_stack([x, np.full(n, start[1]), z])


def lid_profile(top: float, radius: float, dome: float, knob_r: float, knob_h: float, sink: float = 0.004,
                n: int = 8) -> np.ndarray:
    """(r, z) polygon of a domed lid sitting at ``top`` (dipping ``sink`` into the body), with a knob on top."""
    a = np.linspace(0.0, 0.5 * math.pi, n)
    rim = np.column_stack([knob_r + (radius - knob_r) * np.cos(a), top + 0.003 + dome * np.sin(a)])
    knob = [] if knob_h <= 0 else [[knob_r * 0.8, top + 0.003 + dome + 0.6 * knob_h],
                                   [knob_r * 1.3, top + 0.003 + dome + 0.75 * knob_h],
                                   [knob_r * 1.1, top + 0.003 + dome + knob_h]]
    pts = [[0.0, top - sink], [radius, top - sink], [radius, top]]
    pts += rim.tolist() + knob
    pts.append([0.0, pts[-1][1]])
    return np.array(pts, dtype=float)
