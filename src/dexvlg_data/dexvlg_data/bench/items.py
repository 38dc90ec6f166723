"""Benchmark items: which object, resting how, seen from where, asked to grasp which part, in which words.

Three splits, as in the reference protocol:
- ``seen``: seen categories, unseen instances (procedural seeds reserved for held-out instances);
- ``unseen``: categories never generated for training;
- ``other_seg``: real meshes shipped inside PyPI packages, segmented and named by our own segmenter.

An item is a pure function of the spec: the objects of a split are drawn from the spec seed, each rests in its most
frequent stable pose (drop search, deterministic and cached), the camera view is drawn from the item seed, and a part
becomes an item when the camera sees it (``min_part_points`` of the cloud) and the table does not hide it. Every
item also comes in a contact-mode variant, "... with contact on {fingers}" (CMA). The cloud is not stored: it is
rendered again from (object, pose, view, seed) whenever needed, the same in any process.
"""

from __future__ import annotations

import hashlib
import json
import re
import zlib
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from dexvlg_core.files import write_text_atomic
from dexvlg_core.sim import SimObject, load_object
from dexvlg_data.objects import PartObject
from dexvlg_data.objects.families.splits import split_members
from dexvlg_data.scenes.instructions import reference_instruction
from dexvlg_data.scenes.placement import hidden_fractions
from dexvlg_data.scenes.render import RenderConfig, RenderedView, render_view
from dexvlg_data.scenes.stable import StablePoseConfig, StablePoses, find_stable_poses
from dexvlg_data.synth.driver import ObjectRef

BENCH_VERSION = 1
SPLITS: tuple[str, ...] = ("seen", "unseen", "other_seg")
SPLIT_TITLES = {"seen": "Seen categories, unseen objects", "unseen": "Unseen categories",
                "other_seg": "Real meshes, our segmentation"}
# Contact sets of the contact-mode items: the reference's pinch (thumb, index, middle) and a whole-hand wrap.
CONTACT_SETS: tuple[tuple[str, ...], ...] = (("index", "middle", "thumb"), ("index", "middle", "ring", "thumb", "palm"))


@dataclass(frozen=True)
class BenchSpec:
    """Everything that decides the items. Same spec, same items, on any machine."""

    version: int = BENCH_VERSION
    seed: int = 0
    splits: tuple[str, ...] = SPLITS
    objects_per_split: int = 8
    views_per_object: int = 1
    min_part_points: int = 200  # of the rendered cloud's points on the target part
    max_hidden_fraction: float = 0.5  # of the part's area against the table
    contact_variant: bool = True
    render: RenderConfig = field(default_factory=lambda: RenderConfig(num_points=4096))
    stable: StablePoseConfig = field(default_factory=StablePoseConfig)

    def __post_init__(self) -> None:
        if unknown := set(self.splits) - set(SPLITS):
            raise ValueError(f"unknown benchmark splits {sorted(unknown)}; expected {SPLITS}")
        if self.objects_per_split < 1 or not 1 <= self.views_per_object <= self.render.rig.views:
            raise ValueError(f"objects_per_split must be >= 1 and views_per_object in 1..{self.render.rig.views}")
        object.__setattr__(self, "splits", tuple(self.splits))

    def to_json(self) -> dict:
        """Plain JSON of the spec (nested configs included)."""
        return json.loads(json.dumps(asdict(self), default=str))

    def fingerprint(self) -> str:
        """Hash of the spec: a run directory holds results of exactly one spec."""
        return hashlib.sha256(json.dumps(self.to_json(), sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class BenchObject:
    """An object of a split: procedural (category, seed) or imported (``path``, a save_part_object directory)."""

    split: str
    object_id: str
    category: str
    seed: int = 0
    path: str = ""

    def load(self) -> PartObject:
        """The part-labeled object."""
        return _load_part_object(ObjectRef(self.category, self.seed, self.path))


@dataclass(frozen=True)
class BenchItem:
    """One benchmark question. ``fingers`` is empty except for contact-mode items."""

    item_id: str
    split: str
    object: BenchObject
    pose_index: int
    view: int
    part: str
    instruction: str
    fingers: tuple[str, ...] = ()
    seed: int = 0

    @property
    def contact_mode(self) -> bool:
        return bool(self.fingers)

    def to_json(self) -> dict:
        """Plain JSON (``from_json`` reads it back)."""
        return asdict(self)

    @staticmethod
    def from_json(data: dict) -> BenchItem:
        """The item ``to_json`` wrote."""
        data = dict(data)
        data["object"] = BenchObject(**data["object"])
        data["fingers"] = tuple(data.get("fingers", ()))
        return BenchItem(**data)


@lru_cache(maxsize=32)
def _load_part_object(ref: ObjectRef) -> PartObject:
    return ref.load()


@lru_cache(maxsize=32)
def sim_object(obj: BenchObject) -> SimObject:
    """The simulation object (collision pieces cached on disk by dexvlg_core.sim)."""
    return load_object(obj.load(), name=obj.object_id)


def stable_poses(obj: BenchObject, spec: BenchSpec) -> StablePoses:
    """The object's stable poses on the table (deterministic, cached on disk)."""
    return find_stable_poses(sim_object(obj), spec.stable)


def safe_name(text: str) -> str:
    """``text`` usable in file names (item ids name result files): other characters become "_"."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", text)


def item_seed(spec: BenchSpec, *keys: object) -> int:
    """A seed from the spec seed and any keys (stable across processes and Python versions)."""
    return zlib.crc32(json.dumps([spec.seed, *map(str, keys)]).encode())


def render_item(item: BenchItem, spec: BenchSpec) -> RenderedView:
    """The colored cloud the camera of ``item`` sees (the same on every call)."""
    pose = stable_poses(item.object, spec).pose(item.pose_index)
    return render_view(item.object.load(), pose, item.view, spec.render, item_seed(spec, item.object.object_id,
                                                                                     item.pose_index, item.view))


# ---------------------------------------------------------------------------------------------- objects
def split_objects(split: str, spec: BenchSpec, objects_dir: str | Path | None = None) -> list[BenchObject]:
    """The split's objects, ``spec.objects_per_split`` of them drawn with the spec seed.

    ``other_seg`` needs ``objects_dir``, where :func:`import_package_objects` saved the imported meshes.
    """
    rng = np.random.default_rng(item_seed(spec, "objects", split))
    if split in ("seen", "unseen"):
        members = split_members("heldout_instance" if split == "seen" else "heldout_category", 1)
        order = rng.permutation(len(members))[: spec.objects_per_split]
        chosen = sorted(members[i] for i in order)
        from dexvlg_data.objects.families import object_id

        return [BenchObject(split, object_id(c, s), c, s) for c, s in chosen]
    if split != "other_seg":
        raise ValueError(f"unknown benchmark split {split!r}; expected {SPLITS}")
    if objects_dir is None:
        raise ValueError("the other_seg split needs the directory of imported package meshes")
    folders = sorted(p.parent for p in Path(objects_dir).glob("*/parts.json"))
    if not folders:
        raise ValueError(f"no imported objects in {objects_dir} for the other_seg split")
    order = sorted(rng.permutation(len(folders))[: spec.objects_per_split])
    out = []
    for i in order:
        info = json.loads((folders[i] / "parts.json").read_text())
        out.append(BenchObject(split, info["object_id"], info["category"], path=str(folders[i].resolve())))
    return out


def import_package_objects(objects_dir: str | Path) -> dict:
    """Import the package meshes through the user-mesh path into ``objects_dir`` (skips those already there).

    Returns {"imported": [...], "rejected": {object_id: reason}}; rejections are written to rejected.json.
    """
    from dexvlg_data.objects.package_meshes import import_package_split, package_jobs
    from dexvlg_data.objects.storage import save_part_object

    folder = Path(objects_dir)
    folder.mkdir(parents=True, exist_ok=True)
    rejected_file = folder / "rejected.json"
    rejected = json.loads(rejected_file.read_text()) if rejected_file.is_file() else {}
    todo = [job.object_id for job in package_jobs()
            if not (folder / job.object_id / "parts.json").is_file() and job.object_id not in rejected]
    if todo:
        objects, report = import_package_split(todo)
        for imported in objects:
            # parts.json is written last by save_part_object, so a half-written directory is redone next time.
            save_part_object(imported.obj, folder / imported.obj.object_id, imported.pieces)
        for record in report.records:
            if record.status != "imported":
                rejected[record.name] = f"{record.stage}: {record.reason}"
        write_text_atomic(rejected_file, json.dumps(rejected, indent=1, sort_keys=True) + "\n")
    imported_ids = sorted(p.parent.name for p in folder.glob("*/parts.json"))
    return {"imported": imported_ids, "rejected": rejected}


# ---------------------------------------------------------------------------------------------- items
def object_items(obj: BenchObject, spec: BenchSpec) -> tuple[list[BenchItem], dict[str, str]]:
    """The items of one object, and why each of its parts that is not an item was left out."""
    part_object = obj.load()
    stable = stable_poses(obj, spec)
    if len(stable) == 0:
        return [], {"*": "no stable pose found"}
    pose_index = 0  # the most frequent resting pose
    pose = stable.pose(pose_index)
    hidden = hidden_fractions(sim_object(obj), pose)
    rng = np.random.default_rng(item_seed(spec, "views", obj.object_id))
    views = sorted(rng.choice(spec.render.rig.views, size=spec.views_per_object, replace=False).tolist())
    items: list[BenchItem] = []
    skipped: dict[str, str] = {}
    for view in views:
        cloud = render_view(part_object, pose, view, spec.render, item_seed(spec, obj.object_id, pose_index, view))
        counts = np.bincount(cloud.parts[cloud.parts >= 0], minlength=len(part_object.part_names))
        for p, part in enumerate(part_object.part_names):
            if hidden.get(part, 0.0) > spec.max_hidden_fraction:
                skipped[f"{part}@{view}"] = f"{100 * hidden[part]:.0f}% of its area rests on the table"
                continue
            if counts[p] < spec.min_part_points:
                skipped[f"{part}@{view}"] = f"{counts[p]} of {len(cloud.parts)} cloud points (< {spec.min_part_points})"
                continue
            base = f"{safe_name(obj.object_id)}.p{pose_index}.v{view}.{safe_name(part)}-{p}"
            instruction = reference_instruction(part, part_object.category)
            items.append(BenchItem(base, obj.split, obj, pose_index, view, part, instruction,
                                   seed=item_seed(spec, base)))
            if spec.contact_variant:
                fingers = CONTACT_SETS[item_seed(spec, base, "fingers") % len(CONTACT_SETS)]
                items.append(BenchItem(base + ".contact", obj.split, obj, pose_index, view, part,
                                       reference_instruction(part, part_object.category, fingers), fingers,
                                       seed=item_seed(spec, base, "contact")))
    return items, skipped


def build_items(spec: BenchSpec, objects_dir: str | Path | None = None) -> tuple[list[BenchItem], dict]:
    """All items of the spec's splits, and a report of objects and parts left out."""
    items: list[BenchItem] = []
    skipped: dict[str, dict[str, str]] = {}
    for split in spec.splits:
        for obj in split_objects(split, spec, objects_dir):
            mine, left_out = object_items(obj, spec)
            items += mine
            if left_out:
                skipped[obj.object_id] = left_out
    return items, skipped


def save_items(path: str | Path, spec: BenchSpec, items: list[BenchItem], skipped: dict) -> Path:
    """Write items.json (spec, fingerprint, items, what was left out) atomically."""
    data = {"version": spec.version, "fingerprint": spec.fingerprint(), "spec": spec.to_json(),
            "items": [i.to_json() for i in items], "skipped": skipped}
    return write_text_atomic(path, json.dumps(data, indent=1) + "\n")


def load_items(path: str | Path, spec: BenchSpec) -> list[BenchItem]:
    """Items from items.json; ValueError when they were made by another spec."""
    data = json.loads(Path(path).read_text())
    if data.get("fingerprint") != spec.fingerprint():
        raise ValueError(f"{path} holds items of another benchmark spec ({data.get('fingerprint')} != "
                         f"{spec.fingerprint()}); use another output directory")
    return [BenchItem.from_json(i) for i in data["items"]]
