"""Benchmark report: the paper-style tables (Markdown and HTML) and one picture per (method, item).

What: ``benchmark.md`` holds the top-ranked and mean-over-samples tables (Suc / PTA / PGA / CMA per split) and the
per-method details (penetration, diversity, failures, speed); ``report.html`` holds the same tables and, per split,
a grid of item pictures (rows: items, columns: methods) showing the item's cloud with the target part in red and the
top-ranked grasp's hand.
Why: numbers alone do not tell whether a method grasps the wrong part, penetrates the object or misses it
altogether; the grid lets one see that at a glance for every item, in a file that opens anywhere (inline CSS, no
JavaScript). Pictures are drawn from the records alone (hand pose in the camera frame), and the cloud is rendered
again from the item, so a report can be made at any time from a run directory.
"""

from __future__ import annotations

import html
import logging
import math
import multiprocessing
import re
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from urllib.parse import quote

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from dexvlg_core.files import atomic_path, write_text_atomic  # noqa: E402
from dexvlg_data.bench.items import SPLIT_TITLES, BenchItem, BenchSpec, load_items, render_item  # noqa: E402
from dexvlg_data.scenes.pictures import hand_geometry, project_points  # noqa: E402
from dexvlg_data.scenes.render import RenderedView  # noqa: E402

log = logging.getLogger(__name__)

METRICS: tuple[str, ...] = ("suc", "pta", "pga", "cma")
_METRIC_TITLES = {"suc": "Suc", "pta": "PTA", "pga": "PGA", "cma": "CMA"}
_TABLES = (("top1", "Top-ranked grasp"), ("mean", "Mean over samples"))
_TARGET = np.array([0.86, 0.08, 0.10])
_GOOD = np.array([0.10, 0.62, 0.20])
_BAD = np.array([0.96, 0.55, 0.05])
_FIGSIZE = (6.4, 4.8)
_DPI = 100
_REASON_CHARS = 90


# ---------------------------------------------------------------------------------------------- formatting
def _number(value: object, digits: int = 1) -> str:
    """``value`` with ``digits`` decimals, "-" for null or not a number."""
    if value is None or isinstance(value, bool | str):
        return "-"
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "-"
    return f"{number:.{digits}f}" if math.isfinite(number) else "-"


def _sentence(parts: list[str]) -> str:
    """The non-empty ``parts`` joined by commas, first letter upper case, with a full stop."""
    text = ", ".join(p for p in parts if p)
    return text[:1].upper() + text[1:] + "." if text else ""


def _cell(text: object) -> str:
    """Text safe in a Markdown table cell (pipes escaped, one line)."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def _shorten(text: str, limit: int = _REASON_CHARS) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _split_title(split: str) -> str:
    return SPLIT_TITLES.get(split, split)


def _entry(summary: dict, method: str, split: str) -> dict:
    return (summary.get("results", {}).get(method) or {}).get(split) or {}


def _reasons(reasons: dict | None, top: int = 3) -> str:
    """The most frequent failure reasons, "reason (count)"."""
    if not reasons:
        return "-"
    ranked = sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))
    text = "; ".join(f"{_shorten(r, 60)} ({n})" for r, n in ranked[:top])
    return text + (f"; +{len(ranked) - top} more" if len(ranked) > top else "")


def _detail_columns(entry: dict) -> list[tuple[str, str]]:
    """(header, value) of the details of one method and split."""
    diversity = entry.get("diversity") or {}
    return [("Items", str(entry.get("items", "-"))), ("Contact items", str(entry.get("contact_items", "-"))),
            ("Failed items", str(entry.get("failed_items", "-"))),
            ("Penetration (mm)", _number(entry.get("penetration_mm"))),
            ("Self-penetration (mm)", _number(entry.get("self_penetration_mm"))),
            ("Diversity position (mm)", _number(diversity.get("position_mm"))),
            ("Diversity joints (rad)", _number(diversity.get("joints_rad"), 3)),
            ("Items/s/core", _number(entry.get("items_per_s_per_core"), 3)),
            ("Failure reasons", _reasons(entry.get("failure_reasons")))]


# ---------------------------------------------------------------------------------------------- markdown
def markdown_table(summary: dict) -> str:
    """The benchmark summary in the reference paper's layout, as Markdown.

    Two tables, "top-ranked grasp" and "mean over samples": one row per method, one column group per split
    (Suc / PTA / PGA / CMA, percentages with one decimal, "-" for null). Below them the details of every method and
    split (penetration, self-penetration, diversity, failed items, items/s/core, failure reasons) and the command
    that produced the results.
    """
    methods, splits = list(summary.get("methods", [])), list(summary.get("splits", []))
    lines = ["# Grasp benchmark", ""]
    meta = [f"version {summary['version']}" if "version" in summary else "",
            f"spec `{summary['fingerprint']}`" if summary.get("fingerprint") else ""]
    if any(meta):
        lines += [_sentence(meta), ""]
    for key, title in _TABLES:
        lines += [f"## {title}", ""]
        group = ["Method"] + [c for s in splits for c in (_cell(_split_title(s)), "", "", "")]
        lines.append("| " + " | ".join(group) + " |")
        lines.append("|---|" + "---:|" * (len(METRICS) * len(splits)))
        lines.append("| | " + " | ".join(f"**{_METRIC_TITLES[m]}**" for _ in splits for m in METRICS) + " |")
        for method in methods:
            values = [_number((_entry(summary, method, s).get(key) or {}).get(m)) for s in splits for m in METRICS]
            lines.append("| " + " | ".join([_cell(method), *values]) + " |")
        lines.append("")
    lines += ["## Details", ""]
    headers = ["Method", "Split"] + [h for h, _ in _detail_columns({})]
    lines.append("| " + " | ".join(headers) + " |")
    lines.append("|---|---|" + "---:|" * (len(headers) - 3) + "---|")
    for method in methods:
        for split in splits:
            values = [v for _, v in _detail_columns(_entry(summary, method, split))]
            lines.append("| " + " | ".join(_cell(c) for c in [method, _split_title(split), *values]) + " |")
    lines.append("")
    if summary.get("command"):
        lines += ["Produced by:", "", "```", str(summary["command"]), "```", ""]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------- pictures
def _mark(value: object) -> str:
    return "-" if value is None else ("✓" if value else "✗")


def _verdict_line(record: dict) -> str:
    """'Suc ✓ PTA ✗ PGA ✓ (CMA ✓)' of the top-ranked grasp."""
    top1 = record.get("top1") or {}
    grasps = record.get("grasps") or []
    first = grasps[0] if grasps else {}
    marks = {m: top1.get(m, first.get(m)) for m in METRICS}
    text = " ".join(f"{_METRIC_TITLES[m]} {_mark(marks[m])}" for m in ("suc", "pta", "pga"))
    if marks["cma"] is not None or record.get("fingers"):
        text += f" (CMA {_mark(marks['cma'])})"
    return text


def _top_success(record: dict) -> bool:
    top1 = record.get("top1") or {}
    grasps = record.get("grasps") or []
    value = top1.get("suc", grasps[0].get("suc") if grasps else None)
    return bool(value)


def _hand_in_camera(grasp: dict) -> tuple[np.ndarray, list[np.ndarray]]:
    """Surface points and skeleton polylines of the grasp's hand in the camera optical frame."""
    surface, skeleton = hand_geometry(np.asarray(grasp["joints"], np.float64))
    rotation = np.asarray(grasp["rotation"], np.float64).reshape(3, 3)
    position = np.asarray(grasp["position"], np.float64).reshape(3)
    return surface @ rotation.T + position, [line @ rotation.T + position for line in skeleton]


def _crop(u: np.ndarray, v: np.ndarray, hand_uv: np.ndarray, width: int, height: int,
          aspect: float) -> tuple[float, ...]:
    """(u0, u1, v0, v1): the cloud's projected box with a margin, grown to the hand points near it and to the
    ``aspect`` (width / height) of the axes.
    """
    if len(u) == 0:  # no cloud: the hand, or else the whole image
        if len(hand_uv) == 0:
            hand_uv = np.array([[0.0, 0.0], [width, height]])
        u, v, hand_uv = hand_uv[:, 0], hand_uv[:, 1], hand_uv[:0]
    u0, u1, v0, v1 = float(u.min()), float(u.max()), float(v.min()), float(v.max())
    size = max(u1 - u0, v1 - v0, 20.0)
    if len(hand_uv):
        # Hand points within one cloud size of the box count as near; a hand far away is left outside.
        reach = size
        near = ((hand_uv[:, 0] > u0 - reach) & (hand_uv[:, 0] < u1 + reach)
                & (hand_uv[:, 1] > v0 - reach) & (hand_uv[:, 1] < v1 + reach))
        if near.any():
            u0, u1 = min(u0, hand_uv[near, 0].min()), max(u1, hand_uv[near, 0].max())
            v0, v1 = min(v0, hand_uv[near, 1].min()), max(v1, hand_uv[near, 1].max())
    margin = 0.12 * max(u1 - u0, v1 - v0, 20.0) + 10.0
    u0, u1, v0, v1 = u0 - margin, u1 + margin, v0 - margin, v1 + margin
    # Grow the short side to the axes' aspect, so that pixels stay square and the axes are filled.
    half_u, half_v = 0.5 * max(u1 - u0, (v1 - v0) * aspect), 0.5 * max(v1 - v0, (u1 - u0) / aspect)
    cu, cv = 0.5 * (u0 + u1), 0.5 * (v0 + v1)
    return cu - half_u, cu + half_u, cv - half_v, cv + half_v


def _draw(item: BenchItem, spec: BenchSpec, view: RenderedView, record: dict, path: str | Path) -> Path:
    """Draw one item picture from an already rendered view (see :func:`render_item_image`)."""
    intr = spec.render.intrinsics
    try:
        part_id = item.object.load().part_index(item.part)
    except (KeyError, ValueError):
        part_id = -2  # no point is on an unknown part
    mine = view.parts == part_id
    colors = np.where(mine[:, None], _TARGET, 0.35 * view.colors / 255.0 + 0.65 * 0.82)
    u, v = project_points(view.points.astype(np.float64), spec.render) if len(view.points) else (np.zeros(0),) * 2
    grasps = record.get("grasps") or []
    fig = plt.figure(figsize=_FIGSIZE, dpi=_DPI)
    box = (0.01, 0.01, 0.98, 0.80)
    ax = fig.add_axes(box)
    order = np.argsort(mine, kind="stable")  # target part drawn last, on top
    ax.scatter(u[order], v[order], s=3.0, c=colors[order], linewidths=0)
    hand_uv = np.zeros((0, 2))
    if grasps:
        hand_color = _GOOD if _top_success(record) else _BAD
        hand, lines = _hand_in_camera(grasps[0])
        front = hand[:, 2] > 1e-3
        hand_uv = np.stack(project_points(hand[front], spec.render), axis=1)
        ax.scatter(hand_uv[:, 0], hand_uv[:, 1], s=2.5, c=[hand_color], linewidths=0, alpha=0.6)
        for line in lines:
            if (line[:, 2] > 1e-3).all():
                lu, lv = project_points(line, spec.render)
                ax.plot(lu, lv, "-o", color=hand_color * 0.75, lw=1.3, ms=2.0)
    u0, u1, v0, v1 = _crop(u, v, hand_uv, intr.width, intr.height, box[2] * _FIGSIZE[0] / (box[3] * _FIGSIZE[1]))
    ax.set_xlim(u0, u1)
    ax.set_ylim(v1, v0)  # image rows grow downwards
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ax.spines.values():
        side.set_color("0.85")
    method = record.get("method", "?")
    title = f"{method} | {item.object.object_id} | {item.part}"
    if item.fingers:
        title += f" | contact: {', '.join(item.fingers)}"
    fig.text(0.5, 0.975, _shorten(title, 80), ha="center", va="top", fontsize=11, weight="bold")
    if grasps:
        reason = grasps[0].get("reason") or ""
        fig.text(0.5, 0.915, _verdict_line(record), ha="center", va="top", fontsize=10,
                 color=_GOOD * 0.8 if _top_success(record) else (0.75, 0.2, 0.05))
        if reason:
            fig.text(0.5, 0.86, _shorten(reason), ha="center", va="top", fontsize=8, color="0.3")
    else:
        why = record.get("reason") or record.get("status") or "no grasp"
        fig.text(0.5, 0.915, "no grasp", ha="center", va="top", fontsize=10, color=(0.75, 0.1, 0.1))
        fig.text(0.5, 0.86, _shorten(why), ha="center", va="top", fontsize=8, color="0.3")
    path = Path(path)
    try:
        with atomic_path(path, suffix=".tmp.png") as tmp:
            fig.savefig(tmp, dpi=_DPI, format="png")
    finally:
        plt.close(fig)
    return path


def render_item_image(item: BenchItem, spec: BenchSpec, record: dict, path: str | Path) -> Path:
    """Draw the picture of one (method, item) result into ``path`` (PNG, 640x480) and return the path.

    The item's cloud is projected into its camera image, the target part in red and the other points in their own
    colors, faded; the top-ranked grasp's hand (surface points and skeleton, from the record's hand root pose in the
    camera frame) is drawn in green when it succeeded, orange otherwise. The title names method, object and part,
    with the top-ranked grasp's Suc / PTA / PGA (CMA) verdicts and its reason; without a grasp, the cloud alone with
    the failure reason. The view is cropped around the cloud (and the hand points near it).
    """
    return _draw(item, spec, render_item(item, spec), record, path)


# ---------------------------------------------------------------------------------------------- html
_CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.25em; margin-top: 1.6em; } h3 { font-size: 1.05em; }
table { border-collapse: collapse; margin: 0.6em 0 1.2em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.55em; }
th { background: #f2f2f2; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
pre { background: #f6f6f6; padding: 0.6em; overflow-x: auto; }
table.grid td { vertical-align: top; text-align: center; }
table.grid td.item { text-align: left; max-width: 22em; }
table.grid img { width: 320px; height: 240px; display: block; margin: 0 auto 0.3em auto; }
.id { font-family: monospace; font-size: 0.85em; color: #555; }
.badge { display: inline-block; padding: 0.1em 0.6em; border-radius: 0.8em; font-size: 0.85em; color: #fff; }
.pass { background: #2e8b3e; } .fail { background: #d9822b; } .error { background: #b3261e; }
.missing { background: #999; }
.why { font-size: 0.75em; color: #666; max-width: 320px; margin: 0.2em auto 0 auto; }
"""


def _html_tables(summary: dict) -> list[str]:
    """The two result tables and the details, as HTML."""
    methods, splits = list(summary.get("methods", [])), list(summary.get("splits", []))
    out: list[str] = []
    for key, title in _TABLES:
        out.append(f"<h2>{html.escape(title)}</h2>")
        out.append("<table><thead><tr><th rowspan='2'>Method</th>"
                   + "".join(f"<th colspan='{len(METRICS)}'>{html.escape(_split_title(s))}</th>" for s in splits)
                   + "</tr><tr>" + "".join(f"<th>{_METRIC_TITLES[m]}</th>" for _ in splits for m in METRICS)
                   + "</tr></thead><tbody>")
        for method in methods:
            cells = "".join(f"<td class='num'>{_number((_entry(summary, method, s).get(key) or {}).get(m))}</td>"
                            for s in splits for m in METRICS)
            out.append(f"<tr><th>{html.escape(method)}</th>{cells}</tr>")
        out.append("</tbody></table>")
    out.append("<h2>Details</h2>")
    headers = ["Method", "Split"] + [h for h, _ in _detail_columns({})]
    out.append("<table><thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in headers) + "</tr></thead><tbody>")
    for method in methods:
        for split in splits:
            values = [v for _, v in _detail_columns(_entry(summary, method, split))]
            cells = "".join(f"<td class='num'>{html.escape(v)}</td>" for v in values[:-1])
            out.append(f"<tr><th>{html.escape(method)}</th><td>{html.escape(_split_title(split))}</td>{cells}"
                       f"<td>{html.escape(values[-1])}</td></tr>")
    out.append("</tbody></table>")
    return out


def _badge(record: dict | None) -> str:
    if record is None:
        return "<span class='badge missing'>no result</span>"
    if record.get("status") != "ok":
        why = html.escape(_shorten(record.get("reason") or "failed"))
        return f"<span class='badge error'>failed</span><div class='why'>{why}</div>"
    ok = _top_success(record)
    return (f"<span class='badge {'pass' if ok else 'fail'}'>{'pass' if ok else 'fail'}</span>"
            f"<div class='why'>{html.escape(_verdict_line(record))}</div>")


def _ordered(first: Iterable[str], more: Iterable[str]) -> list[str]:
    """``first`` then the new names of ``more``, each once, in order."""
    return list(dict.fromkeys([*first, *more]))


def write_html(root: str | Path, summary: dict, records: list[dict], images: dict[tuple[str, str], str]) -> Path:
    """Write ``root/report.html`` and return its path.

    The result tables, then per split a grid with one row per item (id and instruction) and one column per method:
    the item's picture (``images[(method, item_id)]``, a path relative to ``root``) and a pass/fail badge.
    Self-contained: inline CSS, no JavaScript.
    """
    root = Path(root)
    methods = _ordered(summary.get("methods", []), (r["method"] for r in records))
    splits = _ordered(summary.get("splits", []), (r.get("split", "") for r in records))
    by_key = {(r["method"], r["item_id"]): r for r in records}
    items: dict[str, dict[str, dict]] = {s: {} for s in splits}  # split -> item id -> a record of it
    for r in records:
        items[r.get("split", "")].setdefault(r["item_id"], r)
    out = ["<!DOCTYPE html>", "<html lang='en'><head><meta charset='utf-8'>", "<title>Grasp benchmark</title>",
           f"<style>{_CSS}</style></head><body>", "<h1>Grasp benchmark</h1>"]
    meta = [f"version {summary['version']}" if "version" in summary else "",
            f"spec <code>{html.escape(str(summary['fingerprint']))}</code>" if summary.get("fingerprint") else "",
            f"{len(records)} results"]
    out.append(f"<p>{_sentence(meta)}</p>")
    if summary.get("command"):
        out.append(f"<p>Produced by:</p><pre>{html.escape(str(summary['command']))}</pre>")
    out += _html_tables(summary)
    for split in splits:
        if not items[split]:
            continue
        out.append(f"<h2>{html.escape(_split_title(split))} ({len(items[split])} items)</h2>")
        out.append("<table class='grid'><thead><tr><th>Item</th>"
                   + "".join(f"<th>{html.escape(m)}</th>" for m in methods) + "</tr></thead><tbody>")
        for item_id, any_record in items[split].items():
            cells = [f"<td class='item'><div class='id'>{html.escape(item_id)}</div>"
                     f"<div>{html.escape(any_record.get('instruction', ''))}</div></td>"]
            for method in methods:
                image = images.get((method, item_id))
                picture = (f"<img src='{html.escape(quote(image))}' loading='lazy' "
                           f"alt='{html.escape(method)}: {html.escape(item_id)}'>" if image else "")
                cells.append(f"<td>{picture}{_badge(by_key.get((method, item_id)))}</td>")
            out.append("<tr>" + "".join(cells) + "</tr>")
        out.append("</tbody></table>")
    out.append("</body></html>")
    return write_text_atomic(root / "report.html", "\n".join(out) + "\n")


# ---------------------------------------------------------------------------------------------- report
def _file_name(name: str) -> str:
    """A file or folder name made of ``name`` (characters other than letters, digits, ``._-`` become ``_``)."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", name).lstrip(".")
    return safe or "_"


def image_path(method: str, item_id: str) -> str:
    """Path of the picture of (method, item) relative to the run directory."""
    return f"images/{_file_name(method)}/{_file_name(item_id)}.png"


def _draw_item(item: BenchItem, spec: BenchSpec, jobs: list[tuple[dict, str]]) -> list[tuple[str, str]]:
    """Draw the pictures of one item for several records (cloud rendered once); (path, error) of the failures."""
    errors = []
    try:
        view = render_item(item, spec)
    except Exception as error:  # one broken item must not stop the report
        return [(path, f"{type(error).__name__}: {error}") for _, path in jobs]
    for record, path in jobs:
        try:
            _draw(item, spec, view, record, path)
        except Exception as error:
            errors.append((path, f"{type(error).__name__}: {error}"))
    return errors


def write_report(root: str | Path, spec: BenchSpec, summary: dict, records: list[dict], images: bool = True,
                 workers: int = 1) -> dict[str, Path]:
    """Write the report of a run directory and return its paths ({"markdown", "html", "images"}).

    ``root/benchmark.md`` (:func:`markdown_table`), the pictures ``root/images/<method>/<item_id>.png`` of every
    record whose item is in ``root/items.json`` (existing pictures are kept, so an interrupted report resumes;
    ``images=False`` draws none and uses those already there), and ``root/report.html`` (:func:`write_html`).
    ``workers`` > 1 draws the pictures in that many spawned processes (a script calling it then needs the
    ``if __name__ == "__main__":`` guard). A picture that cannot be drawn is logged and left out of the page.
    """
    root = Path(root)
    paths = {"markdown": write_text_atomic(root / "benchmark.md", markdown_table(summary)), "images": root / "images"}
    items = {i.item_id: i for i in load_items(root / "items.json", spec)} if (root / "items.json").is_file() else {}
    relative = {(r["method"], r["item_id"]): image_path(r["method"], r["item_id"]) for r in records}
    if images:
        todo: dict[str, list[tuple[dict, str]]] = {}
        for r in records:
            target = root / relative[(r["method"], r["item_id"])]
            if r["item_id"] in items and not target.is_file():
                todo.setdefault(r["item_id"], []).append((r, str(target)))
        # In items.json order: an object's items follow each other, so its loaded meshes stay cached.
        todo = {i: todo[i] for i in items if i in todo}
        errors: list[tuple[str, str]] = []
        if workers > 1 and len(todo) > 1:
            context = multiprocessing.get_context("spawn")  # no forked EGL / torch state
            with ProcessPoolExecutor(min(workers, len(todo)), mp_context=context) as pool:
                futures = [pool.submit(_draw_item, items[i], spec, jobs) for i, jobs in todo.items()]
                for future in futures:
                    errors += future.result()
        else:
            for item_id, jobs in todo.items():
                errors += _draw_item(items[item_id], spec, jobs)
        for path, error in errors:
            log.warning("benchmark report: no picture %s: %s", path, error)
    shown = {key: rel for key, rel in relative.items() if (root / rel).is_file()}
    paths["html"] = write_html(root, summary, records, shown)
    return paths
