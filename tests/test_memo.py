"""The batch memo: digests tell apart what repr would not, and shared answers cannot be altered."""
import numpy as np
import pytest

from autograder.child.wire import RngSeed
from autograder.memo import Memo, digest
from autograder.spec import Verdict


def test_digest_sees_the_middle_of_large_arrays():
    a = np.zeros(100_000)
    b = a.copy()
    b[50_000] = 1e-12
    assert repr(a) == repr(b)            # what a repr-keyed cache would confuse
    assert digest(a) != digest(b)


@pytest.mark.parametrize("x, y", [
    (np.zeros((2, 3)), np.zeros((3, 2))),                      # same bytes, other shape
    (np.zeros(4, np.float32), np.zeros(2, np.float64)),        # same bytes, other dtype
    ((1, 2), [1, 2]),                                          # tuple vs list
    (1, 1.0), (1, True), ("1", 1),                             # other types, equal values
    ({"a": 1, "b": 2}, {"a": 2, "b": 1}),
    (RngSeed(1), 1), (RngSeed(1), RngSeed(2)),
])
def test_digest_tells_apart(x, y):
    assert digest(x) != digest(y)


def test_digest_is_stable_and_order_free_for_dicts():
    assert digest({"a": np.arange(3), "b": (1, "x")}) == digest({"b": (1, "x"), "a": np.arange(3)})


def test_digest_refuses_unknown_objects():
    with pytest.raises(TypeError):
        digest(object())


def test_reference_is_computed_once_and_read_only():
    calls = []

    def reference(x):
        calls.append(1)
        return {"out": x * 2}

    memo = Memo()
    x = np.arange(4.0)
    first = memo.reference(reference, (x,), {}, lambda: reference(x))
    second = memo.reference(reference, (x.copy(),), {}, lambda: reference(x))
    assert len(calls) == 1 and first is second
    with pytest.raises(ValueError):
        first["out"][0] = 99.0
    memo.reference(reference, (x + 1,), {}, lambda: reference(x + 1))
    assert len(calls) == 2


def test_other_functions_on_the_same_arguments_are_kept_apart():
    memo = Memo()
    x = np.arange(3)
    assert memo.reference(np.sum, (x,), {}, lambda: 3) == 3
    assert memo.reference(np.max, (x,), {}, lambda: 2) == 2


def test_verdicts_are_private_copies():
    class Task:
        name, reference, compare = "t", staticmethod(len), staticmethod(max)

    class Case:
        label, args, kwargs, expect, reason, hidden = "l", (np.ones(2),), {}, "value", "", False

    class Outcome:
        kind, value, error, args_after = "value", np.ones(2), None, []

    memo = Memo()
    first = memo.verdict(Task, Case, Outcome, lambda: Verdict(True))
    first.extra["got"] = 1
    second = memo.verdict(Task, Case, Outcome, lambda: Verdict(False))
    assert second.passed and "got" not in second.extra and memo.hits == 1


def test_an_exception_is_not_remembered():
    memo = Memo()

    def fail():
        raise RuntimeError("no")
    with pytest.raises(RuntimeError):
        memo.get(("k",), fail)
    assert memo.get(("k",), lambda: 5) == 5


def test_size_is_bounded():
    memo = Memo(size=3)
    for k in range(10):
        memo.get((k,), lambda: k)
    assert len(memo._values) == 3


def test_verdicts_judges_only_unknown_answers_in_one_call():
    class Task:
        name, reference, compare = "t", staticmethod(len), staticmethod(max)

    def case(label):
        class Case:
            args, kwargs, expect, reason, hidden = (np.ones(2),), {}, "value", "", False
        Case.label = label
        return Case

    class Outcome:
        kind, value, error, args_after = "value", np.ones(2), None, []

    memo = Memo()
    a, b, c = case("a"), case("b"), case("c")
    memo.verdict(Task, a, Outcome, lambda: Verdict(True, "known"))
    asked = []

    def judge(items):
        asked.append([item[0].label for item in items])
        return [Verdict(False, item[0].label) for item in items]
    got = memo.verdicts(Task, [(a, Outcome), (b, Outcome), (c, Outcome)], judge)
    assert asked == [["b", "c"]]
    assert [(v.passed, v.message) for v in got] == [(True, "known"), (False, "b"), (False, "c")]
    got[1].extra["got"] = 1
    again = memo.verdicts(Task, [(b, Outcome)], judge)
    assert asked == [["b", "c"]] and again[0].message == "b" and "got" not in again[0].extra
