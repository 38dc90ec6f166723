"""Closed-solid primitives (manifold3d) that the category generators assemble: revolved profiles, swept tubes,
rounded boxes, extruded outlines. All lengths are metres; +z is up for every upright object.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from manifold3d import CrossSection, JoinType, Manifold, Mesh
from scipy.interpolate import PchipInterpolator

ArrayLike = np.ndarray | Sequence[Sequence[float]]

# Tessellation: enough to look round in a 256 px render and to make part boxes accurate, few enough to
# keep generation in the tens of milliseconds.
SEGMENTS = 40
TUBE_SEGMENTS = 16


def smooth_curve(knots_t: Sequence[float], knots_v: Sequence[float], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Shape-preserving (PCHIP) interpolation through knots: ``n`` samples of (t, v), no overshoot."""
    t = np.asarray(knots_t, dtype=float)
    ts = np.linspace(t[0], t[-1], n)
    return ts, PchipInterpolator(t, np.asarray(knots_v, dtype=float))(ts)


def revolve(profile: ArrayLike, segments: int = SEGMENTS) -> Manifold:
    """Solid of revolution about +z of a closed (r, z) polygon with r >= 0 (points on r = 0 close the axis)."""
    pts = np.asarray(profile, dtype=float)
    pts[:, 0] = np.maximum(pts[:, 0], 0.0)
    # CrossSection wants counter-clockwise outer contours; accept either orientation from callers.
    area = 0.5 * np.sum(pts[:, 0] * np.roll(pts[:, 1], -1) - np.roll(pts[:, 0], -1) * pts[:, 1])
    if area < 0:
        pts = pts[::-1]
    return CrossSection([pts]).revolve(segments)


def solid_profile(z: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Closed (r, z) polygon of a solid body: the axis, the bottom, the side r(z), the top."""
    return np.vstack([[0.0, z[0]], np.column_stack([r, z]), [0.0, z[-1]]])


def hollow_profile(z: np.ndarray, r: np.ndarray, wall: float, bottom: float, rim_round: bool = True,
                   bead: float = 0.0, bead_height: float = 0.0) -> np.ndarray:
    """Closed (r, z) polygon of an open-topped vessel: outer side r(z), rim, inner side r(z) - wall, floor.

    The inner wall is the outer one moved inward horizontally, good enough for the gently sloped walls of cups,
    pots and buckets; the floor sits ``bottom`` above the base. ``bead`` thickens the outside of the top
    ``bead_height`` band (a bucket's rolled rim) without a boolean.
    """
    r_in = np.maximum(r - wall, 0.25 * wall)
    r_out = r.copy()
    if bead > 0 and bead_height > 0:
        band = np.clip((z - (z[-1] - bead_height)) / (0.3 * bead_height), 0.0, 1.0)
        r_out = r + bead * band
    keep = z > z[0] + bottom
    zi, ri = z[keep], r_in[keep]
    rim = np.zeros((0, 2))
    if rim_round:  # a half-round rim from the outer to the inner top edge instead of a knife edge
        half = 0.5 * (r_out[-1] - ri[-1])
        a = np.linspace(0.0, math.pi, 7)[1:-1]
        rim = np.column_stack([ri[-1] + half + half * np.cos(a), z[-1] + half * np.sin(a)])
    return np.vstack([[[0.0, z[0]]], np.column_stack([r_out, z]), rim, np.column_stack([ri, zi])[::-1],
                      [[0.0, z[0] + bottom]]])


def _closed_mesh(verts: np.ndarray, tris: np.ndarray) -> Manifold:
    """Manifold from a closed triangle mesh, flipping the winding when it encloses negative volume."""
    v = verts[tris]
    vol = np.einsum("ij,ij->i", v[:, 0], np.cross(v[:, 1], v[:, 2])).sum()
    if vol < 0:
        tris = tris[:, ::-1]
    mesh = Mesh(vert_properties=np.ascontiguousarray(verts, dtype=np.float32),
                tri_verts=np.ascontiguousarray(tris, dtype=np.uint32))
    solid = Manifold(mesh)
    if solid.is_empty():
        raise ValueError(f"primitive is not a closed manifold: {solid.status()}")
    return solid


def sweep(path: ArrayLike, radius: float | np.ndarray, normal: Sequence[float] = (0.0, 1.0, 0.0),
          aspect: float | np.ndarray = 1.0, closed: bool = False, segments: int = TUBE_SEGMENTS) -> Manifold:
    """Tube swept along a planar polyline; ``normal`` is the plane normal.

    The cross-section is an ellipse with semi-axis ``radius`` in the path's plane and ``radius * aspect``
    along ``normal`` (flat handles have aspect > 1). Radius and aspect may vary per path point (tapered
    spouts). Open paths get flat end caps; the caller keeps the bend radius above the tube radius.
    """
    p = np.asarray(path, dtype=float)
    n = len(p)
    rad = np.broadcast_to(np.asarray(radius, dtype=float), (n,))
    asp = np.broadcast_to(np.asarray(aspect, dtype=float), (n,))
    up = np.asarray(normal, dtype=float)
    up = up / np.linalg.norm(up)
    if closed:
        tan = np.roll(p, -1, axis=0) - np.roll(p, 1, axis=0)
    else:
        tan = np.gradient(p, axis=0)
    tan /= np.linalg.norm(tan, axis=1, keepdims=True)
    side = np.cross(tan, up)
    side /= np.linalg.norm(side, axis=1, keepdims=True)
    a = np.linspace(0.0, 2.0 * math.pi, segments, endpoint=False)
    ring = (p[:, None, :]
            + (rad[:, None] * np.cos(a)[None, :])[..., None] * side[:, None, :]
            + (rad[:, None] * asp[:, None] * np.sin(a)[None, :])[..., None] * up[None, None, :])
    verts = ring.reshape(-1, 3)
    i = np.arange(n if closed else n - 1)[:, None]
    j = np.arange(segments)[None, :]
    i2, j2 = (i + 1) % n, (j + 1) % segments
    q00, q01, q10, q11 = i * segments + j, i * segments + j2, i2 * segments + j, i2 * segments + j2
    tris = np.concatenate([np.stack([q00, q10, q11], -1).reshape(-1, 3), np.stack([q00, q11, q01], -1).reshape(-1, 3)])
    if not closed:
        c0, c1 = len(verts), len(verts) + 1
        verts = np.vstack([verts, p[0], p[-1]])
        jj = np.arange(segments)
        cap0 = np.column_stack([np.full(segments, c0), jj, (jj + 1) % segments])
        last = (n - 1) * segments
        cap1 = np.column_stack([np.full(segments, c1), last + (jj + 1) % segments, last + jj])
        tris = np.vstack([tris, cap0, cap1])
    return _closed_mesh(verts, tris)


def box(size: Sequence[float], center: Sequence[float] = (0.0, 0.0, 0.0)) -> Manifold:
    """Axis-aligned box of the given full extents, centred at ``center``."""
    return Manifold.cube(tuple(float(s) for s in size), True).translate(tuple(float(c) for c in center))


def rounded_box(size: Sequence[float], radius: float, center: Sequence[float] = (0.0, 0.0, 0.0),
                segments: int = 12) -> Manifold:
    """Box with all edges rounded by ``radius`` (hull of eight spheres), centred at ``center``."""
    half = np.asarray(size, dtype=float) / 2.0
    r = float(min(radius, half.min() * 0.999))
    inner = half - r
    corners = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)]) * inner
    ball = Manifold.sphere(r, segments)
    hull = Manifold.batch_hull([ball.translate(tuple(c)) for c in corners])
    return hull.translate(tuple(float(c) for c in center))


def cylinder(radius: float, z0: float, z1: float, radius_top: float | None = None,
             segments: int = SEGMENTS) -> Manifold:
    """Upright cylinder (or cone frustum) from z0 to z1 on the z axis."""
    top = radius if radius_top is None else radius_top
    return Manifold.cylinder(float(z1 - z0), float(radius), float(top), segments).translate((0.0, 0.0, float(z0)))


def capsule(p0: Sequence[float], p1: Sequence[float], radius: float, segments: int = 16) -> Manifold:
    """Hull of two spheres: a rod with round ends between p0 and p1."""
    ball = Manifold.sphere(float(radius), segments)
    return Manifold.batch_hull([ball.translate(tuple(map(float, p0))), ball.translate(tuple(map(float, p1)))])


def extrude(outline: ArrayLike, thickness: float, round_by: float = 0.0) -> Manifold:
    """Closed 2-D outline (x, y) extruded along z, centred on z = 0; ``round_by`` rounds its corners."""
    pts = np.asarray(outline, dtype=float)
    area = 0.5 * np.sum(pts[:, 0] * np.roll(pts[:, 1], -1) - np.roll(pts[:, 0], -1) * pts[:, 1])
    if area < 0:
        pts = pts[::-1]
    cs = CrossSection([pts])
    if round_by > 0:
        cs = cs.offset(-round_by, JoinType.Round).offset(round_by, JoinType.Round, circular_segments=24)
    return cs.extrude(float(thickness)).translate((0.0, 0.0, -0.5 * float(thickness)))


def rotate_to(solid: Manifold, axis: str) -> Manifold:
    """Turn a solid built along +z so that its axis lies along +x or +y (or keep +z)."""
    if axis == "x":
        return solid.rotate((0.0, 90.0, 0.0))
    if axis == "y":
        return solid.rotate((-90.0, 0.0, 0.0))
    return solid


def superellipse_handle(x_top: float, x_bot: float, z_top: float, z_bot: float, reach: float, squareness: float,
                        n: int = 28, sink: float = 0.0, lean: float = 0.0) -> np.ndarray:
    """Side-handle path in the xz-plane leaving a body at (x_top, z_top) and returning at (x_bot, z_bot).

    ``squareness`` 2 gives a round loop, larger values a D/square shape; the path leaves and meets the body
    horizontally and starts/ends ``sink`` further inside it so the union bonds. ``lean`` lifts (> 0) or
    drops (< 0) the outer part of the loop, as fraction of its half height.
    """
    th = np.linspace(0.0, math.pi, n)
    e = 2.0 / squareness
    s, c = np.sin(th), np.cos(th)
    bulge = np.abs(s) ** e
    u = 0.5 * (1.0 - np.sign(c) * np.abs(c) ** e)  # 0 at the top attachment, 1 at the bottom one
    h = 0.5 * (z_top - z_bot)
    x = x_top + (x_bot - x_top) * u + reach * bulge
    z = z_top - 2.0 * h * u + lean * h * bulge
    pts = np.column_stack([x, np.zeros(n), z])
    if sink > 0:
        pts = np.vstack([[x_top - sink, 0.0, z_top], pts, [x_bot - sink, 0.0, z_bot]])
    return pts


def vessel_profile(height: float, radius: float, taper: float = 0.0, bulge: float = 0.0, bulge_at: float = 0.5,
                   fillet: float = 0.0, wobble: Sequence[float] = (), n: int = 24) -> tuple[np.ndarray, np.ndarray]:
    """Outer (z, r) side of a revolved body from z = 0 to ``height``.

    ``taper`` > 0 widens towards the top (r grows by ``taper * radius`` bottom to top), ``bulge`` adds a belly
    (> 0) or waist (< 0) of that fraction of the radius centred at ``bulge_at``; ``wobble`` are extra relative
    radius offsets at evenly spaced knots (smoothly interpolated); ``fillet`` rounds the bottom edge.
    """
    t = np.linspace(0.0, 1.0, n)
    r = radius * (1.0 + taper * (t - 0.5))
    gamma = math.log(0.5) / math.log(min(max(bulge_at, 0.1), 0.9))
    r = r + bulge * radius * np.sin(math.pi * t**gamma)
    if len(wobble):
        kt = np.linspace(0.0, 1.0, len(wobble) + 2)
        r = r * (1.0 + PchipInterpolator(kt, np.r_[0.0, wobble, 0.0])(t))
    z = t * height
    if fillet > 0:
        f = min(fillet, 0.45 * r[0], 0.3 * height)
        a = np.linspace(-0.5 * math.pi, 0.0, 6)
        fz, fr = f + f * np.sin(a), r[0] - f + f * np.cos(a)
        keep = z > f
        z, r = np.r_[fz, z[keep]], np.r_[fr, r[keep]]
    return z, np.maximum(r, 1e-4)
