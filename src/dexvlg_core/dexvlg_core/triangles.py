"""Closest points on triangles, vectorized: the one implementation the exact distance queries share
(dexvlg_core.sim.checks part distances, dexvlg_data.synth.sdf signed distances).
"""

from __future__ import annotations

import numpy as np

# closest-feature codes: 0 face, 1-3 vertices a, b, c, 4-6 edges ab, bc, ca
_FACE, _VA, _VB, _VC, _EAB, _EBC, _ECA = range(7)


def closest_point_on_triangles(p: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray,
                               ) -> tuple[np.ndarray, np.ndarray]:
    """Closest points (N, 3) on triangles (a, b, c) (each (N, 3)) to points p (N, 3), and the feature code.

    The Voronoi-region walk of Ericson's Real-Time Collision Detection, vectorized.
    """
    ab, ac, ap = b - a, c - a, p - a
    d1, d2 = np.einsum("ij,ij->i", ab, ap), np.einsum("ij,ij->i", ac, ap)
    bp = p - b
    d3, d4 = np.einsum("ij,ij->i", ab, bp), np.einsum("ij,ij->i", ac, bp)
    cp = p - c
    d5, d6 = np.einsum("ij,ij->i", ab, cp), np.einsum("ij,ij->i", ac, cp)
    va, vb, vc = d3 * d6 - d5 * d4, d5 * d2 - d1 * d6, d1 * d4 - d3 * d2
    with np.errstate(divide="ignore", invalid="ignore"):
        t_ab = np.nan_to_num(d1 / (d1 - d3))
        t_ac = np.nan_to_num(d2 / (d2 - d6))
        t_bc = np.nan_to_num((d4 - d3) / ((d4 - d3) + (d5 - d6)))
        denom = va + vb + vc
        v_face = np.nan_to_num(vb / denom)
        w_face = np.nan_to_num(vc / denom)
    conditions = [
        (d1 <= 0) & (d2 <= 0),
        (d3 >= 0) & (d4 <= d3),
        (vc <= 0) & (d1 >= 0) & (d3 <= 0),
        (d6 >= 0) & (d5 <= d6),
        (vb <= 0) & (d2 >= 0) & (d6 <= 0),
        (va <= 0) & ((d4 - d3) >= 0) & ((d5 - d6) >= 0),
    ]
    feature = np.select(conditions, [_VA, _VB, _EAB, _VC, _ECA, _EBC], default=_FACE)
    v = np.select(conditions, [0.0, 1.0, t_ab, 0.0, 0.0, 1.0 - t_bc], default=v_face)
    w = np.select(conditions, [0.0, 0.0, 0.0, 1.0, t_ac, t_bc], default=w_face)
    return a + v[:, None] * ab + w[:, None] * ac, feature


def point_triangle_distance(p: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """(N,) distance from points p (N, 3) to triangles (a, b, c) (N, 3) each, row by row."""
    closest, _ = closest_point_on_triangles(p, a, b, c)
    return np.linalg.norm(p - closest, axis=1)
