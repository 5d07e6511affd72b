"""A submission's cells as Jupyter would run them, inside the job process (child side).

Compiling a cell (IPython's own input transformer for magics and shell lines,
top-level imports of missing packages skipped with a note), the namespace a
notebook expects (``display``, ``get_ipython``, an ``input`` that fails at
once), and running cells one by one under a CPU-time limit per cell with a
wall-clock backstop, so that a score does not depend on the machine's load.
A cell stopped at its limit keeps the statements before the one that ran out
(``_cut_before``). Nothing here decides a grade.
"""
import ast
import math
import os
import resource
import signal
import time
import traceback


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

    The module is loaded from its file, only when a cell needs it, and without importing the IPython
    package where the transformer allows (IPython 8's does: its package import takes a second; IPython
    9's transformer imports ``IPython.utils``, a fast import there).
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


def _short(exc, limit=300):
    try:
        text = str.__str__(str(exc))   # a plain str, whatever __str__ returned
    except BaseException:  # noqa: BLE001 - a hostile __str__
        return "(a message that could not be read)"
    return text if len(text) <= limit else text[:limit] + "..."
