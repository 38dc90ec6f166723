"""The Shadow Hand: joint names, kinematics and geometry used by synthesis, the model and execution.

Modules (import what you need; only `model` pulls in torch):
    joints    -- the 22 real joint names, their MJCF counterparts and sign convention, link names
    mjcf      -- the fixed-wrist MJCF built from gymnasium-robotics at run time; root frame constants
    coupling  -- 22 joints <-> 18 actuators (J0 = J1 + J2), MuJoCo ctrl
    geometry  -- link-frame point sets (surface, contacts, keypoints, spheres) sampled once
    kinematics-- pytorch-kinematics chain (with the mujoco 4.x patch)
    model     -- HandModel: batched differentiable FK and world-frame point sets
"""
