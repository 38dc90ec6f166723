"""One batch of synthesis: initialize around a part, optimize, derive postures -> Grasps (object frame).

    target = prepare_object(obj, config)                      # once per object
    batch = synthesize(target, "handle", "wrap", config, seed=0)
    checked = validate(batch.grasps, target.sim, target.category, fallbacks=batch.fallbacks)

synthesize is a pure function of (object, part, style, config, seed): the same inputs give the same grasps, so
a sharded, resumable driver can recompute any batch from its key.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch

from dexvlg_core.grasp import Grasp
from dexvlg_core.rotations import matrix_to_rot6d, rot6d_to_matrix
from dexvlg_data.objects.part_object import PartObject
from dexvlg_data.synth.alignment import lift_fingers, misaligned_fingers
from dexvlg_data.synth.closing import FINGERS, approach_until_contact, close_fingers
from dexvlg_data.synth.config import STYLES, PostureConfig, SynthConfig
from dexvlg_data.synth.context import SynthObject, hand_model, prepare_object
from dexvlg_data.synth.energy import GraspEnergy
from dexvlg_data.synth.init import InitialPoses, initial_poses, style_fingers
from dexvlg_data.synth.optimize import OptimizationResult, optimize
from dexvlg_data.synth.placement import place_for_closure, turn_for_closure
from dexvlg_data.synth.postures import derive_postures, fallback_configs, finger_joint_mask, squeeze_step


@dataclass
class SynthBatch:
    """Optimized grasps of one (object, part, style, seed) and how they were found."""

    object_id: str
    category: str
    part: str
    part_kind: str
    style: str
    seed: int
    grasps: list[Grasp]
    init: InitialPoses
    optimization: OptimizationResult
    seconds: float
    # Per PostureConfig.fallbacks entry, in order: (pregrasp, squeeze) of every grasp, (B, 22) each; validate()
    # tries them on grasps whose own squeeze lets the object slip.
    fallbacks: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    # CPU seconds of this process per stage, in pipeline order: where synthesis time goes.
    stages: dict[str, float] = field(default_factory=dict)


class _StageClock:
    """Accumulates process CPU time into named stages: ``lap(name)`` charges the time since the last lap."""

    def __init__(self) -> None:
        self.stages: dict[str, float] = {}
        self._mark = time.process_time()

    def lap(self, name: str) -> None:
        now = time.process_time()
        self.stages[name] = self.stages.get(name, 0.0) + now - self._mark
        self._mark = now


def synthesize(obj: PartObject | SynthObject, part: str, style: str, config: SynthConfig | None = None,
               seed: int = 0) -> SynthBatch:
    """``config.batch_size`` optimized grasps of ``part`` in ``style`` (not yet validated)."""
    start, clock = time.perf_counter(), _StageClock()
    config = config or SynthConfig()
    if style not in STYLES:
        raise ValueError(f"unknown grasp style {style!r}; expected one of {STYLES}")
    target = obj if isinstance(obj, SynthObject) else prepare_object(obj, config)
    if config.torch_threads:
        torch.set_num_threads(config.torch_threads)
    hand = hand_model(config.hand_surface_points, config.hand_sphere_spacing)
    rng = np.random.default_rng(seed)
    generator = torch.Generator().manual_seed(seed)
    init = initial_poses(target, part, style, config.batch_size, rng, config.init, hand)
    clock.lap("initial_poses")  # with the set-up before it (preparing obj when it is a PartObject)
    energy = GraspEnergy(hand, target, part, style, config.energy, config.barrier_points)
    result = optimize(energy, init.root_pos, init.root_rot, init.joints, hand.lower, hand.upper, config.optimizer,
                      generator, hand.dtype)
    clock.lap("optimization")
    joints = result.joints
    if config.postures.approach_hovering:
        result.root_pos = approach_until_contact(hand, target.sdf, result.root_pos, result.root_rot, joints,
                                                 config.postures.approach_gap, config.postures.hover,
                                                 config.postures.approach_max)
    if config.postures.close_fingers:
        joints = close_fingers(hand, target.sdf, result.root_pos, result.root_rot, joints, style_fingers(hand, style),
                               config.postures.close_gap, keep_near=config.postures.close_keep_near)
    clock.lap("closing")
    turns = tuple((int(axis), float(angle)) for axis, angle in config.postures.wrist_turns)
    if turns:
        result.root_pos, result.root_rot, joints = turn_for_closure(
            hand, target, part, result.root_pos, result.root_rot, joints, style_fingers(hand, style), turns,
            config.postures.close_gap, config.postures.place_min_gain)
    clock.lap("wrist_turns")
    placed = tuple(f for f in config.postures.place_for_closure if f in style_fingers(hand, style))
    if placed:
        joints = place_for_closure(hand, target, part, result.root_pos, result.root_rot, joints,
                                   config.postures.close_gap, placed, config.postures.place_min_gain)
    clock.lap("finger_placement")
    lifted = np.zeros((config.batch_size, len(FINGERS)), bool)
    if config.postures.lift_misaligned:
        lifted, _ = misaligned_fingers(hand, target, part, result.root_pos, result.root_rot, joints)
        joints = lift_fingers(hand, target, result.root_pos, result.root_rot, joints, lifted,
                              config.postures.lift_clearance)
    if (config.postures.approach_hovering or config.postures.close_fingers or turns or placed
            or config.postures.lift_misaligned):
        with torch.no_grad():
            final = energy(*(torch.as_tensor(x, dtype=hand.dtype) for x in (result.root_pos, result.root_rot, joints)))
        result.joints, result.energy = joints, {k: v.double().numpy() for k, v in final.items()}

    def postures(posture_config: PostureConfig) -> tuple[np.ndarray, np.ndarray]:
        step = squeeze_step(energy, result.root_pos, result.root_rot, joints, posture_config)
        for f, finger in enumerate(FINGERS):  # lifted fingers stay clear of the object
            step[lifted[:, f]] *= ~finger_joint_mask(finger).numpy()
        return derive_postures(joints, step)

    pregrasp, squeeze = postures(config.postures)
    fallbacks = [postures(option) for option in fallback_configs(config.postures)]
    rotations = rot6d_to_matrix(matrix_to_rot6d(result.root_rot))  # float32 optimizer -> exactly orthonormal
    grasps = []
    for i in range(config.batch_size):
        scores = {f"energy_{name}": float(values[i]) for name, values in result.energy.items()}
        grasps.append(Grasp(position=result.root_pos[i], rotation=rotations[i], joints=result.joints[i],
                            pregrasp=pregrasp[i], squeeze=squeeze[i], object_id=target.obj.object_id, part=part,
                            style=style, scores=scores))
    clock.lap("postures")  # finger lifting, final energies, pregrasp/squeeze and fallback postures
    return SynthBatch(target.obj.object_id, target.category, part, target.part(part).kind, style, seed, grasps, init,
                      result, time.perf_counter() - start, fallbacks, clock.stages)
