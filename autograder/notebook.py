"""Grading from inside a Jupyter kernel: students' check() and nbgrader's test cells.

``check("ex1")`` grades the cells run so far on the public cases and shows the
report (HTML in Jupyter, text elsewhere). The hidden part of each nbgrader test cell calls ``grade_hidden("ex1",
"conv2d")``: the code the kernel has executed so far is graded in the sandbox,
on the public and hidden cases, and an AssertionError carrying the feedback is
raised unless the task earns full marks. The student's code still runs only in
the child process, never in the kernel that holds the grader.
"""
from __future__ import annotations

import os
from dataclasses import replace

from . import exercises, grading, report
from .sandbox import bwrap_path
from .submission import Submission

MARKER = "grade_hidden("


def executed_cells() -> list[str]:
    """The sources of the cells this IPython kernel has run, minus grading cells."""
    return _executed()[0]


def _executed(keep=lambda cell: MARKER not in cell) -> tuple[list[str], list[str]]:
    """(sources, labels): the cells this kernel has run, each labelled ``In [n]`` as Jupyter shows it."""
    try:
        shell = get_ipython()  # type: ignore[name-defined]  # noqa: F821 - defined inside IPython
    except NameError:
        raise RuntimeError("grade_hidden() and check() run inside a Jupyter notebook") from None
    history = shell.user_ns.get("In", [])
    kept = [(cell, "In [%d]" % n) for n, cell in enumerate(history) if cell and keep(cell)]
    return [cell for cell, _ in kept], [label for _, label in kept]


def grade_hidden(exercise: str, task: str, seed: int | None = None) -> float:
    """Grade one task of the code run so far; raise AssertionError unless it earns full marks.

    seed: the hidden cases' seed; default the environment's CNN_GRADER_SEED, else 0.
    Returns the task's score.
    """
    definition = exercises.load(exercise)
    one = replace(definition, tasks=(definition.task(task),))
    if seed is None:
        seed = int(os.environ.get("CNN_GRADER_SEED", "0"))
    cells, labels = _executed()
    submission = Submission("<notebook>", cells, labels=labels)
    result = grading.grade(one, submission, hidden=True, seed=seed, isolate=bool(bwrap_path()))
    task_result = result.tasks[0]
    if not task_result.passed:
        raise AssertionError("%s: %s/%d\n%s" % (task, task_result.score, task_result.max_score,
                                                report.task_feedback(task_result)))
    return task_result.score


class CheckReport:
    """What ``check()`` returns: rich HTML in Jupyter, plain text elsewhere."""

    def __init__(self, result):
        self.result = result

    @property
    def passed(self) -> bool:
        return all(task.passed for task in self.result.tasks)

    def __str__(self) -> str:
        return report.text(self.result, "this notebook")

    __repr__ = __str__

    def _repr_html_(self) -> str:
        from . import html
        page = html.student_report(self.result, "this notebook")
        body = page[page.index("<body>") + len("<body>"):page.index("</body>")]
        # every rule scoped to the report's own container: the notebook's page keeps its own styles
        return '<div class="cnn-report"><style>%s</style>%s</div>' % (html.scoped_style(".cnn-report"), body)


def check(exercise: str, task: str | None = None) -> CheckReport:
    """Check the code this notebook has run so far against the public cases, in the sandbox.

    In a cell: ``from autograder.notebook import check; check("ex1")``, or
    ``check("ex1", "conv2d")`` for one task. Save nothing first: it uses the
    cells as run. Passing the public checks does not guarantee full marks.
    """
    definition = exercises.load(exercise)
    if task is not None:
        definition = replace(definition, tasks=(definition.task(task),))
    cells, labels = _executed(lambda cell: MARKER not in cell and ("check(" not in cell or "def " in cell))
    result = grading.grade(definition, Submission("<notebook>", cells, labels=labels), hidden=False,
                           isolate=bool(bwrap_path()))
    return CheckReport(result)
