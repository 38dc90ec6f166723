"""Coupled actuation: 22 joints <-> 18 actuators (hand/coupling.py)."""

import mujoco
import numpy as np
import pytest
import torch

from dexvlg_core.hand import coupling as C  # noqa: N812 (short name for many calls)
from dexvlg_core.hand import mjcf
from dexvlg_core.hand.joints import COUPLED_FINGERS, from_model, joint_index

LOWER, UPPER = mjcf.joint_limits()
PAIRS = [(joint_index(f"rh_{f}J2"), joint_index(f"rh_{f}J1")) for f in COUPLED_FINGERS]


def _random_q(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(LOWER, UPPER, size=(n, 22))


def test_actuator_names():
    assert len(C.ACTUATOR_NAMES) == 18 == len(set(C.ACTUATOR_NAMES))
    assert [n for n in C.ACTUATOR_NAMES if n.endswith("J0")] == ["rh_FFJ0", "rh_MFJ0", "rh_RFJ0", "rh_LFJ0"]
    assert "rh_FFJ1" not in C.ACTUATOR_NAMES and "rh_THJ1" in C.ACTUATOR_NAMES


def test_joints_to_actuators_sums_coupled_pairs():
    q = _random_q(7)
    a = C.joints_to_actuators(q)
    assert a.shape == (7, 18)
    for finger, (j2, j1) in zip(COUPLED_FINGERS, PAIRS, strict=True):
        np.testing.assert_allclose(a[:, C.ACTUATOR_NAMES.index(f"rh_{finger}J0")], q[:, j1] + q[:, j2])
    np.testing.assert_array_equal(a[:, C.ACTUATOR_NAMES.index("rh_THJ2")], q[:, joint_index("rh_THJ2")])


@pytest.mark.parametrize("coupling", [C.MJCF_COUPLING, C.REAL_HAND_COUPLING])
def test_actuators_round_trip_through_joints(coupling):
    lo, hi = C.actuator_limits()
    a = np.random.default_rng(1).uniform(lo, hi, size=(200, 18))
    q = C.actuators_to_joints(a, coupling)
    assert np.all(q >= LOWER - 1e-12) and np.all(q <= UPPER + 1e-12)
    np.testing.assert_allclose(C.joints_to_actuators(q), a, atol=1e-12)


def test_coupled_postures_round_trip_and_projection_is_idempotent():
    q = C.couple(_random_q(200, seed=2))
    np.testing.assert_allclose(C.actuators_to_joints(C.joints_to_actuators(q)), q, atol=1e-12)
    np.testing.assert_allclose(C.couple(q), q, atol=1e-12)
    # below saturation the distal is exactly ratio x middle
    small = np.zeros((1, 22))
    small[0, [PAIRS[0][0], PAIRS[0][1]]] = 0.3, 0.3
    j2, j1 = PAIRS[0]
    out = C.couple(small)
    assert out[0, j1] == pytest.approx(C.MJCF_DISTAL_RATIO * out[0, j2])
    assert out[0, j1] + out[0, j2] == pytest.approx(0.6)
    out = C.couple(small, C.REAL_HAND_COUPLING)
    assert out[0, j1] == pytest.approx(out[0, j2])


def test_numpy_and_torch_agree():
    q = _random_q(5, seed=3)
    a = C.joints_to_actuators(torch.as_tensor(q))
    assert isinstance(a, torch.Tensor)
    np.testing.assert_allclose(a.numpy(), C.joints_to_actuators(q))
    np.testing.assert_allclose(
        C.actuators_to_joints(a).numpy(), C.actuators_to_joints(C.joints_to_actuators(q))
    )


def test_mjcf_ratio_matches_coupling_tendon():
    model = mjcf.build_hand_model()
    tendon = model.tendon(f"{mjcf.MODEL_PREFIX}T_FFJ1c").id
    start = model.tendon_adr[tendon]
    coef = {model.joint(model.wrap_objid[w]).name: model.wrap_prm[w] for w in range(start, start + 2)}
    ratio = -coef[f"{mjcf.MODEL_PREFIX}FFJ1"] / coef[f"{mjcf.MODEL_PREFIX}FFJ0"]
    assert ratio == pytest.approx(C.MJCF_DISTAL_RATIO)


def _settle(model: mujoco.MjModel, q: np.ndarray) -> np.ndarray:
    model.opt.gravity[:] = 0.0
    data = mujoco.MjData(model)
    data.ctrl[:] = C.mujoco_ctrl(q, model)
    for _ in range(1000):  # 2 s
        mujoco.mj_step(model, data)
    return from_model(data.qpos[mjcf.qpos_indices(model)])


def test_mujoco_ctrl_drives_the_simulated_hand():
    rng = np.random.default_rng(4)
    q = LOWER + (UPPER - LOWER) * rng.uniform(0.3, 0.7, size=22)
    # fingers side by side and the thumb open, so nothing touches and every servo can reach its target
    q[[joint_index(n) for n in ("rh_FFJ4", "rh_MFJ4", "rh_RFJ4", "rh_LFJ4", "rh_LFJ5")]] = 0.0
    q[joint_index("rh_THJ5") :] = 0.0
    # sign-flipped joints too, each moved where it touches nothing: index away from middle, thumb tip flexed
    q[[joint_index("rh_FFJ4"), joint_index("rh_THJ2"), joint_index("rh_THJ1")]] = -0.2, 0.2, 0.5
    coupled = mjcf.build_hand_model()
    assert C.mujoco_ctrl(q, coupled).shape == (18,)
    got = _settle(coupled, q)
    target = C.couple(q)
    band = 0.001 / 0.00705  # the coupling tendon lets the distal lag ratio x middle by this much
    for j2, j1 in PAIRS:
        assert got[j2] == pytest.approx(target[j2], abs=0.02)
        assert abs(got[j1] - C.MJCF_DISTAL_RATIO * got[j2]) <= band + 0.01
    free = mjcf.build_hand_model(mjcf.HandMjcfConfig(coupled=False))
    assert C.mujoco_ctrl(q, free).shape == (22,)
    np.testing.assert_allclose(_settle(free, q), q, atol=0.03)
