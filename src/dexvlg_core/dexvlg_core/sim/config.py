"""The physics grasp evaluation protocol: every number of it, in one place (see DESIGN.md "Reference protocols").

The disturbance test mirrors the widely used MuJoCo grasp benchmark (BODex / DexGraspBench): dt 0.004,
implicitfast, elliptic cone, impratio 10, friction [0.6, 0.02], condim 4, a 0.1 kg object, gravity off, the
hand root welded to a mocap body, position-controlled fingers; per direction (+-x, +-y, +-z) reset to the
pregrasp, interpolate to the grasp (0.4 s) and on to the squeeze (0.4 s), push the object with 10 x mass
newtons for 2 s; success if it moved < 5 cm and < 15 degrees in all six. The validation thresholds and the
tabletop lift test are DexVLG's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

_DIRECTIONS = (
    (1.0, 0.0, 0.0),
    (-1.0, 0.0, 0.0),
    (0.0, 1.0, 0.0),
    (0.0, -1.0, 0.0),
    (0.0, 0.0, 1.0),
    (0.0, 0.0, -1.0),
)
DIRECTION_NAMES: tuple[str, ...] = ("+x", "-x", "+y", "-y", "+z", "-z")


@dataclass(frozen=True)
class SimConfig:
    """Protocol numbers of the grasp evaluator. Lengths in metres, times in seconds, angles in degrees."""

    # --- physics (the reference benchmark's settings)
    timestep: float = 0.004
    integrator: str = "implicitfast"  # mjtIntegrator name without the prefix
    cone: str = "elliptic"
    impratio: float = 10.0
    friction: tuple[float, float] = (0.6, 0.02)  # sliding, torsional; rolling stays at MuJoCo's 1e-4
    condim: int = 4
    object_mass: float = 0.1  # kg, whatever the object's size
    # Finger servo stiffness (N m / rad). None keeps the hand model's own (the OpenAI MJCF's kp = 1, force
    # capped at ~0.7-2.4 N m). The reference benchmark raised its Shadow Hand kp from 1 to 5 to squeeze a
    # 100 g object reliably; the same here.
    finger_kp: float | None = 5.0
    keep_forearm: bool = True  # the forearm hull collides with tables and large objects, as on the real hand

    # --- six-direction disturbance test (gravity off)
    approach_time: float = 0.4  # pregrasp -> grasp joint interpolation
    squeeze_time: float = 0.4  # grasp -> squeeze
    force_per_mass: float = 10.0  # N per kg of object: 10 x 0.1 kg = 1 N
    hold_time: float = 2.0
    max_translation: float = 0.05
    max_rotation_deg: float = 15.0
    directions: tuple[tuple[float, float, float], ...] = _DIRECTIONS
    reject_penetration: float = 0.01  # a grasp (or pregrasp) deeper in the object than this is not simulated
    stop_at_first_failure: bool = False  # True: skip the remaining directions once one fails (faster)

    # --- static validation (DexVLG)
    max_penetration: float = 0.003
    max_self_penetration: float = 0.003
    contact_distance: float = 0.002  # a link within this of the object is in contact
    joint_limit_tolerance: float = 1e-3  # rad; grasp/pregrasp joints beyond the limits by more are bad input

    # --- tabletop lift test (DexVLG benchmark "Suc")
    lift_height: float = 0.03
    lift_time: float = 0.5  # raising the hand root by lift_height
    lift_hold_time: float = 1.0
    lift_pregrasp_distance: float = 0.10  # pregrasp root this far back along the approach (palm normal)
    lift_settle_time: float = 0.2  # the object settles on the table before the hand moves
    lift_tolerance: float = 0.01  # success: the object rose >= lift_height - this, and left the table
    gravity: float = 9.81

    # --- numerical sanity
    max_qacc: float = 1e6  # |qacc| beyond this (or NaN) marks the simulation as exploded

    # --- which tests evaluate() runs
    run_disturbance: bool = True
    run_lift: bool = False
    # False: a grasp that already failed a static check (penetration, self-penetration, part alignment) is not
    # simulated; the verdict is the same and the dynamic numbers are missing. Dataset validation uses it.
    simulate_static_failures: bool = True

    def __post_init__(self) -> None:
        positive = ("timestep", "object_mass", "approach_time", "squeeze_time", "hold_time", "lift_time")
        for name in positive:
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"SimConfig.{name} must be a positive number, got {value}")
        if len(self.directions) == 0:
            raise ValueError("SimConfig.directions is empty")

    @property
    def force(self) -> float:
        """Disturbance force magnitude (N)."""
        return self.force_per_mass * self.object_mass

    def steps(self, seconds: float) -> int:
        """Simulation steps covering ``seconds``."""
        return max(1, round(seconds / self.timestep))

    @property
    def disturbance_steps(self) -> int:
        """mj_step calls the six-direction test needs per grasp (all directions run; the closing and the squeeze,
        the same in every direction, are simulated once).
        """
        closing = self.steps(self.approach_time) + self.steps(self.squeeze_time)
        return closing + self.steps(self.hold_time) * len(self.directions)

    @property
    def direction_names(self) -> tuple[str, ...]:
        """Readable names of the disturbance directions ("+x", ...)."""
        if self.directions == _DIRECTIONS:
            return DIRECTION_NAMES
        return tuple(f"({d[0]:g},{d[1]:g},{d[2]:g})" for d in self.directions)


DEFAULT_CONFIG = SimConfig()
