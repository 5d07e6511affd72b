"""Batch results as files: CSV for the gradebook, JUnit XML for CI dashboards,
and one Gradescope results.json per student and exercise."""
from __future__ import annotations

import csv
import os
import xml.etree.ElementTree as ET

from . import report
from .batch import Graded


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
            writer.writerow([g.entry.student, g.entry.exercise, *[scores.get(c, "") for c in columns],
                             total, max_score, g.result.isolation if g.result else "", g.error])


def write_junit(graded: list[Graded], path: str) -> None:
    """JUnit XML: a test suite per exercise, a test case per student and task."""
    root = ET.Element("testsuites")
    suites = {}
    for g in graded:
        suite = suites.get(g.entry.exercise)
        if suite is None:
            suite = suites[g.entry.exercise] = ET.SubElement(root, "testsuite", name=g.entry.exercise)
        if g.result is None:
            case = ET.SubElement(suite, "testcase", classname=g.entry.student, name="submission")
            ET.SubElement(case, "error", message=g.error[:200]).text = g.error
            continue
        for task in g.result.tasks:
            case = ET.SubElement(suite, "testcase", classname="%s.%s" % (g.entry.student, g.entry.exercise),
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
        target = os.path.join(folder, g.entry.student, g.entry.exercise)
        os.makedirs(target, exist_ok=True)
        with open(os.path.join(target, "results.json"), "w", encoding="utf-8") as handle:
            if g.result:
                handle.write(report.as_gradescope(g.result))
            elif g.grader_error:   # Gradescope needs a file; no score in it
                handle.write('{"output": %s, "tests": []}' % _json_string(g.error))
            else:
                handle.write('{"score": 0, "output": %s, "tests": []}' % _json_string(g.error))


def write_markdown(graded: list[Graded], path: str) -> None:
    """A Markdown table (for a CI job summary): student, exercise, score, and the tasks not passed."""
    lines = ["| student | exercise | score | not passed |", "|---|---|---|---|"]
    for g in graded:
        if g.result:
            missed = ", ".join(t.name for t in g.result.tasks if not t.passed) or "-"
            lines.append("| %s | %s | %s/%s | %s |" % (g.entry.student, g.entry.exercise, g.result.score,
                                                      g.result.max_score, missed))
        else:
            lines.append("| %s | %s | %s | %s |" % (g.entry.student, g.entry.exercise,
                                                    "grader error" if g.grader_error else "unreadable",
                                                           g.error.replace("|", "/")[:120]))
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


def write_html(graded: list[Graded], folder: str) -> None:
    """FOLDER/<student>-<exercise>.html for each submission, and FOLDER/class.html."""
    from . import html
    os.makedirs(folder, exist_ok=True)
    for g in graded:
        if g.result:
            with open(os.path.join(folder, "%s-%s.html" % (g.entry.student, g.entry.exercise)), "w",
                      encoding="utf-8") as handle:
                handle.write(html.student_report(g.result, g.entry.path))
    with open(os.path.join(folder, "class.html"), "w", encoding="utf-8") as handle:
        handle.write(html.class_report(graded))


def _json_string(text: str) -> str:
    import json
    return json.dumps(text)
