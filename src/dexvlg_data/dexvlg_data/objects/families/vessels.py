"""Drinkware and containers: mug, teacup, bottle, wine glass, jar, bucket, pitcher, spray bottle."""

from __future__ import annotations

import math

import numpy as np
from manifold3d import CrossSection, Manifold

from dexvlg_data.objects.families.assembly import PartAssembly
from dexvlg_data.objects.families.common import shoulder, side_handle
from dexvlg_data.objects.families.geometry import (
    capsule,
    cylinder,
    extrude,
    hollow_profile,
    revolve,
    rounded_box,
    smooth_curve,
    solid_profile,
    sweep,
    vessel_profile,
)
from dexvlg_data.objects.families.registry import PartSpec, family

Rng = np.random.Generator


def _wobble(rng: Rng, amount: float = 0.06) -> np.ndarray:
    """Random spline knots (relative radius offsets) that make every body's silhouette a little different."""
    return rng.uniform(-amount, amount, size=int(rng.integers(1, 4)))


@family("mug", (PartSpec("body", "shaft-like", ("ceramic",)),
                PartSpec("handle", "L-shaped", ("ceramic",), same_as="body", same_prob=0.75)))
def mug(rng: Rng, asm: PartAssembly) -> None:
    """Revolved hollow body (straight, tapered, barrel, waisted) with a loop, D or square handle."""
    h, rad = rng.uniform(0.07, 0.125), rng.uniform(0.03, 0.05)
    wall = rng.uniform(0.0035, 0.006)
    z, r = vessel_profile(h, rad, wobble=_wobble(rng), taper=rng.uniform(-0.3, 0.3), bulge=rng.uniform(-0.1, 0.15),
                          bulge_at=rng.uniform(0.3, 0.7), fillet=rng.uniform(0.002, 0.01))
    asm.add("body", revolve(hollow_profile(z, r, wall, rng.uniform(0.005, 0.012))))
    z_top = h * rng.uniform(0.72, 0.9)
    z_bot = min(z_top - 0.035, h * rng.uniform(0.12, 0.45))
    tube = rng.uniform(0.0035, 0.0065)
    path, aspect = side_handle(rng, z, r, z_top, max(z_bot, 0.012), 0.6 * wall, rng.uniform(0.028, 0.045), tube)
    asm.add("handle", sweep(path, tube, aspect=aspect))
    asm.params.update(height=h, radius=rad, wall=wall)


@family("teacup", (PartSpec("cup", "shaft-like", ("ceramic",)),
                   PartSpec("handle", "L-shaped", ("ceramic",), same_as="cup", same_prob=0.85),
                   PartSpec("saucer", "disk-like", ("ceramic",), same_as="cup", same_prob=0.7)))
def teacup(rng: Rng, asm: PartAssembly) -> None:
    """Flared cup on a shallow saucer, small ear handle."""
    h, rad = rng.uniform(0.045, 0.075), rng.uniform(0.03, 0.045)
    wall = rng.uniform(0.0025, 0.004)
    base = rng.uniform(0.006, 0.012)  # saucer thickness at the centre
    z, r = vessel_profile(h, rad, taper=rng.uniform(0.35, 0.9), bulge=rng.uniform(-0.05, 0.15),
                          bulge_at=rng.uniform(0.3, 0.6), fillet=rng.uniform(0.004, 0.012))
    z = z + base - 0.001
    asm.add("cup", revolve(hollow_profile(z, r, wall, rng.uniform(0.004, 0.008))))
    sr = max(rng.uniform(0.065, 0.095), 1.35 * r[-1])
    rim_h = rng.uniform(0.008, 0.016)
    saucer = np.array([[0, 0], [0.55 * sr, 0], [sr, rim_h], [sr, rim_h + 0.003], [0.9 * sr, rim_h + 0.003],
                       [0.5 * sr, base], [0, base]])
    asm.add("saucer", revolve(saucer, 48))
    z_top = z[0] + (h - 0.001) * rng.uniform(0.72, 0.88)
    z_bot = z[0] + (h - 0.001) * rng.uniform(0.3, 0.5)
    tube = rng.uniform(0.0025, 0.004)
    path, aspect = side_handle(rng, z, r, z_top, z_bot, 0.6 * wall, rng.uniform(0.018, 0.03), tube)
    asm.add("handle", sweep(path, tube, aspect=aspect))


@family("bottle", (PartSpec("body", "shaft-like", ("glass", "plastic", "clear_glass")),
                   PartSpec("neck", "shaft-like", ("glass",), same_as="body", same_prob=1.0),
                   PartSpec("cap", "lid-like", ("plastic", "steel", "dark_plastic"))))
def bottle(rng: Rng, asm: PartAssembly) -> None:
    """Water, wine or soda bottle: body with a shoulder, a neck and a screw cap or crown."""
    h, rad = rng.uniform(0.12, 0.27), rng.uniform(0.025, 0.045)
    rn = rad * rng.uniform(0.3, 0.55)
    sh_h = h * rng.uniform(0.1, 0.35)
    zb, rb = vessel_profile(h - sh_h, rad, wobble=_wobble(rng), taper=rng.uniform(-0.15, 0.1),
                            bulge=rng.uniform(-0.12, 0.1), bulge_at=rng.uniform(0.3, 0.7),
                            fillet=rng.uniform(0.003, 0.008))
    # Shoulder: a smooth fall from the body radius to the neck radius (domed or conical).
    zs, rs = shoulder(zb[-1], rb[-1], rn, sh_h, rng.uniform(0.5, 2.0), 11)
    z, r = np.r_[zb, zs], np.r_[rb, rs]
    asm.add("body", revolve(solid_profile(z, r)))
    neck_h = rng.uniform(0.015, 0.07)
    top = z[-1] + neck_h
    neck = np.array([[0, z[-1] - 0.004], [rn * 0.98, z[-1] - 0.004], [rn * rng.uniform(0.8, 0.98), top - 0.004],
                     [rn * 1.08, top - 0.002], [rn * 0.95, top], [0, top]])
    asm.add("neck", revolve(neck))
    cap_h, cap_r = rng.uniform(0.01, 0.025), max(rn * 1.08, rn * rng.uniform(1.05, 1.3))
    edge = min(0.002, 0.3 * cap_h)
    cap = np.array([[0, top - 0.6 * cap_h], [cap_r, top - 0.6 * cap_h], [cap_r, top + 0.4 * cap_h - edge],
                    [cap_r - edge, top + 0.4 * cap_h], [0, top + 0.4 * cap_h]])
    asm.add("cap", revolve(cap, int(rng.choice([20, 40]))))
    asm.params.update(height=h, radius=rad, neck_radius=rn)


@family("wine glass", (PartSpec("bowl", "shaft-like", ("clear_glass",)),
                       PartSpec("stem", "shaft-like", ("clear_glass",), same_as="bowl", same_prob=0.9),
                       PartSpec("base", "disk-like", ("clear_glass",), same_as="bowl", same_prob=0.9)))
def wine_glass(rng: Rng, asm: PartAssembly) -> None:
    """Round foot, thin stem (maybe a knop), tulip / balloon / flute bowl."""
    foot_r, foot_t = rng.uniform(0.028, 0.045), rng.uniform(0.003, 0.006)
    foot = np.array([[0, 0], [foot_r, 0], [foot_r, foot_t * 0.5], [foot_r * 0.3, foot_t * 1.6], [0, foot_t * 1.8]])
    asm.add("base", revolve(foot, 48))
    stem_h, stem_r = rng.uniform(0.035, 0.1), rng.uniform(0.003, 0.006)
    knop = rng.uniform(1.0, 2.0) if rng.random() < 0.4 else 1.0
    zt, rt = smooth_curve([0, 0.5, 1], [stem_r * 1.6, stem_r * knop, stem_r * 1.8], 10)
    zs = foot_t + zt * stem_h
    asm.add("stem", revolve(solid_profile(zs, rt)))
    bowl_h = rng.uniform(0.06, 0.12)
    rad = rng.uniform(0.03, 0.05) if bowl_h > 0.08 else rng.uniform(0.03, 0.045)
    style = rng.choice(["tulip", "balloon", "flute"])
    kt = [0.0, 0.15, 0.5, 0.8, 1.0]
    if style == "flute":
        rad *= 0.7
        kr = [0.25, 0.75, 0.98, 1.0, 0.95]
    elif style == "balloon":
        kr = [0.25, 0.85, 1.0, 0.92, 0.78]
    else:
        kr = [0.25, 0.8, 1.0, 0.95, 0.86]
    t, rr = smooth_curve(kt, np.array(kr) * rad, 24)
    z0 = foot_t + stem_h - 0.004
    asm.add("bowl", revolve(hollow_profile(z0 + t * bowl_h, rr, rng.uniform(0.0015, 0.003), 0.012 + 0.1 * bowl_h)))
    asm.params.update(style=str(style), stem_height=stem_h)


@family("jar", (PartSpec("body", "shaft-like", ("clear_glass", "glass", "ceramic")),
                PartSpec("lid", "lid-like", ("steel", "brass", "plastic", "wood"))))
def jar(rng: Rng, asm: PartAssembly) -> None:
    """Mason / storage jar: shouldered body and a wide screw lid or a domed lid with a knob."""
    h, rad = rng.uniform(0.08, 0.2), rng.uniform(0.035, 0.065)
    mouth = rad * rng.uniform(0.7, 0.95)
    zb, rb = vessel_profile(h * 0.88, rad, wobble=_wobble(rng), taper=rng.uniform(-0.15, 0.15),
                            bulge=rng.uniform(-0.05, 0.12), fillet=rng.uniform(0.004, 0.012))
    t = np.linspace(0.0, 1.0, 8)[1:]
    zs, rs = zb[-1] + t * 0.12 * h, mouth + (rb[-1] - mouth) * np.cos(0.5 * math.pi * t)
    asm.add("body", revolve(solid_profile(np.r_[zb, zs], np.r_[rb, rs])))
    top = zs[-1]
    lid_h, lid_r = rng.uniform(0.012, 0.03), mouth * rng.uniform(1.04, 1.12)
    if rng.random() < 0.6:  # screw lid
        lid = np.array([[0, top - 0.6 * lid_h], [lid_r, top - 0.6 * lid_h], [lid_r, top + 0.4 * lid_h - 0.002],
                        [lid_r - 0.002, top + 0.4 * lid_h], [0, top + 0.4 * lid_h]])
    else:  # domed lid with knob
        dome = rng.uniform(0.01, 0.03)
        a = np.linspace(0, 0.5 * math.pi, 8)
        lid = np.vstack([[[0, top - 0.005], [lid_r, top - 0.005]],
                         np.column_stack([0.008 + (lid_r - 0.008) * np.cos(a), top + dome * np.sin(a)]),
                         [[0.012, top + dome + 0.008], [0.0, top + dome + 0.014]]])
    asm.add("lid", revolve(lid))


@family("bucket", (PartSpec("body", "shaft-like", ("plastic", "steel")),
                   PartSpec("handle", "L-shaped", ("steel", "dark_metal"))))
def bucket(rng: Rng, asm: PartAssembly) -> None:
    """Tapered pail with a rim bead, two lugs and an arched wire bail handle standing up."""
    h, rad = rng.uniform(0.18, 0.3), rng.uniform(0.1, 0.15)
    wall = rng.uniform(0.003, 0.006)
    z, r = vessel_profile(h, rad, taper=rng.uniform(0.1, 0.4), bulge=rng.uniform(-0.03, 0.03),
                          fillet=rng.uniform(0.005, 0.02))
    asm.add("body", revolve(hollow_profile(z, r, wall, rng.uniform(0.004, 0.01), bead=rng.uniform(0.003, 0.007),
                                           bead_height=rng.uniform(0.008, 0.015)), 48))
    za = h * rng.uniform(0.78, 0.93)
    ra = float(np.interp(za, z, r))
    wire = rng.uniform(0.0025, 0.005)
    lug = 0.012
    for sx in (-1.0, 1.0):
        asm.add("body", capsule((sx * (ra - 0.5 * wall), 0, za), (sx * (ra + lug), 0, za), 2.5 * wire))
    rb = ra + lug - 0.5 * wire
    tall = rb * rng.uniform(0.7, 1.15)
    a = np.linspace(0.0, math.pi, 40)
    path = np.column_stack([rb * np.cos(a), np.zeros_like(a), za + tall * np.sin(a)])
    path = np.vstack([[rb, 0, za - 2.0 * wire], path, [-rb, 0, za - 2.0 * wire]])
    bail = sweep(path, wire, segments=10)
    if rng.random() < 0.6:  # plastic grip tube in the middle of the bail
        g = np.linspace(0.4 * math.pi, 0.6 * math.pi, 10)
        grip = np.column_stack([rb * np.cos(g), np.zeros_like(g), za + tall * np.sin(g)])
        bail = bail + sweep(grip, 2.8 * wire, segments=12)
    asm.add("handle", bail)


@family("pitcher", (PartSpec("body", "shaft-like", ("ceramic", "clear_glass", "plastic")),
                    PartSpec("handle", "L-shaped", ("ceramic", "plastic"), same_as="body", same_prob=0.8),
                    PartSpec("spout", "shaft-like", ("ceramic",), same_as="body", same_prob=1.0)))
def pitcher(rng: Rng, asm: PartAssembly) -> None:
    """Tall jug with a pouring lip opposite a big side handle."""
    h, rad = rng.uniform(0.15, 0.26), rng.uniform(0.045, 0.075)
    wall = rng.uniform(0.003, 0.006)
    z, r = vessel_profile(h, rad, wobble=_wobble(rng), taper=rng.uniform(-0.35, 0.2), bulge=rng.uniform(0.0, 0.25),
                          bulge_at=rng.uniform(0.25, 0.6), fillet=rng.uniform(0.004, 0.012))
    asm.add("body", revolve(hollow_profile(z, r, wall, rng.uniform(0.006, 0.012))))
    asm.add("spout", pouring_lip(r[-1], h, wall, rng.uniform(0.015, 0.035), rng.uniform(0.005, 0.02),
                                 rng.uniform(30.0, 55.0)))
    z_top = h * rng.uniform(0.78, 0.92)
    z_bot = h * rng.uniform(0.2, 0.45)
    tube = rng.uniform(0.004, 0.008)
    path, aspect = side_handle(rng, z, r, z_top, z_bot, 0.6 * wall, rng.uniform(0.035, 0.06), tube)
    asm.add("handle", sweep(path, tube, aspect=aspect))


def pouring_lip(rim_r: float, rim_z: float, wall: float, reach: float, rise: float, half_angle: float) -> Manifold:
    """A pouring lip on a rim at -x: a flared wall sector whose flare fades to nothing at its sides (a V beak)."""
    t = max(wall, 0.003)
    strip = np.array([[rim_r - t, rim_z - 0.012], [rim_r, rim_z - 0.012], [rim_r + reach, rim_z + rise],
                      [rim_r + reach - 0.7 * t, rim_z + rise + 0.7 * t], [rim_r - t, rim_z]])
    sector = CrossSection([strip]).revolve(24, 2.0 * half_angle).rotate((0.0, 0.0, 180.0 - half_angle))
    limit = math.radians(half_angle)

    def fade(v: np.ndarray) -> np.ndarray:
        # Shrink the flare (radius and rise above the rim) with the angle from -x: full at the centre, 0 at sides.
        v = np.array(v, dtype=float)
        phi = np.arctan2(v[:, 1], -v[:, 0])
        w = 0.05 + 0.95 * np.cos(np.clip(np.abs(phi) / limit, 0.0, 1.0) * 0.5 * math.pi) ** 0.8
        rho = np.hypot(v[:, 0], v[:, 1])
        new_rho = np.where(rho > rim_r, rim_r + (rho - rim_r) * w, rho)
        v[:, 0] *= new_rho / np.maximum(rho, 1e-9)
        v[:, 1] *= new_rho / np.maximum(rho, 1e-9)
        v[:, 2] = np.where(v[:, 2] > rim_z, rim_z + (v[:, 2] - rim_z) * (0.3 + 0.7 * w), v[:, 2])
        return v

    return sector.warp_batch(fade)


@family("spray bottle", (PartSpec("body", "shaft-like", ("white_plastic", "plastic", "clear_glass")),
                         PartSpec("head", "shaft-like", ("plastic", "white_plastic", "dark_plastic")),
                         PartSpec("trigger", "shaft-like", ("plastic", "white_plastic"), same_as="head", same_prob=0.6),
                         PartSpec("nozzle", "shaft-like", ("dark_plastic", "plastic"), same_as="head", same_prob=0.4)))
def spray_bottle(rng: Rng, asm: PartAssembly) -> None:
    """Round or oval bottle, shroud-shaped sprayer head, curved trigger below it, nozzle at the front (+x)."""
    h, rad = rng.uniform(0.13, 0.22), rng.uniform(0.028, 0.045)
    rn = rng.uniform(0.011, 0.016)
    zb, rb = vessel_profile(h, rad, wobble=_wobble(rng), taper=rng.uniform(-0.2, 0.1), bulge=rng.uniform(-0.1, 0.12),
                            fillet=rng.uniform(0.004, 0.01))
    t = np.linspace(0.0, 1.0, 8)[1:]
    sh = rng.uniform(0.015, 0.04)
    zs, rs = h + t * sh, rn + (rb[-1] - rn) * np.cos(0.5 * math.pi * t)
    body = revolve(solid_profile(np.r_[zb, zs, zs[-1] + 0.012], np.r_[rb, rs, rn]))
    if rng.random() < 0.5:  # flattened (oval) bottle, like most household cleaners
        body = body.scale((1.0, rng.uniform(0.55, 0.8), 1.0))
    asm.add("body", body)
    top = h + sh + 0.012
    head_len, head_h = rng.uniform(0.05, 0.08), rng.uniform(0.03, 0.05)
    back = rng.uniform(0.012, 0.02)
    width = rng.uniform(0.022, 0.032)
    # Side outline of the head (x forward, y up here, extruded across): tapering towards the nozzle.
    drop = head_h * rng.uniform(0.0, 0.3)  # the top slopes down towards the nozzle by this much
    nose_h = min(rng.uniform(0.012, 0.02), head_h - drop - 0.01)
    nose_lo = head_h - drop - nose_h  # height of the front face's lower edge
    outline = np.array([[-back, 0], [-back, head_h * 0.85], [-back * 0.5, head_h], [head_len * 0.5, head_h],
                        [head_len, head_h - drop], [head_len, nose_lo], [rn * 1.2, 0.006], [rn * 1.1, 0]])
    head = extrude(outline, width, round_by=0.003).rotate((90.0, 0.0, 0.0)).translate((0, 0, top - 0.008))
    asm.add("head", head + cylinder(rn * 1.15, top - 0.014, top - 0.004))
    noz_z = top - 0.008 + nose_lo + 0.5 * nose_h
    noz_len = rng.uniform(0.006, 0.014)
    asm.add("nozzle", rounded_box((noz_len + 0.004, 0.6 * width, 0.8 * nose_h), 0.002,
                                  (head_len + 0.5 * noz_len, 0, noz_z)))
    # Trigger: a curved finger lever hanging below the head, starting inside its sloped underside.
    tx = head_len * rng.uniform(0.45, 0.75)
    under = 0.006 + (tx - rn * 1.2) / (head_len - rn * 1.2) * (nose_lo - 0.006)
    tz0 = top - 0.008 + under + 0.004
    tl = rng.uniform(0.03, 0.05)
    bend = rng.uniform(0.004, 0.012)
    s = np.linspace(0.0, 1.0, 14)
    path = np.column_stack([tx + bend * np.sin(math.pi * s) + 0.006 * s, np.zeros_like(s), tz0 - tl * s])
    asm.add("trigger", sweep(path, 0.0035, aspect=rng.uniform(2.0, 3.0), segments=12))
    asm.params.update(height=h, radius=rad)
