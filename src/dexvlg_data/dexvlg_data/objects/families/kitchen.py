"""Cookware: kettle, teapot, watering can, frying pan, saucepan, stock pot, ladle."""

from __future__ import annotations

import math

import numpy as np

from dexvlg_data.objects.families.assembly import PartAssembly
from dexvlg_data.objects.families.common import lid_profile, side_handle, spout_path
from dexvlg_data.objects.families.geometry import (
    capsule,
    cylinder,
    hollow_profile,
    revolve,
    smooth_curve,
    solid_profile,
    superellipse_handle,
    sweep,
    vessel_profile,
)
from dexvlg_data.objects.families.registry import PartSpec, family

Rng = np.random.Generator

_METAL_OR_PLASTIC = ("steel", "plastic", "white_plastic", "copper", "dark_metal")


def _arch(x_half: float, z_foot: float, height: float, squareness: float, sink: float, n: int = 32) -> np.ndarray:
    """Arched top handle in the xz-plane standing on feet at (+-x_half, z_foot), ``sink`` into the body."""
    th = np.linspace(0.0, math.pi, n)
    e = 2.0 / squareness
    x = x_half * np.sign(np.cos(th)) * np.abs(np.cos(th)) ** e
    z = z_foot + height * np.abs(np.sin(th)) ** e
    return np.vstack([[x_half, 0.0, z_foot - sink], np.column_stack([x, np.zeros(n), z])[1:-1],
                      [-x_half, 0.0, z_foot - sink]])


def _closed_body(rng: Rng, h: float, rad: float, top_r: float, bottom: tuple[float, float],
                 belly_at: tuple[float, float], shoulder_at: tuple[float, float], shoulder_r: tuple[float, float],
                 n: int = 28) -> tuple[np.ndarray, np.ndarray]:
    """Outer (z, r) of a closed body through smooth (PCHIP) knots: base, belly (widest, ``rad``), shoulder, top.

    ``bottom`` is the base radius over ``rad``; ``shoulder_r`` places the shoulder radius between top_r (0)
    and rad (1). One smooth curve, so no creases where a side would meet a separately built shoulder.
    """
    r_bot = rad * rng.uniform(*bottom)
    r_sh = top_r + (rad - top_r) * rng.uniform(*shoulder_r)
    kt = [0.0, 0.03, rng.uniform(*belly_at), rng.uniform(*shoulder_at), 1.0]
    kr = [r_bot * 0.9, r_bot, rad, r_sh, top_r]
    t, r = smooth_curve(kt, kr, n)
    return t * h, r


def _spout(rng: Rng, z: np.ndarray, r: np.ndarray, z0: float, angle: float, length: float, r0: float, r1: float,
           curl: float) -> object:
    """Tapered spout leaving the body at height z0 on +x."""
    x0 = float(np.interp(z0, z, r)) - 1.2 * r0
    path = spout_path(np.array([x0, 0.0, z0]), angle, length + 1.2 * r0, curl)
    return sweep(path, np.linspace(r0, r1, len(path)), segments=14)


@family("kettle", (PartSpec("body", "shaft-like", _METAL_OR_PLASTIC),
                   PartSpec("lid", "lid-like", _METAL_OR_PLASTIC, same_as="body", same_prob=0.7),
                   PartSpec("handle", "L-shaped", ("dark_plastic", "wood", "steel")),
                   PartSpec("spout", "shaft-like", _METAL_OR_PLASTIC, same_as="body", same_prob=1.0)))
def kettle(rng: Rng, asm: PartAssembly) -> None:
    """Stovetop kettle (arched top handle, long spout) or electric jug kettle (side handle, short spout)."""
    electric = rng.random() < 0.45
    if electric:
        h, rad = rng.uniform(0.17, 0.25), rng.uniform(0.06, 0.085)
        z, r = _closed_body(rng, h, rad, rad * rng.uniform(0.6, 0.85), (0.95, 1.1), (0.1, 0.5), (0.85, 0.93),
                            (0.8, 0.95))
    else:
        h, rad = rng.uniform(0.11, 0.18), rng.uniform(0.08, 0.11)
        z, r = _closed_body(rng, h, rad, rad * rng.uniform(0.35, 0.55), (0.8, 1.0), (0.05, 0.4), (0.55, 0.8),
                            (0.4, 0.75))
    asm.add("body", revolve(solid_profile(z, r)))
    top, rt = z[-1], r[-1]
    knob_h, dome = rng.uniform(0.01, 0.025), rng.uniform(0.003, 0.02)
    lid = lid_profile(top, rt * 1.03, dome, rng.uniform(0.006, 0.012), knob_h)
    asm.add("lid", revolve(lid))
    if electric:
        z_top, z_bot = h * rng.uniform(0.85, 0.95), h * rng.uniform(0.12, 0.3)
        tube = rng.uniform(0.008, 0.013)
        path, aspect = side_handle(rng, z, r, z_top, z_bot, 0.8 * tube, rng.uniform(0.035, 0.05), tube)
        path[:, 0] *= -1.0  # handle at -x, spout at +x
        asm.add("handle", sweep(path, tube, aspect=aspect))
        # A flat beak high on the body: wide across (aspect), thin vertically, tapering to the tip.
        zs = h * rng.uniform(0.84, 0.92)
        x0 = float(np.interp(zs, z, r)) - 0.012
        path = spout_path(np.array([x0, 0.0, zs]), math.radians(rng.uniform(20, 40)), rng.uniform(0.035, 0.055), 0.0)
        asm.add("spout", sweep(path, np.linspace(0.011, 0.004, len(path)), aspect=np.linspace(1.8, 2.6, len(path))))
    else:
        # The arch's feet stand on the shoulder just outside the lid; the arch clears the knob.
        tube = rng.uniform(0.007, 0.011)
        need = rt * 1.03 + 2.0 * tube + 0.006
        wide = np.nonzero(r >= need)[0]
        z_foot = float(z[wide[-1]] if len(wide) else z[np.argmax(r)])
        x_half = float(np.interp(z_foot, z, r)) - tube - 0.002
        height = (top - z_foot) + 0.003 + dome + knob_h + rng.uniform(0.03, 0.06)
        path = _arch(x_half, z_foot, height, rng.uniform(2.0, 3.5), 2.0 * tube)
        asm.add("handle", sweep(path, tube, aspect=rng.uniform(1.0, 1.6)))
        curl = rng.uniform(-0.1, 0.35)
        asm.add("spout", _spout(rng, z, r, h * rng.uniform(0.15, 0.4), math.radians(rng.uniform(35, 55)),
                                rng.uniform(0.06, 0.11), rng.uniform(0.011, 0.016), rng.uniform(0.005, 0.009), curl))
    asm.params.update(electric=electric, height=h, radius=rad)


@family("teapot", (PartSpec("body", "shaft-like", ("ceramic", "cast_iron", "clear_glass")),
                   PartSpec("lid", "lid-like", ("ceramic",), same_as="body", same_prob=0.9),
                   PartSpec("handle", "L-shaped", ("ceramic",), same_as="body", same_prob=0.9),
                   PartSpec("spout", "shaft-like", ("ceramic",), same_as="body", same_prob=1.0)))
def teapot(rng: Rng, asm: PartAssembly) -> None:
    """Squat round body, domed lid with knob, loop handle at -x and an S-curved spout from low on the body."""
    h, rad = rng.uniform(0.08, 0.14), rng.uniform(0.06, 0.09)
    z, r = _closed_body(rng, h, rad, rad * rng.uniform(0.4, 0.6), (0.6, 0.85), (0.3, 0.55), (0.7, 0.85),
                        (0.45, 0.75))
    asm.add("body", revolve(solid_profile(z, r)))
    top, rt = z[-1], r[-1]
    lid = lid_profile(top, rt * 1.05, rng.uniform(0.008, 0.025), rng.uniform(0.006, 0.011), rng.uniform(0.01, 0.02))
    asm.add("lid", revolve(lid))
    tube = rng.uniform(0.005, 0.008)
    path, aspect = side_handle(rng, z, r, top * rng.uniform(0.75, 0.88), top * rng.uniform(0.2, 0.4), 1.2 * tube,
                               rng.uniform(0.035, 0.055), tube)
    path[:, 0] *= -1.0
    asm.add("handle", sweep(path, tube, aspect=aspect))
    asm.add("spout", _spout(rng, z, r, h * rng.uniform(0.2, 0.4), math.radians(rng.uniform(30, 50)),
                            rng.uniform(0.06, 0.1), rng.uniform(0.011, 0.016), rng.uniform(0.005, 0.008),
                            rng.uniform(0.1, 0.4)))


@family("watering can", (PartSpec("body", "shaft-like", ("plastic", "steel", "tool_plastic")),
                         PartSpec("handle", "L-shaped", ("plastic", "steel"), same_as="body", same_prob=0.9),
                         PartSpec("spout", "shaft-like", ("plastic", "steel"), same_as="body", same_prob=0.8)))
def watering_can(rng: Rng, asm: PartAssembly) -> None:
    """Barrel body, long straight spout from near the bottom (maybe with a rose), top or rear handle."""
    h, rad = rng.uniform(0.15, 0.25), rng.uniform(0.07, 0.1)
    z, r = _closed_body(rng, h, rad, rad * rng.uniform(0.3, 0.5), (0.85, 1.05), (0.2, 0.6), (0.8, 0.92),
                        (0.6, 0.9))
    body = revolve(solid_profile(z, r))
    oval = rng.uniform(0.65, 1.0)
    asm.add("body", body.scale((1.0, oval, 1.0)))
    top = z[-1]
    angle = math.radians(rng.uniform(35, 55))
    length = rng.uniform(0.2, 0.35)
    r0, r1 = rng.uniform(0.012, 0.018), rng.uniform(0.006, 0.01)
    z0 = h * rng.uniform(0.1, 0.25)
    x0 = float(np.interp(z0, z, r)) - 1.2 * r0
    path = spout_path(np.array([x0, 0.0, z0]), angle, length, 0.0, n=8)
    spout = sweep(path, np.linspace(r0, r1, len(path)), segments=14)
    if rng.random() < 0.6:  # a rose: a flat perforated-looking cap on the spout tip
        tip = path[-1]
        rose = cylinder(rng.uniform(0.018, 0.03), -0.006, 0.006, segments=32)
        rose = rose.rotate((0.0, 90.0 - math.degrees(angle), 0.0)).translate(tuple(tip))
        spout = spout + rose
    asm.add("spout", spout)
    tube = rng.uniform(0.008, 0.012)
    if rng.random() < 0.5:  # top arch from the spout side to the back
        x_half = float(np.interp(top - 0.01, z, r)) - 0.004
        path = _arch(max(x_half, 0.03), top - 0.01, rng.uniform(0.05, 0.1), rng.uniform(2.0, 3.0), 0.006)
    else:  # rear loop
        path, _ = side_handle(rng, z, r, top - 0.005, h * rng.uniform(0.3, 0.5), tube, rng.uniform(0.05, 0.08), tube)
        path[:, 0] *= -1.0
    asm.add("handle", sweep(path, tube, aspect=rng.uniform(1.0, 1.5)))


def _long_handle(rng: Rng, x_root: float, z_root: float, length: float, rise_deg: float, thick: float,
                 width: float) -> object:
    """Long pan handle leaving a pan wall at (x_root, z_root) along +x, rising, tapered at the root."""
    n = 14
    s = np.linspace(0.0, 1.0, n)
    rise = math.radians(rise_deg)
    bow = rng.uniform(-0.02, 0.03) * length  # slight upward or downward bow along the handle
    x = x_root + s * length * math.cos(rise)
    z = z_root + s * length * math.sin(rise) + bow * np.sin(math.pi * s)
    path = np.column_stack([x, np.zeros(n), z])
    thick_s = thick * (0.7 + 0.3 * np.minimum(s / 0.25, 1.0))
    aspect = (width / thick) * (0.8 + 0.2 * s)
    return sweep(path, thick_s, aspect=aspect, segments=14)


@family("frying pan", (PartSpec("pan", "disk-like", ("cast_iron", "dark_metal", "steel", "copper")),
                       PartSpec("handle", "shaft-like", ("dark_plastic", "wood", "steel", "cast_iron"),
                                same_as="pan", same_prob=0.25)))
def frying_pan(rng: Rng, asm: PartAssembly) -> None:
    """Shallow flared pan with one long handle (and sometimes a small helper handle opposite)."""
    rad, h = rng.uniform(0.085, 0.14), rng.uniform(0.025, 0.055)
    wall = rng.uniform(0.003, 0.006)
    z, r = vessel_profile(h, rad, taper=rng.uniform(0.15, 0.45), bulge=rng.uniform(-0.03, 0.03),
                          fillet=rng.uniform(0.008, 0.02))
    asm.add("pan", revolve(hollow_profile(z, r, wall, rng.uniform(0.004, 0.008)), 56))
    zr = h * rng.uniform(0.55, 0.85)
    xr = float(np.interp(zr, z, r)) - 0.5 * wall
    length = rng.uniform(0.15, 0.24)
    thick = rng.uniform(0.005, 0.009)
    asm.add("handle", _long_handle(rng, xr, zr, length, rng.uniform(5, 22), thick, thick * rng.uniform(1.3, 2.2)))
    if rad > 0.11 and rng.random() < 0.4:
        hp, _ = side_handle(rng, z, r, zr + 0.008, zr - 0.008, 0.5 * wall, 0.03, 0.004)
        hp[:, 0] *= -1.0
        asm.add("handle", sweep(hp, 0.004, aspect=2.0))
    asm.params.update(radius=rad, height=h)


@family("saucepan", (PartSpec("body", "shaft-like", ("steel", "copper", "dark_metal", "ceramic")),
                     PartSpec("handle", "shaft-like", ("dark_plastic", "wood", "steel"), same_as="body", same_prob=0.3),
                     PartSpec("lid", "lid-like", ("steel", "clear_glass"), same_as="body", same_prob=0.5),
                     PartSpec("knob", "lid-like", ("dark_plastic", "steel", "wood"), same_as="handle",
                              same_prob=0.7)))
def saucepan(rng: Rng, asm: PartAssembly) -> None:
    """Straight-walled pot with a long handle and a domed lid with a knob."""
    rad, h = rng.uniform(0.06, 0.1), rng.uniform(0.06, 0.11)
    wall = rng.uniform(0.003, 0.005)
    z, r = vessel_profile(h, rad, taper=rng.uniform(-0.05, 0.15), fillet=rng.uniform(0.006, 0.015))
    asm.add("body", revolve(hollow_profile(z, r, wall, rng.uniform(0.004, 0.008))))
    lid = lid_profile(h, r[-1] + 0.003, rng.uniform(0.006, 0.02), 0.004, 0.0, sink=0.002)
    asm.add("lid", revolve(lid))
    lid_top = h + 0.003 + float(lid[-1, 1] - h - 0.003)
    kr, kh = rng.uniform(0.008, 0.015), rng.uniform(0.012, 0.025)
    style = rng.random()
    if style < 0.5:  # round knob
        knob = np.array([[0, lid_top - 0.003], [kr * 0.5, lid_top - 0.003], [kr * 0.6, lid_top + 0.4 * kh],
                         [kr, lid_top + 0.7 * kh], [kr * 0.9, lid_top + kh], [0, lid_top + kh]])
        asm.add("knob", revolve(knob, 24))
    else:  # bar / loop knob across y
        path = superellipse_handle(0.0, 0.0, 0.0, -2 * kr - 0.01, kh, 2.5)[:, [2, 1, 0]]
        path[:, 0] += kr + 0.005
        path[:, 2] += lid_top - 0.003
        asm.add("knob", sweep(path, 0.004, normal=(0.0, 1.0, 0.0), aspect=1.6))
    zr = h * rng.uniform(0.65, 0.9)
    thick = rng.uniform(0.006, 0.009)
    asm.add("handle", _long_handle(rng, float(np.interp(zr, z, r)) - 0.5 * wall, zr, rng.uniform(0.13, 0.2),
                                   rng.uniform(5, 25), thick, thick * rng.uniform(1.2, 2.0)))


@family("stock pot", (PartSpec("body", "shaft-like", ("steel", "ceramic", "cast_iron", "copper")),
                      PartSpec("handles", "L-shaped", ("steel", "dark_plastic"), same_as="body", same_prob=0.6),
                      PartSpec("lid", "lid-like", ("steel", "clear_glass"), same_as="body", same_prob=0.6),
                      PartSpec("knob", "lid-like", ("dark_plastic", "steel"), same_as="handles", same_prob=0.6)))
def stock_pot(rng: Rng, asm: PartAssembly) -> None:
    """Tall pot, two side loop handles lying flat, domed lid with a knob."""
    rad, h = rng.uniform(0.09, 0.14), rng.uniform(0.1, 0.2)
    wall = rng.uniform(0.003, 0.005)
    z, r = vessel_profile(h, rad, taper=rng.uniform(-0.05, 0.1), fillet=rng.uniform(0.008, 0.02))
    asm.add("body", revolve(hollow_profile(z, r, wall, rng.uniform(0.004, 0.008)), 56))
    kr, kh = rng.uniform(0.01, 0.016), rng.uniform(0.012, 0.022)
    lid = lid_profile(h, r[-1] + 0.004, rng.uniform(0.01, 0.03), kr, 0.0, sink=0.002)
    asm.add("lid", revolve(lid, 56))
    lid_top = float(lid[-1, 1])
    knob = np.array([[0, lid_top - 0.003], [kr * 0.5, lid_top - 0.003], [kr * 0.6, lid_top + 0.4 * kh],
                     [kr, lid_top + 0.7 * kh], [kr * 0.9, lid_top + kh], [0, lid_top + kh]])
    asm.add("knob", revolve(knob, 24))
    zh = h * rng.uniform(0.72, 0.88)
    span, reach, tube = rng.uniform(0.035, 0.06), rng.uniform(0.02, 0.035), rng.uniform(0.004, 0.007)
    flat = rng.random() < 0.5  # loops lying flat (xy-plane) or standing (xz-plane)
    for sx in (-1.0, 1.0):
        x0 = float(np.interp(zh, z, r)) - 0.5 * wall
        if flat:  # the feet lie off the x axis: put them on the wall circle
            x0 = math.sqrt(x0**2 - (0.5 * span) ** 2)
        loop = superellipse_handle(x0, x0, 0.5 * span, -0.5 * span, reach, 2.5)
        if flat:
            loop = loop[:, [0, 2, 1]]
            loop[:, 2] = zh
            piece = sweep(loop, tube, normal=(0.0, 0.0, 1.0), aspect=1.2)
        else:
            loop[:, 2] += zh - 0.2 * span
            piece = sweep(loop, tube, aspect=1.5)
        asm.add("handles", piece if sx > 0 else piece.mirror((1.0, 0.0, 0.0)))


@family("ladle", (PartSpec("bowl", "shaft-like", ("steel", "dark_plastic", "wood")),
                  PartSpec("handle", "shaft-like", ("steel", "dark_plastic", "wood"), same_as="bowl", same_prob=0.7)))
def ladle(rng: Rng, asm: PartAssembly) -> None:
    """Hemispherical bowl and a long handle rising steeply from its rim, sometimes hooked at the end."""
    rad, depth = rng.uniform(0.03, 0.05), rng.uniform(0.6, 1.0)
    wall = rng.uniform(0.002, 0.0035)
    a = np.linspace(-0.5 * math.pi, 0.0, 12)
    z = rad * depth * (1.0 + np.sin(a))
    r = rad * np.cos(a)
    r[0] = 0.2 * rad
    asm.add("bowl", revolve(hollow_profile(z, r, wall, wall * 1.5)))
    top = z[-1]
    angle = math.radians(rng.uniform(50, 80))
    length = rng.uniform(0.2, 0.3)
    thick = rng.uniform(0.0025, 0.004)
    n = 24
    s = np.linspace(0.0, 1.0, n)
    x = r[-1] - 0.5 * wall + s * length * math.cos(angle)
    zz = top - 0.002 + s * length * math.sin(angle)
    path = np.column_stack([x, np.zeros(n), zz])
    if rng.random() < 0.5:  # hooked end bending back over
        hook = rng.uniform(0.012, 0.02)
        aa = np.linspace(0.0, math.pi * 0.9, 10)[1:]
        d = np.array([math.cos(angle), math.sin(angle)])
        nrm = np.array([-d[1], d[0]])
        centre = path[-1, [0, 2]] - nrm * hook
        hx = centre[0] + hook * (nrm[0] * np.cos(aa) + d[0] * np.sin(aa))
        hz = centre[1] + hook * (nrm[1] * np.cos(aa) + d[1] * np.sin(aa))
        path = np.vstack([path, np.column_stack([hx, np.zeros_like(hx), hz])])
    asm.add("handle", sweep(path, thick, aspect=rng.uniform(1.5, 3.0), segments=12))
    asm.add("handle", capsule((r[-1] - 1.5 * wall, 0, top - 0.004), (r[-1] + 0.01, 0, top + 0.006), 1.5 * thick))
