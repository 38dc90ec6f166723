"""HandModel forward kinematics against MuJoCo, root placement, and gradients."""

import mujoco
import numpy as np
import pytest
import torch

from dexvlg_core.hand import mjcf
from dexvlg_core.hand.joints import LINK_NAMES, to_model
from dexvlg_core.hand.model import HandModel, HandModelConfig


@pytest.fixture(scope="module")
def hand() -> HandModel:
    return HandModel(dtype=torch.float64)


def _random_rotations(n: int, generator: torch.Generator) -> torch.Tensor:
    rot, _ = torch.linalg.qr(torch.randn(n, 3, 3, generator=generator, dtype=torch.float64))
    return rot * torch.linalg.det(rot)[:, None, None]  # proper rotations only


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_fk_matches_mujoco_on_1000_random_configurations(hand, dtype):
    model = hand if dtype == torch.float64 else HandModel(dtype=dtype)
    q = model.random_q(1000, torch.Generator().manual_seed(0))
    assert torch.all(q >= model.lower) and torch.all(q <= model.upper)
    poses = model.forward_kinematics(q)
    ref_pos, ref_rot = mjcf.mujoco_link_poses(hand.mj_model, q.double().numpy())
    pos_err = np.abs(poses.pos.double().numpy() - ref_pos).max()
    rot_err = np.abs(poses.rot.double().numpy() - ref_rot).max()
    assert pos_err < 1e-5, pos_err
    assert rot_err < 1e-5, rot_err
    # the comparison must have teeth: the fingers really moved
    assert np.ptp(ref_pos[:, LINK_NAMES.index("rh_thdistal")], axis=0).max() > 0.05


def test_root_pose_places_every_link(hand):
    gen = torch.Generator().manual_seed(1)
    q = hand.random_q(8, gen)
    rot, pos = _random_rotations(8, gen), torch.randn(8, 3, generator=gen, dtype=torch.float64)
    local, world = hand.forward_kinematics(q), hand.forward_kinematics(q, pos, rot)
    expected = torch.einsum("bij,blj->bli", rot, local.pos) + pos[:, None]
    torch.testing.assert_close(world.pos, expected)
    torch.testing.assert_close(world.rot, rot[:, None] @ local.rot)
    tips_local, tips_world = hand.fingertips(local), hand.fingertips(world)
    torch.testing.assert_close(tips_world, torch.einsum("bij,bnj->bni", rot, tips_local) + pos[:, None])


def test_fingertips_match_mujoco_sites(hand):
    q = hand.random_q(5, torch.Generator().manual_seed(2))
    tips = hand.fingertips(hand.forward_kinematics(q)).numpy()
    model, data = hand.mj_model, mujoco.MjData(hand.mj_model)
    for b in range(5):
        data.qpos[mjcf.qpos_indices(model)] = to_model(q[b].numpy())
        mujoco.mj_kinematics(model, data)
        ref = np.array([data.site(name).xpos for name in mjcf.FINGERTIP_SITES])
        np.testing.assert_allclose(tips[b], ref, atol=1e-9)


@pytest.mark.parametrize("analytical_grad", [True, False])
def test_gradients_match_finite_differences(hand, analytical_grad):
    model = (
        hand
        if analytical_grad
        else HandModel(dtype=torch.float64, config=HandModelConfig(analytical_grad=False))
    )
    gen = torch.Generator().manual_seed(3)
    q = model.random_q(3, gen).requires_grad_(True)
    rot, pos = _random_rotations(3, gen), torch.randn(3, 3, generator=gen, dtype=torch.float64)

    def outputs(q: torch.Tensor) -> torch.Tensor:
        poses = model.forward_kinematics(q, pos, rot)
        _, contact_normals = model.contact_candidates(poses, "wrap")
        return torch.cat(
            [
                model.fingertips(poses).flatten(1),
                poses.rot.flatten(1)[:, ::5],
                contact_normals.flatten(1)[:, ::7],
            ],
            1,
        )

    assert torch.autograd.gradcheck(outputs, (q,), eps=1e-6, atol=1e-6)


def test_fk_rejects_wrong_joint_count(hand):
    with pytest.raises(ValueError):
        hand.forward_kinematics(torch.zeros(2, 24, dtype=torch.float64))
