"""The judge server: Keras pre-imported, one fresh fork per judgement (run as ``python -m autograder.judge.server FD``).

The server imports Keras, the Keras exercises, the reference and the course
data (NumPy only: no TensorFlow operation runs here, because a process that
has run one cannot fork safely), says it is ready, then waits on the control
socket FD for requests. Each request is one socket, passed with SCM_RIGHTS;
for each, the server forks. The fork limits itself (address space, CPU time,
a wall-clock alarm whose default action ends it), reads the request (data in
the wire format, ``request.py``: never a pickle), judges each (case,
outcome) with the exercise's own judging function, and writes one JSON line
per verdict. The fork never writes anything the server keeps: whatever a
student's model does to Keras' global state dies with the fork, so the next
judgement starts from the server's pristine state.

The fork runs only the grader's code on data: configs were checked against
the allowlist (autograder/judge/allow.py) in the grader and are checked again
when rebuilt (keras_checks.rebuild), and models are rebuilt in safe mode. The
limits are there for what data alone can still cost: memory and time.
"""
from __future__ import annotations

import dataclasses
import json
import os
import resource
import signal
import socket
import sys

READY = b"R"


def main(fd: int) -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    control = socket.socket(fileno=fd)
    _warm()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)    # forks are reaped by the kernel
    control.sendall(READY)
    while True:
        try:
            _, fds, _, _ = socket.recv_fds(control, 16, 4)
        except OSError:
            break
        if not fds:             # the grader closed the control socket (it exited): so do we
            break
        pid = os.fork()
        if pid == 0:
            control.close()
            for extra in fds[1:]:
                os.close(extra)
            code = 0
            try:
                serve(socket.socket(fileno=fds[0]))
            except BaseException:  # noqa: BLE001 - the fork reports through its socket or not at all
                code = 1
            os._exit(code)
        for f in fds:
            os.close(f)


def _warm() -> None:
    """Import what every judgement needs, without running a TensorFlow operation."""
    from autograder import keras_checks
    keras_checks.keras()
    from autograder import exercises
    from autograder.judge import request  # noqa: F401 - each fork reads its request with it
    for key in ("ex4", "ex5", "ex6", "ex7"):
        try:
            exercises.load(key)
        except Exception:  # noqa: BLE001 - an exercise the course does not have
            pass
    for name in ("reference.augmentation", "reference.residual", "reference.features", "reference.finetuning"):
        try:
            __import__(name)
        except Exception:  # noqa: BLE001 - the student kit has no reference
            pass
    try:
        import coursedata
        coursedata.load_target_task()       # NumPy only: the digits, split
    except Exception:  # noqa: BLE001
        pass


def _limit(memory_mb: int, seconds: float) -> None:
    """Address space: what the fork has now plus memory_mb; CPU time and wall clock: seconds."""
    with open("/proc/self/status") as handle:
        size_kb = next(int(line.split()[1]) for line in handle if line.startswith("VmSize:"))
    limit = size_kb * 1024 + memory_mb * 2 ** 20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    cpu = int(seconds) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 2))
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.alarm(int(seconds) + 1)


def serve(conn) -> None:
    """One request: {"exercise", "task", "items": [(case, outcome)], "memory_mb", "seconds"}."""
    conn.sendall(json.dumps({"pid": os.getpid()}).encode() + b"\n")
    from autograder.judge.request import read
    request = read(conn.fileno())
    _limit(request["memory_mb"], request["seconds"])
    from autograder import exercises, grading
    task = exercises.load(request["exercise"]).task(request["task"])
    items = list(request["items"])
    # Every reference answer first, from the server's pristine state, before any student model is touched:
    # a plain (JSON) answer goes back to the grader, which may reuse it for other students (memo.py).
    for index, (case, outcome) in enumerate(items):
        if case.precomputed is None and case.expect != "raises" and outcome.kind == "value":
            try:
                expected = grading.call_reference(task.reference, case)
            except Exception:  # noqa: BLE001 - judge_case will meet the same error and report it
                continue
            items[index] = (dataclasses.replace(case, precomputed={"expected": expected}), outcome)
            if _plain(expected):
                conn.sendall(json.dumps({"expected": index, "value": expected}).encode() + b"\n")
    for index, (case, outcome) in enumerate(items):
        conn.sendall(json.dumps({"start": index}).encode() + b"\n")
        try:
            verdict = grading.judge_case(task, case, outcome)
            line = verdict_to_json(verdict)
        except MemoryError:
            line = {"passed": False, "message": "judging this model needed more memory than the grader allows "
                    "(%d MB): a model far larger than the exercise asks for?" % request["memory_mb"]}
        except Exception as exc:  # noqa: BLE001 - a rebuilt standard model that cannot be judged
            line = {"passed": False, "message": "the grader could not judge the returned model (%s: %s)"
                    % (type(exc).__name__, (str(exc).splitlines() or [""])[0][:200])}
        line["index"] = index
        conn.sendall(json.dumps(line).encode() + b"\n")
    conn.close()


def _plain(value, depth=0) -> bool:
    """JSON data small enough to send back: dicts with string keys, lists, strings, numbers, booleans, None."""
    if depth > 8:
        return False
    if value is None or isinstance(value, (bool, int, str)):
        return not isinstance(value, str) or len(value) < 1000
    if isinstance(value, float):
        return value == value and abs(value) != float("inf")
    if isinstance(value, list):          # not a tuple: JSON would give it back as a list
        return len(value) <= 1000 and all(_plain(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return len(value) <= 100 and all(isinstance(k, str) and _plain(v, depth + 1) for k, v in value.items())
    return False


def verdict_to_json(verdict) -> dict:
    """A Verdict as JSON: the misconception by key, and only plain values of ``extra``."""
    extra = {}
    for key, value in (verdict.extra or {}).items():
        if isinstance(value, (bool, int, float, str)) or value is None:
            extra[key] = value
    return {"passed": bool(verdict.passed), "message": str(verdict.message), "detail": str(verdict.detail),
            "misconception": verdict.misconception.key if verdict.misconception else None, "extra": extra}


if __name__ == "__main__":
    main(int(sys.argv[1]))
