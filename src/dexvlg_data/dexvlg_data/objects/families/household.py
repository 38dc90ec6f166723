"""Household objects: lamp, headphones, toothbrush, magnifying glass, dumbbell, hair dryer."""

from __future__ import annotations

import math

import numpy as np

from dexvlg_data.objects.families.assembly import PartAssembly
from dexvlg_data.objects.families.geometry import (
    cylinder,
    revolve,
    rotate_to,
    rounded_box,
    smooth_curve,
    solid_profile,
    sweep,
)
from dexvlg_data.objects.families.registry import PartSpec, family, flat_kind

Rng = np.random.Generator


@family("lamp", (PartSpec("base", "disk-like", ("dark_metal", "steel", "brass", "ceramic", "wood")),
                 PartSpec("pole", "shaft-like", ("dark_metal", "steel", "brass", "wood"), same_as="base",
                          same_prob=0.7),
                 PartSpec("shade", "disk-like", ("shade",))))
def lamp(rng: Rng, asm: PartAssembly) -> None:
    """Table lamp: round or square base, straight or vase-like pole, drum / cone / dome shade with a top cap."""
    br, bh = rng.uniform(0.06, 0.1), rng.uniform(0.012, 0.035)
    if rng.random() < 0.7:
        base = revolve(np.array([[0, 0], [br, 0], [br, 0.6 * bh], [0.85 * br, bh], [0, bh]]), 48)
    else:
        base = rounded_box((1.7 * br, 1.7 * br, bh), 0.004, (0, 0, 0.5 * bh))
    asm.add("base", base)
    ph = rng.uniform(0.18, 0.35)
    pr = rng.uniform(0.005, 0.012)
    if rng.random() < 0.35:  # vase-like body
        vr = rng.uniform(0.03, 0.06)
        t, rr = smooth_curve([0, 0.1, rng.uniform(0.3, 0.6), 0.85, 1.0], [pr * 1.5, vr * 0.6, vr, vr * 0.4, pr], 16)
    else:
        t, rr = smooth_curve([0, 0.05, 0.5, 1.0], [pr * 2.0, pr * 1.2, pr, pr], 8)
    asm.add("pole", revolve(solid_profile(bh - 0.003 + t * ph, rr), 32))
    sr_bot, sh = rng.uniform(0.09, 0.17), rng.uniform(0.08, 0.16)
    sh = min(sh, 1.3 * sr_bot)  # keep shades wide: height up to ~0.65 of the diameter
    sr_top = sr_bot * rng.uniform(0.45, 0.95)
    wall = rng.uniform(0.002, 0.004)
    z0 = bh + ph - rng.uniform(0.3, 0.6) * sh  # the shade hangs around the top of the pole
    z1 = z0 + sh
    if rng.random() < 0.3:  # dome shade
        a = np.linspace(0.0, 0.5 * math.pi, 10)
        outer = np.column_stack([sr_top * 0.3 + (sr_bot - sr_top * 0.3) * np.cos(a), z0 + sh * np.sin(a)])
    else:
        outer = np.array([[sr_bot, z0], [sr_top, z1]])
    inner = np.column_stack([outer[:, 0] - wall, z0 + (outer[:, 1] - z0) * (sh - wall) / sh])
    prof = np.vstack([outer, [[0.0, outer[-1, 1]], [0.0, inner[-1, 1]]], inner[::-1]])
    asm.add("shade", revolve(prof, 48))
    asm.kinds["shade"] = flat_kind(sh, 2.0 * sr_bot)  # wide, shallow shades are disk-like; drums are not
    # The pole must reach the shade's cap.
    asm.add("pole", cylinder(pr, bh + ph - 0.01, outer[-1, 1] - 0.5 * wall, segments=16))


@family("headphones", (PartSpec("headband", "shaft-like", ("dark_plastic", "steel", "plastic", "fabric")),
                       PartSpec("ear cups", "disk-like", ("dark_plastic", "plastic", "white_plastic")),
                       PartSpec("cushions", "disk-like", ("fabric",))))
def headphones(rng: Rng, asm: PartAssembly) -> None:
    """Over-ear headphones standing up: an arched band over two ear cups facing each other along x."""
    rc, tc = rng.uniform(0.03, 0.05), rng.uniform(0.018, 0.032)
    gap = rng.uniform(0.12, 0.16)  # distance between the cushions' faces
    tk = rng.uniform(0.01, 0.02)  # cushion thickness
    xc = 0.5 * gap + tk  # inner face of each cup
    cup = revolve(np.array([[0, 0], [rc, 0], [rc, 0.6 * tc], [0.8 * rc, tc], [0, tc]]), 40)
    cushion = revolve(np.array([[0.25 * rc, -tk], [0.75 * rc, -tk], [rc * 0.98, -0.6 * tk], [rc, 0.002],
                                [0.3 * rc, 0.002]]), 40)
    sq = 1.0
    if rng.random() < 0.4:  # oval cups
        sq = rng.uniform(0.7, 0.85)
        cup, cushion = cup.scale((sq, 1.0, 1.0)), cushion.scale((sq, 1.0, 1.0))
    asm.kinds["ear cups"] = flat_kind(tc, 2.0 * sq * rc)
    asm.kinds["cushions"] = flat_kind(tk, 2.0 * sq * rc)
    for sx in (1.0, -1.0):
        # Built along +z, turned so +z points outward along x.
        c = cup.rotate((0, 90, 0)).translate((xc, 0, 0))
        k = cushion.rotate((0, 90, 0)).translate((xc, 0, 0))
        if sx < 0:
            c, k = c.mirror((1, 0, 0)), k.mirror((1, 0, 0))
        asm.add("ear cups", c)
        asm.add("cushions", k)
    band_r, aspect = rng.uniform(0.003, 0.006), rng.uniform(2.0, 4.0)
    a_x = xc + 0.5 * tc
    b_z = a_x * rng.uniform(0.9, 1.25)
    zc = rc * rng.uniform(0.3, 0.7)
    th = np.linspace(0.0, math.pi, 36)
    path = np.column_stack([a_x * np.cos(th), np.zeros_like(th), zc + b_z * np.sin(th)])
    path = np.vstack([[a_x, 0, zc - 0.01], path, [-a_x, 0, zc - 0.01]])
    asm.add("headband", sweep(path, band_r, aspect=aspect, segments=16))


@family("toothbrush", (PartSpec("handle", "shaft-like", ("plastic", "white_plastic", "wood")),
                       PartSpec("head", "shaft-like", ("plastic", "white_plastic", "wood"), same_as="handle",
                                same_prob=0.9),
                       PartSpec("bristles", "shaft-like", ("bristle",))))
def toothbrush(rng: Rng, asm: PartAssembly) -> None:
    """Lying toothbrush: handle along x (slightly bent), flat head at +x, bristle block on top (+z)."""
    lh = rng.uniform(0.12, 0.15)
    hr, aspect = rng.uniform(0.004, 0.0065), rng.uniform(1.1, 1.8)
    n = 20
    s = np.linspace(0.0, 1.0, n)
    bend = rng.uniform(-0.006, 0.008)
    path = np.column_stack([s * lh - lh, np.zeros(n), bend * np.sin(math.pi * s)])
    rr = np.interp(s, [0, 0.4, 0.8, 1.0], np.array([0.9, 1.0, 0.6, 0.55]) * hr)
    asm.add("handle", sweep(path, rr, aspect=aspect, segments=14))
    hl, hw, ht = rng.uniform(0.02, 0.03), rng.uniform(0.009, 0.013), rng.uniform(0.004, 0.006)
    asm.add("head", rounded_box((hl, hw, ht), 0.0019, (0.5 * hl - 0.003, 0, 0)))
    bh = rng.uniform(0.008, 0.012)
    asm.add("bristles", rounded_box((0.9 * hl, 0.85 * hw, bh + 0.002), 0.0015,
                                    (0.5 * hl - 0.003, 0, 0.5 * ht + 0.5 * bh - 0.001)))


@family("magnifying glass", (PartSpec("lens", "disk-like", ("clear_glass",)),
                             PartSpec("rim", "shaft-like", ("dark_plastic", "steel", "brass", "plastic")),
                             PartSpec("handle", "shaft-like", ("dark_plastic", "wood", "plastic"), same_as="rim",
                                      same_prob=0.5)))
def magnifying_glass(rng: Rng, asm: PartAssembly) -> None:
    """Round lens standing in the xz-plane, ring rim around it, handle down along -z."""
    lr, lt = rng.uniform(0.03, 0.055), rng.uniform(0.004, 0.009)
    # Biconvex lens: revolved about +z, then turned so its axis is y.
    a = np.linspace(0.0, 0.5 * math.pi, 8)
    lens = revolve(np.vstack([[[0, -0.5 * lt]], np.column_stack([lr * np.sin(a), -0.5 * lt * np.cos(a) - 0.0005]),
                              np.column_stack([lr * np.cos(a), 0.5 * lt * np.sin(a) + 0.0005]), [[0, 0.5 * lt]]]), 48)
    asm.add("lens", lens.rotate((90, 0, 0)))
    tube, aspect = rng.uniform(0.003, 0.005), rng.uniform(1.2, 2.0)
    ring_r = lr + 0.6 * tube
    th = np.linspace(0.0, 2 * math.pi, 48, endpoint=False)
    ring = np.column_stack([ring_r * np.cos(th), np.zeros_like(th), ring_r * np.sin(th)])
    asm.add("rim", sweep(ring, tube, aspect=aspect, closed=True, segments=12))
    lh, hr = rng.uniform(0.08, 0.13), rng.uniform(0.008, 0.013)
    t, rr = smooth_curve([0, 0.15, 0.6, 0.95, 1.0], np.array([0.45, 0.7, 1.0, 0.9, 0.5]) * hr, 16)
    handle = revolve(solid_profile(t * lh, rr), 24).mirror((0, 0, 1)).translate((0, 0, -ring_r - 0.3 * tube))
    asm.add("handle", handle)


@family("dumbbell", (PartSpec("handle", "shaft-like", ("steel", "dark_metal", "rubber")),
                     PartSpec("weights", "disk-like", ("cast_iron", "rubber", "plastic", "dark_metal"))))
def dumbbell(rng: Rng, asm: PartAssembly) -> None:
    """Bar along x with round, hexagonal or stacked-plate weights on both ends."""
    lh, hr = rng.uniform(0.1, 0.14), rng.uniform(0.012, 0.018)
    style = str(rng.choice(["round", "hex", "plates"]))
    wr, wt = rng.uniform(0.04, 0.08), rng.uniform(0.025, 0.05)
    handle = cylinder(hr, -0.5 * lh - 0.01, 0.5 * lh + 0.01, segments=24)
    asm.add("handle", rotate_to(handle, "x"))
    if style == "plates":
        k = int(rng.integers(2, 4))
        radii = wr * np.linspace(1.0, 0.7, k)
        thick = wt / k
        one = None
        for i, r in enumerate(radii):
            p = cylinder(r, i * thick, (i + 1) * thick + 0.001, segments=40)
            one = p if one is None else one + p
        one = one + cylinder(hr * 1.3, k * thick, k * thick + 0.01, segments=24)  # collar
    else:
        segs = 6 if style == "hex" else 40
        e = min(0.006, 0.15 * wt)
        one = revolve(np.array([[0, 0], [wr - e, 0], [wr, e], [wr, wt - e], [wr - e, wt], [0, wt]]), segs)
    asm.kinds["weights"] = flat_kind(wt, 2.0 * wr)
    for sx in (1.0, -1.0):
        w = one.translate((0, 0, 0.5 * lh))
        if sx < 0:
            w = w.mirror((0, 0, 1))
        asm.add("weights", rotate_to(w, "x"))


@family("hair dryer", (PartSpec("body", "shaft-like", ("plastic", "dark_plastic", "white_plastic")),
                       PartSpec("nozzle", "shaft-like", ("dark_plastic", "plastic"), same_as="body", same_prob=0.5),
                       PartSpec("handle", "shaft-like", ("plastic", "dark_plastic"), same_as="body", same_prob=0.8)))
def hair_dryer(rng: Rng, asm: PartAssembly) -> None:
    """Barrel body along x, tapered (maybe flattened) nozzle at +x, grip hanging down and slightly back."""
    lb, rb = rng.uniform(0.1, 0.17), rng.uniform(0.03, 0.045)
    back = rng.uniform(1.0, 1.3)
    t, rr = smooth_curve([0, 0.08, 0.4, 1.0], [0.5 * rb * back, rb * back, rb, rb * rng.uniform(0.8, 1.0)], 14)
    body = revolve(solid_profile(t * lb - 0.5 * lb, rr), 40)
    asm.add("body", rotate_to(body, "x"))
    ln = rng.uniform(0.03, 0.07)
    nr0 = rr[-1] * 0.9
    nr1 = nr0 * rng.uniform(0.5, 0.85)
    nozzle = revolve(np.array([[0, -0.004], [nr0, -0.004], [nr1, ln], [0.75 * nr1, ln], [0.75 * nr1, ln - 0.003],
                               [0, ln - 0.003]]), 40)
    if rng.random() < 0.5:  # flat concentrator nozzle
        nozzle = nozzle.scale((1.0, rng.uniform(0.4, 0.7), 1.0))
    asm.add("nozzle", rotate_to(nozzle, "x").translate((0.5 * lb, 0, 0)))
    lh, hr = rng.uniform(0.09, 0.13), rng.uniform(0.013, 0.018)
    lean = math.radians(rng.uniform(0, 20))
    x0 = -0.5 * lb + rng.uniform(0.3, 0.45) * lb
    n = 12
    s = np.linspace(0.0, 1.0, n)
    path = np.column_stack([x0 - s * lh * math.sin(lean), np.zeros(n), -0.5 * rb - s * lh * math.cos(lean)])
    rr_h = np.interp(s, [0, 0.2, 1.0], [hr * 1.1, hr, hr * 0.9])
    asm.add("handle", sweep(path, rr_h, aspect=rng.uniform(0.8, 1.1), segments=16))
