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
from .child.wire import RngSeed
from .judge import cage
from .sandbox import Call, Limits, Outcome, TaskJob, TaskRun, run_submission
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
    # Keras models are judged in the cage's processes, never here, so judging them needs no lock
    with (nullcontext() if caged else judge_lock or nullcontext()):
        results = [judge_task(task, cases, run.tasks[task.name], run.cells, job.timeout, memo,
                              exercise.key if task.name in caged else None)
                   for (task, cases), job in zip(plan, jobs)]
    return ExerciseResult(exercise, results, run.cells, list(submission.warnings), hidden, seed,
                          run.isolated, time.perf_counter() - started)


def judge_task(task: Task, cases: list[Case], run: TaskRun, cell_problems: list[dict],
               timeout: float, memo: Memo | None = None, cage_key: str | None = None) -> TaskResult:
    """cage_key: the exercise's key if the task's answers are judged in the cage (Keras models), else None."""
    results = []
    caged = []
    notes = []
    outcomes = [run.outcomes.get("c%d" % i, Outcome("lost")) for i in range(len(cases))]
    if outcomes and all(o.kind == "missing" for o in outcomes):
        notes.append("`%s` is not defined in your submission%s" % (task.name, _cell_hint(cell_problems)))
    for case, outcome in zip(cases, outcomes):
        if outcome.kind == "missing":
            verdict = Verdict(False, "`%s` is not defined" % task.name)
        elif outcome.kind == "lost":
            verdict = Verdict(False, _LOST.get(run.status, _LOST["lost"]).format(
                timeout=timeout, detail=run.detail))
        elif cage_key and outcome.kind == "value" and case.expect != "raises":
            caged.append((len(results), case, outcome))
            verdict = None
        elif memo is None:
            verdict = judge_case(task, case, outcome)
        else:
            verdict = memo.verdict(task, case, outcome, lambda: judge_case(task, case, outcome, memo))
        results.append(CaseResult(case, verdict))
    if caged:
        pairs = [(case, outcome) for _, case, outcome in caged]
        judge = lambda items: cage.judge_cases(cage_key, task, items, answers=memo)   # noqa: E731
        verdicts = judge(pairs) if memo is None else memo.verdicts(task, pairs, judge)
        for (position, case, _), verdict in zip(caged, verdicts):
            results[position] = CaseResult(case, verdict)
    passed = sum(r.verdict.passed for r in results)
    score = round(task.points * passed / len(results), 2) if results else 0.0
    return TaskResult(task, score, results, notes, run.stdout)


def judge_case(task: Task, case: Case, outcome: Outcome, memo: Memo | None = None) -> Verdict:
    """Judge one returned value or raised exception against the reference."""
    if outcome.kind == "raised":
        error = outcome.error
        if case.expect == "raises":
            if error["is_value_error"]:
                return Verdict(True)
            return Verdict(False, "raised %s instead of ValueError (%s)" % (error["type"], case.reason))
        if error["type"] == "NotImplementedError":
            return Verdict(False, "not implemented yet: the starter's `raise NotImplementedError()` is still there")
        where = " at %s" % error["where"] if error.get("where") else ""
        misconception = task.explain_error(error) if task.explain_error else None
        return Verdict(False, "raised %s%s: %s" % (error["type"], where, error["message"]),
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


def _cell_hint(cell_problems):
    broken = [p for p in cell_problems if p.get("status") != "raised" or "NameError" not in str(p.get("error"))]
    if not broken:
        return ""
    first = broken[0]
    return " (cell %d %s%s, which may be where it was meant to be defined)" % (
        first["cell"], first["status"], ": " + first["error"] if first.get("error") else "")
