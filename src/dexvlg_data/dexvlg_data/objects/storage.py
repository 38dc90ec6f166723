"""A PartObject on disk: ``mesh.ply`` (faces colored by part), ``parts.json`` (names, colors, category, source,
metadata), ``face_parts.npy``, and optionally ``collision.npz`` (the convex pieces' vertex arrays).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import trimesh

from dexvlg_data.objects.part_object import PartObject


def _plain(value: object) -> object:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def save_part_object(obj: PartObject, directory: str | Path, pieces: list[np.ndarray] | None = None) -> Path:
    """Write the object (and its collision pieces) into ``directory``; returns the directory."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    mesh = trimesh.Trimesh(obj.mesh.vertices, obj.mesh.faces, process=False)
    mesh.visual.face_colors = np.column_stack([obj.face_colors(), np.full(len(obj.face_parts), 255, np.uint8)])
    mesh.export(out / "mesh.ply")
    np.save(out / "face_parts.npy", obj.face_parts)
    info = {"object_id": obj.object_id, "category": obj.category, "part_names": list(obj.part_names),
            "part_colors": obj.part_colors.tolist(), "source": obj.source, "metadata": _plain(obj.metadata)}
    (out / "parts.json").write_text(json.dumps(info, indent=2) + "\n")
    if pieces is not None:
        np.savez(out / "collision.npz", count=len(pieces), **{f"hull{i}": p for i, p in enumerate(pieces)})
    return out


def load_part_object(directory: str | Path) -> tuple[PartObject, list[np.ndarray] | None]:
    """Read what ``save_part_object`` wrote: (object, collision pieces or None)."""
    path = Path(directory)
    info = json.loads((path / "parts.json").read_text())
    mesh = trimesh.load(path / "mesh.ply", process=False, force="mesh")
    obj = PartObject(info["object_id"], info["category"], trimesh.Trimesh(mesh.vertices, mesh.faces, process=False),
                     np.load(path / "face_parts.npy"), info["part_names"], np.asarray(info["part_colors"]),
                     info["source"], info["metadata"])
    pieces = None
    if (path / "collision.npz").is_file():
        with np.load(path / "collision.npz") as stored:
            pieces = [stored[f"hull{i}"] for i in range(int(stored["count"]))]
    return obj, pieces
