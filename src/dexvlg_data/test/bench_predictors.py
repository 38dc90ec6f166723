"""Predictors that misbehave on purpose (and one that is slow), for the benchmark harness tests.

They are real inputs to the harness, loaded by "module:Class" like any method; the harness must score their
items as failed with the reason and go on.
"""

import time

import numpy as np

from dexvlg_core.grasp import Grasp
from dexvlg_data.bench.baselines import RandomBaseline


class Crashing:
    def predict(self, points, colors, instruction, num_grasps):
        raise RuntimeError("model weights missing")


class NaNGrasps:
    def predict(self, points, colors, instruction, num_grasps):
        grasp = Grasp(position=np.zeros(3), rotation=np.eye(3), joints=np.zeros(22))
        grasp.joints = np.full(22, np.nan)  # what a diverged network hands back
        return [grasp]


class Empty:
    def predict(self, points, colors, instruction, num_grasps):
        return []


class SlowRandom(RandomBaseline):
    def predict(self, points, colors, instruction, num_grasps):
        time.sleep(1.0)
        return super().predict(points, colors, instruction, num_grasps)
