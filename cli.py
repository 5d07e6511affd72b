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

# One BLAS thread: the grader's arrays are small, and on a shared 2-core machine threads only contend.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import click  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from autograder import exercises, jail  # noqa: E402
from autograder.sandbox import GraderError, Limits  # noqa: E402
from autograder.submission import SubmissionError, load  # noqa: E402

EXIT_NO_JAIL = jail.EXIT_NO_JAIL   # 3: no acceptable jail works here; nothing was graded
EXIT_GRADER_ERROR = 4              # the grader itself failed (a single submission, or rows of a batch)


def _isolation(purpose, allow_unisolated=False):
    """The jail level proven to work here (health check, once per process); exits 3 with the reason if none."""
    try:
        return jail.ensure(allow_unisolated=allow_unisolated, purpose=purpose)
    except jail.JailUnavailable as exc:
        click.echo(str(exc), err=True)
        _exit(EXIT_NO_JAIL)


def _grader_error(exc):
    click.echo("grader error (not the submission's fault; no score was written): %s" % exc, err=True)
    _exit(EXIT_GRADER_ERROR)


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
    from autograder.public import NotInKit

    for key in exercises.catalog():
        try:
            exercise = exercises.load(key)
        except NotInKit as exc:
            click.echo("%s  %s" % (key, exc))
            continue
        click.echo(click.style("%s  %s  (%s)  %d points" % (key, exercise.title, exercise.topic,
                                                           exercise.max_score), bold=True))
        for task in exercise.tasks:
            click.echo("    %-24s %d" % (task.name, task.points))


@cli.command()
@click.argument("exercise", type=EXERCISE)
@click.argument("submission", required=False, type=click.Path(dir_okay=False))
@click.option("--html", "html_path", type=click.Path(dir_okay=False),
              help="Also write an HTML report, with pictures of input, expected, got and difference.")
@_limit_options
def check(exercise, submission, html_path, timeout, memory):
    """Check SUBMISSION against the public cases of EXERCISE.

    EXERCISE is ex1 ... ex7 or its topic (convolution, padding, pooling,
    augmentation, residual, features, finetuning); `python cli.py list`
    shows them all.
    Without SUBMISSION, looks for EXERCISE.ipynb, then EXERCISE.py, in the
    current folder and then in a folder named EXERCISE.

    Exits 0 if every public check passes, 1 if some fail, 2 on a usage error,
    4 if the grader itself failed.
    """
    from autograder import grading, report

    if submission is None:
        submission = _find_submission(exercise)
        if submission is None:
            raise click.UsageError("no %s.ipynb or %s.py here or in ./%s/; give the path: "
                                   "python cli.py check %s PATH" % (exercise, exercise, exercise, exercise))
    loaded = _load(submission)
    from autograder.public import NotInKit

    try:
        definition = exercises.load(exercise)
    except NotInKit as exc:
        raise click.UsageError(str(exc)) from None
    # Public cases, the student's own code on the student's own machine: where no jail works, run it
    # unisolated rather than refuse, and say so (grading never does this without --allow-unisolated).
    isolation = _isolation("check")
    if isolation == jail.NONE:
        click.echo("note: no jail works on this machine (python cli.py jail check says why); your code runs "
                   "unisolated for the public checks, which is safe for code you wrote yourself.", err=True)
    try:
        result = grading.grade(definition, loaded, hidden=False, limits=_limits(timeout, memory),
                               isolate=isolation)
    except GraderError as exc:
        _grader_error(exc)
    click.echo(report.text(result, submission, color=sys.stdout.isatty()))
    if html_path:
        _write_html(html_path, result, submission)
    _exit(0 if all(t.passed for t in result.tasks) else 1)


def _exit(code):
    """Flush and leave at once: with TensorFlow loaded, interpreter teardown takes seconds."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _write_html(path, result, submission):
    from autograder import html

    with open(path, "w", encoding="utf-8") as handle:
        handle.write(html.student_report(result, submission))
    click.echo("HTML report: %s" % path, err=True)


@cli.command()
@click.argument("exercise", metavar="EXERCISE")
@click.argument("submission", type=click.Path(exists=False), required=False)
@click.option("--all", "all_exercises", is_flag=True,
              help="Grade every exercise found in the folder (nbgrader layout); EXERCISE is then the folder.")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of the hidden cases.")
@click.option("--per-student-seed", is_flag=True, help="Batch: vary the hidden cases per student (seed + name).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "gradescope"]), default="text",
              show_default=True, help="Output for one submission: a readable report, the JSON contract, "
              "or Gradescope's results.json.")
@click.option("-j", "--jobs", default=os.cpu_count() or 1, show_default=True, type=click.IntRange(1),
              help="Batch: submissions graded in parallel.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), help="Batch: write scores as CSV.")
@click.option("--junit", "junit_path", type=click.Path(dir_okay=False), help="Batch: write JUnit XML.")
@click.option("--markdown", "markdown_path", type=click.Path(dir_okay=False),
              help="Batch: write a Markdown summary table (e.g. to $GITHUB_STEP_SUMMARY).")
@click.option("--gradescope-dir", type=click.Path(file_okay=False),
              help="Batch: write DIR/<student>/<exercise>/results.json.")
@click.option("--gradebook", metavar="DB_URL",
              help="Batch: write the scores into nbgrader's gradebook (sqlite:///course/gradebook.db, or a "
              "sqlite file) as the autograded scores of the cells test_<task>.")
@click.option("--html", "html_path", type=click.Path(),
              help="One submission: write its HTML report there. Batch: a folder for one report per "
              "student and exercise, plus class.html, the class picture (score distribution, pass "
              "rate per task, misconceptions seen).")
@click.option("--allow-unisolated", is_flag=True,
              help="Grade even if no jail works here (isolation: none; trusted code only).")
@click.option("--no-memo", is_flag=True,
              help="Batch: judge every submission from scratch, instead of judging an answer many students "
                   "gave once (slower; the same verdicts).")
@_limit_options
def grade(exercise, submission, all_exercises, seed, per_student_seed, fmt, jobs, csv_path, junit_path,
          markdown_path, gradescope_dir, gradebook, html_path, allow_unisolated, no_memo, timeout, memory):
    """Grade SUBMISSION on the public and hidden cases of EXERCISE.

    SUBMISSION is a notebook or .py file, or a folder of them: either
    FOLDER/<student>.ipynb, or nbgrader's FOLDER/<student>/<exercise>/*.ipynb.
    A folder is graded in parallel with a progress bar, and a summary is
    printed; --csv, --junit and --gradescope-dir write the results.

    \b
    python cli.py grade ex3 alice.ipynb --format json
    python cli.py grade ex3 submitted/ --csv grades.csv --junit grades.xml
    python cli.py grade --all submitted/ --per-student-seed

    Exits 0 whenever grading completed, whatever the scores; 2 for a usage
    error or an unreadable single submission; 3 if no jail for student code
    works here (nothing graded; `python cli.py jail check` says why); 4 if
    the grader itself failed (for a folder: some rows are "grader error").
    """
    if all_exercises:
        if submission is not None:
            raise click.UsageError("with --all, give only the folder: python cli.py grade --all FOLDER")
        keys, submission = list(exercises.catalog()), exercise
    else:
        if submission is None:
            raise click.UsageError("give the submission: python cli.py grade %s SUBMISSION" % exercise)
        keys = [EXERCISE.convert(exercise, None, click.get_current_context())]
    limits = _limits(timeout, memory)
    if os.path.isdir(submission) or os.path.isfile(submission):
        isolation = _isolation("grade", allow_unisolated)
    if os.path.isdir(submission):
        _grade_folder(submission, keys, seed, per_student_seed, jobs, limits, not no_memo, isolation,
                      dict(csv=csv_path, junit=junit_path, markdown=markdown_path, gradescope=gradescope_dir,
                           html=html_path, gradebook=gradebook))
        return
    if gradebook:
        raise click.UsageError("--gradebook needs a folder of submissions (the student is the folder's name)")
    if all_exercises or not os.path.exists(submission):
        raise click.UsageError("%s: no such file or folder" % submission)
    from autograder import grading, report

    loaded = _load(submission)
    try:
        result = grading.grade(exercises.load(keys[0]), loaded, hidden=True, seed=seed, limits=limits,
                               isolate=isolation)
    except GraderError as exc:
        _grader_error(exc)
    render = {"text": lambda r: report.text(r, submission, color=sys.stdout.isatty()),
              "json": report.as_json, "gradescope": report.as_gradescope}[fmt]
    click.echo(render(result))
    if html_path:
        _write_html(html_path, result, submission)
    _exit(0)


def _grade_folder(folder, keys, seed, per_student_seed, jobs, limits, memo, isolation, outputs):
    from autograder import batch, exports

    entries = batch.find_submissions(folder, keys)
    for entry in entries:
        if entry.note:
            click.echo("warning: %s" % entry.note, err=True)
    if not entries:
        raise click.UsageError("no submissions for %s in %s (expected FOLDER/<student>.ipynb or "
                               "FOLDER/<student>/<exercise>/<file>.ipynb)" % (", ".join(keys), folder))
    with click.progressbar(length=len(entries), label="grading %d submissions" % len(entries),
                           file=sys.stderr, show_pos=True) as bar:
        graded = batch.grade_all(entries, exercises.load, seed=seed, per_student=per_student_seed, jobs=jobs,
                                 limits=limits, isolate=isolation, memo=memo,
                                 on_done=lambda g: bar.update(1))
    width = max(len(g.entry.student) for g in graded)
    for g in graded:
        if g.result:
            click.echo("%-*s  %s  %5s/%d" % (width, g.entry.student, g.entry.exercise, g.result.score,
                                             g.result.max_score))
        else:
            click.echo("%-*s  %s  %s: %s" % (width, g.entry.student, g.entry.exercise,
                                             "GRADER ERROR" if g.grader_error else "unreadable", g.error))
    errors = sum(1 for g in graded if g.grader_error)
    click.echo("isolation: %s; %d graded, %d unreadable, %d grader error(s)%s" % (
        isolation, sum(1 for g in graded if g.result), sum(1 for g in graded if not g.result and not g.grader_error),
        errors, " (not scored, not written to the gradebook)" if errors else ""), err=True)
    writers = {"csv": exports.write_csv, "junit": exports.write_junit, "markdown": exports.write_markdown,
               "gradescope": exports.write_gradescope, "html": exports.write_html,
               "gradebook": _write_gradebook}
    for kind, target in outputs.items():
        if target:
            writers[kind](graded, target)
            click.echo("%s: %s" % (kind, target), err=True)
    if errors:
        _exit(EXIT_GRADER_ERROR)


def _write_gradebook(graded, db_url):
    from autograder.course import write_gradebook

    write_gradebook(graded, db_url)


@cli.command()
@click.option("--out", required=True, type=click.Path(file_okay=False),
              help="The course directory to create or update.")
@click.argument("names", nargs=-1, type=EXERCISE, metavar="[EXERCISE]...")
def course(out, names):
    """Create or update an nbgrader course directory OUT from exercises/.

    Writes OUT/nbgrader_config.py (course root, a sqlite gradebook in OUT,
    this project importable by nbgrader and its kernels, feedback without
    hidden tests) and OUT/source/<exN>/ for each EXERCISE (default: every
    exercise with a notebook). Running it again updates only what changed.

    \b
    python cli.py course --out course/
    cd course && nbgrader generate_assignment ex1 && nbgrader autograde ex1
    python cli.py grade --all course/submitted --gradebook course/gradebook.db
    """
    from autograder.course import available_exercises, gradebook_url, prepare_course

    keys = list(dict.fromkeys(names)) or available_exercises()
    try:
        root = prepare_course(out, keys)
    except FileNotFoundError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo("nbgrader course in %s: %s; gradebook %s" % (root, ", ".join(keys), gradebook_url(root)))
    click.echo("next: cd %s && nbgrader generate_assignment %s" % (root, keys[0]))


@cli.command()
@click.argument("exercise", type=EXERCISE)
@click.option("--out", default="autograder.zip", show_default=True, type=click.Path(dir_okay=False),
              help="Where to write the zip.")
def gradescope(exercise, out):
    """Build a Gradescope autograder zip for EXERCISE (setup.sh and run_autograder at its root).

    run_autograder grades /autograder/submission into /autograder/results/results.json
    with the hidden cases.
    """
    from autograder import gradescope as builder

    folder = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(folder):
        raise click.UsageError("cannot write %s: the folder %s does not exist (create it first, or choose "
                               "another --out)" % (out, folder))
    try:
        builder.build_zip(exercise, out, exercises.catalog()[exercise][2])
    except OSError as exc:
        raise click.UsageError("cannot write %s: %s" % (out, exc.strerror or exc)) from None
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("Gradescope autograder for %s: %s" % (exercise, out))


@cli.command()
@click.option("--out", required=True, type=click.Path(file_okay=False), help="A new folder for the kit.")
def release(out):
    """Build the student kit in OUT: released notebooks, cli.py, the engine and public cases.

    The kit holds no reference solution, no hidden case and no solution text;
    the build ends with a leak check and fails loudly if it finds any.
    """
    from autograder import kit

    try:
        checkable = kit.build(out)
    except FileExistsError as exc:
        raise click.UsageError(str(exc)) from None
    except kit.KitLeak as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("student kit in %s; checkable offline: %s" % (out, ", ".join(checkable)))


@cli.group("jail")
def jail_group():
    """The jail student code runs in: check it works here, or set it up (as root)."""


@jail_group.command("check")
def jail_check():
    """Run the health check: print which isolation works here and why.

    Exits 0 if a jail works (namespaces or uid+seccomp), 3 if none does.
    """
    results = jail.check_all()
    for result in results:
        click.echo("%-12s %s  %s" % (result.level, "works" if result.works else "refused", result.why))
    for note in jail.notes():
        click.echo("note: " + note)
    working = [r.level for r in results if r.works]
    if working:
        click.echo("isolation here: %s" % working[0])
        _exit(0)
    click.echo(jail.explain(results), err=True)
    _exit(EXIT_NO_JAIL)


@jail_group.command("setup")
@click.option("--private", "private", multiple=True, type=click.Path(),
              help="Another folder the jail user must not read or write (e.g. /autograder/results).")
def jail_setup(private):
    """As root: create the unprivileged user cnn-jail (idempotent) and make the grader's private files
    (reference/, autograder/exercises/, and each --private folder) unreadable to it. As another user:
    nothing to do (says so, exits 0)."""
    try:
        for line in jail.setup(list(private)):
            click.echo(line)
    except (OSError, subprocess_error()) as exc:
        raise click.ClickException("jail setup failed: %s" % exc) from None


def subprocess_error():
    import subprocess
    return subprocess.CalledProcessError


if __name__ == "__main__":
    cli()
