"""Language instructions for training samples, from templates (offline, deterministic from a seed).

Forms:
- "reference": DexVLG's form "Grasp the {part} part of the {object} object";
- "reference_fingers": "Grasp the {part} part of the {object} object with contact on {fingers}";
- "paraphrase": what a person would say, naming part and object ("pick up the mug by its handle");
- "paraphrase_style": also saying how (a whole-hand wrap or a fingertip pinch);
- "paraphrase_fingers": also naming the fingers ("... with your thumb, index finger and middle finger").
Each instruction records what it constrains (part, style, fingers), so the training sample's target grasps are
exactly the grasps the sentence allows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from dexvlg_core.grasp import CONTACT_NAMES

FORMS = ("reference", "reference_fingers", "paraphrase", "paraphrase_style", "paraphrase_fingers")

REFERENCE = "Grasp the {part} part of the {object} object"
REFERENCE_FINGERS = "Grasp the {part} part of the {object} object with contact on {fingers}"

PARAPHRASES: tuple[str, ...] = (
    "pick up the {object} by its {part}",
    "grab the {object} by the {part}",
    "hold the {object} by its {part}",
    "take the {object} by the {part}",
    "grasp the {possessive} {part}",
    "lift the {object} by its {part}",
    "could you pick up the {object} by the {part}?",
    "please grab the {part} of the {object}",
    "get hold of the {part} of the {object}",
    "reach for the {possessive} {part} and pick it up",
)
STYLE_PARAPHRASES: dict[str, tuple[str, ...]] = {
    "wrap": (
        "wrap your hand around the {part} of the {object}",
        "grab the {object} firmly by its {part}",
        "take a firm whole-hand grip on the {possessive} {part}",
    ),
    "pinch": (
        "pinch the {part} of the {object}",
        "pick up the {object} by its {part} with your fingertips",
        "delicately pinch the {possessive} {part}",
    ),
}
FINGER_PARAPHRASES: tuple[str, ...] = (
    "grasp the {part} of the {object} using your {fingers}",
    "pick up the {object} by its {part}, touching it with your {fingers}",
    "hold the {possessive} {part} with your {fingers}",
)
_SPOKEN = {"index": "index finger", "middle": "middle finger", "ring": "ring finger", "little": "little finger",
           "thumb": "thumb", "palm": "palm"}
_SPOKEN_ORDER = ("thumb", "index", "middle", "ring", "little", "palm")


@dataclass(frozen=True)
class InstructionConfig:
    """Relative frequency of each form (forms that do not apply to a sample are skipped)."""

    weights: dict[str, float] = field(default_factory=lambda: {
        "reference": 0.3, "reference_fingers": 0.3, "paraphrase": 0.2, "paraphrase_style": 0.1,
        "paraphrase_fingers": 0.1})

    def __post_init__(self) -> None:
        unknown = set(self.weights) - set(FORMS)
        if unknown:
            raise ValueError(f"unknown instruction forms {sorted(unknown)}; use {FORMS}")


@dataclass(frozen=True)
class Instruction:
    """A sentence and what it asks for: ``style`` / ``fingers`` empty when the sentence leaves them open."""

    text: str
    form: str
    part: str
    object_name: str
    style: str = ""
    fingers: tuple[str, ...] = ()


def join_names(names: Sequence[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def canonical_fingers(fingers: Sequence[str]) -> tuple[str, ...]:
    """Contact names in the grasp type's order (index, middle, ring, little, thumb, palm), duplicates removed."""
    unknown = set(fingers) - set(CONTACT_NAMES)
    if unknown:
        raise ValueError(f"unknown contact fingers {sorted(unknown)}; expected names from {CONTACT_NAMES}")
    return tuple(n for n in CONTACT_NAMES if n in set(fingers))


def possessive(name: str) -> str:
    """"mug's", "scissors'"."""
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def reference_instruction(part: str, object_name: str, fingers: Sequence[str] = ()) -> str:
    """The DexVLG reference sentence, with the contact clause when ``fingers`` are given."""
    if fingers:
        return REFERENCE_FINGERS.format(part=part, object=object_name, fingers=join_names(canonical_fingers(fingers)))
    return REFERENCE.format(part=part, object=object_name)


def spoken_fingers(fingers: Sequence[str]) -> str:
    """"thumb, index finger and middle finger" (thumb first, as people list them)."""
    names = canonical_fingers(fingers)
    return join_names([_SPOKEN[n] for n in _SPOKEN_ORDER if n in names])


def fill(template: str, part: str, object_name: str, fingers: Sequence[str] = ()) -> str:
    """One template filled in."""
    return template.format(part=part, object=object_name, possessive=possessive(object_name),
                           fingers=spoken_fingers(fingers) if fingers else "")


def all_instructions(part: str, object_name: str, style: str = "", fingers: Sequence[str] = ()) -> list[str]:
    """Every sentence the templates can make for these arguments (for inspection and tests)."""
    out = [reference_instruction(part, object_name)] + [fill(t, part, object_name) for t in PARAPHRASES]
    if style in STYLE_PARAPHRASES:
        out += [fill(t, part, object_name) for t in STYLE_PARAPHRASES[style]]
    if fingers:
        out.append(reference_instruction(part, object_name, fingers))
        out += [fill(t, part, object_name, fingers) for t in FINGER_PARAPHRASES]
    return out


def make_instruction(part: str, object_name: str, rng: np.random.Generator, styles: Sequence[str] = (),
                     finger_sets: Sequence[Sequence[str]] = (), config: InstructionConfig | None = None) -> Instruction:
    """Draw one instruction for a target part; ``styles`` and ``finger_sets`` are those the target grasps have
    (a form that would need a style or finger set draws one of them).
    """
    config = config or InstructionConfig()
    styles = sorted({s for s in styles if s in STYLE_PARAPHRASES})
    finger_sets = sorted({canonical_fingers(f) for f in finger_sets if f})
    usable = [f for f in FORMS if config.weights.get(f, 0.0) > 0
              and (not f.endswith("_style") or styles) and (not f.endswith("_fingers") or finger_sets)]
    if not usable:
        usable = ["reference"]
    weights = np.array([config.weights.get(f, 1.0) for f in usable], float)
    form = usable[int(rng.choice(len(usable), p=weights / weights.sum()))]
    if form == "reference":
        return Instruction(reference_instruction(part, object_name), form, part, object_name)
    if form == "paraphrase":
        text = fill(PARAPHRASES[int(rng.integers(len(PARAPHRASES)))], part, object_name)
        return Instruction(text, form, part, object_name)
    if form == "paraphrase_style":
        style = styles[int(rng.integers(len(styles)))]
        templates = STYLE_PARAPHRASES[style]
        text = fill(templates[int(rng.integers(len(templates)))], part, object_name)
        return Instruction(text, form, part, object_name, style=style)
    fingers = finger_sets[int(rng.integers(len(finger_sets)))]
    if form == "reference_fingers":
        return Instruction(reference_instruction(part, object_name, fingers), form, part, object_name, fingers=fingers)
    text = fill(FINGER_PARAPHRASES[int(rng.integers(len(FINGER_PARAPHRASES)))], part, object_name, fingers)
    return Instruction(text, form, part, object_name, fingers=fingers)
