"""The exercise notebooks: up to date, points matching the declarations, solutions and samples
graded as they should be, and the released starter gradable (zero, with a clear message)."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import exercises, grading
from autograder.submission import load

REPO = Path(__file__).resolve().parent.parent
NUMPY_EXERCISES = ["ex1", "ex2", "ex3"]


def test_committed_notebooks_are_what_the_builder_makes():
    result = subprocess.run([sys.executable, "exercises/build_notebooks.py", "--check"], cwd=REPO,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("key", NUMPY_EXERCISES)
def test_points_in_notebook_match_the_declaration(key):
    notebook = json.loads((REPO / "exercises" / key / ("%s.ipynb" % key)).read_text())
    points = {c["metadata"]["nbgrader"]["grade_id"]: c["metadata"]["nbgrader"]["points"]
              for c in notebook["cells"] if c["metadata"].get("nbgrader", {}).get("grade")}
    assert points == {"test_" + t.name: t.points for t in exercises.load(key).tasks}
    assert notebook["cells"] and all(c["metadata"]["nbgrader"]["schema_version"] == 3
                                     for c in notebook["cells"] if "nbgrader" in c["metadata"])


@pytest.mark.parametrize("key", NUMPY_EXERCISES)
def test_solutions_and_correct_sample_get_full_marks(key):
    for path in (REPO / "exercises" / key / ("%s.ipynb" % key), REPO / "exercises" / key / "samples" / "correct.ipynb"):
        result = grading.grade(exercises.load(key), load(str(path)), hidden=True, seed=5)
        assert result.score == result.max_score, (path, [(t.name, t.score) for t in result.tasks])


@pytest.mark.parametrize("key, mistakes", [("ex1", {"conv2d_single": "flipped-kernel", "conv2d": "flipped-kernel"}),
                                           ("ex2", {"conv2d_strided": "symmetric-same"}),
                                           ("ex3", {"pool2d": "stride-one"})])
def test_wrong_sample_is_told_its_mistake(key, mistakes):
    result = grading.grade(exercises.load(key), load(str(REPO / "exercises" / key / "samples" / "wrong.ipynb")),
                           hidden=True, seed=5)
    for task in result.tasks:
        if task.name in mistakes:
            assert mistakes[task.name] in [m.key for m in task.misconceptions], task.name
    assert result.score < result.max_score


@pytest.mark.parametrize("key", NUMPY_EXERCISES)
def test_released_starter_scores_zero_with_a_clear_message(key, tmp_path):
    import nbformat
    from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions
    notebook = nbformat.read(str(REPO / "exercises" / key / ("%s.ipynb" % key)), as_version=4)
    for preprocessor in (ClearSolutions(), ClearHiddenTests()):
        notebook, _ = preprocessor.preprocess(notebook, {})
    path = tmp_path / ("%s.ipynb" % key)
    nbformat.write(notebook, str(path))
    assert "BEGIN SOLUTION" not in path.read_text() and "grade_hidden" not in path.read_text()
    result = grading.grade(exercises.load(key), load(str(path)), hidden=False)
    assert result.score == 0
    assert all("not implemented yet" in str([c.verdict.message for c in t.cases]) for t in result.tasks)
