"""Grasp checks on a Scene. Each returns a small dataclass with the measured numbers AND a reason string.

Static checks (penetration, self-penetration, contacts, part alignment) read the scene as it is posed (call
Scene.set_hand + mj_kinematics first, or use pose_static). Distances come from MuJoCo's own narrow phase
(mj_geomDistance: signed, negative = penetration depth) between the collision geoms MuJoCo simulates, so a
grasp judged here is judged on the same shapes the disturbance test pushes around.

Dynamic tests (disturbance, lift) run the protocol of SimConfig and raise SimulationError when the simulation
becomes numerically unstable (NaN, |qacc| beyond config.max_qacc, or MuJoCo's bad-qacc/qpos/qvel warnings,
after which MuJoCo would silently reset the state).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache

import mujoco
import numpy as np
from scipy.spatial import cKDTree

from dexvlg_core.hand.coupling import mujoco_ctrl
from dexvlg_core.hand.geometry import HandGeometryConfig, build_geometry
from dexvlg_core.hand.joints import FINGER_NAMES, LINK_NAMES, MODEL_PREFIX
from dexvlg_core.rotations import transform
from dexvlg_core.sim.config import SimConfig
from dexvlg_core.sim.objects import SimObject
from dexvlg_core.sim.scene import Scene, hand_reference_model
from dexvlg_core.triangles import point_triangle_distance

_FAR_MM = 10.0  # contacts() caps link distances here; links that far are left out of the part distances
_WARNINGS = (mujoco.mjtWarning.mjWARN_BADQACC, mujoco.mjtWarning.mjWARN_BADQPOS, mujoco.mjtWarning.mjWARN_BADQVEL)


class SimulationError(RuntimeError):
    """The simulation exploded (non-finite or huge accelerations); the grasp cannot be judged."""


# ---------------------------------------------------------------------------------------------- helpers
def link_finger(link: str) -> str:
    """Contact name of a hand link as captions use it ("index", ..., "thumb", "palm"), "" for wrist/forearm."""
    if link == "rh_palm":
        return "palm"
    prefix = link[3:5].upper()
    return FINGER_NAMES.get(prefix, "")


def _geom_distance(model: mujoco.MjModel, data: mujoco.MjData, g1: int, g2: int, distmax: float) -> float:
    # Bounding spheres first: most pairs are far apart and GJK is the expensive part.
    centre_gap = np.linalg.norm(data.geom_xpos[g1] - data.geom_xpos[g2])
    if centre_gap - model.geom_rbound[g1] - model.geom_rbound[g2] > distmax:
        return distmax
    return float(mujoco.mj_geomDistance(model, data, int(g1), int(g2), distmax, None))


def min_distances(model: mujoco.MjModel, data: mujoco.MjData, geoms_a: np.ndarray, geoms_b: np.ndarray,
                  distmax: float) -> np.ndarray:
    """(len(a),) smallest signed distance (m, negative = penetration) from each geom of a to any geom of b,
    capped at distmax. Needs geom poses (mj_kinematics or mj_forward).
    """
    out = np.full(len(geoms_a), distmax)
    for i, ga in enumerate(geoms_a):
        for gb in geoms_b:
            out[i] = min(out[i], _geom_distance(model, data, ga, gb, distmax))
    return out


def _name(model: mujoco.MjModel, geom: int) -> str:
    return model.geom(int(geom)).name.removeprefix(MODEL_PREFIX)


# ---------------------------------------------------------------------------------------------- penetration
@dataclass
class PenetrationCheck:
    """Deepest overlap between two sets of geoms."""

    depth_mm: float  # >= 0
    limit_mm: float
    pair: tuple[str, str] = ("", "")  # the deepest pair's geom names
    passed: bool = True
    reason: str = ""


def penetration(model: mujoco.MjModel, data: mujoco.MjData, geoms_a: np.ndarray, geoms_b: np.ndarray,
                limit: float, what: str = "penetration") -> PenetrationCheck:
    """Deepest penetration between any geom of a and any geom of b (both sets of collision geoms)."""
    best, pair = 0.0, ("", "")
    for ga in geoms_a:
        for gb in geoms_b:
            dist = _geom_distance(model, data, ga, gb, 1e-3)
            if -dist > best:
                best, pair = -dist, (_name(model, ga), _name(model, gb))
    passed = best <= limit
    reason = (f"{what} {1e3 * best:.2f} mm ({pair[0]} / {pair[1]}) exceeds {1e3 * limit:.1f} mm" if not passed
              else f"{what} {1e3 * best:.2f} mm <= {1e3 * limit:.1f} mm")
    return PenetrationCheck(1e3 * best, 1e3 * limit, pair, passed, reason)


def hand_object_penetration(scene: Scene, limit: float | None = None) -> PenetrationCheck:
    """Deepest hand-object penetration of the posed scene."""
    limit = scene.config.max_penetration if limit is None else limit
    return penetration(scene.model, scene.data, scene.hand_geoms, scene.object_geoms, limit, "hand-object penetration")


@lru_cache(maxsize=8)
def _self_pairs_cached(key: tuple[int, ...], parents: tuple[int, ...], bodies: tuple[int, ...]) -> np.ndarray:
    geoms = np.array(key)
    body_of = dict(zip(geoms.tolist(), bodies, strict=True))
    with_geoms = set(bodies)
    parent_of = dict(zip(range(len(parents)), parents, strict=True))

    def link_parent(body: int) -> int:
        # Nearest ancestor that carries collision geoms: knuckles and the thumb base/hub have none, and a
        # proximal phalanx touching the palm at its knuckle is the joint, not a collision.
        body = parent_of[body]
        while body > 0 and body not in with_geoms:
            body = parent_of[body]
        return body

    pairs = []
    for i in range(len(geoms)):
        for j in range(i + 1, len(geoms)):
            a, b = body_of[geoms[i]], body_of[geoms[j]]
            if a != b and link_parent(a) != b and link_parent(b) != a:
                pairs.append((geoms[i], geoms[j]))
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def self_collision_pairs(scene: Scene) -> np.ndarray:
    """(P, 2) hand collision geom pairs on links that are neither the same nor kinematic neighbours."""
    bodies = tuple(int(scene.model.geom_bodyid[g]) for g in scene.hand_geoms)
    return _self_pairs_cached(tuple(scene.hand_geoms.tolist()), tuple(scene.model.body_parentid.tolist()), bodies)


def self_penetration(scene: Scene, limit: float | None = None) -> PenetrationCheck:
    """Deepest overlap between two non-adjacent links of the posed hand."""
    limit = scene.config.max_self_penetration if limit is None else limit
    m, d = scene.model, scene.data
    best, pair = 0.0, ("", "")
    for ga, gb in self_collision_pairs(scene):
        dist = _geom_distance(m, d, ga, gb, 1e-3)
        if -dist > best:
            best, pair = -dist, (_name(m, ga), _name(m, gb))
    passed = best <= limit
    reason = (f"self-penetration {1e3 * best:.2f} mm ({pair[0]} / {pair[1]}) exceeds {1e3 * limit:.1f} mm"
              if not passed else f"self-penetration {1e3 * best:.2f} mm <= {1e3 * limit:.1f} mm")
    return PenetrationCheck(1e3 * best, 1e3 * limit, pair, passed, reason)


# ---------------------------------------------------------------------------------------------- contacts
@dataclass
class ContactCheck:
    """Hand links and fingers within config.contact_distance of the object."""

    links: tuple[str, ...]
    fingers: tuple[str, ...]  # "index", ..., "thumb", "palm" (caption names)
    link_distance_mm: dict[str, float]  # signed distance of every collision link (capped at _FAR_MM)
    threshold_mm: float
    reason: str = ""

    def matches(self, instructed: tuple[str, ...] | list[str], tolerance: int = 1) -> bool:
        """CMA: the contact fingers equal the instructed ones with at most ``tolerance`` fingers off."""
        return len(set(instructed) ^ set(self.fingers)) <= tolerance


def contacts(scene: Scene, threshold: float | None = None) -> ContactCheck:
    """Which hand links and fingers touch (are within ``threshold`` of) the object in the posed scene."""
    threshold = scene.config.contact_distance if threshold is None else threshold
    dist = min_distances(scene.model, scene.data, scene.hand_geoms, scene.object_geoms, 1e-3 * _FAR_MM)
    per_link: dict[str, float] = {}
    for link, value in zip(scene.hand_geom_links, dist, strict=True):
        per_link[link] = min(per_link.get(link, np.inf), float(value))
    links = tuple(link for link in LINK_NAMES if link in per_link and per_link[link] <= threshold)
    fingers = tuple(dict.fromkeys(f for f in (link_finger(link) for link in links) if f))
    reason = (f"{len(links)} links within {1e3 * threshold:.1f} mm: {', '.join(fingers) or 'none'}")
    return ContactCheck(links, fingers, {k: 1e3 * v for k, v in per_link.items()}, 1e3 * threshold, reason)


# ---------------------------------------------------------------------------------------------- parts
@dataclass(frozen=True, eq=False)
class TriangleIndex:
    """Triangles with a k-d tree over their centroids and each one's bounding radius, for exact distances.

    dist(p, T) >= |p - centroid(T)| - radius(T), so the largest radius bounds how far the tree must search.
    ``build`` splits triangles wider than ``max_radius`` into four (edge midpoints) until none is: the same
    surface, so distances stay exact, but a few long slivers (a pan's bottom, a bottle's neck) no longer make
    every search return every triangle.
    """

    triangles: np.ndarray  # (F, 3, 3)
    tree: cKDTree
    centroids: np.ndarray
    radii: np.ndarray

    @classmethod
    def build(cls, triangles: np.ndarray, max_radius: float | None = None, max_levels: int = 8,
              max_triangles: int = 500_000) -> TriangleIndex:
        """Index of (F, 3, 3) triangles, split to ``max_radius`` (None: as they are) while the count stays
        within ``max_triangles`` (a huge mesh is then indexed coarser, still exactly).
        """
        triangles = np.asarray(triangles, dtype=np.float64).reshape(-1, 3, 3)
        for _ in range(max_levels if max_radius is not None else 0):
            radii = np.linalg.norm(triangles - triangles.mean(axis=1, keepdims=True), axis=2).max(axis=1)
            wide = radii > max_radius
            if not wide.any() or len(triangles) + 3 * int(wide.sum()) > max_triangles:
                break
            a, b, c = (triangles[wide, i] for i in range(3))
            ab, bc, ca = 0.5 * (a + b), 0.5 * (b + c), 0.5 * (c + a)
            split = np.stack([np.stack(t, axis=1) for t in ((a, ab, ca), (ab, b, bc), (ca, bc, c), (ab, bc, ca))])
            triangles = np.concatenate([triangles[~wide], split.reshape(-1, 3, 3)])
        centroids = triangles.mean(axis=1)
        radii = np.linalg.norm(triangles - centroids[:, None], axis=2).max(axis=1)
        return cls(triangles, cKDTree(centroids), centroids, radii)


def _exact(points: np.ndarray, triangles: np.ndarray, point_idx: np.ndarray, tri_idx: np.ndarray) -> np.ndarray:
    tri = triangles[tri_idx]
    return point_triangle_distance(points[point_idx], tri[:, 0], tri[:, 1], tri[:, 2])


def _candidates(points: np.ndarray, tree: cKDTree, centroids: np.ndarray, radii: np.ndarray,
                point_idx: np.ndarray, bound: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(point, triangle) index pairs that may lie within ``bound`` (per point) of each other.

    dist(p, T) >= |p - centroid(T)| - radius(T): the k-d tree finds centroids within bound + max radius, the
    per-triangle radius then drops most of them.
    """
    lists = tree.query_ball_point(points[point_idx], bound + radii.max() + 1e-12)
    counts = np.array([len(c) for c in lists], dtype=np.int64)
    if counts.sum() == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    pts = np.repeat(point_idx, counts)
    tri = np.concatenate(lists).astype(np.int64)
    lower = np.linalg.norm(points[pts] - centroids[tri], axis=1) - radii[tri]
    keep = lower <= np.repeat(bound, counts) + 1e-12
    return pts[keep], tri[keep]


def point_triangles_distance(points: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """Exact unsigned distance from each point (N, 3) to the nearest of the triangles (F, 3, 3).

    The nearest few centroids give each point an upper bound; only triangles that could beat it are then
    measured exactly (see _candidates).
    """
    points = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    n, f = len(points), len(triangles)
    if f == 0:
        return np.full(n, np.inf)
    index = TriangleIndex.build(triangles)
    tree, centroids, radii = index.tree, index.centroids, index.radii
    k = min(8, f)
    near = tree.query(points, k=k)[1].reshape(n, k)
    upper = _exact(points, triangles, np.repeat(np.arange(n), k), near.ravel()).reshape(n, k).min(axis=1)
    pts, tri = _candidates(points, tree, centroids, radii, np.arange(n), upper)
    out = upper.copy()
    np.minimum.at(out, pts, _exact(points, triangles, pts, tri))
    return out


def nearest_distance(points: np.ndarray, triangles: np.ndarray | TriangleIndex) -> float:
    """Smallest distance from any of the points to the triangles (min of point_triangles_distance), pruned
    further: points that cannot beat the best upper bound found so far are dropped before the exact pass.
    ``triangles``: (F, 3, 3) corners, or a TriangleIndex of them built once for many queries.
    """
    points = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    index = triangles if isinstance(triangles, TriangleIndex) else TriangleIndex.build(triangles)
    triangles = index.triangles
    if len(triangles) == 0 or len(points) == 0:
        return float("inf")
    tree, centroids, radii = index.tree, index.centroids, index.radii
    k = min(4, len(triangles))
    gap, near = tree.query(points, k=k)
    gap, near = gap.reshape(len(points), k), near.reshape(len(points), k)
    # An upper bound from the few points nearest to a centroid (any exact distance is one), then the rest.
    first = np.argsort(gap[:, 0], kind="stable")[:8]
    best = float(_exact(points, triangles, np.repeat(first, k), near[first].ravel()).min())
    keep = np.flatnonzero(gap[:, 0] - radii.max() <= best)  # the others are farther than `best` from all
    pts, tri = _candidates(points, tree, centroids, radii, keep, np.full(len(keep), best))
    if len(pts) == 0:
        return best
    return min(best, float(_exact(points, triangles, pts, tri).min()))


# Part-distance indices per object (SimObject.key), most recent last: the evaluator judges many grasps of an
# object in a row. Triangles are split to this bounding radius (m).
_PART_INDEX_RADIUS = 0.005
_PART_INDICES: OrderedDict[str, list[TriangleIndex]] = OrderedDict()


def part_indices(obj: SimObject) -> list[TriangleIndex]:
    """TriangleIndex of each part of a SimObject (part_names order), cached for the last few objects."""
    indices = _PART_INDICES.get(obj.key)
    if indices is None:
        indices = [TriangleIndex.build(tri, _PART_INDEX_RADIUS) for tri in obj.part_triangles()]
        _PART_INDICES[obj.key] = indices
        while len(_PART_INDICES) > 4:
            _PART_INDICES.popitem(last=False)
    _PART_INDICES.move_to_end(obj.key)
    return indices


@lru_cache(maxsize=2)
def _link_points(keep_forearm: bool) -> tuple[np.ndarray, np.ndarray]:
    geometry = build_geometry(hand_reference_model(keep_forearm), HandGeometryConfig(surface_points=4096))
    return geometry.surface.points, geometry.surface.link


@dataclass
class PartAlignment:
    """DexVLG part alignment: every contact link is closer to the target part than to any other part.

    Distances are from link surface samples (collision shapes, ~3 mm apart) to the part triangles, exact per
    sample. ``finger_distance_mm`` holds, per finger, (distance to the target part, to the nearest other
    part), the inputs of the PTA/PGA benchmark metrics.
    """

    part: str
    passed: bool
    reason: str
    link_distance_mm: dict[str, tuple[float, float]] = field(default_factory=dict)  # link: (target, other)
    finger_distance_mm: dict[str, tuple[float, float]] = field(default_factory=dict)
    misaligned: tuple[str, ...] = ()

    def fingers_on_part(self, within_mm: float = 10.0) -> tuple[str, ...]:
        """Fingers within ``within_mm`` of the target part and closer to it than to any other (PTA/PGA)."""
        return tuple(f for f, (t, o) in self.finger_distance_mm.items() if t <= within_mm and t < o)


def part_alignment(scene: Scene, part: str, touching: ContactCheck) -> PartAlignment:
    """Part alignment of the posed hand against the object's per-face part labels.

    ``touching``: contacts() of the same posed scene. Part distances are computed for the finger and palm links
    within 10 mm of the object (the farther ones cannot be within 1 cm of any part, which PTA/PGA ask).
    """
    contact_links = touching.links
    obj = scene.obj
    if not obj.has_parts:
        return PartAlignment(part, False, f"object {obj.name!r} has no part labels")
    try:
        target = obj.part_index(part)
    except KeyError as error:
        return PartAlignment(part, False, str(error.args[0]))
    points, link_of = _link_points(scene.config.keep_forearm)
    # Everything in the object frame: the labels live there.
    obj_pose = scene.object_pose()
    link_distance: dict[str, tuple[float, float]] = {}
    triangles = part_indices(obj)
    m, d = scene.model, scene.data
    for link_idx in np.unique(link_of):
        link = LINK_NAMES[link_idx]
        if not link_finger(link) or touching.link_distance_mm.get(link, np.inf) >= _FAR_MM:
            continue
        body = m.body(MODEL_PREFIX + link[3:]).id
        world = points[link_of == link_idx] @ d.xmat[body].reshape(3, 3).T + d.xpos[body]
        local = (world - obj_pose[:3, 3]) @ obj_pose[:3, :3]
        per_part = np.array([nearest_distance(local, tri) for tri in triangles])
        others = np.delete(per_part, target)
        link_distance[link] = (float(1e3 * per_part[target]), float(1e3 * others.min()) if len(others) else np.inf)
    fingers: dict[str, tuple[float, float]] = {}
    for link, (t, o) in link_distance.items():
        finger = link_finger(link)
        best = fingers.get(finger, (np.inf, np.inf))
        fingers[finger] = (min(best[0], t), min(best[1], o))
    in_contact = [link for link in contact_links if link in link_distance]
    misaligned = tuple(link for link in in_contact if not link_distance[link][0] < link_distance[link][1])
    if not in_contact:
        return PartAlignment(part, False, "no hand link touches the object", link_distance, fingers)
    passed = not misaligned
    reason = (f"all {len(in_contact)} contact links are closest to part {part!r}" if passed
              else f"links {', '.join(misaligned)} are closer to another part than to {part!r}")
    return PartAlignment(part, passed, reason, link_distance, fingers, misaligned)


# ---------------------------------------------------------------------------------------------- dynamics
def check_stable(scene: Scene, what: str) -> None:
    """Raise SimulationError if the state is non-finite, accelerations are huge, or MuJoCo flagged it."""
    d = scene.data
    for warning in _WARNINGS:
        if d.warning[warning].number > 0:
            name = mujoco.mjtWarning(warning).name
            raise SimulationError(f"simulation unstable during {what}: MuJoCo {name}")
    if not (np.all(np.isfinite(d.qpos)) and np.all(np.isfinite(d.qacc))):
        raise SimulationError(f"simulation unstable during {what}: non-finite state")
    peak = float(np.max(np.abs(d.qacc))) if len(d.qacc) else 0.0
    if peak > scene.config.max_qacc:
        raise SimulationError(f"simulation unstable during {what}: |qacc| {peak:.3g} > {scene.config.max_qacc:.3g}")


def _pose_change(before: np.ndarray, after: np.ndarray) -> tuple[float, float]:
    """(translation m, rotation deg) between two 4x4 poses."""
    translation = float(np.linalg.norm(after[:3, 3] - before[:3, 3]))
    cos = (np.trace(before[:3, :3].T @ after[:3, :3]) - 1.0) / 2.0
    return translation, math.degrees(math.acos(float(np.clip(cos, -1.0, 1.0))))


def _interpolate(scene: Scene, ctrl_from: np.ndarray, ctrl_to: np.ndarray, steps: int,
                 root_from: np.ndarray | None = None, root_to: np.ndarray | None = None) -> None:
    m, d, act = scene.model, scene.data, scene.hand_actuators
    for k in range(1, steps + 1):
        s = k / steps
        d.ctrl[act] = ctrl_from + s * (ctrl_to - ctrl_from)
        if root_from is not None:
            d.mocap_pos[scene.mocap] = root_from + s * (root_to - root_from)  # translation only
        mujoco.mj_step(m, d)


def _hold(scene: Scene, steps: int, what: str, chunk: int = 50) -> None:
    done = 0
    while done < steps:
        n = min(chunk, steps - done)
        mujoco.mj_step(scene.model, scene.data, n)
        done += n
        check_stable(scene, what)


@dataclass
class GraspPostures:
    """A grasp placed in the scene's world: root pose and the three postures' servo commands."""

    root: np.ndarray  # 4x4 world pose of the hand root
    pregrasp: np.ndarray  # (22,) joints, real convention
    grasp: np.ndarray
    squeeze: np.ndarray

    def ctrls(self, scene: Scene) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Servo commands of pregrasp, grasp and squeeze (squeeze clipped to the servo ranges)."""
        hand = hand_reference_model(scene.config.keep_forearm)
        lo, hi = scene.model.actuator_ctrlrange[scene.hand_actuators].T
        return tuple(np.clip(mujoco_ctrl(q, hand), lo, hi) for q in (self.pregrasp, self.grasp, self.squeeze))


def pose_static(scene: Scene, root: np.ndarray, joints: np.ndarray) -> None:
    """Reset the scene and pose the hand kinematically (for the static checks)."""
    scene.reset()
    scene.set_hand(root, joints)
    mujoco.mj_kinematics(scene.model, scene.data)


@dataclass
class DisturbanceResult:
    """Six-direction disturbance test: object motion per direction."""

    passed: bool
    reason: str
    directions: tuple[str, ...] = ()
    translation_mm: tuple[float, ...] = ()
    rotation_deg: tuple[float, ...] = ()
    held: tuple[bool, ...] = ()
    steps: int = 0
    # Where the closing and the squeeze left the object, before any push: how far it moved from its start and how
    # many MuJoCo contacts it has with the hand. No contact here means the hand let go (or pushed the object out)
    # while closing, and every push then carries it away freely: a different fault from a grip too weak to hold.
    squeezed_mm: float = 0.0
    squeezed_deg: float = 0.0
    squeezed_contacts: int = 0


def hand_object_contacts(scene: Scene) -> int:
    """Active MuJoCo contacts between the hand's collision geoms and the object's, in the current state."""
    d = scene.data
    if d.ncon == 0:
        return 0
    geom1, geom2 = d.contact.geom1[: d.ncon], d.contact.geom2[: d.ncon]
    hand, obj = scene.hand_geoms, scene.object_geoms
    pairs = (np.isin(geom1, hand) & np.isin(geom2, obj)) | (np.isin(geom2, hand) & np.isin(geom1, obj))
    return int(pairs.sum())


def disturbance_test(scene: Scene, postures: GraspPostures) -> DisturbanceResult:
    """DESIGN.md protocol, gravity off: per direction reset to the pregrasp, close to the grasp (0.4 s) and the
    squeeze (0.4 s), push the object with 10 x mass N for 2 s; held if it moved < 5 cm and < 15 degrees.

    The closing and the squeeze are the same in every direction (same start, same commands, no push yet), so they
    are simulated once and the whole simulation state after them is copied back before each push: the outcome is
    bit for bit that of simulating them six times, at 200 steps instead of 1,200 per grasp.
    """
    cfg: SimConfig = scene.config
    scene.set_gravity(False)
    scene.set_table_enabled(False)
    ctrl_pre, ctrl_grasp, ctrl_squeeze = postures.ctrls(scene)
    n_approach, n_squeeze, n_hold = cfg.steps(cfg.approach_time), cfg.steps(cfg.squeeze_time), cfg.steps(cfg.hold_time)
    scene.reset()
    scene.set_hand(postures.root, postures.pregrasp)
    scene.data.ctrl[scene.hand_actuators] = ctrl_pre
    mujoco.mj_forward(scene.model, scene.data)
    start = scene.object_pose()
    _interpolate(scene, ctrl_pre, ctrl_grasp, n_approach)
    first = cfg.direction_names[0]  # the closing belongs to every direction; named after the first, as it runs first
    check_stable(scene, f"closing ({first})")
    _interpolate(scene, ctrl_grasp, ctrl_squeeze, n_squeeze)
    check_stable(scene, f"squeezing ({first})")
    squeezed_m, squeezed_deg = _pose_change(start, scene.object_pose())
    squeezed_contacts = hand_object_contacts(scene)
    squeezed = mujoco.MjData(scene.model)
    mujoco.mj_copyData(squeezed, scene.model, scene.data)
    names, moved, turned, held = [], [], [], []
    steps = n_approach + n_squeeze
    for name, direction in zip(cfg.direction_names, cfg.directions, strict=True):
        mujoco.mj_copyData(scene.data, scene.model, squeezed)
        scene.data.xfrc_applied[scene.object_body, :3] = cfg.force * np.asarray(direction, dtype=np.float64)
        _hold(scene, n_hold, f"holding against {name}")
        scene.data.xfrc_applied[scene.object_body] = 0.0
        steps += n_hold
        translation, rotation = _pose_change(start, scene.object_pose())
        names.append(name)
        moved.append(1e3 * translation)
        turned.append(rotation)
        held.append(translation < cfg.max_translation and rotation < cfg.max_rotation_deg)
        if not held[-1] and cfg.stop_at_first_failure:
            break
    passed = len(held) == len(cfg.directions) and all(held)
    failed = [f"{n} ({t:.1f} mm, {r:.1f} deg)" for n, t, r, h in zip(names, moved, turned, held, strict=True) if not h]
    reason = (f"held in all {len(held)} directions (max {max(moved):.1f} mm, {max(turned):.1f} deg)" if passed
              else f"object slipped under {', '.join(failed)}; limits {1e3 * cfg.max_translation:.0f} mm, "
                   f"{cfg.max_rotation_deg:.0f} deg")
    return DisturbanceResult(passed, reason, tuple(names), tuple(moved), tuple(turned), tuple(held), steps,
                             1e3 * squeezed_m, squeezed_deg, squeezed_contacts)


@dataclass
class LiftResult:
    """Tabletop lift test (DexVLG Suc): approach, squeeze, lift lift_height, hold."""

    passed: bool
    reason: str
    rise_mm: float = 0.0  # object height gain at the end
    rotation_deg: float = 0.0
    table_penetration_mm: float = 0.0  # hand vs table at the grasp pose (static)
    on_table: bool = True  # object still touching the table at the end
    steps: int = 0


def lift_test(scene: Scene, postures: GraspPostures) -> LiftResult:
    """Gravity on, table on: settle the object, approach from the pregrasp (lift_pregrasp_distance back along
    the approach, i.e. the hand's +y, away from the palm), close, squeeze, lift the root lift_height and
    hold lift_hold_time; success if the object rose >= lift_height - lift_tolerance and left the table.
    """
    cfg: SimConfig = scene.config
    if scene.table_geom < 0 or scene.mocap < 0:
        raise ValueError("the lift test needs a scene with a table and a floating hand")
    m, d = scene.model, scene.data
    scene.set_table_enabled(True)
    table = np.array([scene.table_geom])
    # Static: the grasp itself must not go through the table.
    pose_static(scene, postures.root, postures.grasp)
    table_depth = max(0.0, -float(min_distances(m, d, scene.hand_geoms, table, 1e-3).min()))
    if table_depth > cfg.max_penetration:
        return LiftResult(False, f"hand penetrates the table by {1e3 * table_depth:.1f} mm at the grasp",
                          table_penetration_mm=1e3 * table_depth)
    back = postures.root[:3, :3] @ np.array([0.0, 1.0, 0.0])
    pre_root = transform(postures.root[:3, :3], postures.root[:3, 3] + cfg.lift_pregrasp_distance * back)
    ctrl_pre, ctrl_grasp, ctrl_squeeze = postures.ctrls(scene)
    scene.reset()
    scene.set_gravity(True)
    scene.set_hand(pre_root, postures.pregrasp)
    d.ctrl[scene.hand_actuators] = ctrl_pre
    mujoco.mj_forward(m, d)
    n_settle, n_approach = cfg.steps(cfg.lift_settle_time), cfg.steps(cfg.approach_time)
    n_squeeze, n_lift, n_hold = cfg.steps(cfg.squeeze_time), cfg.steps(cfg.lift_time), cfg.steps(cfg.lift_hold_time)
    try:
        _hold(scene, n_settle, "settling on the table")
        start = scene.object_pose()
        _interpolate(scene, ctrl_pre, ctrl_grasp, n_approach, pre_root[:3, 3], postures.root[:3, 3])
        check_stable(scene, "approaching")
        _interpolate(scene, ctrl_grasp, ctrl_squeeze, n_squeeze)
        check_stable(scene, "squeezing")
        top = postures.root[:3, 3] + np.array([0.0, 0.0, cfg.lift_height])
        _interpolate(scene, ctrl_squeeze, ctrl_squeeze, n_lift, postures.root[:3, 3], top)
        check_stable(scene, "lifting")
        _hold(scene, n_hold, "holding up")
    finally:
        scene.set_gravity(False)
    rise = float(scene.object_pose()[2, 3] - start[2, 3])
    _, rotation = _pose_change(start, scene.object_pose())
    mujoco.mj_kinematics(m, d)
    gap = float(min_distances(m, d, scene.object_geoms, table, 0.01).min())
    on_table = gap <= 5e-4
    steps = n_settle + n_approach + n_squeeze + n_lift + n_hold
    passed = rise >= cfg.lift_height - cfg.lift_tolerance and not on_table
    reason = (f"lifted {1e3 * rise:.1f} mm and held {cfg.lift_hold_time:g} s" if passed
              else f"object rose only {1e3 * rise:.1f} mm (needs {1e3 * (cfg.lift_height - cfg.lift_tolerance):.0f})"
              + (" and still touches the table" if on_table else ""))
    return LiftResult(passed, reason, 1e3 * rise, rotation, 1e3 * table_depth, on_table, steps)
