"""The command line as students, instructors and CI use it, malformed submissions included."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "corpus"
CORRECT = CORPUS / "ex1" / "correct_vectorised.py"
FLIPPED = CORPUS / "ex1" / "flipped_kernel.py"


def run(*args, cwd=REPO):
    return subprocess.run([sys.executable, str(REPO / "cli.py"), *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


def notebook(cells, nbformat=4):
    """A notebook with the given (cell_type, source) cells."""
    if nbformat == 3:
        return json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [
            {"cells": [{"cell_type": t, "input" if t == "code" else "source": s, "metadata": {}, "outputs": []}
                       for t, s in cells]}]})
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": t, "source": s, "metadata": {}, **({"outputs": [], "execution_count": None} if t == "code" else {})}
        for t, s in cells]})


def correct_cells():
    """ex1's correct solution split into one cell per function, as a notebook has it."""
    text = CORRECT.read_text()
    head, *functions = text.split("\n\ndef ")
    return [("code", head)] + [("code", "def " + f) for f in functions]


def grade_json(path, *extra):
    result = run("grade", "ex1", path, "--format", "json", *extra)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return json.loads(result.stdout)


# --- the JSON contract, formats and exit codes -------------------------------

def test_grade_json_follows_the_contract():
    report = grade_json(FLIPPED)
    assert set(report) == {"exercise", "score", "max_score", "isolation", "warnings", "tasks"}
    assert report["isolation"] == "namespaces" and report["warnings"] == []
    assert report["exercise"] == "ex1" and report["max_score"] == 10
    assert [t["name"] for t in report["tasks"]] == ["to_unit_range", "conv2d_single", "conv2d"]
    for task in report["tasks"]:
        assert set(task) == {"name", "score", "max_score", "passed", "feedback"}
        assert task["passed"] == (task["score"] == task["max_score"])
    assert report["score"] == pytest.approx(sum(t["score"] for t in report["tasks"]))
    assert "flipped" in report["tasks"][1]["feedback"]


def test_grade_gradescope_format():
    result = run("grade", "ex1", CORRECT, "--format", "gradescope")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["score"] == 10 and isinstance(data["execution_time"], (int, float))
    assert {"name", "score", "max_score", "output", "visibility"} <= set(data["tests"][0])


def test_hidden_feedback_never_shows_values():
    from autograder import exercises, grading, report
    from autograder.submission import load
    result = grading.grade(exercises.load("ex1"), load(str(FLIPPED)), hidden=True, seed=3)
    task = result.tasks[1]
    task.cases = [c for c in task.cases if c.case.hidden]        # as if every public case had passed
    assert task.cases and all(c.verdict.detail for c in task.cases if not c.verdict.passed)
    feedback = report.task_feedback(task)
    assert "hidden case" in feedback and "flipped" in feedback
    for case in task.cases:
        if not case.verdict.passed:
            assert case.verdict.detail.splitlines()[0] not in feedback
    assert "[[" not in feedback and "expected:" not in feedback


def test_same_seed_gives_identical_json_and_seeds_vary_cases():
    first = run("grade", "ex3", CORPUS / "ex3" / "stride_one.py", "--format", "json", "--seed", "7").stdout
    second = run("grade", "ex3", CORPUS / "ex3" / "stride_one.py", "--format", "json", "--seed", "7").stdout
    assert first == second
    from autograder import exercises, grading
    task = exercises.load("ex1").task("conv2d")
    a = grading.cases_for(task, hidden=True, seed=1)[-3].args[0]
    b = grading.cases_for(task, hidden=True, seed=2)[-3].args[0]
    assert a.shape == b.shape and not (a == b).all()


def test_check_exit_codes_and_topic_names():
    assert run("check", "ex1", CORRECT).returncode == 0
    wrong = run("check", "convolution", FLIPPED)
    assert wrong.returncode == 1
    assert "flipped" in wrong.stdout and "does not guarantee" in wrong.stdout


def test_check_finds_the_notebook_in_the_current_folder(tmp_path):
    (tmp_path / "ex1.ipynb").write_text(notebook(correct_cells()))
    result = run("check", "ex1", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    missing = run("check", "ex2", cwd=tmp_path)
    assert missing.returncode == 2 and "ex2.ipynb" in missing.stderr


def test_list_shows_every_exercise_and_points():
    result = run("list")
    assert result.returncode == 0
    for name in ("ex1", "ex2", "ex3", "conv2d_strided", "pool2d", "global_average_pool"):
        assert name in result.stdout


def test_usage_errors_are_clear(tmp_path):
    unknown = run("grade", "ex9", CORRECT)
    assert unknown.returncode == 2 and "ex1 (convolution)" in unknown.stderr
    empty = run("grade", "ex1", tmp_path)
    assert empty.returncode == 2 and "no submissions" in empty.stderr and "Traceback" not in empty.stderr
    missing = run("grade", "ex1", tmp_path / "nope.ipynb")
    assert missing.returncode == 2 and "no such file" in missing.stderr


def test_numpy_grading_never_imports_tensorflow():
    code = ("import runpy, sys; sys.argv = ['cli.py', 'grade', 'ex1', %r, '--format', 'json'];\n"
            "try:\n    runpy.run_path('cli.py', run_name='__main__')\nexcept SystemExit:\n    pass\n"
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TensorFlow was imported'\n"
            "assert 'nbformat' not in sys.modules\n" % str(CORRECT))
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr


# --- malformed submissions: a clear message, never a traceback -------------------

UNREADABLE = {
    "broken.ipynb": ('{"cells": [', "not a valid notebook"),
    "binary.py": (b"\x7fELF\x00\x00\x01", "binary"),
    "latin1.py": ("def to_unit_range(image):\n    return 'caf\xe9'\n".encode("latin-1"), "not UTF-8"),
    "notanotebook.ipynb": ("[1, 2, 3]", "not a notebook"),
}


@pytest.mark.parametrize("name", sorted(UNREADABLE))
def test_unreadable_submission_is_a_usage_error(tmp_path, name):
    content, message = UNREADABLE[name]
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    result = run("grade", "ex1", path, "--format", "json")
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_huge_submission_is_refused(tmp_path):
    path = tmp_path / "ex1.py"
    with open(path, "w") as handle:
        handle.write("# padding\n" * (11 << 20))   # about 110 MB
    result = run("check", "ex1", path)
    assert result.returncode == 2 and "MB" in result.stderr and "Traceback" not in result.stderr


def test_empty_python_file_scores_zero_and_the_json_keeps_the_warning(tmp_path):
    path = tmp_path / "empty.py"
    path.write_text("")
    report = grade_json(path)
    assert report["score"] == 0
    assert all("is not defined" in t["feedback"] for t in report["tasks"])
    assert report["warnings"] == ["the submission contains no code"]


@pytest.mark.parametrize("command", ["check", "grade"])
def test_zero_byte_notebook_is_an_unreadable_submission(tmp_path, command):
    path = tmp_path / "ex1.ipynb"
    path.write_text("")
    result = run(command, "ex1", path, *(["--allow-unisolated"] if command == "grade" else []))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "is empty (0 bytes)" in result.stderr and "save it" in result.stderr


def test_nbformat3_notebook_is_graded(tmp_path):
    path = tmp_path / "old.ipynb"
    path.write_text(notebook(correct_cells(), nbformat=3))
    assert grade_json(path)["score"] == 10


def test_deleted_reordered_and_markdown_cells(tmp_path):
    head, unit, single, conv = correct_cells()
    path = tmp_path / "messy.ipynb"
    # conv2d deleted, conv2d_single turned into markdown, the imports moved last
    path.write_text(notebook([unit, ("markdown", single[1]), head]))
    report = {t["name"]: t for t in grade_json(path)["tasks"]}
    assert report["to_unit_range"]["passed"]        # np is looked up at call time, after all cells ran
    assert report["conv2d_single"]["score"] == 0 and "is not defined" in report["conv2d_single"]["feedback"]
    assert report["conv2d"]["score"] == 0


def test_syntax_error_costs_only_its_function(tmp_path):
    text = CORRECT.read_text().replace("def conv2d(x, filters, bias):", "def conv2d(x, filters, bias:")
    path = tmp_path / "ex1.py"
    path.write_text(text)
    report = {t["name"]: t for t in grade_json(path)["tasks"]}
    assert report["to_unit_range"]["passed"] and report["conv2d_single"]["passed"]
    assert report["conv2d"]["score"] == 0


def test_edited_nbgrader_metadata_is_ignored(tmp_path):
    cells = json.loads(notebook(correct_cells()))
    for cell in cells["cells"]:
        cell["metadata"]["nbgrader"] = {"grade": "yes", "points": 1000, "grade_id": "hacked", "solution": None,
                                        "locked": False, "schema_version": 99}
    path = tmp_path / "meta.ipynb"
    path.write_text(json.dumps(cells))
    assert grade_json(path)["score"] == 10
    # a solution cell disguised as an autograded test cell is skipped like one: only its task is lost
    cells["cells"][2]["metadata"]["nbgrader"] = {"grade": True, "solution": False, "points": 4}
    path.write_text(json.dumps(cells))
    report = {t["name"]: t for t in grade_json(path)["tasks"]}
    assert report["conv2d_single"]["score"] == 0 and report["to_unit_range"]["passed"] and report["conv2d"]["passed"]


def test_grade_refuses_without_sandbox_unless_allowed(tmp_path):
    env = dict(os.environ, PATH="/nonexistent")   # bwrap cannot be found
    base = [sys.executable, str(REPO / "cli.py"), "grade", "ex1", str(CORRECT), "--format", "json"]
    refused = subprocess.run(base, cwd=REPO, capture_output=True, text=True, env=env, timeout=300)
    if refused.returncode == 0:   # as root with a Python the jail user can read, the fallback jail works
        assert os.geteuid() == 0 and json.loads(refused.stdout)["isolation"] == "uid+seccomp"
    else:
        assert refused.returncode == 3 and "bubblewrap is not installed" in refused.stderr
        assert refused.stdout == ""
    allowed = subprocess.run(base + ["--allow-unisolated"], cwd=REPO, capture_output=True, text=True, env=env,
                             timeout=300)
    assert allowed.returncode == 0 and json.loads(allowed.stdout)["score"] == 10
    assert json.loads(allowed.stdout)["isolation"] in ("none", "uid+seccomp")
