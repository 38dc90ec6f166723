"""Stand-in grasps for tests and pictures while the synthesized dataset does not exist yet.

Each is the reference power (or a pinch) posture of dexvlg_core.sim.examples placed at a point of a part: the
palm faces the point from outside along the surface normal, the fingers point along a random direction
across it. They look like grasps and carry part, style and contact fingers, but they are NOT validated (no
force closure, may penetrate): use the synthesized tables for anything but plumbing.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from scipy.spatial.transform import Rotation

from dexvlg_core.grasp import Grasp
from dexvlg_core.sim.examples import CUBE_CENTRE_IN_ROOT, POWER_GRASP_JOINTS, bar, bar_power_grasp, open_pregrasp
from dexvlg_data.objects import PartObject

# A loose three-finger pinch (rh_FFJ4 ... rh_THJ1): index and middle half flexed, ring and little open.
PINCH_JOINTS = (
    0.0, 0.6, 0.6, 0.3,
    0.0, 0.6, 0.6, 0.3,
    0.0, 0.0, 0.0, 0.0,
    0.0, 0.0, 0.0, 0.0, 0.0,
    0.2, 1.1, 0.2, 0.4, 0.4,
)  # fmt: skip
STYLE_JOINTS = {"wrap": POWER_GRASP_JOINTS, "pinch": PINCH_JOINTS}
STYLE_FINGERS = {"wrap": ("middle", "ring", "little", "thumb", "palm"), "pinch": ("index", "middle", "thumb")}


def _hand_rotation(outward: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Root rotation whose palm (-y) faces against ``outward`` and whose fingers (+z) point across it."""
    y = outward / np.linalg.norm(outward)
    helper = rng.normal(size=3)
    z = helper - (helper @ y) * y
    z /= np.linalg.norm(z)
    return np.stack([np.cross(y, z), y, z], axis=1)


def toy_grasps(obj: PartObject, part: str, count: int, seed: int = 0, style: str = "wrap",
               standoff: float = 0.01) -> list[Grasp]:
    """``count`` placed postures on the outward-open faces of ``part`` of ``obj`` (object frame); see the module
    docstring.
    """
    faces = np.flatnonzero(obj.face_parts == obj.part_index(part))
    rng = np.random.default_rng(seed)
    area = obj.mesh.area_faces[faces]
    joints = np.asarray(STYLE_JOINTS[style], float)
    grip = np.asarray(CUBE_CENTRE_IN_ROOT)  # where the posture holds an object, in the root frame
    # Faces whose outside is open (a ray along the normal leaves the object): the palm has room there; the
    # inside of a handle, which faces the body, does not.
    centres = obj.mesh.triangles_center[faces] + 1e-4 * obj.mesh.face_normals[faces]
    blocked = obj.mesh.ray.intersects_any(ray_origins=centres, ray_directions=obj.mesh.face_normals[faces])
    faces, area = faces[~blocked], area[~blocked]
    grasps = []
    for face in rng.choice(faces, size=count, p=area / area.sum()):
        normal = obj.mesh.face_normals[face]
        point = obj.mesh.triangles_center[face]
        rotation = _hand_rotation(normal, rng)
        # The grip centre sits ``standoff`` inside the surface so the palm lands near it.
        position = point - standoff * normal - rotation @ grip
        grasps.append(Grasp(position=position, rotation=rotation, joints=joints, pregrasp=open_pregrasp(joints),
                            object_id=obj.object_id, part=part, style=style,
                            contact_fingers=STYLE_FINGERS[style]))
    return grasps


def labeled_bar() -> PartObject:
    """The 9 x 5.5 x 5.5 cm bar of dexvlg_core.sim.examples with two parts: "top" (its +x end) and "body"."""
    mesh = bar()
    top = (mesh.face_normals[:, 0] > 0.9).astype(np.int32)
    return PartObject("bar-00000", "box", mesh, top, ("body", "top"), np.array([[200, 120, 60], [60, 140, 220]]),
                      source="dexvlg_core.sim.examples")


def bar_grasps() -> list[Grasp]:
    """The reference bar power grasp (it passes the lift test with the bar standing on its -x end) turned by the
    bar's 8 symmetries (square cross-section): grasps of "body"; on the table, most press into it or come from
    below, which placement must drop.
    """
    base = bar_power_grasp()
    quarter = Rotation.from_rotvec([np.pi / 2, 0.0, 0.0])
    flip = Rotation.from_rotvec([0.0, np.pi, 0.0])
    out = []
    for k in range(4):
        for turn in (Rotation.identity(), flip):
            rotation = (quarter**k * turn).as_matrix()
            out.append(replace(base, position=rotation @ base.position, rotation=rotation @ base.rotation,
                               object_id="bar-00000", part="body"))
    return out
