"""The child process: a warm worker that runs submissions one after another.

Usage: ``python -I -S runner.py LIBRARIES CONFIG``, where LIBRARIES are the
site-packages folders (joined by os.pathsep) and CONFIG is JSON:
``{"jobs": ..., "preload": [...], "assets": ..., "sandboxed": bool}``.

Everything between the grader and the child travels as frames (``wire.py``:
a kind byte, two lengths, a JSON header, raw ``.npy`` bytes) over pipes; no
file the child can write is ever read by the grader.

    grader -> worker (stdin)   J {"name"}, H {the job: cells, limits, tasks with call ids, no
                               arguments}, then for each N: one A frame per call of that task
    worker -> grader (stdout)  Y ready; N {"task", "frames"} (send that task's arguments);
                               E {"event": "cells"|"task_end", ...}; R {"task", "call"} + the task's
                               own result frame as blob; X (the frame before was cut: drop it);
                               D {"job", "status", "clean"}

The worker imports NumPy (and, for Keras exercises, Keras and the probes)
once, sends Y, then for each J forks a *job process*, relays the job to it
and its frames back without parsing them (nothing of one student's job is
decoded in the worker's memory, which the next job's fork copies), ends
every other process in the sandbox, empties /tmp and the job folder, and
sends D. The worker itself never runs student code and is not dumpable.

The job process never runs student code either. It forks:

1. a *probe* that executes the cells in order, reporting each one (C frames)
   over its pipe; a cell that hangs or ends the process is marked bad and the
   probe restarts without it, so one bad cell never hides the functions
   defined after it;
2. one *task process* per task, which executes the good cells afresh, then
   for each call asks for its arguments (N), gets them (A) and answers (R),
   with memory, CPU, file-size and wall-clock limits. Whatever that process
   does (raise, exit, hang, crash, exhaust memory, write garbage into its
   pipe) costs its own task only.

A task process sees only its own calls, each when it makes it: the job
process asks the grader for a task's arguments only after forking that
task, hands them over one call at a time (N, A, R alternate: a frame out
of turn is dropped, bytes that are not frames end the task), tags each result with the task and call it
served, and zeroes its copy before forking the next task. A later task has
no channel to an earlier task's results, and (sandboxed) none to anything an
earlier task left: between tasks every other process in the sandbox is
ended and /tmp, /dev/shm and /jobs are emptied.

The grader (parent) holds the expected values and does every comparison; this
process only reports what came back.
"""
import json
import os
import select
import signal
import sys
import time
import traceback


def _add_site_packages():
    """The child starts with -S (no site processing, no .pth hooks): add the library folders it was given."""
    if len(sys.argv) > 1:
        sys.path.extend(p for p in sys.argv[1].split(os.pathsep) if p)


_add_site_packages()

import numpy as np  # noqa: E402
import numpy.random  # noqa: F401 - NumPy 2 loads it lazily; import once here, not in every forked task

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import confine  # noqa: E402
import wire  # noqa: E402
from cells import (WALL_GRACE, _CELL_LIMITS, _compile_cell, _cut_before, _exec_cells,  # noqa: E402
                   _fresh_namespace, _short, task_deadline, wall_backstop)
from channel import QUOTA_POLL, _Channel, _Frames  # noqa: E402
from processes import (_describe, _empty, _end_leftovers, _end_namespace, _end_uid_leftovers,  # noqa: E402
                       _fork_limited, _kill_and_reap, _kill_group, _kill_until_gone, _not_dumpable,
                       _pids, _zombie)

del sys.path[0]


def serve(config):
    """The worker's loop: one job per line of stdin, answered on stdout (see the module docstring)."""
    _not_dumpable()
    _hide_installed_project()
    isolation = config.get("isolation", confine.NAMESPACES if config.get("sandboxed") else confine.NONE)
    confine.prepare(isolation)   # before "ready": a worker that cannot confine its jobs never serves one
    _preload(config.get("preload", []), [])
    if "keras" in config.get("preload", []):
        _load_probes(config.get("assets"))
        try:
            _PROBES.warm()
        except Exception:  # noqa: BLE001 - a missing asset shows up, visibly, in the task that needs it
            pass
    control_in, control_out = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)   # stray writes (a library's warnings) go nowhere
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    wire.write_all(control_out, wire.frame(b"Y", {"ready": True}))
    while True:
        name = _next_job(control_in)
        if name is None:
            break
        status = _run_job(name, os.path.join(config["jobs"], name), config, control_in, control_out)
        if isolation == confine.UID_SECCOMP:
            clean = _end_uid_leftovers(*config["jail"], config.get("group"))
        else:
            clean = _end_leftovers() if config.get("sandboxed") else True
        if config.get("sandboxed"):
            for folder in ("/tmp", "/dev/shm"):
                _empty(folder)
            clean = _empty(config["jobs"]) and clean
        wire.write_all(control_out, wire.frame(b"D", {"job": name, "status": status, "clean": clean}))
        if not clean:
            break


def _next_job(control_in):
    """The name in the next J frame from the grader; None at the end (or on anything else)."""
    try:
        got = wire.read_frame(control_in, max_header=4096, max_blob=0)
        name = wire.parse_header(got[1]).get("name") if got and got[0] == b"J" else None
    except (wire.WireError, OSError):
        return None
    if type(name) is not str or not name.isalnum():
        return None
    return name


def _run_job(name, jobdir, config, control_in, control_out):
    """Run one job in a forked job process, relaying its frames; its exit status as text."""
    up_read, up_write = os.pipe()       # job process -> worker
    down_read, down_write = os.pipe()   # worker -> job process
    pid = os.fork()
    if pid == 0:
        try:
            for fd in (control_in, control_out, up_read, down_write):   # the job never holds the worker's channel
                os.close(fd)
            os.makedirs(jobdir, mode=0o700, exist_ok=True)
            if config.get("jail"):   # uid+seccomp: the job's folder is the jail user's
                os.chown(jobdir, *config["jail"])
            # namespaces: a capped tmpfs of the job's own on jobdir; uid+seccomp: Landlock lets it write only there
            confine.confine(config.get("isolation", confine.NONE), config.get("jail"),
                            config.get("tmp_bytes", 256 << 20), config.get("max_processes", 512),
                            config.get("keep_under_tmp", ()), [jobdir])
            for folder in ("work", "out"):
                os.makedirs(os.path.join(jobdir, folder), mode=0o700, exist_ok=True)
            os.chdir(os.path.join(jobdir, "work"))
            os.environ["HOME"] = os.path.join(jobdir, "work")
            main(jobdir, up_write, down_read)
        finally:
            os._exit(0)
    os.close(up_write)
    os.close(down_read)
    try:
        _relay(up_read, down_write, control_in, control_out)
    finally:
        os.close(up_read)
        os.close(down_write)
        _, status = os.waitpid(pid, 0)
    return "%s:%s" % _describe(status)


_RELAY = bytearray(1 << 16)   # the worker's only buffer for a job's bytes: zeroed after every job


def _relay(up, down, control_in, control_out):
    """The worker's side of a job: pass the job (H) down, then the job process's frames up, unparsed.

    Only an N frame's small header is read here (which task, how many
    argument frames to pass down). A frame the job process leaves unfinished
    (it was killed) is completed with zeros and followed by X, so the stream
    to the grader stays in step.
    """
    try:
        prefix = wire.read_prefix(control_in)
        if prefix is None or prefix[0] != b"H":
            raise wire.WireError("expected the job")
        down = _pass(control_in, down, prefix)
        while True:
            prefix = wire.read_prefix(up)
            if prefix is None:
                return
            kind, header_length, blob_length = prefix
            if kind == b"N" and header_length <= 256 and blob_length == 0:
                request = wire.parse_header(wire.read_exact(up, header_length) or b"")
                count = request.get("frames")
                if type(count) is not int or not 0 <= count <= 1_000_000:
                    return
                wire.write_all(control_out, wire.frame(b"N", request))
                for _ in range(count):
                    prefix = wire.read_prefix(control_in)
                    if prefix is None or prefix[0] != b"A":
                        raise wire.WireError("expected the arguments of a call")
                    down = _pass(control_in, down, prefix)
            elif kind in (b"E", b"R"):
                wire.write_all(control_out, wire.FRAME.pack(*prefix))
                if not _pass(up, control_out, None, header_length + blob_length):
                    wire.write_all(control_out, wire.frame(b"X", {}))
                    return
            else:
                return
    except wire.WireError:
        return
    finally:
        _RELAY[:] = bytes(len(_RELAY))


def _pass(source, target, prefix, length=None):
    """Copy a frame (``prefix`` already read, then ``length`` bytes) from source to target through _RELAY.

    With a prefix, returns the target to use next (None once it is gone: the
    rest is read and dropped). Without one, returns False if the source ended
    early (the missing bytes are then written as zeros).
    """
    if prefix is not None:
        length = prefix[1] + prefix[2]
        target = _write_or_drop(target, wire.FRAME.pack(*prefix))
    left = length
    view = memoryview(_RELAY)
    while left:
        n = os.readv(source, [view[:min(left, len(_RELAY))]])
        if n == 0:
            if prefix is not None:
                raise wire.WireError("the grader's stream ended inside a frame")
            while left:   # keep the grader's stream in step: the missing bytes as zeros, then X
                wire.write_all(target, bytes(min(left, 1 << 16)))
                left -= min(left, 1 << 16)
            return False
        target = _write_or_drop(target, view[:n]) if prefix is not None else _write_up(target, view[:n])
        left -= n
    return target if prefix is not None else True


def _write_or_drop(fd, data):
    if fd is None:
        return None
    try:
        wire.write_all(fd, data)
        return fd
    except OSError:   # the job process is gone: the rest of what was meant for it is dropped
        return None


def _write_up(fd, data):
    wire.write_all(fd, data)
    return fd


def main(jobdir, up, down):
    """The job process: read the job (H) from ``down``, run it, send every event and result up."""
    job_frame = wire.read_frame(down)
    job = wire.parse_header(job_frame[1])
    channel = _Channel(up, down, job["tasks"], job.get("quota"), jobdir)
    out = os.path.join(jobdir, "out")
    if job.get("public_path"):
        sys.path.append(job["public_path"])   # public packages students may import (coursedata)
    cells = [_compile_cell(i, src) for i, src in enumerate(job["cells"])]
    _preload(job.get("preload", []), cells)
    if any(task.get("probe") for task in job["tasks"]) and _PROBES is None:
        _load_probes(job.get("assets"))
    limits = job["limits"]
    first = (0, job["tasks"][0]) if job["tasks"] else None
    good, report, running = probe_cells(cells, limits, out, first, channel)
    channel.emit(event="cells", cells=report)
    for index, task in enumerate(job["tasks"]):
        if index == 0 and running is not None:   # the probe went on to run the first task
            status, detail = channel.serve(0, *running, task_deadline(task, cells_done=True))
        else:
            status, detail = run_task(index, task, [cells[i] for i in good], limits, out, channel)
        channel.forget()
        channel.emit(event="task_end", task=index, status=status, detail=detail,
                     stdout=_tail(os.path.join(out, "stdout-%d.txt" % index)))
        if job.get("sandboxed"):
            _fresh_between_tasks(jobdir)
        elif channel.quota:   # uid+seccomp: what a task left in the job's folder goes (its quota is per job)
            _fresh_folders(jobdir)


def _fresh_between_tasks(jobdir):
    """Nothing one task leaves reaches the next (sandboxed: this PID namespace and /jobs are the job's own).

    Ends every process but the worker (PID 1) and this one, empties /tmp,
    /dev/shm and /jobs, and gives the next task a new, empty work folder. So a
    later task's feedback (a public case's message or values) cannot carry
    what an earlier task saw, hidden arguments included.
    """
    me = os.getpid()
    if me == 1:   # the job is the init of a PID namespace of its own (confine.py)
        _end_namespace()
    else:
        _kill_until_gone(lambda: [pid for pid in _pids() if pid not in (1, me) and not _zombie(pid)], rounds=100)
    for folder in ("/tmp", "/dev/shm"):
        _empty(folder)
    _empty(os.path.dirname(jobdir))
    _fresh_folders(jobdir)


def _fresh_folders(jobdir):
    """Empty the job's folders (however deep) and start again in a new, empty work folder."""
    _empty(jobdir)
    for folder in ("work", "out"):
        os.makedirs(os.path.join(jobdir, folder), mode=0o700, exist_ok=True)
    os.chdir(os.path.join(jobdir, "work"))


def _tail(path, limit=2000):
    """The end of a task's printed output: only a regular file is read (a FIFO there would hang)."""
    try:
        handle = wire.open_regular(path)
    except OSError:
        return ""
    with handle:
        size = os.fstat(handle.fileno()).st_size
        handle.seek(max(0, size - limit))
        text = handle.read(limit).decode("utf-8", "replace")
    return ("..." + text) if size > limit else text


def probe_cells(cells, limits, out, first_task=None, channel=None):
    """Find which cells run to completion. Returns (good indices, per-cell report, running or None).

    The report lists every problem, one dict each: {"cell": n, "status", "error", "line"} with status
    "syntax error", "raised", "import failed" (a skipped top-level import), "timed out" or "ended the
    process". A cell that raised stays among the good cells (what it defined before raising counts); one
    that timed out or ended the process does not (a timed-out one keeps the statements before the one
    that was stopped).

    Limits do not depend on the machine's load: each cell has its CPU limit (limits["cell_seconds"]) and
    a generous wall-clock backstop; no shared budget drops cells that completed.

    first_task: (index, task). If every cell runs to completion on the first
    try (the usual case), the probe process goes straight on to that task's
    calls, in the namespace the cells just built, as a task process would;
    running is then (pid, its frames, its argument pipe), for the caller to
    serve. Otherwise (a cell hung or ended the process) the cells are probed
    again without it, and None is returned: the first task then runs like
    every other.
    """
    _CELL_LIMITS.clear()
    _CELL_LIMITS.update(cell_seconds=limits["cell_seconds"])
    problems = {i: [{"cell": i + 1, "status": "syntax error", "error": str(err),
                     "line": getattr(err, "line", None)}] for i, code, err in cells if code is None}
    bad = {i for i, code, _ in cells if code is None}
    stopped = set()
    cell_wall = wall_backstop(limits["cell_seconds"]) + WALL_GRACE   # the in-process backstop fires first
    quota = channel is not None and bool(channel.quota)
    then = first_task
    while True:
        todo = [c for c in cells if c[0] not in bad]
        read_fd, write_fd = os.pipe()
        args_read, args_write = os.pipe()
        if then:
            index, task = then
            task_stdout = os.path.join(out, "stdout-%d.txt" % index)
            pid = _fork_limited(limits, task_stdout, task["timeout"])
        else:
            pid = _fork_limited(limits, os.path.join(out, "stdout-cells.txt"))
        if pid == 0:
            _close(read_fd, args_write, *(channel.fds() if channel else ()))
            namespace = _fresh_namespace()
            _exec_cells(todo, namespace, lambda i: _send(write_fd, b"C", ["start", i]),
                        lambda i, p: _send(write_fd, b"C", ["end", i, p]),
                        lambda i, note: _send(write_fd, b"C", ["note", i, note]))
            _send(write_fd, b"C", ["done"])
            if then:
                try:
                    _task_calls(index, task, namespace, write_fd, args_read)
                finally:
                    os._exit(0)
            os._exit(0)
        os.close(write_fd)
        os.close(args_read)
        reader = _Frames(read_fd)
        current, finished, over = None, False, False
        ended, notes, took, started = {}, {}, {}, time.monotonic()
        cell_deadline = time.monotonic() + cell_wall
        while not finished:
            remaining = cell_deadline - time.monotonic()
            if quota and channel.over_quota():
                over = True   # too many files: this cell is stopped as if it had ended the process
                break
            wait = min(remaining, QUOTA_POLL) if quota else remaining
            ready, _, _ = select.select([read_fd], [], [], max(wait, 0))
            if not ready:
                if wait < remaining:
                    continue
                break
            try:
                frames = reader.poll()
            except wire.WireError:
                break
            for position, (kind, header, _) in enumerate(frames):
                message = _cell_message(kind, header, len(cells))
                if message is None:
                    continue
                if message[0] == "start":
                    current = message[1]
                    started = time.monotonic()
                    cell_deadline = started + cell_wall
                elif message[0] == "end":
                    ended[message[1]] = message[2]
                    took[message[1]] = time.monotonic() - started
                    current, cell_deadline = None, time.monotonic() + cell_wall
                elif message[0] == "note":
                    notes.setdefault(message[1], []).append(message[2])
                elif message[0] == "done":
                    finished = True
                    reader.pending = frames[position + 1:]   # the first task's first request may be here
                    break
            if reader.eof:
                break
        for i in ended:
            problems[i] = [dict(n, cell=i + 1) for n in notes.get(i, [])]
            if ended[i]:
                problems[i].append(dict(ended[i], cell=i + 1))
                if ended[i].get("status") == "timed out":
                    stopped.add(i)
        if finished and then and not stopped:   # the first task is under way in this process
            _CELL_LIMITS["cells_wall"] = sum(took.get(i, 0.0) for i in _good(cells, bad))
            return _good(cells, bad), _flat(problems), (pid, reader, args_write)
        reader.close()
        os.close(args_write)
        status, expired = None, False
        if not finished:
            expired = not over and time.monotonic() >= cell_deadline
            _kill_group(pid)
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
            _, status = os.waitpid(pid, 0)
        else:
            _kill_and_reap(pid)
        if over:   # what the cell made goes, so the cells after it can run
            (_fresh_folders if channel.quota.get("walk") else _fresh_between_tasks)(os.path.dirname(out))
        if then:   # the first task will run again, from the start, once the cells are sorted out
            then = None
            try:
                os.unlink(task_stdout)
            except OSError:
                pass
        if finished:
            break
        if current is None:  # died between cells: blame the next one not reported
            pending = [c[0] for c in todo if c[0] not in ended]
            current = pending[0] if pending else None
        if current is None:
            break
        bad.add(current)
        timed_out = expired or (os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGXCPU)
        error = None if timed_out or status is None else "%s: %s" % _describe(status)
        if over:
            error = "created more than %s" % channel.quota_text()
        problems[current] = [dict(n, cell=current + 1) for n in notes.get(current, [])] + [
            {"cell": current + 1, "status": "timed out" if timed_out else "ended the process",
             "error": error, "line": None}]
    for position, (i, code, err) in enumerate(cells):
        if i in stopped:
            line = next((p.get("line") for p in problems.get(i, []) if p.get("status") == "timed out"), None)
            cut = _cut_before(i, line)
            if cut is not None:   # what the cell did before it was stopped still counts
                cells[position] = (i, cut, err)
                stopped.discard(i)
    bad |= stopped
    _CELL_LIMITS["cells_wall"] = sum(took.get(i, 0.0) for i in _good(cells, bad))
    return _good(cells, bad), _flat(problems), None


def _good(cells, bad):
    return [c[0] for c in cells if c[0] not in bad]


def _flat(problems):
    return [p for i in sorted(problems) for p in problems[i]]


def _cell_message(kind, header, count):
    """A probe's C frame as ["start", i] | ["end", i, problem] | ["note", i, note] | ["done"], or None.

    problem (None or a dict) and note (a dict) keep only their known fields, of the right types."""
    if kind != b"C" or len(header) > 8192:
        return None
    try:
        message = json.loads(header)
    except (ValueError, RecursionError):
        return None
    if type(message) is not list or not message or message[0] not in ("start", "end", "note", "done"):
        return None
    if message[0] == "done":
        return message
    if len(message) < 2 or type(message[1]) is not int or not 0 <= message[1] < count:
        return None
    if message[0] in ("end", "note"):
        detail = message[2] if len(message) > 2 else None
        if type(detail) is not dict:
            return None if message[0] == "note" else ["end", message[1], None]
        status = detail.get("status")
        if status not in (("raised", "timed out") if message[0] == "end" else ("import failed",)):
            return None if message[0] == "note" else ["end", message[1], None]
        error, line = detail.get("error"), detail.get("line")
        return [message[0], message[1], {"status": status, "error": error if type(error) is str else None,
                                         "line": line if type(line) is int else None}]
    return message[:2]


def _send(fd, kind, header, blob=b""):
    wire.write_all(fd, wire.frame(kind, header, blob))


def _close(*fds):
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass


def _preload(modules, cells):
    """Import, once and before forking, the libraries the job and the cells use.

    Only well-known installed libraries are imported (never the student's
    code), so every task process starts with them warm: TensorFlow is
    imported once per child, not once per task.
    """
    wanted = set(modules)
    for _, code, _ in cells:
        if code is None:
            continue
        for const in code.co_names:
            if const in PRELOADABLE:
                wanted.add(const)
    for name in sorted(wanted & PRELOADABLE, key=lambda n: n != "numpy"):
        try:
            __import__(name)
        except BaseException:  # noqa: BLE001 - a broken install fails the task later, visibly
            pass


PRELOADABLE = {"numpy", "scipy", "tensorflow", "keras", "sklearn"}


# ----------------------------------------------------------------------------
# tasks

def run_task(index, task, cells, limits, out, channel):
    """Run one task's calls in a fresh limited process, serving it its calls. Returns (status, detail)."""
    read_fd, write_fd = os.pipe()
    args_read, args_write = os.pipe()
    pid = _fork_limited(limits, os.path.join(out, "stdout-%d.txt" % index), task["timeout"])
    if pid == 0:
        try:
            _close(read_fd, args_write, *channel.fds())
            _task_process(index, task, cells, write_fd, args_read)
        finally:
            os._exit(0)
    os.close(write_fd)
    os.close(args_read)
    return channel.serve(index, pid, _Frames(read_fd), args_write, task_deadline(task))


def _task_process(index, task, cells, results_fd, args_fd):
    namespace = _fresh_namespace()
    _exec_cells(cells, namespace)
    _task_calls(index, task, namespace, results_fd, args_fd)


def _task_calls(index, task, namespace, results_fd, args_fd):
    """Call the task's function, from ``namespace``, on each of its calls: ask (N), get (A), answer (R)."""
    function = namespace.get(task["function"])
    if callable(function) and task.get("probe"):
        function = _probe(task["probe"], function)
    for call in task["calls"]:
        _send(results_fd, b"N", b"")
        got = wire.read_frame(args_fd)
        if got is None or got[0] != b"A":
            return
        given = wire.parse_header(got[1])
        blobs = wire.Blobs(given.get("blobs", []), got[2])
        record = {"id": call["id"]}
        encoder = wire.Encoder()
        if not callable(function):
            record["result"] = {"t": "missing"}
        else:
            args = [wire.decode(a, blobs, allow_rng=True) for a in given["args"]]
            kwargs = {k: wire.decode(v, blobs, allow_rng=True) for k, v in given["kwargs"].items()}
            started = time.perf_counter()
            try:
                value = function(*args, **kwargs)
                record["result"] = encoder.encode(value)
            except BaseException as exc:  # noqa: BLE001 - student code may raise anything
                record["result"] = _raised(exc)
            record["seconds"] = time.perf_counter() - started
            record["args_after"] = [encoder.encode(a) if type(a) is np.ndarray else None for a in args]
        try:
            header = json.dumps(encoder.header(**record)).encode()
        except BaseException:  # noqa: BLE001 - a value json cannot write (too deep for it)
            encoder = wire.Encoder()
            header = json.dumps(encoder.header(id=call["id"], result={
                "t": "unsupported", "type": "a value too deeply nested to send"})).encode()
        _send(results_fd, b"R", header, encoder.blob())


def _raised(exc):
    """What the grader learns of an exception: its type, message (short, plain str), kind and place."""
    try:
        message = _short(exc)
    except BaseException:  # noqa: BLE001 - a hostile __str__
        message = "(a message that could not be read)"
    try:
        where = _where(exc)
    except BaseException:  # noqa: BLE001
        where = None
    return {"t": "raised", "type": str.__str__(type(exc).__name__)[:100], "message": message,
            "is_value_error": isinstance(exc, ValueError), "where": where}


_PROBES = None


def _load_probes(assets):
    """Import child/probes.py (Keras helpers that call student functions), once, before forking."""
    global _PROBES
    import importlib.util
    spec = importlib.util.spec_from_file_location("_grader_probes", os.path.join(HERE, "probes.py"))
    _PROBES = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(_PROBES)
    _PROBES.ASSETS = assets


def _probe(name, function):
    """``function`` wrapped by the named probe: probe(function, *args, **kwargs)."""
    probe = getattr(_PROBES, name)

    def call(*args, **kwargs):
        _PROBES.before_call()
        return probe(function, *args, **kwargs)
    return call


def _where(exc):
    """The last line of the traceback that is in the student's code, e.g. 'cell 3, line 7'."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.startswith("<cell "):
            return "%s, line %d" % (frame.filename.strip("<>"), frame.lineno)
    return None


def _hide_installed_project():
    """Drop import hooks of an editable install, so the instructor's packages cannot be imported."""
    def editable(finder):   # setuptools installs the finder class itself, not an instance
        names = type(finder).__module__ + str(getattr(finder, "__module__", "")) + str(getattr(finder, "__name__", ""))
        return "editable" in names.lower()
    sys.meta_path[:] = [f for f in sys.meta_path if not editable(f)]
    for name in [n for n in sys.modules if "editable" in n.lower()]:
        del sys.modules[name]
    sys.path_importer_cache.clear()


if __name__ == "__main__":
    serve(json.loads(sys.argv[2]))   # argv[1]: the library folders, see _add_site_packages
    os._exit(0)   # skip interpreter teardown: with TensorFlow loaded it takes seconds
