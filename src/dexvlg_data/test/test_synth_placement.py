"""Placement for closure: fingers (and wrists) move to where the grasp's Q1 is highest, and nothing else moves."""

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
from dexvlg_data.synth.init import style_fingers
from dexvlg_data.synth.placement import SWINGS, place_for_closure, turn_for_closure, turned_wrists
from dexvlg_data.synth.quality import hands_q1

FAST = SynthConfig(sdf=SDFConfig(cell=0.004, max_cells=80, source="mesh"))


def _optimized(target, part: str, style: str):
    """(pos, rot, joints) of 16 optimized hands closed onto the part, without any placement."""
    config = replace(FAST, batch_size=16, optimizer=OptimizerConfig(iterations=60),
                     postures=replace(FAST.postures, place_for_closure=(), wrist_turns=()))
    batch = synthesize(target, part, style, config)
    return tuple(np.stack([getattr(g, k) for g in batch.grasps]) for k in ("position", "rotation", "joints"))


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
    pos, rot, start = _optimized(target, part, style)
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


TURNS = ((1, 0.2), (1, -0.2), (2, 0.2), (2, -0.2), (0, 0.15), (0, -0.15))


def test_turned_wrists_rotate_each_hand_about_its_contacts_and_reclose_the_fingers():
    hand = hand_model()
    target = prepare_object(generate("bottle", 0), FAST, DecompositionConfig(method="hull"))
    pos, rot, start = _optimized(target, "body", "wrap")
    c = turned_wrists(hand, target, pos[:4], rot[:4], start[:4], style_fingers(hand, "wrap"), TURNS, gap=0.0005)
    s = len(TURNS) + 1
    assert c.joints.shape == (4 * s, 22) and c.clearance.shape == (4 * s,)
    np.testing.assert_array_equal(c.joints[::s], start[:4])  # candidate 0: the hand as it is
    np.testing.assert_array_equal(c.root_rot[::s], rot[:4])
    for b in range(4):
        for k, (axis, angle) in enumerate(TURNS, start=1):
            turn = c.root_rot[b * s + k] @ rot[b].T
            np.testing.assert_allclose(turn @ turn.T, np.eye(3), atol=1e-9)
            # a rotation by ``angle`` about the hand's own axis, which it leaves in place
            np.testing.assert_allclose(turn @ rot[b][:, axis], rot[b][:, axis], atol=1e-9)
            assert np.isclose(np.arccos(np.clip((np.trace(turn) - 1) / 2, -1, 1)), abs(angle), atol=1e-6)
    # Closed again from straight: a turned finger that clears the object straight ends clear of it (touching or
    # fully closed); one the turn already put inside stays so, and turn_for_closure drops that pose.
    turned = np.arange(len(c.joints)) % s != 0
    straight = c.joints.copy()
    for finger in style_fingers(hand, "wrap"):
        straight[:, [JOINT_NAMES.index(name) for name in CLOSING_JOINTS[finger]]] = 0.0
    closed = np.zeros(len(c.joints), bool)
    with torch.no_grad():
        straight_poses = hand.forward_kinematics(*(torch.as_tensor(x, dtype=hand.dtype)
                                                   for x in (straight, c.root_pos, c.root_rot)))
        for finger in style_fingers(hand, "wrap"):
            mask = _link_mask(hand, CHAINS[finger][0][1])
            was_clear = _clearance(hand, target.sdf, straight_poses, mask).double().numpy() > 0.0005
            clearance = _clearance(hand, target.sdf, c.poses, mask).double().numpy()
            assert np.all(clearance[turned & was_clear] > 0.0)
            closed |= turned & was_clear & np.any(c.joints != straight, axis=1)
    assert closed.sum() > len(TURNS)  # the fingers did close


def test_turned_wrists_raise_q1_keep_the_hand_clear_aligned_and_free_of_self_collision():
    hand = hand_model()
    target = prepare_object(generate("frying pan", 0), FAST, DecompositionConfig(method="hull"))
    part = "handle"
    pos, rot, start = _optimized(target, part, "pinch")
    gain = 0.005
    new_pos, new_rot, joints = turn_for_closure(hand, target, part, pos, rot, start, style_fingers(hand, "pinch"),
                                                TURNS, gap=0.0005, min_gain=gain)
    moved = np.any(new_rot != rot, axis=(1, 2))
    assert moved.any() and not moved.all()
    for array, old in ((new_pos, pos), (joints, start)):
        np.testing.assert_array_equal(array[~moved], old[~moved])  # hands no turn improves stay as they were
    before = hands_q1(hand, target, pos, rot, start, edges=4)
    after = hands_q1(hand, target, new_pos, new_rot, joints, edges=4)
    assert np.all(after[moved] > before[moved] + gain)

    def posed(p, r, q):
        return hand.forward_kinematics(*(torch.as_tensor(x, dtype=hand.dtype) for x in (q, p, r)))

    with torch.no_grad():
        clear_before = _clearance(hand, target.sdf, posed(pos, rot, start)).double().numpy()
        clear_after = _clearance(hand, target.sdf, posed(new_pos, new_rot, joints)).double().numpy()
        overlap_before = hand.max_self_overlap(posed(pos, rot, start)).double().numpy()
        overlap_after = hand.max_self_overlap(posed(new_pos, new_rot, joints)).double().numpy()
    assert np.all(clear_after[moved] >= np.minimum(clear_before[moved], 0.0) - 1e-6)
    assert np.all(overlap_after[moved] <= overlap_before[moved] + 1e-6)
    misaligned_before, _ = misaligned_fingers(hand, target, part, pos, rot, start)
    misaligned_after, _ = misaligned_fingers(hand, target, part, new_pos, new_rot, joints)
    assert np.all(misaligned_after[moved].sum(axis=1) <= misaligned_before[moved].sum(axis=1))
