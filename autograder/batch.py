"""Grade a folder of submissions in parallel; one broken submission never stops the batch.

Layouts understood:

    DIR/alice.ipynb, DIR/bob.py ...                 student = file name without suffix
    DIR/<student>/<exN>/<anything>.ipynb|.py        nbgrader's submitted/ (or autograded/) layout
"""
from __future__ import annotations

import os
import threading
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

from . import grading
from .sandbox import Limits
from .spec import Exercise
from .submission import SubmissionError, load
from .memo import Memo
from .workers import WorkerPool


@dataclass
class Entry:
    student: str
    exercise: str
    path: str
    note: str = ""   # e.g. which of two files of one student was graded; kept in the result's warnings


@dataclass
class Graded:
    entry: Entry
    result: grading.ExerciseResult | None   # None when the submission could not be read, or a grader error
    error: str = ""
    grader_error: bool = False   # the grading failed for a reason that is not the student's: never a score


def find_submissions(folder: str, exercise_keys: list[str]) -> list[Entry]:
    """Submissions in ``folder`` for the given exercises, sorted by student then exercise."""
    entries = []
    names = sorted(os.listdir(folder))
    flat = [n for n in names if n.endswith((".ipynb", ".py")) and os.path.isfile(os.path.join(folder, n))]
    if flat and len(exercise_keys) == 1:
        by_student = {}
        for n in flat:   # alice.ipynb before alice.py (sorted): the notebook wins
            by_student.setdefault(os.path.splitext(n)[0], []).append(n)
        for student, files in by_student.items():
            chosen = min(files, key=lambda n: (not n.endswith(".ipynb"), n))
            others = [n for n in files if n != chosen]
            note = ("%s has %s: graded %s, ignored %s" % (student, " and ".join(files), chosen, ", ".join(others))
                    if others else "")
            entries.append(Entry(student, exercise_keys[0], os.path.join(folder, chosen), note))
    for student in names:
        student_dir = os.path.join(folder, student)
        if not os.path.isdir(student_dir):
            continue
        for key in exercise_keys:
            path = _notebook_in(os.path.join(student_dir, key), key)
            if path:
                entries.append(Entry(student, key, path))
    return entries


def _notebook_in(folder, key):
    if not os.path.isdir(folder):
        return None
    files = sorted(f for f in os.listdir(folder) if f.endswith((".ipynb", ".py")))
    for preferred in ("%s.ipynb" % key, "%s.py" % key):
        if preferred in files:
            return os.path.join(folder, preferred)
    return os.path.join(folder, files[0]) if files else None


def student_seed(seed: int, student: str) -> int:
    """A per-student seed for the hidden cases, stable across runs."""
    return (seed * 1_000_003 + zlib.crc32(student.encode())) % (2 ** 32)


def grade_all(entries: list[Entry], load_exercise: Callable[[str], Exercise], *, seed: int,
              per_student: bool, jobs: int, limits: Limits, isolate: bool | None, memo: bool = True,
              on_done: Callable[[Graded], None] = lambda g: None) -> list[Graded]:
    """Grade every entry, ``jobs`` at a time, in the entries' order.

    Submissions run in warm sandboxed workers, one per slot, kept for the
    whole batch; a reference answer, and the verdict on an answer many
    students gave, are worked out once (memo.py). Keras models are judged in the cage's fresh processes
    (autograder/judge), never in this one, so they are judged in parallel too. ``on_done`` is called
    as each finishes (for a progress bar).
    """
    keras_lock = threading.Lock()
    shared = Memo() if memo else None

    def one(entry: Entry) -> Graded:
        exercise = load_exercise(entry.exercise)
        try:
            submission = load(entry.path)
        except SubmissionError as exc:
            graded = Graded(entry, None, str(exc))
        else:
            if entry.note:
                submission.warnings.append(entry.note)
            this_seed = student_seed(seed, entry.student) if per_student else seed
            try:
                result = grading.grade(exercise, submission, hidden=True, seed=this_seed, limits=limits,
                                       isolate=isolate, judge_lock=keras_lock if exercise.uses_keras else None,
                                       pool=pool, memo=shared)
                graded = Graded(entry, result)
            except Exception as exc:  # noqa: BLE001 - the batch goes on; the row says why
                # Student code never raises out of grading: this is the grader's (or the jail's) failure.
                graded = Graded(entry, None, "grader error: %s: %s" % (type(exc).__name__, exc), grader_error=True)
        on_done(graded)
        return graded

    with WorkerPool(keep=max(1, jobs)) as pool, ThreadPoolExecutor(max_workers=max(1, jobs)) as threads:
        return list(threads.map(one, entries))
