"""Pure-Python core of DexVLG (no rclpy).

Shadow Hand and UR10e models, the grasp type and its files, geometry, MuJoCo scenes and the physics
grasp evaluator.
"""
