"""Run a submission's code in a child process, behind a process boundary.

The parent (this module) writes a job directory: the cells, and every call to
make with its arguments as ``.npy``/JSON. The child (``child/runner.py``) runs
with a scrubbed environment, limits per task and, where bubblewrap is
installed, in a sandbox that sees only the Python installation, the runner and
the job directory. Results come back as JSON and ``.npy`` files, loaded with
``allow_pickle=False``. If the child dies, the tasks it had not reached are run
again in a new child, so one task can never cost another.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass, field
from typing import Any

from .cgroup import ChildGroup
from .child import wire

RUNNER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "child", "runner.py")
# The coursedata package (pre-trained base and data loaders) is public: the child may import it.
ASSETS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "coursedata")
PUBLIC_IN_SANDBOX = "/public"
ASSETS_IN_SANDBOX = PUBLIC_IN_SANDBOX + "/coursedata"
MAX_LOG_BYTES = 16 << 20
STDOUT_TAIL = 2000


@dataclass(frozen=True)
class Limits:
    """Resource limits for one submission. Times in seconds, sizes in MiB."""

    task_seconds: float = 10.0     # wall clock (and CPU) per task, all its calls together
    cell_seconds: float = 5.0      # wall clock for one cell of the submission
    cells_seconds: float = 20.0    # wall clock for all its cells, once
    memory_mb: int = 2048          # address space of the process running student code
    output_mb: int = 8             # largest file (printed output included) it may write
    max_processes: int = 512       # processes and threads of the whole child (where a cgroup is allowed)


@dataclass
class Call:
    """One call of a student's function: ``function(*args, **kwargs)``."""

    id: str
    args: tuple
    kwargs: dict = field(default_factory=dict)


@dataclass
class TaskJob:
    name: str          # the function to call
    calls: list[Call]
    timeout: float
    probe: str = ""    # if set, the child calls probes.<probe>(function, *args, **kwargs)


@dataclass
class Outcome:
    """What one call produced, as seen by the parent.

    kind is "value" (value holds it), "raised" (error holds type, message,
    is_value_error, where), "missing" (no such function) or "lost" (the
    process ended or timed out before the call returned).
    """

    kind: str
    value: Any = None
    error: dict | None = None
    args_after: list = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class TaskRun:
    name: str
    status: str                 # ok, timeout, cpu, output, crash, exited, killed, signal, lost
    detail: Any
    outcomes: dict[str, Outcome]
    stdout: str


@dataclass
class SandboxRun:
    cells: list[dict]           # per-cell problems: {"cell": n, "status": ..., "error": ...}
    tasks: dict[str, TaskRun]
    isolated: bool


class SandboxUnavailable(RuntimeError):
    """Isolation was required but no sandbox is installed."""


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def run_submission(cells: list[str], jobs: list[TaskJob], limits: Limits = Limits(),
                   isolate: bool | None = None, preload: tuple[str, ...] = ()) -> SandboxRun:
    """Run ``jobs`` against the code in ``cells`` in a child process.

    isolate: True requires bubblewrap, False runs without it, None uses it when
    installed. preload: libraries the child imports once before forking tasks.
    Returns what every call produced; never raises for anything the student's
    code does.
    """
    use_bwrap = bool(bwrap_path()) if isolate is None else isolate
    if use_bwrap and not bwrap_path():
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed")
    tasks: dict[str, TaskRun] = {}
    cell_report: list[dict] = []
    pending = list(jobs)
    with tempfile.TemporaryDirectory(prefix="cnn-grade-") as root:
        attempt = 0
        while pending:
            attempt += 1
            jobdir = os.path.join(root, "job%d" % attempt)
            finished, report = _run_once(jobdir, cells, pending, limits, use_bwrap, preload)
            if attempt == 1:
                cell_report = report
            tasks.update(finished)
            started_unfinished = [j for j in pending if j.name not in finished]
            if not started_unfinished:
                break
            # The child died inside the first unfinished task: that task fails, the rest go again.
            victim = started_unfinished[0]
            tasks[victim.name] = TaskRun(victim.name, "lost", "the grading process was ended",
                                         {c.id: Outcome("lost") for c in victim.calls}, "")
            pending = started_unfinished[1:]
    return SandboxRun(cell_report, tasks, use_bwrap)


def _run_once(jobdir, cells, jobs, limits, use_bwrap, preload):
    indir, outdir, workdir = (os.path.join(jobdir, d) for d in ("in", "out", "work"))
    for d in (indir, outdir, workdir):
        os.makedirs(d, mode=0o700)
    job = {"cells": cells, "limits": {"memory_mb": limits.memory_mb, "output_mb": limits.output_mb,
                                      "cells_seconds": limits.cells_seconds,
                                      "cell_seconds": limits.cell_seconds},
           "tasks": [], "preload": list(preload), "assets": ASSETS_IN_SANDBOX if use_bwrap else ASSETS,
           "public_path": PUBLIC_IN_SANDBOX if use_bwrap else _public_folder(jobdir)}
    for k, task in enumerate(jobs):
        calls = []
        for call in task.calls:
            encoder = wire.Encoder(indir, "t%d-%s" % (k, call.id))
            calls.append({"id": call.id, "args": [encoder.encode(a) for a in call.args],
                          "kwargs": {name: encoder.encode(v) for name, v in call.kwargs.items()}})
        job["tasks"].append({"function": task.name, "timeout": task.timeout, "calls": calls,
                             "probe": task.probe})
    wire.dump_json(job, os.path.join(jobdir, "job.json"))

    command, cwd = _command(jobdir, use_bwrap)
    budget = limits.cells_seconds + sum(t.timeout for t in jobs) + 15.0
    group = ChildGroup.create(limits.max_processes)
    process = subprocess.Popen(command, cwd=cwd, env=_child_env(jobdir, use_bwrap), stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                               preexec_fn=group.join if group else None)
    try:
        process.wait(timeout=budget)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except OSError:
            pass
        process.wait()
    finally:
        if group:
            group.close()
    return _collect(outdir, jobs)


def _public_folder(jobdir):
    """Unsandboxed: a folder holding only a link to coursedata, to put on the child's path."""
    folder = os.path.join(jobdir, "public")
    os.makedirs(folder, exist_ok=True)
    if os.path.isdir(ASSETS):
        os.symlink(ASSETS, os.path.join(folder, "coursedata"))
    return folder


def _command(jobdir, use_bwrap):
    python = sys.executable
    # -S: no site processing (faster, and no .pth import hooks); the runner adds the library folders.
    runner_args = ["-I", "-S", "-B", "-X", "utf8"]
    libraries = os.pathsep.join(_library_paths())
    if not use_bwrap:
        return [python, *runner_args, RUNNER, jobdir, libraries], os.path.join(jobdir, "work")
    binds = []
    for path in sorted(_python_paths()):
        binds += ["--ro-bind", path, path]
    for path in ("/usr", "/bin", "/lib", "/lib64", "/etc/ld.so.cache", "/etc/alternatives"):
        if os.path.exists(path):
            binds += ["--ro-bind", path, path]
    command = [
        bwrap_path(), "--unshare-all", "--cap-drop", "ALL", "--die-with-parent", "--new-session",
        *binds,
        "--ro-bind", os.path.dirname(RUNNER), "/grader",
        *(["--ro-bind", ASSETS, ASSETS_IN_SANDBOX] if os.path.isdir(ASSETS) else []),
        "--bind", jobdir, "/job",
        "--ro-bind", os.path.join(jobdir, "in"), "/job/in",
        "--ro-bind", os.path.join(jobdir, "job.json"), "/job/job.json",
        "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
        "--chdir", "/job/work",
        python, *runner_args, "/grader/runner.py", "/job", libraries,
    ]
    return command, "/"


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


def _child_env(jobdir, use_bwrap):
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/job/work" if use_bwrap else jobdir,
           "PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1", "TF_CPP_MIN_LOG_LEVEL": "3", "MPLBACKEND": "Agg",
           "MALLOC_ARENA_MAX": "2"}   # TensorFlow's threads each reserve an arena: keep address space small
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # needed for correctness on some CPUs
        if name in os.environ:
            env[name] = os.environ[name]
    return env


# ----------------------------------------------------------------------------
# reading what the child wrote (untrusted)

def _read_lines(path):
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return []
    with os.fdopen(fd, "rb") as handle:
        data = handle.read(MAX_LOG_BYTES)
    lines = []
    for raw in data.splitlines():
        try:
            item = json.loads(raw)
        except ValueError:
            continue
        if isinstance(item, dict):
            lines.append(item)
    return lines


def _read_tail(path, limit=STDOUT_TAIL):
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return ""
    with os.fdopen(fd, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        handle.seek(max(0, size - limit))
        text = handle.read(limit).decode("utf-8", "replace")
    return ("..." + text) if size > limit else text


def _collect(outdir, jobs):
    events = _read_lines(os.path.join(outdir, "events.jsonl"))
    cells = next((e.get("cells") for e in events if e.get("event") == "cells"), []) or []
    cells = [c for c in cells if isinstance(c, dict)]
    ends = {e.get("task"): e for e in events if e.get("event") == "task_end"}
    finished = {}
    for k, task in enumerate(jobs):
        if k not in ends:
            continue
        outcomes = {}
        for record in _read_lines(os.path.join(outdir, "results-%d.jsonl" % k)):
            cid = record.get("id")
            if any(c.id == cid for c in task.calls) and cid not in outcomes:
                outcomes[cid] = _outcome(record, outdir)
        for call in task.calls:
            outcomes.setdefault(call.id, Outcome("lost"))
        status = str(ends[k].get("status"))
        finished[task.name] = TaskRun(task.name, status, ends[k].get("detail"), outcomes,
                                      _read_tail(os.path.join(outdir, "stdout-%d.txt" % k)))
    return finished, cells


def _outcome(record, outdir):
    result = record.get("result")
    seconds = record.get("seconds") if isinstance(record.get("seconds"), (int, float)) else 0.0
    if isinstance(result, dict) and result.get("t") == "missing":
        return Outcome("missing")
    if isinstance(result, dict) and result.get("t") == "raised":
        error = {"type": str(result.get("type"))[:100], "message": str(result.get("message"))[:500],
                 "is_value_error": result.get("is_value_error") is True,
                 "where": str(result["where"])[:100] if result.get("where") else None}
        return Outcome("raised", error=error, seconds=seconds)
    try:
        value = wire.decode(result, outdir)
        after = [wire.decode(a, outdir) if a is not None else None
                 for a in (record.get("args_after") or [])]
    except wire.WireError as exc:
        return Outcome("value", value=wire.Unsupported("unreadable result (%s)" % exc), seconds=seconds)
    return Outcome("value", value=value, args_after=after, seconds=seconds)

