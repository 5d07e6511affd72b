"""The jail: which isolation student code gets here, proof that it works, and its set-up (issue 11).

Isolation levels, strongest first:

``namespaces``
    bubblewrap (user, mount, PID, IPC, network, UTS namespaces; read-only
    root; no capabilities), started as the unprivileged jail user where the
    grader runs as root; inside it each job gets fresh namespaces of its own
    and a seccomp filter (child/confine.py).
``uid+seccomp``
    the fallback where namespaces are refused (Docker's default seccomp
    profile, Gradescope, Ubuntu 24.04's AppArmor policy): needs root and
    ``python cli.py jail setup``. The job drops to the jail user, with rlimits,
    a seccomp filter (no network, IPC, keyring, ptrace ...), a private 0700 work
    folder, and, where the kernel has Landlock, writes only in that folder and
    signals only its own processes; the grader's own files are unreadable to
    that user. Jobs run one at a time (a host-wide lock), each in a new
    worker, which after the job ends every process in its cgroup and removes
    the jail user's files from /tmp, /var/tmp and /dev/shm. Weaker than
    namespaces: the host's mounts, process list and command lines are
    visible, the job folder is on the host's disk with a polled quota, a task
    can end its own job process (the attacker's other tasks may then be
    lost), and a job could signal a process of the jail user outside its own
    where the kernel's Landlock is older than ABI 6. Where no cgroup is writable, the
    clean-up signals every process of the jail user: do not run such a
    grader beside a namespaces one (whose bubblewrap runs as that user) on
    the same host.
``none``
    no isolation: only with ``--allow-unisolated`` (grading), or for ``check``
    (public cases, a student's own code on their own machine) when nothing
    else works, said in its output.

``ensure`` chooses the strongest level that passes the health check (start a
worker at that level, run a known probe job, read its answer), once per
process; ``check_all`` explains every level for ``python cli.py jail check``.
"""
from __future__ import annotations

import os
import pwd
import shutil
import sys
import threading
from dataclasses import dataclass

NAMESPACES, UID_SECCOMP, NONE = "namespaces", "uid+seccomp", "none"
LEVELS = (NAMESPACES, UID_SECCOMP, NONE)
USER = "cnn-jail"
EXIT_NO_JAIL = 3   # the documented exit code of check/grade when no acceptable jail works

NO_JAIL_USER = ("the grader runs as root, and student code must not: create the unprivileged jail user "
                "with `python cli.py jail setup` (as root, once)")
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class JailUnavailable(RuntimeError):
    """No acceptable jail works here; the message says why and what to do."""


def level_name(isolation: "str | bool") -> str:
    """A level from the older boolean spelling (True: bubblewrap, False: none) or a level name."""
    if isolation is True:
        return NAMESPACES
    if isolation is False or isolation is None:
        return NONE
    if isolation not in LEVELS:
        raise ValueError("unknown isolation level %r (one of %s)" % (isolation, ", ".join(LEVELS)))
    return isolation


def jail_ids() -> tuple[int, int] | None:
    """(uid, gid) of the jail user, or None if it does not exist."""
    try:
        entry = pwd.getpwnam(USER)
    except KeyError:
        return None
    return entry.pw_uid, entry.pw_gid


# ----------------------------------------------------------------------------
# the health check

@dataclass
class Probe:
    level: str
    works: bool
    why: str


PROBE_SOURCE = """
import os
def to_unit_range(x):
    with open("/proc/self/status") as handle:
        status = dict(line.split(":", 1) for line in handle if ":" in line)
    return [2 * x, os.geteuid(), int(status["Seccomp"]), int(status["NoNewPrivs"]), int(status["CapEff"], 16)]
"""


def probe(level: str) -> Probe:
    """Start a worker at ``level``, run a known job in it, and check the answer."""
    problem = _cannot_try(level)
    if problem:
        return Probe(level, False, problem)
    from ..sandbox import Call, Limits, TaskJob, run_submission
    from ..workers import WorkerPool
    try:
        with WorkerPool(keep=0) as pool:
            run = run_submission([PROBE_SOURCE], [TaskJob("to_unit_range", [Call("c0", (21,))], 30.0)],
                                 Limits(task_seconds=30.0, cells_seconds=30.0, cell_seconds=30.0, memory_mb=1024),
                                 level, (), pool)
    except Exception as exc:  # noqa: BLE001 - any failure here is the jail's
        return Probe(level, False, "%s: %s%s" % (type(exc).__name__, exc, _bwrap_says() if level == NAMESPACES else ""))
    task = run.tasks.get("to_unit_range")
    outcome = task.outcomes.get("c0") if task else None
    value = getattr(outcome, "value", None)
    if not (isinstance(value, list) and len(value) == 5 and value[0] == 42):
        detail = "%s (%s)" % (task.status, task.detail) if task else "no answer"
        return Probe(level, False, "the probe job did not answer: %s" % detail)
    _, uid, seccomp, no_new_privs, capabilities = value
    if level != NONE and os.geteuid() == 0 and uid == 0:
        return Probe(level, False, "the probe job ran as root")
    if level != NONE and (seccomp != 2 or no_new_privs != 1 or capabilities != 0):
        return Probe(level, False, "the probe job was not confined (seccomp %s, no_new_privs %s, capabilities %x)"
                     % (seccomp, no_new_privs, capabilities))
    return Probe(level, True, "the probe job ran and answered (uid %s, seccomp filter, no capabilities)" % uid)


def _bwrap_says() -> str:
    """What bubblewrap itself says when asked for a user namespace (the kernel, AppArmor or seccomp refusing)."""
    import subprocess
    try:
        done = subprocess.run([shutil.which("bwrap"), "--unshare-user", "--ro-bind", "/", "/", "true"],
                              capture_output=True, text=True, timeout=30,
                              **({"user": jail_ids()[0], "group": jail_ids()[1], "extra_groups": []}
                                 if os.geteuid() == 0 and jail_ids() else {}))
    except (OSError, subprocess.SubprocessError) as exc:
        return " (bwrap: %s)" % exc
    text = done.stderr.strip().splitlines()
    return " (bwrap: %s)" % text[-1][:200] if done.returncode and text else ""


def _cannot_try(level: str) -> str | None:
    """Why ``level`` cannot even be tried here, or None."""
    if level == NONE:
        return None
    if os.geteuid() == 0 and jail_ids() is None:
        return NO_JAIL_USER
    try:
        _import_seccomp_ok()
    except Exception as exc:  # noqa: BLE001
        return "the seccomp filter cannot be built (%s): pip install pyseccomp, apt-get install libseccomp2" % exc
    if level == NAMESPACES:
        if not shutil.which("bwrap"):
            return "bubblewrap is not installed (Debian/Ubuntu: sudo apt-get install bubblewrap)"
        return None
    if os.geteuid() != 0:
        return "the uid+seccomp jail needs the grader to run as root (to switch to the jail user)"
    uid, gid = jail_ids()
    unreadable = [p for p in _python_folders() if not reachable_by(p, uid, gid)]
    if unreadable:
        return ("the jail user cannot read %s (the Python installation or the public coursedata): install "
                "them where every user may read them (e.g. /usr or /opt), or make their folders world-readable"
                % unreadable[0])
    return None


def _import_seccomp_ok():
    sys.path.insert(0, os.path.join(REPO, "autograder", "child"))
    try:
        import confine  # noqa: F401 - the child's module, as the child loads it
        confine.prepare(UID_SECCOMP)
    finally:
        del sys.path[0]


def _python_folders():
    """What a job at uid+seccomp reads by path: the Python installation and the public coursedata."""
    from ..workers import ASSETS, _python_paths
    return sorted(_python_paths()) + ([ASSETS] if os.path.isdir(ASSETS) else [])


def reachable_by(path: str, uid: int, gid: int, read: bool = True) -> bool:
    """Can ``uid`` (no supplementary groups) enter every folder down to ``path`` (and read it)?"""
    parts = os.path.realpath(path).split(os.sep)
    for k in range(1, len(parts) + 1):
        folder = os.sep.join(parts[:k]) or os.sep
        try:
            info = os.stat(folder)
        except OSError:
            return False
        mode = info.st_mode
        bits = (mode >> 6) & 7 if info.st_uid == uid else (mode >> 3) & 7 if info.st_gid == gid else mode & 7
        if not bits & 1 or (read and k == len(parts) and not bits & 4):
            return False
    return True


_chosen: dict = {}
_lock = threading.Lock()


def ensure(allow_unisolated: bool = False, purpose: str = "grade") -> str:
    """The isolation level to use here, proven by the health check; cached per process.

    purpose "grade": namespaces, else uid+seccomp, else none only with
    ``allow_unisolated``; otherwise JailUnavailable. purpose "check" (public
    cases on the student's own machine): falls back to none, which the
    report then names.
    """
    key = (allow_unisolated, purpose)
    with _lock:
        if key in _chosen:
            return _chosen[key]
        tried = []
        for level in (NAMESPACES, UID_SECCOMP):
            result = _probe_cached(level)
            tried.append(result)
            if result.works:
                _chosen[key] = level
                return level
        if allow_unisolated or purpose == "check":
            _chosen[key] = NONE
            return NONE
        raise JailUnavailable(explain(tried))


_probes: dict = {}


def _probe_cached(level: str) -> Probe:
    if level not in _probes:
        _probes[level] = probe(level)
    return _probes[level]


def check_all() -> list[Probe]:
    """Every level's health check (for `jail check`)."""
    return [_probe_cached(level) for level in (NAMESPACES, UID_SECCOMP)]


def explain(tried: list[Probe]) -> str:
    lines = ["No jail for student code works here, so nothing was graded (no score is written)."]
    for result in tried:
        lines.append("  %-12s %s" % (result.level + ":", result.why))
    lines.append("What to do:")
    lines.append("  - install bubblewrap (Debian/Ubuntu: sudo apt-get install bubblewrap);")
    lines.append("  - on Ubuntu 24.04, unprivileged user namespaces are refused by AppArmor: "
                 "sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0 (or an AppArmor profile for bwrap);")
    lines.append("  - in a container (Docker's default seccomp profile, Gradescope) run the grader as root after "
                 "`python cli.py jail setup`: it then uses the uid+seccomp jail;")
    lines.append("  - a Python installed under /tmp (e.g. a virtualenv) is supported: it is bound read-only;")
    lines.append("  - or, for code you trust only, pass --allow-unisolated.")
    return "\n".join(lines)


def notes() -> list[str]:
    """Warnings about this installation that weaken the jail without breaking it (for `jail check`)."""
    from ..workers import _python_paths
    repo = os.path.realpath(REPO)
    inside = [p for p in sorted(_python_paths()) if p == repo or p.startswith(repo + os.sep)]
    if not inside:
        return []
    return ["the Python installation %s is inside this checkout: the sandbox's mount table "
            "(/proc/self/mountinfo) shows a bound folder's host path, so student code can learn where the "
            "grader's files are; make the virtual environment outside it (the README uses ~/.venvs/cnn)"
            % inside[0]]


# ----------------------------------------------------------------------------
# set-up (as root)

PRIVATE = ("reference", os.path.join("autograder", "exercises"))


def setup(results: list[str] = ()) -> list[str]:
    """Create the jail user and group (idempotent); make the grader's private files unreadable to it.

    Private: reference/, autograder/exercises/ (hidden-case code) and the
    given results folders: owned by root, no access for others. Returns what
    was done, one line per step.
    """
    import subprocess
    if os.geteuid() != 0:   # bubblewrap then runs student code as this (unprivileged) user
        return ["not root: no jail user is needed (bubblewrap runs student code as uid %d, unprivileged)"
                % os.geteuid()]
    done = []
    if jail_ids() is None:
        groupadd, useradd = shutil.which("groupadd"), shutil.which("useradd")
        if groupadd and useradd:
            subprocess.run([groupadd, "--system", USER], check=False, capture_output=True)
            subprocess.run([useradd, "--system", "--gid", USER, "--no-create-home", "--home-dir", "/nonexistent",
                            "--shell", "/usr/sbin/nologin", USER], check=True, capture_output=True)
        else:   # a minimal image without the shadow tools
            uid = _free_id()
            with open("/etc/group", "a") as handle:
                handle.write("%s:x:%d:\n" % (USER, uid))
            with open("/etc/passwd", "a") as handle:
                handle.write("%s:x:%d:%d:CNN grader jail:/nonexistent:/usr/sbin/nologin\n" % (USER, uid, uid))
        done.append("created user and group %s (uid %d)" % (USER, jail_ids()[0]))
    else:
        done.append("user %s exists (uid %d)" % (USER, jail_ids()[0]))
    for path in [os.path.join(REPO, p) for p in PRIVATE] + list(results):
        if os.path.exists(path):
            _make_private(path)
            done.append("private to root: %s" % path)
    return done


def _free_id() -> int:
    used = {e.pw_uid for e in pwd.getpwall()}
    import grp
    used |= {g.gr_gid for g in grp.getgrall()}
    return next(i for i in range(999, 100, -1) if i not in used)


def _make_private(path: str) -> None:
    """No access for group and others, for ``path`` and everything under it (owner keeps its rights)."""
    for root, dirs, files in os.walk(path):
        for name in [root] + [os.path.join(root, f) for f in files]:
            try:
                os.chmod(name, os.stat(name).st_mode & 0o700)
            except OSError:
                pass
