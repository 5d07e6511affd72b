"""The grader's side of the judge server: judge Keras answers in fresh, limited processes.

``judge_cases(exercise_key, task, items)`` sends (case, outcome) pairs to the
judge server (autograder/judge/server.py), which forks a fresh process with
Keras already imported for each request; that process rebuilds, runs and
trains the student's models under an address-space limit, a CPU limit and a
wall-clock alarm, and answers with one JSON line per verdict. The grader
never imports Keras itself, sends only data (``request.py``: the wire format,
no pickle), never unpickles what comes back (JSON, size-capped, every field
checked) and kills a judgement that overruns its
deadline; whatever a model does to Keras' global state ends with its process.

Before anything is sent, each model payload's config is checked against the
allowlist (autograder/judge/allow.py): a refused model costs no process.

One server per grader process, started on first use (``warm()`` starts it
early, in parallel with the child's run). Threads share it: each request has
its own socket, so judgements of a batch run in parallel.
"""
from __future__ import annotations

import atexit
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

from ..spec import Verdict
from . import allow, request

MEMORY_MB = 2048          # address space a judgement may add to the server's
CASE_SECONDS = 120.0      # CPU and wall-clock time per case judged (a classifier trains 10 epochs)
START_SECONDS = 300.0     # the server's start (importing TensorFlow on a busy machine)
MAX_LINE = 1 << 20        # one verdict line


class CageUnavailable(RuntimeError):
    """The judge server could not be started: an infrastructure failure, never a score."""


class _Server:
    def __init__(self):
        self.lock = threading.Lock()
        self.process = None
        self.control = None
        self.ready = False
        self.error = None

    def start(self):
        """Start the server if it is not running (returns at once; ``wait_ready`` waits)."""
        with self.lock:
            if self.process is not None and self.process.poll() is None:
                return
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
            env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONWARNINGS="ignore",
                       PYTHONPATH=os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p))
            quiet = None if os.environ.get("CNN_GRADER_CAGE_DEBUG") else subprocess.DEVNULL
            self.process = subprocess.Popen(
                [sys.executable, "-m", "autograder.judge.server", str(theirs.fileno())],
                pass_fds=[theirs.fileno()], env=env, cwd=root, stdin=subprocess.DEVNULL,
                stdout=quiet, stderr=quiet, start_new_session=True)
            theirs.close()
            self.control, self.ready, self.error = ours, False, None

    def wait_ready(self):
        self.start()
        with self.lock:
            if self.ready:
                return
            self.control.settimeout(START_SECONDS)
            try:
                got = self.control.recv(1)
            except OSError:
                got = b""
            if got != b"R":
                self._stop_locked()
                raise CageUnavailable("the Keras judge process did not start (is Keras installed? run with "
                                      "CNN_GRADER_CAGE_DEBUG=1 to see its errors)")
            self.control.settimeout(None)
            self.ready = True

    def connect(self) -> socket.socket:
        """A new socket to a fresh fork of the server (restarted once if it died, e.g. killed for memory)."""
        for attempt in (1, 2):
            self.wait_ready()
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            with self.lock:
                try:
                    if self.control is None:
                        raise OSError("stopped")
                    socket.send_fds(self.control, [b"J"], [theirs.fileno()])
                    return ours
                except OSError as exc:
                    ours.close()
                    self._stop_locked()
                    if attempt == 2:
                        raise CageUnavailable("the Keras judge process is gone (%s)" % exc) from None
                finally:
                    theirs.close()
        raise CageUnavailable("the Keras judge process is gone")

    def stop(self):
        with self.lock:
            self._stop_locked()

    def _stop_locked(self):
        if self.control is not None:
            self.control.close()
            self.control = None
        if self.process is not None:
            try:
                self.process.kill()
                self.process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                pass
            self.process = None
        self.ready = False


_SERVER = _Server()
atexit.register(_SERVER.stop)


def warm() -> None:
    """Start the judge server now (it takes seconds to import Keras), without waiting for it."""
    try:
        _SERVER.start()
    except OSError:
        pass


def precheck(outcome) -> Verdict | None:
    """A failing Verdict for a returned model whose config the allowlist refuses, before any process starts."""
    value = getattr(outcome, "value", None)
    if getattr(outcome, "kind", None) == "value" and isinstance(value, dict) and isinstance(value.get("config"), str):
        problem = allow.config_problem(value["config"])
        if problem:
            return Verdict(False, problem)
    return None


IN_PROCESS = False   # True only in the student kit's build, which records the reference's answers here


def caged(exercise, task) -> bool:
    """Whether ``task`` is judged in the cage: every task of a Keras exercise but those its module lists in
    JUDGED_IN_GRADER (judged on arrays or JSON alone, without Keras). The student kit's modules list every
    task there: a kit judges the student's own models on the student's own machine."""
    if IN_PROCESS or not exercise.uses_keras:
        return False
    import importlib
    try:
        module = importlib.import_module("autograder.exercises.%s" % exercise.key)
    except ImportError:
        return True
    return task.name not in getattr(module, "JUDGED_IN_GRADER", ())


def judge_cases(exercise_key: str, task, items: list, memory_mb: int = MEMORY_MB,
                case_seconds: float = CASE_SECONDS, answers=None) -> list[Verdict]:
    """Verdicts for (case, outcome) pairs of ``task``, each judged in a fresh limited process.

    answers: a memo (memo.py) for the reference's answers. The judging process
    works out every reference answer before it touches a student's model and
    sends back those that are plain JSON (ex7's expected flags); they are kept
    in the memo and sent as the case's precomputed answer next time, so the
    reference is not worked out again for every student.
    """
    verdicts: list[Verdict | None] = [precheck(outcome) for _, outcome in items]
    todo = [i for i, v in enumerate(verdicts) if v is None]
    if answers is not None:
        items = [(_with_answer(answers, task, case), outcome) for case, outcome in items]
    while todo:
        done, expected = _request(exercise_key, task, [items[i] for i in todo], memory_mb, case_seconds)
        if answers is not None:
            for k, value in expected.items():
                case = items[todo[k]][0]
                answers.get(_answer_key(task, case), lambda: value)
        for k, verdict in done.items():
            verdicts[todo[k]] = verdict
        progressed = max(done) + 1 if done else 0
        if progressed == 0:      # should not happen: _request always settles the first case
            verdicts[todo[0]] = Verdict(False, _ended(memory_mb, case_seconds))
            progressed = 1
        todo = todo[progressed:]
    return verdicts


def _answer_key(task, case):
    from ..memo import digest
    try:
        return ("caged reference", task.name, task.reference, digest(case.args), digest(case.kwargs))
    except TypeError:
        return None


def _with_answer(answers, task, case):
    """``case`` with the reference's answer as its precomputed answer, if the memo knows it."""
    import dataclasses
    key = _answer_key(task, case)
    if key is None or case.precomputed is not None:
        return case
    found, value = answers.peek(key)
    return dataclasses.replace(case, precomputed={"expected": value}) if found else case


def _ended(memory_mb, case_seconds) -> str:
    return ("judging the returned model exceeded the grader's limits (%d MB of memory, %g s): a model far larger "
            "or slower than the exercise asks for?" % (memory_mb, case_seconds))


def _request(exercise_key, task, items, memory_mb, case_seconds) -> tuple[dict[int, Verdict], dict[int, object]]:
    """Judge items in one fork: ({index: Verdict} for those settled (in order; the one running at a death
    fails), {index: the reference's plain answer})."""
    seconds = case_seconds * len(items)
    payload = request.encode(exercise_key, task.name, items, memory_mb, seconds)
    conn = _SERVER.connect()
    deadline = time.monotonic() + seconds + 30.0
    reader = _Lines(conn, deadline)
    pid = None
    done: dict[int, Verdict] = {}
    expected: dict[int, object] = {}
    running = None
    try:
        first = reader.line()
        if first is None or not isinstance(first.get("pid"), int):
            raise CageUnavailable("the Keras judge process did not answer")
        pid = first["pid"]
        conn.sendall(payload)
        while len(done) < len(items):
            line = reader.line()
            if line is None:
                break
            if isinstance(line.get("start"), int):
                running = line["start"]
                continue
            if (isinstance(line.get("expected"), int) and 0 <= line["expected"] < len(items) and not done
                    and running is None):
                expected[line["expected"]] = line.get("value")   # sent before any student model is touched
                continue
            index = line.get("index")
            if not isinstance(index, int) or not 0 <= index < len(items) or index in done:
                break
            done[index] = _verdict(task, line)
            running = None
    except OSError:
        pass
    finally:
        conn.close()
        if pid is not None and len(done) < len(items):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    if len(done) < len(items):
        stuck = running if running is not None else len(done)
        done[stuck] = Verdict(False, _ended(memory_mb, case_seconds))
        done = {k: v for k, v in done.items() if k <= stuck}
    return done, expected


class _Lines:
    """JSON lines from a socket, each at most MAX_LINE bytes, until a deadline; None at EOF or timeout."""

    def __init__(self, conn, deadline):
        self.conn, self.deadline, self.buffer = conn, deadline, b""

    def line(self):
        while b"\n" not in self.buffer:
            left = self.deadline - time.monotonic()
            if left <= 0 or len(self.buffer) > MAX_LINE:
                return None
            self.conn.settimeout(left)
            try:
                chunk = self.conn.recv(65536)
            except (socket.timeout, OSError):
                return None
            if not chunk:
                return None
            self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\n", 1)
        try:
            value = json.loads(raw)
        except (ValueError, RecursionError):
            return None
        return value if isinstance(value, dict) else None


def _verdict(task, line: dict) -> Verdict:
    """A Verdict from a JSON line, every field checked; the misconception looked up among the task's own."""
    def text(key, limit=4000):
        value = line.get(key)
        return value[:limit] if isinstance(value, str) else ""
    misconception = None
    key = line.get("misconception")
    if isinstance(key, str):
        misconception = next((m for m in task.misconceptions if m.key == key), None)
    extra = line.get("extra") if isinstance(line.get("extra"), dict) else {}
    extra = {k: v for k, v in list(extra.items())[:20] if isinstance(k, str)
             and (isinstance(v, (bool, int, float)) or v is None or (isinstance(v, str) and len(v) < 200))}
    return Verdict(line.get("passed") is True, text("message"), text("detail", 20000), misconception, extra)
