"""The README's set-up as a new user runs it: a fresh virtual environment, from a folder outside the repository.

The apt-get part is left out (the test does not change the machine; CI's .ci/run has run it). The copy
lives under /var/tmp, not /tmp: the sandbox gives student code a private /tmp, which would hide a Python
installed there (the README says so). pip installs for real, from its configured index and wheel cache.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def readme_command(heading):
    """The indented command line under the README's bold ``heading``."""
    text = (REPO / "README.md").read_text()
    after = text.split("**%s**" % heading, 1)[1]
    return next(line.strip() for line in after.splitlines() if line.startswith("    "))


def without_apt(command):
    parts = [p.strip() for p in command.split("&&")]
    kept = [p for p in parts if "apt-get" not in p and "snap install" not in p]
    assert kept and kept[0].startswith("python3 -m venv"), command
    return " && ".join(kept)


def new_user_env(home):
    env = {"HOME": str(home), "PATH": "%s:/usr/bin:/bin" % Path(sys.executable).parent, "LANG": "C.UTF-8"}
    for name in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_CONFIG_FILE", "PIP_CERT",
                 "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "PIP_CACHE_DIR", "XDG_CACHE_HOME"):
        if name in os.environ:
            env[name] = os.environ[name]
    if "PIP_CACHE_DIR" not in env:   # reuse the machine's wheel cache: same install, less download
        env["PIP_CACHE_DIR"] = str(Path.home() / ".cache" / "pip")
    return env


@pytest.fixture
def outside():
    folder = Path(tempfile.mkdtemp(prefix="cnn-new-user-", dir="/var/tmp"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_readme_commands_name_a_venv_python3_and_no_bare_pip():
    for heading in ("1. Install, and check a shipped correct solution", "2. Run the tests"):
        command = readme_command(heading)
        # the environment is outside the checkout: a bound folder's host path shows in the sandbox's mountinfo
        assert "python3 -m venv ~/.venvs/cnn && . ~/.venvs/cnn/bin/activate" in command
        before_venv = command.split("python3 -m venv")[0]
        assert "pip " not in before_venv and "python " not in before_venv, command
    ci = subprocess.run(["bash", "-c", "grep -m1 '^    .*pip install -e \"\\.\\[test\\]\".*python -m pytest' README.md"],
                        cwd=REPO, capture_output=True, text=True)
    assert ci.stdout.strip() == readme_command("2. Run the tests")   # the line .ci/run runs
    assert "README.md" in (REPO / ".ci" / "run").read_text()
    readme = (REPO / "README.md").read_text()
    assert "macOS or Windows" not in readme and "Windows users work in WSL" in readme


def test_readme_install_command_in_a_fresh_venv_from_outside(outside):
    clone = outside / "cnn-exercises"
    shutil.copytree(REPO, clone, ignore=shutil.ignore_patterns(
        ".git", ".venv", "__pycache__", "*.egg-info", ".pytest_cache", "course", "student-kit", "build"))
    command = without_apt(readme_command("1. Install, and check a shipped correct solution"))
    (outside / "home").mkdir()
    done = subprocess.run(["bash", "-c", command], cwd=clone, env=new_user_env(outside / "home"),
                          capture_output=True, text=True, timeout=3000)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "10/10 on the public checks" in done.stdout
    venv = outside / "home" / ".venvs" / "cnn"
    assert (venv / "pyvenv.cfg").exists() and not (clone / ".venv").exists()
    # the environment is the project's own: it imports the copy, not the repository
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import autograder; print(autograder.__file__)"],
                           cwd=outside, capture_output=True, text=True, env=new_user_env(outside / "home"))
    assert where.stdout.startswith(str(clone)), where.stdout + where.stderr
