"""Single-view RGB-D rendering of an object resting on the table, and the colored point cloud the camera sees.

Cameras (DESIGN.md): ``views`` poses on a circle of ``radius`` around the object's bounding-box centre, looking
down at it from ``elevation_deg``, RealSense D415 color intrinsics (depth aligned to color). Clouds are in the
camera's optical frame (x right, y down, z forward), object points only (what perception hands the model
after removing the table), farthest-point sampled to ``num_points``.

Two renderers, same cameras and clouds (see benchmarks/scenes.py for speed and fidelity):
- "raycast" (default): MuJoCo's mj_multiRay from the camera centre through every pixel of the object's image
  bounding box, against the object's triangles. Exact depth, per-pixel part labels and normals (for shading and
  the noise model's grazing-angle dropout), no OpenGL context: safe in any process or thread.
- "opengl": MuJoCo's offscreen renderer (dexvlg_core.camera.render_rgbd): real shading, depth from the depth
  buffer; part labels from the nearest mesh face. Also what :func:`render_image` uses for pictures.

``render_view`` is a pure function of (object, object pose, view index, config, seed): the same inputs give the
same cloud in any process, which is what the loader and the Ray path rely on.
"""

from __future__ import annotations

import hashlib
import warnings
from collections import OrderedDict
from dataclasses import dataclass, field, replace

import mujoco
import numpy as np
from scipy.spatial import cKDTree

from dexvlg_core.camera import D415_COLOR, Intrinsics, depth_to_cloud, optical_from_mujoco_camera, render_rgbd
from dexvlg_core.rotations import invert, matrix_to_quat_wxyz, transform
from dexvlg_core.sampling import farthest_point_indices
from dexvlg_core.sim.scene import look_at
from dexvlg_data.objects import PartObject
from dexvlg_data.scenes.noise import DepthNoiseConfig, apply_depth_noise

BACKENDS = ("raycast", "opengl")
_PART_GROUP = 2  # geom group of the object's part meshes (what rays may hit)
_OPTICAL_FROM_GL = np.diag([1.0, -1.0, -1.0])  # MuJoCo camera (-z forward, y up) -> optical (z forward, y down)
_LIGHT = np.array([0.0, 0.0, 1.0])  # the top light of the OpenGL scene, for ray-cast shading


@dataclass(frozen=True)
class CameraRig:
    """Where the cameras are: a circle around the object, looking down at its centre."""

    views: int = 8
    radius: float = 0.8  # distance from the object centre (DESIGN.md: 80 cm)
    elevation_deg: float = 45.0
    azimuth_offset_deg: float = 0.0  # azimuth of view 0 about world z (0 = on the +x side)


@dataclass(frozen=True)
class RenderConfig:
    """Everything that decides a rendered cloud."""

    intrinsics: Intrinsics = D415_COLOR
    rig: CameraRig = field(default_factory=CameraRig)
    num_points: int = 10_000  # farthest-point sampled; fewer valid pixels are padded by repeating points
    backend: str = "raycast"
    noise: DepthNoiseConfig | None = None
    max_depth: float = 3.0

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ValueError(f"unknown renderer {self.backend!r}; use one of {BACKENDS}")


@dataclass
class RenderedView:
    """One camera's object cloud. Points (N, 3) float32 in the optical frame; colors (N, 3) uint8; parts (N,)
    part index of each point (-1 unknown). ``camera_pose`` and ``object_pose`` are 4x4 world poses.
    """

    points: np.ndarray
    colors: np.ndarray
    parts: np.ndarray
    camera_pose: np.ndarray
    object_pose: np.ndarray
    view: int
    valid_pixels: int  # object pixels with depth, before sampling

    def object_to_camera(self) -> np.ndarray:
        """4x4 transform from the object frame to the camera optical frame."""
        return invert(self.camera_pose) @ self.object_pose


# ---------------------------------------------------------------------------------------------- cameras
def view_target(obj: PartObject, object_pose: np.ndarray) -> np.ndarray:
    """World point the cameras look at: the centre of the posed object's bounding box."""
    world = obj.mesh.vertices @ object_pose[:3, :3].T + object_pose[:3, 3]
    return 0.5 * (world.min(axis=0) + world.max(axis=0))


def camera_poses(target: np.ndarray, rig: CameraRig | None = None) -> np.ndarray:
    """(views, 4, 4) world poses of the cameras' optical frames."""
    rig = rig or CameraRig()
    elevation = np.radians(rig.elevation_deg)
    poses = []
    for k in range(rig.views):
        azimuth = np.radians(rig.azimuth_offset_deg) + 2.0 * np.pi * k / rig.views
        eye = np.asarray(target, float) + rig.radius * np.array(
            [np.cos(elevation) * np.cos(azimuth), np.cos(elevation) * np.sin(azimuth), np.sin(elevation)])
        poses.append(transform(look_at(eye, target) @ _OPTICAL_FROM_GL, eye))
    return np.array(poses)


# ---------------------------------------------------------------------------------------------- model
def object_fingerprint(obj: PartObject) -> str:
    """Content hash of an object's geometry, labels and colors (keys caches of compiled render models)."""
    digest = hashlib.sha1(obj.object_id.encode())
    for array in (obj.mesh.vertices, obj.mesh.faces, obj.face_parts, obj.part_colors):
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()[:16]


@dataclass
class _RenderModel:
    model: mujoco.MjModel
    data: mujoco.MjData
    geom_part: np.ndarray  # part index of every geom (-1: not the object)
    table: int
    views: int


def _build_model(obj: PartObject, intrinsics: Intrinsics, views: int) -> _RenderModel:
    """The object as one mesh geom per part (colored) on a mocap body, a table, a light and mocap cameras."""
    spec = mujoco.MjSpec()
    spec.modelname = "dexvlg_render"
    spec.compiler.inertiafromgeom = mujoco.mjtInertiaFromGeom.mjINERTIAFROMGEOM_FALSE  # open part shells
    body = spec.worldbody.add_body(name="object", mocap=True)
    vertices, faces = np.asarray(obj.mesh.vertices), np.asarray(obj.mesh.faces)
    for p, name in enumerate(obj.part_names):
        part_faces = faces[obj.face_parts == p]
        if len(part_faces) == 0:
            continue
        used, local = np.unique(part_faces, return_inverse=True)
        mesh = spec.add_mesh(name=f"part{p}", uservert=vertices[used].ravel(), userface=local.ravel())
        mesh.inertia = mujoco.mjtMeshInertia.mjMESH_INERTIA_SHELL
        rgba = [*(obj.part_colors[p] / 255.0), 1.0]
        body.add_geom(name=f"part{p}:{name}", type=mujoco.mjtGeom.mjGEOM_MESH, meshname=f"part{p}",
                      group=_PART_GROUP, contype=0, conaffinity=0, rgba=rgba)
    spec.worldbody.add_geom(name="table", type=mujoco.mjtGeom.mjGEOM_BOX, size=[0.6, 0.6, 0.02], pos=[0, 0, -0.02],
                            rgba=[0.55, 0.5, 0.45, 1.0], contype=0, conaffinity=0)
    spec.worldbody.add_light(name="top_light", pos=[0, 0, 2.0], dir=[0, 0, -1],
                             type=mujoco.mjtLightType.mjLIGHT_DIRECTIONAL)
    for k in range(views):
        spec.worldbody.add_body(name=f"camera{k}", mocap=True).add_camera(name=f"view{k}", fovy=intrinsics.fovy_deg)
    spec.visual.global_.offwidth = max(spec.visual.global_.offwidth, intrinsics.width)
    spec.visual.global_.offheight = max(spec.visual.global_.offheight, intrinsics.height)
    spec.visual.map.znear = 0.01  # fraction of the model extent: keeps depth-buffer precision at 0.8 m
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = spec.compile()
    geom_part = np.full(model.ngeom, -1, np.int64)
    for g in range(model.ngeom):
        name = model.geom(g).name
        if name.startswith("part"):
            geom_part[g] = int(name[4:].split(":")[0])
    return _RenderModel(model, mujoco.MjData(model), geom_part, model.geom("table").id, views)


_MODELS: OrderedDict[tuple, _RenderModel] = OrderedDict()


def _render_model(obj: PartObject, intrinsics: Intrinsics, views: int) -> _RenderModel:
    # A few compiled models per process: the loader renders all views and poses of one object in a row.
    key = (object_fingerprint(obj), intrinsics.width, intrinsics.height, round(intrinsics.fovy_deg, 6), views)
    if key not in _MODELS:
        _MODELS[key] = _build_model(obj, intrinsics, views)
        while len(_MODELS) > 4:
            _MODELS.popitem(last=False)
    _MODELS.move_to_end(key)
    return _MODELS[key]


def _pose_scene(rm: _RenderModel, object_pose: np.ndarray, cameras: np.ndarray) -> None:
    rm.data.mocap_pos[0] = object_pose[:3, 3]
    rm.data.mocap_quat[0] = matrix_to_quat_wxyz(object_pose[:3, :3])
    for k, pose in enumerate(cameras):
        rm.data.mocap_pos[k + 1] = pose[:3, 3]
        rm.data.mocap_quat[k + 1] = matrix_to_quat_wxyz(pose[:3, :3] @ _OPTICAL_FROM_GL)
    mujoco.mj_kinematics(rm.model, rm.data)
    mujoco.mj_camlight(rm.model, rm.data)


# ---------------------------------------------------------------------------------------------- backends
def _window(obj: PartObject, object_pose: np.ndarray, camera_pose: np.ndarray,
            intrinsics: Intrinsics) -> tuple[int, int, int, int]:
    """Pixel box (u0, v0, u1, v1), end exclusive, holding the object's projection (1 px margin)."""
    in_cam = invert(camera_pose) @ object_pose
    local = obj.mesh.vertices @ in_cam[:3, :3].T + in_cam[:3, 3]
    local = local[local[:, 2] > 1e-3]
    if len(local) == 0:
        return 0, 0, 0, 0
    u = local[:, 0] / local[:, 2] * intrinsics.fx + intrinsics.cx
    v = local[:, 1] / local[:, 2] * intrinsics.fy + intrinsics.cy
    u0, v0 = max(int(np.floor(u.min())) - 1, 0), max(int(np.floor(v.min())) - 1, 0)
    u1, v1 = min(int(np.ceil(u.max())) + 2, intrinsics.width), min(int(np.ceil(v.max())) + 2, intrinsics.height)
    return u0, v0, max(u0, u1), max(v0, v1)


def _crop(intrinsics: Intrinsics, u0: int, v0: int, u1: int, v1: int) -> Intrinsics:
    return Intrinsics(u1 - u0, v1 - v0, intrinsics.fx, intrinsics.fy, intrinsics.cx - u0, intrinsics.cy - v0)


def _raycast(obj: PartObject, rm: _RenderModel, camera_pose: np.ndarray, object_pose: np.ndarray,
             config: RenderConfig, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Organized window: (points (h, w, 3) optical, colors (h, w, 3), parts (h, w))."""
    intr = config.intrinsics
    u0, v0, u1, v1 = _window(obj, object_pose, camera_pose, intr)
    crop = _crop(intr, u0, v0, u1, v1)
    u, v = np.meshgrid(np.arange(crop.width, dtype=np.float64), np.arange(crop.height, dtype=np.float64))
    rays = np.stack([(u - crop.cx) / crop.fx, (v - crop.cy) / crop.fy, np.ones_like(u)], axis=-1).reshape(-1, 3)
    norms = np.linalg.norm(rays, axis=1)
    world = (rays / norms[:, None]) @ camera_pose[:3, :3].T
    n = len(world)
    geom = np.full(n, -1, np.int32)
    dist = np.zeros(n)
    normal = np.zeros((n, 3))
    if n:
        group = np.zeros(6, np.uint8)
        group[_PART_GROUP] = 1
        mujoco.mj_multiRay(rm.model, rm.data, np.ascontiguousarray(camera_pose[:3, 3]), world.ravel(), group, 1, -1,
                           geom, dist, normal.reshape(-1), n, config.max_depth)
    hit = geom >= 0
    depth = np.where(hit, dist / norms, 0.0)  # ray length -> depth along the optical axis
    parts = np.where(hit, rm.geom_part[np.maximum(geom, 0)], -1)
    cos_view = -np.einsum("ij,ij->i", normal, world)  # normals face the camera
    shade = 0.25 + 0.45 * np.clip(cos_view, 0, 1) + 0.4 * np.clip(normal @ _LIGHT, 0, 1)
    base = obj.part_colors[np.maximum(parts, 0)].astype(np.float64)
    rgb = np.clip(base * np.minimum(shade, 1.0)[:, None], 0, 255).astype(np.uint8)
    shape = (crop.height, crop.width)
    depth = depth.reshape(shape)
    if config.noise is not None:
        depth = apply_depth_noise(depth, crop.fx, config.noise, rng, cos_view.reshape(shape))
    points, colors = depth_to_cloud(depth, rgb.reshape(*shape, 3), crop, config.max_depth)
    return points, colors, parts.reshape(shape)


def _opengl(obj: PartObject, rm: _RenderModel, view: int, object_pose: np.ndarray, config: RenderConfig,
            rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Full image: (points, colors, parts); the table is moved away so the depth holds the object only."""
    rgb, depth = _opengl_rgbd_without_table(rm, view, config)
    depth = np.where(depth < config.max_depth, depth, 0.0)
    if config.noise is not None:
        depth = apply_depth_noise(depth, config.intrinsics.fx, config.noise, rng)
    points, colors = depth_to_cloud(depth, rgb, config.intrinsics, config.max_depth)
    parts = np.full(depth.shape, -1, np.int64)
    valid = np.all(np.isfinite(points), axis=-1)
    if valid.any():  # label by the nearest face centre of the posed mesh
        in_cam = invert(optical_from_mujoco_camera(rm.model, rm.data, f"view{view}")) @ object_pose
        centres = obj.mesh.triangles_center @ in_cam[:3, :3].T + in_cam[:3, 3]
        parts[valid] = obj.face_parts[cKDTree(centres).query(points[valid])[1]]
    return points, colors, parts


# ---------------------------------------------------------------------------------------------- sampling
def sample_indices(points: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """Exactly ``count`` indices: farthest-point sampling from a random start drawn from ``rng``; with fewer
    points than ``count`` all are kept and random repeats fill the rest (the model wants fixed-size clouds).
    """
    n = len(points)
    if n == 0:
        return np.zeros(0, np.int64)
    if n <= count:
        return np.concatenate([rng.permutation(n), rng.integers(0, n, count - n)]).astype(np.int64)
    return farthest_point_indices(points, count, start=int(rng.integers(n)))


# ---------------------------------------------------------------------------------------------- public
def render_view(obj: PartObject, object_pose: np.ndarray, view: int, config: RenderConfig | None = None,
                seed: int | np.random.Generator = 0) -> RenderedView:
    """Cloud of ``obj`` at ``object_pose`` (4x4 world, on the table z = 0) seen by camera ``view`` of the rig.

    ``seed`` drives the depth noise and the sampling; same inputs, same output, in any process.
    """
    config = config or RenderConfig()
    if not 0 <= view < config.rig.views:
        raise IndexError(f"view {view} outside 0..{config.rig.views - 1}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    object_pose = np.asarray(object_pose, np.float64)
    cameras = camera_poses(view_target(obj, object_pose), config.rig)
    rm = _render_model(obj, config.intrinsics, config.rig.views)
    _pose_scene(rm, object_pose, cameras)
    if config.backend == "raycast":
        points, colors, parts = _raycast(obj, rm, cameras[view], object_pose, config, rng)
    else:
        points, colors, parts = _opengl(obj, rm, view, object_pose, config, rng)
    valid = np.all(np.isfinite(points), axis=-1)
    points, colors, parts = points[valid], colors[valid], parts[valid]
    keep = sample_indices(points, config.num_points, rng)
    return RenderedView(points[keep].astype(np.float32), colors[keep].astype(np.uint8), parts[keep].astype(np.int16),
                        cameras[view], object_pose, view, int(valid.sum()))


def render_views(obj: PartObject, object_pose: np.ndarray, config: RenderConfig | None = None,
                 seed: int = 0) -> list[RenderedView]:
    """All views of the rig (view k uses seed (seed, k))."""
    config = config or RenderConfig()
    return [render_view(obj, object_pose, k, config, np.random.default_rng([seed, k]))
            for k in range(config.rig.views)]


def render_image(obj: PartObject, object_pose: np.ndarray, view: int, config: RenderConfig | None = None,
                 table: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The OpenGL RGB (H, W, 3) and depth (H, W) image of camera ``view``, with the table (for pictures)."""
    config = config or RenderConfig()
    rm = _render_model(obj, config.intrinsics, config.rig.views)
    _pose_scene(rm, np.asarray(object_pose, float), camera_poses(view_target(obj, object_pose), config.rig))
    if table:
        return render_rgbd(rm.model, rm.data, f"view{view}", config.intrinsics)
    return _opengl_rgbd_without_table(rm, view, config)


def _opengl_rgbd_without_table(rm: _RenderModel, view: int, config: RenderConfig) -> tuple[np.ndarray, np.ndarray]:
    # Moved far below instead of hidden: render_rgbd draws every geom group.
    z = rm.model.geom_pos[rm.table, 2]
    rm.model.geom_pos[rm.table, 2] = -1e3
    try:
        mujoco.mj_kinematics(rm.model, rm.data)
        return render_rgbd(rm.model, rm.data, f"view{view}", config.intrinsics)
    finally:
        rm.model.geom_pos[rm.table, 2] = z
        mujoco.mj_kinematics(rm.model, rm.data)


def with_backend(config: RenderConfig, backend: str) -> RenderConfig:
    """The same config with another renderer."""
    return replace(config, backend=backend)
