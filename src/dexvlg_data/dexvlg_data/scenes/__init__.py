"""Tabletop scenes: stable poses, grasps placed on the table, single-view RGB-D renders and training samples.

    scene = prepare_scene_object(generate("mug", 1), "grasps.parquet")   # stable poses (cached) + placements
    view = render_view(scene.part_object, scene.pose(0), view=3)         # D415 cloud, camera optical frame
    data = SceneDataset([scene], LoaderConfig(seed=0))                  # from dexvlg_data.scenes.dataset

Modules:
    symmetry     -- rotational symmetry of a part-labeled mesh (merges stable poses)
    stable       -- drop tests in MuJoCo: StablePoses, find_stable_poses[_batch] (parallel, resumable, cached)
    placement    -- grasps moved into each stable pose; table collisions and hidden parts dropped
    render       -- camera rig (8 views, 80 cm, 45 deg), ray-cast / OpenGL clouds, farthest-point sampling
    noise        -- depth-noise model (stereo disparity noise, quantization, edge dropout, holes)
    instructions -- reference captions and paraphrases from templates
    catalog      -- SceneObject: object + stable poses + placed grasps; render_item (pure, by object id)
    samples      -- TrainingSample: cloud, instruction, target grasps in the camera frame
    dataset      -- SceneDataset (torch IterableDataset), render-cache shards, collate_samples (imports torch)
    distributed  -- the render cache on Ray
    pictures     -- figures of views and clouds (imports matplotlib)
    toy_grasps   -- stand-in grasps (tests, pictures) until synthesized tables exist
"""

from dexvlg_data.scenes.catalog import SceneConfig, SceneObject, prepare_scene_object, prepare_scene_objects
from dexvlg_data.scenes.instructions import InstructionConfig, make_instruction, reference_instruction
from dexvlg_data.scenes.placement import Placement, PlacementConfig, place_grasps
from dexvlg_data.scenes.render import CameraRig, RenderConfig, RenderedView, camera_poses, render_view
from dexvlg_data.scenes.samples import TrainingSample, build_sample
from dexvlg_data.scenes.stable import StablePoseConfig, StablePoses, find_stable_poses, find_stable_poses_batch

__all__ = [
    "CameraRig", "InstructionConfig", "Placement", "PlacementConfig", "RenderConfig", "RenderedView", "SceneConfig",
    "SceneObject", "StablePoseConfig", "StablePoses", "TrainingSample", "build_sample", "camera_poses",
    "find_stable_poses", "find_stable_poses_batch", "make_instruction", "place_grasps", "prepare_scene_object",
    "prepare_scene_objects", "reference_instruction", "render_view",
]
