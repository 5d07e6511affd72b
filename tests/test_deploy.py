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
        from autograder import keras_checks
        worker = threading.Thread(target=keras_checks.keras)
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
    assert "the cell that defines it: cell 7 (In [5]): not valid Python" in feedback, feedback
    assert "cell 3" not in feedback


def test_python_file_slow_last_line_costs_only_itself(tmp_path):
    path = tmp_path / "ex1.py"
    path.write_text(GOOD["to_unit_range"] + GOOD["conv2d_single"] + "\nimport time\nwhile True:\n    time.sleep(1)\n")
    result = subprocess.run([sys.executable, "cli.py", "check", "ex1", str(path)], cwd=REPO, capture_output=True, text=True, timeout=300)
    out = result.stdout
    assert "to_unit_range     2/2" in out and "conv2d_single     4/4" in out, out
    line = len((GOOD["to_unit_range"] + GOOD["conv2d_single"] + "\nimport time\n").splitlines())
    assert "line %d: " % (line + 1) in out and "stopped at the time limit" in out, out   # the `while True:`
    assert "10 s of CPU time" in out and 'if __name__ == "__main__":' in out, out


def test_in_notebook_check_labels_cells_as_jupyter_prompts(monkeypatch):
    import builtins

    from autograder import notebook

    class Shell:
        user_ns = {"In": ["", "import numpy as np", "", "def f():\n    pass",
                          "from autograder.notebook import check; check('ex1')"]}
    monkeypatch.setattr(builtins, "get_ipython", lambda: Shell(), raising=False)
    cells, labels = notebook._executed(lambda cell: "check(" not in cell)
    assert cells == ["import numpy as np", "def f():\n    pass"] and labels == ["In [1]", "In [3]"]


# ---------------------------------------------------------------- rough edges

def _cli(*args, cwd=REPO):
    return subprocess.run([sys.executable, str(REPO / "cli.py"), *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=600)


def test_gradescope_out_into_a_missing_folder_is_a_clear_error(tmp_path):
    result = _cli("gradescope", "ex3", "--out", tmp_path / "no" / "such" / "dir" / "a.zip")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "does not exist" in result.stderr and not (tmp_path / "no").exists()


def test_notebook_and_python_file_of_one_student_warn_and_grade_the_notebook(tmp_path):
    import shutil

    shutil.copy(REPO / "exercises" / "ex1" / "samples" / "correct.ipynb", tmp_path / "alice.ipynb")
    (tmp_path / "alice.py").write_text("def to_unit_range(image):\n    return None\n")
    shutil.copy(REPO / "exercises" / "ex1" / "samples" / "wrong.ipynb", tmp_path / "bob.ipynb")
    result = _cli("grade", "ex1", tmp_path, "--csv", tmp_path / "grades.csv", "-j", "1")
    assert result.returncode == 0, result.stderr
    assert "alice has alice.ipynb and alice.py: graded alice.ipynb, ignored alice.py" in result.stderr
    rows = [line for line in result.stdout.splitlines() if line.startswith("alice")]
    assert len(rows) == 1 and rows[0].split()[-1] in ("10/10", "10.0/10"), result.stdout


def test_in_notebook_report_styles_only_its_own_container():
    import re

    from autograder import exercises, grading
    from autograder.notebook import CheckReport
    from autograder.submission import load

    result = grading.grade(exercises.load("ex1"), load(str(REPO / "exercises" / "ex1" / "samples" / "wrong.ipynb")),
                           hidden=False)
    page = CheckReport(result)._repr_html_()
    assert page.startswith('<div class="cnn-report">') and page.endswith("</div>")
    styles = re.findall(r"<style>(.*?)</style>", page, re.S)
    assert len(styles) == 1
    selectors = [sel.strip() for rule in re.findall(r"([^{}]+)\{", styles[0]) for sel in rule.split(",")]
    assert selectors and all(sel.startswith(".cnn-report") for sel in selectors), selectors


def test_check_help_lists_every_exercise():
    from autograder import exercises

    result = _cli("check", "--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    catalog = exercises.catalog()
    assert "ex1 ... %s" % list(catalog)[-1] in text
    assert all(topic in text for topic, _, _ in catalog.values()), text


def test_docs_cite_no_path_outside_the_repository():
    import re

    for doc in ("exercises/README.md", "docs/authoring.md", "README.md"):
        text = (REPO / doc).read_text()
        assert not re.search(r"(?<![\w.`])/(work|home|root|Users)/", text), doc


def test_files_the_readme_commands_write_are_ignored_by_git():
    written = ["grades.csv", "grades.xml", "reports/alice-ex1.html", "course/gradebook.db", "student-kit/README.md",
               "autograder.zip", "report.html", ".venv/bin/python"]
    result = subprocess.run(["git", "check-ignore", "--no-index", *written], cwd=REPO, capture_output=True, text=True)
    assert sorted(result.stdout.split()) == sorted(written), result.stdout


def test_benchmark_text_agrees_with_its_table():
    import re

    section = (REPO / "README.md").read_text().split("## Benchmarks", 1)[1].split("\n## ", 1)[0]
    table = "\n".join(line for line in section.splitlines() if line.startswith("|"))
    prose = "\n".join(line for line in section.splitlines() if not line.startswith("|"))
    quoted = re.findall(r"(\d+(?:\.\d+)?) ?(?:s|ms) (?:per|a) (?:submission|notebook)", prose)
    quoted += re.findall(r"(\d+(?:\.\d+)?) ?s/(?:submission|notebook)", prose)
    assert quoted, prose
    for number in quoted:
        assert number in table, "the text quotes %s, which the table does not show" % number
    assert "≥ 5x ✗" not in table or "misses" in prose
