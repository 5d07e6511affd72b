"""The child-side runner and the sandbox, unit by unit."""
import numpy as np

from autograder.child import runner
from autograder.sandbox import Call, Limits, TaskJob, run_submission


def test_magics_become_pass_but_valid_continuations_stay():
    assert runner._compile_cell(0, "x = (1\n    % 2)\n")[1] is not None       # a '%' continuation line
    assert runner._compile_cell(0, "%matplotlib inline\nimport numpy\n!ls\ny = 1\n")[1] is not None
    index, code, error = runner._compile_cell(0, "def f(:\n")
    assert code is None and "SyntaxError" in error


def test_hanging_and_exiting_cells_do_not_hide_later_definitions():
    cells = ["import numpy as np", "while True: pass", "import os\nos._exit(1)", "undefined_name",
             "def double(x):\n    return x * 2"]
    run = run_submission(cells, [TaskJob("double", [Call("c0", (np.arange(3.0),))], 5.0)],
                         Limits(cell_seconds=1.0, cells_seconds=10.0))
    statuses = {p["cell"]: p["status"] for p in run.cells}
    assert statuses == {2: "timed out", 3: "ended the process", 4: "raised"}
    outcome = run.tasks["double"].outcomes["c0"]
    assert outcome.kind == "value" and outcome.value.tolist() == [0.0, 2.0, 4.0]


def test_results_cross_as_data_not_pickles():
    cells = ["import numpy as np\nclass Evil:\n    def __reduce__(self):\n        return (print, ('pwned',))\n"
             "def f():\n    return np.array([Evil()], dtype=object)\n"
             "def g():\n    return {'a': [1, 2.5, (3, 'x')], 'b': np.float32(1.5)}\n"]
    run = run_submission(cells, [TaskJob("f", [Call("c0", ())], 5.0), TaskJob("g", [Call("c0", ())], 5.0)])
    assert "object" in run.tasks["f"].outcomes["c0"].value.type_name
    assert run.tasks["g"].outcomes["c0"].value == {"a": [1, 2.5, (3, "x")], "b": np.float32(1.5)}
