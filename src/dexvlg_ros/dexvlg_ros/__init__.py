"""The ROS boundary shared by every DexVLG node.

numpy <-> sensor_msgs/PointCloud2 and Grasp <-> dexvlg_interfaces/DexterousGrasp conversions, fast for
large clouds.
"""
