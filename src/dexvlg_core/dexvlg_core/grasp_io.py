"""Grasp tables: many grasps as columns (Apache Arrow) and files (Parquet), for millions of rows.

Schema (one row per grasp): object_id, part, style, frame_id, caption (strings, dictionary-encoded where they
repeat); position (3 x float32, m), quat_xyzw (4 x float32); joints, pregrasp, squeeze (22 x float32 rad, the last
two null when absent); contact_fingers (list of names); score (float32); scores (map name -> float32).
float32 keeps positions to ~0.1 um and angles to ~1e-7 rad at half the size of float64.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from dexvlg_core.files import atomic_path
from dexvlg_core.grasp import Grasp
from dexvlg_core.hand.joints import NUM_JOINTS
from dexvlg_core.rotations import matrix_to_quat_xyzw, quat_xyzw_to_matrix

_STRING_COLUMNS = ("object_id", "part", "style", "frame_id", "caption")
SCHEMA = pa.schema(
    [
        *(pa.field(name, pa.dictionary(pa.int32(), pa.string())) for name in _STRING_COLUMNS[:-1]),
        pa.field("caption", pa.string()),
        pa.field("position", pa.list_(pa.float32(), 3)),
        pa.field("quat_xyzw", pa.list_(pa.float32(), 4)),
        pa.field("joints", pa.list_(pa.float32(), NUM_JOINTS)),
        pa.field("pregrasp", pa.list_(pa.float32(), NUM_JOINTS), nullable=True),
        pa.field("squeeze", pa.list_(pa.float32(), NUM_JOINTS), nullable=True),
        pa.field("contact_fingers", pa.list_(pa.string())),
        pa.field("score", pa.float32()),
        pa.field("scores", pa.map_(pa.string(), pa.float32())),
    ]
)


def _fixed(values: np.ndarray, size: int, missing: np.ndarray | None = None) -> pa.FixedSizeListArray:
    flat = pa.array(np.ascontiguousarray(values, dtype=np.float32).reshape(-1))
    mask = pa.array(missing) if missing is not None and missing.any() else None
    return pa.FixedSizeListArray.from_arrays(flat, size, mask=mask)


def _optional_postures(grasps: list[Grasp], name: str) -> tuple[np.ndarray, np.ndarray]:
    values = np.zeros((len(grasps), NUM_JOINTS), np.float32)
    missing = np.zeros(len(grasps), bool)
    for i, grasp in enumerate(grasps):
        posture = getattr(grasp, name)
        if posture is None:
            missing[i] = True
        else:
            values[i] = posture
    return values, missing


def grasps_to_table(grasps: Iterable[Grasp]) -> pa.Table:
    """Arrow table of grasps in :data:`SCHEMA`."""
    grasps = list(grasps)
    rotations = np.array([g.rotation for g in grasps]).reshape(-1, 3, 3)
    pregrasp, no_pregrasp = _optional_postures(grasps, "pregrasp")
    squeeze, no_squeeze = _optional_postures(grasps, "squeeze")
    columns = {
        **{name: pa.array([getattr(g, name) for g in grasps], pa.string()).dictionary_encode()
           for name in _STRING_COLUMNS[:-1]},
        "caption": pa.array([g.caption for g in grasps], pa.string()),
        "position": _fixed(np.array([g.position for g in grasps]), 3),
        "quat_xyzw": _fixed(matrix_to_quat_xyzw(rotations) if grasps else np.zeros((0, 4)), 4),
        "joints": _fixed(np.array([g.joints for g in grasps]), NUM_JOINTS),
        "pregrasp": _fixed(pregrasp, NUM_JOINTS, no_pregrasp),
        "squeeze": _fixed(squeeze, NUM_JOINTS, no_squeeze),
        "contact_fingers": pa.array([list(g.contact_fingers) for g in grasps], pa.list_(pa.string())),
        "score": pa.array([g.score for g in grasps], pa.float32()),
        "scores": pa.array([list(g.scores.items()) for g in grasps], pa.map_(pa.string(), pa.float32())),
    }
    return pa.table(columns).cast(SCHEMA)


def _fixed_to_numpy(column: pa.ChunkedArray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """(N, size) float64 values and the (N,) null mask of a fixed-size-list column."""
    array = column.combine_chunks()
    nulls = np.asarray(array.is_null().to_numpy(zero_copy_only=False), bool)
    values = np.asarray(array.flatten().to_numpy(zero_copy_only=False), np.float64)
    if nulls.any():  # flatten() skips null slots: put the values back in their rows
        full = np.zeros((len(array), size))
        full[~nulls] = values.reshape(-1, size)
        return full, nulls
    return values.reshape(-1, size), nulls


def table_arrays(table: pa.Table) -> dict[str, np.ndarray]:
    """The numeric columns as numpy arrays, for batch work without Grasp objects.

    Keys: position (N, 3), rotation (N, 3, 3), joints (N, 22), and pregrasp/squeeze (N, 22) when present in
    every row (NaN rows where a grasp lacks them).
    """
    arrays = {
        "position": _fixed_to_numpy(table["position"], 3)[0],
        "rotation": quat_xyzw_to_matrix(_fixed_to_numpy(table["quat_xyzw"], 4)[0]),
        "joints": _fixed_to_numpy(table["joints"], NUM_JOINTS)[0],
    }
    for name in ("pregrasp", "squeeze"):
        values, nulls = _fixed_to_numpy(table[name], NUM_JOINTS)
        values[nulls] = np.nan
        arrays[name] = values
    return arrays


def table_to_grasps(table: pa.Table) -> list[Grasp]:
    """Grasp objects from a table in :data:`SCHEMA` (or a subset of rows of one)."""
    if table.num_rows == 0:
        return []
    arrays = table_arrays(table)
    meta = {name: table[name].to_pylist() for name in (*_STRING_COLUMNS, "contact_fingers", "score", "scores")}
    grasps = []
    for i in range(table.num_rows):
        pregrasp, squeeze = arrays["pregrasp"][i], arrays["squeeze"][i]
        grasps.append(
            Grasp(
                position=arrays["position"][i],
                rotation=arrays["rotation"][i],
                joints=arrays["joints"][i],
                pregrasp=None if np.isnan(pregrasp).any() else pregrasp,
                squeeze=None if np.isnan(squeeze).any() else squeeze,
                **{name: meta[name][i] or "" for name in _STRING_COLUMNS},
                contact_fingers=tuple(meta["contact_fingers"][i]),
                score=float("nan") if meta["score"][i] is None else float(meta["score"][i]),
                scores=dict(meta["scores"][i] or []),
            )
        )
    return grasps


def write_grasps(path: str | Path, grasps: Iterable[Grasp] | pa.Table, compression: str = "zstd") -> Path:
    """Write a Parquet file atomically: readers never see a half-written file, a killed writer leaves none."""
    path = Path(path)
    table = grasps if isinstance(grasps, pa.Table) else grasps_to_table(grasps)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression=compression)
    return path


def read_grasps_table(path: str | Path, columns: list[str] | None = None, filters=None) -> pa.Table:
    """Read a grasp file (or a directory of shards) as an Arrow table; ``filters`` as in pyarrow.parquet."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no grasp table at {path}")
    return pq.read_table(path, columns=columns, filters=filters, schema=SCHEMA if path.is_dir() else None)


def read_grasps(path: str | Path, filters=None) -> list[Grasp]:
    """Read grasps as Grasp objects."""
    return table_to_grasps(read_grasps_table(path, filters=filters))
