"""Notebooks as students hand them in (issue 14): IPython syntax, notebook names, missing packages, slow
cells, and a score that does not depend on the machine's load."""
import json
import subprocess
import sys
import time

import numpy as np
import pytest

from autograder import exercises, grading
from autograder.child import runner
from autograder.sandbox import Call, Limits, TaskJob, run_submission
from autograder.submission import Submission


@pytest.mark.parametrize("source", [
    "t = %timeit -o f(x)\nprint(t)",              # a magic in an assignment: a syntax error before
    "files = !ls\nprint(files)",
    "%%time\ndef f(x):\n    return x",
    "x = 1\nx?",
    "def f(x):\n    !echo hi\n    return x",
    "%matplotlib inline\nimport numpy\n!pip install opencv-python\ny = 1",
])
def test_ipython_syntax_compiles(source):
    index, code, error = runner._compile_cell(0, source)
    assert code is not None and error is None, error


def test_plain_python_does_not_load_ipython():
    """The NumPy check path stays fast: IPython's transformer is loaded only for a cell that needs it."""
    script = ("import sys; sys.path.insert(0, 'autograder/child'); import cells\n"
              "cells._compile_cell(0, 'import numpy as np\\ndef f(x):\\n    return x % 2\\n')\n"
              "print(bool(cells._TRANSFORMER), 'IPython' in sys.modules)\n"
              "cells._compile_cell(1, '%matplotlib inline\\n')\n"
              "print(bool(cells._TRANSFORMER), 'IPython' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    # the magic loads the transformer; whether that imports IPython itself depends on its version
    # (IPython 9's inputtransformer2 imports IPython.utils, a fast import there), so it is not asserted
    assert out.split()[:3] == ["False", "False", "True"], out


def test_syntax_error_names_its_line():
    _, code, error = runner._compile_cell(0, "%matplotlib inline\nx = 1\ndef f(:\n    pass\n")
    assert code is None and "SyntaxError" in error and error.line == 3


def test_notebook_names_missing_packages_and_ipython_calls():
    cells = ["import torch\nimport numpy as np\nfrom google.colab import drive\ndrive.mount('/content/drive')",
             "display(np.arange(3))\ndef helper(x):\n    return x * 2",
             "%%time\ndef double(x):\n    return helper(x)",
             "t = %timeit -o double(np.arange(3))\n!pip install opencv-python",
             "started = __import__('time').monotonic()\nname = input('your name? ')",
             "get_ipython().run_line_magic('matplotlib', 'inline')\nimport matplotlib.pyplot as plt\n"
             "plt.plot([1, 2])\nplt.show()\nshown = True",
             "def shown_ok():\n    return shown"]
    started = time.monotonic()
    run = run_submission(cells, [TaskJob("double", [Call("c0", (np.arange(3.0),))], 10.0),
                                 TaskJob("shown_ok", [Call("c0", ())], 10.0)])
    problems = [(p["cell"], p["status"], p.get("line")) for p in run.cells]
    assert problems == [(1, "import failed", 1), (1, "import failed", 3), (1, "raised", 4), (5, "raised", 2)]
    assert "EOFError" in run.cells[-1]["error"] and "input()" in run.cells[-1]["error"]
    assert run.tasks["double"].outcomes["c0"].value.tolist() == [0.0, 2.0, 4.0]
    assert run.tasks["shown_ok"].outcomes["c0"].value is True      # plt.show() is harmless (Agg)
    assert time.monotonic() - started < 60                           # input() did not wait for a time-out


def test_cell_notes_are_one_line_each_and_quote_the_code():
    cells = ["import torch\nimport numpy as np", "x = 1\nraise RuntimeError('boom')"]
    problems = grading.cell_problems(
        [{"cell": 1, "status": "import failed", "line": 1, "error": "ModuleNotFoundError: No module named 'torch'"},
         {"cell": 2, "status": "raised", "line": 2, "error": "RuntimeError: boom"},
         {"cell": 9, "status": "raised", "line": 1, "error": "out of range"},          # untrusted: dropped
         {"cell": 2, "status": "pwned\n", "line": 1, "error": "x"}], cells)
    notes = [grading.cell_note(p) for p in problems]
    assert notes == [
        "cell 1: `import torch` failed (No module named 'torch'); ignored, the rest of the cell ran "
        "(the grader does not have that package)",
        "cell 2: `raise RuntimeError('boom')` raised RuntimeError: boom; the rest of that cell was skipped"]


def test_a_cell_stopped_at_its_limit_costs_only_itself_and_keeps_what_it_defined():
    cells = ["import numpy as np",
             "def double(x):\n    return 2 * x\n\nn = 0\nwhile True:   # 'training' for ever\n    n += 1",
             "def triple(x):\n    return 3 * x"]
    run = run_submission(cells, [TaskJob("double", [Call("c0", (np.arange(3.0),))], 5.0),
                                 TaskJob("triple", [Call("c0", (np.arange(3.0),))], 5.0)],
                         Limits(cell_seconds=1.0))
    assert [(p["cell"], p["status"]) for p in run.cells] == [(2, "timed out")]
    assert run.cells[0]["line"] in (5, 6)          # in the loop, wherever the limit caught it
    assert run.tasks["double"].outcomes["c0"].value.tolist() == [0.0, 2.0, 4.0]
    assert run.tasks["triple"].outcomes["c0"].value.tolist() == [0.0, 3.0, 6.0]


# ---------------------------------------------------------------------------- load

SLOW_NOTEBOOK = [
    "import numpy as np\nfrom numpy.lib.stride_tricks import sliding_window_view",
    # a second or two of CPU time, well within a cell's limit, but slower than that limit in wall-clock
    # time on a loaded machine
    "def to_unit_range(image):\n    return (image / 255).astype(np.float32)\n\n"
    "total = 0\nfor i in range(8_000_000):\n    total += i % 7",
    # a 'training' cell that would run for minutes: stopped at the cell limit, after the def
    "def conv2d_single(image, kernel):\n"
    "    if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] "
    "or kernel.shape[1] > image.shape[1]:\n        raise ValueError('bad')\n"
    "    return np.einsum('ijkl,kl->ij', sliding_window_view(image, kernel.shape), kernel)\n\n"
    "for epoch in range(10 ** 9):\n    loss = sum(j * j for j in range(1000))",
    "import time\ntime.sleep(1)\n"
    "def conv2d(x, filters, bias):\n    if x.shape[2] != filters.shape[2] or bias.shape != (filters.shape[3],):\n"
    "        raise ValueError('mismatch')\n"
    "    windows = sliding_window_view(x, filters.shape[:2], axis=(0, 1))\n"
    "    return np.einsum('ijckl,klcf->ijf', windows, filters) + bias",
    "more = sum(i * i for i in range(2_000_000))",
]


def _grade_slow_notebook():
    result = grading.grade(exercises.load("ex1"), Submission("slow.ipynb", list(SLOW_NOTEBOOK)), hidden=True,
                           seed=7, limits=Limits(cell_seconds=4.0))
    return ([(t.name, t.score) for t in result.tasks],
            [(p["cell"], p["status"]) for p in result.cell_problems])


def test_score_is_the_same_idle_and_under_load():
    """Three busy loops keep both cores busy (on top of whatever else runs): same score, same cell notes."""
    idle = _grade_slow_notebook()
    assert idle == ([("to_unit_range", 2.0), ("conv2d_single", 4.0), ("conv2d", 4.0)], [(3, "timed out")]), idle
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(3)]
    try:
        loaded = _grade_slow_notebook()
    finally:
        for process in busy:
            process.kill()
            process.wait()
    assert loaded == idle
