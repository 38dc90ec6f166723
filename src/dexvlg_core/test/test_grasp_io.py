import numpy as np
import pyarrow.parquet as pq
import pytest
from scipy.spatial.transform import Rotation

from dexvlg_core.grasp import Grasp
from dexvlg_core.grasp_io import (
    SCHEMA,
    grasps_to_table,
    read_grasps,
    read_grasps_table,
    table_arrays,
    table_to_grasps,
    write_grasps,
)


def make_grasps(n: int, seed: int = 0) -> list[Grasp]:
    rng = np.random.default_rng(seed)
    rotations = Rotation.random(n, random_state=seed).as_matrix()
    grasps = []
    for i in range(n):
        grasps.append(Grasp(
            position=rng.normal(size=3) * 0.1,
            rotation=rotations[i],
            joints=rng.uniform(0, 1, 22),
            pregrasp=None if i % 3 == 0 else rng.uniform(0, 0.3, 22),
            squeeze=rng.uniform(0, 1.2, 22) if i % 2 else None,
            object_id=f"mug_{i % 4}",
            part="handle" if i % 2 else "body",
            style="wrap" if i % 2 else "pinch",
            contact_fingers=("thumb", "index") if i % 2 else (),
            caption=f"Grasp the handle of the mug_{i % 4} object" if i % 2 else "",
            score=float(i),
            scores={"q1": 0.1 * i, "penetration_mm": 1.5} if i % 2 else {},
        ))
    return grasps


def assert_same(a: Grasp, b: Grasp):
    np.testing.assert_allclose(a.position, b.position, atol=1e-7)
    np.testing.assert_allclose(a.rotation, b.rotation, atol=1e-6)
    np.testing.assert_allclose(a.joints, b.joints, atol=1e-6)
    for name in ("pregrasp", "squeeze"):
        x, y = getattr(a, name), getattr(b, name)
        assert (x is None) == (y is None), name
        if x is not None:
            np.testing.assert_allclose(x, y, atol=1e-6)
    assert (a.object_id, a.part, a.style, a.caption, a.contact_fingers) == (
        b.object_id, b.part, b.style, b.caption, b.contact_fingers)
    assert a.score == pytest.approx(b.score)
    assert a.scores == pytest.approx(b.scores)


def test_table_round_trip_keeps_everything():
    grasps = make_grasps(30)
    table = grasps_to_table(grasps)
    assert table.schema.equals(SCHEMA) and table.num_rows == 30
    for a, b in zip(grasps, table_to_grasps(table), strict=True):
        assert_same(a, b)


def test_parquet_file_round_trip_and_filters(tmp_path):
    grasps = make_grasps(40)
    path = write_grasps(tmp_path / "shard-00000.parquet", grasps)
    assert not list(tmp_path.glob(".*.tmp"))  # the atomic write left no temporary file
    for a, b in zip(grasps, read_grasps(path), strict=True):
        assert_same(a, b)
    handles = read_grasps_table(path, filters=[("part", "=", "handle")])
    assert handles.num_rows == 20


def test_directory_of_shards_reads_as_one_table(tmp_path):
    write_grasps(tmp_path / "a.parquet", make_grasps(5, seed=1))
    write_grasps(tmp_path / "b.parquet", make_grasps(7, seed=2))
    assert read_grasps_table(tmp_path).num_rows == 12


def test_table_arrays_are_vectorized_views():
    grasps = make_grasps(10)
    arrays = table_arrays(grasps_to_table(grasps))
    assert arrays["position"].shape == (10, 3) and arrays["rotation"].shape == (10, 3, 3)
    assert np.isnan(arrays["pregrasp"][0]).all() and not np.isnan(arrays["pregrasp"][1]).any()
    np.testing.assert_allclose(arrays["joints"], [g.joints for g in grasps], atol=1e-6)


def test_empty_and_missing(tmp_path):
    assert table_to_grasps(grasps_to_table([])) == []
    with pytest.raises(FileNotFoundError, match="no grasp table"):
        read_grasps(tmp_path / "missing.parquet")


def test_a_million_rows_stay_small(tmp_path):
    """Columnar storage: 1M grasps write, read and convert to arrays quickly, at < 150 bytes per grasp."""
    import pyarrow as pa

    n = 1_000_000
    rng = np.random.default_rng(0)
    rotations = Rotation.random(1000, random_state=0).as_quat()
    table = pa.table({
        "object_id": pa.array(np.char.add("obj_", (np.arange(n) % 1000).astype(str))).dictionary_encode(),
        "part": pa.array(np.where(np.arange(n) % 2, "handle", "body")).dictionary_encode(),
        "style": pa.array(np.where(np.arange(n) % 2, "wrap", "pinch")).dictionary_encode(),
        "frame_id": pa.array([""] * n).dictionary_encode(),
        "caption": pa.array([""] * n),
        "position": pa.FixedSizeListArray.from_arrays(pa.array(rng.normal(size=3 * n).astype(np.float32)), 3),
        "quat_xyzw": pa.FixedSizeListArray.from_arrays(
            pa.array(np.tile(rotations, (n // 1000, 1)).reshape(-1).astype(np.float32)), 4),
        "joints": pa.FixedSizeListArray.from_arrays(
            pa.array(np.round(rng.uniform(0, 1.5, 22 * n), 3).astype(np.float32)), 22),
        "pregrasp": pa.nulls(n, pa.list_(pa.float32(), 22)),
        "squeeze": pa.nulls(n, pa.list_(pa.float32(), 22)),
        "contact_fingers": pa.array([[]] * n, pa.list_(pa.string())),
        "score": pa.array(rng.random(n).astype(np.float32)),
        "scores": pa.array([[]] * n, pa.map_(pa.string(), pa.float32())),
    }).cast(SCHEMA)
    path = write_grasps(tmp_path / "big.parquet", table)
    assert path.stat().st_size / n < 150
    back = read_grasps_table(path, columns=["joints"])
    assert back.num_rows == n
    assert pq.ParquetFile(path).metadata.num_rows == n
