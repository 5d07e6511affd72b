"""Issue 13's rough edges: each one as a user meets it."""
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_importing_keras_for_judging_never_hides_stderr():
    """While Keras imports in the background (as during grading), a traceback on stderr must survive."""
    script = textwrap.dedent("""
        import os, sys, threading, time
        sys.path.insert(0, %r)
        from autograder import grading
        worker = threading.Thread(target=grading._import_keras)
        worker.start()
        for k in range(40):
            os.write(2, b"MARK%%d\\n" %% k)
            time.sleep(0.05)
        worker.join()
    """ % str(REPO))
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert all("MARK%d\n" % k in result.stderr for k in range(40)), result.stderr[-2000:]


# ---------------------------------------------------------------- feedback points at what the student sees

def _notebook(tmp_path, cells, name="ex1.ipynb"):
    """cells: (kind, source, execution_count or None, nbgrader metadata or None)."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    for kind, source, count, grader in cells:
        cell = nbformat.v4.new_markdown_cell(source) if kind == "md" else nbformat.v4.new_code_cell(source)
        if kind == "code":
            cell.execution_count = count
        if grader:
            cell.metadata["nbgrader"] = grader
        nb.cells.append(cell)
    path = tmp_path / name
    nbformat.write(nb, str(path))
    return path


TEST_CELL = {"grade": True, "solution": False, "points": 2, "grade_id": "test_x", "locked": True,
             "schema_version": 3, "task": False}
GOOD = {
    "to_unit_range": "import numpy as np\ndef to_unit_range(image):\n    return (np.asarray(image) / 255).astype(np.float32)\n",
    "conv2d_single": ("def conv2d_single(image, kernel):\n    import numpy as np\n"
                      "    if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] "
                      "or kernel.shape[1] > image.shape[1]:\n        raise ValueError('shapes')\n"
                      "    kh, kw = kernel.shape\n    return np.array([[np.sum(image[i:i+kh, j:j+kw] * kernel) "
                      "for j in range(image.shape[1] - kw + 1)] for i in range(image.shape[0] - kh + 1)])\n"),
}


def test_notebook_cells_are_labelled_by_position_and_prompt(tmp_path):
    from autograder.submission import load

    path = _notebook(tmp_path, [("md", "# intro", None, None), ("code", "x = 1", 3, None),
                                ("code", "assert x == 1", 4, TEST_CELL), ("md", "text", None, None),
                                ("code", "y = 2", None, None)])
    submission = load(str(path))
    assert submission.cells == ["x = 1", "y = 2"]
    assert submission.labels == ["cell 2 (In [3])", "cell 5"]
    assert submission.where("raised at cell 2, line 1") == "raised at cell 5, line 1"


def test_missing_function_hint_names_the_cell_that_defines_it(tmp_path):
    """Two broken cells: the hint for conv2d names conv2d's own cell, numbered as in the notebook."""
    import json as _json

    path = _notebook(tmp_path, [
        ("md", "# ex1", None, None),
        ("code", GOOD["to_unit_range"], 1, None),
        ("code", "this is not python (a broken scratch cell)", 2, None),
        ("code", "assert to_unit_range is not None", 3, TEST_CELL),
        ("code", GOOD["conv2d_single"], 4, None),
        ("md", "## conv2d", None, None),
        ("code", "def conv2d(x, filters, bias)\n    return x\n", 5, None),
    ])
    result = subprocess.run([sys.executable, "cli.py", "grade", "ex1", str(path), "--format", "json",
                             "--allow-unisolated"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    tasks = {t["name"]: t for t in _json.loads(result.stdout)["tasks"]}
    feedback = tasks["conv2d"]["feedback"]
    assert "cell 7 (In [5]), which defines it, syntax error" in feedback, feedback
    assert "cell 3" not in feedback


def test_python_file_slow_last_line_costs_only_itself(tmp_path):
    path = tmp_path / "ex1.py"
    path.write_text(GOOD["to_unit_range"] + GOOD["conv2d_single"] + "\nimport time\nwhile True:\n    time.sleep(1)\n")
    result = subprocess.run([sys.executable, "cli.py", "check", "ex1", str(path)], cwd=REPO, capture_output=True, text=True, timeout=300)
    out = result.stdout
    assert "to_unit_range     2/2" in out and "conv2d_single     4/4" in out, out
    line = len((GOOD["to_unit_range"] + GOOD["conv2d_single"] + "\nimport time\n").splitlines())
    assert "line %d timed out" % (line + 1) in out, out   # the `while True:` statement
    assert "5 s" in out and 'if __name__ == "__main__":' in out, out


def test_in_notebook_check_labels_cells_as_jupyter_prompts(monkeypatch):
    import builtins

    from autograder import notebook

    class Shell:
        user_ns = {"In": ["", "import numpy as np", "", "def f():\n    pass",
                          "from autograder.notebook import check; check('ex1')"]}
    monkeypatch.setattr(builtins, "get_ipython", lambda: Shell(), raising=False)
    cells, labels = notebook._executed(lambda cell: "check(" not in cell)
    assert cells == ["import numpy as np", "def f():\n    pass"] and labels == ["In [1]", "In [3]"]
