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


PEEK = '''
def peek(token, names):
    """Which of names (tokens of this test) are anywhere in this process's memory, beyond a never-sent one."""
    prefix = token.rsplit("-", 1)[0]
    needles = {name: (prefix + "-" + name).encode() for name in names + ["Z9"]}
    counts = dict.fromkeys(needles, 0)
    with open("/proc/self/maps") as maps, open("/proc/self/mem", "rb", buffering=0) as mem:
        for line in maps:
            fields = line.split()
            if "r" not in fields[1] or (len(fields) > 5 and fields[5] in ("[vvar]", "[vsyscall]", "[vvar_vclock]")):
                continue
            start, end = (int(x, 16) for x in fields[0].split("-"))
            position = start
            while position < end:
                size = min(end - position, 1 << 24)
                try:
                    mem.seek(position)
                    data = mem.read(size)
                except (OSError, ValueError, OverflowError):
                    break
                for name, needle in needles.items():
                    counts[name] += data.count(needle)
                position += size
    baseline = counts.pop("Z9")
    return sorted(name for name, count in counts.items() if count > baseline)
'''


def test_a_task_process_sees_only_its_own_calls_and_each_when_it_makes_it():
    """The child cannot read a later call's arguments, nor another task's, anywhere in its memory.

    Unisolated: this is the protocol's property; the jail adds that a job cannot even read its own
    /proc/self/mem (it is not dumpable), which would make this test see nothing at all."""
    import uuid
    prefix = uuid.uuid4().hex
    names = ["A0", "A1", "A2", "B0"]
    calls = lambda which: [Call("c%d" % k, ("%s-%s" % (prefix, n), names)) for k, n in enumerate(which)]
    for cells in ([PEEK], ["x = ", PEEK]):   # the first task run by the probe, and by a task process
        run = run_submission(cells, [TaskJob("peek", calls(["A0", "A1", "A2"]), 20.0),
                                     TaskJob("peek", calls(["B0"]), 20.0)], Limits(), False)
        assert run.tasks["peek"].outcomes["c0"].value == ["B0"], cells   # the second task, named alike
    first = run_submission([PEEK], [TaskJob("peek", calls(["A0", "A1", "A2"]), 20.0),
                                    TaskJob("other", [Call("c0", ())], 5.0)], Limits(), False)
    seen = [first.tasks["peek"].outcomes["c%d" % k].value for k in range(3)]
    for k, found in enumerate(seen):   # its own calls so far (earlier ones may linger), never a later one
        assert "A%d" % k in found and set(found) <= {"A%d" % j for j in range(k + 1)}, seen


ARRAY_LIKES = '''
import array
import numpy as np

class Wrapped:                       # any object with __array__
    def __array__(self, dtype=None, copy=None):
        return np.arange(4.0).reshape(2, 2)

def give(kind):
    return {"memoryview": memoryview(array.array("d", [1.0, 2.0])), "array.array": array.array("i", [3, 4]),
            "tuple": (1.5, 2.5), "nested": [[1, 2], [3, 4]], "scalar": np.float32(2.5), "wrapped": Wrapped(),
            "complex": np.array([1j]), "strings": np.array(["a"]), "bytes": b"ab", "object": object()}[kind]
'''


def test_array_likes_are_converted_in_the_child_and_the_rest_refused_clearly():
    kinds = ["memoryview", "array.array", "tuple", "nested", "scalar", "wrapped", "complex", "strings", "bytes",
             "object"]
    run = run_submission([ARRAY_LIKES], [TaskJob("give", [Call(k, (k,)) for k in kinds], 10.0)], Limits(), True)
    got = {k: run.tasks["give"].outcomes[k].value for k in kinds}
    assert isinstance(got["memoryview"], np.ndarray) and got["memoryview"].tolist() == [1.0, 2.0]
    assert isinstance(got["array.array"], np.ndarray) and got["array.array"].tolist() == [3, 4]
    assert got["tuple"] == (1.5, 2.5) and got["nested"] == [[1, 2], [3, 4]]
    assert got["scalar"] == np.float32(2.5) and got["scalar"].dtype == np.float32
    assert got["wrapped"].tolist() == [[0.0, 1.0], [2.0, 3.0]]
    for refused, words in (("complex", "complex"), ("strings", "<U1"), ("bytes", "np.asarray"), ("object", "object")):
        assert "cannot" in checks_message(got[refused]) and words in checks_message(got[refused]), refused


def checks_message(value):
    from autograder import checks
    return checks.array(value, np.zeros(1)).message


def test_a_tensor_result_gets_full_marks_without_tensorflow_in_the_grader():
    """A NumPy task returning tf.constant(...) is converted in the child; the grader never imports TensorFlow."""
    import subprocess
    import sys
    code = """
import sys
from autograder import exercises, grading
from autograder.submission import Submission
source = '''
import numpy as np
import tensorflow as tf

def to_unit_range(image):
    return tf.constant(np.asarray(image, dtype=np.float32) / 255)

def conv2d_single(image, kernel):
    from numpy.lib.stride_tricks import sliding_window_view
    if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("bad shapes")
    return tf.constant(np.einsum("ijkl,kl->ij", sliding_window_view(image, kernel.shape), kernel))
'''
ex1 = exercises.load("ex1")
result = grading.grade(ex1, Submission("tensors.py", [source]), hidden=True, seed=5)
print([(t.name, t.score, t.max_score) for t in result.tasks[:2]], "tensorflow" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600,
                         cwd=str(__import__("pathlib").Path(__file__).parent.parent))
    assert out.returncode == 0, out.stderr[-2000:]
    scores, tf_loaded = out.stdout.strip().rsplit(" ", 1)
    assert tf_loaded == "False", out.stdout
    for name, score, maximum in eval(scores):
        assert score == maximum, out.stdout


CARRY = '''
import os, subprocess, sys, time

def plant(secret):
    """Leave the secret wherever a later task's process could look: files, /tmp, /dev/shm, a daemon."""
    for path in ("/tmp/s", "/dev/shm/s", "s", "../s", "../../s", os.path.expanduser("~/s")):
        try:
            with open(path, "w") as handle:
                handle.write(secret)
        except OSError:
            pass
    if os.fork() == 0:
        os.setsid()
        with open("/tmp/daemon", "w") as handle:
            handle.write(str(os.getpid()))
        while True:
            with open("/tmp/s", "w") as handle:
                handle.write(secret)
            time.sleep(0.01)
    time.sleep(0.2)
    return "planted"

def find():
    found = []
    for path in ("/tmp/s", "/dev/shm/s", "s", "../s", "../../s", os.path.expanduser("~/s")):
        try:
            with open(path) as handle:
                found.append(handle.read())
        except OSError:
            pass
    time.sleep(0.1)
    try:
        with open("/tmp/s") as handle:
            found.append(handle.read())
    except OSError:
        pass
    return found
'''


def test_nothing_one_task_leaves_reaches_the_next():
    """A task's files (anywhere writable) and daemons are gone before the next task starts (sandboxed)."""
    for cells in ([CARRY], ["x = ", CARRY]):
        run = run_submission(cells, [TaskJob("plant", [Call("c0", ("hidden-42",))], 5.0),
                                     TaskJob("find", [Call("c0", ())], 5.0)], Limits(), True)
        assert run.tasks["plant"].outcomes["c0"].value == "planted"
        assert run.tasks["find"].outcomes["c0"].value == [], cells
