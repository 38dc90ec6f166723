"""A quick-look gallery: a PNG grid of generated objects, each rendered offscreen by MuJoCo, colored by part.

``dexvlg gallery --categories mug kettle --seeds 4 --out results/objects/gallery.png``; ``--color appearance``
shows the objects' own (randomized, plausible) part colors instead of one distinct color per part.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from dexvlg_data.objects.part_object import PartObject

ColorMode = Literal["parts", "appearance"]

# Distinct label colors (Okabe-Ito + extras): part i of every object gets LABEL_COLORS[i].
LABEL_COLORS = np.array([
    (230, 159, 0), (0, 114, 178), (0, 158, 115), (204, 121, 167), (213, 94, 0), (86, 180, 233), (240, 228, 66),
    (120, 120, 120),
], dtype=np.uint8)


@dataclass(frozen=True)
class ViewConfig:
    """Offscreen view of one object: image size and an oblique camera around its bounding-box centre."""

    size: int = 256
    azimuth: float = 110.0  # degrees: from the front (-y), +x (where handles and spouts are built) on the right
    elevation: float = -25.0
    distance_factor: float = 1.4  # camera distance over bounding-box diagonal (long objects fit too)


def _part_colors(obj: PartObject, color: ColorMode) -> np.ndarray:
    if color == "appearance":
        return obj.part_colors
    return LABEL_COLORS[np.arange(len(obj.part_names)) % len(LABEL_COLORS)]


def _spec(obj: PartObject, color: ColorMode):  # noqa: ANN202 - mujoco.MjSpec, imported lazily
    import mujoco

    spec = mujoco.MjSpec()
    spec.visual.headlight.ambient = [0.35, 0.35, 0.35]
    spec.visual.headlight.diffuse = [0.55, 0.55, 0.55]
    spec.visual.headlight.specular = [0.1, 0.1, 0.1]
    spec.visual.quality.offsamples = 4
    sky = spec.add_texture(name="sky", type=mujoco.mjtTexture.mjTEXTURE_SKYBOX,
                           builtin=mujoco.mjtBuiltin.mjBUILTIN_FLAT, width=8, height=8)
    sky.rgb1 = sky.rgb2 = [1.0, 1.0, 1.0]
    light = spec.worldbody.add_light()
    light.pos = [0.3, -0.4, 1.5]
    light.dir = [-0.2, 0.25, -1.0]
    light.diffuse = [0.45, 0.45, 0.45]
    colors = _part_colors(obj, color).astype(float) / 255.0
    verts = np.asarray(obj.mesh.vertices, dtype=float)
    faces = np.asarray(obj.mesh.faces)
    for i, name in enumerate(obj.part_names):
        f = faces[obj.face_parts == i]
        if not len(f):
            continue
        used, inverse = np.unique(f, return_inverse=True)
        mesh = spec.add_mesh(name=f"part{i}")
        mesh.uservert = verts[used].ravel().tolist()
        mesh.userface = inverse.ravel().tolist()
        mesh.inertia = mujoco.mjtMeshInertia.mjMESH_INERTIA_SHELL  # a part alone is an open surface
        geom = spec.worldbody.add_geom(name=f"{name}_{i}", type=mujoco.mjtGeom.mjGEOM_MESH, meshname=f"part{i}")
        geom.rgba = [*colors[i], 1.0]
    return spec


def render_object(obj: PartObject, color: ColorMode = "parts", view: ViewConfig | None = None) -> np.ndarray:
    """(size, size, 3) uint8 image of one object on white, each part in its label or own color."""
    import mujoco

    view = view or ViewConfig()
    model = _spec(obj, color).compile()
    data = mujoco.MjData(model)
    mujoco.mj_forward(model, data)
    cam = mujoco.MjvCamera()
    cam.lookat[:] = obj.mesh.bounds.mean(axis=0)
    cam.distance = view.distance_factor * max(obj.diagonal, 1e-3)
    cam.azimuth, cam.elevation = view.azimuth, view.elevation
    model.vis.global_.offwidth = max(model.vis.global_.offwidth, view.size)
    model.vis.global_.offheight = max(model.vis.global_.offheight, view.size)
    with mujoco.Renderer(model, view.size, view.size) as renderer:
        renderer.update_scene(data, camera=cam)
        return renderer.render().copy()


def render_gallery(objects: Sequence[PartObject], out: str | Path, cols: int, color: ColorMode = "parts",
                   view: ViewConfig | None = None) -> Path:
    """Render objects into a grid PNG (row-major, ``cols`` per row) with ids and part legends; returns the path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    if not objects:
        raise ValueError("no objects to render")
    cols = max(1, min(cols, len(objects)))
    rows = -(-len(objects) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(2.1 * cols, 2.35 * rows), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for k, obj in enumerate(objects):
        ax = axes.ravel()[k]
        ax.imshow(render_object(obj, color, view))
        ax.set_title(obj.object_id, fontsize=7, pad=2)
        pc = _part_colors(obj, color).astype(float) / 255.0
        handles = [Patch(facecolor=pc[i], edgecolor="k", linewidth=0.3, label=n) for i, n in enumerate(obj.part_names)]
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.02), ncol=min(3, len(handles)),
                  fontsize=5, frameon=False, handlelength=0.8, handletextpad=0.3, columnspacing=0.6)
    fig.tight_layout(pad=0.3, h_pad=0.9, w_pad=0.2)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=130)
    plt.close(fig)
    return out


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register the ``gallery`` subcommand."""
    p = subparsers.add_parser("gallery", help="render a PNG grid of procedural objects colored by part",
                              description=__doc__)
    p.add_argument("--categories", nargs="*", default=None,
                   help="categories (caption name or slug, e.g. mug spray_bottle); default: all")
    p.add_argument("--seeds", type=int, default=4, help="objects per category (seeds start..start+N-1)")
    p.add_argument("--start-seed", type=int, default=0)
    p.add_argument("--color", choices=("parts", "appearance"), default="parts",
                   help="parts: one distinct color per part; appearance: the objects' own part colors")
    p.add_argument("--size", type=int, default=256, help="tile size in pixels")
    p.add_argument("--cols", type=int, default=None,
                   help="tiles per row (default: a multiple of --seeds, about 8, so each category stays on one row)")
    p.add_argument("--out", default="results/objects/gallery.png")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    """Generate the requested objects and write the gallery PNG."""
    from dexvlg_data.objects.families import generate, list_categories

    categories = args.categories or list_categories()
    objects = [generate(c, s) for c in categories for s in range(args.start_seed, args.start_seed + args.seeds)]
    cols = args.cols or args.seeds * max(1, 8 // max(args.seeds, 1))
    out = render_gallery(objects, args.out, cols, args.color, ViewConfig(size=args.size))
    print(f"gallery: {len(objects)} objects -> {out}")
    return 0
