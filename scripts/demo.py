"""The DexVLG demo, end to end on this machine, with what exists so far.

1. A MuJoCo tabletop (bottle and box) seen by a D415-like camera: rendered RGB-D -> colored cloud (optical frame).
2. The DexVLG graph (config/graphs/sim.yaml) started by the launch-free runner; the cloud and an instruction go to
   /predict_grasp over DDS, as a real caller would send them.
3. Every returned grasp is moved into the UR10e base frame and checked for reachability with the arm's analytic IK
   through the Shadow Hand mount.
Writes results/demo/view.png (camera view, grasps drawn) and results/demo/summary.json.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import mujoco
import numpy as np
import rclpy

from dexvlg_core.arm import DEFAULT_MOUNT, solve_ik
from dexvlg_core.camera import D415_COLOR, depth_to_cloud, optical_from_mujoco_camera, render_rgbd
from dexvlg_ros.clients import PredictGraspClient
from dexvlg_ros.grasp_msg import msg_to_grasp

WS_ROOT = Path(__file__).resolve().parents[1]
OUT = WS_ROOT / "results" / "demo"
INTRINSICS = D415_COLOR.scaled(0.5)
ROBOT_BASE = np.array([0.0, -0.75, 0.0])  # UR10e base_link in the world, on the table's edge line
INSTRUCTION = "grasp the neck of the bottle"

SCENE = f"""
<mujoco model="dexvlg_demo">
  <visual><global offwidth="{INTRINSICS.width}" offheight="{INTRINSICS.height}"/></visual>
  <worldbody>
    <light pos="0 -0.5 2" dir="0 0.3 -1" diffuse="0.9 0.9 0.9"/>
    <light pos="1 1 2" dir="-0.5 -0.5 -1" diffuse="0.4 0.4 0.4"/>
    <geom name="table" type="box" pos="0 0 -0.02" size="0.6 0.5 0.02" rgba="0.75 0.7 0.6 1"/>
    <body name="bottle" pos="0 0 0">
      <geom name="bottle_body" type="cylinder" pos="0 0 0.09" size="0.035 0.09" rgba="0.1 0.5 0.2 1"/>
      <geom name="bottle_neck" type="cylinder" pos="0 0 0.21" size="0.014 0.03" rgba="0.15 0.6 0.25 1"/>
      <geom name="bottle_cap" type="cylinder" pos="0 0 0.25" size="0.016 0.012" rgba="0.8 0.1 0.1 1"/>
    </body>
    <geom name="box" type="box" pos="0.18 0.08 0.06" size="0.04 0.06 0.06" rgba="0.2 0.3 0.8 1"/>
    <camera name="d415" pos="0 0.566 0.566" xyaxes="-1 0 0 0 -0.7071 0.7071" fovy="{INTRINSICS.fovy_deg}"/>
  </worldbody>
</mujoco>
"""


def render_cloud() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    model = mujoco.MjModel.from_xml_string(SCENE)
    data = mujoco.MjData(model)
    mujoco.mj_forward(model, data)
    rgb, depth = render_rgbd(model, data, "d415", INTRINSICS)
    points, colors = depth_to_cloud(depth, rgb, INTRINSICS)
    camera_pose = optical_from_mujoco_camera(model, data, "d415")
    # Keep what stands on the table (the role of dexvlg_perception, which will do this from the cloud alone).
    world = points.reshape(-1, 3) @ camera_pose[:3, :3].T + camera_pose[:3, 3]
    keep = np.isfinite(world).all(axis=1) & (world[:, 2] > 0.005)
    return points.reshape(-1, 3)[keep], colors.reshape(-1, 3)[keep], camera_pose, rgb


def project(points_optical: np.ndarray) -> np.ndarray:
    z = points_optical[:, 2]
    return np.stack([INTRINSICS.fx * points_optical[:, 0] / z + INTRINSICS.cx,
                     INTRINSICS.fy * points_optical[:, 1] / z + INTRINSICS.cy], axis=1)


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    points, colors, camera_pose, rgb = render_cloud()
    print(f"[demo] rendered {INTRINSICS.width}x{INTRINSICS.height} RGB-D -> {len(points)} object points")

    env = dict(os.environ, ROS_DOMAIN_ID=os.environ.get("ROS_DOMAIN_ID", str(40 + os.getpid() % 50)))
    os.environ["ROS_DOMAIN_ID"] = env["ROS_DOMAIN_ID"]
    graph = subprocess.Popen([sys.executable, "-m", "dexvlg_bringup.runner", "sim"], env=env)
    rclpy.init()
    node = rclpy.create_node("dexvlg_demo")
    try:
        client = PredictGraspClient(node)
        client.wait(timeout=60.0)
        start = time.perf_counter()
        response = client.call(client.request(INSTRUCTION, points, colors, num_grasps=32))
        round_trip = time.perf_counter() - start
    finally:
        node.destroy_node()
        rclpy.shutdown()
        graph.terminate()
        graph.wait(30)
    if not response.success:
        print(f"[demo] /predict_grasp failed: {response.message}", file=sys.stderr)
        return 1
    grasps = [msg_to_grasp(g) for g in response.grasps]
    print(f"[demo] /predict_grasp: {len(grasps)} grasps in {1000 * round_trip:.0f} ms ('{INSTRUCTION}')")

    hand_world = np.tile(np.eye(4), (len(grasps), 1, 1))
    for i, grasp in enumerate(grasps):
        hand_world[i, :3, :3] = camera_pose[:3, :3] @ grasp.rotation
        hand_world[i, :3, 3] = camera_pose[:3, :3] @ grasp.position + camera_pose[:3, 3]
    base_pose = np.eye(4)
    base_pose[:3, 3] = ROBOT_BASE
    ik = solve_ik(hand_world, tcp=DEFAULT_MOUNT.hand_in_tool0(), base_pose=base_pose)
    reachable = np.asarray(ik.ok)
    print(f"[demo] UR10e IK: {int(reachable.sum())}/{len(grasps)} grasps reachable "
          f"({np.mean(ik.num_solutions[reachable]) if reachable.any() else 0:.1f} arm solutions each)")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    wrists = np.array([g.position for g in grasps])
    pixels = project(wrists)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.imshow(rgb)
    ax.scatter(*pixels[reachable].T, c="lime", s=30, label="wrist, reachable")
    ax.scatter(*pixels[~reachable].T, c="red", s=30, marker="x", label="wrist, unreachable")
    ax.set_title(f"'{INSTRUCTION}': {len(grasps)} grasps, {int(reachable.sum())} reachable (baseline predictor)")
    ax.set_xlim(0, INTRINSICS.width)
    ax.set_ylim(INTRINSICS.height, 0)
    ax.legend(loc="lower right", fontsize=8)
    ax.axis("off")
    fig.savefig(OUT / "view.png", dpi=100, bbox_inches="tight")
    summary = {
        "instruction": INSTRUCTION,
        "object_points": int(len(points)),
        "grasps": len(grasps),
        "reachable": int(reachable.sum()),
        "predict_round_trip_ms": round(1000 * round_trip, 1),
        "server_timings_s": dict(zip(response.timing_names, response.timing_values, strict=True)),
        "total_s": round(time.perf_counter() - t0, 2),
    }
    (OUT / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(f"[demo] wrote {OUT / 'view.png'} and summary.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
