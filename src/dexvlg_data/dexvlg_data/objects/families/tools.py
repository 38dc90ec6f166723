"""Hand tools and utensils: knife, spatula, rolling pin, hammer, screwdriver, wrench, drill, axe, scissors,
flashlight, paintbrush. Flat tools lie in the xy-plane (thin along z); long tools stand along z.
"""

from __future__ import annotations

import math

import numpy as np
from manifold3d import Manifold

from dexvlg_data.objects.families.assembly import PartAssembly
from dexvlg_data.objects.families.geometry import (
    box,
    capsule,
    cylinder,
    extrude,
    revolve,
    rotate_to,
    rounded_box,
    smooth_curve,
    solid_profile,
    sweep,
)
from dexvlg_data.objects.families.registry import PartSpec, family

Rng = np.random.Generator

_GRIP = ("dark_plastic", "wood", "tool_plastic", "rubber")


def _grip_profile(rng: Rng, length: float, radius: float, n: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """Radius along a handle (z from 0 to length): slimmer neck, one or two bulges, a rounded butt."""
    kt = [0.0, 0.15, rng.uniform(0.35, 0.65), 0.85, 1.0]
    kr = np.array([0.75, rng.uniform(0.8, 0.95), 1.0, rng.uniform(0.85, 1.0), 0.6]) * radius
    return smooth_curve(np.array(kt) * length, kr, n)


def _straight_handle(rng: Rng, start: np.ndarray, direction: np.ndarray, length: float, radius: float,
                     aspect: float, normal: tuple[float, float, float]) -> Manifold:
    """Grip swept straight from ``start`` along ``direction`` with an elliptic, bulging cross-section."""
    t, rr = _grip_profile(rng, length, radius)
    d = direction / np.linalg.norm(direction)
    path = start[None, :] + t[:, None] * d[None, :]
    return sweep(path, rr, normal=normal, aspect=aspect, segments=16)


@family("knife", (PartSpec("blade", "shaft-like", ("steel",)),
                  PartSpec("handle", "shaft-like", _GRIP + ("steel",))))
def knife(rng: Rng, asm: PartAssembly) -> None:
    """Chef, utility, bread, santoku or cleaver blade with a contoured handle; lies flat, edge at -y."""
    style = str(rng.choice(["chef", "utility", "bread", "santoku", "cleaver"]))
    lb = {"utility": rng.uniform(0.07, 0.13), "cleaver": rng.uniform(0.14, 0.2)}.get(style, rng.uniform(0.14, 0.23))
    hb = {"utility": rng.uniform(0.014, 0.022), "cleaver": rng.uniform(0.06, 0.09),
          "bread": rng.uniform(0.022, 0.032)}.get(style, rng.uniform(0.03, 0.05))
    t = rng.uniform(0.0015, 0.003) if style != "cleaver" else rng.uniform(0.003, 0.005)
    s = np.linspace(0.0, 1.0, 24)
    if style == "cleaver":
        outline = np.array([[0, 0], [lb, 0], [lb, hb], [0, hb]])
    else:
        tip = {"chef": 0.75, "utility": 0.7, "bread": 0.6, "santoku": 0.1}[style] * hb
        edge = tip * s ** {"chef": 3.0, "utility": 2.5, "bread": 6.0, "santoku": 3.0}[style]
        s0 = {"santoku": 0.45}.get(style, 0.6)
        fall = np.clip((s - s0) / (1.0 - s0), 0.0, 1.0) ** (1.3 if style == "santoku" else 2.0)
        spine = hb - (hb - tip) * fall
        outline = np.vstack([np.column_stack([s * lb, edge]), np.column_stack([s * lb, spine])[::-1]])
    rad_h = rng.uniform(0.009, 0.0125)  # handle half-height
    yc = max(hb - 0.9 * rad_h, 0.55 * rad_h) if style != "cleaver" else hb * 0.75
    tang = np.array([[-0.04, yc - 0.5 * rad_h], [0.003, yc - 0.5 * rad_h], [0.003, yc + 0.5 * rad_h],
                     [-0.04, yc + 0.5 * rad_h]])
    asm.add("blade", extrude(outline, t) + extrude(tang, t))
    lh = rng.uniform(0.09, 0.13)
    asm.add("handle", _straight_handle(rng, np.array([0.004, yc, 0.0]), np.array([-1.0, 0, 0]), lh, rad_h,
                                       rng.uniform(0.6, 0.85), (0.0, 0.0, 1.0)))
    asm.params.update(style=style, blade_length=lb)


@family("spatula", (PartSpec("blade", "disk-like", ("steel", "dark_plastic", "plastic")),
                    PartSpec("handle", "shaft-like", _GRIP + ("steel",), same_as="blade", same_prob=0.4)))
def spatula(rng: Rng, asm: PartAssembly) -> None:
    """Turner: flat (often slotted) blade at +x, a bent neck rising to a long handle."""
    lb, wb = rng.uniform(0.07, 0.12), rng.uniform(0.05, 0.09)
    t = rng.uniform(0.002, 0.004)
    back = wb * rng.uniform(0.45, 0.8)
    bow = rng.uniform(0.0, 0.012)
    ys = np.linspace(-0.5 * wb, 0.5 * wb, 9)
    front = np.column_stack([lb + bow * (1 - (2 * ys / wb) ** 2), ys])
    outline = np.vstack([[[0.0, 0.5 * back], [0.0, -0.5 * back]], front])
    blade = extrude(outline, t, round_by=min(0.006, 0.2 * back))
    if rng.random() < 0.6:  # slots
        k = int(rng.integers(2, 5))
        sw = min(0.006, 0.35 * wb / k)
        for y in np.linspace(-0.3 * wb, 0.3 * wb, k):
            blade = blade - rounded_box((0.55 * lb, sw, 4 * t), 0.5 * sw * 0.99, (0.5 * lb, y, 0.0), 8)
    asm.add("blade", blade)
    rise = math.radians(rng.uniform(15, 35))
    neck = rng.uniform(0.03, 0.06)
    lh = rng.uniform(0.15, 0.22)
    r_neck, r_grip = rng.uniform(0.0025, 0.0035), rng.uniform(0.006, 0.009)
    n1, n2 = 8, 16
    p1 = np.column_stack([0.012 - np.linspace(0, neck, n1) * math.cos(rise), np.zeros(n1),
                          np.linspace(0, neck, n1) * math.sin(rise)])
    tail = np.linspace(0, lh, n2)[1:]
    p2 = np.column_stack([p1[-1, 0] - tail * math.cos(0.3 * rise), np.zeros(n2 - 1),
                          p1[-1, 2] + tail * math.sin(0.3 * rise)])
    path = np.vstack([p1, p2])
    rr = np.r_[np.full(n1, r_neck), np.interp(tail, [0, 0.2 * lh, lh], [r_neck, r_grip, r_grip * 0.9])]
    asp = np.r_[np.full(n1, 2.2), np.full(n2 - 1, rng.uniform(1.2, 1.8))]
    asm.add("handle", sweep(path, rr, aspect=asp, segments=14))


@family("rolling pin", (PartSpec("roller", "shaft-like", ("wood", "steel", "ceramic")),
                        PartSpec("handles", "shaft-like", ("wood", "dark_plastic", "plastic"), same_as="roller",
                                 same_prob=0.6)))
def rolling_pin(rng: Rng, asm: PartAssembly) -> None:
    """Cylindrical or barrel roller along x with a turned handle at each end."""
    length, rad = rng.uniform(0.18, 0.3), rng.uniform(0.02, 0.035)
    edge = rng.uniform(0.002, 0.008)
    barrel = rng.uniform(0.0, 0.12)
    zt, rt = smooth_curve([0, 0.5, 1], [rad * (1 - barrel), rad, rad * (1 - barrel)], 16)
    z = zt * length - 0.5 * length
    prof = np.vstack([[[0, z[0]], [rt[0] - edge, z[0]]], np.column_stack([rt, z])[1:-1],
                      [[rt[-1] - edge, z[-1]], [0, z[-1]]]])
    asm.add("roller", rotate_to(revolve(prof), "x"))
    hl, hr = rng.uniform(0.06, 0.1), rng.uniform(0.011, 0.016)
    t, rr = smooth_curve([0, 0.15, 0.6, 1.0], [0.5 * hr, 0.6 * hr, hr, 0.85 * hr], 12)
    handle = revolve(solid_profile(t * hl - 0.004, rr), 24)
    for sign in (1.0, -1.0):
        h = handle.translate((0, 0, 0.5 * length)) if sign > 0 else handle.mirror((0, 0, 1)).translate(
            (0, 0, -0.5 * length))
        asm.add("handles", rotate_to(h, "x"))


@family("hammer", (PartSpec("handle", "shaft-like", ("wood", "tool_plastic", "rubber", "dark_metal")),
                   PartSpec("head", "shaft-like", ("dark_metal", "steel", "cast_iron"))))
def hammer(rng: Rng, asm: PartAssembly) -> None:
    """Handle along z; claw, ball-peen or club head along x on top."""
    lh = rng.uniform(0.24, 0.35)
    rad = rng.uniform(0.011, 0.015)
    t, rr = smooth_curve([0, 0.1, 0.5, 0.85, 1.0], np.array([1.05, 1.1, 0.85, 0.75, 0.8]) * rad, 16)
    handle = revolve(solid_profile(t * lh, rr), 24).scale((1.0, rng.uniform(0.65, 0.85), 1.0))
    asm.add("handle", handle)
    style = str(rng.choice(["claw", "ball-peen", "club"], p=[0.5, 0.3, 0.2]))
    hw, hh = rng.uniform(0.022, 0.03), rng.uniform(0.024, 0.035)  # head width (y) and height (z)
    top = lh + 0.3 * hh
    if style == "club":
        hl = rng.uniform(0.08, 0.12)
        head = rounded_box((hl, 1.5 * hw, 1.5 * hh), 0.006, (0, 0, top))
    else:
        face_l, face_r = rng.uniform(0.035, 0.055), rng.uniform(0.013, 0.017)
        face = rotate_to(cylinder(face_r * 0.9, 0.0, face_l, face_r * 1.05, segments=32), "x")
        head = rounded_box((0.03, hw, hh), 0.004, (0, 0, top)) + face.translate((0.0, 0, top))
        if style == "claw":
            rc = rng.uniform(0.05, 0.09)
            a = np.linspace(0.5 * math.pi, 0.5 * math.pi + rng.uniform(0.5, 0.9), 10)
            path = np.column_stack([rc * np.cos(a), np.zeros(10), top - rc + rc * np.sin(a)])
            path[:, 0] -= 0.005
            claw = sweep(path, np.linspace(0.45 * hh, 0.18 * hh, 10), aspect=np.linspace(0.9 * hw / hh, 0.8, 10),
                         segments=14)
            claw = claw - box((0.2, 0.004, 0.2), (path[-1, 0] - 0.09, 0.0, path[-1, 2]))
            head = head + claw
        else:
            head = head + Manifold.sphere(rng.uniform(0.012, 0.016), 24).translate((-0.03, 0, top)) + capsule(
                (0, 0, top), (-0.028, 0, top), 0.009)
    asm.add("head", head)
    asm.params.update(style=style, handle_length=lh)


@family("screwdriver", (PartSpec("handle", "shaft-like", _GRIP + ("plastic",)),
                        PartSpec("shaft", "shaft-like", ("steel",))))
def screwdriver(rng: Rng, asm: PartAssembly) -> None:
    """Turned (round, hex or fluted-looking) handle on top, steel shaft down with a flat or cross tip."""
    lh, rh = rng.uniform(0.08, 0.13), rng.uniform(0.012, 0.019)
    t, rr = smooth_curve([0, 0.2, 0.6, 0.9, 1.0], np.array([0.55, 0.85, 1.0, 0.95, 0.6]) * rh, 16)
    segs = int(rng.choice([6, 8, 12, 40]))  # hex / octagonal / faceted / round grips
    asm.add("handle", revolve(solid_profile(t * lh, rr), segs))
    ls, rs = rng.uniform(0.05, 0.2), rng.uniform(0.002, 0.004)
    shaft = cylinder(rs, -ls, 0.005, segments=16)
    if rng.random() < 0.5:  # flat tip: a flattened wedge
        tip = Manifold.batch_hull([cylinder(rs, -ls, -ls + 0.001, segments=16).translate((0, 0, 0.012)),
                                   box((2.6 * rs, 0.6 * rs, 0.001), (0, 0, -ls - 0.004))])
    else:  # cross tip: a cone
        tip = cylinder(0.4 * rs, -ls - 0.006, -ls + 0.002, radius_top=rs, segments=8)
    asm.add("shaft", shaft + tip)


@family("wrench", (PartSpec("handle", "shaft-like", ("steel", "dark_metal")),
                   PartSpec("head", "shaft-like", ("steel", "dark_metal"), same_as="handle", same_prob=1.0)))
def wrench(rng: Rng, asm: PartAssembly) -> None:
    """Combination spanner lying flat: open-jaw head at +x, ring head (or plain end) at -x."""
    lh, wh = rng.uniform(0.12, 0.24), rng.uniform(0.012, 0.022)
    th = rng.uniform(0.004, 0.007)
    neck = wh * rng.uniform(0.7, 0.9)
    outline = np.array([[-0.5 * lh, -0.5 * neck], [0, -0.5 * wh], [0.5 * lh, -0.5 * neck],
                        [0.5 * lh, 0.5 * neck], [0, 0.5 * wh], [-0.5 * lh, 0.5 * neck]])
    asm.add("handle", extrude(outline, th, round_by=0.002))
    jaw = wh * rng.uniform(0.7, 1.1)  # opening across the jaw
    ro = 0.5 * jaw + wh * rng.uniform(0.55, 0.8)
    open_head = cylinder(ro, -0.55 * th, 0.55 * th, segments=40).translate((0.5 * lh + 0.6 * ro, 0, 0))
    slot = box((2.2 * ro, jaw, 3 * th), (0.5 * lh + 0.6 * ro + 1.1 * ro, 0, 0)) + cylinder(
        0.5 * jaw, -2 * th, 2 * th, segments=24).translate((0.5 * lh + 0.6 * ro, 0, 0))
    tilt = rng.uniform(10, 20)
    head = (open_head - slot.translate((-(0.5 * lh + 0.6 * ro), 0, 0)).rotate((0, 0, tilt)).translate(
        (0.5 * lh + 0.6 * ro, 0, 0)))
    if rng.random() < 0.8:  # ring end
        rr = wh * rng.uniform(0.8, 1.05)
        ring = cylinder(rr, -0.6 * th, 0.6 * th, segments=40) - cylinder(0.55 * rr, -2 * th, 2 * th, segments=12)
        head = head + ring.translate((-0.5 * lh - 0.6 * rr, 0, 0))
    else:  # plain rounded end
        head = head + cylinder(0.5 * wh, -0.5 * th, 0.5 * th, segments=24).translate((-0.5 * lh, 0, 0))
    asm.add("head", head)


@family("drill", (PartSpec("body", "shaft-like", ("tool_plastic",)),
                  PartSpec("handle", "shaft-like", ("dark_plastic", "rubber", "tool_plastic"), same_as="body",
                           same_prob=0.3),
                  PartSpec("chuck", "shaft-like", ("dark_metal", "dark_plastic")),
                  PartSpec("battery", "shaft-like", ("dark_plastic", "tool_plastic"))))
def drill(rng: Rng, asm: PartAssembly) -> None:
    """Cordless pistol drill: motor body along x, chuck at the front (+x), grip down, battery at its foot."""
    lb, rb = rng.uniform(0.12, 0.18), rng.uniform(0.025, 0.035)
    t, rr = smooth_curve([0, 0.1, 0.5, 0.9, 1.0], np.array([0.7, 0.95, 1.0, rng.uniform(0.75, 1.0), 0.7]) * rb, 16)
    body = rotate_to(revolve(solid_profile(t * lb - 0.5 * lb, rr)), "x").scale((1.0, rng.uniform(0.8, 1.0), 1.0))
    asm.add("body", body)
    lc, rc = rng.uniform(0.03, 0.05), rng.uniform(0.012, 0.018)
    chuck = revolve(np.array([[0, -0.005], [rc, -0.005], [rc, 0.6 * lc], [0.7 * rc, lc], [0, lc]]), 24)
    if rng.random() < 0.5:  # a bit in the chuck
        chuck = chuck + cylinder(0.003, lc - 0.002, lc + rng.uniform(0.03, 0.07), segments=10)
    asm.add("chuck", rotate_to(chuck, "x").translate((0.5 * lb - 0.002, 0, 0)))
    grip_len, grip_r = rng.uniform(0.09, 0.13), rng.uniform(0.014, 0.018)
    lean = math.radians(rng.uniform(5, 20))
    x0 = -0.5 * lb + rng.uniform(0.35, 0.5) * lb
    d = np.array([-math.sin(lean), 0.0, -math.cos(lean)])
    start = np.array([x0, 0.0, -0.3 * rb])
    grip = _straight_handle(rng, start, d, grip_len, grip_r, rng.uniform(1.0, 1.3), (0.0, 1.0, 0.0))
    trig = rounded_box((0.012, 0.008, 0.02), 0.003, (x0 + grip_r + 0.002, 0, -rb - 0.005))
    asm.add("handle", grip + trig)
    foot = start + d * grip_len
    bw, bl, bh = rng.uniform(0.055, 0.075), rng.uniform(0.07, 0.1), rng.uniform(0.025, 0.045)
    asm.add("battery", rounded_box((bl, bw, bh), 0.006, (foot[0] + 0.1 * bl, 0, foot[2] - 0.4 * bh)))


@family("axe", (PartSpec("handle", "shaft-like", ("wood", "tool_plastic")),
                PartSpec("head", "shaft-like", ("dark_metal", "steel", "cast_iron"))))
def axe(rng: Rng, asm: PartAssembly) -> None:
    """Slightly curved handle along z, wedge head with the edge at +x."""
    lh = rng.uniform(0.35, 0.7)
    rad = rng.uniform(0.013, 0.018)
    n = 20
    s = np.linspace(0.0, 1.0, n)
    curve = rng.uniform(-0.03, 0.03)
    path = np.column_stack([curve * np.sin(2 * math.pi * s) * lh * 0.2, np.zeros(n), s * lh])
    rr = np.interp(s, [0, 0.08, 0.5, 0.92, 1.0], np.array([0.8, 1.15, 0.9, 1.0, 0.9]) * rad)
    asm.add("handle", sweep(path, rr, aspect=rng.uniform(0.6, 0.8), segments=16))
    hl = rng.uniform(0.1, 0.17)  # head length (x)
    eye_h, eye_w = rng.uniform(0.045, 0.065), rng.uniform(0.028, 0.04)
    hh = eye_h * rng.uniform(1.4, 2.2)  # the blade flares to a taller edge
    top = lh - 0.02
    eye = rounded_box((0.045, eye_w, eye_h), 0.006, (0, 0, top))
    beard = rng.uniform(0.0, 0.35) * hh
    edge = box((0.002, 0.002, hh), (hl, 0, top - 0.5 * beard + 0.1 * hh))
    head = Manifold.batch_hull([eye, edge])
    if rng.random() < 0.4:  # a poll (hammer back)
        head = head + rounded_box((0.03, 0.9 * eye_w, 0.8 * eye_h), 0.005, (-0.03, 0, top))
    asm.add("head", head)
    asm.params.update(handle_length=lh)


@family("scissors", (PartSpec("blades", "shaft-like", ("steel",)),
                     PartSpec("handles", "shaft-like", ("plastic", "dark_plastic", "tool_plastic", "steel"))))
def scissors(rng: Rng, asm: PartAssembly) -> None:
    """Two crossed halves lying flat (pivot at the origin): blades towards +x, finger loops towards -x."""
    lb, wb = rng.uniform(0.06, 0.12), rng.uniform(0.008, 0.014)
    t = rng.uniform(0.0018, 0.003)
    opening = math.radians(rng.uniform(3, 20))
    shank = rng.uniform(0.015, 0.03)
    ring_a, ring_b = rng.uniform(0.012, 0.022), rng.uniform(0.008, 0.014)
    tube, aspect = rng.uniform(0.0025, 0.004), rng.uniform(1.0, 1.5)
    s = np.linspace(0.0, 1.0, 12)
    top = 0.5 * wb + 0.15 * wb * np.sin(math.pi * s) - wb * 0.45 * s**2
    blade = np.vstack([np.column_stack([s * lb, -0.5 * wb * (1 - s**1.5)]), np.column_stack([s * lb, top])[::-1],
                       [[-0.006, 0.5 * wb], [-0.006, -0.5 * wb]]])
    halves_b, halves_h = [], []
    for k, sign in enumerate((1.0, -1.0)):
        z = (k - 0.5) * 0.9 * t
        b = extrude(blade, t).rotate((0, 0, math.degrees(0.5 * opening)))
        b = b + cylinder(0.45 * wb + 0.001, -0.5 * t, 0.5 * t, segments=20)
        # The handle loop sits behind the pivot, offset to this half's side.
        a = np.linspace(0.0, 2 * math.pi, 28, endpoint=False)
        cx = -shank - ring_a
        loop = np.column_stack([cx + ring_a * np.cos(a), -0.6 * ring_b + ring_b * np.sin(a), np.zeros_like(a)])
        h = sweep(loop, tube, normal=(0, 0, 1), aspect=aspect, closed=True)
        h = h + capsule((0.0, 0.0, 0.0), (-shank, -0.6 * ring_b, 0.0), tube * 1.2)
        h = h.rotate((0, 0, math.degrees(0.5 * opening)))
        if sign < 0:
            b, h = b.mirror((0, 1, 0)), h.mirror((0, 1, 0))
        halves_b.append(b.translate((0, 0, z)))
        halves_h.append(h.translate((0, 0, z)))
    pivot = cylinder(0.3 * wb, -1.3 * t, 1.3 * t, segments=16)
    asm.add("blades", halves_b[0] + halves_b[1] + pivot)
    asm.add("handles", halves_h[0] + halves_h[1])


@family("flashlight", (PartSpec("body", "shaft-like", ("dark_metal", "tool_plastic", "plastic", "steel")),
                       PartSpec("head", "shaft-like", ("dark_metal", "tool_plastic", "steel"), same_as="body",
                                same_prob=0.6),
                       PartSpec("switch", "shaft-like", ("rubber", "dark_plastic", "plastic"))))
def flashlight(rng: Rng, asm: PartAssembly) -> None:
    """Barrel body along z, flared head with a recessed lens on top, a switch button on the +x side."""
    lb, rb = rng.uniform(0.09, 0.22), rng.uniform(0.01, 0.02)
    segs = int(rng.choice([40, 40, 12]))  # some bodies faceted (knurled look)
    body = np.array([[0, 0], [rb * 0.85, 0], [rb, 0.006], [rb, lb], [0, lb]])
    asm.add("body", revolve(body, segs))
    rh, flare, lc = rb * rng.uniform(1.0, 1.8), rng.uniform(0.015, 0.04), rng.uniform(0.008, 0.025)
    top = lb + flare + lc
    head = np.array([[0, lb - 0.003], [rb * 1.02, lb - 0.003], [rb * 1.02, lb], [rh, lb + flare], [rh, top],
                     [rh * 0.85, top], [rh * 0.85, top - 0.003], [0, top - 0.003]])
    asm.add("head", revolve(head))
    zs = lb - rng.uniform(0.01, 0.04)
    sw = rng.uniform(0.004, 0.007)
    if rng.random() < 0.5:
        button = cylinder(sw, 0.0, 0.004, segments=16).rotate((0, 90, 0)).translate((rb - 0.002, 0, zs))
    else:
        button = rounded_box((0.006, 1.4 * sw, 3 * sw), 0.0025, (rb, 0, zs))
    asm.add("switch", button)


@family("paintbrush", (PartSpec("handle", "shaft-like", ("wood", "plastic", "tool_plastic")),
                       PartSpec("ferrule", "shaft-like", ("steel", "brass", "copper")),
                       PartSpec("bristles", "shaft-like", ("bristle", "wood"))))
def paintbrush(rng: Rng, asm: PartAssembly) -> None:
    """Flat (wall) or round (artist) brush: long handle below, metal ferrule, bristles on top (+z)."""
    flat = rng.random() < 0.55
    lh = rng.uniform(0.1, 0.2)
    rh = rng.uniform(0.005, 0.012) if not flat else rng.uniform(0.008, 0.014)
    t, rr = smooth_curve([0, 0.2, 0.7, 1.0], np.array([0.7, 1.0, 0.85, 0.9]) * rh, 16)
    flat_y = rng.uniform(0.3, 0.5) if flat else 1.0
    width = rng.uniform(1.5, 3.0) if flat else 1.0  # flat brushes are wider than the handle
    asm.add("handle", revolve(solid_profile(t * lh, rr), 24).scale((1.0, 0.7 + 0.3 * flat_y, 1.0)))
    lf = rng.uniform(0.015, 0.035)
    rf = rh * 0.9
    ferrule = revolve(np.array([[0, lh - 0.004], [rf, lh - 0.004], [rf * width ** 0.5, lh + 0.5 * lf],
                                [rf * width, lh + lf], [0, lh + lf]]), 32)
    asm.add("ferrule", ferrule.scale((1.0, flat_y / width ** 0.5 if flat else 1.0, 1.0)))
    lbr = rng.uniform(0.015, 0.05)
    zb = lh + lf - 0.002
    if flat:
        tuft = revolve(np.array([[0, zb], [rf * width * 0.95, zb], [rf * width * 0.98, zb + 0.7 * lbr],
                                 [rf * width * 0.8, zb + lbr], [0, zb + lbr]]), 32)
        tuft = tuft.scale((1.0, 0.9 * flat_y / width ** 0.5, 1.0))
    else:
        tz, tr = smooth_curve([0, 0.4, 1.0], [rf * 0.95, rf * 1.1, 0.0005], 10)
        tuft = revolve(solid_profile(zb + tz * lbr, tr), 24)
    asm.add("bristles", tuft)
