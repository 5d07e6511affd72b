"""Grade one submission for one exercise: cases -> sandbox -> verdicts -> scores.

The student's code runs only in the child (sandbox.py); the reference, the
expected values and every comparison stay here in the parent.
"""
from __future__ import annotations

import copy
import time
import zlib
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace

import numpy as np

from . import checks
from .safetext import clean
from .child.wire import RngSeed
from .judge import cage
from .sandbox import Call, GraderError, Limits, Outcome, TaskJob, TaskRun, run_submission
from .spec import Case, Exercise, Misconception, Task, Verdict
from .memo import Memo
from .submission import Submission
from .workers import WorkerPool

DEFAULT_SEED = 0
KERAS_MEMORY_MB = 4096   # address space for Keras exercises (TensorFlow reserves about 2 GB at start)

_LOST = {
    "timeout": "did not finish within {timeout:g} s: an infinite loop, or a Python loop over every pixel "
               "of a large input? Vectorise with NumPy",
    "cpu": "used more than {timeout:g} s of CPU time: an infinite loop?",
    "output": "printed or wrote too much output; remove debugging prints from the function",
    "crash": "crashed the Python process ({detail})",
    "signal": "was killed by the signal {detail}",
    "killed": "was killed (out of memory or time)",
    "exited": "ended the Python process (exit code {detail}): do not call os._exit() or exit() in a task",
    "ok": "ended the Python process before returning: do not call os._exit() in a task",
    "lost": "ended the grading process; the task cannot be graded",
    "protocol": "wrote into the grader's result channel itself; the task cannot be graded",
    "files": "created more than {detail} in its folders; a task needs a handful of small files at most",
}


@dataclass
class CaseResult:
    case: Case
    verdict: Verdict


@dataclass
class TaskResult:
    task: Task
    score: float
    cases: list[CaseResult]
    notes: list[str] = field(default_factory=list)   # task-level remarks (missing function, ...)
    stdout: str = ""

    @property
    def name(self) -> str:
        return self.task.name

    @property
    def max_score(self) -> int:
        return self.task.points

    @property
    def passed(self) -> bool:
        return self.score == self.max_score

    @property
    def misconceptions(self) -> list[Misconception]:
        seen = {}
        for result in self.cases:
            m = result.verdict.misconception
            if m is not None and m.key not in seen:
                seen[m.key] = m
        return list(seen.values())


@dataclass
class ExerciseResult:
    exercise: Exercise
    tasks: list[TaskResult]
    cell_problems: list[dict]
    warnings: list[str]
    hidden: bool
    seed: int
    isolated: bool
    seconds: float
    isolation: str = "none"     # the jail student code ran in: namespaces, uid+seccomp or none

    @property
    def score(self) -> float:
        return round(sum(t.score for t in self.tasks), 2)

    @property
    def max_score(self) -> int:
        return self.exercise.max_score


def cases_for(task: Task, hidden: bool, seed: int) -> list[Case]:
    """The public cases, then (if asked) the hidden ones drawn from ``seed`` and the task's name."""
    cases = list(task.public)
    if hidden:
        cases += task.hidden_cases(np.random.default_rng([seed, zlib.crc32(task.name.encode())]))
    return cases


def grade(exercise: Exercise, submission: Submission, *, hidden: bool, seed: int = DEFAULT_SEED,
          limits: Limits = Limits(), isolate: bool | None = None,
          judge_lock: AbstractContextManager | None = None, pool: WorkerPool | None = None,
          memo: Memo | None = None) -> ExerciseResult:
    """Grade ``submission`` on every task of ``exercise``. Never raises for student code.

    pool: warm workers to run the submission in (a batch shares one); without
    one, a worker is started for this submission alone. memo: reference
    answers and verdicts already worked out in this batch.
    judge_lock: held while judging in this process; not for an exercise with
    tasks judged in the cage (autograder/judge: Keras models, each judgement
    in its own process), which need no lock. The child runs outside it.
    """
    started = time.perf_counter()
    caged = {task.name for task in exercise.tasks if cage.caged(exercise, task)}
    if exercise.uses_keras:   # TensorFlow reserves address space generously
        limits = replace(limits, memory_mb=max(limits.memory_mb, KERAS_MEMORY_MB))
    if caged:
        cage.warm()           # the judge server imports Keras in parallel with the child's run
    plan = [(task, cases_for(task, hidden, seed)) for task in exercise.tasks]
    jobs = [TaskJob(task.name, [Call("c%d" % i, c.args, c.kwargs) for i, c in enumerate(cases)],
                    task.timeout or limits.task_seconds, task.probe)
            for task, cases in plan]
    run = run_submission(submission.cells, jobs, limits, isolate, exercise.preload, pool)
    problems = [_placed(p, submission, limits) for p in cell_problems(run.cells, submission.cells)]
    for task_run in run.tasks.values():
        for outcome in task_run.outcomes.values():
            if outcome.kind == "raised" and isinstance(outcome.error, dict) and outcome.error.get("where"):
                outcome.error = dict(outcome.error, where=submission.where(str(outcome.error["where"])))
    # Keras models are judged in the cage's processes, never here, so judging them needs no lock
    with (nullcontext() if caged else judge_lock or nullcontext()):
        results = [judge_task(task, cases, run.tasks[task.name], problems, job.timeout, memo,
                              exercise.key if task.name in caged else None,
                              definer=_definer(submission, task.name))
                   for (task, cases), job in zip(plan, jobs)]
    return ExerciseResult(exercise, results, problems, list(submission.warnings), hidden, seed,
                          run.isolated, time.perf_counter() - started, run.isolation)


def _placed(problem: dict, submission: Submission, limits: Limits) -> dict:
    """A cell problem from the child, with where the student finds the cell and what to do about it."""
    problem = dict(problem)
    number = problem.get("cell")
    python_file = bool(submission.first_lines)
    problem["label"] = submission.label(number) if isinstance(number, int) else "a cell"
    if problem.get("error"):
        problem["error"] = submission.where(str(problem["error"]))
    if problem.get("status") == "timed out":
        problem["hint"] = (
            "every %s may use %g s of CPU time while grading. Put slow demos, training runs, plots and "
            "input() under `if __name__ == \"__main__\":`, which grading does not run%s" % (
                "top-level statement" if python_file else "cell", limits.cell_seconds,
                "" if python_file else ", or in a cell of their own, apart from your functions"))
    elif problem.get("status") == "ended the process":
        problem["hint"] = "do not call exit(), sys.exit() or os._exit() at the top level"
    return problem


def _definer(submission: Submission, name: str) -> int | None:
    """The 1-based number of the last cell that defines (or tries to define) function ``name``."""
    import ast
    import re

    found = None
    pattern = re.compile(r"^(?:async\s+)?def\s+%s\s*\(|^%s\s*=" % (re.escape(name), re.escape(name)), re.M)
    for number, source in enumerate(submission.cells, 1):
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError):
            if pattern.search(source):   # a broken cell: its text still says where the function was meant to be
                found = number
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
                found = number
            elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
                found = number
    return found


def judge_task(task: Task, cases: list[Case], run: TaskRun, cell_problems: list[dict],
               timeout: float, memo: Memo | None = None, cage_key: str | None = None,
               definer: int | None = None) -> TaskResult:
    """cage_key: the exercise's key if the task's answers are judged in the cage (Keras models), else None.
    definer: the number of the cell that defines (or tries to) the task's function, if any."""
    results = []
    caged = []
    notes = []
    outcomes = [run.outcomes.get("c%d" % i, Outcome("lost")) for i in range(len(cases))]
    if outcomes and all(o.kind == "missing" for o in outcomes):
        notes.append("`%s` is not defined in your submission%s" % (task.name, _cell_hint(task.name, cell_problems,
                                                                                          definer)))
    for case, outcome in zip(cases, outcomes):
        if outcome.kind == "missing":
            verdict = Verdict(False, "`%s` is not defined" % task.name)
        elif outcome.kind == "lost":
            verdict = Verdict(False, _LOST.get(run.status, _LOST["lost"]).format(
                timeout=timeout, detail=run.detail))
        elif cage_key and outcome.kind == "value" and case.expect != "raises":
            caged.append((len(results), case, outcome))
            verdict = None
        else:
            verdict = _judged(task, case, outcome, memo)
        results.append(CaseResult(case, verdict))
    if caged:
        pairs = [(case, outcome) for _, case, outcome in caged]
        judge = lambda items: cage.judge_cases(cage_key, task, items, answers=memo)   # noqa: E731
        try:
            verdicts = judge(pairs) if memo is None else memo.verdicts(task, pairs, judge)
        except Exception as exc:  # noqa: BLE001 - the cage settles what a model does as verdicts itself:
            # anything else is the grader's own failure, never the student's score
            raise GraderError("the Keras judge failed (%s: %s)" % (type(exc).__name__, exc)) from exc
        for (position, case, _), verdict in zip(caged, verdicts):
            results[position] = CaseResult(case, verdict)
    passed = sum(r.verdict.passed for r in results)
    score = round(task.points * passed / len(results), 2) if results else 0.0
    # what it printed is the student's text, and may hold hidden arguments: kept only when no case was hidden
    stdout = "" if any(case.hidden for case in cases) else clean(run.stdout, 2000)
    return TaskResult(task, score, results, notes, stdout)


def _judged(task: Task, case: Case, outcome: Outcome, memo: Memo | None) -> Verdict:
    """judge_case, with the catch-all per result: a value no check foresaw fails its own case, clearly."""
    try:
        if memo is None:
            return judge_case(task, case, outcome)
        return memo.verdict(task, case, outcome, lambda: judge_case(task, case, outcome, memo))
    except Exception as exc:  # noqa: BLE001 - whatever the child returned, grading goes on
        return Verdict(False, "returned %s, which the grader could not judge (%s)"
                       % (clean(checks.describe(outcome.value), 100), type(exc).__name__))


def judge_case(task: Task, case: Case, outcome: Outcome, memo: Memo | None = None) -> Verdict:
    """Judge one returned value or raised exception against the reference."""
    if outcome.kind == "raised":
        error = outcome.error
        kind = clean(error["type"], 100)   # the exception's class name is the student's text too
        if case.expect == "raises":
            if error["is_value_error"]:
                return Verdict(True)
            return Verdict(False, "raised %s instead of ValueError (%s)" % (kind, case.reason))
        if error["type"] == "NotImplementedError":
            return Verdict(False, "not implemented yet: the starter's `raise NotImplementedError()` is still there")
        where = " at %s" % error["where"] if error.get("where") else ""
        misconception = task.explain_error(error) if task.explain_error else None
        if case.hidden:   # its message could hold anything the code saw, hidden arguments included
            return Verdict(False, "raised %s%s on this kind of input (a hidden case's error message is not "
                           "shown; try such an input yourself)" % (kind, where), misconception=misconception)
        return Verdict(False, "raised %s%s: %s" % (kind, where, clean(error["message"], 300)),
                       misconception=misconception)
    result = outcome.value
    if case.expect == "raises":
        if task.probe:   # the probe returns a payload whenever the function returns
            return Verdict(False, "did not raise ValueError (%s)" % case.reason)
        return Verdict(False, "returned %s instead of raising ValueError (%s)"
                       % (checks.describe(result), case.reason))
    expected = case.precomputed["expected"] if case.precomputed else call_reference(task.reference, case, memo)
    verdict = task.compare(result, expected)
    if not case.hidden:   # kept for pictures of public cases; hidden values never leave grading
        verdict.extra.update(got=result, expected=expected)
    if not verdict.passed:
        verdict.misconception = verdict.misconception or diagnose(task, case, result, memo)
        return verdict
    for position, after in enumerate(outcome.args_after):
        before = case.args[position] if position < len(case.args) else None
        if isinstance(before, np.ndarray) and not checks.unchanged(before, after):
            return Verdict(False, "the result is right, but your function changed its input array "
                           "(argument %d) in place; work on a copy (e.g. x.copy() or np.pad)" % (position + 1))
    return verdict


def call_reference(function, case: Case, memo: Memo | None = None):
    """Call a reference or a known-wrong variant on private copies of the case's arguments.

    With a memo, each (function, arguments) is called once per batch; the
    answer it returns is then shared, with its arrays read-only.
    """
    def fresh(value):
        if isinstance(value, RngSeed):
            return np.random.default_rng(int(value))
        return copy.deepcopy(value)

    def call():
        return function(*[fresh(a) for a in case.args], **{k: fresh(v) for k, v in case.kwargs.items()})
    return call() if memo is None else memo.reference(function, case.args, case.kwargs, call)


def diagnose(task: Task, case: Case, result, memo: Memo | None = None) -> Misconception | None:
    """The first known misconception whose wrong answer equals ``result``."""
    for misconception in task.misconceptions:
        if case.precomputed is not None:
            if misconception.key not in case.precomputed.get("wrong", {}):
                continue
            wrong = case.precomputed["wrong"][misconception.key]
        elif misconception.variant is None:
            continue
        else:
            try:
                wrong = call_reference(misconception.variant, case, memo)
            except Exception:  # noqa: BLE001 - a variant may not apply to this input
                continue
        if task.compare(result, wrong).passed:
            return misconception
    return None


def _cell_hint(name, cell_problems, definer=None):
    """Where the student should look for a missing function: the cell meant to define it, and why it did not."""
    problem = next((p for p in cell_problems if p.get("cell") == definer and p.get("status") != "import failed"),
                   None) if definer else None
    if problem is not None:
        return " (the cell that defines it: %s)" % cell_note(problem)
    if definer is None:
        return (": no cell defines a function named `%s` at the top level; check the name's spelling, and that "
                "your latest version was saved" % name)
    broken = [p for p in cell_problems if p.get("status") != "import failed"
              and (p.get("status") != "raised" or "NameError" not in str(p.get("error")))]
    if not broken:
        return ""
    return " (%s; it may be why)" % cell_note(broken[0])


# ---------------------------------------------------------------------------- cell notes

CELL_STATUSES = ("syntax error", "raised", "import failed", "timed out", "ended the process")
_QUOTE_LIMIT = 60


def _quote(text: str, limit: int = _QUOTE_LIMIT) -> str:
    """A line of the student's code, fit for one line of feedback: no control characters, short."""
    text = "".join(ch if ch.isprintable() else " " for ch in str(text)).strip().replace("`", "'")
    return text if len(text) <= limit else text[:limit - 3] + "..."


def cell_problems(reported, cells: list[str]) -> list[dict]:
    """The child's per-cell report, checked (it is untrusted) and given the line of code each is about.

    Each entry: {"cell": n (1-based, as the child counts code cells), "status": one of CELL_STATUSES,
    "error": text or None, "line": line number in the cell or None, "code": that line, quoted, or ""}.
    """
    out = []
    for problem in reported or []:
        if not isinstance(problem, dict):
            continue
        cell, status, line = problem.get("cell"), problem.get("status"), problem.get("line")
        if not isinstance(cell, int) or isinstance(cell, bool) or not 1 <= cell <= len(cells) \
                or status not in CELL_STATUSES:
            continue
        error = problem.get("error")
        error = _quote(error, 200) if isinstance(error, str) and error else None
        lines = cells[cell - 1].splitlines()
        line = line if isinstance(line, int) and not isinstance(line, bool) and 1 <= line <= len(lines) else None
        code = _quote(lines[line - 1]) if line else ""
        out.append({"cell": cell, "status": status, "error": error, "line": line, "code": code})
    return out


def cell_note(problem: dict) -> str:
    """One line per cell problem: what was skipped and why, then what to do about it (the hint), if any."""
    try:
        note = _cell_note(problem)
        return note + (" (%s)" % problem["hint"] if problem.get("hint") else "")
    except Exception:  # noqa: BLE001 - a malformed entry still renders
        return "a cell could not be run"


def _cell_note(problem: dict) -> str:
    """One line saying what the grader skipped in a cell and why, e.g.
    "cell 3: `import torch` failed (No module named 'torch'); ignored, the rest of the cell ran".

    Every per-cell note of the feedback is made here (terminal report, Gradescope, the missing-function hint).
    """
    where = problem.get("label") or "cell %s" % problem.get("cell")
    code = problem.get("code") or ""
    error = problem.get("error") or ""
    status = problem.get("status")
    if status == "import failed":
        why = error.split(": ", 1)[-1] if error else ""
        return "%s: `%s` failed%s; ignored, the rest of the cell ran (the grader does not have that package)" % (
            where, code or "import", " (%s)" % why if why else "")
    if status == "raised":
        return "%s: %s%s; the rest of that cell was skipped" % (
            where, "`%s` raised " % code if code else "raised ", error or "an exception")
    if status == "timed out":
        if code:
            return "%s: `%s` stopped at the time limit for one cell%s; what the cell did before that line " \
                   "counts, the rest was skipped" % (where, code, " (%s)" % error if error else "")
        return "%s: stopped at the time limit for one cell%s; the cell was skipped" % (
            where, " (%s)" % error if error else "")
    if status == "syntax error":
        return "%s: not valid Python%s%s; the cell was skipped" % (
            where, " at `%s`" % code if code else "", " (%s)" % error if error else "")
    if status == "ended the process":
        return "%s: %sended the Python process; the cell was skipped" % (where, "`%s` " % code if code else "")
    return "%s: %s" % (where, status)

