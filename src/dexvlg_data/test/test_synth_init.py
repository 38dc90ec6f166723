"""Part-aware initialization: palms start at the right part, turned by the part's kind; fingers close on it."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from dexvlg_core.hand.joints import JOINT_NAMES, LINK_NAMES
from dexvlg_core.sim import DecompositionConfig
from dexvlg_data.objects.families import generate
from dexvlg_data.objects.part_geometry import DISK, L_SHAPED, LID, SHAFT
from dexvlg_data.synth import InitConfig, SDFConfig, SynthConfig, hand_model, prepare_object
from dexvlg_data.synth.closing import close_fingers
from dexvlg_data.synth.energy import GraspEnergy
from dexvlg_data.synth.init import CLAW_GAP, claw_posture, initial_poses, palm_centre, part_width, posture

FAST = SynthConfig(sdf=SDFConfig(cell=0.004, max_cells=80, source="mesh"))
HULL = DecompositionConfig(method="hull")  # no CoACD: initialization only needs the mesh


@pytest.fixture(scope="module")
def hand():
    return hand_model()


@pytest.fixture(scope="module")
def targets():
    return {name: prepare_object(generate(name, 0), FAST, HULL) for name in ("bottle", "jar", "frying pan", "mug")}


def _palms(hand, init):
    return np.einsum("bij,j->bi", init.root_rot, palm_centre(hand)) + init.root_pos


def _nearest(points, cloud):
    return np.linalg.norm(points[:, None] - cloud[None], axis=-1).min(axis=1)


@pytest.mark.parametrize(("name", "part", "kind"), [("bottle", "body", SHAFT), ("jar", "lid", LID),
                                                    ("frying pan", "pan", DISK), ("mug", "handle", L_SHAPED)])
def test_palms_start_next_to_the_part(targets, hand, name, part, kind):
    target = targets[name]
    assert target.part(part).kind == kind
    config = InitConfig(close_fingers=False, lid_claw=False)  # lids with the claw: test_lids_are_taken_with_a_claw
    init = initial_poses(target, part, "wrap", 16, np.random.default_rng(0), config, hand)
    palms = _palms(hand, init)
    own = target.surface_points[target.surface_parts == target.obj.part_index(part)]
    others = target.surface_points[target.surface_parts != target.obj.part_index(part)]
    to_part = _nearest(palms, own)
    assert np.all(to_part < 0.06)
    assert np.mean(to_part < _nearest(palms, others)) >= 0.75  # mostly nearer the part than anything else
    # the palm faces its grasp point: the palm normal (-y) is the approach direction
    np.testing.assert_allclose(-init.root_rot[:, :, 1], init.approach, atol=1e-9)
    to_point = init.grasp_points - palms
    cosine = np.sum(to_point * init.approach, axis=1) / np.linalg.norm(to_point, axis=1)
    assert np.median(cosine) > 0.8


def test_shafts_and_handles_have_the_flexion_axis_along_the_part(targets, hand):
    for name, part in (("bottle", "body"), ("mug", "handle")):
        target = targets[name]
        init = initial_poses(target, part, "wrap", 32, np.random.default_rng(1), InitConfig(close_fingers=False), hand)
        along = np.abs(init.root_rot[:, :, 0] @ target.part(part).principal_direction)
        assert np.median(along) > 0.95 and along.min() > 0.6
        assert np.all(np.abs(np.linalg.det(init.root_rot) - 1.0) < 1e-9)


def test_lids_get_24_rotations_about_their_axis_palm_down(targets, hand):
    target = targets["jar"]
    axis = target.part("lid").principal_direction
    config = InitConfig(jitter_angle=0.0, jitter_tilt=0.0, close_fingers=False)
    init = initial_poses(target, "lid", "wrap", 24, np.random.default_rng(2), config, hand)
    np.testing.assert_allclose(init.approach @ axis, -1.0, atol=1e-9)  # palm comes down along the lid's axis
    x = init.root_rot[:, :, 0]
    ref = x[0]
    angles = np.degrees(np.arctan2(np.cross(ref, x) @ axis, x @ ref)) % 360.0
    np.testing.assert_allclose(np.sort(angles), np.arange(24) * 15.0, atol=1e-6)


def _tips(hand, init, joints):
    poses = hand.forward_kinematics(*(torch.as_tensor(x, dtype=hand.dtype) for x in (joints, init.root_pos,
                                                                                    init.root_rot)))
    return hand.fingertips(poses).double().numpy()  # (B, 5, 3): FF, MF, RF, LF, TH


@pytest.mark.parametrize("width", [0.04, 0.06, 0.08])
def test_the_claw_opens_the_thumb_across_the_lid_at_the_fingertips_depth(hand, width):
    q = claw_posture(hand, "pinch", width)
    tips = hand.fingertips(hand.forward_kinematics(torch.as_tensor(q, dtype=hand.dtype)[None]))[0].double().numpy()
    lead, thumb = tips[:2].mean(axis=0), tips[4]
    palm = palm_centre(hand)
    assert lead[1] < palm[1] - 0.05  # the fingertips hang well below the palm (-y: out of the palm)
    assert abs(thumb[1] - lead[1]) < 0.015  # the thumb at their depth
    assert abs(np.linalg.norm(thumb - lead) - (width + CLAW_GAP)) < 0.015  # and as far from them as the lid asks
    assert thumb[2] < lead[2]  # on the other side of the lid, towards the wrist


def test_lids_are_taken_with_a_claw_from_above(targets, hand):
    target = targets["jar"]
    geometry = target.part("lid")
    axis = np.asarray(geometry.principal_direction)
    centre = np.asarray(geometry.box.center)
    top = max((p - centre) @ axis for p in target.surface_points[target.surface_parts == target.obj.part_index("lid")])
    rng = np.random.default_rng(4)
    init = initial_poses(target, "lid", "pinch", 16, rng, InitConfig(close_fingers=False), hand)
    tips = _tips(hand, init, init.joints)
    height = lambda points: (points - centre) @ axis  # noqa: E731
    assert np.all(height(_palms(hand, init)) > top + 0.03)  # the palm held well above the lid
    for finger in (0, 1, 4):  # index, middle and thumb reach down to the lid's side
        assert np.all(np.abs(height(tips[:, finger]) - top) < 0.02)  # tilt jitter: 0.1 rad
    # index and thumb on opposite sides of the lid's axis, about its width apart
    across = lambda points: (points - centre) - np.outer(height(points), axis)  # noqa: E731
    assert np.all(np.sum(across(tips[:, 0]) * across(tips[:, 4]), axis=1) < 0)
    spread = np.linalg.norm(across(tips[:, 1]) - across(tips[:, 4]), axis=1)
    assert np.all(np.abs(spread - part_width(geometry) - CLAW_GAP) < 0.025)
    # without the claw the palm comes down onto the lid
    flat = initial_poses(target, "lid", "pinch", 16, np.random.default_rng(4),
                         InitConfig(close_fingers=False, lid_claw=False), hand)
    assert np.all(height(_palms(hand, flat)) < top + 0.03)


def test_the_palm_term_is_off_on_lids_unless_asked_for(targets, hand):
    config = SynthConfig().energy
    jar = targets["jar"]
    assert GraspEnergy(hand, jar, "lid", "wrap", config).weights["palm"] == 0.0
    assert GraspEnergy(hand, jar, "body", "wrap", config).weights["palm"] == config.weights.palm
    on = replace(config, palm_on_lids=True)
    assert GraspEnergy(hand, jar, "lid", "wrap", on).weights["palm"] == config.weights.palm


def test_disks_are_approached_in_their_plane_at_the_rim(targets, hand):
    target = targets["frying pan"]
    geometry = target.part("pan")
    config = InitConfig(jitter_angle=0.0, jitter_tilt=0.0, close_fingers=False)
    init = initial_poses(target, "pan", "pinch", 16, np.random.default_rng(3), config, hand)
    axis = geometry.principal_direction
    np.testing.assert_allclose(init.approach @ axis, 0.0, atol=1e-6)  # radially inwards, in the disk's plane
    np.testing.assert_allclose(init.root_rot[:, :, 0] @ axis, 0.0, atol=1e-6)  # flexion axis along the rim
    jittered = initial_poses(target, "pan", "pinch", 16, np.random.default_rng(3), InitConfig(close_fingers=False),
                             hand)
    assert np.median(np.abs(jittered.approach @ axis)) < 0.3  # the tilt jitter keeps it near the plane
    radius = np.linalg.norm((init.grasp_points - geometry.box.center) - np.outer(
        (init.grasp_points - geometry.box.center) @ axis, axis), axis=1)
    assert np.all(radius > 0.6 * geometry.box.extents[0] / 2)


def test_postures_and_closing(targets, hand):
    target = targets["bottle"]
    config = InitConfig(close_fingers=False, open_fingers=False)
    for style in ("wrap", "pinch"):
        init = initial_poses(target, "body", style, 8, np.random.default_rng(4), config, hand)
        assert np.all(init.joints >= hand.lower.numpy() - 1e-6) and np.all(init.joints <= hand.upper.numpy() + 1e-6)
        assert np.abs(init.joints - posture(style, wide=True)).max() < 0.5  # an 8 cm body
    with pytest.raises(ValueError):
        posture("fist")
    # closing brings the wrap fingers onto the body without going in
    init = initial_poses(target, "body", "wrap", 8, np.random.default_rng(4), config, hand)

    def clearance(joints):
        poses = hand.forward_kinematics(torch.tensor(joints, dtype=torch.float32),
                                        torch.tensor(init.root_pos).float(), torch.tensor(init.root_rot).float())
        centres, radii = hand.self_collision_spheres(poses)
        return (target.sdf(centres)[0] - radii).min(dim=-1).values

    closed = close_fingers(hand, target.sdf, init.root_pos, init.root_rot, init.joints, ("FF", "MF", "RF", "LF", "TH"))
    assert np.all(closed >= init.joints - 1e-6)  # only closes
    before, after = clearance(init.joints), clearance(closed)
    assert torch.all(after > torch.clamp(before, max=0.0) - 0.002)  # closing never pushes a finger in
    assert (after < 0.005).float().mean().item() >= 0.5  # and most hands end up touching


def test_closing_is_not_frozen_by_fingers_that_already_overlap(targets, hand):
    # A start whose little and ring fingers already cross (more than the old 1 mm allowance): the other fingers
    # must still close onto the part, and the crossing may not get deeper.
    target = targets["bottle"]
    init = initial_poses(target, "body", "wrap", 4, np.random.default_rng(4), InitConfig(close_fingers=False), hand)
    joints = init.joints.copy()
    joints[:, JOINT_NAMES.index("rh_LFJ4")] = float(hand.lower[JOINT_NAMES.index("rh_LFJ4")])
    joints[:, JOINT_NAMES.index("rh_RFJ4")] = float(hand.upper[JOINT_NAMES.index("rh_RFJ4")])

    def overlap(q):
        poses = hand.forward_kinematics(torch.tensor(q, dtype=torch.float32), torch.tensor(init.root_pos).float(),
                                        torch.tensor(init.root_rot).float())
        return hand.self_penetration(poses).amax(dim=-1)

    start = overlap(joints)
    assert torch.all(start > 0.0015)
    closed = close_fingers(hand, target.sdf, init.root_pos, init.root_rot, joints, ("FF", "MF"))
    moved = closed[:, [JOINT_NAMES.index("rh_FFJ3"), JOINT_NAMES.index("rh_MFJ3")]] - joints[:, [
        JOINT_NAMES.index("rh_FFJ3"), JOINT_NAMES.index("rh_MFJ3")]]
    assert np.all(moved.max(axis=1) > 0.05)
    assert torch.all(overlap(closed) <= start + 1e-5)


def test_hovering_hands_approach_until_they_touch(targets, hand):
    from dexvlg_data.synth.closing import approach_until_contact

    target = targets["bottle"]
    # (the default thumb: the wide-part thumb reaches far enough in front of the palm to touch from 4 cm back)
    init = initial_poses(target, "body", "wrap", 4, np.random.default_rng(5),
                         InitConfig(close_fingers=False, wide_part=1.0), hand)

    def clearance(pos):
        poses = hand.forward_kinematics(torch.tensor(init.joints, dtype=torch.float32), torch.tensor(pos).float(),
                                        torch.tensor(init.root_rot).float())
        centres, radii = hand.self_collision_spheres(poses)
        return (target.sdf(centres)[0] - radii).min(dim=-1).values

    palm_normal = -init.root_rot[:, :, 1]
    hovering = init.root_pos - 0.04 * palm_normal  # 4 cm further back along the palm normal
    assert torch.all(clearance(hovering) > 0.01)
    moved = approach_until_contact(hand, target.sdf, hovering, init.root_rot, init.joints, gap=0.002)
    after = clearance(moved)
    assert torch.all(after > 0.0) and torch.all(after < 0.004)  # touching, not inside
    travel = moved - hovering  # straight along the palm normal
    np.testing.assert_allclose(np.cross(travel, palm_normal), 0.0, atol=1e-5)
    # A hand facing away from the object never meets it: it stays where it was.
    away = init.root_pos - 0.3 * palm_normal  # 30 cm back, then turned around
    flipped = init.root_rot @ np.diag([-1.0, -1.0, 1.0])  # palm turned away (a rotation by pi about z)
    np.testing.assert_allclose(approach_until_contact(hand, target.sdf, away, flipped, init.joints), away, atol=1e-6)


def test_closing_keeps_a_near_contact_that_its_sweep_would_only_curl_away(targets, hand):
    # Hands turned around so the backs of their fingers rest 2 mm off the bottle: closing moves the fingers away,
    # never meeting the body. Without keep_near they curl into a fist (the "no contact" pinches); with it they stay.
    target = targets["bottle"]
    init = initial_poses(target, "body", "wrap", 4, np.random.default_rng(6), InitConfig(close_fingers=False), hand)
    towards = -init.root_rot[:, :, 1]  # where the palm faced: the backs of the turned fingers now face there
    flipped = init.root_rot @ np.diag([-1.0, -1.0, 1.0])
    finger = torch.isin(hand.sphere_link, torch.tensor([LINK_NAMES.index(f"rh_ff{x}") for x in
                                                        ("proximal", "middle", "distal")]))

    def clearance(pos, joints, mask=None):
        poses = hand.forward_kinematics(torch.tensor(joints, dtype=torch.float32), torch.tensor(pos).float(),
                                        torch.tensor(flipped).float())
        centres, radii = hand.self_collision_spheres(poses)
        gaps = target.sdf(centres)[0] - radii
        return (gaps if mask is None else gaps[:, mask]).min(dim=-1).values.double().numpy()

    pos = init.root_pos - 0.1 * towards
    for _ in range(40):  # sphere tracing of the index finger: never into the body
        pos = pos + np.clip(clearance(pos, init.joints, finger) - 0.002, 0.0, None)[:, None] * towards
    near = clearance(pos, init.joints, finger)
    assert np.all(near < 0.004)
    j3 = JOINT_NAMES.index("rh_FFJ3")
    curled = close_fingers(hand, target.sdf, pos, flipped, init.joints, ("FF",), gap=0.0005)
    assert np.all(curled[:, j3] == pytest.approx(float(hand.upper[j3])))  # the old behaviour: a fist
    kept = close_fingers(hand, target.sdf, pos, flipped, init.joints, ("FF",), gap=0.0005, keep_near=0.005)
    np.testing.assert_allclose(kept, init.joints, atol=1e-6)


def test_idle_fingers_inside_a_wide_part_open_until_they_clear_it(targets, hand):
    # A pinch's ring and little fingers are curled out of the way; next to the bottle's body they reach into it.
    from dexvlg_data.synth.closing import CHAINS, open_fingers

    target = targets["bottle"]
    init = initial_poses(target, "body", "pinch", 8, np.random.default_rng(7),
                         InitConfig(open_fingers=False, close_fingers=False), hand)
    links = {f: [LINK_NAMES.index(link) for link in CHAINS[f][0][1]] for f in ("RF", "LF")}

    def clearance(joints, finger):
        poses = hand.forward_kinematics(torch.tensor(joints, dtype=torch.float32), torch.tensor(init.root_pos).float(),
                                        torch.tensor(init.root_rot).float())
        centres, radii = hand.self_collision_spheres(poses)
        mask = torch.isin(hand.sphere_link, torch.tensor(links[finger]))
        return (target.sdf(centres[:, mask])[0] - radii[mask]).min(dim=-1).values.double().numpy()

    before = {f: clearance(init.joints, f) for f in links}
    assert min(before["RF"].min(), before["LF"].min()) < -0.01  # some curled finger is 1 cm deep in the body
    opened = open_fingers(hand, target.sdf, init.root_pos, init.root_rot, init.joints, ("RF", "LF"), gap=0.001)
    closing = [JOINT_NAMES.index(j) for f in links for j, _ in CHAINS[f]]
    others = np.setdiff1d(np.arange(len(JOINT_NAMES)), closing)
    np.testing.assert_allclose(opened[:, others], init.joints[:, others], atol=1e-6)  # nothing else moves
    assert np.all(opened <= init.joints + 1e-6)  # only opens
    lower = hand.lower.double().numpy()
    for finger in links:
        joints = [JOINT_NAMES.index(j) for j, _ in CHAINS[finger]]
        after = clearance(opened, finger)
        inside = before[finger] <= 0.001
        fully_open = np.all(np.isclose(opened[:, joints], lower[joints], atol=1e-5), axis=1)
        assert np.all((after[inside] > 0.0005) | fully_open[inside])  # out of the part (or as open as it goes)
        assert np.all((after[inside] < 0.004) | fully_open[inside])  # just enough: not flung wide open
        np.testing.assert_allclose(opened[~inside][:, joints], init.joints[~inside][:, joints], atol=1e-6)


def test_on_a_wide_shaft_the_wrap_thumb_closes_on_the_far_side_opposite_the_fingers(targets, hand):
    # From the wrap pre-shape the thumb closes onto an 8 cm body beside the palm, where it opposes nothing; from
    # the wide-part pre-shape (WIDE_THUMB) it wraps around the body to the far side.
    from dexvlg_data.synth.init import part_width, wide_thumb

    target = targets["bottle"]
    body = target.part("body")
    assert part_width(body) == pytest.approx(np.sort(body.box.extents)[1])  # the girth, not the length
    assert wide_thumb(body, InitConfig()) and not wide_thumb(body, InitConfig(wide_part=0.1))
    assert not wide_thumb(targets["mug"].part("handle"), InitConfig())  # L-shaped, 2 cm across
    axis = body.principal_direction / np.linalg.norm(body.principal_direction)

    def around(points):  # unit directions from the body's axis to points, across the axis
        offset = points - body.box.center
        offset -= np.outer(offset @ axis, axis)
        return offset / np.linalg.norm(offset, axis=1, keepdims=True)

    def thumb_angles(config):
        init = initial_poses(target, "body", "wrap", 16, np.random.default_rng(0), config, hand)
        poses = hand.forward_kinematics(torch.tensor(init.joints).float(), torch.tensor(init.root_pos).float(),
                                        torch.tensor(init.root_rot).float())
        thumb = hand.fingertips(poses)[:, -1].double().numpy()
        cosine = np.sum(around(thumb) * around(_palms(hand, init)), axis=1)
        return np.degrees(np.arccos(np.clip(cosine, -1.0, 1.0))), init.joints

    angles, joints = thumb_angles(InitConfig(thumb_search=False))  # the pre-shape's own thumb
    assert np.median(angles) > 110.0  # across the body from the palm (measured 137)
    assert np.abs(joints[:, JOINT_NAMES.index("rh_THJ5")] - posture("wrap", wide=True)[JOINT_NAMES.index("rh_THJ5")]
                  ).max() < 0.5
    narrow_rule, _ = thumb_angles(InitConfig(wide_part=1.0, thumb_search=False))
    assert np.median(narrow_rule) < 70.0  # beside the palm (measured 48)


@pytest.mark.parametrize(("name", "part", "style"), [("bottle", "body", "wrap"), ("mug", "handle", "pinch")])
def test_the_thumb_search_puts_the_thumb_pad_on_the_part_against_the_other_contacts(targets, hand, name, part,
                                                                                     style):
    from dexvlg_data.synth.closing import _clearance, _link_mask
    from dexvlg_data.synth.placement import THUMB_LINKS

    target = targets[name]
    labels = np.array(hand.contact_point_labels(style))
    thumb_joints = [JOINT_NAMES.index(f"rh_THJ{k}") for k in range(1, 6)]

    def thumbs(config):
        init = initial_poses(target, part, style, 16, np.random.default_rng(0), config, hand)
        poses = hand.forward_kinematics(*(torch.tensor(x, dtype=hand.dtype)
                                          for x in (init.joints, init.root_pos, init.root_rot)))
        points, _ = hand.contact_candidates(poses, style)
        distance, normals = (x.double().numpy() for x in target.sdf(points))
        rows = np.arange(16)

        def nearest(label):  # each hand's candidate of that label nearest the part
            members = np.flatnonzero(labels == label)
            return members[distance[:, members].argmin(axis=1)]

        thumb = nearest("TH")
        others = np.zeros((16, 3))
        for label in set(labels) - {"TH"}:
            k = nearest(label)
            others += (distance[rows, k] < 0.003)[:, None] * normals[rows, k]
        others /= np.maximum(np.linalg.norm(others, axis=1, keepdims=True), 1e-12)
        opposition = -(normals[rows, thumb] * others).sum(axis=1)
        clearance = _clearance(hand, target.sdf, poses, _link_mask(hand, THUMB_LINKS)).double().numpy()
        return init, distance[rows, thumb], opposition, clearance

    base, base_pad, base_opposition, base_clearance = thumbs(InitConfig(thumb_search=False))
    init, pad, opposition, clearance = thumbs(InitConfig(thumb_search=True))
    # Only the thumb moves; the wrist and the other fingers start where they did.
    np.testing.assert_array_equal(init.root_pos, base.root_pos)
    others = np.setdiff1d(np.arange(len(JOINT_NAMES)), thumb_joints)
    np.testing.assert_array_equal(init.joints[:, others], base.joints[:, others])
    moved = np.any(init.joints[:, thumb_joints] != base.joints[:, thumb_joints], axis=1)
    assert moved.sum() >= 4
    # A moved thumb rests its pad on the part without entering it; one that did so before now pushes against the
    # other contacts at least as squarely.
    assert np.all(pad[moved] < 0.003) and np.all(clearance[moved] > 0.0)
    rested = (base_pad < 0.003) & (base_clearance > 0.0)
    assert np.all(opposition[moved & rested] >= base_opposition[moved & rested] - 1e-6)
    # More thumbs rest on the part (the hand-crafted ones often start inside it).
    assert np.mean((pad < 0.003) & (clearance > 0.0)) > np.mean(rested) + 0.2
