"""Run a submission's code in a worker process, behind a process boundary.

The parent (this module) writes a job: the cells, and every call to make with
its arguments as ``.npy``/JSON. A worker (``workers.py``, running
``child/runner.py``) runs it with a scrubbed environment, limits per task and,
where bubblewrap is installed, in a sandbox that sees only the Python
installation, the runner and the job's folders. Results come back as JSON and
``.npy`` files, loaded with ``allow_pickle=False``. If the job process dies,
the tasks it had not reached are run again in another, so one task can never
cost another.
"""
from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass, field
from typing import Any

import threading

from .child import wire
from .child.confine import CONFINE_FAILED
from .jail import NAMESPACES, NONE, UID_SECCOMP, JailUnavailable, level_name
from .workers import ASSETS, ASSETS_IN_SANDBOX, WorkerPool, bwrap_path  # noqa: F401 - bwrap_path is public here

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
    isolation: str = "none"     # namespaces, uid+seccomp or none (jail/__init__.py)


class SandboxUnavailable(JailUnavailable):
    """Isolation was required but no sandbox is installed."""


class GraderError(RuntimeError):
    """The grading could not run for a reason that is not the student's (the worker could not start,
    the jail could not confine the job). Never a score: a batch marks the row "grader error"."""


_one_at_a_time = threading.Lock()   # uid+seccomp jobs share one uid: never two at once


def run_submission(cells: list[str], jobs: list[TaskJob], limits: Limits = Limits(),
                   isolate: bool | None = None, preload: tuple[str, ...] = (),
                   pool: WorkerPool | None = None) -> SandboxRun:
    """Run ``jobs`` against the code in ``cells`` in a worker process.

    isolate: True requires bubblewrap, False runs without it, None uses it when
    installed. preload: libraries the worker imports once, before any job.
    pool: where to take a warm worker from and give it back (a batch keeps one
    open); without one, a worker is started for this submission alone.
    Returns what every call produced; never raises for anything the student's
    code does.
    """
    if isolate is None:
        isolation = NAMESPACES if bwrap_path() else NONE
    else:
        isolation = level_name(isolate)
    if isolation == NAMESPACES and not bwrap_path():
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed")
    with _one_at_a_time if isolation == UID_SECCOMP else contextlib.nullcontext(), \
            _host_lock() if isolation == UID_SECCOMP else contextlib.nullcontext():
        return _run_submission(cells, jobs, limits, isolation, preload, pool)


@contextlib.contextmanager
def _host_lock():
    """uid+seccomp jobs of every grader on this host, one at a time (they share the jail user's uid)."""
    import fcntl
    folder = "/run" if os.access("/run", os.W_OK) else "/tmp"
    fd = os.open(os.path.join(folder, "cnn-jail.lock"), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _run_submission(cells, jobs, limits, isolation, preload, pool):
    own_pool = pool is None
    pool = pool or WorkerPool(keep=1)   # the worker may serve a retry; closed below
    tasks: dict[str, TaskRun] = {}
    cell_report: list[dict] = []
    pending = list(jobs)
    try:
        attempt = 0
        while pending:
            attempt += 1
            worker = pool.acquire(preload, isolation, limits.max_processes)
            finished, report = _run_once(pool, worker, cells, pending, limits, preload)
            _check_worker(worker)
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
    finally:
        if own_pool:
            pool.close()
    return SandboxRun(cell_report, tasks, isolation != NONE, isolation)


def _check_worker(worker):
    """Raise GraderError if the job failed for a reason that is not the student's."""
    if not worker.ready:
        raise GraderError("the grading worker (isolation %s) could not start" % worker.isolation)
    if (worker.last_status or "").startswith("exited:%d" % CONFINE_FAILED):
        raise GraderError("the jail (%s) could not confine the job" % worker.isolation)


def _run_once(pool, worker, cells, jobs, limits, preload):
    """One job on ``worker``: write its inbox, run it, collect what it wrote, give the worker back."""
    try:
        name, inbox, jobdir = worker.new_job()
        indir = os.path.join(inbox, "in")
        job = {"cells": cells, "limits": {"memory_mb": limits.memory_mb, "output_mb": limits.output_mb,
                                          "cells_seconds": limits.cells_seconds,
                                          "cell_seconds": limits.cell_seconds},
               "tasks": [], "preload": list(preload), "assets": ASSETS_IN_SANDBOX if worker.sandboxed else ASSETS,
               "public_path": worker.public_path(inbox)}
        for k, task in enumerate(jobs):
            calls = []
            for call in task.calls:
                encoder = wire.Encoder(indir, "t%d-%s" % (k, call.id))
                calls.append({"id": call.id, "args": [encoder.encode(a) for a in call.args],
                              "kwargs": {name: encoder.encode(v) for name, v in call.kwargs.items()}})
            job["tasks"].append({"function": task.name, "timeout": task.timeout, "calls": calls,
                                 "probe": task.probe})
        wire.dump_json(job, os.path.join(inbox, "job.json"))
        worker.run(name, limits.cells_seconds + sum(t.timeout for t in jobs) + 15.0)
        return _collect(os.path.join(jobdir, "out"), jobs)
    finally:
        pool.release(worker)


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

