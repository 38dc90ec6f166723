"""Set-of-Mark views: a part-colored mesh rendered from six directions with a numbered mark on every visible part.

A small CPU rasterizer (painter's algorithm through Pillow, orthographic camera, Lambert shading) is enough for a
vision-language model to read parts from, and needs no GPU or OpenGL. Marks sit where each part is most
inside its visible region (the maximum of the distance transform), as in Set-of-Mark prompting.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import trimesh
from PIL import Image, ImageDraw, ImageFont
from scipy import ndimage

# (azimuth, elevation) in degrees: four sides, one view from above, one from below.
SIX_VIEWS: tuple[tuple[float, float], ...] = ((30, 20), (120, 20), (210, 20), (300, 20), (75, 70), (255, -45))


@dataclass(frozen=True)
class MarkedView:
    """One rendered view: the image with marks, and where each part's mark is (pixel x, y), by part index."""

    image: Image.Image
    marks: dict[int, tuple[int, int]]
    azimuth: float
    elevation: float


def _view_rotation(azimuth: float, elevation: float) -> np.ndarray:
    """Rows: camera right, up, towards-viewer, in object coordinates (+z up)."""
    az, el = np.radians(azimuth), np.radians(elevation)
    toward = np.array([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)])
    world_up = np.array([0.0, 0.0, 1.0]) if abs(toward[2]) < 0.99 else np.array([0.0, 1.0, 0.0])
    right = np.cross(world_up, toward)
    right /= np.linalg.norm(right)
    return np.stack([right, np.cross(toward, right), toward])


def render_view(mesh: trimesh.Trimesh, face_colors: np.ndarray, azimuth: float, elevation: float,
                size: int = 384, face_ids: np.ndarray | None = None, background: tuple[int, int, int] = (255, 255, 255),
                ) -> tuple[Image.Image, np.ndarray]:
    """Shaded RGB image and an id buffer (face_ids + 1 per pixel, 0 = background) of one orthographic view."""
    rotation = _view_rotation(azimuth, elevation)
    center = mesh.bounds.mean(axis=0)
    radius = float(np.linalg.norm(mesh.extents)) / 2.0 or 1.0
    local = (np.asarray(mesh.vertices) - center) @ rotation.T
    scale = 0.46 * size / radius
    xy = np.column_stack([size / 2 + local[:, 0] * scale, size / 2 - local[:, 1] * scale])
    faces = np.asarray(mesh.faces)
    normals = np.asarray(mesh.face_normals) @ rotation.T
    visible = normals[:, 2] > 0  # back faces are hidden on a closed mesh
    depth = local[faces, 2].mean(axis=1)
    order = np.flatnonzero(visible)[np.argsort(depth[visible])]
    shade = 0.35 + 0.65 * np.clip(normals[:, 2], 0.0, 1.0)
    colors = np.clip(np.asarray(face_colors, dtype=np.float64)[:, :3] * shade[:, None], 0, 255).astype(np.uint8)
    image = Image.new("RGB", (size, size), background)
    ids = Image.new("I", (size, size), 0)
    draw, draw_ids = ImageDraw.Draw(image), ImageDraw.Draw(ids)
    labels = np.arange(len(faces)) if face_ids is None else np.asarray(face_ids)
    for f in order:
        polygon = [tuple(p) for p in xy[faces[f]]]
        draw.polygon(polygon, fill=tuple(int(c) for c in colors[f]))
        draw_ids.polygon(polygon, fill=int(labels[f]) + 1)
    return image, np.asarray(ids, dtype=np.int64)


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()


def mark_parts(image: Image.Image, part_buffer: np.ndarray, min_pixels: int = 30) -> dict[int, tuple[int, int]]:
    """Draw a numbered mark (part index + 1) on each part visible in ``part_buffer``; returns their positions."""
    draw = ImageDraw.Draw(image)
    size = image.size[0]
    radius = max(8, size // 32)
    font = _font(int(radius * 1.4))
    marks = {}
    for value in np.unique(part_buffer):
        if value == 0:
            continue
        mask = part_buffer == value
        if mask.sum() < min_pixels:
            continue
        inside = ndimage.distance_transform_edt(np.pad(mask, 1))[1:-1, 1:-1]
        y, x = np.unravel_index(int(np.argmax(inside)), mask.shape)
        part = int(value) - 1
        marks[part] = (int(x), int(y))
        draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=(255, 255, 255), outline=(0, 0, 0),
                     width=2)
        draw.text((x, y), str(part + 1), fill=(0, 0, 0), font=font, anchor="mm")
    return marks


def render_marked_views(mesh: trimesh.Trimesh, face_parts: np.ndarray, part_colors: np.ndarray, size: int = 384,
                        views: tuple[tuple[float, float], ...] = SIX_VIEWS) -> list[MarkedView]:
    """Six (by default) views of a part-colored mesh with a numbered mark per visible part (number = index + 1)."""
    face_parts = np.asarray(face_parts, dtype=np.int64)
    colors = np.asarray(part_colors, dtype=np.float64)[face_parts]
    out = []
    for azimuth, elevation in views:
        image, buffer = render_view(mesh, colors, azimuth, elevation, size, face_ids=face_parts)
        marks = mark_parts(image, buffer)
        out.append(MarkedView(image, marks, azimuth, elevation))
    return out


def contact_sheet(views: list[MarkedView], columns: int = 3) -> Image.Image:
    """The views tiled in one image (for a quick look or a single-image prompt)."""
    size = views[0].image.size[0]
    rows = (len(views) + columns - 1) // columns
    sheet = Image.new("RGB", (columns * size, rows * size), (255, 255, 255))
    for i, view in enumerate(views):
        sheet.paste(view.image, ((i % columns) * size, (i // columns) * size))
    return sheet
