"""Environments where the namespaces jail is refused, built for real (issue 11).

``container``: the grader runs as the host's root (as in Docker or on
Gradescope) under a seccomp filter that denies new namespaces the way Docker's
default profile does (docker_like.py), in a private mount namespace that
shows the Python installation (a container's Python is not under a 0700
/root) and hides the other checkouts of this project.

``userns_disabled``: the grader runs in a user namespace in which no further
user namespace may be created (``bwrap --unshare-user --disable-userns``):
bubblewrap cannot start, and a uid switch is impossible, so no jail works.
"""
from __future__ import annotations

import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def _python_binds():
    binds = []
    for prefix in {os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix)}:
        if prefix.startswith("/root/"):   # bind its top folder (e.g. /root/.pyenv): bwrap makes parents 0700
            top = "/root/" + prefix.split("/")[2]
            if top not in binds:
                binds += ["--ro-bind", top, top]
    return binds


def container(argv: list[str]) -> list[str]:
    hide = [p for p in ("/work/main",) if os.path.isdir(p) and os.path.realpath(p) != os.path.realpath(REPO)]
    return [shutil.which("bwrap"), "--dev-bind", "/", "/", "--tmpfs", "/root", *_python_binds(),
            *[arg for p in hide for arg in ("--tmpfs", p)], "--chdir", REPO,
            sys.executable, os.path.join(HERE, "docker_like.py"), *argv]


def userns_disabled(argv: list[str]) -> list[str]:
    return [shutil.which("bwrap"), "--unshare-user", "--uid", "0", "--gid", "0", "--disable-userns",
            "--dev-bind", "/", "/", "--chdir", REPO, *argv]
