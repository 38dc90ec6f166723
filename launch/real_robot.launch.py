"""Start the DexVLG 'real_robot' graph (node set and parameters: config/graphs/real_robot.yaml)."""

from dexvlg_bringup.graph import launch_description


def generate_launch_description():
    return launch_description("real_robot")
