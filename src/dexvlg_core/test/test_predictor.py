import numpy as np
import pytest

from dexvlg_core.hand.mjcf import joint_limits
from dexvlg_core.predictor import (
    GraspPredictor,
    PredictionError,
    RandomGraspPredictor,
    check_request,
    load_predictor,
)


def test_check_request_drops_non_finite_points():
    points = np.array([[0, 0, 0], [np.nan, 0, 0], [1, np.inf, 0], [1, 1, 1]], dtype=np.float32)
    colors = np.arange(12, dtype=np.uint8).reshape(4, 3)
    clean_points, clean_colors = check_request(points, colors, "grasp it")
    np.testing.assert_array_equal(clean_points, points[[0, 3]])
    np.testing.assert_array_equal(clean_colors, colors[[0, 3]])


@pytest.mark.parametrize("points, instruction, message", [
    (np.zeros((0, 3)), "grasp it", "empty point cloud"),
    (np.full((5, 3), np.nan), "grasp it", "no finite point"),
    (np.zeros((5, 3)), "   ", "empty instruction"),
])
def test_check_request_refuses_with_reason(points, instruction, message):
    with pytest.raises(PredictionError, match=message):
        check_request(points, np.zeros(points.shape, np.uint8), instruction)


def test_load_predictor_by_spec():
    predictor = load_predictor("dexvlg_core.predictor:RandomGraspPredictor", seed=3)
    assert isinstance(predictor, GraspPredictor) and predictor.seed == 3
    with pytest.raises(ValueError, match="package.module:Class"):
        load_predictor("no_colon")
    with pytest.raises(ValueError, match="cannot load predictor"):
        load_predictor("dexvlg_core.predictor:Missing")
    with pytest.raises(TypeError, match="does not provide predict"):
        load_predictor("builtins:object")


def test_random_baseline_is_ranked_within_limits_and_faces_the_object():
    rng = np.random.default_rng(0)
    points = (rng.normal(size=(2000, 3)) * 0.05 + [0.1, 0.2, 0.7]).astype(np.float32)
    grasps = RandomGraspPredictor(seed=1).predict(points, np.zeros((2000, 3), np.uint8), "grasp it", 20)
    assert len(grasps) == 20
    scores = [g.score for g in grasps]
    assert scores == sorted(scores, reverse=True)
    lower, upper = joint_limits()
    centre = points.mean(axis=0)
    for grasp in grasps:
        assert np.all(grasp.joints >= lower) and np.all(grasp.joints <= upper)
        assert np.all(grasp.pregrasp >= lower) and np.all(grasp.pregrasp <= upper)
        palm_normal = -grasp.rotation[:, 1]  # the palm faces -y of the hand frame
        to_centre = centre - grasp.position
        assert palm_normal @ to_centre > 0
