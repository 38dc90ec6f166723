"""Finger placement for closure: fingers move to where the grasp's Q1 is highest, and nothing else moves."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from dexvlg_core.hand.joints import JOINT_NAMES
from dexvlg_core.sim import DecompositionConfig
from dexvlg_data.objects.families import generate
from dexvlg_data.synth import OptimizerConfig, SDFConfig, SynthConfig, hand_model, prepare_object, synthesize
from dexvlg_data.synth.alignment import misaligned_fingers
from dexvlg_data.synth.closing import CHAINS, CLOSING_JOINTS, FINGERS, _clearance, _link_mask
from dexvlg_data.synth.placement import SWINGS, place_for_closure
from dexvlg_data.synth.quality import hands_q1

FAST = SynthConfig(sdf=SDFConfig(cell=0.004, max_cells=80, source="mesh"))


def _joints_of(finger: str) -> list[int]:
    names = CLOSING_JOINTS[finger] + (SWINGS[finger][0],) + (("rh_THJ3",) if finger == "TH" else ())
    return [JOINT_NAMES.index(name) for name in names]


@pytest.mark.parametrize(("name", "part", "style", "fingers"), [
    ("bottle", "body", "wrap", ("TH",)),
    ("frying pan", "handle", "pinch", ("TH", "FF", "MF")),
])
def test_placed_fingers_raise_q1_clear_the_object_stay_on_the_part_and_add_no_self_collision(name, part, style,
                                                                                              fingers):
    hand = hand_model()
    target = prepare_object(generate(name, 0), FAST, DecompositionConfig(method="hull"))
    # Optimized hands, closed onto the part, without the placement.
    config = replace(FAST, batch_size=16, optimizer=OptimizerConfig(iterations=60),
                     postures=replace(FAST.postures, place_for_closure=()))
    batch = synthesize(target, part, style, config)
    pos, rot, start = (np.stack([getattr(g, k) for g in batch.grasps]) for k in ("position", "rotation", "joints"))
    gain = 0.005
    joints = place_for_closure(hand, target, part, pos, rot, start, gap=0.0005, fingers=fingers, min_gain=gain)

    movable = sorted(j for finger in fingers for j in _joints_of(finger))
    others = np.setdiff1d(np.arange(len(JOINT_NAMES)), movable)
    np.testing.assert_array_equal(joints[:, others], start[:, others])  # only the placed fingers move
    moved = np.any(joints != start, axis=1)
    assert moved.any()
    # Each accepted move raised the score it was chosen by (4-edge cones) by more than the gain.
    before, after = (hands_q1(hand, target, pos, rot, q, edges=4) for q in (start, joints))
    np.testing.assert_array_equal(after[~moved], before[~moved])
    assert np.all(after[moved] > before[moved] + gain)
    # and Q1 as the benchmark scores it (8 edges) went up with it.
    assert hands_q1(hand, target, pos[moved], rot[moved], joints[moved]).mean() > \
        hands_q1(hand, target, pos[moved], rot[moved], start[moved]).mean()

    def posed(q):
        return hand.forward_kinematics(*(torch.as_tensor(x, dtype=hand.dtype) for x in (q, pos, rot)))

    with torch.no_grad():
        overlap = hand.max_self_overlap(posed(joints)).double().numpy()
        overlap_before = hand.max_self_overlap(posed(start)).double().numpy()
        misaligned, _ = misaligned_fingers(hand, target, part, pos, rot, joints)
        for finger in fingers:
            changed = np.any(joints[:, _joints_of(finger)] != start[:, _joints_of(finger)], axis=1)
            mask = _link_mask(hand, CHAINS[finger][0][1])
            clearance = _clearance(hand, target.sdf, posed(joints), mask).double().numpy()
            assert np.all(clearance[changed] > 0.0)
            assert not misaligned[changed, FINGERS.index(finger)].any()
    assert np.all(overlap[moved] <= overlap_before[moved] + 1e-6)
