import numpy as np
import pytest
import trimesh

from dexvlg_data.objects import PartObject


def two_part_box() -> PartObject:
    mesh = trimesh.creation.box((0.1, 0.1, 0.2))
    top = mesh.triangles_center[:, 2] > 0.05
    return PartObject("box-00000", "box", mesh, top.astype(int), ("body", "lid"), [[200, 0, 0], [0, 0, 200]])


def test_parts_colors_and_submeshes():
    obj = two_part_box()
    assert obj.part_index("lid") == 1
    lid = obj.part_mesh("lid")
    assert np.all(lid.triangles_center[:, 2] > 0.05)
    colors = obj.face_colors()
    assert colors.shape == (len(obj.mesh.faces), 3) and set(map(tuple, colors)) == {(200, 0, 0), (0, 0, 200)}
    assert obj.diagonal == pytest.approx(np.sqrt(0.01 + 0.01 + 0.04))


def test_unknown_part_names_the_parts():
    with pytest.raises(KeyError, match="no part 'handle'.*body.*lid"):
        two_part_box().part_index("handle")


@pytest.mark.parametrize("face_parts, colors, message", [
    (np.zeros(3, int), [[0, 0, 0], [1, 1, 1]], "face labels for"),
    (np.full(12, 2), [[0, 0, 0], [1, 1, 1]], "outside"),
    (np.zeros(12, int), [[0, 0, 0]], "colors for"),
])
def test_inconsistent_labels_are_rejected(face_parts, colors, message):
    with pytest.raises(ValueError, match=message):
        PartObject("x", "box", trimesh.creation.box(), face_parts, ("a", "b"), colors)
