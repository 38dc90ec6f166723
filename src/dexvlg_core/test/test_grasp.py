import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from dexvlg_core.grasp import BODEX_SIZE, FLAT_SIZE, Grasp
from dexvlg_core.hand.joints import JOINT_NAMES, NUM_JOINTS, finger_of, joint_index
from dexvlg_core.rotations import matrix_to_rot6d, rot6d_to_matrix


def random_grasp(rng: np.random.Generator, **metadata) -> Grasp:
    return Grasp(
        position=rng.normal(size=3),
        rotation=Rotation.random(random_state=rng.integers(1 << 31)).as_matrix(),
        joints=rng.uniform(-0.3, 1.5, NUM_JOINTS),
        pregrasp=rng.uniform(-0.3, 0.5, NUM_JOINTS),
        **metadata,
    )


def test_joint_names_are_the_real_hand_order():
    assert len(JOINT_NAMES) == 22 == len(set(JOINT_NAMES))
    assert JOINT_NAMES[0] == "rh_FFJ4" and JOINT_NAMES[-1] == "rh_THJ1"
    assert JOINT_NAMES[12:17] == ("rh_LFJ5", "rh_LFJ4", "rh_LFJ3", "rh_LFJ2", "rh_LFJ1")
    assert joint_index("rh_THJ5") == 17 and finger_of("rh_MFJ2") == "MF"
    with pytest.raises(KeyError, match="unknown Shadow Hand joint"):
        joint_index("rh_WRJ1")


def test_flat_round_trip():
    rng = np.random.default_rng(0)
    for _ in range(50):
        grasp = random_grasp(rng)
        flat = grasp.to_flat()
        assert flat.shape == (FLAT_SIZE,)
        back = Grasp.from_flat(flat)
        np.testing.assert_allclose(back.position, grasp.position)
        np.testing.assert_allclose(back.rotation, grasp.rotation, atol=1e-12)
        np.testing.assert_allclose(back.joints, grasp.joints)


def test_rot6d_orthonormalizes_any_input():
    rng = np.random.default_rng(1)
    rotation = rot6d_to_matrix(rng.normal(size=(100, 6)))
    identity = np.broadcast_to(np.eye(3), rotation.shape)
    np.testing.assert_allclose(rotation @ np.swapaxes(rotation, -1, -2), identity, atol=1e-12)
    np.testing.assert_allclose(np.linalg.det(rotation), 1.0, atol=1e-12)
    np.testing.assert_allclose(rot6d_to_matrix(matrix_to_rot6d(rotation)), rotation, atol=1e-12)


def test_bodex_round_trip_and_squeeze_rule():
    rng = np.random.default_rng(2)
    grasp = random_grasp(rng, part="handle")
    rows = grasp.to_bodex()
    assert rows.shape == (3, BODEX_SIZE)
    # Root quaternion is (w, x, y, z) in the interchange format.
    np.testing.assert_allclose(rows[1, 3:7], np.roll(grasp.quat_xyzw, 1))
    np.testing.assert_allclose(rows[2, 7:], 2 * grasp.joints - grasp.pregrasp)
    back = Grasp.from_bodex(rows, part="handle")
    np.testing.assert_allclose(back.rotation, grasp.rotation, atol=1e-12)
    np.testing.assert_allclose(back.pregrasp, grasp.pregrasp)
    assert back.part == "handle"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"joints": np.zeros(21)}, "22 joint angles"),
        ({"joints": np.full(22, np.nan)}, "NaN"),
        ({"position": [0, np.nan, 0]}, "NaN"),
        ({"rotation": np.ones((3, 3))}, "orthonormal"),
        ({"style": "claw"}, "unknown grasp style"),
        ({"contact_fingers": ("thumb", "toe")}, "unknown contact fingers"),
    ],
)
def test_bad_grasps_are_rejected_with_a_reason(kwargs, message):
    args = {"position": np.zeros(3), "rotation": np.eye(3), "joints": np.zeros(22)} | kwargs
    with pytest.raises(ValueError, match=message):
        Grasp(**args)


def test_transformed_moves_the_wrist_pose_only():
    from dexvlg_core.rotations import transform

    grasp = Grasp(position=[0.1, 0.0, 0.0], rotation=np.eye(3), joints=np.full(22, 0.2), part="handle")
    quarter = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    moved = grasp.transformed(transform(quarter, [0.0, 0.0, 1.0]), frame_id="camera")
    assert np.allclose(moved.position, [0.0, 0.1, 1.0]) and np.allclose(moved.rotation, quarter)
    assert np.array_equal(moved.joints, grasp.joints) and moved.part == "handle" and moved.frame_id == "camera"
    assert np.allclose(grasp.position, [0.1, 0.0, 0.0])  # the original is untouched
