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
              # a virtual environment inside the checkout (as CI makes one) stays: it is the student's Python
              "sys.path[:] = [p for p in sys.path if not p.startswith(%r) or p.startswith(sys.prefix + '/')]\n"
              "script = sys.argv[1]\n"
              "sys.argv = [script] + sys.argv[2:]\n"
              "runpy.run_path(script, run_name='__main__')\n" % str(REPO))


@pytest.fixture(scope="module")
def student_kit(tmp_path_factory):
    built = tmp_path_factory.mktemp("build") / "kit"
    result = subprocess.run([sys.executable, "cli.py", "release", "--out", str(built)], cwd=REPO,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    away = tmp_path_factory.mktemp("student") / "kit"
    shutil.copytree(built, away)
    return away


def kit_cli(kit_dir, *args, cwd=None):
    """The kit's cli.py, run from ``cwd`` (default: the kit's folder), the repository out of sight."""
    return subprocess.run([sys.executable, "-c", KIT_PYTHON, str(kit_dir / "cli.py"), *map(str, args)],
                          cwd=cwd or kit_dir, capture_output=True, text=True, timeout=600)


def test_kit_has_notebooks_engine_and_no_reference(student_kit):
    assert (student_kit / "ex1.ipynb").exists() and (student_kit / "cli.py").exists()
    assert not (student_kit / "reference").exists() and not (student_kit / "tests").exists()
    shipped = sorted(p.name for p in student_kit.glob("autograder/exercises/ex*.py"))
    assert shipped == ["ex4.py", "ex5.py", "ex6.py", "ex7.py"]   # the Keras checks, stripped of hidden cases
    for name in shipped:
        text = (student_kit / "autograder" / "exercises" / name).read_text()
        assert "from reference" not in text and "import reference" not in text
    assert kit.find_leaks(str(student_kit)) == []
    released = (student_kit / "ex2.ipynb").read_text()
    assert "NotImplementedError" in released and "BEGIN SOLUTION" not in released


def test_kit_checks_correct_and_wrong_work_without_the_repository(student_kit):
    for key in ("ex1", "ex2", "ex3"):
        shutil.copy(REPO / "exercises" / key / "samples" / "correct.ipynb", student_kit / ("%s.ipynb" % key))
        ok = kit_cli(student_kit, "check", key)
        assert ok.returncode == 0, ok.stdout + ok.stderr
        elsewhere = kit_cli(student_kit, "check", key, student_kit / ("%s.ipynb" % key), cwd=student_kit.parent)
        assert elsewhere.returncode == 0, elsewhere.stdout + elsewhere.stderr
        wrong = kit_cli(student_kit, "check", key, REPO / "exercises" / key / "samples" / "wrong.ipynb")
        assert wrong.returncode == 1 and "Likely mistake" in wrong.stdout, wrong.stdout + wrong.stderr
    reference = subprocess.run([sys.executable, "-c", KIT_PYTHON.split("script =")[0] + "import reference"],
                               cwd=student_kit, capture_output=True, text=True)
    assert reference.returncode != 0


@pytest.mark.parametrize("key", ["ex4", "ex5", "ex6", "ex7"])
def test_kit_checks_keras_exercises_from_another_folder(student_kit, tmp_path, key):
    """The kit's check of a Keras exercise, run from a student's own folder outside the kit and the repository."""
    samples = REPO / "exercises" / key / "samples"
    shutil.copy(samples / "correct.ipynb", tmp_path / ("%s.ipynb" % key))
    ok = kit_cli(student_kit, "check", key, cwd=tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "10/10 on the public checks" in ok.stdout and "cannot judge" not in ok.stdout
    wrong = kit_cli(student_kit, "check", key, samples / "wrong.ipynb", cwd=tmp_path)
    assert wrong.returncode == 1 and "Likely mistake" in wrong.stdout, wrong.stdout + wrong.stderr
    assert "cannot judge" not in wrong.stdout


def test_keras_data_in_the_kit_is_not_pickled(student_kit):
    import numpy as np

    arrays = list((student_kit / "autograder" / "public").glob("ex[4-7]/*.npy"))
    assert arrays and all(isinstance(np.load(p, allow_pickle=False), np.ndarray) for p in arrays)
    assert not [p for p in student_kit.rglob("*") if p.suffix in (".pkl", ".pickle", ".joblib")]


def test_leak_check_finds_hidden_cases_and_pickles(tmp_path):
    import numpy as np

    np.save(tmp_path / "facts.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    (tmp_path / "ex5.py").write_text('hidden = [Case("8x8x16 input, 16 filters, pooling", ((8, 8, 16), 16, True))]\n')
    leaks = kit.find_leaks(str(tmp_path))
    assert any("allow_pickle" in leak for leak in leaks), leaks
    assert any("hidden case" in leak and "8x8x16" in leak for leak in leaks), leaks


def test_stripped_declaration_has_no_hidden_cases_and_no_reference():
    from autograder import public

    source = (REPO / "autograder" / "exercises" / "ex7.py").read_text()
    stripped = public.strip_module(source)
    assert "n = 2, base arrives frozen" in source and "n = 2, base arrives frozen" not in stripped
    assert "from reference" in source and "from reference" not in stripped
    assert "_kit_replay('finetuning')" in stripped and "EXERCISE = _kit_attach(EXERCISE)" in stripped


def test_leak_check_fails_loudly(tmp_path):
    (tmp_path / "notes.py").write_text((REPO / "reference" / "pooling.py").read_text())
    (tmp_path / "ex1.ipynb").write_text('{"source": "### BEGIN HIDDEN TESTS"}')
    leaks = kit.find_leaks(str(tmp_path))
    assert any("solution line" in leak for leak in leaks) and any("HIDDEN" in leak for leak in leaks)
    with pytest.raises(FileExistsError):
        kit.build(str(tmp_path))


def test_kit_readme_set_up_in_a_fresh_venv_checks_numpy_and_keras_exercises(student_kit):
    """The kit README's set-up, as a student runs it, then check ex1 and ex6 (which needs scikit-learn)."""
    import os
    import tempfile

    readme = (student_kit / "README.md").read_text()
    assert "scikit-learn" in readme and "tensorflow" in readme and "WSL" in readme
    assert "works on windows" not in readme.lower()
    block = readme.split("## Set up once", 1)[1].split("## ", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.startswith("    ")]
    assert commands[0].startswith("python3 -m venv .venv") and all(c.startswith("pip install") for c in commands[1:])
    outside = Path(tempfile.mkdtemp(prefix="cnn-student-", dir="/var/tmp"))   # a laptop's home, not /tmp
    try:
        kit_copy = outside / "kit"
        shutil.copytree(student_kit, kit_copy)
        for key in ("ex1", "ex6"):
            shutil.copy(REPO / "exercises" / key / "samples" / "correct.ipynb", kit_copy / ("%s.ipynb" % key))
        script = " && ".join(commands + ["python cli.py check ex1", "python cli.py check ex6"])
        env = {"HOME": str(outside), "PATH": "%s:/usr/bin:/bin" % Path(sys.executable).parent, "LANG": "C.UTF-8",
               "PIP_CACHE_DIR": os.environ.get("PIP_CACHE_DIR", str(Path.home() / ".cache" / "pip"))}
        done = subprocess.run(["bash", "-c", script], cwd=kit_copy, env=env, capture_output=True, text=True,
                              timeout=3000)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        assert done.stdout.count("10/10 on the public checks") == 2, done.stdout[-3000:]
    finally:
        shutil.rmtree(outside, ignore_errors=True)
