"""The adversarial suite: every attack in tests/attacks/ is blocked, at each isolation level."""
import os
import re
import subprocess
import sys

import pytest

from autograder.sandbox import bwrap_path
from tests import jailenv
from tests.attacks.harness import ATTACKS, REPO, run_attack



def _landlock():
    sys.path.insert(0, os.path.join(str(REPO), "autograder", "child"))
    try:
        import confine
        confine.prepare("none")
        return confine.landlock_abi() > 0
    finally:
        del sys.path[0]


# Attacks this branch does not close yet, per level, and why. Anything else must be blocked.
OPEN = {
    "namespaces": {
        "fill_job_folder": "the job quota: branch trust makes /jobs a size- and inode-capped tmpfs",
        "read_mountinfo": "host paths: branch trust removes the host folders bound at /jobs and /inbox",
    },
    "uid+seccomp": {   # no mount or PID namespace at this level: see autograder/jail/__init__.py
        **({} if _landlock() else {   # with Landlock, the job writes only in its own folder
            "fill_tmp": "the host's /tmp and /dev/shm are shared (swept after each job, but not capped)"}),
        "fill_job_folder": "the job folder is on the host's disk (no quota without a mount namespace)",
        "read_mountinfo": "the host's mounts are visible without a mount namespace",
        "read_grader_memory": "command lines in /proc are visible without a PID namespace (memory is not)",
    },
}


def test_sandbox_is_installed():
    assert bwrap_path(), "bubblewrap is required for the adversarial suite (apt-get install bubblewrap)"


@pytest.mark.parametrize("path", [
    pytest.param(p, marks=pytest.mark.xfail(reason=OPEN["namespaces"][p.stem])) if p.stem in OPEN["namespaces"]
    else p for p in ATTACKS], ids=lambda p: p.stem)
def test_attack_is_blocked(path):
    result = run_attack(path, isolate="namespaces")
    assert result.blocked, "%s: %s" % (result.description, result.how)


def test_attacks_are_blocked_by_the_fallback_jail():
    """uid+seccomp, where namespaces are refused: the grader as root under a Docker-like seccomp profile."""
    if os.geteuid() != 0:
        pytest.skip("the uid+seccomp jail needs root (CI runs as root)")
    setup = subprocess.run([sys.executable, "cli.py", "jail", "setup"], cwd=REPO, capture_output=True, text=True)
    assert setup.returncode == 0, setup.stderr
    table = subprocess.run(jailenv.container([sys.executable, "scripts/attack_table.py", "--isolation",
                                              "uid+seccomp"]), cwd=REPO, capture_output=True, text=True,
                           timeout=1200)
    lines = {}
    for line in table.stdout.splitlines():
        match = re.match(r"(.{62}) (blocked|NOT BLOCKED)\s", line)
        if match:
            lines[match.group(1).strip()] = (match.group(2), line)
    descriptions = {p.stem: p.read_text().splitlines()[0].replace("# attack:", "").strip()[:62] for p in ATTACKS}
    assert len(lines) == len(ATTACKS), table.stdout + table.stderr
    failed = [lines[d][1] for stem, d in descriptions.items()
              if stem not in OPEN["uid+seccomp"] and lines[d.strip()][0] != "blocked"]
    assert not failed, "\n".join(failed)
