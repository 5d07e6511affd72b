#!/usr/bin/env python3
"""The front door: check your work, grade submissions, list the exercises.

    python cli.py list
    python cli.py check ex1                    # your ex1.ipynb, public checks
    python cli.py check pooling my_ex3.py
    python cli.py grade ex3 SUBMISSION --format json
"""
from __future__ import annotations

import os
import sys

import click

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from autograder import exercises  # noqa: E402
from autograder.sandbox import Limits, SandboxUnavailable, bwrap_path  # noqa: E402
from autograder.submission import SubmissionError, load  # noqa: E402

INSTALL_SANDBOX = ("Grading with hidden cases runs student code in a bubblewrap sandbox, which is not "
                   "installed. Install it (Debian/Ubuntu: sudo apt-get install bubblewrap), or pass "
                   "--allow-unisolated to grade without isolation on a machine you trust.")


class ExerciseName(click.ParamType):
    """An exercise key or topic: ex3, 3 or pooling."""

    name = "EXERCISE"

    def convert(self, value, param, ctx):
        try:
            return exercises.resolve(value)
        except exercises.UnknownExercise as exc:
            self.fail(str(exc), param, ctx)


EXERCISE = ExerciseName()


def _limits(timeout, memory):
    return Limits(task_seconds=timeout, memory_mb=memory)


def _limit_options(function):
    function = click.option("--timeout", default=Limits.task_seconds, show_default=True, type=click.FloatRange(0.1),
                            help="Wall-clock seconds allowed per task.")(function)
    function = click.option("--memory", default=Limits.memory_mb, show_default=True, type=click.IntRange(64),
                            help="Memory limit per task, in MiB.")(function)
    return function


def _find_submission(key):
    """The student's file for ``key`` in the documented places, or None."""
    for candidate in ("%s.ipynb" % key, "%s.py" % key, os.path.join(key, "%s.ipynb" % key),
                      os.path.join(key, "%s.py" % key)):
        if os.path.isfile(candidate):
            return candidate
    return None


def _load(path):
    try:
        return load(path)
    except SubmissionError as exc:
        raise click.UsageError("cannot read the submission: %s" % exc) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli():
    """Exercises on convolutional neural networks, checked and graded safely.

    Students: fill in exN.ipynb and run `python cli.py check exN`.
    Instructors and CI: `python cli.py grade exN SUBMISSION` adds the hidden cases.
    """


@cli.command("list")
def list_exercises():
    """List the exercises, their tasks and points."""
    for key in exercises.CATALOG:
        exercise = exercises.load(key)
        click.echo(click.style("%s  %s  (%s)  %d points" % (key, exercise.title, exercise.topic,
                                                           exercise.max_score), bold=True))
        for task in exercise.tasks:
            click.echo("    %-24s %d" % (task.name, task.points))


@cli.command()
@click.argument("exercise", type=EXERCISE)
@click.argument("submission", required=False, type=click.Path(dir_okay=False))
@_limit_options
def check(exercise, submission, timeout, memory):
    """Check SUBMISSION against the public cases of EXERCISE.

    EXERCISE is ex1 ... ex3 or its topic (convolution, padding, pooling).
    Without SUBMISSION, looks for EXERCISE.ipynb, then EXERCISE.py, in the
    current folder and then in a folder named EXERCISE.

    Exits 0 if every public check passes, 1 if some fail, 2 on a usage error.
    """
    from autograder import grading, report

    if submission is None:
        submission = _find_submission(exercise)
        if submission is None:
            raise click.UsageError("no %s.ipynb or %s.py here or in ./%s/; give the path: "
                                   "python cli.py check %s PATH" % (exercise, exercise, exercise, exercise))
    loaded = _load(submission)
    result = grading.grade(exercises.load(exercise), loaded, hidden=False, limits=_limits(timeout, memory),
                           isolate=bool(bwrap_path()))
    click.echo(report.text(result, submission, color=sys.stdout.isatty()))
    sys.exit(0 if all(t.passed for t in result.tasks) else 1)


@cli.command()
@click.argument("exercise", type=EXERCISE)
@click.argument("submission", type=click.Path(dir_okay=False))
@click.option("--seed", default=0, show_default=True, type=int,
              help="Seed of the hidden cases (use a per-student seed to vary them).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "gradescope"]), default="text",
              show_default=True, help="Output: a readable report, the JSON contract, or Gradescope's results.json.")
@click.option("--allow-unisolated", is_flag=True,
              help="Grade even if the bubblewrap sandbox is not installed (trusted code only).")
@_limit_options
def grade(exercise, submission, seed, fmt, allow_unisolated, timeout, memory):
    """Grade SUBMISSION on the public and hidden cases of EXERCISE.

    Exits 0 whenever grading completed, whatever the score; 2 for a usage
    error or an unreadable submission.
    """
    from autograder import grading, report

    loaded = _load(submission)
    if not bwrap_path() and not allow_unisolated:
        raise click.UsageError(INSTALL_SANDBOX)
    try:
        result = grading.grade(exercises.load(exercise), loaded, hidden=True, seed=seed,
                               limits=_limits(timeout, memory), isolate=bool(bwrap_path()))
    except SandboxUnavailable:
        raise click.UsageError(INSTALL_SANDBOX) from None
    render = {"text": lambda r: report.text(r, submission, color=sys.stdout.isatty()),
              "json": report.as_json, "gradescope": report.as_gradescope}[fmt]
    click.echo(render(result))


if __name__ == "__main__":
    cli()
