"""Grasp filtering for the UR10e: ROS 2 node and pure logic.

Keeps the grasps the arm reaches without collision (analytic IK, collision checks, workspace), ranked.
"""
