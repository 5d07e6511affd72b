"""docs/authoring.md, followed to the letter: a toy exercise added to a copy of the repository
works in check, grade, release and nbgrader, having touched only its three files."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TOY = REPO / "tests" / "authoring"


@pytest.fixture(scope="module")
def repo_with_toy(tmp_path_factory):
    copy = tmp_path_factory.mktemp("authoring") / "repo"
    shutil.copytree(REPO, copy, ignore=shutil.ignore_patterns(".git", "__pycache__", "tests", "benchmarks"))
    # the three files of docs/authoring.md
    shutil.copy(TOY / "toy_reference.py", copy / "reference" / "toy.py")
    shutil.copy(TOY / "toy_declaration.py", copy / "autograder" / "exercises" / "ex8.py")
    (copy / "exercises" / "ex8").mkdir()
    shutil.copy(TOY / "toy_content.py", copy / "exercises" / "ex8" / "content.py")
    build = subprocess.run([sys.executable, "exercises/build_notebooks.py", "ex8"], cwd=copy,
                           capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stdout + build.stderr
    return copy


def cli(repo, *args, cwd=None):
    return subprocess.run([sys.executable, str(repo / "cli.py"), *map(str, args)], cwd=cwd or repo,
                          capture_output=True, text=True, timeout=300)


def test_toy_is_listed_checked_and_graded(repo_with_toy):
    assert "ex8  A toy exercise  (toy)  10 points" in cli(repo_with_toy, "list").stdout
    samples = repo_with_toy / "exercises" / "ex8" / "samples"
    assert cli(repo_with_toy, "check", "toy", samples / "correct.ipynb").returncode == 0
    graded = json.loads(cli(repo_with_toy, "grade", "ex8", samples / "wrong.ipynb", "--format", "json").stdout)
    assert graded["score"] == 0 and "squared, not doubled" in graded["tasks"][0]["feedback"]


def test_toy_is_in_the_student_kit(repo_with_toy, tmp_path):
    kit = tmp_path / "kit"
    assert cli(repo_with_toy, "release", "--out", kit).returncode == 0
    shutil.copy(repo_with_toy / "exercises" / "ex8" / "samples" / "correct.ipynb", kit / "ex8.ipynb")
    assert cli(kit, "check", "ex8", cwd=kit).returncode == 0


def test_toy_goes_through_the_nbgrader_round_trip(repo_with_toy, tmp_path):
    import os

    from nbgrader.api import Gradebook
    course = tmp_path / "course"
    assert cli(repo_with_toy, "course", "--out", course, "ex8").returncode == 0
    env = dict(os.environ, PYTHONPATH=str(repo_with_toy))

    def nbgrader(*args):
        result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr[-3000:]

    nbgrader("generate_assignment", "ex8", "--force")
    released = (course / "release" / "ex8" / "ex8.ipynb").read_text()
    assert "BEGIN SOLUTION" not in released and "grade_hidden" not in released
    for student, sample in (("ann", "correct"), ("ben", "wrong")):
        folder = course / "submitted" / student / "ex8"
        folder.mkdir(parents=True)
        shutil.copy(repo_with_toy / "exercises" / "ex8" / "samples" / ("%s.ipynb" % sample), folder / "ex8.ipynb")
    nbgrader("autograde", "ex8", "--force")
    with Gradebook("sqlite:///%s" % (course / "gradebook.db")) as gb:
        assert gb.find_submission("ex8", "ann").score == 10
        assert gb.find_submission("ex8", "ben").score == 0
