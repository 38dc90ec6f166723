"""Validation of synthesized grasps in physics (dexvlg_core.sim) and their captions.

A grasp is valid when the evaluator passes it: hand-object penetration < 3 mm, self-penetration < 3 mm, part
alignment (every link touching the object is closest to the target part) and the six-direction disturbance
test. A grasp that passes the static checks but slips is tried again with the fallback squeezes of the
posture search (postures.fallback_configs); the first that holds is kept. The fingers that touch the object in
simulation become the grasp's contact fingers and caption.
Static checks run first for every grasp; only grasps that pass them are simulated (the expensive part).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

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


def grasp_checks_passed(result: EvalResult) -> bool:
    """Whether the grasp posture itself passed the static checks (penetration, self-penetration, part
    alignment): a failure then lies in its pregrasp or squeeze, which another posture may cure.
    """
    return (result.penetration is not None and result.penetration.passed and result.self_penetration is not None
            and result.self_penetration.passed and (result.part is None or result.part.passed))


def _same_postures(grasp: Grasp, pregrasp: np.ndarray, squeeze: np.ndarray) -> bool:
    """Whether an option repeats the grasp's own postures (e.g. a curl fallback of a grasp squeezed by curling):
    the deterministic simulation would only repeat its verdict.
    """
    return (grasp.pregrasp is not None and grasp.squeeze is not None and np.array_equal(grasp.pregrasp, pregrasp)
            and np.array_equal(grasp.squeeze, squeeze))


def validate(grasps: Sequence[Grasp], obj: SimObject, category: str, config: SimConfig | None = None,
             evaluator: BatchEvaluator | None = None,
             fallbacks: Sequence[tuple[np.ndarray, np.ndarray]] = ()) -> list[Validation]:
    """Judge grasps (object frame, ``part`` set) of ``obj``; ``category`` names the object in captions.

    evaluator: a BatchEvaluator to run in parallel (its own SimConfig is used; synthesis_sim_config() is the
    protocol); default: in this process.
    fallbacks: the posture search (SynthBatch.fallbacks): per option, (pregrasp, squeeze) of every grasp, (N, 22)
    each. A grasp that fails although its own pose passed the static checks is judged again with each option in
    order until one passes; a grasp that passes this way carries that option's postures and
    ``scores["posture_option"]`` (0: its own, k: the k-th fallback). A grasp that never passes keeps its first
    verdict, so failure tallies name what the optimized posture did.
    """
    if evaluator is None:  # a grasp that failed a static check is not simulated: the verdict is already known
        evaluator = BatchEvaluator(0, replace(config or synthesis_sim_config(), simulate_static_failures=False))
    grasps = list(grasps)
    results = evaluator.evaluate(grasps, obj)
    chosen, option = list(grasps), [0] * len(grasps)
    for k, (pregrasps, squeezes) in enumerate(fallbacks, start=1):
        if len(pregrasps) != len(grasps) or len(squeezes) != len(grasps):
            raise ValueError(f"fallback {k} has postures for {len(pregrasps)} grasps, not {len(grasps)}")
        retry = [i for i, r in enumerate(results) if not option[i] and not r.passed and grasp_checks_passed(r)
                 and not _same_postures(grasps[i], pregrasps[i], squeezes[i])]
        if not retry:
            break
        trial = [replace(grasps[i], pregrasp=pregrasps[i], squeeze=squeezes[i]) for i in retry]
        for i, grasp, result in zip(retry, trial, evaluator.evaluate(trial, obj), strict=True):
            if result.passed:
                chosen[i], results[i], option[i] = grasp, result, k
    return [Validation(_scored(replace(g, scores=g.scores | {"posture_option": float(k)}), r, category), r)
            for g, r, k in zip(chosen, results, option, strict=True)]
