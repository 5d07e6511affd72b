"""Warm, sandboxed worker processes that run submissions one after another.

A ``Worker`` is one long-lived ``child/runner.py`` process, inside bubblewrap
where it is installed: it imports NumPy (and Keras, for Keras exercises) once,
then runs one job per request, forking a fresh job process each time. Between
jobs it kills every other process in its PID namespace and empties its
private /tmp; the grader empties the job folders. So a warm worker costs a
fork per submission instead of a Python start and a NumPy or TensorFlow import,
and one submission still cannot see or touch the next.

What the worker sees: read-only, the Python installation, the runner, the
public coursedata and its *inbox* (job.json and the input arrays); writable,
its *jobs* folder (outputs and a work directory per job), a private /tmp.
Without bubblewrap (``--allow-unisolated``) there is no PID namespace to
sweep, so a worker serves a single job and is then ended.

A ``WorkerPool`` keeps idle workers per kind (libraries preloaded, sandboxed
or not, process cap) for the next submission; a batch keeps one pool open.
"""
from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time

from .cgroup import ChildGroup

RUNNER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "child", "runner.py")
# The coursedata package (pre-trained base and data loaders) is public: the child may import it.
ASSETS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "coursedata")
PUBLIC_IN_SANDBOX = "/public"
ASSETS_IN_SANDBOX = PUBLIC_IN_SANDBOX + "/coursedata"
INBOX_IN_SANDBOX, JOBS_IN_SANDBOX = "/inbox", "/jobs"
TMP_BYTES = 256 << 20     # each job's /tmp (and a quarter of it, /dev/shm): tmpfs is memory
START_SECONDS = 180.0     # time to import the libraries (TensorFlow on a busy machine takes a while)
JOBS_PER_WORKER = 200     # then a fresh worker, so nothing can build up over a long batch


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


class Worker:
    """One runner process, serving jobs in order. Not thread-safe: one user at a time (see WorkerPool)."""

    def __init__(self, preload: tuple[str, ...], isolation: "str | bool", max_processes: int):
        from . import jail
        isolation = jail.level_name(isolation)
        self.key = (tuple(sorted(preload)), isolation, max_processes)
        self.isolation = isolation
        self.sandboxed = isolation == jail.NAMESPACES      # inside bubblewrap
        # Where the grader runs as root, no student code runs as root: bubblewrap starts as the jail
        # user (so it applies its unprivileged protections), or, at uid+seccomp, the job drops to it.
        self.jail = jail.jail_ids() if (isolation == jail.UID_SECCOMP or
                                        (self.sandboxed and os.geteuid() == 0)) else None
        if isolation != jail.NONE and os.geteuid() == 0 and self.jail is None:
            raise jail.JailUnavailable(jail.NO_JAIL_USER)
        self.root = tempfile.mkdtemp(prefix="cnn-worker-")
        self.inbox, self.jobs = os.path.join(self.root, "inbox"), os.path.join(self.root, "jobs")
        if self.jail:   # the jail user may pass through the root (not list it) and owns inbox and jobs
            suffix = "-" + os.urandom(16).hex()   # unguessable: other jobs of that uid cannot find them
            self.inbox, self.jobs = self.inbox + suffix, self.jobs + suffix
            os.chmod(self.root, 0o711)
        os.mkdir(self.inbox, 0o700)
        os.mkdir(self.jobs, 0o700)
        for folder in (self.inbox, self.jobs):
            self.give(folder)
        self.served = 0
        self.last_status = None
        self.ready = False
        self.alive = True
        self.group = ChildGroup.create(max_processes)
        config = {"inbox": INBOX_IN_SANDBOX if self.sandboxed else self.inbox,
                  "jobs": JOBS_IN_SANDBOX if self.sandboxed else self.jobs,
                  "preload": sorted(set(preload) | {"numpy"}),
                  "assets": ASSETS_IN_SANDBOX if self.sandboxed else ASSETS, "sandboxed": self.sandboxed,
                  "isolation": isolation, "jail": list(self.jail) if isolation == jail.UID_SECCOMP else None,
                  "tmp_bytes": TMP_BYTES, "max_processes": max_processes,
                  "group": self.group.path if self.group and isolation == jail.UID_SECCOMP else None,
                  "keep_under_tmp": [p for p in sorted(_python_paths()) if _under_tmp(p)]}
        self._sources: list[str] = []
        command = _command(self, json.dumps(config))
        user = self.jail if (self.sandboxed and self.jail) else None
        try:
            self.process = subprocess.Popen(
                command, cwd="/" if self.sandboxed else self.jobs, env=_child_env(self),
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                start_new_session=True, preexec_fn=_preexec(self.group, user, _blocked(self._sources, user)))
        except BaseException:
            shutil.rmtree(self.root, ignore_errors=True)
            if self.group:
                self.group.close()
            raise
        self._buffer = b""

    # -- jobs -----------------------------------------------------------------

    @property
    def reusable(self) -> bool:
        """Only a worker whose every job gets namespaces of its own serves more than one."""
        return self.alive and self.sandboxed and self.served < JOBS_PER_WORKER

    def new_job(self) -> tuple[str, str, str]:
        """(name, inbox folder, job folder) for the next job; the caller fills the inbox."""
        name = "job%d" % (self.served + 1)
        inbox, jobdir = os.path.join(self.inbox, name), os.path.join(self.jobs, name)
        for folder in (os.path.join(inbox, "in"), os.path.join(jobdir, "out"), os.path.join(jobdir, "work")):
            os.makedirs(folder, mode=0o700)
        for folder in (inbox, os.path.join(inbox, "in"), jobdir, os.path.join(jobdir, "out"),
                       os.path.join(jobdir, "work")):
            self.give(folder)
        return name, inbox, jobdir

    def give(self, path: str) -> None:
        """Make ``path`` the jail user's (where there is one), so the jailed job can use it."""
        if self.jail:
            os.chown(path, *self.jail)

    def public_path(self, inbox: str) -> str:
        """Where the job imports public packages from: /public, or (unsandboxed) a folder linking coursedata."""
        if self.sandboxed:
            return PUBLIC_IN_SANDBOX
        folder = os.path.join(inbox, "public")
        os.makedirs(folder, exist_ok=True)
        if os.path.isdir(ASSETS):
            os.symlink(ASSETS, os.path.join(folder, "coursedata"))
        return folder

    def run(self, name: str, seconds: float) -> bool:
        """Run job ``name``; False if the worker did not finish it cleanly within ``seconds`` (it is then ended)."""
        self.served += 1
        if not self.ready:
            self.ready = self._read_line(time.monotonic() + START_SECONDS) == "ready"
        answer = None
        if self.ready:
            try:
                self.process.stdin.write(("%s\n" % name).encode())
                self.process.stdin.flush()
                answer = self._read_line(time.monotonic() + seconds)
            except OSError:
                answer = None
        words = (answer or "").split()
        finished = len(words) == 4 and words[0] == "done" and words[1] == name
        self.last_status = words[2] if finished else None   # the job process's end, e.g. ok:None, exited:71
        if not finished or words[3] != "clean" or not self.sandboxed:
            self.stop()   # its folders stay until close(), for the caller to collect what the job wrote
        return finished

    def clear(self) -> None:
        """Empty the inbox and job folders (after a job; the worker has ended its processes)."""
        for folder in (self.inbox, self.jobs):
            for entry in os.listdir(folder):
                path = os.path.join(folder, entry)
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    try:
                        os.unlink(path)
                    except OSError:
                        pass
            if os.listdir(folder):   # something could not be removed: this worker serves no one else
                self.stop()

    def _read_line(self, deadline: float) -> str | None:
        fd = self.process.stdout.fileno()
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                return None
            chunk = os.read(fd, 4096)
            if not chunk:
                return None
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line.decode("ascii", "replace")

    # -- end ------------------------------------------------------------------

    def stop(self) -> None:
        """End the worker and every process it started."""
        self.alive = False
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except OSError:
                pass
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass
        if self.group:
            self.group.close()
            self.group = None

    def close(self) -> None:
        """Stop the worker and remove its folders."""
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


class WorkerPool:
    """Idle workers, kept per kind for the next submission. Thread-safe; use as a context manager."""

    def __init__(self, keep: int = 2):
        self.keep = keep
        self._idle: list[Worker] = []
        self._lock = threading.Lock()
        self._closed = False

    def acquire(self, preload: tuple[str, ...], isolation: "str | bool", max_processes: int) -> Worker:
        from . import jail
        key = (tuple(sorted(preload)), jail.level_name(isolation), max_processes)
        with self._lock:
            for worker in self._idle:
                if worker.key == key:
                    self._idle.remove(worker)
                    return worker
        return Worker(preload, isolation, max_processes)

    def release(self, worker: Worker) -> None:
        """Take back a worker after its job was collected: kept if it may serve again, else closed."""
        if worker.reusable:
            worker.clear()
        with self._lock:
            if worker.reusable and not self._closed:
                self._idle.append(worker)
                surplus = self._idle[:max(0, len(self._idle) - self.keep)]   # not [:-keep]: keep may be 0
                del self._idle[:len(surplus)]
            else:
                surplus = [worker]
        for extra in surplus:
            extra.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.close()

    def __enter__(self) -> "WorkerPool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# ----------------------------------------------------------------------------
# the command line and environment of a worker

def _command(worker: Worker, config: str) -> list[str]:
    python = sys.executable
    # -S: no site processing (faster, and no .pth import hooks); the runner adds the library folders.
    runner_args = ["-I", "-S", "-B", "-X", "utf8"]
    libraries = os.pathsep.join(_library_paths())
    if not worker.sandboxed:
        return [python, *runner_args, RUNNER, libraries, config]
    binds = []
    for path in sorted(_python_paths()):
        binds += _ro_bind(worker, path)
    for path in ("/usr", "/bin", "/lib", "/lib64", "/etc/ld.so.cache", "/etc/alternatives"):
        if os.path.exists(path):
            binds += _ro_bind(worker, path)
    return [
        # --as-pid-1: the worker is the namespace's init, so nothing in the sandbox can signal it, and no
        # other long-lived process (bwrap's own reaper) is there for a job to tamper with
        bwrap_path(), "--unshare-all", "--as-pid-1", "--cap-drop", "ALL", "--die-with-parent", "--new-session",
        # a capped /tmp first, so a Python installed under /tmp is bound (read-only) on top of it
        "--size", str(TMP_BYTES), "--perms", "1777", "--tmpfs", "/tmp",
        *binds,
        *_ro_bind(worker, os.path.dirname(RUNNER), "/grader"),
        *(_ro_bind(worker, ASSETS, ASSETS_IN_SANDBOX) if os.path.isdir(ASSETS) else []),
        "--ro-bind", worker.inbox, INBOX_IN_SANDBOX,
        "--bind", worker.jobs, JOBS_IN_SANDBOX,
        "--proc", "/proc", "--dev", "/dev",
        "--size", str(TMP_BYTES // 4), "--perms", "1777", "--tmpfs", "/dev/shm",
        # the sandbox's own root (its tmpfs: /, /public, /etc ...) read-only: nothing can be left there
        "--remount-ro", "/",
        "--chdir", JOBS_IN_SANDBOX,
        python, *runner_args, "/grader/runner.py", libraries, config,
    ]


def _ro_bind(worker: Worker, source: str, target: str | None = None) -> list[str]:
    """bwrap arguments binding ``source`` read-only at ``target``; notes the source for _reachable."""
    worker._sources.append(source)
    return ["--ro-bind", source, target or source]


def _preexec(group: ChildGroup | None, user: tuple[int, int] | None, blocked: dict):
    """The worker's preexec_fn: join its cgroup (as root), then become the jail user if there is one.

    It runs between fork and exec in a process that may have threads: no imports, no file lookups,
    only system calls prepared in the parent.
    """
    if group is None and user is None:
        return None
    libc = _libc() if blocked else None

    def run():
        if group:
            group.join()
        if user:
            if blocked:
                _reachable(libc, blocked)
            os.setgroups([])
            os.setgid(user[1])
            os.setuid(user[0])
    return run


_LIBC = None


def _libc():
    global _LIBC
    if _LIBC is None:
        import ctypes
        _LIBC = ctypes.CDLL(None, use_errno=True)
    return _LIBC


def _blocked(sources: list[str], user: tuple[int, int] | None) -> dict:
    """{folder the jail user cannot enter: [sources beneath it]} (computed in the parent, before forking)."""
    from .jail import reachable_by
    if not user:
        return {}
    uid, gid = user
    blocked: dict = {}
    for source in sources:
        path = os.path.realpath(source)
        parts = path.split(os.sep)
        for k in range(2, len(parts)):
            folder = os.sep.join(parts[:k])
            if not reachable_by(folder, uid, gid, read=False):
                blocked.setdefault(folder, []).append(path)
                break
    return blocked


def _reachable(libc, blocked: dict) -> None:
    """Let the jail user reach the sources in ``blocked`` (bound read-only by bubblewrap), in a private
    mount namespace.

    A source under a folder only root may enter (a pyenv Python under /root,
    mode 0700) could not be bound by bubblewrap started as the jail user. In
    the worker's own mount namespace (root may create one), such a folder is
    covered by an empty tmpfs anyone may enter, with just the sources bound
    back into it. The host's mounts are not changed.
    """
    if libc.unshare(0x00020000) != 0 or libc.mount(None, b"/", None, 0x4000 | (1 << 18), None) != 0:
        raise OSError("no private mount namespace for the jail user")
    for folder, paths in sorted(blocked.items()):
        fds = [(path, os.open(path, os.O_PATH)) for path in paths]
        if libc.mount(b"tmpfs", folder.encode(), b"tmpfs", 2 | 4, b"mode=0755,size=1m") != 0:
            raise OSError("no tmpfs over " + folder)
        for path, fd in fds:
            os.makedirs(path, 0o755, exist_ok=True)
            if libc.mount(("/proc/self/fd/%d" % fd).encode(), path.encode(), None, 0x1000 | 0x4000, None) != 0:
                raise OSError("cannot bind " + path)
            os.close(fd)


def _under_tmp(path: str) -> bool:
    return path == "/tmp" or path.startswith("/tmp/")


def _library_paths():
    """site-packages folders, in the order site would add them."""
    import site
    paths = [p for p in site.getsitepackages() if os.path.isdir(p)]
    return [os.path.realpath(p) for p in paths]


def _python_paths():
    """Directories the child needs to run Python and import NumPy."""
    paths = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        value = sysconfig.get_paths().get(key)
        if value:
            paths.add(os.path.realpath(value))
    paths.add(os.path.dirname(os.path.realpath(sys.executable)))
    import numpy
    paths.add(os.path.dirname(os.path.dirname(os.path.realpath(numpy.__file__))))
    # keep only outermost directories
    return {p for p in paths if not any(p != q and p.startswith(q + os.sep) for q in paths)}


def _child_env(worker: Worker):
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": JOBS_IN_SANDBOX if worker.sandboxed else worker.jobs,
           "PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1", "TF_CPP_MIN_LOG_LEVEL": "3", "MPLBACKEND": "Agg",
           "MALLOC_ARENA_MAX": "2"}   # TensorFlow's threads each reserve an arena: keep address space small
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # needed for correctness on some CPUs
        if name in os.environ:
            env[name] = os.environ[name]
    return env
