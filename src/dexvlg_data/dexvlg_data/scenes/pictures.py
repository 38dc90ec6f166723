"""Pictures of tabletop scenes: the rig's RGB views, and the clouds with the target part and one grasp drawn.

save_views_figure(scene, pose, "views.png") draws the 8 OpenGL RGB views (cropped around the object);
save_clouds_figure(scene, pose, "handle", "clouds.png") the 8 clouds with the part and one grasp's hand points.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import mujoco  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from dexvlg_core.rotations import transform  # noqa: E402
from dexvlg_core.sim.checks import hand_object_penetration  # noqa: E402
from dexvlg_data.scenes.catalog import SceneObject  # noqa: E402
from dexvlg_data.scenes.placement import TableChecker  # noqa: E402
from dexvlg_data.scenes.render import RenderConfig, RenderedView, render_image, render_views  # noqa: E402

_HIGHLIGHT = np.array([230, 30, 40]) / 255.0
_HAND = np.array([20, 90, 220]) / 255.0


def _crop_box(view: RenderedView, config: RenderConfig, margin: int = 60) -> tuple[int, int, int, int]:
    intr = config.intrinsics
    u = view.points[:, 0] / view.points[:, 2] * intr.fx + intr.cx
    v = view.points[:, 1] / view.points[:, 2] * intr.fy + intr.cy
    cu, cv = 0.5 * (u.min() + u.max()), 0.5 * (v.min() + v.max())
    half = 0.5 * max(u.max() - u.min(), v.max() - v.min()) + margin
    u0, v0 = int(max(cu - half, 0)), int(max(cv - half, 0))
    return u0, v0, int(min(cu + half, intr.width)), int(min(cv + half, intr.height))


def save_views_figure(scene: SceneObject, pose_index: int, path: str | Path,
                      config: RenderConfig | None = None) -> Path:
    """The rig's RGB views of ``scene`` in a stable pose (OpenGL, table visible), cropped around the object."""
    config = config or RenderConfig()
    pose = scene.pose(pose_index)
    clouds = render_views(scene.part_object, pose, config)
    cols = 4
    rows = int(np.ceil(config.rig.views / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 3.2 * rows))
    for k, ax in enumerate(np.ravel(axes)):
        ax.axis("off")
        if k >= config.rig.views:
            continue
        rgb, _ = render_image(scene.part_object, pose, k, config)
        u0, v0, u1, v1 = _crop_box(clouds[k], config)
        ax.imshow(rgb[v0:v1, u0:u1])
        ax.set_title(f"view {k} (azimuth {360 * k / config.rig.views:.0f} deg)", fontsize=8)
    fig.suptitle(f"{scene.object_id} ({scene.part_object.category}), stable pose {pose_index}: "
                 f"{config.intrinsics.width}x{config.intrinsics.height} D415 views, crops", fontsize=10)
    fig.tight_layout()
    return _save(fig, path)


_CHAINS = (
    ("rh_wrist", "rh_palm"),
    ("rh_palm", "rh_ffknuckle", "rh_ffproximal", "rh_ffmiddle", "rh_ffdistal", "FF"),
    ("rh_palm", "rh_mfknuckle", "rh_mfproximal", "rh_mfmiddle", "rh_mfdistal", "MF"),
    ("rh_palm", "rh_rfknuckle", "rh_rfproximal", "rh_rfmiddle", "rh_rfdistal", "RF"),
    ("rh_palm", "rh_lfmetacarpal", "rh_lfknuckle", "rh_lfproximal", "rh_lfmiddle", "rh_lfdistal", "LF"),
    ("rh_palm", "rh_thbase", "rh_thproximal", "rh_thhub", "rh_thmiddle", "rh_thdistal", "TH"),
)


def hand_geometry(joints: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Surface points (M, 3) and skeleton polylines (link origins to fingertips) of the hand at ``joints``
    (22, real convention), in the hand root frame.
    """
    from dexvlg_core.hand.joints import FINGERS, LINK_NAMES
    from dexvlg_core.hand.model import HandModel

    hand = HandModel(dtype=torch.float64)
    poses = hand.forward_kinematics(torch.as_tensor(np.asarray(joints, np.float64)[None]))
    links = poses.pos[0].numpy()
    tips = hand.fingertips(poses)[0].numpy()
    lines = [np.array([tips[FINGERS.index(n)] if n in FINGERS else links[LINK_NAMES.index(n)] for n in chain])
             for chain in _CHAINS]
    return hand.surface_points(poses)[0][0].numpy(), lines


def least_penetrating(scene: SceneObject, pose_index: int, candidates: list[int]) -> int:
    """The candidate grasp whose hand penetrates the object least (MuJoCo geoms), for a readable picture."""
    sim = TableChecker(scene.sim_object).scene
    sim.set_object_pose(scene.pose(pose_index))

    def depth(i: int) -> float:
        grasp = scene.grasps[i]
        sim.set_hand(scene.pose(pose_index) @ transform(grasp.rotation, grasp.position), grasp.joints)
        mujoco.mj_kinematics(sim.model, sim.data)
        return hand_object_penetration(sim).depth_mm

    return min(candidates, key=lambda i: (depth(i), i))


def project_points(points: np.ndarray, config: RenderConfig) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates (u, v) of optical-frame points (N, 3) in the camera image of ``config``."""
    intr = config.intrinsics
    return points[:, 0] / points[:, 2] * intr.fx + intr.cx, points[:, 1] / points[:, 2] * intr.fy + intr.cy


def save_clouds_figure(scene: SceneObject, pose_index: int, part: str, path: str | Path,
                       config: RenderConfig | None = None, grasp_index: int | None = None, seed: int = 0) -> Path:
    """The rig's clouds of ``scene`` (image-plane scatter, camera frame) with the points of ``part`` in red and
    one valid grasp of that part (default: the least object-penetrating one; hand skeleton and surface points in
    blue) drawn in every view, plus a 3D plot of view 0 in the world frame.
    """
    config = config or RenderConfig()
    kept = scene.kept_grasps(pose_index, part)
    if not kept:
        raise ValueError(f"{scene.object_id}: no valid grasp of {part!r} in pose {pose_index}")
    index = least_penetrating(scene, pose_index, kept) if grasp_index is None else grasp_index
    part_id = scene.part_object.part_index(part)
    views = render_views(scene.part_object, scene.pose(pose_index), config, seed)
    cols = 4
    rows = int(np.ceil(config.rig.views / cols)) + 1
    fig = plt.figure(figsize=(3.2 * cols, 3.2 * rows))
    grasp = scene.grasps[index]
    surface, skeleton = hand_geometry(grasp.joints)
    for k, view in enumerate(views):
        root = view.object_to_camera() @ transform(grasp.rotation, grasp.position)
        hand = surface @ root[:3, :3].T + root[:3, 3]
        lines = [line @ root[:3, :3].T + root[:3, 3] for line in skeleton]
        ax = fig.add_subplot(rows, cols, k + 1)
        mine = view.parts == part_id
        # Other parts keep their rendered color, faded towards grey so that the target part stands out.
        colors = np.where(mine[:, None], _HIGHLIGHT, 0.45 * view.colors / 255.0 + 0.55 * 0.75)
        u, v = project_points(view.points, config)
        ax.scatter(u, v, s=0.3, c=colors, linewidths=0)
        hu, hv = project_points(hand, config)
        ax.scatter(hu, hv, s=0.2, c=[_HAND], linewidths=0, alpha=0.35)
        for line in lines:
            lu, lv = project_points(line, config)
            ax.plot(lu, lv, "-o", color=_HAND, lw=1.2, ms=1.5)
        ax.set_xlim(min(u.min(), hu.min()) - 10, max(u.max(), hu.max()) + 10)
        ax.set_ylim(max(v.max(), hv.max()) + 10, min(v.min(), hv.min()) - 10)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"view {k}: {len(view.points)} pts, {mine.sum()} on {part}", fontsize=8)
        if k == 0:
            # 3D panel of view 0 in the world frame (table top z = 0), where up is up.
            def shown(p: np.ndarray, pose: np.ndarray = view.camera_pose) -> np.ndarray:
                return p @ pose[:3, :3].T + pose[:3, 3]

            ax3 = fig.add_subplot(rows, cols, config.rig.views + 1, projection="3d")
            ax3.scatter(*shown(view.points).T, s=0.2, c=colors, linewidths=0)
            for line in lines:
                ax3.plot(*shown(line).T, "-o", color=_HAND, lw=1.2, ms=1.5)
            ax3.view_init(elev=25, azim=-60)
            ax3.set_title("view 0 cloud and hand in the world frame (m)", fontsize=8)
            both = shown(np.concatenate([view.points, hand]))
            centre, half = both.mean(axis=0), 0.5 * np.ptp(both, axis=0).max()
            ax3.set_xlim(centre[0] - half, centre[0] + half)
            ax3.set_ylim(centre[1] - half, centre[1] + half)
            ax3.set_zlim(centre[2] - half, centre[2] + half)
            ax3.tick_params(labelsize=6)
    fig.suptitle(f"{scene.object_id}, pose {pose_index}: target part '{part}' (red), grasp #{index} "
                 f"({grasp.style}, {', '.join(grasp.contact_fingers)}): hand skeleton and surface (blue)", fontsize=10)
    fig.tight_layout()
    return _save(fig, path)


def _save(fig: plt.Figure, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
