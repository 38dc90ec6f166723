"""MuJoCo grasp scenes: an object, an optional table, the Shadow Hand (floating or on the UR10e), a D415 camera.

Floating hand. The hand's top body gets a free joint and its root body (the interchange hand root, 3.4 cm
behind the palm) is welded to a mocap body: moving the mocap moves the hand kinematically while contacts still
push back through the weld, as in the reference benchmark. The hand bodies are gravity-compensated (the arm
holds the hand on the real robot). World frame: z up; the table top, when present, is the plane z = 0.

Arm. The hand is attached to the UR10e flange with dexvlg_core.arm.mjcf.attach_hand; the arm's servos place it.

Object. Collision geoms are the convex pieces of the SimObject (group 3, invisible); a visual copy of the mesh
(no collisions, no mass) is what the camera sees. The mass (SimConfig.object_mass) and inertia are set
explicitly from the convex pieces with uniform density.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from functools import lru_cache

import mujoco
import numpy as np
import trimesh

from dexvlg_core.camera import (
    D415_COLOR,
    Intrinsics,
    depth_to_cloud,
    optical_from_mujoco_camera,
    render_rgbd,
)
from dexvlg_core.hand.coupling import mujoco_ctrl
from dexvlg_core.hand.joints import LINK_NAMES, MODEL_JOINT_NAMES, MODEL_PREFIX, to_model
from dexvlg_core.hand.mjcf import COLLISION_GROUP, MOUNT_BODY, ROOT_BODY, HandMjcfConfig, build_hand_spec
from dexvlg_core.rotations import matrix_to_quat_wxyz, quat_wxyz_to_matrix, transform
from dexvlg_core.sim.config import SimConfig
from dexvlg_core.sim.objects import SimObject

OBJECT_BODY = "object"
OBJECT_JOINT = "object_free"
HAND_JOINT = "hand_free"
MOCAP_BODY = "hand_mocap"
TABLE_GEOM = "table"
CAMERA = "scene_camera"
OBJECT_GROUP = 3  # object collision pieces: hidden in renders
_MESH = mujoco.mjtGeom.mjGEOM_MESH


@dataclass(frozen=True)
class SceneOptions:
    """Layout of a scene (the protocol's physics numbers live in SimConfig)."""

    table: bool = False
    table_half_size: tuple[float, float, float] = (0.4, 0.4, 0.02)  # top face at z = 0
    arm: bool = False  # True: the hand on a UR10e (no mocap) instead of floating
    arm_base: tuple[float, float, float] = (-0.6, 0.0, 0.0)  # UR10e base_link position (world)
    mount_offset: float = 0.05  # tool0 -> hand root along tool0 z (arm.mount.HandMount)
    mount_yaw: float = 0.0
    camera: bool = True
    intrinsics: Intrinsics = D415_COLOR
    camera_distance: float = 0.8  # from the object centre (DESIGN.md: circle of 80 cm radius)
    camera_elevation_deg: float = 45.0  # looking down
    camera_azimuth_deg: float = 0.0  # about world z, 0 = camera on the +x side
    object_rgba: tuple[float, float, float, float] = (0.8, 0.45, 0.2, 1.0)


def look_at(eye: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Rotation of a MuJoCo camera at ``eye`` looking at ``target`` (camera -z forward, +y up-ish)."""
    back = np.asarray(eye, float) - np.asarray(target, float)
    z = back / np.linalg.norm(back)
    up = np.array([0.0, 0.0, 1.0]) if abs(z[2]) < 0.999 else np.array([0.0, 1.0, 0.0])
    x = np.cross(up, z)
    x /= np.linalg.norm(x)
    return np.stack([x, np.cross(z, x), z], axis=1)


@lru_cache(maxsize=4)
def hand_reference_model(keep_forearm: bool = True) -> mujoco.MjModel:
    """The stand-alone decoupled hand whose actuator list mujoco_ctrl reads (same order as in every scene)."""
    return build_hand_spec(HandMjcfConfig(coupled=False, keep_forearm=keep_forearm)).compile()


def _object_inertia(hulls: tuple[np.ndarray, ...], mass: float) -> tuple[np.ndarray, np.ndarray]:
    """(centre of mass, full inertia [xx, yy, zz, xy, xz, yz]) of the union of convex pieces, uniform density."""
    pieces = [trimesh.convex.convex_hull(h) for h in hulls]
    volumes = np.array([max(p.volume, 1e-12) for p in pieces])
    density = mass / volumes.sum()
    com = sum(p.center_mass * v for p, v in zip(pieces, volumes, strict=True)) / volumes.sum()
    inertia = np.zeros((3, 3))
    for piece, volume in zip(pieces, volumes, strict=True):
        piece_mass = density * volume
        offset = piece.center_mass - com
        # moment_inertia is about the piece's own centre of mass for unit density; shift (parallel axis).
        shift = offset @ offset * np.eye(3) - np.outer(offset, offset)
        inertia += piece.moment_inertia * density + piece_mass * shift
    full = np.array([inertia[0, 0], inertia[1, 1], inertia[2, 2], inertia[0, 1], inertia[0, 2], inertia[1, 2]])
    return com, full


def add_object(spec: mujoco.MjSpec, obj: SimObject, pose: np.ndarray, config: SimConfig,
                options: SceneOptions) -> None:
    """Add the object (free joint, protocol mass and friction, its convex collision pieces) to a scene spec."""
    body = spec.worldbody.add_body(name=OBJECT_BODY, pos=pose[:3, 3], quat=matrix_to_quat_wxyz(pose[:3, :3]))
    body.add_freejoint(name=OBJECT_JOINT)
    com, inertia = _object_inertia(obj.hulls, config.object_mass)
    body.explicitinertial = True
    body.mass = config.object_mass
    body.ipos = com
    body.fullinertia = inertia
    friction = [config.friction[0], config.friction[1], 1e-4]
    for i, hull in enumerate(obj.hulls):
        name = f"object_hull{i}"
        spec.add_mesh(name=name, uservert=np.asarray(hull, dtype=np.float64).ravel())
        body.add_geom(
            name=name, type=_MESH, meshname=name, group=OBJECT_GROUP, contype=1, conaffinity=1,
            condim=config.condim, friction=friction, rgba=[0.3, 0.6, 0.9, 0.5], mass=0.0,
        )
    spec.add_mesh(name="object_visual", uservert=obj.vertices.ravel(), userface=obj.faces.ravel())
    body.add_geom(
        name="object_visual", type=_MESH, meshname="object_visual", group=2, contype=0, conaffinity=0,
        rgba=list(options.object_rgba), mass=0.0,
    )


def _add_camera(spec: mujoco.MjSpec, target: np.ndarray, options: SceneOptions) -> None:
    elevation = np.radians(options.camera_elevation_deg)
    azimuth = np.radians(options.camera_azimuth_deg)
    offset = options.camera_distance * np.array(
        [np.cos(elevation) * np.cos(azimuth), np.cos(elevation) * np.sin(azimuth), np.sin(elevation)]
    )
    eye = target + offset
    spec.worldbody.add_camera(name=CAMERA, pos=eye, quat=matrix_to_quat_wxyz(look_at(eye, target)),
                              fovy=options.intrinsics.fovy_deg)
    # The offscreen buffer must hold a full-resolution frame.
    spec.visual.global_.offwidth = max(spec.visual.global_.offwidth, options.intrinsics.width)
    spec.visual.global_.offheight = max(spec.visual.global_.offheight, options.intrinsics.height)


def set_options(spec: mujoco.MjSpec, config: SimConfig) -> None:
    """Apply the protocol's solver settings (timestep, integrator, cone, impratio, ...) to a scene spec."""
    spec.option.timestep = config.timestep
    spec.option.integrator = getattr(mujoco.mjtIntegrator, f"mjINT_{config.integrator.upper()}")
    spec.option.cone = getattr(mujoco.mjtCone, f"mjCONE_{config.cone.upper()}")
    spec.option.impratio = config.impratio
    spec.option.gravity = [0.0, 0.0, -config.gravity]


def _tune_hand(spec: mujoco.MjSpec, config: SimConfig, hand_geom_names: set[str]) -> None:
    friction = [config.friction[0], config.friction[1], 1e-4]
    for geom in spec.geoms:
        if geom.name in hand_geom_names:
            geom.friction = friction
            geom.condim = config.condim
    if config.finger_kp is not None:
        for actuator in spec.actuators:
            if actuator.name.startswith(MODEL_PREFIX + "A_"):
                actuator.gainprm[0] = config.finger_kp
                actuator.biasprm[1] = -config.finger_kp


@dataclass
class Scene:
    """A compiled grasp scene and the indices needed to drive and read it."""

    model: mujoco.MjModel
    data: mujoco.MjData
    config: SimConfig
    options: SceneOptions
    obj: SimObject
    object_pose0: np.ndarray  # initial object pose (4x4, world)
    object_qpos: slice = field(init=False)
    object_dofs: slice = field(init=False)
    hand_qpos: np.ndarray = field(init=False)  # 22 qpos addresses, JOINT_NAMES order
    hand_dofs: np.ndarray = field(init=False)
    hand_actuators: np.ndarray = field(init=False)  # ctrl indices of the 22 finger servos (hand model order)
    hand_geoms: np.ndarray = field(init=False)  # collision geoms of the hand
    hand_geom_links: tuple[str, ...] = field(init=False)  # real link name of each hand geom
    object_geoms: np.ndarray = field(init=False)
    table_geom: int = field(init=False)  # -1 without a table
    mocap: int = field(init=False)  # mocap index, -1 on the arm
    hand_free_qpos: slice | None = field(init=False)
    mount_in_root: np.ndarray = field(init=False)  # 4x4 pose of the hand's top body in the root frame
    object_body: int = field(init=False)
    root_body: int = field(init=False)
    arm_qpos: np.ndarray = field(init=False)  # qpos addresses of the six UR10e joints (empty when floating)
    arm_actuators: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        m = self.model
        joint = m.joint(OBJECT_JOINT)
        self.object_qpos = slice(int(joint.qposadr[0]), int(joint.qposadr[0]) + 7)
        self.object_dofs = slice(int(joint.dofadr[0]), int(joint.dofadr[0]) + 6)
        self.hand_qpos = np.array([m.joint(n).qposadr[0] for n in MODEL_JOINT_NAMES], dtype=np.int64)
        self.hand_dofs = np.array([m.joint(n).dofadr[0] for n in MODEL_JOINT_NAMES], dtype=np.int64)
        hand = hand_reference_model(self.config.keep_forearm)
        self.hand_actuators = np.array([m.actuator(hand.actuator(i).name).id for i in range(hand.nu)], dtype=np.int64)
        self.object_body = m.body(OBJECT_BODY).id
        self.root_body = m.body(ROOT_BODY).id
        body_link = {m.body(f"{MODEL_PREFIX}{link[3:]}").id: link for link in LINK_NAMES
                     if mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_BODY, f"{MODEL_PREFIX}{link[3:]}") >= 0}
        geoms = [g for g in range(m.ngeom) if m.geom_bodyid[g] in body_link and m.geom_group[g] == COLLISION_GROUP
                 and (m.geom_contype[g] or m.geom_conaffinity[g])]
        self.hand_geoms = np.array(geoms, dtype=np.int64)
        self.hand_geom_links = tuple(body_link[m.geom_bodyid[g]] for g in geoms)
        self.object_geoms = np.array(
            [g for g in range(m.ngeom) if m.geom_bodyid[g] == self.object_body and m.geom_contype[g]], dtype=np.int64
        )
        self.table_geom = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_GEOM, TABLE_GEOM)
        mocap_body = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_BODY, MOCAP_BODY)
        self.mocap = int(m.body_mocapid[mocap_body]) if mocap_body >= 0 else -1
        if self.mocap >= 0:
            free = m.joint(HAND_JOINT)
            self.hand_free_qpos = slice(int(free.qposadr[0]), int(free.qposadr[0]) + 7)
            mount = m.body(MOUNT_BODY).id
            self.mount_in_root = transform(quat_wxyz_to_matrix(m.body_quat[mount]), m.body_pos[mount])
        else:
            self.hand_free_qpos = None
            self.mount_in_root = np.eye(4)
        if self.options.arm:
            from dexvlg_core.arm.mjcf import joint_qpos_indices
            from dexvlg_core.arm.ur10e import JOINT_NAMES as ARM_JOINTS

            self.arm_qpos = joint_qpos_indices(m)
            self.arm_actuators = np.array([m.actuator(name).id for name in ARM_JOINTS], dtype=np.int64)
        else:
            self.arm_qpos = self.arm_actuators = np.zeros(0, dtype=np.int64)
        self.reset()

    # ------------------------------------------------------------------ state
    def reset(self) -> None:
        """Zero state; object at its initial pose; gravity as configured."""
        mujoco.mj_resetData(self.model, self.data)
        self.set_object_pose(self.object_pose0)
        mujoco.mj_forward(self.model, self.data)

    def set_object_pose(self, pose: np.ndarray) -> None:
        """Place the object (4x4 world pose) at rest."""
        self.data.qpos[self.object_qpos] = np.concatenate([pose[:3, 3], matrix_to_quat_wxyz(pose[:3, :3])])
        self.data.qvel[self.object_dofs] = 0.0

    def object_pose(self) -> np.ndarray:
        """Current 4x4 world pose of the object frame."""
        q = self.data.qpos[self.object_qpos]
        return transform(quat_wxyz_to_matrix(q[3:]), q[:3])

    def set_root_target(self, root_pose: np.ndarray) -> None:
        """Move the mocap (floating hand) to a hand root pose; the weld pulls the hand there when stepping."""
        if self.mocap < 0:
            raise RuntimeError("the hand is on the arm: command the arm joints instead")
        self.data.mocap_pos[self.mocap] = root_pose[:3, 3]
        self.data.mocap_quat[self.mocap] = matrix_to_quat_wxyz(root_pose[:3, :3])

    def set_hand(self, root_pose: np.ndarray | None, joints: np.ndarray) -> None:
        """Teleport the hand: root at ``root_pose`` (4x4 world; floating hand only), the 22 joints (real
        convention) at ``joints`` and their servo targets too; velocities zeroed. Call mj_forward after.
        """
        if root_pose is not None:
            self.set_root_target(root_pose)
            mount = root_pose @ self.mount_in_root
            self.data.qpos[self.hand_free_qpos] = np.concatenate([mount[:3, 3], matrix_to_quat_wxyz(mount[:3, :3])])
            free_dof = self.model.joint(HAND_JOINT).dofadr[0]
            self.data.qvel[free_dof : free_dof + 6] = 0.0
        self.data.qpos[self.hand_qpos] = to_model(np.asarray(joints, dtype=np.float64))
        self.data.qvel[self.hand_dofs] = 0.0
        self.set_finger_targets(joints)

    def set_finger_targets(self, joints: np.ndarray) -> None:
        """Servo targets for 22 joints (real convention); the servos clip to their control ranges."""
        self.data.ctrl[self.hand_actuators] = mujoco_ctrl(np.asarray(joints, dtype=np.float64),
                                                          hand_reference_model(self.config.keep_forearm))

    def set_arm(self, q: np.ndarray) -> None:
        """Teleport the UR10e to joint positions q (6,) and hold them with its servos. Call mj_forward after."""
        if len(self.arm_qpos) == 0:
            raise RuntimeError("this scene has a floating hand, not an arm")
        self.data.qpos[self.arm_qpos] = q
        self.data.ctrl[self.arm_actuators] = q

    def root_pose(self) -> np.ndarray:
        """Current 4x4 world pose of the hand root body."""
        return transform(self.data.xmat[self.root_body].reshape(3, 3), self.data.xpos[self.root_body])

    def set_table_enabled(self, enabled: bool) -> None:
        """Switch the table's collisions on or off (tests without a table reuse the compiled model)."""
        if self.table_geom >= 0:
            self.model.geom_contype[self.table_geom] = 1 if enabled else 0
            self.model.geom_conaffinity[self.table_geom] = 1 if enabled else 0

    def set_gravity(self, on: bool) -> None:
        """Gravity (0, 0, -config.gravity) or none."""
        self.model.opt.gravity[:] = (0.0, 0.0, -self.config.gravity if on else 0.0)

    # ------------------------------------------------------------------ camera
    def render(self, intrinsics: Intrinsics | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """RGB (H, W, 3), depth (H, W) m, organized points (H, W, 3) in the WORLD frame (NaN where invalid) and
        colors (H, W, 3) from the scene camera. ``intrinsics`` must keep the camera's field of view
        (e.g. options.intrinsics.scaled(0.5)).
        """
        intrinsics = intrinsics or self.options.intrinsics
        rgb, depth = render_rgbd(self.model, self.data, CAMERA, intrinsics)
        points, colors = depth_to_cloud(depth, rgb, intrinsics)
        pose = optical_from_mujoco_camera(self.model, self.data, CAMERA)
        world = points @ pose[:3, :3].T + pose[:3, 3]
        return rgb, depth, world, colors


def resting_pose(obj: SimObject, rotation: np.ndarray | None = None,
                 xy: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """Object pose with the given orientation whose lowest point touches the table top (z = 0)."""
    rotation = np.eye(3) if rotation is None else np.asarray(rotation, dtype=np.float64)
    lowest = (obj.vertices @ rotation.T)[:, 2].min()
    return transform(rotation, np.array([xy[0], xy[1], -lowest]))


def build_scene(obj: SimObject, config: SimConfig | None = None, options: SceneOptions | None = None,
                object_pose: np.ndarray | None = None) -> Scene:
    """Compile a scene with ``obj`` at ``object_pose`` (4x4 world; default identity, or resting on the table)."""
    config = config or SimConfig()
    options = options or SceneOptions()
    if object_pose is None:
        object_pose = resting_pose(obj) if options.table else np.eye(4)
    object_pose = np.asarray(object_pose, dtype=np.float64)
    hand = build_hand_spec(HandMjcfConfig(coupled=False, keep_forearm=config.keep_forearm))
    hand_geoms = {g.name for g in hand.geoms if g.group == COLLISION_GROUP}
    if options.arm:
        from dexvlg_core.arm.mjcf import ArmMjcfConfig, attach_hand, ur10e_spec
        from dexvlg_core.arm.mount import HandMount

        arm = ur10e_spec(ArmMjcfConfig(base_pos=options.arm_base))
        with warnings.catch_warnings():  # MjSpec.attach reports the hand's user-data sizes it drops: harmless
            warnings.simplefilter("ignore")
            spec = attach_hand(arm, hand, HandMount(options.mount_offset, options.mount_yaw))
    else:
        spec = hand
        # Floating hand: free joint on the top body, root welded to a mocap body, weight compensated.
        spec.body(MOUNT_BODY).add_freejoint(name=HAND_JOINT)
        for body in spec.bodies:
            if body.name.startswith(MODEL_PREFIX):
                body.gravcomp = 1.0
        spec.worldbody.add_body(name=MOCAP_BODY, mocap=True)
        weld = spec.add_equality(type=mujoco.mjtEq.mjEQ_WELD, name1=MOCAP_BODY, name2=ROOT_BODY,
                                 objtype=mujoco.mjtObj.mjOBJ_BODY)
        weld.data = np.array([0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0], dtype=np.float64)  # identity relative pose
    spec.modelname = "dexvlg_grasp_scene"
    set_options(spec, config)
    _tune_hand(spec, config, hand_geoms)
    add_object(spec, obj, object_pose, config, options)
    if options.table:
        half = np.asarray(options.table_half_size)
        spec.worldbody.add_geom(
            name=TABLE_GEOM, type=mujoco.mjtGeom.mjGEOM_BOX, size=half,
            pos=[object_pose[0, 3], object_pose[1, 3], -half[2]], rgba=[0.55, 0.5, 0.45, 1.0],
            friction=[config.friction[0], config.friction[1], 1e-4], condim=config.condim,
        )
    if options.camera:
        _add_camera(spec, object_pose[:3, 3], options)
    spec.worldbody.add_light(name="top_light", pos=[0, 0, 2.0], dir=[0, 0, -1],
                             type=mujoco.mjtLightType.mjLIGHT_DIRECTIONAL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = spec.compile()
    return Scene(model, mujoco.MjData(model), config, options, obj, object_pose)
