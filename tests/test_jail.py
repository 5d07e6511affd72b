"""The jail (issue 11): health check, refused namespaces simulated for real, the fallback jail, grader errors,
a Python under /tmp."""
import csv
import json
import os
import subprocess
import sys
from dataclasses import replace

import pytest

from autograder import batch, exercises, exports, jail, workers
from autograder.sandbox import Limits
from tests import jailenv

REPO = jailenv.REPO
CORRECT = os.path.join(REPO, "exercises", "ex1", "samples", "correct.ipynb")


def _run(argv, **kwargs):
    return subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=600, **kwargs)


def test_jail_check_names_the_level_that_works_here():
    done = _run([sys.executable, "cli.py", "jail", "check"])
    assert done.returncode == 0, done.stdout + done.stderr
    assert "namespaces   works" in done.stdout and "isolation here: namespaces" in done.stdout


def test_jail_check_notes_a_virtual_environment_inside_the_checkout(monkeypatch):
    """Its bound host path would show in the sandbox's mountinfo (the read_mountinfo attack)."""
    monkeypatch.setattr(workers, "_python_paths", lambda: {"/usr", os.path.join(REPO, ".venv")})
    assert len(jail.notes()) == 1 and ".venv is inside this checkout" in jail.notes()[0]
    monkeypatch.setattr(workers, "_python_paths", lambda: {"/usr", REPO + "-venv"})
    assert jail.notes() == []


def test_a_graded_result_names_its_isolation():
    done = _run([sys.executable, "cli.py", "grade", "ex1", CORRECT, "--format", "json"])
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["isolation"] == "namespaces" and result["score"] == result["max_score"]


@pytest.fixture
def submissions(tmp_path):
    folder = tmp_path / "submitted"
    folder.mkdir()
    for student in ("alice", "bob"):
        (folder / ("%s.ipynb" % student)).write_bytes(open(CORRECT, "rb").read())
    return folder


def test_no_jail_means_no_grade_and_no_score(submissions, tmp_path):
    """bubblewrap refused (no user namespaces) and no uid switch possible: exit 3, the reason, nothing written."""
    csv_path = tmp_path / "grades.csv"
    one = _run(jailenv.userns_disabled([sys.executable, "cli.py", "grade", "ex1", CORRECT, "--format", "json"]))
    assert one.returncode == jail.EXIT_NO_JAIL, one.stdout + one.stderr
    assert one.stdout == "" and "No jail for student code works here" in one.stderr
    assert "apt-get install bubblewrap" in one.stderr and "apparmor_restrict_unprivileged_userns" in one.stderr
    many = _run(jailenv.userns_disabled([sys.executable, "cli.py", "grade", "ex1", str(submissions),
                                         "--csv", str(csv_path)]))
    assert many.returncode == jail.EXIT_NO_JAIL, many.stdout + many.stderr
    assert not csv_path.exists() and "/10" not in many.stdout


def test_check_runs_unisolated_where_no_jail_works_and_says_so():
    done = _run(jailenv.userns_disabled([sys.executable, "cli.py", "check", "ex1", CORRECT]))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "isolation: none" in done.stdout and "no jail works on this machine" in done.stderr


def test_the_fallback_jail_grades_where_namespaces_are_refused(submissions, tmp_path):
    """As root under a Docker-like seccomp profile: uid+seccomp, correct scores, said in every result."""
    if os.geteuid() != 0:
        pytest.skip("the uid+seccomp jail needs root (CI runs as root)")
    assert _run([sys.executable, "cli.py", "jail", "setup"]).returncode == 0
    check = _run(jailenv.container([sys.executable, "cli.py", "jail", "check"]))
    assert check.returncode == 0 and "namespaces   refused" in check.stdout, check.stdout + check.stderr
    assert "isolation here: uid+seccomp" in check.stdout
    one = _run(jailenv.container([sys.executable, "cli.py", "grade", "ex1", CORRECT, "--format", "json"]))
    assert one.returncode == 0, one.stderr
    result = json.loads(one.stdout)
    assert result["isolation"] == "uid+seccomp" and result["score"] == result["max_score"]
    csv_path = tmp_path / "grades.csv"
    many = _run(jailenv.container([sys.executable, "cli.py", "grade", "ex1", str(submissions), "-j", "2",
                                   "--csv", str(csv_path)]))
    assert many.returncode == 0, many.stderr
    rows = list(csv.DictReader(open(csv_path)))
    assert [r["isolation"] for r in rows] == ["uid+seccomp"] * 2
    assert all(float(r["total"]) == float(r["max_score"]) for r in rows)


def test_a_worker_that_cannot_start_is_a_grader_error_not_a_zero(submissions, tmp_path, monkeypatch):
    monkeypatch.setattr(workers, "RUNNER", str(tmp_path / "missing-runner.py"))
    monkeypatch.setattr(workers, "START_SECONDS", 10.0)
    entries = batch.find_submissions(str(submissions), ["ex1"])
    ex1 = exercises.load("ex1")
    graded = batch.grade_all(entries, lambda key: replace(ex1, tasks=ex1.tasks[:1]), seed=0, per_student=False,
                             jobs=1, limits=Limits(),
                             isolate="none")
    assert [g.grader_error for g in graded] == [True, True] and all(g.result is None for g in graded)
    assert all("could not start" in g.error for g in graded)
    exports.write_csv(graded, str(tmp_path / "grades.csv"))
    rows = list(csv.DictReader(open(tmp_path / "grades.csv")))
    assert [r["total"] for r in rows] == ["", ""] and all("grader error" in r["error"] for r in rows)


def test_a_python_installed_under_tmp_works(tmp_path):
    """A virtualenv under /tmp: bound read-only through the sandbox's and every job's fresh /tmp."""
    venv = tmp_path / "venv"
    assert str(venv).startswith("/tmp/")
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    site = subprocess.run([python, "-c", "import site; print(site.getsitepackages()[0])"], capture_output=True,
                          text=True, check=True).stdout.strip()
    assert site.startswith(str(venv))
    with open(os.path.join(site, "jail_venv_only.py"), "w") as handle:
        handle.write("VALUE = 42\n")
    probe = ("from autograder.sandbox import Call, TaskJob, run_submission\n"
             "run = run_submission(['def f(x):\\n    import jail_venv_only\\n    return jail_venv_only.VALUE + x'],"
             " [TaskJob('f', [Call('c0', (0,))], 20.0)], isolate='namespaces')\n"
             "print(run.tasks['f'].outcomes['c0'].value)\n")
    done = _run([python, "-c", probe], env={**os.environ, "PYTHONPATH": REPO})
    assert done.stdout.strip() == "42", done.stdout + done.stderr
    check = _run([python, "cli.py", "check", "ex1", CORRECT])
    assert check.returncode == 0 and "isolation: namespaces" in check.stdout, check.stdout + check.stderr


GRADESCOPE_ATTACK = '''
import os

ROOT = {root!r}


def _stolen(name):
    import sys
    sys.path.insert(0, os.path.join(ROOT, "source"))
    import reference.padding
    return getattr(reference.padding, name)


def conv_output_size(*args, **kwargs):
    for name in ("results.json", "pwned.txt"):
        try:
            with open(os.path.join(ROOT, "results", name), "a") as handle:
                handle.write("pwned")
        except OSError:
            pass
    try:
        return _stolen("conv_output_size")(*args, **kwargs)   # scores only if the reference could be read
    except Exception:
        return None
'''


def test_gradescope_uses_the_fallback_jail_and_keeps_the_grader_private(tmp_path):
    """AUTOGRADER_ROOT as root where namespaces are refused: uid+seccomp; reference/ unreadable, results unwritable."""
    import shutil
    import tempfile
    import zipfile
    if os.geteuid() != 0:
        pytest.skip("Gradescope runs the autograder as root (CI runs as root)")
    archive = tmp_path / "autograder.zip"
    _run([sys.executable, "cli.py", "gradescope", "ex2", "--out", str(archive)]).check_returncode()
    root = tempfile.mkdtemp(prefix="cnn-gradescope-")   # under /tmp, reachable by every user, as on Gradescope
    try:
        os.chmod(root, 0o755)
        with zipfile.ZipFile(archive) as z:
            z.extractall(os.path.join(root, "source"))
        assert os.stat(os.path.join(root, "source", "reference", "padding.py")).st_mode & 0o004   # readable so far
        os.makedirs(os.path.join(root, "results"))
        os.makedirs(os.path.join(root, "submission"))
        with open(os.path.join(root, "submission", "ex2.py"), "w") as handle:
            handle.write(GRADESCOPE_ATTACK.format(root=root))
        setup = subprocess.run(
            [sys.executable, "cli.py", "jail", "setup", "--private", os.path.join(root, "results")],
            cwd=os.path.join(root, "source"), capture_output=True, text=True, timeout=300)
        assert setup.returncode == 0, setup.stderr
        env = {"AUTOGRADER_ROOT": root, "PATH": os.path.dirname(sys.executable) + ":/usr/bin:/bin"}
        done = subprocess.run(jailenv.container(["bash", os.path.join(root, "source", "run_autograder")]),
                              env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr
        results = json.load(open(os.path.join(root, "results", "results.json")))
        assert "isolation: uid+seccomp" in results["output"], results
        conv = next(t for t in results["tests"] if t["name"] == "conv_output_size")
        assert conv["score"] == 0, conv   # the reference could not be read
        assert not os.path.exists(os.path.join(root, "results", "pwned.txt"))
        assert "pwned" not in open(os.path.join(root, "results", "results.json")).read()
        # where no jail works at all: an autograder failure that says why, never a score
        os.remove(os.path.join(root, "results", "results.json"))
        refused = subprocess.run(jailenv.userns_disabled(["bash", os.path.join(root, "source", "run_autograder")]),
                                 env=env, capture_output=True, text=True, timeout=600)
        assert refused.returncode != 0, refused.stdout + refused.stderr
        assert "No jail for student code works here" in refused.stderr
        failure = json.load(open(os.path.join(root, "results", "results.json")))
        assert "score" not in failure and failure["tests"] == [], failure
        assert "No jail for student code works here" in failure["output"] and "not your score" in failure["output"]
    finally:
        shutil.rmtree(root, ignore_errors=True)
