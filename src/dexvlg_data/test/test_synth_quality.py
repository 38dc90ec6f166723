"""Q1: positive for contacts that enclose an object, zero without force closure, grows with friction."""

import numpy as np
import pytest

from dexvlg_data.synth.quality import q1_metric

FACES = np.array([[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]], dtype=float)


def test_six_face_contacts_on_a_cube_are_in_force_closure():
    points, normals = 0.03 * FACES, FACES
    q = q1_metric(points, normals, mu=0.1)
    assert q > 0.02  # face-centred contacts resist torque only through friction
    assert q1_metric(points, normals, mu=0.5) > q  # more friction, a bigger wrench space
    # Torques about the contacts' centroid with unit mean arms: the same grasp at any scale scores the same.
    assert q1_metric(10.0 * points + 1.0, normals, mu=0.5) == pytest.approx(q1_metric(points, normals, mu=0.5))


def test_contacts_on_one_side_or_frictionless_pair_have_no_closure():
    one_side = np.array([[0.03, y, z] for y in (-0.01, 0.01) for z in (-0.01, 0.01)])
    assert q1_metric(one_side, np.tile(FACES[0], (4, 1)), mu=0.3) == 0.0
    pair = 0.03 * FACES[:2]
    assert q1_metric(pair, FACES[:2], mu=0.0) == 0.0
    assert q1_metric(pair[:1], FACES[:1]) == 0.0  # a single contact
