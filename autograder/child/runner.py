"""The child process: a warm worker that runs submissions one after another.

Usage: ``python -I -S runner.py LIBRARIES CONFIG``, where LIBRARIES are the
site-packages folders (joined by os.pathsep) and CONFIG is JSON:
``{"inbox": ..., "jobs": ..., "preload": [...], "assets": ..., "sandboxed": bool}``.

The worker imports NumPy (and, for Keras exercises, Keras and the probes)
once, prints ``ready``, then reads job names from stdin, one per line. For
each it forks a *job process* that runs the job and exits, ends every other
process in the sandbox, empties /tmp, and prints ``done NAME STATUS``. The
worker itself never runs student code and is not dumpable, so what one job
leaves behind cannot reach the next.

A job reads ``INBOX/NAME/job.json`` and the input arrays in ``INBOX/NAME/in``
(read-only in the sandbox) and writes only into ``JOBS/NAME/out``:

    events.jsonl        one JSON line per event: cells probed, task started/ended
    results-<k>.jsonl   one JSON line per finished call of task k
    stdout-<k>.txt      what the student's code printed while task k ran

The runner itself never executes student code. It forks:

1. a *probe* that executes the cells in order, reporting each one over a pipe;
   a cell that hangs or ends the process is marked bad and the probe restarts
   without it, so one bad cell never hides the functions defined after it;
2. one *task process* per task, which executes the good cells afresh, then
   calls the task's function on each case, with memory, CPU, file-size and
   wall-clock limits. Whatever that process does (raise, exit, hang, crash,
   exhaust memory) costs its own task only.

The grader (parent) holds the expected values and does every comparison; this
process only reports what came back.
"""
import ast
import json
import math
import os
import resource
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
import wire  # noqa: E402

del sys.path[0]

SUBMISSION_NAME = "__submission__"


class _NoIPython:
    """What ``get_ipython()`` returns in the child: IPython's shell as far as a notebook needs it.

    Magics and shell lines (rewritten by IPython's own input transformer into calls of these methods)
    do nothing: there is no shell, network or display while grading. ``%time``/``%%time`` and
    ``%%capture`` run their code, as they do in Jupyter, so what such a cell defines is kept.
    """

    RUNS_ITS_CODE = ("time", "capture")

    def __init__(self, namespace):
        self._namespace = namespace
        self.cell_name = "<cell>"
        self.user_ns = namespace

    def run_line_magic(self, name, line, *args, **kwargs):
        if name == "time" and line.strip():
            return _run_source(line, self._namespace, self.cell_name)
        return None

    def run_cell_magic(self, name, line, body, *args, **kwargs):
        if name in self.RUNS_ITS_CODE:
            _run_source(body, self._namespace, self.cell_name)
        return None

    def system(self, *args, **kwargs):
        return None

    def getoutput(self, *args, **kwargs):
        return []

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return lambda *args, **kwargs: None


def _display(*objects, **kwargs):
    """IPython's ``display``: nothing to show while grading."""
    return None


def _no_input(prompt="", *args, **kwargs):
    raise EOFError("input() cannot be answered while grading: there is no keyboard. Give the value in "
                   "the code instead of asking for it")


class _ImportSkipped:
    """Records top-level imports that failed (a package the grader does not have: cv2, torch, google.colab)."""

    def __init__(self):
        self.notes = []

    def __call__(self, exc, line):
        self.notes.append({"status": "import failed", "line": line,
                           "error": "%s: %s" % (type(exc).__name__, _short(exc))})


def _fresh_namespace():
    namespace = {"__name__": SUBMISSION_NAME, "display": _display, "input": _no_input,
                 "_grader_import_failed": _ImportSkipped()}
    shell = _NoIPython(namespace)
    namespace["get_ipython"] = lambda: shell
    return namespace


def serve(config):
    """The worker's loop: one job per line of stdin, answered on stdout (see the module docstring)."""
    _not_dumpable()
    _hide_installed_project()
    _preload(config.get("preload", []), [])
    if "keras" in config.get("preload", []):
        _load_probes(config.get("assets"))
        try:
            _PROBES.warm()
        except Exception:  # noqa: BLE001 - a missing asset shows up, visibly, in the task that needs it
            pass
    control_in, control_out = os.fdopen(os.dup(0), "r"), os.fdopen(os.dup(1), "w")
    null = os.open(os.devnull, os.O_RDWR)   # stray writes (a library's warnings) go nowhere
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    control_out.write("ready\n")
    control_out.flush()
    for line in control_in:
        name = line.strip()
        if not name or "/" in name or name.startswith("."):
            break
        status = _run_job(os.path.join(config["inbox"], name), os.path.join(config["jobs"], name), control_in,
                          control_out)
        clean = _end_leftovers() if config.get("sandboxed") else True
        if config.get("sandboxed"):
            for folder in ("/tmp", "/dev/shm"):
                _empty(folder)
        control_out.write("done %s %s %s\n" % (name, status, "clean" if clean else "dirty"))
        control_out.flush()
        if not clean:
            break


def _run_job(inbox, jobdir, *control):
    """Run one job in a forked job process; its exit status as text."""
    pid = os.fork()
    if pid == 0:
        try:
            for handle in control:   # the job never holds the worker's control channel
                os.close(handle.fileno())
            os.chdir(os.path.join(jobdir, "work"))
            os.environ["HOME"] = os.path.join(jobdir, "work")
            main(inbox, jobdir)
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    return "%s:%s" % _describe(status)


def main(inbox, jobdir):
    """Run the job in ``inbox`` (job.json, in/), writing into ``jobdir``/out."""
    with open(os.path.join(inbox, "job.json"), encoding="utf-8") as handle:
        job = json.load(handle)
    out = os.path.join(jobdir, "out")
    events = open(os.path.join(out, "events.jsonl"), "a", encoding="utf-8")

    def emit(**event):
        events.write(json.dumps(event) + "\n")
        events.flush()

    if job.get("public_path"):
        sys.path.append(job["public_path"])   # public packages students may import (coursedata)
    cells = [_compile_cell(i, src) for i, src in enumerate(job["cells"])]
    _preload(job.get("preload", []), cells)
    if any(task.get("probe") for task in job["tasks"]) and _PROBES is None:
        _load_probes(job.get("assets"))
    limits = job["limits"]
    first = (0, job["tasks"][0], inbox, jobdir) if job["tasks"] else None
    good, report, running = probe_cells(cells, limits, out, first)
    emit(event="cells", cells=report)
    for index, task in enumerate(job["tasks"]):
        emit(event="task_start", task=index)
        if index == 0 and running is not None:   # the probe went on to run the first task
            status, detail = _wait(running, task_deadline(task, cells_done=True))
        else:
            status, detail = run_task(index, task, [cells[i] for i in good], limits, inbox, jobdir)
        emit(event="task_end", task=index, status=status, detail=detail)
    events.close()


# ----------------------------------------------------------------------------
# cells

def _compile_cell(index, source):
    """Compile one cell: (index, code or None, error or None).

    A cell that is plain Python compiles as it is (IPython is not even loaded: the NumPy check path stays
    fast). Otherwise magics and shell lines, in every form (``t = %timeit -o f(x)``, ``files = !ls``,
    ``%%time``, ``x?``), go through IPython's own input transformer, as Jupyter does. Top-level imports of
    packages the grader lacks are skipped with a note (see ``_skip_failed_imports``).
    """
    name = "<cell %d>" % (index + 1)
    try:
        tree = ast.parse(source + "\n", name)
    except (SyntaxError, ValueError) as exc:
        transformed = _ipython_transform(source)
        try:
            if transformed is None:
                raise
            tree = ast.parse(transformed, name)
        except (SyntaxError, ValueError) as again:
            worst = again if transformed is not None and transformed != source + "\n" else exc
            return index, None, _syntax_error(worst)
    try:
        tree = _skip_failed_imports(tree)
        _TREES[index] = tree
        return index, compile(tree, name, "exec"), None
    except (SyntaxError, ValueError) as exc:   # e.g. 'return' outside a function
        return index, None, _syntax_error(exc)


class _SyntaxProblem(str):
    """The text of a cell's syntax error, with the line it is on (``.line``, or None)."""

    line = None


def _syntax_error(exc):
    problem = _SyntaxProblem("%s: %s" % (type(exc).__name__, getattr(exc, "msg", None) or exc))
    problem.line = exc.lineno if isinstance(getattr(exc, "lineno", None), int) else None
    return problem


_TRANSFORMER = []


def _ipython_transform(source):
    """IPython's ``TransformerManager().transform_cell(source)``, or None if IPython is not installed.

    The module is loaded from its file, without the IPython package (whose import takes a second): it
    needs only the standard library.
    """
    if not _TRANSFORMER:
        manager = None
        try:
            import importlib.util
            spec = importlib.util.find_spec("IPython")
            folder = os.path.dirname(spec.origin) if spec and spec.origin else None
            if folder:
                path = os.path.join(folder, "core", "inputtransformer2.py")
                module_spec = importlib.util.spec_from_file_location("_grader_inputtransformer2", path)
                module = importlib.util.module_from_spec(module_spec)
                module_spec.loader.exec_module(module)
                manager = module.TransformerManager()
        except Exception:  # noqa: BLE001 - no IPython: the cell stays a syntax error
            manager = None
        _TRANSFORMER.append(manager)
    if _TRANSFORMER[0] is None:
        return None
    try:
        return _TRANSFORMER[0].transform_cell(source)
    except Exception:  # noqa: BLE001
        return None


def _skip_failed_imports(tree):
    """Wrap each top-level import in ``try: ... except ImportError: <note it>``.

    A package the student had and the grader has not (cv2, torch, google.colab) costs that import line
    only: the rest of the cell (often ``import numpy as np``) still runs, and the feedback says which
    import was skipped. Code that uses the missing module fails where it uses it.
    """
    body = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)) and not (
                isinstance(node, ast.ImportFrom) and node.module == "__future__"):
            handler = ast.ExceptHandler(
                type=ast.Name("ImportError", ast.Load()), name="_grader_import_error",
                body=[ast.Expr(ast.Call(ast.Name("_grader_import_failed", ast.Load()),
                                        [ast.Name("_grader_import_error", ast.Load()),
                                         ast.Constant(node.lineno)], []))])
            wrapped = ast.Try(body=[node], handlers=[handler], orelse=[], finalbody=[])
            body.append(ast.copy_location(wrapped, node))
        else:
            body.append(node)
    tree.body = body
    return ast.fix_missing_locations(tree)


def _run_source(source, namespace, name):
    """Run the code of a ``%time``/``%%time``/``%%capture`` magic in the notebook's namespace."""
    text = _ipython_transform(source) or source
    try:
        code = compile(text, name, "eval")
    except SyntaxError:
        exec(compile(_skip_failed_imports(ast.parse(text, name)), name, "exec"), namespace)
        return None
    return eval(code, namespace)


# Per-cell limits. A cell gets CELL CPU seconds (limits["cell_seconds"]) of its own process, whatever the
# machine's load; a wall clock of WALL_FACTOR times that (plus WALL_GRACE) is only a backstop for a cell
# that waits (sleep, a lock). A cell stopped at its limit costs itself only: the next cell runs, and the
# cell's CPU time is not taken from the tasks' (see _exec_cells).
WALL_FACTOR = 4.0
WALL_GRACE = 5.0
_CELL_LIMITS = {}   # set by probe_cells in the job process; task processes inherit it


def wall_backstop(cpu_seconds):
    """The wall-clock backstop for a limit of ``cpu_seconds`` of CPU time."""
    return WALL_FACTOR * float(cpu_seconds) + WALL_GRACE


class _CellLimit(BaseException):
    """Raised inside a cell that reached its limit (BaseException: ``except Exception`` does not catch it)."""


def task_deadline(task, cells_done=False):
    """The wall-clock backstop of a task process (monotonic time). Its real limit is CPU time, the task's
    timeout for its calls; the good cells it runs first add WALL_FACTOR times their wall time in the probe."""
    cells = 0.0 if cells_done else WALL_FACTOR * float(_CELL_LIMITS.get("cells_wall", 0.0))
    return time.monotonic() + wall_backstop(task["timeout"]) + cells


def _cpu_used():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _set_cpu_soft(seconds):
    soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    want = int(math.ceil(seconds))
    if hard != resource.RLIM_INFINITY:
        want = min(want, hard)
    try:
        resource.setrlimit(resource.RLIMIT_CPU, (want, hard))
    except (ValueError, OSError):
        pass


def _exec_cells(cells, namespace, on_start=None, on_end=None, on_note=None):
    """Run the cells in order in ``namespace``, each under its own CPU limit and wall-clock backstop.

    on_end(index, problem): problem is None, or {"status": "raised" | "timed out", "error", "line"}.
    on_note(index, note): a top-level import that failed and was skipped.
    The CPU the cells use is given back: afterwards the process has the CPU budget it had before them.
    """
    cpu_limit = float(_CELL_LIMITS.get("cell_seconds", 0) or 0)
    wall = wall_backstop(cpu_limit) if cpu_limit else 0.0
    soft_before, hard = resource.getrlimit(resource.RLIMIT_CPU)
    budget = None if soft_before == resource.RLIM_INFINITY else soft_before - _cpu_used()
    state = {"active": False, "fired": 0}

    def stop(signum, frame):
        if not state["active"]:
            return
        state["fired"] += 1
        if state["fired"] > 3:   # the cell swallowed the stops: end the process (the probe restarts without it)
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGXCPU if signum == signal.SIGXCPU else signal.SIGKILL)
        if signum == signal.SIGALRM:
            signal.setitimer(signal.ITIMER_REAL, 1.0)
        raise _CellLimit("cpu" if signum == signal.SIGXCPU else "wall")

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGXCPU, signal.SIGALRM)} if cpu_limit else {}
    recorder = namespace.get("_grader_import_failed")
    shell = namespace.get("get_ipython")
    try:
        for index, code, _ in cells:
            if code is None:
                continue
            if on_start:
                on_start(index)
            if isinstance(recorder, _ImportSkipped):
                recorder.notes = []
            try:
                shell().cell_name = "<cell %d>" % (index + 1)
            except Exception:  # noqa: BLE001 - the student replaced get_ipython
                pass
            problem = None
            state["fired"] = 0
            try:
                try:
                    if cpu_limit:
                        _set_cpu_soft(_cpu_used() + cpu_limit)
                        signal.setitimer(signal.ITIMER_REAL, wall)
                    state["active"] = True
                    exec(code, namespace)
                finally:
                    state["active"] = False
                    if cpu_limit:
                        signal.setitimer(signal.ITIMER_REAL, 0)
            except _CellLimit as exc:
                problem = {"status": "timed out", "line": _cell_line(exc, index),
                           "error": ("stopped after %g s of CPU time" % cpu_limit) if str(exc) == "cpu"
                           else "stopped after %g s of waiting" % wall}
            except BaseException as exc:  # noqa: BLE001 - student code may raise anything
                problem = {"status": "raised", "line": _cell_line(exc, index),
                           "error": "%s: %s" % (type(exc).__name__, _short(exc))}
            if on_note and isinstance(recorder, _ImportSkipped):
                for note in recorder.notes:
                    on_note(index, note)
            if on_end:
                on_end(index, problem)
    finally:
        if cpu_limit:
            signal.setitimer(signal.ITIMER_REAL, 0)
            for sig, handler in previous.items():
                signal.signal(sig, signal.SIG_DFL if handler is None else handler)
            _set_cpu_soft(_cpu_used() + budget if budget is not None else
                          (hard if hard != resource.RLIM_INFINITY else resource.RLIM_INFINITY))


def _cell_line(exc, index):
    """The line of cell ``index`` that was running when ``exc`` was raised (its top-level frame), or None."""
    name = "<cell %d>" % (index + 1)
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == name:
            return frame.lineno
    return None


_TREES = {}   # cell index -> the module AST it was compiled from (to cut a cell stopped at its limit)


def _cut_before(index, line):
    """Cell ``index`` compiled without the top-level statement running at ``line`` and what follows, or None.

    A cell stopped at its limit (a training loop after the definitions) keeps what it did before: the task
    processes run only the statements that completed in the probe.
    """
    tree = _TREES.get(index)
    if tree is None or not isinstance(line, int):
        return None
    kept = []
    for node in tree.body:
        if node.lineno <= line <= (getattr(node, "end_lineno", None) or node.lineno):
            break
        kept.append(node)
    else:
        return None
    if not kept:
        return None
    try:
        return compile(ast.Module(body=kept, type_ignores=[]), "<cell %d>" % (index + 1), "exec")
    except (SyntaxError, ValueError):
        return None


def probe_cells(cells, limits, out, first_task=None):
    """Find which cells run to completion. Returns (good indices, per-cell report, pid or None).

    The report lists every problem, one dict each: {"cell": n, "status", "error", "line"} with status
    "syntax error", "raised", "import failed" (a skipped top-level import), "timed out" or "ended the
    process". A cell that raised stays among the good cells (what it defined before raising counts); one
    that timed out or ended the process does not.

    Limits do not depend on the machine's load: each cell has its CPU limit (limits["cell_seconds"]) and
    a generous wall-clock backstop; no shared budget drops cells that completed.

    first_task: (index, task, inbox, jobdir). If every cell runs to completion
    on the first try (the usual case), the probe process goes straight on to
    that task's calls, in the namespace the cells just built, as a task
    process would; its pid is returned for the caller to wait on. Otherwise
    (a cell hung or ended the process) the cells are probed again without it,
    and None is returned: the first task then runs like every other.
    """
    _CELL_LIMITS.clear()
    _CELL_LIMITS.update(cell_seconds=limits["cell_seconds"])
    problems = {i: [{"cell": i + 1, "status": "syntax error", "error": str(err),
                     "line": getattr(err, "line", None)}] for i, code, err in cells if code is None}
    bad = {i for i, code, _ in cells if code is None}
    stopped = set()
    cell_wall = wall_backstop(limits["cell_seconds"]) + WALL_GRACE   # the in-process backstop fires first
    then = first_task
    while True:
        todo = [c for c in cells if c[0] not in bad]
        read_fd, write_fd = os.pipe()
        if then:
            index, task, inbox, jobdir = then
            task_stdout = os.path.join(out, "stdout-%d.txt" % index)
            pid = _fork_limited(limits, task_stdout, task["timeout"])
        else:
            pid = _fork_limited(limits, os.path.join(out, "stdout-cells.txt"))
        if pid == 0:
            os.close(read_fd)
            pipe = os.fdopen(write_fd, "w")

            def send(*message):
                pipe.write(json.dumps(message) + "\n")
                pipe.flush()

            namespace = _fresh_namespace()
            _exec_cells(todo, namespace, lambda i: send("start", i), lambda i, p: send("end", i, p),
                        lambda i, note: send("note", i, note))
            send("done")
            pipe.close()
            if then:
                try:
                    _task_calls(index, task, namespace, inbox, jobdir)
                finally:
                    os._exit(0)
            os._exit(0)
        os.close(write_fd)
        current, finished, buffer = None, False, b""
        ended, notes, took, started = {}, {}, {}, time.monotonic()
        cell_deadline = time.monotonic() + cell_wall
        while not finished:
            ready, _, _ = select.select([read_fd], [], [], max(cell_deadline - time.monotonic(), 0))
            if not ready:
                break
            chunk = os.read(read_fd, 65536)
            if not chunk:
                break
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                try:
                    message = json.loads(line)
                except ValueError:
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
        os.close(read_fd)
        for i in ended:
            problems[i] = [dict(n, cell=i + 1) for n in notes.get(i, [])]
            if ended[i]:
                problems[i].append(dict(ended[i], cell=i + 1))
                if ended[i].get("status") == "timed out":
                    stopped.add(i)
        if finished and then and not stopped:   # the first task is under way in this process
            _CELL_LIMITS["cells_wall"] = sum(took.get(i, 0.0) for i in _good(cells, bad))
            return _good(cells, bad), _flat(problems), pid
        status, expired = None, False
        if not finished:
            expired = time.monotonic() >= cell_deadline
            _kill_group(pid)
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
            _, status = os.waitpid(pid, 0)
        else:
            _kill_and_reap(pid)
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
        problems[current] = [dict(n, cell=current + 1) for n in notes.get(current, [])] + [
            {"cell": current + 1, "status": "timed out" if timed_out else "ended the process",
             "error": None if timed_out or status is None else "%s: %s" % _describe(status), "line": None}]
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

def run_task(index, task, cells, limits, inbox, jobdir):
    """Run one task's calls in a fresh limited process. Returns (status, detail)."""
    out = os.path.join(jobdir, "out")
    pid = _fork_limited(limits, os.path.join(out, "stdout-%d.txt" % index), task["timeout"])
    if pid == 0:
        try:
            _task_process(index, task, cells, inbox, jobdir)
        finally:
            os._exit(0)
    deadline = task_deadline(task)
    status = _wait(pid, deadline)
    return status


def _task_process(index, task, cells, inbox, jobdir):
    namespace = _fresh_namespace()
    _exec_cells(cells, namespace)
    _task_calls(index, task, namespace, inbox, jobdir)


def _task_calls(index, task, namespace, inbox, jobdir):
    """Call the task's function, from ``namespace``, on each of its calls; one JSON line per result."""
    out = os.path.join(jobdir, "out")
    results = open(os.path.join(out, "results-%d.jsonl" % index), "w", encoding="utf-8")
    function = namespace.get(task["function"])
    if callable(function) and task.get("probe"):
        function = _probe(task["probe"], function)
    for call in task["calls"]:
        record = {"id": call["id"]}
        if not callable(function):
            record["result"] = {"t": "missing"}
        else:
            indir = os.path.join(inbox, "in")
            args = [wire.decode(a, indir, allow_rng=True) for a in call["args"]]
            kwargs = {k: wire.decode(v, indir, allow_rng=True) for k, v in call["kwargs"].items()}
            encoder = wire.Encoder(out, "t%d-%s" % (index, call["id"]))
            started = time.perf_counter()
            try:
                value = function(*args, **kwargs)
                record["result"] = encoder.encode(value)
            except BaseException as exc:  # noqa: BLE001 - student code may raise anything
                record["result"] = {
                    "t": "raised", "type": type(exc).__name__, "message": _short(exc),
                    "is_value_error": isinstance(exc, ValueError),
                    "where": _where(exc),
                }
            record["seconds"] = time.perf_counter() - started
            record["args_after"] = [encoder.encode(a) if isinstance(a, np.ndarray) else None for a in args]
        results.write(json.dumps(record) + "\n")
        results.flush()
    results.close()


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


def _short(exc, limit=300):
    text = str(exc)
    return text if len(text) <= limit else text[:limit] + "..."


def _where(exc):
    """The last line of the traceback that is in the student's code, e.g. 'cell 3, line 7'."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.startswith("<cell "):
            return "%s, line %d" % (frame.filename.strip("<>"), frame.lineno)
    return None


# ----------------------------------------------------------------------------
# processes and limits

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
        log = os.open(stdout_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.dup2(log, 1)
        os.dup2(log, 2)
        signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
    except BaseException:  # noqa: BLE001
        os._exit(70)
    return 0


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
    for _ in range(200):
        others = [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) != me]
        if not others:
            return True
        for pid in others:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        while True:   # reap them (children and, as init, orphans)
            try:
                if os.waitpid(-1, os.WNOHANG)[0] == 0:
                    break
            except ChildProcessError:
                break
        time.sleep(0.005)
    return False


def _empty(folder):
    """Remove everything inside ``folder`` (the sandbox's private /tmp), never following links."""
    import shutil
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        path = os.path.join(folder, name)
        try:
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                os.unlink(path)
        except OSError:
            pass


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
