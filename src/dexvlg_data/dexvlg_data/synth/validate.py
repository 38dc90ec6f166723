"""Validation of synthesized grasps in physics (dexvlg_core.sim) and their captions.

A grasp is valid when the evaluator passes it: hand-object penetration < 3 mm, self-penetration < 3 mm, part
alignment (every link touching the object is closest to the target part) and the six-direction disturbance
test. The fingers that touch the object in simulation become the grasp's contact fingers and caption.
Static checks run first for every grasp; only grasps that pass them are simulated (the expensive part).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from dexvlg_core.grasp import CONTACT_NAMES, Grasp
from dexvlg_core.sim import BatchEvaluator, EvalResult, SimConfig, SimObject

CAPTION = "Grasp the {part} of the {object} object, with contacts on {fingers}"


def synthesis_sim_config() -> SimConfig:
    """The evaluator protocol as validation uses it: all numbers default, stop at the first failed direction, and
    no simulation of a grasp that failed a static check.
    """
    return SimConfig(stop_at_first_failure=True, simulate_static_failures=False)


def finger_list(fingers: Sequence[str]) -> str:
    """Contact names in hand order, joined as English: "index, middle and thumb"."""
    ordered = [name for name in CONTACT_NAMES if name in set(fingers)]
    if not ordered:
        return "none"
    return ordered[0] if len(ordered) == 1 else ", ".join(ordered[:-1]) + " and " + ordered[-1]


def caption(part: str, category: str, fingers: Sequence[str]) -> str:
    """"Grasp the {part} of the {object} object, with contacts on {fingers}" (object = category name)."""
    return CAPTION.format(part=part, object=category, fingers=finger_list(fingers))


@dataclass
class Validation:
    """One grasp after validation: the grasp (contact fingers, caption and scores filled in) and the evidence."""

    grasp: Grasp
    result: EvalResult

    @property
    def passed(self) -> bool:
        return self.result.passed


def _scored(grasp: Grasp, result: EvalResult, category: str) -> Grasp:
    fingers = tuple(name for name in CONTACT_NAMES if result.contacts and name in result.contacts.fingers)
    scores = dict(grasp.scores)
    if result.penetration:
        scores["penetration_mm"] = result.penetration.depth_mm
    if result.self_penetration:
        scores["self_penetration_mm"] = result.self_penetration.depth_mm
    if result.disturbance:
        scores["max_translation_mm"] = max(result.disturbance.translation_mm)
        scores["max_rotation_deg"] = max(result.disturbance.rotation_deg)
    return replace(grasp, contact_fingers=fingers, caption=caption(grasp.part, category, fingers) if fingers else "",
                   scores=scores)


def validate(grasps: Sequence[Grasp], obj: SimObject, category: str, config: SimConfig | None = None,
             evaluator: BatchEvaluator | None = None) -> list[Validation]:
    """Judge grasps (object frame, ``part`` set) of ``obj``; ``category`` names the object in captions.

    evaluator: a BatchEvaluator to run in parallel (its own SimConfig is used; synthesis_sim_config() is the
    protocol); default: in this process.
    """
    if evaluator is None:  # a grasp that failed a static check is not simulated: the verdict is already known
        evaluator = BatchEvaluator(0, replace(config or synthesis_sim_config(), simulate_static_failures=False))
    results = evaluator.evaluate(list(grasps), obj)
    return [Validation(_scored(g, r, category), r) for g, r in zip(grasps, results, strict=True)]
