"""Run a submission's code in a worker process, behind a process boundary.

The parent (this module) sends a job to a worker (``workers.py``, running
``child/runner.py``) over its stdin: the cells and the call ids first, then
each task's arguments (``.npy`` bytes and JSON) only when that task's process
asks for them. The worker runs it with a scrubbed environment, limits per
task and, where bubblewrap is installed, in a sandbox that sees only the
Python installation, the runner and public files. Results come back over
the worker's stdout as frames, each tagged by the job process with the task
and call it served; they are decoded here with budgets (``wire.py``) and
``allow_pickle=False``, and anything malformed fails its own case. If the job
process dies, the tasks it had not reached are run again in another, so one
task can never cost another.
"""
from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass, field
from typing import Any

import threading

from .child import wire
from .child.confine import CONFINE_FAILED
from .jail import NAMESPACES, NONE, UID_SECCOMP, JailUnavailable, level_name
from .workers import (ASSETS, ASSETS_IN_SANDBOX, JOBS_BYTES, JOBS_FILES, JOBS_IN_SANDBOX, WorkerPool,  # noqa: F401
                      bwrap_path)   # bwrap_path is public here

STDOUT_TAIL = 2000
MAX_ARRAY_BYTES = 512 << 20   # array data decoded from one submission's results, all calls together
STATUSES = {"ok", "timeout", "cpu", "output", "crash", "exited", "killed", "signal", "lost", "protocol", "files"}
CELL_STATUSES = {"syntax error", "raised", "import failed", "timed out", "ended the process"}
WHERE = re.compile(r"cell \d{1,5}, line \d{1,7}")


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
    status: str                 # ok, timeout, cpu, output, crash, exited, killed, signal, lost, protocol, files
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
    died_in: set[str] = set()   # tasks during which the job process has died once already
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
            # The child died inside the first unfinished task. The first time, that task goes again with the
            # rest, in a fresh worker: a death the task did not cause (seen now and then at uid+seccomp) must
            # not cost it its marks. A task the job dies in twice fails; the rest go again.
            victim = started_unfinished[0]
            if victim.name not in died_in:
                died_in.add(victim.name)
                pending = started_unfinished
                continue
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
    """One job on ``worker``: send it, answer its requests for arguments, judge what came back, give it back."""
    try:
        name = worker.new_job()
        job = {"cells": cells, "limits": {"memory_mb": limits.memory_mb, "output_mb": limits.output_mb,
                                          "cells_seconds": limits.cells_seconds,
                                          "cell_seconds": limits.cell_seconds},
               "tasks": [{"function": task.name, "timeout": task.timeout, "probe": task.probe,
                          "calls": [{"id": call.id} for call in task.calls]} for task in jobs],
               "preload": list(preload), "assets": ASSETS_IN_SANDBOX if worker.sandboxed else ASSETS,
               "public_path": worker.public_path(), "sandboxed": worker.sandboxed,
               "quota": _quota(worker)}

        def arguments(index):
            """Task ``index``'s calls as A frames: asked for by the job once that task's process exists."""
            if type(index) is not int or not 0 <= index < len(jobs):
                return None
            frames = []
            for call in jobs[index].calls:
                encoder = wire.Encoder()
                header = encoder.header(id=call.id, args=[encoder.encode(a) for a in call.args],
                                        kwargs={k: encoder.encode(v) for k, v in call.kwargs.items()})
                frames.append(wire.frame(b"A", header, encoder.blob()))
            return frames

        _, frames = worker.run(name, job, arguments, limits.job_seconds(t.timeout for t in jobs))
        return _collect(frames, jobs)
    finally:
        pool.release(worker)


# ----------------------------------------------------------------------------
# judging what the child sent (untrusted: every field is checked, nothing can raise out of here)

def _quota(worker):
    """What a job may write: in bubblewrap, files on its tmpfs (which cap the bytes themselves); at
    uid+seccomp, files and bytes in its folder on the host's disk, counted by the job process."""
    if worker.sandboxed:
        return {"files": JOBS_FILES, "folders": [JOBS_IN_SANDBOX, "/tmp"]}
    if worker.isolation == UID_SECCOMP:   # polled: kept well below what the attacks aim at, to stop them in time
        return {"files": 4096, "bytes": JOBS_BYTES // 4, "walk": True}
    return None


def _collect(frames, jobs):
    """(finished tasks, cell report) from the frames of one job. Never raises."""
    budget = {"array_bytes": MAX_ARRAY_BYTES}
    cells, seen_cells, ends = [], False, {}
    results: dict[int, dict[str, object]] = {k: {} for k in range(len(jobs))}
    for kind, header, blob in frames:
        try:
            info = wire.parse_header(header)
        except wire.WireError:
            continue
        if kind == b"E" and info.get("event") == "cells" and not seen_cells:
            seen_cells, cells = True, _cells(info.get("cells"))
        elif kind == b"E" and info.get("event") == "task_end":
            k = info.get("task")
            if type(k) is int and 0 <= k < len(jobs) and k not in ends:
                ends[k] = info
        elif kind == b"R":
            k, cid = info.get("task"), info.get("call")
            if (type(k) is int and 0 <= k < len(jobs) and type(cid) is str
                    and any(c.id == cid for c in jobs[k].calls) and cid not in results[k]):
                results[k][cid] = blob
    finished = {}
    for k, task in enumerate(jobs):
        if k not in ends:
            continue
        outcomes = {cid: _outcome(blob, budget) for cid, blob in results[k].items()}
        for call in task.calls:
            outcomes.setdefault(call.id, Outcome("lost"))
        end = ends[k]
        status = end.get("status") if end.get("status") in STATUSES else "lost"
        detail = end.get("detail")
        detail = detail if type(detail) is int else (str(detail)[:40] if type(detail) is str else None)
        stdout = end.get("stdout") if type(end.get("stdout")) is str else ""
        finished[task.name] = TaskRun(task.name, status, detail, outcomes, stdout[-STDOUT_TAIL - 3:])
    return finished, cells


def _cells(report):
    """The probe's per-cell report, keeping only well-formed entries."""
    problems = []
    for entry in report if type(report) is list else []:
        if type(entry) is not dict:
            continue
        cell, status, error = entry.get("cell"), entry.get("status"), entry.get("error")
        if type(cell) is int and 0 < cell < 100_000 and status in CELL_STATUSES:
            line = entry.get("line")
            problems.append({"cell": cell, "status": status, "error": error[:500] if type(error) is str else None,
                             "line": line if type(line) is int and 0 < line < 10_000_000 else None})
    return problems


def _outcome(blob, budget):
    """One call's result frame as an Outcome; anything malformed is a value the grader cannot use."""
    try:
        return _read_outcome(blob, budget)
    except Exception as exc:  # noqa: BLE001 - the catch-all per result: nothing from the child raises out
        reason = str(exc) if isinstance(exc, wire.WireError) else type(exc).__name__
        return Outcome("value", value=wire.Unsupported("a malformed result (%s)" % reason[:120]))


def _read_outcome(blob, budget):
    if blob is None:
        raise wire.WireError("larger than the grader accepts")
    if len(blob) < wire.FRAME.size:
        raise wire.WireError("truncated")
    kind, header_length, blob_length = wire.FRAME.unpack(bytes(blob[:wire.FRAME.size]))
    if kind != b"R" or wire.FRAME.size + header_length + blob_length != len(blob):
        raise wire.WireError("not a result frame")
    record = wire.parse_header(blob[wire.FRAME.size:wire.FRAME.size + header_length])
    arrays = wire.Blobs(record.get("blobs", []), memoryview(blob)[wire.FRAME.size + header_length:], budget)
    result = record.get("result")
    seconds = record.get("seconds") if type(record.get("seconds")) in (int, float) else 0.0
    if type(result) is dict and result.get("t") == "missing":
        return Outcome("missing")
    if type(result) is dict and result.get("t") == "raised":
        where = result.get("where")
        error = {"type": _text(result.get("type"), 100) or "Exception", "message": _text(result.get("message"), 500),
                 "is_value_error": result.get("is_value_error") is True,
                 "where": where if type(where) is str and WHERE.fullmatch(where) else None}
        return Outcome("raised", error=error, seconds=seconds)
    value = wire.decode(result, arrays)
    after = record.get("args_after") if type(record.get("args_after")) is list else []
    after = [wire.decode(a, arrays) if a is not None else None for a in after[:64]]
    return Outcome("value", value=value, args_after=after, seconds=seconds)


def _text(value, limit):
    return value[:limit] if type(value) is str else ""
