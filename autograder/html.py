"""HTML reports: one student's result with pictures, and the class picture after a batch.

Image-shaped results of failing *public* cases are drawn as heatmaps — input,
expected, got and their difference side by side — as inline PNGs, so a report
is one self-contained file. Hidden cases are described in words, never drawn.
No plotting library is needed: the PNG encoder below is a few lines of zlib.
"""
from __future__ import annotations

import base64
import html
import re
import struct
import zlib
from collections import Counter

import numpy as np

from . import report
from .grading import ExerciseResult, TaskResult
from .safetext import clean

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; max-width: 70em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.1em; margin-top: 1.6em; }
.pass { color: #1a7f37; } .fail { color: #c62828; }
pre { background: #f6f8fa; padding: .6em; white-space: pre-wrap; }
figure { display: inline-block; margin: .4em 1em .4em 0; text-align: center; }
figcaption { font-size: .85em; color: #555; }
img.heat { image-rendering: pixelated; border: 1px solid #ccc; }
.note { background: #fff8e1; padding: .6em; border-left: 4px solid #f9a825; }
table { border-collapse: collapse; } td, th { padding: .25em .8em; border-bottom: 1px solid #ddd; text-align: left; }
.bar { background: #4a78c2; height: 1em; display: inline-block; }
"""


# --- pictures ------------------------------------------------------------------

def png_data_uri(rgb: np.ndarray) -> str:
    """An (H, W, 3) uint8 array as a data: URI holding a PNG."""
    height, width, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[row].tobytes() for row in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
    return "data:image/png;base64," + base64.b64encode(png).decode()


def heatmap(values: np.ndarray, lo: float, hi: float, diverging: bool = False, size: int = 160) -> str:
    """A 2-D array as an <img>: gray scale from lo to hi, or blue-white-red around 0."""
    values = np.asarray(values, dtype=np.float64)
    if diverging:
        bound = max(abs(lo), abs(hi), 1e-12)
        t = np.clip(values / bound, -1, 1)
        red = np.where(t > 0, 1.0, 1 + t)
        blue = np.where(t < 0, 1.0, 1 - t)
        green = 1 - np.abs(t)
        rgb = np.stack([red, green, blue], axis=-1)
    else:
        t = np.clip((values - lo) / (hi - lo), 0, 1) if hi > lo else np.full(values.shape, 0.5)
        rgb = np.stack([t, t, t], axis=-1)
    rgb = (rgb * 255).round().astype(np.uint8)
    scale = max(1, size // max(values.shape))
    rgb = np.repeat(np.repeat(rgb, scale, axis=0), scale, axis=1)
    return '<img class="heat" alt="heatmap" src="%s" width="%d" height="%d">' % (
        png_data_uri(rgb), rgb.shape[1], rgb.shape[0])


def _as_planes(value):
    """The 2-D planes to draw for an image-shaped value: (H, W) -> [it]; (H, W, C) -> its first channels."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return []
    if array.ndim == 2 and min(array.shape) >= 2:
        return [("", array)]
    if array.ndim == 3 and min(array.shape[:2]) >= 2:
        return [(" channel %d" % c, array[:, :, c]) for c in range(min(array.shape[2], 3))]
    return []


def case_pictures(case_result) -> str:
    """Input, expected, got and difference of one failing public case, if image-shaped."""
    case, verdict = case_result.case, case_result.verdict
    if case.hidden or "expected" not in verdict.extra:
        return ""
    expected, got = verdict.extra["expected"], verdict.extra["got"]
    planes_expected = _as_planes(expected)
    if not planes_expected:
        return ""
    planes_got = _as_planes(got)
    planes_input = _as_planes(case.args[0]) if case.args else []
    out = []
    for k, (suffix, want) in enumerate(planes_expected):
        have = planes_got[k][1] if k < len(planes_got) else None
        pictures = []
        if k < len(planes_input):
            x = planes_input[k][1]
            pictures.append(("input" + planes_input[k][0], heatmap(x, x.min(), x.max())))
        same_shape = have is not None and have.shape == want.shape
        both = np.concatenate([want.ravel(), have.ravel()]) if same_shape else want.ravel()
        lo, hi = float(both.min()), float(both.max())
        pictures.append(("expected" + suffix, heatmap(want, lo, hi)))
        if have is not None:
            pictures.append(("got%s %s" % (suffix, "x".join(map(str, have.shape))), heatmap(have, lo, hi)))
        if same_shape:
            diff = have - want
            pictures.append(("got - expected", heatmap(diff, float(diff.min()), float(diff.max()), diverging=True)))
        out.append("".join('<figure>%s<figcaption>%s</figcaption></figure>' % (img, html.escape(cap))
                           for cap, img in pictures))
    return "<div>%s</div>" % "<br>".join(out)


# --- one student's report ----------------------------------------------------------

def _task_section(task: TaskResult) -> str:
    status = "pass" if task.passed else "fail"
    mark = "&#10003;" if task.passed else "&#10007;"
    parts = ['<h2 class="%s">%s %s &mdash; %s/%d</h2>' % (status, mark, html.escape(task.name),
                                                         report._fmt(task.score), task.max_score)]
    if not task.passed:
        parts.append("<pre>%s</pre>" % html.escape(report.task_feedback(task)))
        drawn = 0
        for case_result in task.cases:
            if not case_result.verdict.passed and drawn < 2:
                pictures = case_pictures(case_result)
                if pictures:
                    parts.append("<p>%s</p>%s" % (html.escape(case_result.case.label), pictures))
                    drawn += 1
    return "\n".join(parts)


def student_report(result: ExerciseResult, submission_path: str) -> str:
    """A self-contained HTML page for one graded submission."""
    ex = result.exercise
    kind = "public and hidden cases" if result.hidden else "public checks"
    body = ["<h1>%s &middot; %s</h1>" % (ex.key, html.escape(ex.title)),
            "<p>%s, %s. Score: <b>%s/%d</b> (isolation: %s)</p>" % (
                html.escape(clean(submission_path)), kind, report._fmt(result.score), result.max_score,
                html.escape(result.isolation))]
    if not result.hidden:
        body.append('<p class="note">%s</p>' % html.escape(report.HONEST))
    body += [_task_section(task) for task in result.tasks]
    return _page("%s report" % ex.key, "\n".join(body))


def scoped_style(container: str) -> str:
    """STYLE with every rule confined to ``container`` (a CSS selector), for HTML shown inside a page we
    do not own (Jupyter): no rule may restyle the page's own headings, tables or code."""
    rules = []
    for rule in re.findall(r"[^{}]+\{[^{}]*\}", STYLE):
        selectors, body = rule.split("{", 1)
        scoped = ", ".join(container if s.strip() == "body" else "%s %s" % (container, s.strip())
                           for s in selectors.split(","))
        rules.append("%s {%s" % (scoped, body))
    return "\n".join(rules)


def _page(title, body):
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>%s</title>'
            "<style>%s</style></head><body>\n%s\n</body></html>\n" % (html.escape(title), STYLE, body))


# --- the class picture ----------------------------------------------------------------

def _bar_row(label, value, total, note=""):
    width = 0 if not total else int(240 * value / total)
    return '<tr><td>%s</td><td><span class="bar" style="width:%dpx"></span> %s</td></tr>' % (
        html.escape(label), width, html.escape(note or str(value)))


def class_report(graded) -> str:
    """Per exercise: score distribution, pass rate per task, and how many showed each misconception."""
    by_exercise = {}
    for g in graded:
        by_exercise.setdefault(g.entry.exercise, []).append(g)
    body = ["<h1>Class report</h1>", "<p>%d submissions graded.</p>" % len(graded)]
    for key, items in sorted(by_exercise.items()):
        results = [g.result for g in items if g.result]
        errors = sum(1 for g in items if getattr(g, "grader_error", False))
        body.append("<h2>%s: %d submissions, %d unreadable, %d grader error(s)</h2>" % (
            key, len(items), len(items) - len(results) - errors, errors))
        if not results:
            continue
        maximum = results[0].max_score
        bins = Counter(min(int(r.score / maximum * 10), 9) for r in results)
        body.append("<h3>Score distribution</h3><table>")
        body += [_bar_row("%d-%d%%" % (b * 10, b * 10 + 10), bins.get(b, 0), len(results)) for b in range(10)]
        body.append("</table><h3>Pass rate per task</h3><table>")
        for k, task in enumerate(results[0].tasks):
            passed = sum(r.tasks[k].passed for r in results)
            body.append(_bar_row(task.name, passed, len(results), "%d of %d" % (passed, len(results))))
        body.append("</table><h3>Misconceptions: what to re-teach</h3><table>")
        counts, titles = Counter(), {}
        for r in results:
            seen = {(t.name, m.key): m.title for t in r.tasks for m in t.misconceptions}
            counts.update(seen.keys())
            titles.update(seen)
        if not counts:
            body.append("<tr><td>none diagnosed</td></tr>")
        for (task_name, mkey), n in counts.most_common():
            body.append(_bar_row("%s: %s" % (task_name, titles[task_name, mkey]), n, len(results),
                                 "%d student(s)" % n))
        body.append("</table>")
    return _page("Class report", "\n".join(body))
