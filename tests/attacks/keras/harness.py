"""Run each Keras attack in this folder, then a correct submission of the same exercise in the same process.

Each ex*.py here is a submission for the exercise its name starts with; its
first line says the attack ("# attack: ..."), its second the verdicts a
correct grader gives ("# expect: task=verdict ...", as in tests/corpus). An
attack is blocked when grading it neither raises nor exceeds TIME_BUDGET, its
verdicts are as expected (no inflated score), and a correct submission graded
right after it, in the same grader process, still earns full marks (nothing
the attack did reached another student's grading).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from autograder import exercises, grading
from autograder.submission import load

HERE = Path(__file__).parent
CORPUS = HERE.parent.parent / "corpus"
KERAS_ATTACKS = sorted(HERE.glob("ex*.py"))
CORRECT = {"ex4": "correct_reference_style.py", "ex5": "correct_listing.py", "ex6": "correct_listing.py",
           "ex7": "correct_listing.py"}
TIME_BUDGET = 240.0   # seconds to grade the attack (a slow, shared machine; an unguarded attack takes far longer)
SEED = 1234


@dataclass
class KerasAttackResult:
    name: str
    description: str
    blocked: bool
    how: str
    seconds: float


def _header(path: Path):
    lines = path.read_text().splitlines()
    description = lines[0].replace("# attack:", "").strip()
    assert lines[1].startswith("# expect:"), "%s: the second line must be '# expect: ...'" % path
    return description


def run_keras_attack(path: Path) -> KerasAttackResult:
    from tests.test_corpus import check_expectations
    description = _header(path)
    key = path.name.split("_")[0]
    problems = []
    started = time.perf_counter()
    try:
        result = grading.grade(exercises.load(key), load(str(path)), hidden=True, seed=SEED)
    except BaseException as exc:  # noqa: BLE001 - the grader must not raise for any submission
        result = None
        problems.append("grading the attack raised %s: %s" % (type(exc).__name__, str(exc)[:200]))
    seconds = time.perf_counter() - started
    if seconds > TIME_BUDGET:
        problems.append("grading the attack took %.0f s" % seconds)
    if result is not None:
        text = path.read_text().split("\n", 1)[1]     # check_expectations reads the first line
        copy = path.with_name(".expect-" + path.name)
        try:
            copy.write_text(text)
            check_expectations(copy, result)
        except AssertionError as exc:
            problems.append("verdicts: %s" % str(exc).splitlines()[0][:300])
        finally:
            copy.unlink(missing_ok=True)
    correct = CORPUS / key / CORRECT[key]
    try:
        after = grading.grade(exercises.load(key), load(str(correct)), hidden=True, seed=SEED)
        lost = ["%s %s/%s" % (t.name, t.score, t.max_score) for t in after.tasks if not t.passed]
        if lost:
            problems.append("the correct submission graded next lost marks: %s" % ", ".join(lost))
    except BaseException as exc:  # noqa: BLE001
        problems.append("grading the correct submission next raised %s: %s" % (type(exc).__name__, str(exc)[:200]))
    return KerasAttackResult(path.stem, description, not problems, "; ".join(problems), seconds)


def run_keras_attacks_in_one_batch(jobs: int = 2) -> list[str]:
    """Every Keras attack and a correct submission of each exercise, as one batch (warm workers, memo,
    ``jobs`` judgements at once): problems found, [] if none. Each attack gets its header's verdicts,
    each correct submission full marks."""
    from autograder import batch
    from tests.test_corpus import check_expectations
    entries = [batch.Entry("attack%02d" % k, path.name.split("_")[0], str(path))
               for k, path in enumerate(KERAS_ATTACKS)]
    entries += [batch.Entry("correct-%s" % key, key, str(CORPUS / key / name)) for key, name in sorted(CORRECT.items())]
    graded = batch.grade_all(entries, exercises.load, seed=SEED, per_student=False, jobs=jobs,
                             limits=grading.Limits(), isolate=None)
    problems = []
    for item in graded:
        name = Path(item.entry.path).name
        if item.result is None:
            problems.append("%s: %s" % (name, item.error))
        elif item.entry.student.startswith("correct"):
            lost = ["%s %s" % (t.name, t.score) for t in item.result.tasks if not t.passed]
            if lost:
                problems.append("%s (correct) lost marks: %s" % (name, ", ".join(lost)))
        else:
            path = Path(item.entry.path)
            copy = path.with_name(".expect-batch-" + path.name)
            try:
                copy.write_text(path.read_text().split("\n", 1)[1])
                check_expectations(copy, item.result)
            except AssertionError as exc:
                problems.append("%s: %s" % (name, str(exc).splitlines()[0][:300]))
            finally:
                copy.unlink(missing_ok=True)
    return problems
