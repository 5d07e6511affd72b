"""The wire between grader and child, taken apart: frames, decoding budgets, catch-alls, safe text.

Everything here is what a hostile child could send; each test says what a correct grader makes of it.
"""
import io
import json
import os
import threading

import numpy as np
import pytest

from autograder import report, sandbox
from autograder.child import wire
from autograder.grading import CaseResult, TaskResult
from autograder.safetext import clean
from autograder.sandbox import Call, TaskJob
from autograder.spec import Case, Task, Verdict


def _npy(array):
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def _result(record, blobs=()):
    """A task's R frame as the job process relays it: the inner frame is the blob of the outer one."""
    record = dict(record, blobs=[len(b) for b in blobs])
    return wire.frame(b"R", json.dumps(record).encode(), b"".join(blobs))


JOBS = [TaskJob("f", [Call("c0", ()), Call("c1", ())], 5.0), TaskJob("g", [Call("c0", ())], 5.0)]


def _collect(frames):
    """sandbox._collect on frames given as (kind, header dict or bytes, blob)."""
    encoded = [(kind, header if isinstance(header, bytes) else json.dumps(header).encode(), blob)
               for kind, header, blob in frames]
    return sandbox._collect(encoded, JOBS)


def _ended(*tasks):
    return [(b"E", {"event": "task_end", "task": k, "status": "ok"}, b"") for k in tasks]


def test_decoding_refuses_what_is_over_a_budget_with_wire_errors_only():
    deep = {"t": "list", "v": []}
    for _ in range(50):
        deep = {"t": "list", "v": [deep]}
    blob = _npy(np.zeros(10))
    hostile = [
        deep,                                                           # deeper than MAX_DEPTH
        {"t": "list", "v": [{"t": "none"}] * (wire.MAX_NODES + 1)},     # more values than MAX_NODES
        {"t": "npint", "v": 10 ** 12, "dtype": "int8"},                 # an integer its dtype cannot hold
        {"t": "npint", "v": 1, "dtype": "V100000000000"},               # not a numeric dtype
        {"t": "npint", "v": 1, "dtype": "(2,)i8"},                      # a sub-array dtype
        {"t": "npfloat", "v": 10 ** 400, "dtype": "float32"},           # overflows a float
        {"t": "float", "v": 10 ** 400},
        {"t": "str", "v": ["not", "a", "string"]},
        {"t": "list", "v": [{"t": "array", "blob": 0}, {"t": "array", "blob": 0}]},   # one blob, twice
        {"t": "array", "blob": 1}, {"t": "array", "blob": True}, {"t": "array", "file": "../x.npy"},
        {"t": "dict", "v": {"a": 1}}, [], "x", None,
    ]
    for node in hostile:
        with pytest.raises(wire.WireError):
            wire.decode(node, wire.Blobs([len(blob)], blob))
    budget = {"array_bytes": 100}    # less than one array: the submission's total is spent
    with pytest.raises(wire.WireError):
        wire.decode({"t": "array", "blob": 0}, wire.Blobs([len(blob)], blob, budget))
    with pytest.raises(wire.WireError):
        wire.Blobs([len(blob) + 1], blob)      # lengths that do not add up


def test_every_malformed_result_fails_its_own_case_and_nothing_raises():
    good = _result({"id": "c0", "result": {"t": "array", "blob": 0}}, [_npy(np.arange(3.0))])
    frames = [
        (b"E", {"event": "cells", "cells": [{"cell": "one", "status": "raised"}, {"cell": 2, "status": "raised",
                                                                                  "error": 7}]}, b""),
        (b"E", {"event": "task_end", "task": [0]}, b""), (b"E", {"event": "task_end", "task": {"a": 1}}, b""),
        (b"E", b"[" * 100000 + b"]" * 100000, b""), (b"E", b"\xff\xfe", b""), (b"Q", {}, b""),
        (b"R", {"task": 0, "call": "c0"}, good),
        (b"R", {"task": 0, "call": "c1"}, wire.frame(b"R", b"[" * 100000, b"")),
        (b"R", {"task": 0, "call": "c0"}, b"a second result for c0 is ignored"),
        (b"R", {"task": 1, "call": "c0"}, b"\x00" * 5),
        (b"R", {"task": [1], "call": "c0"}, good), (b"R", {"task": 7, "call": "c0"}, good),
        (b"R", {"task": 0, "call": "c9"}, good),
        *_ended(0, 1),
        (b"E", {"event": "task_end", "task": 1, "status": "ok"}, b""),
    ]
    finished, cells = _collect(frames)
    assert cells == [{"cell": 2, "status": "raised", "error": None, "line": None}]
    f, g = finished["f"], finished["g"]
    assert f.outcomes["c0"].value.tolist() == [0.0, 1.0, 2.0]
    assert "malformed" in f.outcomes["c1"].value.type_name and "malformed" in g.outcomes["c0"].value.type_name
    assert f.status == "ok" and g.status == "ok"


def test_a_frame_over_the_budget_fails_only_its_case():
    finished, _ = _collect([(b"R", {"task": 0, "call": "c0"}, None), *_ended(0)])
    assert "larger than the grader accepts" in finished["f"].outcomes["c0"].value.type_name
    assert finished["f"].outcomes["c1"].kind == "lost"


def test_raised_results_keep_only_checked_fields():
    finished, _ = _collect([(b"R", {"task": 0, "call": "c0"}, _result({"id": "c0", "result": {
        "t": "raised", "type": ["x"], "message": {"no": 1}, "is_value_error": "yes", "where": "cell 1\x1b[2K"}})),
        *_ended(0)])
    error = finished["f"].outcomes["c0"].error
    assert error == {"type": "Exception", "message": "", "is_value_error": False, "where": None}


def test_frames_over_the_limits_are_refused_before_they_are_read():
    read, write = os.pipe()
    os.write(write, wire.FRAME.pack(b"R", wire.MAX_HEADER + 1, 0))
    with pytest.raises(wire.WireError):
        wire.read_frame(read)
    os.write(write, wire.FRAME.pack(b"R", 10, 0) + b"abc")
    os.close(write)
    with pytest.raises(wire.WireError):   # the stream ends inside the frame
        wire.read_frame(read)
    os.close(read)


def test_only_regular_files_are_opened(tmp_path):
    fifo = tmp_path / "fifo.npy"
    os.mkfifo(fifo)
    (tmp_path / "real.npy").write_bytes(_npy(np.ones(2)))
    os.symlink(tmp_path / "real.npy", tmp_path / "link.npy")
    def attempt():
        with pytest.raises(OSError):
            wire.open_regular(str(fifo))
        with pytest.raises(OSError):
            wire.open_regular(str(tmp_path / "link.npy"))

    thread = threading.Thread(target=attempt, daemon=True)
    thread.start()
    thread.join(10)
    assert not thread.is_alive(), "opening a FIFO waited for a writer"
    assert wire.decode({"t": "array", "file": "real.npy"}, str(tmp_path)).tolist() == [1.0, 1.0]
    for name in ("fifo.npy", "link.npy"):
        with pytest.raises(wire.WireError):
            wire.decode({"t": "array", "file": name}, str(tmp_path))


def test_a_deep_and_locked_tree_is_removed_without_recursion(tmp_path):
    top = tmp_path / "job"
    top.mkdir()
    fd = os.open(".", os.O_RDONLY)
    try:
        os.chdir(top)
        for _ in range(5000):
            os.mkdir("d")
            os.chdir("d")
        os.mkfifo("fifo")
        os.mkdir("locked")
        os.chmod("locked", 0)
    finally:
        os.fchdir(fd)
        os.close(fd)
    assert wire.remove_tree(str(top)) and not top.exists()


def test_student_text_loses_escapes_and_control_characters_and_is_cut():
    text = "\x1b[2K\r\x1b[32m\u2713 ok\x1b[0m\x07\x1b]0;title\x07 \u202eevil\u200b\x00 end\tx\n" + "y" * 1000
    cleaned = clean(text, 40)
    assert cleaned.startswith("\n\u2713 ok evil end\tx\n") and cleaned.endswith("...") and len(cleaned) == 43
    assert not any(ord(c) < 32 and c not in "\n\t" for c in cleaned)


class _Hostile:
    def __str__(self):
        raise RuntimeError("no")

    __repr__ = __str__


def test_a_report_never_raises_whatever_a_result_holds():
    task = Task("f", 2, reference=lambda: None, compare=lambda r, e: Verdict(True),
                public=(Case("a case", ()),), hidden=lambda rng: [])
    result = TaskResult(task, 0.0, [CaseResult(task.public[0], Verdict(False, _Hostile()))], notes=[_Hostile()])
    text = report.task_feedback(result)
    assert "could not write this task's feedback" in text


def test_a_value_no_check_foresaw_fails_its_case_without_raising():
    from autograder.grading import judge_task
    from autograder.sandbox import Outcome, TaskRun

    def fragile(result, expected):
        raise TypeError("this check did not foresee %r" % (result,))

    task = Task("f", 2, reference=lambda: 1, compare=fragile, public=(Case("a case", ()),), hidden=lambda rng: [])
    run = TaskRun("f", "ok", None, {"c0": Outcome("value", value={"odd": [1, (2,)]})}, "")
    result = judge_task(task, list(task.public), run, [], 5.0)
    assert result.score == 0 and "could not judge (TypeError)" in result.cases[0].verdict.message
