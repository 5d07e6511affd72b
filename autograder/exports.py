"""Batch results as files: CSV for the gradebook, JUnit XML for CI dashboards,
and one Gradescope results.json per student and exercise."""
from __future__ import annotations

import csv
import os
import xml.etree.ElementTree as ET

from . import report
from .batch import Graded
from .safetext import clean


def _task_columns(graded: list[Graded]) -> list[str]:
    columns = []
    for g in graded:
        if g.result:
            for task in g.result.tasks:
                if task.name not in columns:
                    columns.append(task.name)
    return columns


def write_csv(graded: list[Graded], path: str) -> None:
    """One row per student and exercise: student, exercise, each task's score, total, max, isolation, error
    (last). A grader error has no total."""
    columns = _task_columns(graded)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "exercise", *columns, "total", "max_score", "isolation", "error"])
        for g in graded:
            scores = {t.name: t.score for t in g.result.tasks} if g.result else {}
            max_score = g.result.max_score if g.result else ""
            total = g.result.score if g.result else ("" if g.grader_error else 0)   # a grader error is no score
            writer.writerow([clean(g.entry.student, 200), g.entry.exercise, *[scores.get(c, "") for c in columns],
                             total, max_score, g.result.isolation if g.result else "", clean(g.error)])


def write_junit(graded: list[Graded], path: str) -> None:
    """JUnit XML: a test suite per exercise, a test case per student and task."""
    root = ET.Element("testsuites")
    suites = {}
    for g in graded:
        suite = suites.get(g.entry.exercise)
        if suite is None:
            suite = suites[g.entry.exercise] = ET.SubElement(root, "testsuite", name=g.entry.exercise)
        student = clean(g.entry.student, 200)
        if g.result is None:
            case = ET.SubElement(suite, "testcase", classname=student, name="submission")
            ET.SubElement(case, "error", message=clean(g.error, 200)).text = clean(g.error)
            continue
        for task in g.result.tasks:
            case = ET.SubElement(suite, "testcase", classname="%s.%s" % (student, g.entry.exercise),
                                 name=task.name)
            if not task.passed:
                failure = ET.SubElement(case, "failure", message="%s/%s points" % (task.score, task.max_score))
                failure.text = report.task_feedback(task)
    for suite in suites.values():
        cases = suite.findall("testcase")
        suite.set("tests", str(len(cases)))
        suite.set("failures", str(sum(1 for c in cases if c.find("failure") is not None)))
        suite.set("errors", str(sum(1 for c in cases if c.find("error") is not None)))
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def write_gradescope(graded: list[Graded], folder: str) -> None:
    """FOLDER/<student>/<exercise>/results.json, in Gradescope's format."""
    for g in graded:
        target = os.path.join(folder, _file_name(g.entry.student), g.entry.exercise)
        os.makedirs(target, exist_ok=True)
        with open(os.path.join(target, "results.json"), "w", encoding="utf-8") as handle:
            if g.result:
                try:
                    content = report.as_gradescope(g.result)
                except Exception as exc:  # noqa: BLE001 - the catch-all per report: the batch's export goes on
                    content = '{"score": %s, "output": %s, "tests": []}' % (
                        float(g.result.score), _json_string("the grader could not write the feedback (%s)"
                                                            % type(exc).__name__))
                handle.write(content)
            elif g.grader_error:   # Gradescope needs a file; no score in it
                handle.write('{"output": %s, "tests": []}' % _json_string(clean(g.error)))
            else:
                handle.write('{"score": 0, "output": %s, "tests": []}' % _json_string(clean(g.error)))


def write_markdown(graded: list[Graded], path: str) -> None:
    """A Markdown table (for a CI job summary): student, exercise, score, and the tasks not passed."""
    lines = ["| student | exercise | score | not passed |", "|---|---|---|---|"]
    for g in graded:
        if g.result:
            missed = ", ".join(t.name for t in g.result.tasks if not t.passed) or "-"
            lines.append("| %s | %s | %s/%s | %s |" % (_cell(g.entry.student), g.entry.exercise, g.result.score,
                                                      g.result.max_score, missed))
        else:
            lines.append("| %s | %s | %s | %s |" % (_cell(g.entry.student), g.entry.exercise,
                                                    "grader error" if g.grader_error else "unreadable",
                                                    _cell(g.error, 120)))
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


def write_html(graded: list[Graded], folder: str) -> None:
    """FOLDER/<student>-<exercise>.html for each submission, and FOLDER/class.html."""
    from . import html
    os.makedirs(folder, exist_ok=True)
    for g in graded:
        if g.result:
            with open(os.path.join(folder, "%s-%s.html" % (_file_name(g.entry.student), g.entry.exercise)), "w",
                      encoding="utf-8") as handle:
                try:
                    page = html.student_report(g.result, g.entry.path)
                except Exception as exc:  # noqa: BLE001 - the catch-all per report: the batch's export goes on
                    page = "<!DOCTYPE html>\n<p>Score: %s/%s. The grader could not write this report (%s).</p>\n" % (
                        g.result.score, g.result.max_score, type(exc).__name__)
                handle.write(page)
    with open(os.path.join(folder, "class.html"), "w", encoding="utf-8") as handle:
        handle.write(html.class_report(graded))


def _file_name(student: str) -> str:
    """A student name as one safe path component (it came from a file name in the submissions folder)."""
    name = clean(student, 200).replace("\n", " ").replace(os.sep, "_")
    return name if name not in ("", ".", "..") else "_"


def _cell(text: str, limit: int = 200) -> str:
    """Student text for one cell of a Markdown table: clean, on one line, no column separator."""
    return clean(text, limit).replace("\n", " ").replace("|", "/")


def _json_string(text: str) -> str:
    import json
    return json.dumps(text)
