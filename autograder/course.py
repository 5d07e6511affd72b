"""nbgrader, for real: a course directory built from ``exercises/``, and batch results in its gradebook.

    prepare_course(root, keys)      ROOT/nbgrader_config.py, ROOT/source/<exN>/<exN>.ipynb (+ assets)
    write_gradebook(graded, db_url) the scores of ``cli.py grade`` as nbgrader autograded scores

In the course directory every nbgrader command works as usual
(``generate_assignment``, ``autograde``, ``generate_feedback``, ``export``,
formgrader). The generated ``nbgrader_config.py`` also

- makes this project importable, for nbgrader and for the kernels it starts
  (the hidden test cells call ``autograder.notebook.grade_hidden``), so
  ``nbgrader autograde`` needs no ``pip install -e .`` nor ``PYTHONPATH``;
- makes ``nbgrader generate_feedback`` drop the hidden-test regions and the
  tracebacks of graded cells (nbgrader's default feedback shows the autograded
  notebook, hidden tests included). Only the failure message stays, and for a
  hidden case it names the kind of input and the likely mistake, never the values.
"""
from __future__ import annotations

import filecmp
import os
import shutil
import warnings
from typing import Iterable

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXERCISES_DIR = os.path.join(REPO, "exercises")
GRADEBOOK = "gradebook.db"
#: files in exercises/<exN>/ that are the notebook's sources, not assets shipped with it
NOT_ASSETS = {"content.py", "samples", "__pycache__"}

FEEDBACK_PREPROCESSORS = [
    "nbgrader.preprocessors.GetGrades",                    # nbgrader's default ...
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",   # ... pair, then ours:
    "nbgrader.preprocessors.ClearHiddenTests",
    "autograder.course.HideGraderTracebacks",
]

CONFIG = '''\
# nbgrader configuration of this course, written by autograder/course.py
# (python cli.py course --out DIR). Running that again rewrites this file.
import os
import sys

c = get_config()  # noqa: F821 - provided by nbgrader
c.CourseDirectory.root = {root!r}
c.CourseDirectory.db_url = {db_url!r}

# The hidden test cells call autograder.notebook.grade_hidden: make the grader
# importable here and in the kernels nbgrader starts (they inherit PYTHONPATH).
REPO = {repo!r}
if REPO not in sys.path:
    sys.path.insert(0, REPO)
_path = os.environ.get("PYTHONPATH", "")
if REPO not in _path.split(os.pathsep):
    os.environ["PYTHONPATH"] = REPO + (os.pathsep + _path if _path else "")

# Feedback: no hidden tests, and only the message of a failed graded cell, no traceback.
c.GenerateFeedback.preprocessors = {preprocessors!r}
'''


class HideGraderTracebacks(Preprocessor):
    """Feedback: in graded cells, an error output keeps ``ename: evalue`` and loses its traceback.

    The traceback of a failed hidden test would show the hidden cell's source
    and the grader's frames; its message is written for students.
    """

    enabled = Bool(True).tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and cell.get("metadata", {}).get("nbgrader", {}).get("grade"):
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output["traceback"] = ["%s: %s" % (output.get("ename", "Error"), output.get("evalue", ""))]
        return cell, resources


def available_exercises() -> list[str]:
    """The exercises with an nbgrader source notebook (exercises/<exN>/<exN>.ipynb), in order."""
    keys = [name for name in os.listdir(EXERCISES_DIR)
            if os.path.isfile(os.path.join(EXERCISES_DIR, name, name + ".ipynb"))]
    return sorted(keys, key=lambda k: (len(k), k))


def prepare_course(root: str, keys: Iterable[str] | None = None) -> str:
    """Create or update the nbgrader course directory ``root``; return its absolute path.

    Writes ``root/nbgrader_config.py`` (course root, a sqlite gradebook inside
    ``root``, this project importable, feedback without hidden tests) and copies
    ``exercises/<exN>/<exN>.ipynb`` with its assets to ``root/source/<exN>/``.
    keys: the exercises (default: every one with a notebook). Idempotent: files
    already up to date are left untouched, and nothing else in ``root`` is touched.
    """
    root = os.path.abspath(root)
    keys = list(keys) if keys is not None else available_exercises()
    for key in keys:
        if not os.path.isfile(os.path.join(EXERCISES_DIR, key, key + ".ipynb")):
            raise FileNotFoundError("no nbgrader source notebook exercises/%s/%s.ipynb" % (key, key))
    os.makedirs(root, exist_ok=True)
    config = CONFIG.format(root=root, db_url=gradebook_url(root), repo=REPO,
                           preprocessors=FEEDBACK_PREPROCESSORS)
    _write_if_changed(os.path.join(root, "nbgrader_config.py"), config)
    for key in keys:
        source = os.path.join(EXERCISES_DIR, key)
        target = os.path.join(root, "source", key)
        for name in sorted(os.listdir(source)):
            if name in NOT_ASSETS or name.startswith(".") or name.endswith(".pyc"):
                continue
            _copy_if_changed(os.path.join(source, name), os.path.join(target, name))
    return root


def gradebook_url(root: str) -> str:
    """The sqlite URL of the gradebook of the course directory ``root``."""
    return "sqlite:///" + os.path.join(os.path.abspath(root), GRADEBOOK)


def as_db_url(value: str) -> str:
    """A database URL as given (``sqlite:///...``, ``postgresql://...``), or a file path as a sqlite URL."""
    return value if "://" in value else "sqlite:///" + os.path.abspath(value)


def _write_if_changed(path, text):
    try:
        with open(path, encoding="utf-8") as handle:
            if handle.read() == text:
                return
    except OSError:
        pass
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def _copy_if_changed(source, target):
    if os.path.isdir(source):
        os.makedirs(target, exist_ok=True)
        for name in sorted(os.listdir(source)):
            if not name.startswith(".") and name != "__pycache__":
                _copy_if_changed(os.path.join(source, name), os.path.join(target, name))
        return
    if os.path.isfile(target) and filecmp.cmp(source, target, shallow=False):
        return
    os.makedirs(os.path.dirname(target), exist_ok=True)
    shutil.copyfile(source, target)


# ----------------------------------------------------------------------------
# the gradebook

def write_gradebook(graded: list, db_url: str) -> int:
    """Write batch results (autograder.batch.Graded) into nbgrader's gradebook at ``db_url``.

    db_url: a database URL (nbgrader's ``CourseDirectory.db_url``) or the path of a sqlite file.

    For each student and exercise ``exN``: the student and the submission of
    assignment ``exN`` are created if needed, and each task's score becomes the
    autograded score of grade cell ``test_<task>`` in notebook ``exN`` (manual
    scores are kept; as in ``nbgrader autograde``, a grade with a manual score
    is flagged for review). The task's feedback becomes the automatic comment
    of its solution cell ``<task>_solution`` where nbgrader has one. An
    unreadable submission scores 0 on every task, with the reason as comment.
    Assignments, notebooks and grade cells missing from the gradebook (no
    ``nbgrader generate_assignment`` yet) are created from the declarations.
    Returns the number of submissions written.
    """
    from nbgrader.api import Gradebook, MissingEntry

    from . import exercises, report

    declarations = {}
    for g in graded:
        if g.result is not None:
            declarations.setdefault(g.entry.exercise, g.result.exercise)
    for g in graded:
        if g.entry.exercise not in declarations:
            declarations[g.entry.exercise] = exercises.load(g.entry.exercise)

    with Gradebook(as_db_url(db_url)) as gb, warnings.catch_warnings():
        # nbgrader's add_submission makes SQLAlchemy warn about autoflush (it does in autograde too)
        warnings.filterwarnings("ignore", message=".* not in session, add operation along")
        for key, exercise in declarations.items():
            _ensure_assignment(gb, key, exercise, MissingEntry)
        for g in graded:
            if getattr(g, "grader_error", False):   # not the student's failure: no score, keep what is there
                continue
            key, student = g.entry.exercise, g.entry.student
            gb.update_or_create_student(student)
            timestamp = _timestamp(g.entry.path)
            gb.update_or_create_submission(key, student, **({"timestamp": timestamp} if timestamp else {}))
            results = {t.name: t for t in g.result.tasks} if g.result else {}
            for task in declarations[key].tasks:
                result = results.get(task.name)
                grade = _find_or_add_grade(gb, "test_" + task.name, key, student, MissingEntry)
                grade.auto_score = float(result.score) if result else 0.0
                grade.needs_manual_grade = grade.manual_score is not None
                try:
                    comment = gb.find_comment(task.name + "_solution", key, key, student)
                except MissingEntry:
                    continue
                comment.auto_comment = (report.task_feedback(result) if result
                                        else "not graded: %s" % (g.error or "the submission could not be read"))
            gb.db.commit()
    return sum(1 for g in graded if not getattr(g, "grader_error", False))


def _ensure_assignment(gb, key, exercise, missing):
    gb.update_or_create_assignment(key)
    try:
        gb.find_notebook(key, key)
    except missing:
        gb.add_notebook(key, key)
    for task in exercise.tasks:
        try:
            gb.find_grade_cell("test_" + task.name, key, key)
        except missing:
            gb.add_grade_cell("test_" + task.name, key, key, max_score=float(task.points), cell_type="code")


def _find_or_add_grade(gb, cell, key, student, missing):
    """The Grade of ``cell``; created when the submission predates the grade cell."""
    try:
        return gb.find_grade(cell, key, key, student)
    except missing:
        from nbgrader.api import Grade
        notebook = gb.find_submission_notebook(key, key, student)
        grade = Grade(cell_id=gb.find_grade_cell(cell, key, key).id, notebook=notebook)
        gb.db.add(grade)
        gb.db.flush()
        return grade


def _timestamp(path):
    """nbgrader's submitted/<student>/<exN>/timestamp.txt next to the notebook, if any."""
    try:
        with open(os.path.join(os.path.dirname(path), "timestamp.txt"), encoding="utf-8") as handle:
            text = handle.read().strip()
    except OSError:
        return None
    from nbgrader.utils import parse_utc
    try:
        parse_utc(text)
    except Exception:  # noqa: BLE001 - a malformed timestamp is ignored, as nbgrader would warn
        return None
    return text
