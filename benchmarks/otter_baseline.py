"""A second baseline: Otter-Grader's ``otter run``, per notebook, on an equivalent assignment.

The assignment is made from this project's own declarations: for each task of
ex1-ex3, one Otter (OK-format) test file whose cases call the student's
function on the same public and hidden cases (hidden ones drawn from seed 0) and
compare with the reference's answers, with the same tolerances; a case that must
raise checks for ValueError. The expected values are written into the tests as
literals (Otter runs its tests in the student's own kernel, so they would be
visible to a student there; that is Otter's model, not ours). No diagnosis of
misconceptions: Otter only passes or fails a case, so this favours Otter.

``otter generate`` packs the tests into an autograder zip; ``otter run -a zip
notebook`` grades one notebook without a container (a kernel per notebook),
which is how the figure is timed. Otter is not a dependency of this project:
install it in its own environment (``python3 -m venv otter-venv &&
otter-venv/bin/pip install otter-grader numpy ipykernel``) and give ``--otter
otter-venv/bin/otter``; without it the baseline is skipped with a note.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

SETUP = '''import numpy as np
def _same(got, want, kind):
    if kind == "integer":
        return isinstance(got, (int, np.integer)) and not isinstance(got, bool) and int(got) == int(want)
    if kind == "int_sequence":
        return [int(v) for v in got] == [int(v) for v in want]
    got = np.asarray(got)
    if kind == "array_float32" and got.dtype != np.float32:
        return False
    scale = max(1.0, float(np.max(np.abs(want)))) if np.size(want) else 1.0
    return got.shape == np.shape(want) and bool(np.allclose(got, want, rtol=1e-4, atol=1e-4 * scale))
def _raises(function, *args, **kwargs):
    try:
        function(*args, **kwargs)
    except ValueError:
        return True
    except Exception:
        return False
    return False
'''


def _literal(value):
    if isinstance(value, np.ndarray):
        return "np.array(%r, dtype=%r)" % (value.tolist(), value.dtype.name)
    if isinstance(value, np.generic):
        return repr(value.item())
    if isinstance(value, (list, tuple)):
        inner = ", ".join(_literal(v) for v in value)
        return "(%s,)" % inner if isinstance(value, tuple) else "[%s]" % inner
    if isinstance(value, dict):
        return "{%s}" % ", ".join("%r: %s" % (k, _literal(v)) for k, v in value.items())
    return repr(value)


def _call(name, case):
    args = [_literal(a) for a in case.args] + ["%s=%s" % (k, _literal(v)) for k, v in case.kwargs.items()]
    return "%s(%s)" % (name, ", ".join(args))


def write_tests(key: str, folder: str, seed: int = 0) -> int:
    """One OK-format test file per task of ``key`` in ``folder``; returns the number of cases."""
    from autograder import exercises, grading

    exercise = exercises.load(key)
    os.makedirs(folder, exist_ok=True)
    total = 0
    for task in exercise.tasks:
        cases = []
        for case in grading.cases_for(task, hidden=True, seed=seed):
            if case.expect == "raises":
                inner = _call(task.name, case)[len(task.name) + 1:-1]
                code = ">>> exec(_HELPERS)\n>>> _raises(%s%s)\nTrue" % (task.name, ", " + inner if inner else "")
            else:
                expected = grading.call_reference(task.reference, case)
                code = ">>> exec(_HELPERS)\n>>> _same(%s, %s, %r)\nTrue" % (_call(task.name, case), _literal(expected),
                                                        task.compare.__name__)
            cases.append({"code": code, "hidden": case.hidden, "locked": False, "points": None})
        total += len(cases)
        test = {"name": task.name, "points": task.points,
                "suites": [{"cases": cases, "scored": True, "setup": "", "teardown": "", "type": "doctest"}]}
        # Otter's OK format has no suite set-up: each case first defines the helpers itself
        for case in cases:
            case["code"] = case["code"].replace("exec(_HELPERS)", "exec(%r)" % SETUP)
        with open(os.path.join(folder, "%s.py" % task.name), "w", encoding="utf-8") as handle:
            handle.write("OK_FORMAT = True\n\ntest = %r\n" % test)
    return total


def _env(otter):
    """Otter's own environment first on PATH (its Jupyter kernel), TensorFlow's chatter off."""
    return dict(os.environ, PATH=os.pathsep.join([os.path.dirname(os.path.abspath(otter)),
                                                  os.environ.get("PATH", "/usr/bin:/bin")]),
                TF_CPP_MIN_LOG_LEVEL="3")


def build_autograder(otter: str, key: str, work: str) -> str:
    """An Otter autograder zip for ``key`` in ``work``; returns its path."""
    folder = os.path.join(work, "otter-%s" % key)
    shutil.rmtree(folder, ignore_errors=True)
    write_tests(key, os.path.join(folder, "tests"))
    with open(os.path.join(folder, "requirements.txt"), "w") as handle:
        handle.write("numpy\n")
    subprocess.run([otter, "generate", "-t", "tests", "-o", "autograder.zip", "--no-environment"], cwd=folder,
                   check=True, capture_output=True, text=True, env=_env(otter))
    return os.path.join(folder, "autograder.zip")


def time_otter_run(otter: str, notebooks: list[tuple[str, str]], work: str) -> tuple[float, list[float]]:
    """Seconds per notebook of ``otter run`` over [(key, notebook path)], and each notebook's score."""
    zips = {}
    scores = []
    started = time.perf_counter()
    for key, notebook in notebooks:
        if key not in zips:
            zips[key] = build_autograder(otter, key, work)
    built = time.perf_counter() - started   # not counted: made once per assignment, like nbgrader's release
    started = time.perf_counter()
    for k, (key, notebook) in enumerate(notebooks):
        out = os.path.join(work, "otter-out", str(k))
        os.makedirs(out, exist_ok=True)
        done = subprocess.run([otter, "run", "--no-logo", "-a", zips[key], "-o", out, notebook],
                              capture_output=True, text=True, cwd=out, env=_env(otter))
        if done.returncode != 0:
            raise RuntimeError("otter run failed on %s:\n%s" % (notebook, done.stderr[-3000:]))
        import json
        with open(os.path.join(out, "results.json"), encoding="utf-8") as handle:
            results = json.load(handle)
        scores.append(sum(t.get("score") or 0 for t in results.get("tests", [])))
    del built
    return (time.perf_counter() - started) / len(notebooks), scores


if __name__ == "__main__":   # a smoke run: python benchmarks/otter_baseline.py OTTER NOTEBOOK KEY
    import tempfile
    otter_path, notebook_path, exercise_key = sys.argv[1:4]
    per, got = time_otter_run(otter_path, [(exercise_key, os.path.abspath(notebook_path))],
                              tempfile.mkdtemp(prefix="otter-smoke-", dir="/var/tmp"))
    print("otter run: %.2f s per notebook, scores %s" % (per, got))
