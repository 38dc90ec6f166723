"""The gallery command renders procedural objects colored by part into a PNG."""

from __future__ import annotations

import argparse

import numpy as np
import pytest

from dexvlg_data.objects import gallery
from dexvlg_data.objects.families import generate


def _gl_available() -> bool:
    try:
        import mujoco

        model = mujoco.MjModel.from_xml_string("<mujoco><worldbody><geom size='0.1'/></worldbody></mujoco>")
        with mujoco.Renderer(model, 16, 16):
            return True
    except Exception:  # noqa: BLE001 - any GL failure means: skip
        return False


needs_gl = pytest.mark.skipif(not _gl_available(), reason="no offscreen OpenGL (set MUJOCO_GL=egl or osmesa)")


@needs_gl
def test_render_object_shows_part_colors():
    obj = generate("mug", 1)
    img = gallery.render_object(obj, "parts", gallery.ViewConfig(size=96))
    assert img.shape == (96, 96, 3) and img.dtype == np.uint8
    # Both label colors appear (shaded, so compare hue roughly): body orange, handle blue.
    flat = img.reshape(-1, 3).astype(int)
    orange = (flat[:, 0] > flat[:, 2] + 60).sum()
    blue = (flat[:, 2] > flat[:, 0] + 60).sum()
    assert orange > 100 and blue > 20
    assert (flat == 255).all(axis=1).sum() > 0.2 * len(flat)  # white background


@needs_gl
def test_gallery_command_writes_png(tmp_path):
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    gallery.add_parser(sub)
    out = tmp_path / "g" / "gallery.png"
    args = parser.parse_args(["gallery", "--categories", "mug", "spray_bottle", "--seeds", "2", "--size", "64",
                              "--out", str(out)])
    assert args.func(args) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_parser_defaults():
    parser = argparse.ArgumentParser()
    gallery.add_parser(parser.add_subparsers())
    args = parser.parse_args(["gallery"])
    assert args.categories is None and args.seeds == 4 and args.color == "parts"
    assert args.out == "results/objects/gallery.png"
