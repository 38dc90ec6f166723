"""Benchmark report: Markdown tables, item pictures, HTML page, on a one-object benchmark with fabricated results."""

import numpy as np
import pytest
from matplotlib.image import imread

from dexvlg_data.bench.items import SPLIT_TITLES, BenchSpec, build_items, render_item, save_items
from dexvlg_data.bench.report import image_path, markdown_table, render_item_image, write_html, write_report

SPEC = BenchSpec(objects_per_split=1, splits=("seen",))
METHODS = ("ours", "baseline two")
COMMAND = "dexvlg bench run --methods ours 'baseline two' --out /tmp/run"


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    root = tmp_path_factory.mktemp("bench")
    items, skipped = build_items(SPEC)
    assert len(items) >= 2
    save_items(root / "items.json", SPEC, items, skipped)
    return root, items[:2]  # a plain and a contact-mode item


def _grasp(item, suc: bool) -> dict:
    """A hand 0.15 m in front of the cloud centroid (towards the camera), fingers pointing at the object."""
    centroid = render_item(item, SPEC).points.mean(axis=0).astype(float)
    position = centroid - 0.15 * centroid / np.linalg.norm(centroid)
    return {"rank": 0, "suc": suc, "pta": True, "pga": suc, "cma": None, "penetration_mm": 1.5,
            "self_penetration_mm": 0.0, "lift_mm": 80.0, "fingers_on_part": ["index", "thumb"],
            "contact_fingers": ["index", "thumb"], "reason": "lifted " + "and held " * 20,
            "position": position.tolist(), "rotation": np.eye(3).tolist(), "joints": [0.0] * 22}


def _record(method: str, item, ok: bool) -> dict:
    base = {"method": method, "item_id": item.item_id, "split": item.split, "object_id": item.object.object_id,
            "part": item.part, "instruction": item.instruction, "fingers": list(item.fingers), "seconds": 2.0,
            "predict_seconds": 1.5}
    if ok:
        cma = 1 if item.fingers else None
        grasp = _grasp(item, True) | {"cma": None if cma is None else bool(cma)}
        return base | {"status": "ok", "reason": "", "grasps": [grasp],
                       "top1": {"suc": 1, "pta": 1, "pga": 1, "cma": cma},
                       "mean": {"suc": 1.0, "pta": 1.0, "pga": 1.0, "cma": cma}}
    return base | {"status": "failed", "reason": "model crashed: CUDA out of memory", "grasps": [],
                   "top1": {"suc": 0, "pta": 0, "pga": 0, "cma": None}, "mean": {k: None for k in ("suc", "pta",
                                                                                                   "pga", "cma")}}


@pytest.fixture(scope="module")
def records(bench):
    _, items = bench
    return [_record(m, item, m == "ours") for item in items for m in METHODS]


def _entry(suc: float, cma: float | None) -> dict:
    scores = {"suc": suc, "pta": 45.66, "pga": 66.66, "cma": cma}
    return {"items": 2, "contact_items": 1, "failed_items": 0 if suc else 2, "top1": scores,
            "mean": scores | {"suc": suc / 2}, "penetration_mm": 1.54 if suc else None,
            "self_penetration_mm": None, "diversity": {"position_mm": 12.34, "joints_rad": None},
            "items_per_s_per_core": 0.25, "failure_reasons": {} if suc else {"model crashed | OOM": 2}}


SUMMARY = {"version": 1, "fingerprint": SPEC.fingerprint(), "command": COMMAND, "methods": list(METHODS),
           "splits": ["seen"], "results": {"ours": {"seen": _entry(12.345, None)},
                                           "baseline two": {"seen": _entry(0.0, 0.0)}}}


def _rows(markdown: str, section: str) -> dict[str, list[str]]:
    """Cells of the rows of one Markdown table, by their first cell."""
    block = markdown.split(f"## {section}")[1].split("##")[0]
    rows = [[c.strip() for c in line.strip().strip("|").split(" | ")] for line in block.splitlines()
            if line.startswith("|")]
    return {r[0]: r[1:] for r in rows}


def test_markdown_table():
    text = markdown_table(SUMMARY)
    assert SPLIT_TITLES["seen"] in text and SPLIT_TITLES["unseen"] not in text
    top = _rows(text, "Top-ranked grasp")
    assert top["ours"] == ["12.3", "45.7", "66.7", "-"]  # one decimal, "-" for a null CMA
    assert top["baseline two"] == ["0.0", "45.7", "66.7", "0.0"]
    assert top[""] == ["**Suc**", "**PTA**", "**PGA**", "**CMA**"]
    mean = _rows(text, "Mean over samples")
    assert mean["ours"] == ["6.2", "45.7", "66.7", "-"]
    details = _rows(text, "Details")
    assert details["Method"][:4] == ["Split", "Items", "Contact items", "Failed items"]
    assert details["ours"][:5] == [SPLIT_TITLES["seen"], "2", "1", "0", "1.5"]
    assert details["ours"][5] == "-"  # null self-penetration
    assert "model crashed \\| OOM (2)" in details["baseline two"][-1]
    assert f"```\n{COMMAND}\n```" in text


def _counts(path) -> dict[str, int]:
    """Pixels of the plot (below the title lines, which are colored too) by color class."""
    image = imread(path)
    assert 440 <= image.shape[0] <= 520 and 600 <= image.shape[1] <= 680
    assert np.ptp(image[..., :3].reshape(-1, 3), axis=0).max() > 0.5  # not one color
    r, g, b = np.moveaxis(image[image.shape[0] // 4 :, :, :3], -1, 0)
    return {"red": int(((r > 0.7) & (g < 0.3) & (b < 0.3)).sum()),
            "dark green": int(((r < 0.3) & (g > 0.35) & (b < 0.3)).sum()),  # hand skeleton
            "green": int(((g - r > 0.2) & (g - b > 0.15)).sum()),  # hand points, faded by alpha
            "orange": int(((r > 0.6) & (r - g > 0.15) & (g - b > 0.15)).sum())}


def test_render_item_image(bench, records, tmp_path):
    _, items = bench
    good = records[0]
    counts = _counts(render_item_image(items[0], SPEC, good, tmp_path / "ours.png"))
    assert counts["red"] > 200  # the target part
    assert counts["dark green"] > 50 and counts["green"] > 200 and counts["orange"] < 20  # the successful hand
    bad = good | {"top1": good["top1"] | {"suc": 0}}
    counts = _counts(render_item_image(items[0], SPEC, bad, tmp_path / "bad.png"))
    assert counts["orange"] > 200 and counts["green"] < 20
    assert records[1]["grasps"] == []
    counts = _counts(render_item_image(items[0], SPEC, records[1], tmp_path / "failed.png"))
    assert counts["red"] > 200
    assert counts["green"] < 20 and counts["orange"] < 20  # no hand


def test_write_report(bench, records):
    root, items = bench
    paths = write_report(root, SPEC, SUMMARY, records)
    assert paths["markdown"].read_text() == markdown_table(SUMMARY)
    page = paths["html"].read_text()
    assert paths["html"] == root / "report.html"
    for record in records:
        rel = image_path(record["method"], record["item_id"])
        assert (root / rel).stat().st_size > 1000
        assert f"src='{rel}'" in page
    assert image_path("baseline two", items[0].item_id) == f"images/baseline_two/{items[0].item_id}.png"
    for name in (*METHODS, SPLIT_TITLES["seen"], items[1].instruction, "CUDA out of memory"):
        assert name in page
    assert page.count("badge pass") == 2 and page.count("badge error") == 2
    assert "<script" not in page
    # Resumable: existing pictures are kept.
    first = root / image_path("ours", items[0].item_id)
    stamp = first.stat().st_mtime_ns
    write_report(root, SPEC, SUMMARY, records)
    assert first.stat().st_mtime_ns == stamp


def test_write_html_without_images(tmp_path, records):
    page = write_html(tmp_path, SUMMARY, records[:1], {}).read_text()
    assert "<img" not in page and "ours" in page and "baseline two" in page  # a method without results keeps its column
    assert "no result" in page
