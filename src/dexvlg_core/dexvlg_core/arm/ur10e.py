"""UR10e model data: published DH parameters, joint names and limits, ROS frames, link masses and shapes.

Frames follow ROS ur_description (Universal_Robots_ROS2_Description):

- ``base_link``: REP-103 aligned (x forward, z up), the frame MoveIt and TF use.
- ``base``: the UR controller's base frame = the DH base = ``base_link`` rotated by pi about z. ur_description
  calls the same frame ``base_link_inertia`` (the parent of shoulder_pan_joint); both names exist.
- link frames ``shoulder_link`` .. ``wrist_3_link``: joint i's frame, placed by the (modified-DH) origin
  Tx(a[i-1]) Rx(alpha[i-1]) Tz(d[i]) on its parent and rotated by q[i] about its z axis, exactly as
  ur_description's default kinematics place them.
- ``tool0``: DH frame 6 (z out of the flange face); it coincides with ``wrist_3_link``.
- ``flange``: ROS-Industrial attachment frame (x out of the flange): tool0 rotated, same origin.

Joint angles are the UR controller's (and the ROS driver's) joint angles; no offsets.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from dexvlg_core.rotations import rot_z, rpy_matrix, transform

JOINT_NAMES: tuple[str, ...] = (
    "shoulder_pan_joint",
    "shoulder_lift_joint",
    "elbow_joint",
    "wrist_1_joint",
    "wrist_2_joint",
    "wrist_3_joint",
)
NUM_JOINTS = len(JOINT_NAMES)

# Moving links, joint i drives LINK_NAMES[i]; the fixed base body is BASE_INERTIA_LINK.
LINK_NAMES: tuple[str, ...] = (
    "shoulder_link",
    "upper_arm_link",
    "forearm_link",
    "wrist_1_link",
    "wrist_2_link",
    "wrist_3_link",
)
BASE_LINK = "base_link"
BASE_INERTIA_LINK = "base_link_inertia"
TOOL0 = "tool0"
FLANGE = "flange"

# A common ready pose (elbow up, tool pointing down, in front of the robot along base_link +x).
HOME_Q: tuple[float, ...] = (0.0, -math.pi / 2, math.pi / 2, -math.pi / 2, -math.pi / 2, 0.0)


@dataclass(frozen=True)
class URDHParams:
    """Standard DH parameters of a UR arm (a1 = a4 = a5 = a6 = 0, d2 = d3 = 0 for every UR model)."""

    d1: float
    a2: float
    a3: float
    d4: float
    d5: float
    d6: float

    @property
    def alpha(self) -> tuple[float, ...]:
        """Link twists, the same on every UR model (the closed-form FK and IK rely on them)."""
        return (math.pi / 2, 0.0, 0.0, math.pi / 2, -math.pi / 2, 0.0)

    @property
    def d(self) -> np.ndarray:
        return np.array([self.d1, 0.0, 0.0, self.d4, self.d5, self.d6])

    @property
    def a(self) -> np.ndarray:
        return np.array([0.0, self.a2, self.a3, 0.0, 0.0, 0.0])

    @property
    def max_reach(self) -> float:
        """Largest shoulder-to-wrist distance in the arm plane, |a2| + |a3|."""
        return abs(self.a2) + abs(self.a3)

    @property
    def min_reach(self) -> float:
        """Smallest shoulder-to-wrist distance in the arm plane, ||a2| - |a3||."""
        return abs(abs(self.a2) - abs(self.a3))


# Published by Universal Robots ("DH parameters for calculations of kinematics and dynamics").
UR10E_DH = URDHParams(d1=0.1807, a2=-0.6127, a3=-0.57155, d4=0.17415, d5=0.11985, d6=0.11655)

_TWO_PI = 2.0 * math.pi


@dataclass(frozen=True)
class JointLimits:
    """Joint position/velocity/effort limits in JOINT_NAMES order.

    Defaults are ur_description's ur10e/joint_limits.yaml: +-2 pi on every joint except the elbow, which the
    real arm cannot turn past about +-pi (the shoulder is in the way), so ur_description limits it to +-pi.
    Use JointLimits.full_range() for the controller's nominal +-2 pi on all joints.
    """

    lower: tuple[float, ...] = (-_TWO_PI, -_TWO_PI, -math.pi, -_TWO_PI, -_TWO_PI, -_TWO_PI)
    upper: tuple[float, ...] = (_TWO_PI, _TWO_PI, math.pi, _TWO_PI, _TWO_PI, _TWO_PI)
    velocity: tuple[float, ...] = tuple(math.radians(v) for v in (120.0, 120.0, 180.0, 180.0, 180.0, 180.0))
    effort: tuple[float, ...] = (330.0, 330.0, 150.0, 56.0, 56.0, 56.0)

    def __post_init__(self) -> None:
        for name in ("lower", "upper", "velocity", "effort"):
            if len(getattr(self, name)) != NUM_JOINTS:
                raise ValueError(f"JointLimits.{name} needs {NUM_JOINTS} values")
        if any(lo > hi for lo, hi in zip(self.lower, self.upper, strict=True)):
            raise ValueError("JointLimits: lower > upper")

    @classmethod
    def full_range(cls) -> JointLimits:
        return cls(lower=(-_TWO_PI,) * NUM_JOINTS, upper=(_TWO_PI,) * NUM_JOINTS)

    @property
    def lower_array(self) -> np.ndarray:
        return np.asarray(self.lower, dtype=float)

    @property
    def upper_array(self) -> np.ndarray:
        return np.asarray(self.upper, dtype=float)

    def contains(self, q: np.ndarray, tol: float = 1e-9) -> np.ndarray:
        """Whether configurations (..., 6) lie within the limits."""
        q = np.asarray(q, dtype=float)
        return np.all((q >= self.lower_array - tol) & (q <= self.upper_array + tol), axis=-1)


DEFAULT_LIMITS = JointLimits()

# base_link -> base (= base_link_inertia): the UR controller frame has x pointing backwards.
BASE_LINK_T_BASE: np.ndarray = transform(rot_z(math.pi))
# ur_description: wrist_3_link -> flange rpy (0, -pi/2, -pi/2); flange -> tool0 rpy (pi/2, 0, pi/2).
WRIST3_T_FLANGE: np.ndarray = transform(rpy_matrix(0.0, -math.pi / 2, -math.pi / 2))
FLANGE_T_TOOL0: np.ndarray = transform(rpy_matrix(math.pi / 2, 0.0, math.pi / 2))
TOOL0_T_FLANGE: np.ndarray = WRIST3_T_FLANGE  # tool0 == wrist_3_link


def joint_origins(params: URDHParams = UR10E_DH) -> list[np.ndarray]:
    """Fixed transform parent link -> link i (before the joint rotation), as in ur_description.

    Rewriting the standard DH product Rz(q) Tz(d) Tx(a) Rx(alpha) as origin_i = Tx(a[i-1]) Rx(alpha[i-1])
    Tz(d[i]) followed by Rz(q[i]) gives link frames whose z is the joint axis (URDF/MJCF friendly).
    """
    a, d, alpha = params.a, params.d, params.alpha
    origins = []
    for i in range(NUM_JOINTS):
        a_prev = a[i - 1] if i > 0 else 0.0
        alpha_prev = alpha[i - 1] if i > 0 else 0.0
        c, s = math.cos(alpha_prev), math.sin(alpha_prev)
        rot = np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])
        origins.append(transform(rot, [a_prev, -s * d[i], c * d[i]]))
    return origins


# --- Physical model (approximate, from published data) ---------------------------------------------------

# Link masses (kg): UR's published dynamics parameters, as in ur_description physical_parameters.yaml.
LINK_MASSES: dict[str, float] = {
    BASE_INERTIA_LINK: 4.0,
    "shoulder_link": 7.369,
    "upper_arm_link": 13.051,
    "forearm_link": 3.989,
    "wrist_1_link": 2.1,
    "wrist_2_link": 1.98,
    "wrist_3_link": 0.615,
}

# ur_description visual offsets: upper-arm tube and forearm tube heights along the shoulder/elbow axes.
SHOULDER_OFFSET = 0.1762
ELBOW_OFFSET = 0.0393


@dataclass(frozen=True)
class LinkShape:
    """A collision primitive in its link frame: a capsule or cylinder from p0 to p1 with a radius (m)."""

    link: str
    name: str
    kind: str  # "capsule" | "cylinder"
    p0: tuple[float, float, float]
    p1: tuple[float, float, float]
    radius: float

    @property
    def volume(self) -> float:
        length = float(np.linalg.norm(np.subtract(self.p1, self.p0)))
        body = math.pi * self.radius**2 * length
        return body + (4.0 / 3.0) * math.pi * self.radius**3 if self.kind == "capsule" else body


def _shapes(p: URDHParams) -> tuple[LinkShape, ...]:
    # Radii from the UR10e datasheet: base 190 mm, shoulder/elbow joints ~150 mm, upper arm tube ~120 mm,
    # forearm tube ~90 mm, wrist joints ~92 mm, ISO 9409 tool flange 63 mm. Lengths follow the DH offsets.
    w_r, h_s, h_e = 0.046, SHOULDER_OFFSET, ELBOW_OFFSET
    return (
        LinkShape(BASE_INERTIA_LINK, "base", "cylinder", (0, 0, 0), (0, 0, p.d1 - 0.09), 0.095),
        LinkShape("shoulder_link", "shoulder_pan_housing", "cylinder", (0, 0, -0.09), (0, 0, 0.07), 0.075),
        LinkShape("shoulder_link", "shoulder_lift_housing", "cylinder", (0, 0.075, 0), (0, -0.10, 0), 0.075),
        LinkShape("upper_arm_link", "shoulder_cap", "cylinder", (0, 0, 0.10), (0, 0, h_s + 0.075), 0.075),
        LinkShape("upper_arm_link", "upper_arm_tube", "capsule",
                  (-0.08, 0, h_s), (p.a2 + 0.08, 0, h_s), 0.06),
        LinkShape("upper_arm_link", "elbow_cap", "cylinder", (p.a2, 0, 0.10), (p.a2, 0, h_s + 0.06), 0.06),
        LinkShape("forearm_link", "elbow_housing", "cylinder", (0, 0, h_e - 0.045), (0, 0, 0.10), 0.06),
        LinkShape("forearm_link", "forearm_tube", "capsule", (-0.07, 0, h_e), (p.a3 + 0.06, 0, h_e), 0.045),
        LinkShape("wrist_1_link", "wrist_1_housing", "cylinder", (0, 0, h_e - p.d4), (0, 0, w_r), w_r),
        LinkShape("wrist_2_link", "wrist_2_housing", "cylinder", (0, 0, w_r - p.d5), (0, 0, w_r), w_r),
        LinkShape("wrist_3_link", "wrist_3_housing", "cylinder", (0, 0, w_r - p.d6), (0, 0, -0.012), w_r),
        LinkShape("wrist_3_link", "flange", "cylinder", (0, 0, -0.012), (0, 0, 0.0), 0.0315),
    )


LINK_SHAPES: tuple[LinkShape, ...] = _shapes(UR10E_DH)

