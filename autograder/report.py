"""Render an ExerciseResult: terminal text, the JSON contract, Gradescope's results.json.

Hidden cases are described by their label and the likely mistake only; values
(expected or returned) are printed for public cases alone.
"""
from __future__ import annotations

import json
import sys
import textwrap

from .grading import ExerciseResult, TaskResult, cell_note
from .safetext import FEEDBACK_TEXT, clean  # noqa: F401 - clean is the reports' one sanitiser

HONEST = ("Passing the public checks does not guarantee full marks: grading adds hidden cases "
          "with other sizes, strides and edge cases.")
MAX_CASES_SHOWN = 3


def _fmt(score: float) -> str:
    return ("%.2f" % score).rstrip("0").rstrip(".")


def task_feedback(result: TaskResult, with_values: bool = True) -> str:
    """Plain-text feedback for one task: what failed, why, the likely mistake, where to look.

    Never raises (the catch-all per report), and never holds a control character or more than
    FEEDBACK_TEXT characters, whatever a verdict holds.
    """
    try:
        text = _task_feedback(result, with_values)
    except Exception as exc:  # noqa: BLE001 - a report must be written whatever a result holds
        text = "the grader could not write this task's feedback (%s); its score stands" % type(exc).__name__
    return clean(text, FEEDBACK_TEXT)


def _task_feedback(result: TaskResult, with_values: bool = True) -> str:
    lines = list(result.notes)
    failed = [r for r in result.cases if not r.verdict.passed]
    total = len(result.cases)
    if not failed:
        return "all %d cases passed" % total
    if not result.notes:
        hidden = [r for r in result.cases if r.case.hidden]
        split = ""
        if hidden:
            public_passed = sum(r.verdict.passed for r in result.cases if not r.case.hidden)
            split = " (public %d/%d, hidden %d/%d)" % (
                public_passed, total - len(hidden), sum(r.verdict.passed for r in hidden), len(hidden))
        lines.append("%d of %d cases passed%s" % (total - len(failed), total, split))
        shown_detail = False
        messages = set()
        for case_result in failed:
            case, verdict = case_result.case, case_result.verdict
            if verdict.message in messages or len(messages) >= MAX_CASES_SHOWN:
                continue
            messages.add(verdict.message)
            lines.append("- %s: %s" % ("hidden case" if case.hidden else "case", case.label))
            lines.append("  " + verdict.message)
            if verdict.detail and with_values and not case.hidden and not shown_detail:
                lines.extend("  " + line for line in verdict.detail.splitlines())
                shown_detail = True
        others = len(failed) - len(messages)
        if others:
            lines.append("- %d more failing case(s)%s" % (
                others, " with the same problem" if len(messages) == 1 else ""))
        for m in result.misconceptions:
            lines.append("Likely mistake: %s. %s" % (m.title, m.explanation))
    if result.task.look_at:
        lines.append("Look at: %s" % result.task.look_at)
    return "\n".join(lines)


def _symbols():
    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        "✓✗".encode(encoding)
        return "✓", "✗"
    except (UnicodeEncodeError, LookupError):
        return "PASS", "FAIL"


def text(result: ExerciseResult, submission_path: str, color: bool = False) -> str:
    """The report a student reads in a terminal."""
    def style(s, **kw):
        if not color:
            return s
        import click
        return click.style(s, **kw)

    ok, bad = _symbols()
    ex = result.exercise
    kind = "public and hidden cases" if result.hidden else "public checks"
    out = [style("%s · %s" % (ex.key, ex.title), bold=True), "%s, %s" % (clean(submission_path), kind), ""]
    for warning in result.warnings:
        out.append(style("warning: " + clean(warning), fg="yellow"))
    for problem in result.cell_problems:
        out.append(style("note: " + cell_note(problem), fg="yellow"))
    if result.warnings or result.cell_problems:
        out.append("")
    width = max(len(t.name) for t in result.tasks)
    for task in result.tasks:
        mark = style(ok, fg="green") if task.passed else style(bad, fg="red")
        head = "%s %-*s %5s/%d" % (mark, width, task.name, _fmt(task.score), task.max_score)
        out.append(head)
        if not task.passed:
            for line in task_feedback(task).splitlines():
                if line.startswith("   ") or "[" in line[:4]:   # pre-formatted values
                    out.append("    " + line)
                else:
                    out.extend(textwrap.wrap(line, 100, initial_indent="    ", subsequent_indent="      "))
    out.append("")
    out.append(style("Score: %s/%d" % (_fmt(result.score), result.max_score), bold=True)
               + ("" if result.hidden else " on the public checks"))
    if not result.hidden:
        out.append(HONEST)
    out.append("isolation: %s" % result.isolation)
    if not result.isolated and result.hidden:
        out.append(style("warning: graded without the sandbox (--allow-unisolated)", fg="yellow"))
    return "\n".join(out)


def as_json(result: ExerciseResult) -> str:
    """The JSON contract: exercise, score, max_score, tasks[name, score, max_score, passed, feedback]."""
    return json.dumps({
        "exercise": result.exercise.key,
        "score": result.score,
        "max_score": result.max_score,
        "isolation": result.isolation,
        "warnings": [clean(w) for w in result.warnings] + [cell_note(p) for p in result.cell_problems],
        "tasks": [{"name": t.name, "score": t.score, "max_score": t.max_score, "passed": t.passed,
                   "feedback": task_feedback(t)} for t in result.tasks],
    }, indent=2)


def as_gradescope(result: ExerciseResult) -> str:
    """Gradescope's results.json: score, execution_time, tests[name, score, max_score, output, visibility]."""
    notes = [clean(w) for w in result.warnings] + [cell_note(dict(p, error=None)) for p in result.cell_problems]
    return json.dumps({
        "score": result.score,
        "execution_time": round(result.seconds, 2),
        "output": "\n".join(notes + ["isolation: %s" % result.isolation]) if notes else
                  "Graded %s: %s/%d (isolation: %s)" % (result.exercise.key, _fmt(result.score), result.max_score,
                                                       result.isolation),
        "tests": [{"name": t.name, "score": t.score, "max_score": t.max_score,
                   "output": task_feedback(t), "visibility": "visible"} for t in result.tasks],
    }, indent=2)
