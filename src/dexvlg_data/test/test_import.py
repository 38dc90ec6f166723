"""Importing user meshes: repair, broken meshes with clear per-object errors, batches that go on, the report, the
CLI, and a real mesh shipped in a PyPI package through the whole path (CoACD included)."""

import argparse
import json
import struct

import numpy as np
import pytest
import trimesh

from dexvlg_core.sim.objects import DecompositionConfig
from dexvlg_data.objects.importer import (
    ImportConfig,
    ImportJob,
    add_parser,
    category_diagonal,
    import_mesh,
    import_meshes,
    run,
    up_rotation,
)
from dexvlg_data.objects.package_meshes import PACKAGE_MESHES, available_package_meshes, package_jobs
from dexvlg_data.objects.repair import MeshImportError, RepairConfig, repair_mesh
from dexvlg_data.objects.storage import load_part_object, save_part_object

HULL = DecompositionConfig(method="hull")  # fast and CoACD-free for the tests that are not about CoACD


def _fast(**kwargs) -> ImportConfig:
    return ImportConfig(decomposition=HULL, **kwargs)


def _mug_like() -> trimesh.Trimesh:
    """Two separately modelled pieces, one of them open where it meets the other (like many real meshes)."""
    body = trimesh.creation.cylinder(0.04, 0.1, sections=24)
    handle = trimesh.creation.box((0.05, 0.015, 0.012))
    handle.apply_translation((0.055, 0.0, 0.0))
    handle.update_faces(np.flatnonzero(handle.triangles_center[:, 0] > 0.0305))  # open where it enters the body
    return trimesh.util.concatenate([body, handle])


def _broken() -> dict[str, trimesh.Trimesh]:
    rng = np.random.default_rng(0)
    box = trimesh.creation.box((0.1, 0.1, 0.1))
    nan = box.copy()
    nan.vertices[3] = [np.nan, 0.0, 0.0]
    flat = trimesh.Trimesh([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], [[0, 1, 2], [0, 2, 3]], process=False)
    triangles = rng.uniform(size=(400, 3, 3))
    soup = trimesh.Trimesh(triangles.reshape(-1, 3), np.arange(1200).reshape(-1, 3), process=False)
    faces = rng.integers(0, 40, size=(300, 3))
    distinct = (faces[:, 0] != faces[:, 1]) & (faces[:, 1] != faces[:, 2]) & (faces[:, 0] != faces[:, 2])
    tangle = trimesh.Trimesh(rng.uniform(size=(40, 3)), faces[distinct], process=False)  # non-manifold tangle
    huge = trimesh.Trimesh(box.vertices, np.zeros((5_000_000, 3), dtype=np.int32), process=False)
    return {"empty": trimesh.Trimesh(), "nan": nan, "flat": flat, "soup": soup, "tangle": tangle, "huge": huge}


EXPECTED_CODES = {"empty": "empty", "nan": "non-finite", "flat": "zero-volume", "soup": "soup",
                  "tangle": ("soup", "unrepairable", "shape-changed"), "huge": "too-many-faces"}


@pytest.mark.parametrize("name", sorted(EXPECTED_CODES))
def test_broken_mesh_gives_a_clear_error(name):
    with pytest.raises(MeshImportError) as caught:
        import_mesh(_broken()[name], "thing", config=_fast())
    codes = EXPECTED_CODES[name]
    assert caught.value.code in (codes if isinstance(codes, tuple) else (codes,)), str(caught.value)
    assert caught.value.reason  # a sentence, not just a code


def test_huge_file_is_refused_before_loading(tmp_path):
    path = tmp_path / "huge.stl"
    path.write_bytes(b"\0" * 80 + struct.pack("<I", 5_000_000) + b"\0" * 100)  # header claims 5M triangles
    with pytest.raises(MeshImportError) as caught:
        import_mesh(path, config=_fast())
    assert caught.value.code == "too-many-faces" and "5,000,000" in caught.value.reason
    obj = tmp_path / "huge.obj"
    obj.write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\n" + "f 1 2 3\n" * 2_600_000)  # counted, not parsed
    with pytest.raises(MeshImportError) as caught:
        import_mesh(obj, config=_fast())
    assert caught.value.code == "too-many-faces" and caught.value.stage == "load"


def test_repair_closes_open_pieces_and_remembers_their_source():
    repaired, source, info = repair_mesh(_mug_like())
    assert repaired.is_watertight and repaired.is_winding_consistent and repaired.volume > 0
    assert info.components_in == 2 and info.components_fixed == 1
    assert set(np.unique(source)) == {0, 1}
    assert info.coverage > 0.95


def test_repair_refuses_when_much_of_the_surface_cannot_be_closed():
    with pytest.raises(MeshImportError):
        repair_mesh(_broken()["soup"], RepairConfig(max_dropped_area=0.1))


def test_batch_goes_on_and_reports_rejections(tmp_path):
    good = tmp_path / "mug.obj"
    _mug_like().export(good)
    (tmp_path / "garbage.ply").write_text("this is not a mesh\n")
    jobs = [ImportJob(m, category="thing", object_id=name) for name, m in _broken().items() if name != "huge"]
    jobs = [ImportJob(good), *jobs, ImportJob(tmp_path / "garbage.ply"), ImportJob(tmp_path / "missing.obj")]
    objects, report = import_meshes(jobs, _fast())
    assert [o.obj.object_id for o in objects] == ["mug"]
    assert len(report.records) == len(jobs) and len(report.rejected) == len(jobs) - 1
    counts = report.rejection_counts()
    assert counts["empty"] == 1 and counts["non-finite"] == 1 and counts["zero-volume"] == 1 and counts["missing"] == 1
    json_path, text_path = report.write(tmp_path / "out")
    data = json.loads(json_path.read_text())
    assert data["summary"]["rejected"] == len(jobs) - 1
    assert {r["code"] for r in data["records"] if r["status"] == "rejected"} >= {"empty", "non-finite", "zero-volume"}
    text = text_path.read_text()
    assert "REJECTED  nan" in text and "non-finite" in text and "ok        mug" in text


def test_imported_object_is_upright_scaled_and_labeled():
    imported = import_mesh(_mug_like(), "mug", config=_fast())
    obj = imported.obj
    assert obj.mesh.is_watertight
    assert 0.2 <= obj.diagonal <= 0.5  # the reference range
    assert np.allclose(obj.mesh.bounds.mean(axis=0), 0.0, atol=1e-9)
    assert len(obj.part_names) == len(set(obj.part_names)) >= 2
    assert "handle" in obj.part_names
    assert obj.metadata["up"] == (0.0, 0.0, 1.0)
    assert set(imported.timings) >= {"load", "repair", "simplify", "decompose", "segment", "name"}


def test_size_and_up_axis():
    box = trimesh.creation.box((0.1, 0.4, 0.2))  # tallest along y, as in a y-up file
    obj = import_mesh(box, "block", config=_fast(size=0.3, up_axis="y")).obj
    assert obj.diagonal == pytest.approx(0.3)
    assert np.argmax(obj.mesh.extents) == 2
    kept = import_mesh(box, "block", config=_fast(size=1.0, normalize_diagonal=False)).obj
    assert kept.diagonal == pytest.approx(1.0)
    assert np.allclose(up_rotation("-z") @ [0, 0, -1], [0, 0, 1])
    assert category_diagonal("mug") == pytest.approx(0.15)  # from the procedural family's real size
    assert category_diagonal("never heard of it") == pytest.approx(0.25)


def test_glb_is_y_up_and_colors_come_from_the_mesh(tmp_path):
    box = trimesh.creation.box((0.1, 0.3, 0.1))
    box.visual.face_colors = [200, 30, 30, 255]
    path = tmp_path / "tall.glb"
    box.export(path)
    obj = import_mesh(path, "block", config=_fast()).obj
    assert np.argmax(obj.mesh.extents) == 2  # glTF's +y became +z
    assert obj.metadata["colors"] == "mesh"
    assert np.allclose(obj.part_colors[0], [200, 30, 30], atol=2)


def test_simplify_above_the_face_budget():
    sphere = trimesh.creation.icosphere(5, 0.1)  # 20480 faces
    obj = import_mesh(sphere, "ball", config=_fast(face_budget=2000)).obj
    assert len(obj.mesh.faces) <= 2000 and obj.mesh.is_watertight


def test_storage_round_trip(tmp_path):
    imported = import_mesh(_mug_like(), "mug", config=_fast())
    save_part_object(imported.obj, tmp_path / "mug", imported.pieces)
    obj, pieces = load_part_object(tmp_path / "mug")
    assert obj.part_names == imported.obj.part_names
    assert np.array_equal(obj.face_parts, imported.obj.face_parts)
    assert np.allclose(obj.mesh.vertices, imported.obj.mesh.vertices, atol=1e-6)
    assert len(pieces) == len(imported.pieces)


def test_cli_imports_a_folder_and_writes_the_report(tmp_path, capsys):
    meshes = tmp_path / "meshes"
    meshes.mkdir()
    _mug_like().export(meshes / "mug.obj")
    (meshes / "broken.stl").write_bytes(b"\0" * 80 + struct.pack("<I", 3_000_000))
    parser = argparse.ArgumentParser(prog="dexvlg")
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["import-meshes", str(meshes), "--out", str(tmp_path / "out"), "--no-decompose"])
    assert args.func is run
    assert run(args) == 1  # one rejected
    out = tmp_path / "out"
    assert (out / "mug" / "parts.json").is_file() and (out / "mug" / "mesh.ply").is_file()
    report = json.loads((out / "import_report.json").read_text())
    assert report["summary"] == {**report["summary"], "imported": 1, "rejected": 1}
    assert "too-many-faces" in (out / "import_report.txt").read_text()
    assert "rejected" in capsys.readouterr().out


# ------------------------------------------------------------ real package meshes, CoACD in a child process


@pytest.fixture(scope="module")
def coacd_cache(tmp_path_factory):
    return DecompositionConfig(cache_dir=str(tmp_path_factory.mktemp("convex")))


def _package(name):
    found = available_package_meshes([name])
    if not found:
        pytest.skip(f"the package holding {name} is not installed")
    return found[0]


def test_package_mesh_list_is_complete():
    names = {m.name for m in PACKAGE_MESHES}
    assert {"mug", "duck", "teddy", "bottle", "can", "milk", "cereal", "bread", "lemon"} <= names
    assert all(job.source.is_file() for job in package_jobs())


def test_real_package_mesh_imports_with_coacd(coacd_cache):
    bottle = _package("bottle")
    imported = import_mesh(bottle.file(), bottle.category, object_id=bottle.object_id,
                           config=ImportConfig(decomposition=coacd_cache, size=bottle.diagonal))
    obj = imported.obj
    assert imported.decomposition_method == "coacd" and 1 <= len(imported.pieces) <= 200
    assert obj.mesh.is_watertight and 0.2 <= obj.diagonal <= 0.5
    assert obj.part_names[0] == "body" and "cap" in obj.part_names  # its cap is modelled apart, on top
    for piece in imported.pieces:  # the collision pieces are in the object frame
        assert np.all(piece.min(axis=0) >= obj.mesh.bounds[0] - 0.01)
        assert np.all(piece.max(axis=0) <= obj.mesh.bounds[1] + 0.01)


def test_too_many_pieces_is_rejected(coacd_cache):
    bottle = _package("bottle")  # CoACD makes 2 pieces (cached by the previous test)
    with pytest.raises(MeshImportError) as caught:
        import_mesh(bottle.file(), bottle.category, config=ImportConfig(decomposition=coacd_cache, max_pieces=1,
                                                                         size=bottle.diagonal))
    assert caught.value.code == "too-many-pieces"


def test_a_mesh_that_aborts_coacd_is_decomposed_without_its_preprocessing(coacd_cache):
    # CoACD 1.0.14 aborts (a C++ assertion in its manifold preprocessing) on pybullet's lego brick. The abort
    # happens in a child process (dexvlg_core.sim.objects), and the watertight brick is decomposed again without
    # the preprocessing: both meshes of the batch are imported. (A crash that cannot be recovered is a MeshError
    # there: test_sim_objects.)
    lego = _package("lego")
    bottle = _package("bottle")
    jobs = [ImportJob(lego.file(), category=lego.category), ImportJob(bottle.file(), category=bottle.category)]
    objects, report = import_meshes(jobs, ImportConfig(decomposition=coacd_cache))
    assert [o.obj.category for o in objects] == [lego.category, "bottle"] and not report.rejected
    brick = objects[0]
    assert 1 <= len(brick.pieces) <= 200
    for piece in brick.pieces:  # the pieces lie on the brick, in its frame
        assert np.all(piece.min(axis=0) >= brick.obj.mesh.bounds[0] - 0.01)
        assert np.all(piece.max(axis=0) <= brick.obj.mesh.bounds[1] + 0.01)


def test_a_decomposition_past_its_time_limit_rejects_that_mesh_and_the_batch_goes_on(tmp_path):
    # decomposition_timeout reaches dexvlg_core's CoACD child: 0.05 s kills it before it can start. The mesh is
    # rejected with code "timeout"; the next one, with the convex-hull method, is imported.
    box = trimesh.creation.box(extents=(0.05, 0.04, 0.03))
    jobs = [ImportJob(box, category="box", object_id="slow"), ImportJob(box, category="box", object_id="fast")]
    fresh_cache = DecompositionConfig(cache_dir=str(tmp_path))
    objects, report = import_meshes(jobs[:1], ImportConfig(decomposition=fresh_cache, decomposition_timeout=0.05))
    more, report = import_meshes(jobs[1:], _fast(), report=report)
    assert not objects and [o.obj.object_id for o in more] == ["fast"]
    (rejected,) = report.rejected
    assert (rejected.name, rejected.stage, rejected.code) == ("slow", "decompose", "timeout")
    assert "ran past 0.05 s" in rejected.reason


def test_a_decomposition_that_crashes_on_every_try_rejects_that_mesh_as_crashed(tmp_path, monkeypatch):
    # Both CoACD children (with and without its preprocessing) die: the mesh is rejected with code "crashed".
    from dexvlg_core.sim import objects as sim_objects

    def dies(vertices, faces, config, preprocess, timeout):
        raise sim_objects._CoacdChildError("killed by signal 6")

    monkeypatch.setattr(sim_objects, "_coacd_in_child", dies)
    box = trimesh.creation.box(extents=(0.05, 0.04, 0.03))
    config = ImportConfig(decomposition=DecompositionConfig(cache_dir=str(tmp_path)))
    objects, report = import_meshes([ImportJob(box, category="box", object_id="brittle")], config)
    (rejected,) = report.rejected
    assert not objects and (rejected.stage, rejected.code) == ("decompose", "crashed")
    assert "preprocess auto: killed by signal 6; preprocess off: killed by signal 6" in rejected.reason
