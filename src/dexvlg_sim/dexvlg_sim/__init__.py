"""ROS 2 node: a MuJoCo world that publishes what the real drivers publish.

Table, object, UR10e + Shadow Hand and a D415-like camera, so every other node runs unchanged against it.
"""
