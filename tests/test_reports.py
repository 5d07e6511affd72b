"""HTML reports (rendered by a real browser) and the in-notebook check (in a real kernel)."""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "corpus"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
COUNT_IMAGES = ("<script>window.addEventListener('load', () => document.body.setAttribute('data-loaded', "
                "[...document.images].filter(i => i.complete && i.naturalWidth > 0).length));</script>")


def loaded_images(page: Path, tmp_path: Path) -> int:
    """How many images a headless Chromium decoded on the page."""
    assert CHROMIUM, "Chromium is needed: apt-get install chromium"
    probe = tmp_path / ("probe-" + page.name)
    probe.write_text(page.read_text().replace("</body>", COUNT_IMAGES + "</body>"))
    dom = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                          "--disable-background-networking", "--disable-component-update", "--disable-sync",
                          "--user-data-dir=%s" % (tmp_path / "chromium"), "--virtual-time-budget=3000",
                          "--dump-dom", probe.as_uri()], capture_output=True, text=True, timeout=120).stdout
    found = re.search(r'data-loaded="(\d+)"', dom)
    assert found, dom[:500]
    return int(found.group(1))


def test_check_html_report_shows_pictures_of_public_cases(tmp_path):
    page = tmp_path / "report.html"
    result = subprocess.run([sys.executable, "cli.py", "check", "ex1", str(CORPUS / "ex1" / "flipped_kernel.py"),
                             "--html", str(page)], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    text = page.read_text()
    assert "does not guarantee" in text and "flipped" in text
    for caption in ("input", "expected", "got 4x4", "got - expected"):
        assert "<figcaption>%s</figcaption>" % caption in text
    assert loaded_images(page, tmp_path) >= 8


def test_hidden_cases_are_never_drawn(tmp_path):
    page = tmp_path / "graded.html"
    subprocess.run([sys.executable, "cli.py", "grade", "ex1", str(CORPUS / "ex1" / "flipped_kernel.py"),
                    "--html", str(page)], cwd=REPO, check=True, capture_output=True, timeout=300)
    from autograder import exercises, grading, html
    from autograder.submission import load
    result = grading.grade(exercises.load("ex1"), load(str(CORPUS / "ex1" / "flipped_kernel.py")), hidden=True)
    hidden_failures = [c for t in result.tasks for c in t.cases if c.case.hidden and not c.verdict.passed]
    assert hidden_failures and all(html.case_pictures(c) == "" for c in hidden_failures)
    assert all("expected" not in c.verdict.extra for c in hidden_failures)


def test_class_report_after_batch(tmp_path):
    folder = tmp_path / "subs"
    folder.mkdir()
    for name in ("correct_loops", "stride_one", "min_as_max", "avg_counts_padding"):
        shutil.copy(CORPUS / "ex3" / (name + ".py"), folder / (name + ".py"))
    subprocess.run([sys.executable, "cli.py", "grade", "ex3", str(folder), "--html", str(tmp_path / "out")],
                   cwd=REPO, check=True, capture_output=True, timeout=600)
    text = (tmp_path / "out" / "class.html").read_text()
    assert "Pass rate per task" in text and "4 submissions" in text
    assert "the window moves one cell at a time" in text and 'mode &quot;min&quot; computes the max' in text
    assert (tmp_path / "out" / "stride_one-ex3.html").exists()
    assert loaded_images(tmp_path / "out" / "stride_one-ex3.html", tmp_path) >= 3


def test_check_inside_a_real_notebook_kernel(tmp_path):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in (
        (CORPUS / "ex1" / "flipped_kernel.py").read_text(),
        "from autograder.notebook import check\ncheck('ex1')",
        "report = check('ex1', 'to_unit_range')\nprint(report.passed)")]
    NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(REPO)}}).execute()
    rich = notebook.cells[1].outputs[0]["data"]
    assert "flipped" in rich["text/html"] and "<img" in rich["text/html"]
    assert "conv2d_single" in rich["text/plain"] and "does not guarantee" in rich["text/plain"]
    assert notebook.cells[2].outputs[0]["text"].strip() == "True"
