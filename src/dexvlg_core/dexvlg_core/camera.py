"""The camera model: RealSense D415 intrinsics, MuJoCo RGB-D rendering and depth -> colored point cloud.

Clouds come out in the camera *optical* frame (ROS convention: x right, y down, z forward), as the RealSense
driver publishes them; MuJoCo cameras look along their -z with y up, which :func:`render_rgbd` converts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import mujoco
import numpy as np


@dataclass(frozen=True)
class Intrinsics:
    """Pinhole intrinsics (pixels)."""

    width: int
    height: int
    fx: float
    fy: float
    cx: float
    cy: float

    @property
    def fovy_deg(self) -> float:
        return math.degrees(2.0 * math.atan(0.5 * self.height / self.fy))

    def scaled(self, factor: float) -> Intrinsics:
        """The same camera at another resolution (e.g. 0.5 for faster rendering)."""
        return Intrinsics(round(self.width * factor), round(self.height * factor), self.fx * factor,
                          self.fy * factor, self.cx * factor, self.cy * factor)


# D415 color stream at 1280x720 (69.4 x 42.5 deg field of view, published figures).
D415_COLOR = Intrinsics(width=1280, height=720, fx=924.0, fy=924.0, cx=640.0, cy=360.0)


def depth_to_cloud(depth: np.ndarray, rgb: np.ndarray, intrinsics: Intrinsics,
                   max_depth: float = 3.0) -> tuple[np.ndarray, np.ndarray]:
    """Organized (H, W, 3) points in the optical frame and colors; invalid depth becomes NaN."""
    height, width = depth.shape
    u, v = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    z = depth.astype(np.float32)
    valid = (z > 0) & (z < max_depth)
    x = (u - intrinsics.cx) / intrinsics.fx * z
    y = (v - intrinsics.cy) / intrinsics.fy * z
    points = np.stack([x, y, z], axis=-1)
    points[~valid] = np.nan
    return points, np.ascontiguousarray(rgb[..., :3], dtype=np.uint8)


def render_rgbd(model: mujoco.MjModel, data: mujoco.MjData, camera: str,
                intrinsics: Intrinsics) -> tuple[np.ndarray, np.ndarray]:
    """RGB (H, W, 3) uint8 and metric depth (H, W) from a MuJoCo camera whose fovy matches ``intrinsics``."""
    cam_id = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_CAMERA, camera)
    if cam_id < 0:
        raise ValueError(f"no camera {camera!r} in the model")
    if abs(model.cam_fovy[cam_id] - intrinsics.fovy_deg) > 1e-3:
        raise ValueError(f"camera {camera!r} has fovy {model.cam_fovy[cam_id]:.3f}, intrinsics need "
                         f"{intrinsics.fovy_deg:.3f}")
    with mujoco.Renderer(model, intrinsics.height, intrinsics.width) as renderer:
        renderer.update_scene(data, camera)
        rgb = renderer.render().copy()
        renderer.enable_depth_rendering()
        renderer.update_scene(data, camera)
        depth = renderer.render().copy()
    return rgb, depth


def optical_from_mujoco_camera(model: mujoco.MjModel, data: mujoco.MjData, camera: str) -> np.ndarray:
    """4x4 world pose of the camera's optical frame (MuJoCo camera frame rotated by pi about x)."""
    cam_id = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_CAMERA, camera)
    pose = np.eye(4)
    pose[:3, :3] = data.cam_xmat[cam_id].reshape(3, 3) @ np.diag([1.0, -1.0, -1.0])
    pose[:3, 3] = data.cam_xpos[cam_id]
    return pose
