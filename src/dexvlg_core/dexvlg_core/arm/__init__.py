"""The UR10e arm: kinematics (FK, analytic IK), generated MuJoCo/URDF models and the Shadow Hand mount.

Poses are 4x4 homogeneous transforms in metres; tool0 poses are in ``base_link`` (ROS ur_description)
unless a ``base_pose`` (world -> base_link) is given. See ur10e.py for the frame conventions.
"""

from .ik import IKResult, IKStatus, ik_closest, solve_ik
from .kinematics import FRAME_NAMES, collision_capsules, fk, fk_dh, link_frames
from .mount import DEFAULT_MOUNT, HandMount
from .ur10e import (
    DEFAULT_LIMITS,
    HOME_Q,
    JOINT_NAMES,
    LINK_NAMES,
    UR10E_DH,
    JointLimits,
    URDHParams,
)

__all__ = [
    "DEFAULT_LIMITS",
    "DEFAULT_MOUNT",
    "FRAME_NAMES",
    "HOME_Q",
    "JOINT_NAMES",
    "LINK_NAMES",
    "UR10E_DH",
    "HandMount",
    "IKResult",
    "IKStatus",
    "JointLimits",
    "URDHParams",
    "collision_capsules",
    "fk",
    "fk_dh",
    "ik_closest",
    "link_frames",
    "solve_ik",
]
