"""Joint names and the MJCF <-> real mapping of the Shadow Hand (hand/joints.py, hand/mjcf.py)."""

import mujoco
import numpy as np
import pytest
import torch

from dexvlg_core.hand import mjcf
from dexvlg_core.hand.joints import (
    JOINT_NAMES,
    JOINT_SIGNS,
    LINK_NAMES,
    MODEL_JOINT_NAMES,
    from_model,
    joint_index,
    model_joint_name,
    model_link_name,
    real_joint_name,
    to_model,
)

# Joint axes of the real right hand (sr_description), in the palm frame with all joints at zero: what each
# rh_ name must mean. Thumb base is turned 45 degrees about y, its distal joints turn about -y.
_S = np.sqrt(0.5)
REAL_AXES = {
    "rh_FFJ4": (0, -1, 0), "rh_MFJ4": (0, -1, 0), "rh_RFJ4": (0, 1, 0), "rh_LFJ4": (0, 1, 0),
    "rh_LFJ5": (0.5736, 0, 0.8192),
    "rh_THJ5": (-_S, 0, -_S), "rh_THJ4": (_S, 0, -_S), "rh_THJ3": (_S, 0, -_S),
    "rh_THJ2": (0, -1, 0), "rh_THJ1": (0, -1, 0),
} | {f"rh_{f}J{n}": (1, 0, 0) for f in ("FF", "MF", "RF", "LF") for n in (1, 2, 3)}  # fmt: skip


@pytest.fixture(scope="module")
def model() -> mujoco.MjModel:
    return mjcf.build_hand_model()


def test_22_unique_real_and_model_names():
    assert len(JOINT_NAMES) == 22 and len(set(JOINT_NAMES)) == 22
    assert len(MODEL_JOINT_NAMES) == 22 and len(set(MODEL_JOINT_NAMES)) == 22
    assert JOINT_NAMES[0] == "rh_FFJ4" and JOINT_NAMES[-1] == "rh_THJ1"
    counts = {f: sum(n[3:5] == f for n in JOINT_NAMES) for f in ("FF", "MF", "RF", "LF", "TH")}
    assert counts == {"FF": 4, "MF": 4, "RF": 4, "LF": 5, "TH": 5}
    for name in JOINT_NAMES:
        assert real_joint_name(model_joint_name(name)) == name
    with pytest.raises(KeyError):
        real_joint_name("robot0:WRJ1")
    with pytest.raises(KeyError):
        joint_index("rh_FFJ0")


def test_model_has_exactly_the_22_finger_joints(model):
    names = {model.joint(i).name for i in range(model.njnt)}
    assert names == set(MODEL_JOINT_NAMES)
    assert all(model.jnt_type[i] == mujoco.mjtJoint.mjJNT_HINGE for i in range(model.njnt))
    assert model.nq == 22
    for link in LINK_NAMES:
        model.body(model_link_name(link))  # raises if a link has no body


@pytest.mark.parametrize("name", JOINT_NAMES)
def test_mapping_by_meaning_matches_real_hand_axes(model, name):
    # The joint axis in the root frame at q = 0, turned into the real convention, is the real hand's axis.
    data = mujoco.MjData(model)
    mujoco.mj_kinematics(model, data)
    jid = model.joint(model_joint_name(name)).id
    axis = data.xaxis[jid] * JOINT_SIGNS[joint_index(name)]
    np.testing.assert_allclose(axis, REAL_AXES[name], atol=5e-3)  # the MJCF tilts LFJ5 0.15 deg differently


def test_sign_conversion_round_trips_and_limits():
    q = np.random.default_rng(0).normal(size=(4, 22))
    np.testing.assert_array_equal(from_model(to_model(q)), q)
    assert torch.equal(from_model(to_model(torch.as_tensor(q))), torch.as_tensor(q))
    assert sum(s < 0 for s in JOINT_SIGNS) == 4
    lower, upper = mjcf.joint_limits()
    assert np.all(lower < upper)
    # the real hand flexes its thumb tip positively; the MJCF's THJ0 range is [-pi/2, 0]
    assert lower[joint_index("rh_THJ1")] == 0.0 and upper[joint_index("rh_THJ1")] == pytest.approx(1.571)
    assert upper[joint_index("rh_LFJ5")] == pytest.approx(0.785)
