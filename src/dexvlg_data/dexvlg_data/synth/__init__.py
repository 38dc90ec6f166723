"""Part-aware grasp synthesis (DexGraspNet 3.0 recipe): objects with parts in, validated captioned grasps out.

    from dexvlg_data.synth import SynthConfig, prepare_object, synthesize, validate
    target = prepare_object(part_object)                      # distance grid, part geometry, sim object
    batch = synthesize(target, "handle", "wrap", SynthConfig(), seed=0)
    checked = validate(batch.grasps, target.sim, target.category, fallbacks=batch.fallbacks)
    good = [v.grasp for v in checked if v.passed]              # captioned, contact fingers from simulation

Modules:
    config         -- every number (SDF grid, initialization, energy weights, optimizer, postures)
    sdf            -- exact mesh distance (numpy) and the torch signed-distance grid ObjectSDF
    context        -- SynthObject / prepare_object: per-object precomputation; the shared HandModel
    init           -- part-aware initial poses per part kind, hand-crafted wrap/pinch postures
    force_closure  -- DFC and the LP-rescaled force closure (batched interior-point LP)
    energy         -- the energy terms and GraspEnergy
    optimize       -- batched Adam with annealed joint noise
    postures       -- pregrasp / squeeze
    closing        -- close fingers onto the object (bisection on the grid), batched
    placement      -- swing a finger to where it opposes best (thumb at initialization) or Q1 is highest
    validate       -- physics validation and captions
    pipeline       -- synthesize()
    quality        -- Q1 (Ferrari-Canny epsilon) of a grasp or a batch of hands
    driver         -- datasets: sharded, resumable, process pool or Ray (SynthPlan, run_plan, summarize)
    command        -- `dexvlg synth`
"""

from dexvlg_data.synth.config import (
    STYLES,
    EnergyConfig,
    EnergyWeights,
    InitConfig,
    OptimizerConfig,
    PostureConfig,
    SDFConfig,
    SynthConfig,
)
from dexvlg_data.synth.context import SynthObject, hand_model, prepare_object
from dexvlg_data.synth.pipeline import SynthBatch, synthesize
from dexvlg_data.synth.validate import Validation, caption, synthesis_sim_config, validate

__all__ = [
    "STYLES", "EnergyConfig", "EnergyWeights", "InitConfig", "OptimizerConfig", "PostureConfig", "SDFConfig",
    "SynthBatch", "SynthConfig", "SynthObject", "Validation", "caption", "hand_model", "prepare_object",
    "synthesis_sim_config", "synthesize", "validate",
]
