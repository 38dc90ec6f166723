"""Part naming behind an interface: offline rules from geometry and the object category, or a vision-language
model behind any OpenAI-compatible endpoint, prompted Set-of-Mark style with six rendered views.

``RuleNamer`` (the default, offline): the largest part is the body (or the category's word for it); a lid-like
part, or a part standing on top of the body, is its lid (a bottle's cap, an animal's head, a lamp's shade); a part
between the body and that top is a neck; an L-shaped part or an elongated part sticking out sideways is a handle
(a second one on a kettle is its spout); a flat part under the body is its base. Long two-part tools name their
grip "handle" and the other end by category (hammer: head, knife: blade). Figurines get head, arms, legs, ears.
Repeated names become "left/right", "upper/lower" or "front/back" by position.

``VLMNamer``: only used when configured (``VLMConfig.from_env``); any failure falls back to the rules.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np
import trimesh

from dexvlg_data.objects.part_geometry import DISK, L_SHAPED, LID, SHAFT, PartGeometry, analyze_parts
from dexvlg_data.objects.part_object import PartObject


@runtime_checkable
class PartNamer(Protocol):
    """Names the parts of a segmented mesh: one name per label 0..P-1, distinct, as people say them."""

    name: str

    def name_parts(self, mesh: trimesh.Trimesh, face_parts: np.ndarray, category: str) -> list[str]:
        """Part names in label order."""
        ...


# The category's word for its main part, its top part, and the far end of a long tool.
MAIN_NAMES = {"frying pan": "pan", "pan": "pan", "teacup": "cup", "ladle": "bowl",
              "wine glass": "bowl", "glass": "bowl", "knife": "blade", "spatula": "blade"}
TOP_NAMES = {"bottle": "cap", "water bottle": "cap", "jar": "lid", "spray bottle": "head", "lamp": "shade",
             "teddy bear": "head", "teddy": "head", "duck": "head", "bunny": "head", "rabbit": "head", "doll": "head",
             "figurine": "head", "milk carton": "cap"}
TOOL_ENDS = {"hammer": "head", "axe": "head", "knife": "blade", "spatula": "blade", "screwdriver": "shaft",
             "toothbrush": "head", "wrench": "head", "ladle": "bowl", "paintbrush": "bristles", "brush": "bristles",
             "spoon": "bowl", "fork": "tines", "scissors": "blades", "racket": "head",
             "magnifying glass": "lens", "rolling pin": "roller", "drill": "chuck", "saw": "blade"}
FIGURINES = {"teddy bear", "teddy", "duck", "bunny", "rabbit", "doll", "figurine", "toy", "animal"}
SPOUTED = {"kettle", "teapot", "watering can", "pitcher", "jug"}


@dataclass(frozen=True)
class _PartFacts:
    index: int
    kind: str
    volume: float
    box_volume: float
    low: float
    high: float
    center: np.ndarray
    extents: np.ndarray
    direction: np.ndarray


def _facts(geometry: list[PartGeometry], mesh: trimesh.Trimesh, face_parts: np.ndarray) -> list[_PartFacts]:
    vertices = np.asarray(mesh.vertices)
    faces = np.asarray(mesh.faces)
    out = []
    for g in geometry:
        pts = vertices[np.unique(faces[face_parts == g.index])]
        volume = float(g.features.get("volume", 0.0)) or g.box.volume
        out.append(_PartFacts(g.index, g.kind, volume, g.box.volume, float(pts[:, 2].min()), float(pts[:, 2].max()),
                              pts.mean(axis=0), g.box.extents, g.principal_direction))
    return out


def _disambiguate(names: list[str], facts: list[_PartFacts]) -> list[str]:
    """Distinct names: repeated ones get a position word (left/right, upper/lower, front/back) or a number."""
    out = list(names)
    by_index = {f.index: f for f in facts}
    for name in sorted(set(names)):
        members = [i for i, n in enumerate(names) if n == name]
        if len(members) < 2:
            continue
        centers = np.array([by_index[i].center for i in members])
        spread = np.ptp(centers, axis=0)
        axis = int(np.argmax(spread))
        words = {0: ("left", "right"), 1: ("front", "back"), 2: ("lower", "upper")}[axis]
        order = np.argsort(centers[:, axis])
        if len(members) == 2:
            for word, k in zip(words, order, strict=True):
                out[members[k]] = f"{word} {name}"
        else:
            for rank, k in enumerate(order):
                out[members[k]] = f"{name} {rank + 1}"
    return out


@dataclass(frozen=True)
class RuleNamer:
    """Offline part names from part kinds, boxes, positions (+z up) and the category (see module doc)."""

    name: str = "rules"

    def name_parts(self, mesh: trimesh.Trimesh, face_parts: np.ndarray, category: str) -> list[str]:
        """Part names in label order."""
        face_parts = np.asarray(face_parts, dtype=np.int32)
        count = int(face_parts.max()) + 1 if len(face_parts) else 0
        if count == 0:
            return []
        category = category.strip().lower()
        if count == 1:
            return [MAIN_NAMES.get(category, "body")]
        placeholder = PartObject("naming", category, mesh, face_parts, [f"part {i}" for i in range(count)],
                                 np.zeros((count, 3)))
        facts = _facts(analyze_parts(placeholder), mesh, face_parts)
        names = self._roles(facts, category, float(np.linalg.norm(mesh.extents)))
        return _disambiguate([names.get(i, "part") for i in range(count)], facts)

    def _roles(self, facts: list[_PartFacts], category: str, diagonal: float) -> dict[int, str]:
        ordered = sorted(facts, key=lambda f: -f.box_volume)  # the body is the part with the largest extent
        main = ordered[0]
        names: dict[int, str] = {}
        if self._is_tool(facts, category):
            return self._tool_names(facts, category)
        names[main.index] = MAIN_NAMES.get(category, "body")
        height = max(main.high - main.low, 1e-9)
        tol = 0.1 * height
        lo_xy = main.center[:2] - main.extents[0] / 2
        hi_xy = main.center[:2] + main.extents[0] / 2

        def over_main(f: _PartFacts) -> bool:
            return bool(np.all(f.center[:2] >= lo_xy) and np.all(f.center[:2] <= hi_xy))

        above = [f for f in ordered[1:] if f.kind != L_SHAPED and over_main(f) and (f.low >= main.high - tol
                                                                                    or f.kind == LID)]
        figurine = category in FIGURINES
        if figurine and not above:  # an animal's head: the highest part above the body's middle
            rest = [f for f in ordered[1:] if f.center[2] > main.center[2]]
            above = [max(rest, key=lambda f: f.high)] if rest else []
        if above:
            lids = [f for f in above if f.kind == LID] or above
            top = max(lids, key=lambda f: f.box_volume) if not figurine else max(above, key=lambda f: f.high)
            names[top.index] = TOP_NAMES.get(category, "head" if figurine else "lid")
            for f in above:
                if f.index == top.index:
                    continue
                narrow = max(f.extents[1:]) < 0.8 * max(main.extents[1:])
                if figurine:
                    names[f.index] = "ear" if f.low >= top.low else "neck"
                elif f.low >= top.high - tol or f.box_volume < 0.2 * top.box_volume:
                    names[f.index] = "knob"  # standing on the lid
                else:
                    names[f.index] = "neck" if (f.kind == SHAFT and narrow) else "knob"
        sides = []
        for f in ordered[1:]:
            if f.index in names:
                continue
            if f.high <= main.low + tol and f.kind in (DISK, LID, SHAFT) and f.extents[2] <= 0.5 * f.extents[0]:
                names[f.index] = "base" if not figurine else "foot"
            elif figurine:
                names[f.index] = "arm" if f.center[2] >= 0.5 * (main.low + main.high) else "leg"
            elif f.kind == L_SHAPED or f.extents[0] >= 1.8 * f.extents[1]:
                sides.append(f)
            elif f.kind == DISK:
                names[f.index] = "base" if f.center[2] < main.center[2] else "lid"
            else:
                names[f.index] = "knob" if f.volume < 0.05 * main.volume else "part"
        # Sideways protrusions: handles; on a kettle-like category the L-shaped (or, failing that, the largest) one
        # is the handle and the others are spouts, and a lone straight one pointing upward is a spout.
        sides.sort(key=lambda f: (f.kind != L_SHAPED, -f.volume))
        for rank, f in enumerate(sides):
            spout = category in SPOUTED and (rank > 0 or (len(sides) == 1 and f.kind != L_SHAPED
                                                          and abs(f.direction[2]) > 0.3))
            names[f.index] = "spout" if spout else "handle"
        return names

    @staticmethod
    def _is_tool(facts: list[_PartFacts], category: str) -> bool:
        """A long tool: a known tool category, or an unknown object of two parts whose largest is a long shaft."""
        if category in TOOL_ENDS:
            return True
        if len(facts) != 2 or category in MAIN_NAMES or category in TOP_NAMES or category in SPOUTED:
            return False
        largest = max(facts, key=lambda f: f.box_volume)
        return largest.kind == SHAFT and largest.extents[0] >= 4 * largest.extents[1]

    @staticmethod
    def _tool_names(facts: list[_PartFacts], category: str) -> dict[int, str]:
        """A long tool: the grip is the longest elongated part thick enough to hold (else the thickest); the part
        farthest from it is the working end; parts in between are its neck.
        """
        holdable = [f for f in facts if f.extents[0] >= 2.5 * f.extents[1] and f.extents[2] >= 0.012]
        grip = max(holdable, key=lambda f: f.extents[0]) if holdable else max(facts, key=lambda f: f.extents[2])
        names = {grip.index: "handle"}
        others = sorted((f for f in facts if f.index != grip.index),
                        key=lambda f: -float(np.linalg.norm(f.center - grip.center)))
        for rank, f in enumerate(others):
            names[f.index] = TOOL_ENDS.get(category, "head") if rank == 0 else "neck"
        return names


# ----------------------------------------------------------------------------------------------------------- VLM

SOM_PROMPT = """The {n_views} images show one 3D object, a {category}, from {n_views} viewpoints.
Its surface is divided into {n_parts} parts. Each part has its own color and carries a white circle with its number
(1 to {n_parts}) in every view where it is visible.

Name every numbered part the way a person would when asking a robot to grasp it, e.g. "body" and "handle" for a mug,
"lid", "spout" and "handle" for a kettle, "cap" and "neck" for a bottle.
Rules: one to three lowercase English words per part; no object name, no colors, no numbers; different parts get
different names, so add a position word ("left handle", "right handle") when two parts are the same kind of part.

Answer with a single JSON object mapping each number to its name and nothing else, e.g. {example}"""


@dataclass(frozen=True)
class VLMConfig:
    """An OpenAI-compatible chat-completions endpoint with image input. The key is read from ``api_key_env``."""

    base_url: str
    model: str
    api_key_env: str = "DEXVLG_VLM_API_KEY"
    timeout: float = 60.0
    image_size: int = 384
    max_tokens: int = 300
    temperature: float = 0.0

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> VLMConfig | None:
        """From DEXVLG_VLM_BASE_URL and DEXVLG_VLM_MODEL (key in DEXVLG_VLM_API_KEY); None when not configured."""
        env = os.environ if environ is None else environ
        base_url, model = env.get("DEXVLG_VLM_BASE_URL", ""), env.get("DEXVLG_VLM_MODEL", "")
        if not base_url or not model:
            return None
        return cls(base_url=base_url, model=model)


class VLMError(RuntimeError):
    """The endpoint failed or answered something unusable."""


def _png_data_url(image: object) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")  # type: ignore[attr-defined]
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def build_som_request(views: list[object], category: str, n_parts: int, config: VLMConfig) -> dict[str, object]:
    """The chat-completions request body: the Set-of-Mark prompt followed by the marked views."""
    example = json.dumps({str(i + 1): name for i, name in enumerate(["body", "handle", "lid"][: max(1, n_parts)])})
    text = SOM_PROMPT.format(n_views=len(views), category=category, n_parts=n_parts, example=example)
    content: list[dict[str, object]] = [{"type": "text", "text": text}]
    for view in views:
        content.append({"type": "image_url", "image_url": {"url": _png_data_url(view)}})
    return {
        "model": config.model,
        "messages": [
            {"role": "system", "content": "You name the parts of objects for a robot grasping system."},
            {"role": "user", "content": content},
        ],
        "max_tokens": config.max_tokens,
        "temperature": config.temperature,
    }


def parse_names(reply: str, n_parts: int) -> dict[int, str]:
    """Part index -> name from a model reply holding a JSON object {"1": "name", ...}; bad entries are skipped."""
    match = re.search(r"\{.*\}", reply, flags=re.DOTALL)
    if match is None:
        raise VLMError(f"no JSON object in the reply: {reply[:200]!r}")
    try:
        data = json.loads(match.group(0))
    except json.JSONDecodeError as error:
        raise VLMError(f"reply is not valid JSON: {error}") from error
    names = {}
    for key, value in data.items():
        if not str(key).strip().isdigit() or not isinstance(value, str):
            continue
        index = int(str(key).strip()) - 1
        clean = " ".join(re.sub(r"[^a-z\s-]", " ", value.lower()).split()[:3])
        if 0 <= index < n_parts and clean:
            names[index] = clean
    return names


@dataclass(frozen=True)
class VLMNamer:
    """Names parts by asking a vision-language model (Set-of-Mark, six views); falls back to ``fallback``."""

    config: VLMConfig
    fallback: PartNamer = field(default_factory=RuleNamer)
    name: str = "vlm"

    def request(self, body: dict[str, object]) -> str:
        """POST the body to {base_url}/chat/completions; the reply's first message text."""
        url = self.config.base_url.rstrip("/") + "/chat/completions"
        headers = {"Content-Type": "application/json"}
        key = os.environ.get(self.config.api_key_env, "")
        if key:
            headers["Authorization"] = f"Bearer {key}"
        request = urllib.request.Request(url, data=json.dumps(body).encode("utf-8"), headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.config.timeout) as response:
                payload = json.loads(response.read().decode("utf-8"))
        except (urllib.error.URLError, TimeoutError, OSError, json.JSONDecodeError) as error:
            raise VLMError(f"{url}: {error}") from error
        try:
            return str(payload["choices"][0]["message"]["content"])
        except (KeyError, IndexError, TypeError) as error:
            raise VLMError(f"unexpected response shape: {str(payload)[:200]}") from error

    def name_parts(self, mesh: trimesh.Trimesh, face_parts: np.ndarray, category: str) -> list[str]:
        """Part names from the model; parts it does not name (or any failure) get the fallback's names."""
        from dexvlg_data.objects.gallery import LABEL_COLORS
        from dexvlg_data.objects.marks import render_marked_views

        face_parts = np.asarray(face_parts, dtype=np.int32)
        n_parts = int(face_parts.max()) + 1
        fallback = self.fallback.name_parts(mesh, face_parts, category)
        colors = LABEL_COLORS[np.arange(n_parts) % len(LABEL_COLORS)]
        views = render_marked_views(mesh, face_parts, colors, size=self.config.image_size)
        body = build_som_request([v.image for v in views], category, n_parts, self.config)
        try:
            named = parse_names(self.request(body), n_parts)
        except VLMError:
            return fallback
        names = [named.get(i, fallback[i]) for i in range(n_parts)]
        if len(set(names)) < len(names):  # keep them distinct
            seen: dict[str, int] = {}
            for i, n in enumerate(names):
                seen[n] = seen.get(n, 0) + 1
                if seen[n] > 1:
                    names[i] = f"{n} {seen[n]}"
        return names


def default_namer() -> PartNamer:
    """The VLM namer when an endpoint is configured in the environment, else the offline rules."""
    config = VLMConfig.from_env()
    return RuleNamer() if config is None else VLMNamer(config)
