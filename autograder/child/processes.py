"""Processes of the job (child side): forking with limits, waiting, and ending what is left.

``_fork_limited`` applies a task's limits (address space, CPU, file size, no
core files) and sends its output to a file; ``_wait`` waits for it until a
deadline; the ``_end_*`` functions end whatever a job left behind, in a PID
namespace of its own, in the worker's, or (uid+seccomp) by the jail user's
uid or cgroup, and ``_empty`` clears a temporary folder without following links.
"""
import math
import os
import resource
import select
import signal
import sys
import time

import wire


def _end_namespace(seconds=2.0):
    """As the init of a PID namespace of its own: end every other process in it and reap them all."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(-1, signal.SIGKILL)   # from init: every process of the namespace but itself
        except OSError:
            pass
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            return True   # none left
        time.sleep(0.002)
    return False


def _pids():
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def _zombie(pid):
    try:
        with open("/proc/%d/stat" % pid, "rb") as handle:
            return handle.read().rsplit(b")", 1)[1].split()[0] == b"Z"
    except (OSError, IndexError):
        return True   # gone


def _pidfd(pid):
    if hasattr(os, "pidfd_open"):
        try:
            return os.pidfd_open(pid)
        except OSError:
            return None
    return None


def _fork_limited(limits, stdout_path, cpu_seconds=None):
    """Fork; in the child, apply the limits and send stdout/stderr to a file."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        return pid
    try:
        os.setsid()
        memory = limits["memory_mb"] << 20
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        # Soft limit: the task's CPU time (or, for the cell probe, all the cells'); _exec_cells lowers it
        # per cell and gives the cells' CPU back. Hard limit: that plus the CPU all cells may use at most.
        cells = float(limits["cells_seconds"])
        soft = int(math.ceil(cpu_seconds if cpu_seconds else cells)) + 1
        hard = soft + int(math.ceil(cells)) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
        size = limits["output_mb"] << 20
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        log = _open_log(stdout_path)
        os.dup2(log, 1)
        os.dup2(log, 2)
        signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
    except BaseException:  # noqa: BLE001
        os._exit(70)
    return 0


def _open_log(path):
    """A fresh regular file at ``path`` for printed output, whatever an earlier process left there
    (a FIFO would block the open, a symlink would redirect it); /dev/null if none can be made."""
    wire.remove_tree(path)
    try:
        return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | os.O_NOFOLLOW, 0o600)
    except OSError:
        return os.open(os.devnull, os.O_WRONLY)


def _wait(pid, deadline):
    """Wait for a task process until ``deadline``; (status, detail). Blocks on a pidfd where there is one."""
    pidfd = None
    if hasattr(os, "pidfd_open"):
        try:
            pidfd = os.pidfd_open(pid)
        except OSError:
            pidfd = None
    delay = 0.0005
    try:
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                _kill_group(pid)
                return _describe(status)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                _kill_and_reap(pid)
                return "timeout", None
            if pidfd is not None:
                select.select([pidfd], [], [], remaining)
            else:
                time.sleep(min(delay, remaining))
                delay = min(delay * 2, 0.02)
    finally:
        if pidfd is not None:
            os.close(pidfd)


def _describe(status):
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        kind = {signal.SIGXCPU: "cpu", signal.SIGXFSZ: "output", signal.SIGKILL: "killed",
                signal.SIGSEGV: "crash", signal.SIGBUS: "crash", signal.SIGABRT: "crash"}.get(sig, "signal")
        return kind, signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
    code = os.WEXITSTATUS(status)
    return ("ok", None) if code == 0 else ("exited", code)


def _kill_group(pid):
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass


def _kill_and_reap(pid):
    _kill_group(pid)
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def _not_dumpable():
    """PR_SET_DUMPABLE 0: without capabilities, no process in the sandbox can ptrace or read the worker."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)   # PR_SET_DUMPABLE = 4
    except (OSError, AttributeError):
        pass


def _end_leftovers():
    """SIGKILL every process in the sandbox's PID namespace but this worker (its init, PID 1).

    Orphans are re-parented to the worker, which reaps them here. Returns
    False if some survive (the worker then stops; the grader starts another).
    """
    me = os.getpid()
    return _kill_until_gone(lambda: [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) != me])


def _kill_until_gone(find, rounds=200):
    """SIGKILL the pids ``find()`` names, reap what are (or, as init, became) our children, until it names
    none: True; False if some survive ``rounds`` rounds or ``find`` fails (OSError, ValueError)."""
    for _ in range(rounds):
        try:
            others = find()
        except (OSError, ValueError):
            return False
        if not others:
            return True
        for pid in others:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        while True:
            try:
                if os.waitpid(-1, os.WNOHANG)[0] == 0:
                    break
            except ChildProcessError:
                break
        time.sleep(0.002)
    return False


def _end_uid_leftovers(uid, gid, group=None):
    """uid+seccomp: end what the job left running, remove its files from the shared temporary folders.

    With the worker's cgroup (the grader runs as root where cgroups are
    writable), every process in it but this worker: exactly the job's, however
    it detached. Without one, a helper process drops to the jail user and
    signals -1 (every process of the jail user; jobs at this level run one at
    a time, sandbox.py). Returns False if some survive.
    """
    if group:
        return _end_group_leftovers(group, uid)
    for _ in range(50):
        pid = os.fork()
        if pid == 0:
            try:
                os.setgroups([])
                os.setgid(gid)
                os.setuid(uid)
                os.kill(-1, signal.SIGKILL)
            except OSError:
                pass
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        while True:   # reap our own (the job process and its children)
            try:
                if os.waitpid(-1, os.WNOHANG)[0] == 0:
                    break
            except ChildProcessError:
                break
        if not _uid_processes(uid):
            break
        time.sleep(0.01)
    for folder in ("/tmp", "/var/tmp", "/dev/shm"):
        _empty(folder, uid)
    return not _uid_processes(uid)


def _end_group_leftovers(group, uid):
    """End every process in the worker's cgroup ``group`` but the worker; remove ``uid``'s temporary files."""
    me = os.getpid()
    procs = os.path.join(group, "cgroup.procs")

    def members():
        with open(procs) as handle:
            return [int(line) for line in handle if line.strip() and int(line) != me]
    if not _kill_until_gone(members):
        return False
    for folder in ("/tmp", "/var/tmp", "/dev/shm"):
        _empty(folder, uid)
    return True


def _uid_processes(uid):
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if os.stat("/proc/" + name).st_uid == uid:
                    found.append(int(name))
            except OSError:
                pass
    return found


def _empty(folder, owner=None):
    """Remove everything inside ``folder`` (or only what uid ``owner`` left there, in a shared, sticky
    temporary folder), however deep, never following links. False if something stays."""
    try:
        names = os.listdir(folder)
    except OSError:
        return False
    kept = True
    for name in names:
        path = os.path.join(folder, name)
        try:
            if owner is not None and os.lstat(path).st_uid != owner:
                continue
        except OSError:
            continue
        kept = wire.remove_tree(path) and kept
    return kept