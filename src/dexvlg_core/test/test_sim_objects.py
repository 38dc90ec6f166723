"""SimObject loading: convex decomposition, its disk cache, part labels and clear errors for broken meshes."""

from pathlib import Path

import numpy as np
import pytest
import trimesh

from dexvlg_core.sim import objects
from dexvlg_core.sim.objects import DecompositionConfig, MeshError, load_object


@pytest.fixture
def decomposition(tmp_path):
    return DecompositionConfig(cache_dir=str(tmp_path / "convex"))


def test_box_decomposes_into_one_exact_hull_and_is_cached(decomposition, monkeypatch):
    box = trimesh.creation.box(extents=(0.05, 0.04, 0.03))
    obj = load_object(box, name="box", config=decomposition)
    assert obj.method == "coacd" and len(obj.hulls) == 1
    hull = trimesh.convex.convex_hull(obj.hulls[0])
    assert hull.volume == pytest.approx(0.05 * 0.04 * 0.03, rel=1e-3)  # a convex input stays itself
    assert len(list(Path(decomposition.cache_dir).glob("*.npz"))) == 1

    # Second load: read from the cache, CoACD not called again.
    def boom(*args, **kwargs):
        raise AssertionError("decomposition recomputed despite the cache")

    monkeypatch.setattr(objects, "_decompose", boom)
    again = load_object(box, name="box", config=decomposition)
    assert again.key == obj.key and np.array_equal(again.hulls[0], obj.hulls[0])


def l_prism(arm: float = 0.08, width: float = 0.02, height: float = 0.02) -> trimesh.Trimesh:
    """A watertight L-shaped prism (concave)."""
    poly = np.array([(0, 0), (arm, 0), (arm, width), (width, width), (width, arm), (0, arm)], float)
    n = len(poly)
    vertices = np.vstack([np.c_[poly, np.zeros(n)], np.c_[poly, np.full(n, height)]])
    caps = [(0, 1, 2), (0, 2, 3), (0, 3, 4), (0, 4, 5)]
    faces = [(c, b, a) for a, b, c in caps] + [(a + n, b + n, c + n) for a, b, c in caps]
    for i in range(n):
        j = (i + 1) % n
        faces += [(i, j, j + n), (i, j + n, i + n)]
    mesh = trimesh.Trimesh(vertices, faces)
    mesh.fix_normals()
    return mesh


def test_concave_object_gets_several_pieces(decomposition):
    ell = l_prism()
    assert ell.is_watertight
    obj = load_object(ell, config=decomposition)
    assert len(obj.hulls) >= 2
    # The pieces cover the L and not its notch: total hull volume close to the L's, far below its hull's.
    volume = sum(trimesh.convex.convex_hull(h).volume for h in obj.hulls)
    assert volume == pytest.approx(ell.volume, rel=0.1) and volume < 0.8 * ell.convex_hull.volume


def test_a_coacd_crash_is_a_mesh_error_not_the_end_of_the_process():
    # Out-of-range face indices make CoACD segfault (as it aborts on some real meshes): it runs in a child, so
    # the caller gets a MeshError naming the signal, and goes on. An open mesh gets one try (it needs CoACD's
    # preprocessing); a watertight one a second without the preprocessing.
    vertices = np.random.default_rng(0).random((8, 3))
    faces = np.array([[0, 1, 2], [0, 2, 10**6], [1, 2, 3]])
    with pytest.raises(objects.DecompositionCrashError,
                       match=r"CoACD crashed on this mesh \(preprocess auto: killed by signal 11\)$"):
        objects._decompose(vertices, faces, DecompositionConfig(), "coacd")


def test_after_a_crash_a_watertight_mesh_is_decomposed_without_preprocessing(monkeypatch):
    # The real abort (CoACD's preprocessing on a procedural lamp) takes minutes to reach; here the first try's
    # child is made to crash and the second runs for real.
    real, tries = objects._coacd_in_child, []

    def crash_with_preprocessing(vertices, faces, config, preprocess, timeout):
        tries.append(preprocess)
        if preprocess == "auto":
            raise objects._CoacdChildError("killed by signal 6")
        return real(vertices, faces, config, preprocess, timeout)

    monkeypatch.setattr(objects, "_coacd_in_child", crash_with_preprocessing)
    box = trimesh.creation.box(extents=(0.05, 0.04, 0.03))
    hulls = objects._decompose(np.asarray(box.vertices), np.asarray(box.faces), DecompositionConfig(), "coacd")
    assert tries == ["auto", "off"] and len(hulls) == 1
    volume = trimesh.convex.convex_hull(hulls[0]).volume
    assert volume == pytest.approx(0.05 * 0.04 * 0.03, rel=1e-3)


def test_a_coacd_run_past_its_time_limit_is_killed_and_not_retried(monkeypatch):
    # A child that cannot finish within the limit (here 0.05 s: not even Python starts) is killed; the caller
    # gets a DecompositionTimeoutError (a MeshError) at once, without the second, preprocessing-free try that
    # a crash gets.
    real, tries = objects._coacd_in_child, []

    def counted(vertices, faces, config, preprocess, timeout):
        tries.append(preprocess)
        return real(vertices, faces, config, preprocess, timeout)

    monkeypatch.setattr(objects, "_coacd_in_child", counted)
    box = trimesh.creation.box(extents=(0.05, 0.04, 0.03))
    with pytest.raises(objects.DecompositionTimeoutError, match="ran past 0.05 s"):
        objects._decompose(np.asarray(box.vertices), np.asarray(box.faces), DecompositionConfig(), "coacd", 0.05)
    assert tries == ["auto"]


def test_part_labels_by_name_and_index(decomposition):
    box = trimesh.creation.box(extents=(0.05, 0.05, 0.05))
    top = box.face_normals[:, 2] > 0.5
    names = np.where(top, "lid", "body")
    obj = load_object(box, face_parts=names, config=decomposition)
    assert set(obj.part_names) == {"lid", "body"}
    assert (np.array(obj.part_names)[obj.face_parts] == names).all()
    by_index = load_object(box, face_parts=top.astype(int), part_names=("body", "lid"), config=decomposition)
    assert by_index.part_index("lid") == 1 and len(by_index.part_triangles()[1]) == top.sum()
    with pytest.raises(MeshError, match="part labels"):
        load_object(box, face_parts=np.zeros(3, int), config=decomposition)


def test_broken_meshes_raise_clear_errors(tmp_path, decomposition):
    with pytest.raises(MeshError, match="does not exist"):
        load_object(tmp_path / "missing.obj", config=decomposition)
    garbage = tmp_path / "garbage.stl"
    garbage.write_bytes(b"\x00\x01 not a mesh at all" * 3)
    with pytest.raises(MeshError, match="garbage"):
        load_object(garbage, config=decomposition)
    with pytest.raises(MeshError, match="empty"):
        load_object(trimesh.Trimesh(np.zeros((0, 3)), np.zeros((0, 3), int)), config=decomposition)
    box = trimesh.creation.box(extents=(0.05, 0.05, 0.05))
    nan = trimesh.Trimesh(np.where(np.arange(8)[:, None] == 3, np.nan, box.vertices), box.faces, process=False)
    with pytest.raises(MeshError, match="non-finite"):
        load_object(nan, config=decomposition)
    flat = trimesh.Trimesh([[0, 0, 0], [0.05, 0, 0], [0, 0.05, 0], [0.05, 0.05, 0]], [[0, 1, 2], [1, 3, 2]])
    with pytest.raises(MeshError, match="flat"):
        load_object(flat, config=decomposition)


def test_hull_fallback_without_coacd(decomposition, monkeypatch):
    monkeypatch.setattr(objects, "_coacd_available", lambda: False)
    sphere = trimesh.creation.icosphere(subdivisions=2, radius=0.03)
    with pytest.warns(UserWarning, match="coacd is not installed"):
        obj = load_object(sphere, config=decomposition)
    assert obj.method == "hull" and len(obj.hulls) == 1
