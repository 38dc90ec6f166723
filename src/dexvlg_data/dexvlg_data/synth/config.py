"""Every number of grasp synthesis in one place: object distance, initialization, energies, optimizer, postures.

All configs are frozen dataclasses, so a SynthConfig can key caches and be written next to a dataset to say how
it was made. Lengths in metres, angles in radians unless a name says degrees.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, is_dataclass, replace

STYLES: tuple[str, ...] = ("wrap", "pinch")


@dataclass(frozen=True)
class SDFConfig:
    """The object's signed-distance grid (sdf.ObjectSDF.build)."""

    cell: float = 0.002  # grid spacing; grown for large objects so no axis exceeds max_cells
    max_cells: int = 160
    margin: float = 0.03  # grid reaches this far beyond the mesh bounds (farther: clamped + box distance)
    band: float = 0.01  # exact point-triangle distances within this of the surface, nearest-sample beyond
    candidates: int = 12  # nearest surface samples whose triangles are tested per query point
    # "mesh": the object's own surface. "collision": the union of the convex pieces MuJoCo collides with
    # (dexvlg_core.sim.load_object), so that synthesis sees the shape validation judges.
    source: str = "collision"


@dataclass(frozen=True)
class InitConfig:
    """Part-aware initial hand poses (init.initial_poses)."""

    palm_distance: tuple[float, float] = (0.01, 0.02)  # palm centre retreats this far along the normal
    jitter_angle: float = 0.2  # rad, std of the random rotation about the approach axis
    jitter_tilt: float = 0.1  # rad, std of the tilt of the approach axis
    jitter_position: float = 0.004  # m, std of the palm centre's sideways offset
    jitter_joints: float = 0.08  # rad, std added to the style's hand-crafted posture
    lid_rotations: int = 24  # rotations about a lid's principal direction (every 15 degrees)
    # Open the fingers outside the style's split (a pinch's curled ring and little fingers) that the pre-shape
    # puts inside a wide part just until they clear it (closing.open_fingers): left inside, the optimizer pushed
    # the whole hand off the part. Six cases: pinch 22/96 held against 17. (Opening the style's fingers as well:
    # wrap 39/96 against 46; backing the hand off until clear: 47/192 against 63.)
    open_fingers: bool = True
    close_fingers: bool = True  # close the style's fingers onto the part before optimizing
    lid_claw: bool = True  # lids: a claw from above, palm held off the lid (init.claw_posture)
    close_gap: float = 0.001
    # Place the thumb where its pad rests on the part against the other contacts (init.oppose_thumb): the
    # hand-crafted thumb often starts inside wide parts or beside the palm. On the two pinned synth_tuning samples
    # of training units (24 units, 384 grasps): 128 -> 145 validated (57 -> 72, 71 -> 73), Q1 unchanged. On the
    # synthesis benchmark (1,056 grasps): 316 -> 324, disk-like 4 -> 22, shaft-like 278 -> 270, Q1 0.044 -> 0.041.
    thumb_search: bool = True
    wide_part: float = 0.05  # m: shafts at least this wide start with the thumb opposite the fingers (WIDE_THUMB)


@dataclass(frozen=True)
class EnergyWeights:
    """Weights of E = w_fc E_fc + w_bar E_bar + w_dis (E_tip + E_palm) + regularizers (energy.GraspEnergy)."""

    force_closure: float = 5.0
    barrier: float = 1.0  # at 0.02 it left part alignment to chance (jar lid, bottle cap, screwdriver batches)
    fingertip: float = 100.0  # per metre of |distance| of each contact finger's nearest pad point
    # Per metre of |palm distance - palm_target|. At 100 the fingertip and penetration terms held the palm 1-3 cm
    # off the part, and the squeeze then pushed the object 1-4 cm into the hand and out of it. Six cases, 192
    # grasps (palm_target 4 mm): 100 -> 68 validated, 1000 -> 104, 3000 -> 94 (target 6 mm).
    palm: float = 1000.0
    penetration: float = 300.0  # per metre of depth, summed over hand points and sphere overlaps (100: more left)
    self_penetration: float = 2000.0  # per metre of sphere overlap: 100 left ~1 mm overlaps cheaper than any FC gain
    joint_limits: float = 10.0
    direction: float = 0.5  # contact-normal alignment

    def as_dict(self) -> dict[str, float]:
        """Term name -> weight (the names energy terms carry)."""
        return {
            "fc": self.force_closure,
            "barrier": self.barrier,
            "fingertip": self.fingertip,
            "palm": self.palm,
            "penetration": self.penetration,
            "self_penetration": self.self_penetration,
            "joint_limits": self.joint_limits,
            "direction": self.direction,
        }


@dataclass(frozen=True)
class EnergyConfig:
    """Shapes of the energy terms."""

    weights: EnergyWeights = field(default_factory=EnergyWeights)
    # d0: where the palm rests. DexGraspNet 3.0 uses 1 cm; with the palm weight that makes the palm get there,
    # six cases validate 90 of 192 at 1 cm, 103 at 6 mm, 104 at 4 mm, 103 at 2 mm.
    palm_target: float = 0.004
    palm_on_lids: bool = False  # the palm term on lid parts; off: the lid claw holds the palm above the lid
    barrier_distance: float = 0.02  # the barrier is zero beyond this distance to another part
    barrier_floor: float = 1e-3  # distances are clamped here before the log (keeps it finite)
    # The barrier also covers every hand surface point touching the object (closer than barrier_touch): part
    # alignment asks that of every link, not only the fingertips. Every stride-th surface point, to save time.
    barrier_surface_distance: float = 0.01
    barrier_touch: float = 0.005
    barrier_surface_stride: int = 4
    fc_min_force: float = 0.2  # LP force bounds: every contact pushes with [fc_min_force, 1]
    fc_stable: float = 0.15  # LP residual (L1 of the net wrench) below this: the pose is stable -> rescaled form
    fc_lp: bool = True  # False: plain DFC always (the DexGraspNet baseline)
    # Optimizer steps solve the LP every fc_lp_every-th step and reuse its forces and residual in between (the
    # pose moves little per step; the LP was a fifth of a step). Evaluations without gradients always solve.
    # Six cases, 192 grasps: every 4th step validates as many grasps in each unit as every step (68 in all).
    fc_lp_every: int = 4
    # Contacts push within friction cones of this coefficient (0: frictionless LP). Half the simulator's 0.6,
    # the margin grasp benchmarks leave when they score closure.
    fc_friction: float = 0.3
    fc_edges: int = 8  # cone edges per contact
    # A contact's force box shrinks linearly from full at fc_touch to nothing at fc_reach: a finger or palm off
    # the surface cannot push. A pose needs fc_min_contacts fully gated contacts to count as stable.
    fc_touch: float = 0.003
    fc_reach: float = 0.01
    fc_min_contacts: int = 3
    torque_length: float = 0.05  # torques are divided by this length so forces and torques weigh alike
    penetration_margin: float = 0.001  # hand points closer than this to the surface count as penetrating
    # Object samples tested against the forearm's collision hull (0: none), and the hull's planes kept. Thin
    # handles and blades poked 2-5 cm into the forearm between its surface samples (the simulator measured
    # 20-50 mm where those samples said 5 mm): a tenth of the benchmark's penetration failures.
    forearm_samples: int = 1024
    forearm_planes: int = 64
    contact_window: float = 0.02  # the direction term weighs contacts closer than this most


@dataclass(frozen=True)
class OptimizerConfig:
    """Batched Adam over wrist position, wrist rotation (6D) and joints, with decaying steps and annealed noise."""

    iterations: int = 200
    lr_position: float = 0.002
    lr_rotation: float = 0.02
    lr_joints: float = 0.03
    lr_final_fraction: float = 0.05  # learning rates decay exponentially to this fraction
    noise_joints: float = 0.01  # rad, Langevin-style noise std on the joints at the start, annealed to zero
    noise_until: float = 0.5  # fraction of the iterations that get noise
    betas: tuple[float, float] = (0.9, 0.99)


@dataclass(frozen=True)
class PostureConfig:
    """Pregrasp and squeeze from an optimized grasp (postures.derive_postures)."""

    # "curl" (default): every closing joint of the style's fingers (closing.CLOSING_JOINTS) turns by curl_angle,
    # the way a hand controller closes a grasp; measured to eject objects least (the contact-wise modes push
    # free objects out when their forces do not balance).
    # "force": joint step = J' f / kp, so that a blocked finger presses its contact with force f (the LP's
    # balanced forces times squeeze_force); "displacement": each contact point moves squeeze_distance.
    mode: str = "curl"
    # Pinches squeeze by displacement instead: their fingertips press towards each other rather than curling
    # (measured on 12 pinch units, 192 grasps: 44 validated against 37 with the curl). None: ``mode`` for both.
    pinch_mode: str | None = "displacement"
    curl_angle: float = 0.2  # rad, "curl" mode
    squeeze_force: float = 5.0  # N for an LP force of 1
    servo_kp: float = 5.0  # N m / rad: the evaluator's finger servo stiffness (SimConfig.finger_kp)
    squeeze_distance: float = 0.01  # m, "displacement" mode (0.02 held fewer pinches: 39 of 192)
    scale_by_forces: bool = False  # True: each contact as far as its LP force says (weaker holds, measured)
    damping: float = 1e-4  # m^2, damped least squares of the finger Jacobians
    max_joint_step: float = 0.5  # rad
    # Posture search: when a grasp passes its static checks but its squeeze lets the object slip in the
    # six-direction test (or its pregrasp is too deep), these squeezes ("MODE AMOUNT": "curl RAD",
    # "displacement M" or "force N") are tried in order; the first that holds is stored with the grasp, whose
    # pose stays as optimized. A fallback equal to the grasp's own squeeze is skipped. Chosen greedily on the
    # synthesis benchmark's 12 objects (1,088 grasps, 10 squeezes tried on each): its own squeeze held 228, these
    # four 301, all ten 311. Checked on 24 other units of the training set (two pinned synth_tuning samples,
    # 384 grasps): 85 -> 126 validated; the first two alone gave 118. The last two (each style's own squeeze,
    # tried on the other style) added 2 on the benchmark (plan version 7: 314 -> 316) and 2 on those samples.
    fallbacks: tuple[str, ...] = ("displacement 0.03", "curl 0.28", "displacement 0.015", "curl 0.1", "curl 0.2",
                                 "displacement 0.01")
    # A hand left hovering (no collision sphere within hover of the object) moves along its palm normal until it
    # touches (closing.approach_until_contact): the optimizer lets hands drift off wide bodies, away from an
    # initial penetration, and "no contact" was the second most common failure.
    approach_hovering: bool = True
    hover: float = 0.005
    approach_gap: float = 0.002
    approach_max: float = 0.1
    close_fingers: bool = True  # close the style's fingers onto the object after optimizing, then squeeze
    close_gap: float = 0.0005
    # A finger joint whose links are within this of the object keeps its angle when closing it would never meet
    # the object (closing.close_fingers): the sweep would curl the optimizer's contact away into a fist.
    close_keep_near: float = 0.005
    # After closing, each of these fingers of the style ("FF", ..., "TH") in turn moves to where the grasp's Q1 is
    # highest (placement.place_for_closure), when that raises Q1 by more than place_min_gain. Two pinned
    # synth_tuning samples of training units (24 units, 384 grasps): validated 121 -> 131, Q1 of the validated
    # 0.032 -> 0.065 and 0.055 -> 0.082 (force closure 49 -> 74 % and 73 -> 84 %), validated per core-hour
    # 13-34 % lower. The thumb alone: 124 validated, Q1 0.047 and 0.061.
    # Before that, each hand may turn about its contacts' centroid, (hand-frame axis, angle rad) per candidate,
    # with the style's fingers closed again (placement.turn_for_closure), when that raises Q1 by more than
    # place_min_gain; axis 1 is the palm normal, 2 runs along the fingers. Two pinned synth_tuning samples of
    # training units (24 units, 384 grasps): validated 124 -> 133, Q1 of the validated 0.094 -> 0.099 and
    # 0.090 -> 0.097, optimization time +10 %. Larger turns (0.35 / 0.3 / 0.2 rad): 132, Q1 0.096 and 0.093;
    # twelve turns of 0.1 and 0.2 rad: 124, 0.096 and 0.095; a second placement round on top: 134, +0.003 and
    # +0.001 Q1 for +32 % optimization time (results/synthesis_tuning_wrist.json).
    wrist_turns: tuple[tuple[int, float], ...] = ((1, 0.2), (1, -0.2), (2, 0.2), (2, -0.2), (0, 0.15), (0, -0.15))
    place_for_closure: tuple[str, ...] = ("TH", "FF", "MF", "RF", "LF")
    place_min_gain: float = 0.005
    # Open fingers that touch another part than the target until they clear the object by lift_clearance
    # (alignment.py); they then stay open through the squeeze.
    lift_misaligned: bool = True
    lift_clearance: float = 0.004


@dataclass(frozen=True)
class SynthConfig:
    """Everything synthesize() needs besides the object, part, style and seed."""

    batch_size: int = 64
    sdf: SDFConfig = field(default_factory=SDFConfig)
    init: InitConfig = field(default_factory=InitConfig)
    energy: EnergyConfig = field(default_factory=EnergyConfig)
    optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    postures: PostureConfig = field(default_factory=PostureConfig)
    hand_surface_points: int = 4096  # hand penetration samples, area-uniform (the forearm takes over half)
    hand_sphere_spacing: float = 0.5  # collision spheres every half radius: their union hugs the capsules (0.3 mm)
    barrier_points: int = 1024  # samples of the other parts for the barrier
    torch_threads: int = 0  # 0: leave torch's setting alone


# ---------------------------------------------------------------------------------------------- overrides
def _parse_value(text: str, current: object, key: str) -> object:
    """``text`` as the type of the field's current value (bool, int, float, str, None-able str, tuple)."""
    try:
        if isinstance(current, bool):
            if text.lower() not in ("true", "false", "1", "0"):
                raise ValueError("expected true or false")
            return text.lower() in ("true", "1")
        if isinstance(current, int):
            return int(text)
        if isinstance(current, float):
            return float(text)
        rows = json.loads(text) if isinstance(current, tuple) and text.lstrip().startswith("[") else None
        if isinstance(current, tuple) and current and all(isinstance(x, tuple) for x in current) or (
                current == () and isinstance(rows, list) and rows and all(isinstance(r, list) for r in rows)):
            # rows of numbers, e.g. postures.wrist_turns: any number of rows
            if (not isinstance(rows, list) or not all(isinstance(row, list) for row in rows)
                    or not all(isinstance(x, int | float) for row in rows for x in row)):
                raise ValueError("expected a JSON list of lists of numbers")
            return tuple(tuple(row) for row in rows)
        if isinstance(current, tuple) and all(isinstance(x, str) for x in current):
            items = json.loads(text)  # a list of names (or an empty tuple): any length
            if not isinstance(items, list) or not all(isinstance(x, str) for x in items):
                raise ValueError("expected a JSON list of strings")
            return tuple(items)
        if isinstance(current, tuple):
            items = json.loads(text)
            if not isinstance(items, list) or len(items) != len(current):
                raise ValueError(f"expected a JSON list of {len(current)} numbers")
            return tuple(type(old)(new) for old, new in zip(current, items, strict=True))
        if current is None or isinstance(current, str):
            return None if text.lower() == "none" else text
    except (ValueError, TypeError) as error:
        raise ValueError(f"--set {key}={text}: {error}") from None
    raise ValueError(f"--set {key}: a {type(current).__name__} cannot be set from the command line")


def override(config: SynthConfig, assignments: Sequence[str]) -> SynthConfig:
    """``config`` with ``PATH=VALUE`` assignments applied, e.g. ``energy.weights.force_closure=15``,
    ``optimizer.iterations=300``, ``postures.curl_angle=0.15``. Values take the type of the field they replace;
    an unknown path or a value of the wrong type is a ValueError that names the choices.
    """
    for assignment in assignments:
        key, sep, text = assignment.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ValueError(f"--set takes PATH=VALUE, got {assignment!r}")
        config = _replaced(config, key.split("."), text.strip(), key)
    return config


def _replaced(node: object, path: list[str], text: str, key: str) -> object:
    names = [f.name for f in fields(node)]  # type: ignore[arg-type]
    if path[0] not in names:
        where = key[: len(key) - len(".".join(path))].rstrip(".") or "SynthConfig"
        raise ValueError(f"--set {key}: {where} has no field {path[0]!r}; choose from {', '.join(names)}")
    current = getattr(node, path[0])
    if len(path) > 1:
        if not is_dataclass(current):
            raise ValueError(f"--set {key}: {path[0]!r} is a value, not a group of settings")
        value = _replaced(current, path[1:], text, key)
    elif is_dataclass(current):
        raise ValueError(f"--set {key}: {path[0]!r} is a group; set one of its fields: "
                         + ", ".join(f"{key}.{f.name}" for f in fields(current)))
    else:
        value = _parse_value(text, current, key)
    return replace(node, **{path[0]: value})  # type: ignore[type-var]
