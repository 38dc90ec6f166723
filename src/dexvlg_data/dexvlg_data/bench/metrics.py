"""Benchmark metrics (DESIGN.md, DexVLG protocol) of one grasp, one item and a set of items.

- Suc: the tabletop lift test passes (approach, close, squeeze, lift 3 cm, hold 1 s; floating hand, gravity on);
- PTA: >= 1 finger within 1 cm of the target part and closer to it than to any other part;
- PGA: >= 3 such fingers;
- CMA (contact-mode items only): the fingers touching the object match the instructed ones, at most one off.
Fingers are index, middle, ring, little and thumb (the palm is not a finger). An item scores its top-ranked grasp
("top1") and the mean over the samples it asked for ("mean"; samples a predictor did not return count as failed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dexvlg_core.grasp import Grasp
from dexvlg_core.sim import EvalResult

METRICS: tuple[str, ...] = ("suc", "pta", "pga", "cma")
FINGERS: tuple[str, ...] = ("index", "middle", "ring", "little", "thumb")
PTA_DISTANCE_MM = 10.0
PGA_FINGERS = 3


@dataclass
class GraspScore:
    """The metrics of one grasp (cma None for items without instructed fingers)."""

    suc: bool
    pta: bool
    pga: bool
    cma: bool | None
    penetration_mm: float | None
    self_penetration_mm: float | None
    lift_mm: float | None
    fingers_on_part: tuple[str, ...]
    contact_fingers: tuple[str, ...]
    reason: str

    def to_json(self) -> dict:
        """Plain JSON values."""
        return {"suc": self.suc, "pta": self.pta, "pga": self.pga, "cma": self.cma,
                "penetration_mm": self.penetration_mm, "self_penetration_mm": self.self_penetration_mm,
                "lift_mm": self.lift_mm, "fingers_on_part": list(self.fingers_on_part),
                "contact_fingers": list(self.contact_fingers), "reason": self.reason}


def score_grasp(result: EvalResult, instructed: Sequence[str] = ()) -> GraspScore:
    """Metrics of one evaluated grasp (``evaluate`` with the lift test on and the grasp's part set)."""
    on_part = tuple(f for f in (result.part.fingers_on_part(PTA_DISTANCE_MM) if result.part else ()) if f in FINGERS)
    touching = tuple(result.contacts.fingers) if result.contacts else ()
    cma = None
    if instructed:
        cma = bool(result.contacts.matches(tuple(instructed))) if result.contacts else False
    suc = bool(result.lift is not None and result.lift.passed)
    reason = result.lift.reason if result.lift is not None else result.reason
    return GraspScore(
        suc=suc, pta=len(on_part) >= 1, pga=len(on_part) >= PGA_FINGERS, cma=cma,
        penetration_mm=result.penetration.depth_mm if result.penetration else None,
        self_penetration_mm=result.self_penetration.depth_mm if result.self_penetration else None,
        lift_mm=result.lift.rise_mm if result.lift is not None else None,
        fingers_on_part=on_part, contact_fingers=touching, reason=reason)


def item_metrics(scores: Sequence[dict], requested: int, contact_mode: bool) -> tuple[dict, dict]:
    """(top1, mean) of an item from its grasps' score dicts, best first; missing samples count as failures."""
    requested = max(requested, len(scores), 1)
    top1: dict = {}
    mean: dict = {}
    for key in METRICS:
        if key == "cma" and not contact_mode:
            top1[key] = mean[key] = None
            continue
        values = [bool(s.get(key)) for s in scores]
        top1[key] = int(values[0]) if values else 0
        mean[key] = float(sum(values)) / requested
    return top1, mean


def diversity(grasps: Sequence[Grasp]) -> dict:
    """Spread of an item's samples: mean distance of the wrist positions to their centroid (mm) and the mean
    per-joint standard deviation (rad); None with fewer than two samples.
    """
    if len(grasps) < 2:
        return {"position_mm": None, "joints_rad": None}
    positions = np.array([g.position for g in grasps])
    joints = np.array([g.joints for g in grasps])
    spread = np.linalg.norm(positions - positions.mean(axis=0), axis=1).mean()
    return {"position_mm": float(1e3 * spread), "joints_rad": float(joints.std(axis=0).mean())}


def _mean(values: Sequence[float | None]) -> float | None:
    kept = [v for v in values if v is not None and np.isfinite(v)]
    return float(np.mean(kept)) if kept else None


def aggregate(records: Sequence[dict]) -> dict:
    """Split-level numbers of one method from its item records (percentages 0-100)."""
    out: dict = {"items": len(records), "contact_items": sum(bool(r["fingers"]) for r in records),
                 "failed_items": sum(r["status"] != "ok" for r in records)}
    for kind in ("top1", "mean"):
        out[kind] = {}
        for key in METRICS:
            values = [r[kind][key] for r in records if r[kind].get(key) is not None]
            out[kind][key] = 100.0 * float(np.mean(values)) if values else None
    grasps = [g for r in records for g in r["grasps"]]
    out["penetration_mm"] = _mean([g["penetration_mm"] for g in grasps])
    out["self_penetration_mm"] = _mean([g["self_penetration_mm"] for g in grasps])
    out["diversity"] = {k: _mean([r["diversity"][k] for r in records]) for k in ("position_mm", "joints_rad")}
    seconds = sum(r["seconds"] for r in records)
    out["items_per_s_per_core"] = len(records) / seconds if seconds > 0 else None
    reasons: dict[str, int] = {}
    for r in records:
        if r["status"] != "ok":
            key = r["reason"].split(":")[0]
            reasons[key] = reasons.get(key, 0) + 1
    out["failure_reasons"] = reasons
    return out
