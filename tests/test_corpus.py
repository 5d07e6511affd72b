"""Every submission in tests/corpus/exN/ is graded (public and hidden cases) as its header says.

The first line of a .py file (or the notebook's metadata "expect") holds the
verdicts, one per task:
    pass       full marks            fail        less than full marks
    fail:KEY   less than full, and misconception KEY diagnosed
    zero       no marks              missing     no marks, "not defined" said
and optionally message=TEXT: some task's feedback, or a note about a cell, contains TEXT.
"""
import json
from pathlib import Path

import pytest

from autograder import exercises, grading, report
from autograder.submission import load

CORPUS = Path(__file__).parent / "corpus"
SUBMISSIONS = sorted(p for p in CORPUS.glob("ex*/*") if p.suffix in (".py", ".ipynb"))


def expectations(path: Path):
    if path.suffix == ".ipynb":
        line = json.loads(path.read_text())["metadata"]["expect"]
    else:
        line = path.read_text().splitlines()[0]
        assert line.startswith("# expect:"), "%s has no '# expect:' header" % path
        line = line[len("# expect:"):]
    message = None
    if " message=" in line:
        line, message = line.split(" message=", 1)
    verdicts = dict(item.split("=", 1) for item in line.split())
    return verdicts, message


@pytest.mark.parametrize("path", SUBMISSIONS, ids=lambda p: "%s/%s" % (p.parent.name, p.name))
def test_corpus_verdict(path):
    """Each submission alone, as `cli.py check`/`grade` of one file does: a fresh worker, nothing remembered."""
    result = grading.grade(exercises.load(path.parent.name), load(str(path)), hidden=True, seed=1234)
    check_expectations(path, result)


def test_corpus_in_one_batch(tmp_path):
    """The whole corpus, twice over, as one batch (warm workers, memo): the same verdicts as one by one.

    The second copy of each file is judged from the memo; both copies must meet the header,
    and get identical feedback, case by case (for hostile files, which race the limits, the same
    pass/fail per case: filling memory may end in MemoryError or in the time limit).
    """
    from autograder import batch
    entries = []
    for copy in ("a", "b"):
        for k, path in enumerate(SUBMISSIONS):
            entries.append(batch.Entry("%s%03d" % (copy, k), path.parent.name, str(path)))
    graded = batch.grade_all(entries, exercises.load, seed=1234, per_student=False, jobs=2,
                             limits=grading.Limits(), isolate=None)
    by_copy = {}
    for item in graded:
        assert item.result is not None, item.error
        path = Path(item.entry.path)
        check_expectations(path, item.result)
        racy = path.name.startswith("hostile")   # filling memory ends in MemoryError or the time limit
        by_copy.setdefault(path, []).append(
            [(c.case.label, c.verdict.passed, c.verdict.misconception and c.verdict.misconception.key)
             + ((c.verdict.message, c.verdict.detail) if not racy else ())
             for t in item.result.tasks for c in t.cases])
    for path, (first, second) in by_copy.items():
        assert first == second, path


def check_expectations(path, result):
    verdicts, message = expectations(path)
    assert set(verdicts) == {t.name for t in result.exercise.tasks}, "header must name every task"
    feedback = {t.name: report.task_feedback(t) for t in result.tasks}
    for task in result.tasks:
        want = verdicts[task.name]
        why = "%s: %s -> %s/%s\n%s" % (path.name, task.name, task.score, task.max_score, feedback[task.name])
        if want == "pass":
            assert task.passed, why
        elif want == "zero":
            assert task.score == 0, why
        elif want == "missing":
            assert task.score == 0 and "is not defined" in feedback[task.name], why
        else:
            assert want.startswith("fail"), "unknown verdict %r" % want
            assert task.score < task.max_score, why
            if ":" in want:
                key = want.split(":", 1)[1]
                assert key in [m.key for m in task.misconceptions], why
    if message:
        notes = [grading.cell_note(p) for p in result.cell_problems]
        assert any(message in text for text in list(feedback.values()) + notes), (feedback, notes)
