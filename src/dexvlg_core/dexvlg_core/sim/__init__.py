"""MuJoCo grasp scenes and the physics grasp evaluator (DESIGN.md "Reference protocols").

    from dexvlg_core.sim import SimConfig, load_object, evaluate, evaluate_batch
    obj = load_object("mug.obj", face_parts=labels, part_names=("body", "handle"))
    result = evaluate(grasp, obj)              # EvalResult: numbers + passed + reason, never raises
    results = evaluate_batch(grasps, obj, workers=4)

Modules:
    config    -- SimConfig: every number of the protocol
    objects   -- SimObject / load_object: checked mesh, part labels, cached CoACD convex decomposition
    scene     -- build_scene: object, table, floating (mocap-welded) or UR10e-mounted hand, D415 camera
    checks    -- penetration, self-penetration, contacts, part alignment, disturbance and lift tests
    evaluator -- evaluate / evaluate_batch (parallel, spawn-safe)
    examples  -- reference power grasps of a box with known outcomes
"""

from dexvlg_core.sim.config import DEFAULT_CONFIG, SimConfig
from dexvlg_core.sim.evaluator import (
    BatchEvaluator,
    EvalResult,
    SceneCache,
    evaluate,
    evaluate_batch,
    success_rate,
)
from dexvlg_core.sim.objects import DecompositionConfig, MeshError, SimObject, load_object
from dexvlg_core.sim.scene import Scene, SceneOptions, build_scene, resting_pose

__all__ = [
    "DEFAULT_CONFIG",
    "BatchEvaluator",
    "DecompositionConfig",
    "EvalResult",
    "MeshError",
    "Scene",
    "SceneCache",
    "SceneOptions",
    "SimConfig",
    "SimObject",
    "build_scene",
    "evaluate",
    "evaluate_batch",
    "load_object",
    "resting_pose",
    "success_rate",
]
