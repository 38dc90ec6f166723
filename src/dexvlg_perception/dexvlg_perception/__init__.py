"""ROS 2 node: camera point cloud -> object cloud.

Table removed, cropped to the workspace, downsampled; serves CaptureCloud.
"""
