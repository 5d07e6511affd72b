"""The Gradescope autograders, every exercise, in a simulated /autograder layout.

Each zip's own setup.sh makes a fresh virtual environment and installs the zip's
pinned requirements.txt into it with pip (apt-get and the jail's user set-up
skipped: the test does not change the machine). Exercises whose requirements are
identical (ex1-ex3; ex4-ex7) share the environment the first one's setup.sh made.
The install is a real one: pip fetches from its configured index, its wheel cache
making repeated runs fast. run_autograder then runs with a PATH that holds no
Python, so it can only grade with the environment setup.sh made.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

from autograder import exercises, gradescope

REPO = Path(__file__).resolve().parent.parent
KEYS = list(exercises.catalog())
EXPECTED_TASKS = {key: [t.name for t in exercises.load(key).tasks] for key in KEYS}


def _unpack(key, tmp, root):
    """Build the zip with the CLI and unpack it as Gradescope does, replacing root/source."""
    archive = tmp / ("%s.zip" % key)
    built = subprocess.run([sys.executable, "cli.py", "gradescope", key, "--out", str(archive)], cwd=REPO,
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    shutil.rmtree(root / "source", ignore_errors=True)
    with zipfile.ZipFile(archive) as z:
        assert {"setup.sh", "run_autograder", "requirements.txt", "cli.py"} <= set(z.namelist())
        z.extractall(root / "source")
    for script in ("setup.sh", "run_autograder"):
        (root / "source" / script).chmod(0o755)
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir(exist_ok=True)
    return (root / "source" / "requirements.txt").read_text()


@pytest.fixture(scope="module")
def environments():
    # Not under /tmp: the sandbox gives student code a private /tmp, which would hide a Python installed there.
    tmp = Path(tempfile.mkdtemp(prefix="cnn-gradescope-test-", dir="/var/tmp"))
    yield {"tmp": tmp, "roots": {}}
    shutil.rmtree(tmp, ignore_errors=True)


def _setup(environments, key):
    """An /autograder layout for ``key``, whose venv its setup.sh made (or, for the same requirements.txt,
    an earlier exercise's setup.sh: one image per requirements, the exercise's source swapped in)."""
    tmp = environments["tmp"]
    probe = Path(tempfile.mkdtemp(prefix="%s-" % key, dir=tmp))
    wanted = _unpack(key, tmp, probe)
    assert "==" in wanted and all("==" in line for line in wanted.split())
    root = environments["roots"].get(wanted)
    if root is not None:
        _unpack(key, tmp, root)
        return root
    root = probe
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), AUTOGRADER_SKIP_APT="1", AUTOGRADER_SKIP_JAIL_SETUP="1",
               PATH=str(Path(sys.executable).parent) + ":/usr/bin:/bin")
    env.pop("PYTHONPATH", None)
    env.pop("VIRTUAL_ENV", None)
    setup = subprocess.run(["bash", str(root / "source" / "setup.sh")], env=env, capture_output=True,
                           text=True, timeout=1800)
    assert setup.returncode == 0, setup.stdout[-3000:] + setup.stderr[-3000:]
    assert "include-system-site-packages = false" in (root / "venv" / "pyvenv.cfg").read_text()
    environments["roots"][wanted] = root
    return root


def run_autograder(root, submission=None, name=None):
    for old in (root / "submission").iterdir():
        old.unlink()
    shutil.rmtree(root / "results", ignore_errors=True)
    if submission is not None:
        shutil.copy(submission, root / "submission" / (name or submission.name))
    env = {"AUTOGRADER_ROOT": str(root), "PATH": "/usr/bin:/bin", "HOME": str(root)}
    done = subprocess.run(["bash", str(root / "run_autograder")], env=env, capture_output=True, text=True,
                          timeout=900)
    results = json.loads((root / "results" / "results.json").read_text())
    return done, results


@pytest.mark.parametrize("key", KEYS)
def test_each_autograder_grades_the_samples_in_its_own_environment(environments, key):
    root = _setup(environments, key)
    samples = REPO / "exercises" / key / "samples"
    done, results = run_autograder(root, samples / "correct.ipynb", "%s.ipynb" % key)
    assert done.returncode == 0, done.stderr[-3000:]
    assert results["score"] == 10, json.dumps(results, indent=1)[:3000]
    assert [t["name"] for t in results["tests"]] == EXPECTED_TASKS[key]
    assert all(t["score"] == t["max_score"] for t in results["tests"])
    done, results = run_autograder(root, samples / "wrong.ipynb", "%s.ipynb" % key)
    assert done.returncode == 0, done.stderr[-3000:]
    assert 0 <= results["score"] < 10 and isinstance(results["execution_time"], (int, float))
    for test in results["tests"]:
        assert {"name", "score", "max_score", "output", "visibility"} <= set(test)


def test_scripts_never_grade_unisolated_and_install_into_a_venv(tmp_path):
    for key, keras_needed in (("ex2", False), ("ex6", True)):
        archive = gradescope.build_zip(key, str(tmp_path / ("%s.zip" % key)), keras_needed)
        with zipfile.ZipFile(archive) as z:
            run = z.read("run_autograder").decode()
            setup = z.read("setup.sh").decode()
            requirements = z.read("requirements.txt").decode().split()
        assert "--allow-unisolated" not in run and "2>/dev/null" not in run.split("cli.py grade")[1].split("\n")[0]
        assert "python3 -m venv" in setup and "pip install" in setup and "jail setup" in setup
        names = {line.split("==")[0] for line in requirements}
        assert ("scikit-learn" in names and "tensorflow" in names) == keras_needed
        assert {"numpy", "click"} <= names


def test_every_failure_writes_results_that_say_what_went_wrong(environments):
    root = _setup(environments, "ex2")
    # nothing submitted
    done, results = run_autograder(root)
    assert done.returncode == 0 and results["score"] == 0 and "upload ex2.ipynb" in results["output"]
    # an unreadable submission: the student is told, the grader did not fail
    empty = root.parent / "empty.ipynb"
    empty.write_text("")
    done, results = run_autograder(root, empty, "ex2.ipynb")
    assert done.returncode == 0 and results["score"] == 0, results
    assert "could not be read" in results["output"] and "empty" in results["output"], results
    # the grader itself broken: a results.json with the error, no score, a non-zero exit
    (root / "source" / "autograder" / "grading.py").rename(root / "source" / "autograder" / "grading_moved.py")
    try:
        done, results = run_autograder(root, REPO / "exercises" / "ex2" / "samples" / "correct.ipynb", "ex2.ipynb")
    finally:
        (root / "source" / "autograder" / "grading_moved.py").rename(root / "source" / "autograder" / "grading.py")
    assert done.returncode != 0 and "score" not in results
    assert "not your score" in results["output"] and "grading" in results["output"], results
    assert "grading" in done.stderr   # the traceback reached the log too
