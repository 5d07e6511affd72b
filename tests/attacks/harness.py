"""Run each attack in this folder as an ex1 submission and say whether it was blocked.

Every attack file is a template: {REPO}, {PORT}, {OUTSIDE} and {MARKER} are
filled in before grading ({LEAK} too: it is the marker, and an attack that
uses it is not blocked if the marker shows up in any report). Its `to_unit_range` tries the escape and returns the
right answer only if the escape worked; its `conv2d_single` is correct. An
attack is blocked when `to_unit_range` earns nothing, `conv2d_single` still
earns full marks, nothing reached the test server, nothing was written
outside, no process is left behind, grading stayed within its limits (no
hang, no exception out of the grader), and every report and export renders
without a control character in it (and, for attacks using {LEAK}, without
the marker): feedback is an output channel, hidden arguments or ANSI escapes
must not get through.

Attacks named reuse_* are graded twice by one warm worker: the first grading
plants something (a process, a file) and the second scores only if it finds it.
"""
from __future__ import annotations

import os
import re
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, replace
from pathlib import Path

from autograder import exercises, exports, grading, html, report
from autograder.batch import Entry, Graded
from autograder.jail import NAMESPACES, level_name
from autograder.sandbox import Limits
from autograder.submission import Submission
from autograder.workers import WorkerPool

HERE = Path(__file__).parent
REPO = HERE.parent.parent
ATTACKS = sorted(p for p in HERE.glob("*.py") if not p.name.startswith(("harness", "__")))
LIMITS = Limits(task_seconds=5.0, cell_seconds=5.0, cells_seconds=10.0, memory_mb=1024, output_mb=8)
TIME_BUDGET = 60.0   # seconds for one attack's grading, all limits included
HANG = 240.0         # seconds after which grading counts as hung (the budget is checked separately)
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")   # control characters but tab and newline


@dataclass
class AttackResult:
    name: str
    description: str
    blocked: bool
    how: str
    seconds: float
    result: object = None   # the ExerciseResult, when grading finished


class _Listener:
    """A TCP server on 127.0.0.1 that counts connections."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while self.running:
            try:
                conn, _ = self.sock.accept()
                self.connections += 1
                conn.close()
            except OSError:
                pass

    def close(self):
        self.running = False
        self.thread.join()
        self.sock.close()


def _leftover(marker):
    out = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def run_attack(path: Path, isolate: "bool | str" = True, hidden: bool = True) -> AttackResult:
    """Grade the attack at isolation ``isolate`` (True: namespaces, False: none, or a level's name)."""
    text = path.read_text()
    description = text.splitlines()[0].replace("# attack:", "").strip()
    marker = "cnn-attack-%s" % uuid.uuid4().hex
    outside = str(REPO / ("%s.txt" % marker))   # the repository: never writable from the sandbox
    listener = _Listener()
    leak = "{LEAK}" in text   # the attack tries to get its marker into a report (feedback as an output channel)
    source = (text.replace("{REPO}", str(REPO)).replace("{PORT}", str(listener.port))
              .replace("{OUTSIDE}", outside).replace("{MARKER}", marker).replace("{LEAK}", marker))
    ex1 = exercises.load("ex1")
    exercise = replace(ex1, tasks=(ex1.task("to_unit_range"), ex1.task("conv2d_single")))
    os.environ["CNN_GRADER_TEST_SECRET"] = "s3cret"
    started = time.perf_counter()
    outcome = {}

    def grade():
        try:
            if path.stem.startswith("reuse_"):
                # graded twice by one warm worker: the second grading must not find what the first left
                with WorkerPool(keep=1) as pool:
                    for _ in range(2):
                        outcome["result"] = grading.grade(exercise, Submission(str(path), [source]), hidden=True,
                                                          seed=0, limits=LIMITS, isolate=isolate, pool=pool)
                    outcome["reused"] = bool(pool._idle) and pool._idle[0].served == 2
            else:
                outcome["result"] = grading.grade(exercise, Submission(str(path), [source]), hidden=hidden,
                                                  seed=0, limits=LIMITS, isolate=isolate)
        except BaseException as exc:  # noqa: BLE001 - reported as the attack's success below
            outcome["error"] = exc

    try:
        thread = threading.Thread(target=grade, daemon=True)   # a hung grader must not hang the suite
        thread.start()
        thread.join(HANG)
    finally:
        seconds = time.perf_counter() - started
        os.environ.pop("CNN_GRADER_TEST_SECRET", None)
        listener.close()
    if thread.is_alive():
        return AttackResult(path.stem, description, False, "grading hung (%.0f s)" % seconds, seconds)
    if "error" in outcome:
        exc = outcome["error"]
        return AttackResult(path.stem, description, False, "the grader raised %s: %s" % (
            type(exc).__name__, str(exc)[:200]), seconds)
    result, reused = outcome["result"], outcome.get("reused")
    attacked, control = result.tasks
    left = _leftover(marker)
    for pid in left:
        try:
            os.kill(pid, 9)
        except OSError:
            pass
    wrote = os.path.exists(outside)
    if wrote:
        os.remove(outside)
    problems = []
    if attacked.score > 0:
        problems.append("the attacking task scored %s" % attacked.score)
    if not control.passed:
        problems.append("the correct task beside it lost marks (%s: %s)" % (control.score, _first_line(control)))
    if listener.connections:
        problems.append("%d network connection(s) got through" % listener.connections)
    if wrote:
        problems.append("wrote a file outside its directory")
    if left:
        problems.append("left %d process(es) running" % len(left))
    if reused is False and level_name(isolate) == NAMESPACES:   # the only level with warm workers
        problems.append("the warm worker was not reused, so the attack was not tried")
    if seconds > TIME_BUDGET:
        problems.append("grading took %.0f s" % seconds)
    problems += _report_problems(result, path, marker if leak else None)
    how = "; ".join(problems) if problems else _first_line(attacked)
    return AttackResult(path.stem, description, not problems, how, seconds, result)


def _first_line(task_result):
    for case in task_result.cases:
        if not case.verdict.passed:
            return case.verdict.message.split(":")[0][:70]
    return ""


def render_all(result, path) -> dict[str, str]:
    """Every report and export of one graded submission, as text (each must render without raising)."""
    rendered = {"text": report.text(result, str(path)), "json": report.as_json(result),
                "gradescope": report.as_gradescope(result), "html": html.student_report(result, str(path))}
    graded = [Graded(Entry("student", result.exercise.key, str(path)), result)]
    with tempfile.TemporaryDirectory() as folder:
        exports.write_csv(graded, os.path.join(folder, "grades.csv"))
        exports.write_junit(graded, os.path.join(folder, "junit.xml"))
        exports.write_markdown(graded, os.path.join(folder, "summary.md"))
        exports.write_gradescope(graded, os.path.join(folder, "gradescope"))
        exports.write_html(graded, os.path.join(folder, "html"))
        for root, _, files in os.walk(folder):
            for name in files:
                with open(os.path.join(root, name), encoding="utf-8") as handle:
                    rendered[os.path.relpath(os.path.join(root, name), folder)] = handle.read()
    return rendered


def _report_problems(result, path, marker):
    try:
        rendered = render_all(result, path)
    except Exception as exc:  # noqa: BLE001 - a report that cannot be written is the attack's success
        return ["a report raised %s: %s" % (type(exc).__name__, str(exc)[:200])]
    problems = []
    for name, content in sorted(rendered.items()):
        if marker and marker in content:
            problems.append("the %s report echoes the submission's own text (hidden arguments could leak)" % name)
        if CONTROL.search(content):
            problems.append("the %s report holds a control character %r" % (name, CONTROL.search(content)[0]))
    return problems
