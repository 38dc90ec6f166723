"""Launch files, parameters and rviz2 configuration of DexVLG.

Also a launch-free runner that starts the same node sets from the same definitions.
"""
