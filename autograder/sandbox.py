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

import json
import os
from dataclasses import dataclass, field
from typing import Any

from .child import wire
from .workers import ASSETS, ASSETS_IN_SANDBOX, WorkerPool, bwrap_path  # noqa: F401 - bwrap_path is public here

MAX_LOG_BYTES = 16 << 20
STDOUT_TAIL = 2000


@dataclass(frozen=True)
class Limits:
    """Resource limits for one submission. Times in seconds, sizes in MiB."""

    # Time limits are CPU time, so that a score does not depend on the machine's load; each has a
    # wall-clock backstop of WALL_FACTOR times it plus WALL_GRACE (for code that waits: sleep, a lock).
    task_seconds: float = 10.0     # CPU time per task, all its calls together (the cells it reruns not counted)
    cell_seconds: float = 10.0     # CPU time for one cell of the submission; a slower cell is stopped and skipped
    cells_seconds: float = 60.0    # CPU time all the cells of one run may use together (a hard cap, never reached
                                   # by cells within their own limits unless there are many slow ones)
    memory_mb: int = 2048          # address space of the process running student code
    output_mb: int = 8             # largest file (printed output included) it may write
    max_processes: int = 512       # processes and threads of the whole child (where a cgroup is allowed)

    WALL_FACTOR = 4.0              # as child/runner.py's
    WALL_GRACE = 5.0

    def wall(self, cpu_seconds: float) -> float:
        """The wall-clock backstop for a CPU-time limit."""
        return self.WALL_FACTOR * cpu_seconds + self.WALL_GRACE

    def job_seconds(self, task_timeouts) -> float:
        """How long a whole job may take before the worker is deemed stuck: the cells once for the probe and
        once per task, and every task's calls, all at their wall-clock backstops."""
        timeouts = list(task_timeouts)
        return self.wall(self.cells_seconds) * (1 + len(timeouts)) + sum(self.wall(t) for t in timeouts) + 15.0


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
    sandboxed = bool(bwrap_path()) if isolate is None else isolate
    if sandboxed and not bwrap_path():
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed")
    own_pool = pool is None
    pool = pool or WorkerPool(keep=1)   # the worker may serve a retry; closed below
    tasks: dict[str, TaskRun] = {}
    cell_report: list[dict] = []
    pending = list(jobs)
    try:
        attempt = 0
        while pending:
            attempt += 1
            finished, report = _run_once(pool, pool.acquire(preload, sandboxed, limits.max_processes),
                                         cells, pending, limits, preload)
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
    return SandboxRun(cell_report, tasks, sandboxed)


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
        worker.run(name, limits.job_seconds(t.timeout for t in jobs))
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

