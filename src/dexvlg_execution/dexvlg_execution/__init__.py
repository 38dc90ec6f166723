"""ROS 2 node: executes a grasp (pregrasp, grasp, squeeze, lift).

Backends: MoveIt 2 (moveit_py) on the real robot, MuJoCo in simulation.
"""
