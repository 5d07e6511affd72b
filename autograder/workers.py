"""Warm, sandboxed worker processes that run submissions one after another.

A ``Worker`` is one long-lived ``child/runner.py`` process, inside bubblewrap
where it is installed: it imports NumPy (and Keras, for Keras exercises) once,
then runs one job per request, forking a fresh job process each time. Between
jobs it kills every other process in its PID namespace and empties its
private /tmp; the grader empties the job folders. So a warm worker costs a
fork per submission instead of a Python start and a NumPy or TensorFlow import,
and one submission still cannot see or touch the next.

What the worker sees: read-only, the Python installation, the runner and the
public coursedata; writable, a private, size-capped /jobs (a work directory
per job) and a private /tmp. No host folder of the grader's is bound into
the sandbox: the job goes in over the worker's stdin and every result comes
back over its stdout, as frames (``child/wire.py``, ``child/runner.py``).
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
from .child import wire

RUNNER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "child", "runner.py")
# The coursedata package (pre-trained base and data loaders) is public: the child may import it.
ASSETS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "coursedata")
PUBLIC_IN_SANDBOX = "/public"
ASSETS_IN_SANDBOX = PUBLIC_IN_SANDBOX + "/coursedata"
JOBS_IN_SANDBOX = "/jobs"
JOBS_BYTES = 256 << 20    # size of the sandbox's /jobs tmpfs: what a job may write there (its quota)
JOBS_FILES = 20_000       # files a job may have in /jobs and /tmp together (polled by the job process)
MAX_JOB_BYTES = 512 << 20   # what the grader keeps of one job's results; the rest is read and dropped
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
        # used at the levels without bubblewrap only; in bubblewrap, /jobs is a tmpfs of the sandbox's own
        self.jobs = os.path.join(self.root, "jobs")
        if self.jail:   # the jail user may pass through the root (not list it) and owns the job folder
            self.jobs += "-" + os.urandom(16).hex()   # unguessable: other jobs of that uid cannot find it
            os.chmod(self.root, 0o711)
        os.mkdir(self.jobs, 0o700)
        self.give(self.jobs)
        self.served = 0
        self.last_status = None
        self.ready = False
        self.alive = True
        self.group = ChildGroup.create(max_processes)
        config = {"jobs": JOBS_IN_SANDBOX if self.sandboxed else self.jobs,
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
        self._buffer, self._offset = b"", 0


    # -- jobs -----------------------------------------------------------------

    @property
    def reusable(self) -> bool:
        """Only a worker whose every job gets namespaces of its own serves more than one."""
        return self.alive and self.sandboxed and self.served < JOBS_PER_WORKER

    def new_job(self) -> str:
        """The name of the next job."""
        return "job%d" % (self.served + 1)

    def give(self, path: str) -> None:
        """Make ``path`` the jail user's (where there is one), so the jailed job can use it."""
        if self.jail:
            os.chown(path, *self.jail)

    def public_path(self) -> str:
        """Where the job imports public packages from: /public, or (unsandboxed) a folder linking coursedata."""
        if self.sandboxed:
            return PUBLIC_IN_SANDBOX
        folder = os.path.join(self.root, "public")
        if not os.path.isdir(folder):
            os.makedirs(folder)
            if os.path.isdir(ASSETS):
                os.symlink(ASSETS, os.path.join(folder, "coursedata"))
        return folder

    def run(self, name: str, job: dict, arguments, seconds: float) -> tuple[bool, list]:
        """Run ``job`` as ``name``: (finished cleanly within ``seconds``, the frames it sent).

        arguments(k): the A frames (bytes) of task k's calls, sent when the job
        asks for them (None if k is not a task: the worker is then ended). The
        frames returned are (kind, header bytes, blob or None if it was over
        the budget), for ``sandbox._collect`` to judge. Nothing the child sends
        can make this raise or wait past ``seconds``. If the job did not end
        cleanly the worker is stopped.
        """
        self.served += 1
        deadline = time.monotonic() + seconds
        if not self.ready:
            self.ready = self._ready(time.monotonic() + START_SECONDS)
        frames, kept, finished, clean = [], 0, False, False
        if self.ready:
            try:
                fd = self.process.stdin.fileno()
                os.set_blocking(fd, False)
                wire.write_all(fd, wire.frame(b"J", {"name": name}), deadline)
                wire.write_all(fd, wire.frame(b"H", job), deadline)
                while True:
                    got = self._read_frame(deadline, MAX_JOB_BYTES - kept)
                    if got is None:
                        break
                    kind, header, blob = got
                    if kind == b"N":
                        request = wire.parse_header(header, 256)
                        answer = arguments(request.get("task"))
                        if answer is None or request.get("frames") != len(answer):
                            break
                        for item in answer:
                            wire.write_all(fd, item, deadline)
                    elif kind == b"X":
                        if frames:
                            frames.pop()
                    elif kind == b"D":
                        done = wire.parse_header(header, 4096)
                        finished = done.get("job") == name
                        clean = finished and done.get("clean") is True
                        status = done.get("status")   # the job process's end, e.g. ok:None, exited:71
                        self.last_status = status if finished and type(status) is str else None
                        break
                    elif kind in (b"E", b"R"):
                        kept += len(header) + (len(blob) if blob is not None else 0)
                        frames.append((kind, header, blob))
                    else:
                        break
            except (OSError, TimeoutError, ValueError, wire.WireError):
                finished = False
        if not finished or not clean or not self.sandboxed:
            self.stop()
        return finished, frames

    def clear(self) -> None:
        """Empty the host's job folder (unsandboxed workers only have one; sandboxed, the worker empties /jobs)."""
        for entry in os.listdir(self.jobs):
            wire.remove_tree(os.path.join(self.jobs, entry))
        if os.listdir(self.jobs):   # something could not be removed: this worker serves no one else
            self.stop()

    def _ready(self, deadline: float) -> bool:
        try:
            got = self._read_frame(deadline, 4096)
        except (OSError, TimeoutError, wire.WireError):
            return False
        return got is not None and got[0] == b"Y"

    def _read_exact(self, size: int, deadline: float, keep: bool = True):
        """``size`` bytes from the worker's stdout (or None, dropping them, if not keep); TimeoutError, WireError."""
        fd = self.process.stdout.fileno()
        parts, wanted = [], size
        while wanted:
            if self._offset >= len(self._buffer):
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                    raise TimeoutError("the worker did not answer in time")
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    raise wire.WireError("the worker ended")
                self._buffer, self._offset = chunk, 0
            take = min(wanted, len(self._buffer) - self._offset)
            if keep:
                parts.append(self._buffer[self._offset:self._offset + take])
            self._offset += take
            wanted -= take
        return b"".join(parts) if keep else None

    def _read_frame(self, deadline: float, budget: int):
        """The next frame: (kind, header, blob); blob None if the frame was larger than ``budget`` (dropped)."""
        try:
            prefix = self._read_exact(wire.FRAME.size, deadline)
        except wire.WireError:
            return None
        kind, header_length, blob_length = wire.FRAME.unpack(prefix)
        if header_length > wire.MAX_HEADER:
            raise wire.WireError("a header larger than allowed")
        header = self._read_exact(header_length, deadline)
        keep = 0 <= header_length + blob_length <= budget and blob_length <= wire.MAX_BLOB + wire.MAX_HEADER
        blob = self._read_exact(blob_length, deadline, keep)
        return kind, header, blob

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
        """Stop the worker and remove its folders (without recursion: a job may leave a very deep tree)."""
        self.stop()
        wire.remove_tree(self.root)


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
        *_ro_bind(worker, _staged(os.path.dirname(RUNNER)), "/grader"),
        *(_ro_bind(worker, _staged(ASSETS), ASSETS_IN_SANDBOX) if os.path.isdir(ASSETS) else []),
        # the job folder: a size-capped tmpfs of the sandbox's own (the job quota); no host path behind it
        "--size", str(JOBS_BYTES), "--perms", "0700", "--tmpfs", JOBS_IN_SANDBOX,
        "--proc", "/proc", "--dev", "/dev",
        "--size", str(TMP_BYTES // 4), "--perms", "1777", "--tmpfs", "/dev/shm",
        # the sandbox's own root (its tmpfs: /, /public, /etc ...) read-only: nothing can be left there
        "--remount-ro", "/",
        "--chdir", JOBS_IN_SANDBOX,
        python, *runner_args, "/grader/runner.py", libraries, config,
    ]


_STAGED: dict[str, str] = {}
_STAGE_LOCK = threading.Lock()


def _staged(folder: str) -> str:
    """A world-readable copy of ``folder``'s files (the runner, the public coursedata), made once per grader.

    Bound into the sandbox instead of the repository's own folder, so that
    ``/proc/self/mountinfo`` inside names no path of the grader's checkout.
    """
    with _STAGE_LOCK:
        if folder not in _STAGED:
            import atexit
            stage = tempfile.mkdtemp(prefix="cnn-stage-")
            os.chmod(stage, 0o755)
            copy = os.path.join(stage, "files")
            shutil.copytree(folder, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            for root, dirs, files in os.walk(copy):
                os.chmod(root, 0o755)
                for name in files:
                    os.chmod(os.path.join(root, name), 0o644)
            atexit.register(shutil.rmtree, stage, True)
            _STAGED[folder] = copy
        return _STAGED[folder]


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
