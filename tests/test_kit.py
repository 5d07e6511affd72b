"""The student kit: built by `cli.py release`, it works away from the repository and leaks nothing."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import kit

REPO = Path(__file__).resolve().parent.parent
# Run the kit's cli.py with the repository's editable install hidden, as on a student's machine.
KIT_PYTHON = ("import runpy, sys\n"
              "sys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in (\n"
              "    type(f).__module__ + getattr(f, '__module__', '') + getattr(f, '__name__', '')).lower()]\n"
              "sys.path[:] = [p for p in sys.path if not p.startswith(%r)]\n"
              "sys.argv = ['cli.py'] + sys.argv[1:]\n"
              "runpy.run_path('cli.py', run_name='__main__')\n" % str(REPO))


@pytest.fixture(scope="module")
def student_kit(tmp_path_factory):
    built = tmp_path_factory.mktemp("build") / "kit"
    result = subprocess.run([sys.executable, "cli.py", "release", "--out", str(built)], cwd=REPO,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    away = tmp_path_factory.mktemp("student") / "kit"
    shutil.copytree(built, away)
    return away


def kit_cli(kit_dir, *args):
    return subprocess.run([sys.executable, "-c", KIT_PYTHON, *map(str, args)], cwd=kit_dir,
                          capture_output=True, text=True, timeout=300)


def test_kit_has_notebooks_engine_and_no_reference(student_kit):
    assert (student_kit / "ex1.ipynb").exists() and (student_kit / "cli.py").exists()
    assert not (student_kit / "reference").exists() and not (student_kit / "tests").exists()
    assert not list(student_kit.glob("autograder/exercises/ex*.py"))
    assert kit.find_leaks(str(student_kit)) == []
    released = (student_kit / "ex2.ipynb").read_text()
    assert "NotImplementedError" in released and "BEGIN SOLUTION" not in released


def test_kit_checks_correct_and_wrong_work_without_the_repository(student_kit):
    for key in ("ex1", "ex2", "ex3"):
        shutil.copy(REPO / "exercises" / key / "samples" / "correct.ipynb", student_kit / ("%s.ipynb" % key))
        ok = kit_cli(student_kit, "check", key)
        assert ok.returncode == 0, ok.stdout + ok.stderr
        wrong = kit_cli(student_kit, "check", key, REPO / "exercises" / key / "samples" / "wrong.ipynb")
        assert wrong.returncode == 1 and "Likely mistake" in wrong.stdout, wrong.stdout + wrong.stderr
    reference = subprocess.run([sys.executable, "-c", KIT_PYTHON.split("sys.argv")[0] + "import reference"],
                               cwd=student_kit, capture_output=True, text=True)
    assert reference.returncode != 0


def test_leak_check_fails_loudly(tmp_path):
    (tmp_path / "notes.py").write_text((REPO / "reference" / "pooling.py").read_text())
    (tmp_path / "ex1.ipynb").write_text('{"source": "### BEGIN HIDDEN TESTS"}')
    leaks = kit.find_leaks(str(tmp_path))
    assert any("solution line" in leak for leak in leaks) and any("HIDDEN" in leak for leak in leaks)
    with pytest.raises(FileExistsError):
        kit.build(str(tmp_path))
