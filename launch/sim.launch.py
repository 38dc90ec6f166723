"""Start the DexVLG 'sim' graph (node set and parameters: config/graphs/sim.yaml)."""

from dexvlg_bringup.graph import launch_description


def generate_launch_description():
    return launch_description("sim")
