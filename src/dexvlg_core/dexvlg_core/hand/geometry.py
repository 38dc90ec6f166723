"""Link-frame point sets of the hand, computed once (numpy + trimesh) from the compiled MJCF.

Everything here is expressed in the frame of the link (MuJoCo body) it rides on; HandModel moves the sets
with batched forward kinematics. Sampling is deterministic: every link draws from its own generator seeded
with (config.seed, link index), so adding or dropping a link leaves the other links' points unchanged.

Source geometry. The point sets are sampled from the collision geoms (boxes and capsules; the forearm's
convex hull) by default, because that is what MuJoCo collides with when grasps are validated: a point set
that matches the simulator makes "no penetration in synthesis" mean "no penetration in simulation". The
visual meshes can be used for surface points instead (surface_source="visual"), but not for contacts: the
OpenAI palm mesh is an open shell without a front cover, so it has no palm face to put contacts on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import mujoco
import numpy as np
import trimesh

from dexvlg_core.hand.joints import FINGERS, LINK_NAMES, MODEL_PREFIX, model_link_name
from dexvlg_core.hand.mjcf import COLLISION_GROUP, FINGERTIP_SITES, VISUAL_GROUP
from dexvlg_core.sampling import farthest_point_indices

# Palmar ("front") direction of each contact link, in its own frame. Finger flexion axes are +x, so fingers
# curl towards -y and their pads face -y, like the palm. The thumb's flexion joints (model THJ1, THJ0) turn
# about +y with negative angles, which moves its tip towards -x: the thumb pads face -x.
_FINGER_FRONT = (0.0, -1.0, 0.0)
_THUMB_FRONT = (-1.0, 0.0, 0.0)
FRONT_AXES: dict[str, tuple[float, float, float]] = {"rh_palm": _FINGER_FRONT}
for _finger in ("ff", "mf", "rf", "lf"):
    for _part in ("proximal", "middle", "distal"):
        FRONT_AXES[f"rh_{_finger}{_part}"] = _FINGER_FRONT
for _part in ("proximal", "middle", "distal"):
    FRONT_AXES[f"rh_th{_part}"] = _THUMB_FRONT

# Link whose front face carries each finger's contact candidates ("palm" is the palm's own label).
CONTACT_LINKS: dict[str, str] = {f: f"rh_{f.lower()}distal" for f in FINGERS} | {"palm": "rh_palm"}
# DexGraspNet 3.0 / DexVLG splits: wrap = five fingertips + palm; pinch = thumb, index, middle + palm.
CONTACT_SETS: dict[str, tuple[str, ...]] = {
    "wrap": ("FF", "MF", "RF", "LF", "TH", "palm"),
    "pinch": ("TH", "FF", "MF", "palm"),
}

_BOX, _CAPSULE, _MESH = mujoco.mjtGeom.mjGEOM_BOX, mujoco.mjtGeom.mjGEOM_CAPSULE, mujoco.mjtGeom.mjGEOM_MESH


@dataclass(frozen=True)
class HandGeometryConfig:
    """How densely the hand's point sets are sampled, and from what."""

    surface_points: int = 2048  # over all sampled links, shared by area
    surface_source: str = "collision"  # "collision" (geoms MuJoCo collides) or "visual" (STL meshes)
    tip_contact_points: int = 8  # contact candidates per fingertip
    palm_contact_points: int = 16
    contact_min_cos: float = 0.7  # a candidate's normal is within 45 degrees of its link's front axis
    contact_skip_base: float = 0.3  # ignore this fraction of a link's length next to its joint
    keypoint_spacing: float = 0.025  # m; one penetration keypoint per spacing**2 of link surface
    sphere_spacing: float = 1.0  # self-collision sphere centres this many radii apart along a primitive
    include_forearm: bool = False  # the forearm hull is large and far from any grasp; leave it out
    seed: int = 0


@dataclass(frozen=True)
class LocalPoints:
    """Points (and optional unit normals) each fixed in one link's frame."""

    points: np.ndarray  # (N, 3)
    link: np.ndarray  # (N,) index into LINK_NAMES
    normals: np.ndarray | None = None  # (N, 3)

    def __len__(self) -> int:
        return len(self.points)

    def subset(self, mask: np.ndarray) -> LocalPoints:
        normals = None if self.normals is None else self.normals[mask]
        return LocalPoints(self.points[mask], self.link[mask], normals)

    @staticmethod
    def concat(parts: list[LocalPoints]) -> LocalPoints:
        with_normals = all(p.normals is not None for p in parts)
        return LocalPoints(
            np.concatenate([p.points for p in parts]).reshape(-1, 3),
            np.concatenate([p.link for p in parts]).astype(np.int64),
            np.concatenate([p.normals for p in parts]).reshape(-1, 3) if with_normals else None,
        )


@dataclass(frozen=True)
class Primitive:
    """One collision geom: kind (mjtGeom), MuJoCo size, pose in its link frame, and a trimesh of it."""

    link: int  # index into LINK_NAMES
    kind: int
    size: np.ndarray
    pose: np.ndarray  # 4x4, geom frame in link frame
    mesh: trimesh.Trimesh  # in link frame

    def sdf(self, points: np.ndarray) -> np.ndarray:
        """Signed distance of link-frame points (negative inside); +inf for meshes (not needed)."""
        local = (points - self.pose[:3, 3]) @ self.pose[:3, :3]
        return primitive_sdf(self.kind, self.size, local)


@dataclass(frozen=True)
class HandGeometry:
    """All link-frame point sets HandModel transforms."""

    surface: LocalPoints  # area-uniform surface samples with outward normals
    contact: LocalPoints  # palmar candidates on the 5 distal links and the palm, normals
    contact_labels: tuple[str, ...]  # per contact point: "FF".."TH" or "palm"
    front_links: tuple[str, ...]  # links with a palmar direction
    front_axes: np.ndarray  # (len(front_links), 3) palmar unit vector in each link frame
    keypoints: LocalPoints  # penetration keypoints on the link surfaces
    spheres: LocalPoints  # self-collision sphere centres
    sphere_radii: np.ndarray  # (S,)
    sphere_pairs: np.ndarray  # (P, 2) sphere index pairs that may collide (not same/adjacent links)
    fingertips: LocalPoints  # the model's fingertip sites, FF, MF, RF, LF, TH


def link_index(link: str) -> int:
    """Position of a real link name in LINK_NAMES (the link axis of every LinkPoses)."""
    return LINK_NAMES.index(link)


def primitive_sdf(kind: int, size: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Exact signed distance to a box (half sizes) or capsule (radius, half length along z), geom frame."""
    if kind == _BOX:
        q = np.abs(points) - size[:3]
        return np.linalg.norm(np.maximum(q, 0.0), axis=-1) + np.minimum(q.max(axis=-1), 0.0)
    if kind == _CAPSULE:
        radius, half = size[0], size[1]
        axis = np.zeros_like(points)
        axis[..., 2] = np.clip(points[..., 2], -half, half)
        return np.linalg.norm(points - axis, axis=-1) - radius
    return np.full(points.shape[:-1], np.inf)


def _body_id(model: mujoco.MjModel, link: str) -> int:
    return model.body(model_link_name(link)).id


def _geom_pose(model: mujoco.MjModel, geom_id: int) -> np.ndarray:
    """4x4 pose of a geom in its body's frame."""
    rot = np.zeros(9)
    mujoco.mju_quat2Mat(rot, model.geom_quat[geom_id])
    pose = np.eye(4)
    pose[:3, :3] = rot.reshape(3, 3)
    pose[:3, 3] = model.geom_pos[geom_id]
    return pose


def _compiled_mesh(model: mujoco.MjModel, geom_id: int) -> trimesh.Trimesh:
    mesh_id = model.geom_dataid[geom_id]
    v0, nv = model.mesh_vertadr[mesh_id], model.mesh_vertnum[mesh_id]
    f0, nf = model.mesh_faceadr[mesh_id], model.mesh_facenum[mesh_id]
    # MuJoCo re-centres compiled meshes and moves that offset into geom_pos/quat, so vertices + geom pose
    # (not the raw STL + the XML pose) give the mesh in the body frame.
    return trimesh.Trimesh(
        model.mesh_vert[v0 : v0 + nv].copy(), model.mesh_face[f0 : f0 + nf].copy(), process=False
    )


def collision_primitives(model: mujoco.MjModel, links: tuple[str, ...] = LINK_NAMES) -> list[Primitive]:
    """Collision geoms of the links (group 4 in the OpenAI model), each with a trimesh in the link frame."""
    out = []
    for link in links:
        for geom_id in np.flatnonzero(model.geom_bodyid == _body_id(model, link)):
            if model.geom_group[geom_id] != COLLISION_GROUP:
                continue
            kind, size, pose = (
                int(model.geom_type[geom_id]),
                model.geom_size[geom_id].copy(),
                _geom_pose(model, geom_id),
            )
            if kind == _BOX:
                mesh = trimesh.creation.box(extents=2 * size)
            elif kind == _CAPSULE:
                mesh = trimesh.creation.capsule(height=2 * size[1], radius=size[0], count=[32, 32])
            elif kind == _MESH:
                mesh = _compiled_mesh(model, geom_id)
            else:
                raise ValueError(f"unexpected collision geom type {kind} on {link}")
            mesh.apply_transform(pose)
            out.append(Primitive(link_index(link), kind, size, pose, mesh))
    return out


def convex_planes(mesh: trimesh.Trimesh, count: int | None = None) -> np.ndarray:
    """(K, 4) face planes (unit outward normal n, offset d) of a mesh's convex hull, n . x <= d inside.

    MuJoCo collides a mesh geom as its convex hull, so max_k(n_k . x - d_k) is the signed distance to the shape
    the simulator sees: exact inside, a lower bound outside. ``count``: keep that many planes with normals
    spread by farthest-point sampling; their intersection contains the hull, larger by the sagitta between
    neighbouring kept normals (a few mm for 64 planes around the forearm), so a point inside the hull is inside
    it too.
    """
    hull = mesh.convex_hull
    offsets = np.einsum("ij,ij->i", hull.face_normals, hull.triangles[:, 0])
    planes = np.unique(np.round(np.column_stack([hull.face_normals, offsets]), 9), axis=0)  # coplanar faces once
    if count is not None and count < len(planes):
        planes = planes[np.sort(farthest_point_indices(planes[:, :3], count))]
    return planes


def visual_meshes(model: mujoco.MjModel, links: tuple[str, ...] = LINK_NAMES) -> dict[str, trimesh.Trimesh]:
    """Visual STL mesh of each link in its link frame (links without one, e.g. rh_thbase, left out)."""
    meshes: dict[str, trimesh.Trimesh] = {}
    for link in links:
        parts = []
        for geom_id in np.flatnonzero(model.geom_bodyid == _body_id(model, link)):
            if model.geom_type[geom_id] == _MESH and model.geom_group[geom_id] == VISUAL_GROUP:
                mesh = _compiled_mesh(model, geom_id)
                mesh.apply_transform(_geom_pose(model, geom_id))
                parts.append(mesh)
        if parts:
            meshes[link] = trimesh.util.concatenate(parts) if len(parts) > 1 else parts[0]
    return meshes


def _sample_link(
    prims: list[Primitive], count: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Area-uniform samples on the outer surface of a link's union of primitives.

    Capsule samples are pushed from the tessellation onto the exact capsule (the one MuJoCo collides with),
    with exact normals. Samples buried in another primitive of the same link are rejected; the surplus drawn
    up front keeps the count exact, and further rounds top it up if needed.
    """
    mesh = trimesh.util.concatenate([p.mesh for p in prims]) if len(prims) > 1 else prims[0].mesh
    face_owner = np.repeat(np.arange(len(prims)), [len(p.mesh.faces) for p in prims])
    points, normals = np.empty((0, 3)), np.empty((0, 3))
    for _ in range(8):
        new_p, faces = trimesh.sample.sample_surface(mesh, 2 * count + 16, seed=rng)
        new_p, new_n, owner = np.asarray(new_p, dtype=np.float64), mesh.face_normals[faces], face_owner[faces]
        for k, prim in enumerate(prims):
            if prim.kind == _CAPSULE:
                mine = owner == k
                new_p[mine], new_n[mine] = _onto_capsule(prim, new_p[mine])
        # Buried: a small step out along the normal is still inside another primitive. The step also catches
        # faces that coincide with another primitive's face (the palm boxes share the plane x = -0.021).
        probe = new_p + 1e-4 * new_n
        buried = np.zeros(len(new_p), dtype=bool)
        for k, prim in enumerate(prims):
            buried |= (owner != k) & (prim.sdf(probe) < 0.0)
        points, normals = np.vstack([points, new_p[~buried]]), np.vstack([normals, new_n[~buried]])
        if len(points) >= count:
            break
    return points[:count], normals[:count]


def _onto_capsule(prim: Primitive, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Project link-frame points near a capsule onto its exact surface; return points and outward normals."""
    rot, origin = prim.pose[:3, :3], prim.pose[:3, 3]
    local = (points - origin) @ rot
    axis = np.zeros_like(local)
    axis[:, 2] = np.clip(local[:, 2], -prim.size[1], prim.size[1])
    radial = local - axis
    normal = radial / np.linalg.norm(radial, axis=1, keepdims=True)
    surface = axis + prim.size[0] * normal
    return surface @ rot.T + origin, normal @ rot.T


def _share(total: int, weights: np.ndarray) -> np.ndarray:
    """Split total into integer parts proportional to weights (largest remainder), each at least 1."""
    raw = weights / weights.sum() * (total - len(weights))
    counts = np.floor(raw).astype(np.int64) + 1
    order = np.argsort(-(raw - np.floor(raw)), kind="stable")
    counts[order[: total - counts.sum()]] += 1
    return counts


def _by_link(prims: list[Primitive]) -> dict[int, list[Primitive]]:
    grouped: dict[int, list[Primitive]] = {}
    for prim in prims:
        grouped.setdefault(prim.link, []).append(prim)
    return grouped


def _rng(config: HandGeometryConfig, purpose: int, link: int) -> np.random.Generator:
    return np.random.default_rng([config.seed, purpose, link])


def _surface(model: mujoco.MjModel, prims: list[Primitive], config: HandGeometryConfig) -> LocalPoints:
    if config.surface_source == "visual":
        meshes = visual_meshes(model, tuple(LINK_NAMES[i] for i in sorted({p.link for p in prims})))
        links = [link_index(name) for name in meshes]
        areas = np.array([mesh.area for mesh in meshes.values()])
        counts = _share(config.surface_points, areas)
        parts = []
        for idx, mesh, count in zip(links, meshes.values(), counts, strict=True):
            points, faces = trimesh.sample.sample_surface(mesh, int(count), seed=_rng(config, 0, idx))
            points, normals = np.asarray(points, dtype=np.float64), mesh.face_normals[faces]
            parts.append(LocalPoints(points, np.full(len(points), idx), normals))
        return LocalPoints.concat(parts)
    if config.surface_source != "collision":
        raise ValueError(f"surface_source must be 'collision' or 'visual', not {config.surface_source!r}")
    grouped = _by_link(prims)
    areas = np.array([sum(p.mesh.area for p in group) for group in grouped.values()])
    counts = _share(config.surface_points, areas)
    parts = []
    for (idx, group), count in zip(grouped.items(), counts, strict=True):
        points, normals = _sample_link(group, int(count), _rng(config, 0, idx))
        parts.append(LocalPoints(points, np.full(len(points), idx), normals))
    return LocalPoints.concat(parts)


def _contacts(prims: list[Primitive], config: HandGeometryConfig) -> tuple[LocalPoints, tuple[str, ...]]:
    grouped = _by_link(prims)
    parts, labels = [], []
    for label, link in CONTACT_LINKS.items():
        idx = link_index(link)
        # Dense samples; keep those facing the palmar side away from the joint at the link's base (that part
        # folds away when the finger flexes), then spread a few evenly over what is left.
        points, normals = _sample_link(grouped[idx], 4000, _rng(config, 1, idx))
        front = normals @ np.asarray(FRONT_AXES[link])
        z_lo, z_hi = points[:, 2].min(), points[:, 2].max()
        keep = (front >= config.contact_min_cos) & (
            points[:, 2] >= z_lo + config.contact_skip_base * (z_hi - z_lo)
        )
        count = config.palm_contact_points if label == "palm" else config.tip_contact_points
        pick = np.flatnonzero(keep)[farthest_point_indices(points[keep], count)]
        parts.append(LocalPoints(points[pick], np.full(len(pick), idx), normals[pick]))
        labels += [label] * len(pick)
    return LocalPoints.concat(parts), tuple(labels)


def _keypoints(prims: list[Primitive], config: HandGeometryConfig) -> LocalPoints:
    parts = []
    for idx, group in _by_link(prims).items():
        area = sum(p.mesh.area for p in group)
        count = max(1, math.ceil(area / config.keypoint_spacing**2))
        points, _ = _sample_link(group, 2000, _rng(config, 2, idx))
        pick = farthest_point_indices(points, count)
        parts.append(LocalPoints(points[pick], np.full(len(pick), idx)))
    return LocalPoints.concat(parts)


def _primitive_spheres(kind: int, size: np.ndarray, spacing: float) -> tuple[np.ndarray, np.ndarray]:
    """Sphere centres (geom frame) and radii covering a capsule or box."""
    if kind == _CAPSULE:
        radius, half = size[0], size[1]
        n = math.ceil(2 * half / (spacing * radius)) + 1
        centres = np.zeros((n, 3))
        centres[:, 2] = np.linspace(-half, half, n)
        return centres, np.full(n, radius)
    radius = float(size.min())  # box: spheres as thick as the box's thinnest side, on a grid inside it
    axes = []
    for half in size:
        inner = half - radius
        n = math.ceil(2 * inner / (spacing * radius)) + 1 if inner > 1e-9 else 1
        axes.append(np.linspace(-inner, inner, n))
    grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 3)
    return grid, np.full(len(grid), radius)


def _spheres(prims: list[Primitive], spacing: float) -> tuple[LocalPoints, np.ndarray]:
    parts, radii = [], []
    for prim in prims:
        if prim.kind == _MESH:
            continue  # the forearm hull: rigid with the palm, so it cannot self-collide with it anyway
        centres, r = _primitive_spheres(prim.kind, prim.size, spacing)
        parts.append(
            LocalPoints(centres @ prim.pose[:3, :3].T + prim.pose[:3, 3], np.full(len(r), prim.link))
        )
        radii.append(r)
    return LocalPoints.concat(parts), np.concatenate(radii)


def _sphere_pairs(model: mujoco.MjModel, sphere_links: np.ndarray) -> np.ndarray:
    """Pairs of spheres on links that are neither the same nor kinematic neighbours.

    Neighbours are taken after skipping links without spheres (knuckles, thumb base and hub): a proximal
    phalanx touches the palm at its knuckle whatever the joint angles, and that is not a collision.
    """
    with_spheres = set(sphere_links.tolist())

    def sphere_parent(idx: int) -> int:
        body = model.body(model_link_name(LINK_NAMES[idx])).parentid[0]
        while True:
            name = "rh_" + model.body(body).name.removeprefix(MODEL_PREFIX)
            if name not in LINK_NAMES:
                return -1
            if link_index(name) in with_spheres:
                return link_index(name)
            body = model.body(body).parentid[0]

    parent = {idx: sphere_parent(idx) for idx in with_spheres}
    i, j = np.triu_indices(len(sphere_links), k=1)
    a, b = sphere_links[i], sphere_links[j]
    adjacent = np.array(
        [parent[x] == y or parent[y] == x for x, y in zip(a.tolist(), b.tolist(), strict=True)]
    )
    keep = (a != b) & ~adjacent
    return np.stack([i[keep], j[keep]], axis=1).astype(np.int64)


def _fingertips(model: mujoco.MjModel) -> LocalPoints:
    points = [model.site(site).pos.copy() for site in FINGERTIP_SITES]
    links = [link_index(CONTACT_LINKS[finger]) for finger in FINGERS]
    return LocalPoints(np.array(points), np.array(links, dtype=np.int64))


def build_geometry(model: mujoco.MjModel, config: HandGeometryConfig | None = None) -> HandGeometry:
    """Sample every point set of the hand from a compiled fixed-wrist hand model."""
    config = config or HandGeometryConfig()
    links = tuple(link for link in LINK_NAMES if config.include_forearm or link != "rh_forearm")
    prims = collision_primitives(model, links)
    contact, labels = _contacts(prims, config)
    spheres, radii = _spheres(prims, config.sphere_spacing)
    front_links = tuple(FRONT_AXES)
    return HandGeometry(
        surface=_surface(model, prims, config),
        contact=contact,
        contact_labels=labels,
        front_links=front_links,
        front_axes=np.array([FRONT_AXES[link] for link in front_links]),
        keypoints=_keypoints(prims, config),
        spheres=spheres,
        sphere_radii=radii,
        sphere_pairs=_sphere_pairs(model, spheres.link),
        fingertips=_fingertips(model),
    )
