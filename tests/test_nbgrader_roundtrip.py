"""nbgrader for real: the course directory from autograder/course.py through nbgrader's own commands.

generate_assignment -> autograde (hidden tests call the sandboxed grader) ->
generate_feedback (no hidden tests, no hidden values) -> export; and the batch
grader's scores written into the gradebook, as nbgrader export sees them.
No mocks: every step runs the installed nbgrader (about 30 s in all).
"""
import csv
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from autograder import batch, exercises, grading
from autograder.course import gradebook_url, prepare_course, write_gradebook
from autograder.sandbox import Limits, bwrap_path

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "exercises" / "ex1" / "samples"
STUDENTS = {"alice": "correct", "bob": "wrong", "carol": "hidden-only bug"}


def nbgrader(root, *args, timeout=300):
    """Run ``nbgrader ARGS`` in the course directory, as an instructor would."""
    env = dict(os.environ, PYTHONPATH=str(REPO))   # the project is not pip-installed here
    env.pop("CNN_GRADER_SEED", None)                # hidden cases from seed 0, as asserted below
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=root, env=env,
                            capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, "nbgrader %s failed:\n%s\n%s" % (" ".join(args), result.stdout,
                                                                     result.stderr[-5000:])
    return result


def hidden_only_bug():
    """correct.ipynb, but to_unit_range divides by the image's maximum instead of 255.

    The notebook's visible tests pass (their images contain 255); hidden cases fail.
    """
    notebook = nbformat.read(str(SAMPLES / "correct.ipynb"), as_version=4)
    cell = next(c for c in notebook.cells if c.get("id") == "to_unit_range_solution")
    changed = cell.source.replace("result = result / 255\n", "result = result / result.max()\n")
    assert changed != cell.source, "correct.ipynb changed: update hidden_only_bug()"
    cell.source = changed
    return notebook


def submit(root, student, notebook_path=None, notebook=None):
    folder = Path(root) / "submitted" / student / "ex1"
    folder.mkdir(parents=True, exist_ok=True)
    if notebook is not None:
        nbformat.write(notebook, str(folder / "ex1.ipynb"))
    else:
        shutil.copyfile(notebook_path, folder / "ex1.ipynb")
    (folder / "timestamp.txt").write_text("2024-05-06 10:00:00.000000 UTC")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = prepare_course(str(tmp_path_factory.mktemp("course")), ["ex1"])
    nbgrader(root, "generate_assignment", "ex1", "--force")
    submit(root, "alice", SAMPLES / "correct.ipynb")
    submit(root, "bob", SAMPLES / "wrong.ipynb")
    submit(root, "carol", notebook=hidden_only_bug())
    nbgrader(root, "autograde", "ex1")
    nbgrader(root, "generate_feedback", "ex1")
    return Path(root)


def code_lines(notebook):
    return {line.strip() for cell in notebook.cells if cell.cell_type == "code"
            for line in cell.source.splitlines() if line.strip()}


def solution_only_lines(source):
    """Lines inside BEGIN/END SOLUTION regions that appear nowhere else in the source notebook."""
    inside, outside, within = set(), set(), False
    for cell in source.cells:
        for line in cell.source.splitlines():
            stripped = line.strip()
            if "BEGIN SOLUTION" in stripped:
                within = True
            elif "END SOLUTION" in stripped:
                within = False
            elif stripped:
                (inside if within else outside).add(stripped)
    return inside - outside


def test_prepare_course_writes_config_and_sources_and_is_idempotent(tmp_path):
    root = prepare_course(str(tmp_path / "c"), ["ex1", "ex2"])
    files = sorted(str(p.relative_to(root)) for p in Path(root).rglob("*") if p.is_file())
    assert files == ["nbgrader_config.py", "source/ex1/ex1.ipynb", "source/ex2/ex2.ipynb"]
    config = (Path(root) / "nbgrader_config.py").read_text()
    assert "c.CourseDirectory.root = %r" % root in config
    assert "c.CourseDirectory.db_url = %r" % gradebook_url(root) in config
    assert (Path(root) / "source/ex1/ex1.ipynb").read_bytes() == (REPO / "exercises/ex1/ex1.ipynb").read_bytes()
    stamps = {p: p.stat().st_mtime_ns for p in Path(root).rglob("*") if p.is_file()}
    assert prepare_course(root, ["ex1", "ex2"]) == root
    assert {p: p.stat().st_mtime_ns for p in Path(root).rglob("*") if p.is_file()} == stamps
    with pytest.raises(FileNotFoundError):
        prepare_course(root, ["ex99"])


def test_release_has_no_solution_and_no_hidden_test(course):
    release = nbformat.read(str(course / "release" / "ex1" / "ex1.ipynb"), as_version=4)
    source = nbformat.read(str(REPO / "exercises" / "ex1" / "ex1.ipynb"), as_version=4)
    text = (course / "release" / "ex1" / "ex1.ipynb").read_text()
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN", "grade_hidden", "autograder"):
        assert marker not in text, marker
    secret = solution_only_lines(source)
    assert len(secret) > 20, "the source notebook should have solution code"
    assert not secret & code_lines(release), sorted(secret & code_lines(release))
    assert "raise NotImplementedError()" in text
    graded = [c.metadata["nbgrader"]["grade_id"] for c in release.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert graded == ["test_to_unit_range", "test_conv2d_single", "test_conv2d"]


def test_autograde_scores_in_the_gradebook(course):
    from nbgrader.api import Gradebook
    with Gradebook(gradebook_url(course)) as gb:
        scores = {s: gb.find_submission("ex1", s).score for s in STUDENTS}
        max_score = gb.find_assignment("ex1").max_score
        carol = {g.name: g.auto_score for g in gb.find_submission_notebook("ex1", "ex1", "carol").grades}
    assert max_score == 10
    assert scores["alice"] == 10, scores
    assert 0 < scores["bob"] < 10, scores
    # carol passes every visible test; only the hidden part of test_to_unit_range fails
    assert carol == {"test_to_unit_range": 0, "test_conv2d_single": 4, "test_conv2d": 4}


def _html_text(path):
    return re.sub(r"<[^>]+>", " ", path.read_text())


def _printed(values):
    """A regex for consecutive values as NumPy prints them (4 decimals, trailing zeros trimmed)."""
    parts = [re.escape(np.format_float_positional(float(v), precision=4, trim=".")) for v in values]
    return re.compile(r"\s+".join(parts))


def test_feedback_shows_no_hidden_test_and_no_hidden_value(course):
    pages = {s: course / "feedback" / s / "ex1" / "ex1.html" for s in STUDENTS}
    for student, page in pages.items():
        html = page.read_text()
        for secret in ("grade_hidden", "BEGIN HIDDEN", "END HIDDEN", "autograder", "Traceback (most recent"):
            assert secret not in html, (student, secret)
    # carol's hidden failures are explained by the kind of input ...
    carol = _html_text(pages["carol"])
    assert "hidden case: uint8 array of shape 7" in carol
    assert "Images are numbers" in carol
    # ... and never by the values: neither the inputs, nor what was expected, nor what came back
    task = exercises.load("ex1").task("to_unit_range")
    hidden = [c for c in grading.cases_for(task, hidden=True, seed=0) if c.hidden]
    assert hidden
    for case in hidden:
        pixels = np.asarray(case.args[0]).ravel()
        if pixels.min() == pixels.max():
            continue   # a constant image (all 255): its label says it all
        expected, got = pixels / 255, pixels / pixels.max()
        for values in (expected[:3], got[:3]):
            assert not _printed(values).search(carol), (case.label, values)
        assert not re.search(r"\b" + r"\D{1,4}".join(str(int(v)) for v in pixels[:4]) + r"\b", carol), case.label


def _export(root, *options):
    out = Path(root) / "export.csv"
    nbgrader(root, "export", "--to", str(out), *options)
    with open(out, newline="") as handle:
        return {row["student_id"]: row for row in csv.DictReader(handle)}


def _batch(root):
    entries = batch.find_submissions(str(Path(root) / "submitted"), ["ex1"])
    return batch.grade_all(entries, exercises.load, seed=0, per_student=False, jobs=2, limits=Limits(),
                           isolate=bool(bwrap_path()))


def test_write_gradebook_from_scratch_is_what_nbgrader_export_shows(tmp_path):
    root = prepare_course(str(tmp_path / "course"), ["ex1"])   # no generate_assignment, no autograde
    submit(root, "alice", SAMPLES / "correct.ipynb")
    submit(root, "bob", SAMPLES / "wrong.ipynb")
    broken = Path(root) / "submitted" / "dave" / "ex1"
    broken.mkdir(parents=True)
    (broken / "ex1.ipynb").write_bytes(b"\x00not a notebook")
    graded = _batch(root)
    ours = {g.entry.student: g for g in graded}
    assert ours["alice"].result.score == 10 and 0 < ours["bob"].result.score < 10 and ours["dave"].result is None

    assert write_gradebook(graded, gradebook_url(root)) == 3
    # a file path works too; the second write updates, never duplicates
    assert write_gradebook(graded, os.path.join(root, "gradebook.db")) == 3
    rows = _export(root)
    assert set(rows) == {"alice", "bob", "dave"}
    for student, g in ours.items():
        assert float(rows[student]["score"]) == pytest.approx(g.result.score if g.result else 0), student
        assert float(rows[student]["max_score"]) == 10
    assert rows["alice"]["timestamp"].startswith("2024-05-06 10:00:00")

    from nbgrader.api import Gradebook
    with Gradebook(gradebook_url(root)) as gb:
        grades = {g.name: (g.auto_score, g.max_score, g.needs_manual_grade)
                  for g in gb.find_submission_notebook("ex1", "ex1", "bob").grades}
    bob = {t.name: t for t in ours["bob"].result.tasks}
    assert grades == {"test_" + name: (t.score, t.max_score, False) for name, t in bob.items()}


def test_write_gradebook_over_nbgrader_autograde(course, tmp_path):
    """After nbgrader autograde, our scores replace nbgrader's all-or-nothing cell scores,
    and each task's feedback becomes the comment formgrader shows under the solution cell."""
    db = tmp_path / "gradebook.db"
    shutil.copyfile(course / "gradebook.db", db)   # leave the shared course as autograde left it
    url = "sqlite:///%s" % db
    graded = _batch(course)
    write_gradebook(graded, url)
    from nbgrader.api import Gradebook
    with Gradebook(url) as gb:
        for g in graded:
            assert gb.find_submission("ex1", g.entry.student).score == pytest.approx(g.result.score)
        comment = gb.find_comment("conv2d_single_solution", "ex1", "ex1", "bob").auto_comment
        assert "flipped" in comment
        assert gb.find_comment("conv2d_single_solution", "ex1", "ex1", "alice").auto_comment.startswith("all ")
