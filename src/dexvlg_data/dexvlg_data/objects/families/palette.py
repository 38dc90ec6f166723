"""Plausible per-material color palettes: each part draws a base color from its material and a small jitter."""

from __future__ import annotations

import colorsys

import numpy as np

# Base RGB colors people actually see on these materials; the jitter keeps them recognizable.
MATERIALS: dict[str, tuple[tuple[int, int, int], ...]] = {
    "ceramic": ((240, 238, 230), (250, 250, 250), (200, 40, 40), (40, 80, 160), (60, 130, 90), (30, 30, 35),
                (240, 200, 60), (235, 130, 60), (150, 190, 220), (230, 160, 180), (120, 90, 160)),
    "steel": ((190, 192, 196), (165, 168, 172), (140, 143, 148), (210, 212, 215)),
    "dark_metal": ((70, 72, 76), (50, 52, 56), (95, 97, 100)),
    "cast_iron": ((40, 40, 42), (55, 52, 50), (30, 30, 32)),
    "brass": ((190, 150, 70), (175, 135, 60)),
    "copper": ((185, 110, 70), (170, 95, 60)),
    "plastic": ((210, 40, 40), (30, 90, 190), (40, 150, 70), (245, 200, 40), (240, 120, 30), (120, 60, 160),
                (30, 30, 32), (240, 240, 240), (0, 150, 160), (230, 90, 140)),
    "dark_plastic": ((25, 25, 28), (45, 45, 50), (70, 70, 75), (40, 50, 70)),
    "tool_plastic": ((230, 190, 20), (200, 40, 30), (30, 110, 190), (240, 120, 20), (40, 140, 60), (20, 130, 140)),
    "rubber": ((25, 25, 25), (50, 50, 50), (180, 40, 40), (30, 60, 140)),
    "wood": ((160, 110, 65), (190, 140, 90), (130, 85, 50), (210, 170, 120), (105, 70, 40)),
    "glass": ((200, 225, 230), (120, 170, 110), (150, 100, 40), (110, 150, 200), (225, 235, 235)),
    "clear_glass": ((215, 232, 238), (200, 220, 228), (225, 238, 240)),
    "white_plastic": ((242, 242, 240), (225, 225, 220), (235, 238, 242)),
    "bristle": ((240, 240, 240), (80, 170, 220), (230, 80, 90), (250, 250, 250), (120, 200, 140)),
    "fabric": ((30, 30, 32), (60, 60, 65), (120, 120, 125), (140, 100, 70), (200, 190, 170)),
    "shade": ((245, 240, 225), (235, 225, 200), (250, 250, 250), (40, 40, 45), (180, 60, 50), (60, 110, 90)),
}


def jitter(rgb: tuple[int, int, int], rng: np.random.Generator, hue: float = 0.02, sat: float = 0.08,
           val: float = 0.08) -> np.ndarray:
    """Perturb a color a little in HSV so two instances rarely share exactly the same shade."""
    h, s, v = colorsys.rgb_to_hsv(*(c / 255.0 for c in rgb))
    h = (h + rng.uniform(-hue, hue)) % 1.0
    s = float(np.clip(s + rng.uniform(-sat, sat), 0.0, 1.0))
    v = float(np.clip(v + rng.uniform(-val, val), 0.0, 1.0))
    return np.round(np.array(colorsys.hsv_to_rgb(h, s, v)) * 255.0).astype(np.uint8)


def sample_color(materials: tuple[str, ...], rng: np.random.Generator) -> np.ndarray:
    """A jittered base color of one of the given materials."""
    material = materials[int(rng.integers(len(materials)))]
    options = MATERIALS[material]
    return jitter(options[int(rng.integers(len(options)))], rng)
