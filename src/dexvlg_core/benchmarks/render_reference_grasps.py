"""Picture of the evaluator's reference grasps: the power grasp and the open hand on the 5.5 cm cube.

    python src/dexvlg_core/benchmarks/render_reference_grasps.py   -> results/evaluator_reference_grasps.png
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

os.environ.setdefault("MUJOCO_GL", "egl")

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import mujoco  # noqa: E402

from dexvlg_core.rotations import transform  # noqa: E402
from dexvlg_core.sim import examples  # noqa: E402
from dexvlg_core.sim.evaluator import evaluate  # noqa: E402
from dexvlg_core.sim.objects import load_object  # noqa: E402
from dexvlg_core.sim.scene import SceneOptions, build_scene  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[3]


def main() -> None:
    cube = load_object(examples.cube(), name="cube")
    panels = [("power grasp", examples.cube_power_grasp()), ("same pose, open hand", examples.cube_open_hand())]
    fig, axes = plt.subplots(1, len(panels), figsize=(10, 4))
    for ax, (title, grasp) in zip(axes, panels, strict=True):
        result = evaluate(grasp, cube)
        scene = build_scene(cube, options=SceneOptions(camera_distance=0.45, camera_azimuth_deg=200.0))
        scene.set_hand(transform(grasp.rotation, grasp.position), grasp.joints)
        mujoco.mj_forward(scene.model, scene.data)
        rgb, *_ = scene.render(scene.options.intrinsics.scaled(0.5))
        ax.imshow(rgb)
        verdict = "passes" if result.passed else "fails"
        reason = textwrap.shorten(result.reason, 110, placeholder=" ...")
        ax.set_title(f"{title}: {verdict}\n" + textwrap.fill(reason, 55), fontsize=8)
        ax.axis("off")
    out = REPO_ROOT / "results" / "evaluator_reference_grasps.png"
    fig.savefig(out, dpi=110, bbox_inches="tight")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
