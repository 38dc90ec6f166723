"""Training samples: one camera's object cloud, an instruction, and the grasps it allows, in the camera frame.

Grasps are in the model's flat layout (dexvlg_core.grasp.Grasp.to_flat: position, 6D rotation, 22 joints) with
the hand root pose expressed in the camera's optical frame, the frame the cloud is in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dexvlg_core.grasp import FLAT_SIZE, Grasp
from dexvlg_core.rotations import matrix_to_rot6d
from dexvlg_data.scenes.catalog import SceneObject
from dexvlg_data.scenes.instructions import InstructionConfig, canonical_fingers, make_instruction
from dexvlg_data.scenes.render import RenderedView


@dataclass
class TrainingSample:
    """What the model trains on. Arrays: points (N, 3) float32 m and colors (N, 3) uint8 (optical frame),
    part_mask (N,) bool (points on the target part), grasps (G, 31) float32 (camera frame, flat layout).
    """

    points: np.ndarray
    colors: np.ndarray
    part_mask: np.ndarray
    grasps: np.ndarray
    instruction: str
    form: str  # instruction form (dexvlg_data.scenes.instructions.FORMS)
    object_id: str
    category: str
    part: str
    style: str  # "" when the instruction leaves it open
    contact_fingers: tuple[str, ...]  # () when the instruction leaves them open
    pose_index: int
    view_index: int
    grasp_indices: np.ndarray  # (G,) rows of the object's grasp list
    camera_pose: np.ndarray  # 4x4 world pose of the optical frame
    object_pose: np.ndarray  # 4x4 world pose of the object

    def to_dict(self) -> dict[str, object]:
        """Plain dict (numpy arrays and strings) for a DataLoader."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def grasps_in_camera(grasps: list[Grasp], object_to_camera: np.ndarray) -> np.ndarray:
    """(G, 31) flat grasps with the root pose moved from the object frame into the camera frame."""
    if not grasps:
        return np.zeros((0, FLAT_SIZE), np.float32)
    rotation = np.einsum("ij,gjk->gik", object_to_camera[:3, :3], np.array([g.rotation for g in grasps]))
    position = np.array([g.position for g in grasps]) @ object_to_camera[:3, :3].T + object_to_camera[:3, 3]
    joints = np.array([g.joints for g in grasps])
    return np.concatenate([position, matrix_to_rot6d(rotation), joints], axis=1).astype(np.float32)


def build_sample(scene: SceneObject, view: RenderedView, pose_index: int, part: str, rng: np.random.Generator,
                 instructions: InstructionConfig | None = None, grasps_per_sample: int | None = None) -> TrainingSample:
    """A sample for ``part`` of ``scene`` seen in ``view`` (rendered in stable pose ``pose_index``)."""
    candidates = scene.kept_grasps(pose_index, part)
    if not candidates:
        raise ValueError(f"{scene.object_id}: no valid grasp of part {part!r} in pose {pose_index}")
    grasps = scene.grasps
    instruction = make_instruction(part, scene.part_object.category, rng,
                                   styles=[grasps[i].style for i in candidates],
                                   finger_sets=[grasps[i].contact_fingers for i in candidates], config=instructions)
    chosen = [i for i in candidates
              if (not instruction.style or grasps[i].style == instruction.style)
              and (not instruction.fingers or canonical_fingers(grasps[i].contact_fingers) == instruction.fingers)]
    if grasps_per_sample is not None:
        picks = rng.choice(len(chosen), size=grasps_per_sample, replace=len(chosen) < grasps_per_sample)
        chosen = [chosen[int(k)] for k in picks]
    return TrainingSample(
        points=view.points,
        colors=view.colors,
        part_mask=view.parts == scene.part_object.part_index(part),
        grasps=grasps_in_camera([grasps[i] for i in chosen], view.object_to_camera()),
        instruction=instruction.text,
        form=instruction.form,
        object_id=scene.object_id,
        category=scene.part_object.category,
        part=part,
        style=instruction.style,
        contact_fingers=instruction.fingers,
        pose_index=pose_index,
        view_index=view.view,
        grasp_indices=np.array(chosen, np.int64),
        camera_pose=view.camera_pose,
        object_pose=view.object_pose,
    )
