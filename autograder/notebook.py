"""Grading from inside a Jupyter kernel (nbgrader's autograded test cells).

The hidden part of each nbgrader test cell calls ``grade_hidden("ex1",
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
    try:
        shell = get_ipython()  # type: ignore[name-defined]  # noqa: F821 - defined inside IPython
    except NameError:
        raise RuntimeError("grade_hidden() runs inside a Jupyter notebook") from None
    history = shell.user_ns.get("In", [])
    return [cell for cell in history if cell and MARKER not in cell]


def grade_hidden(exercise: str, task: str, seed: int | None = None) -> float:
    """Grade one task of the code run so far; raise AssertionError unless it earns full marks.

    seed: the hidden cases' seed; default the environment's CNN_GRADER_SEED, else 0.
    Returns the task's score.
    """
    definition = exercises.load(exercise)
    one = replace(definition, tasks=(definition.task(task),))
    if seed is None:
        seed = int(os.environ.get("CNN_GRADER_SEED", "0"))
    submission = Submission("<notebook>", executed_cells())
    result = grading.grade(one, submission, hidden=True, seed=seed, isolate=bool(bwrap_path()))
    task_result = result.tasks[0]
    if not task_result.passed:
        raise AssertionError("%s: %s/%d\n%s" % (task, task_result.score, task_result.max_score,
                                                report.task_feedback(task_result)))
    return task_result.score
