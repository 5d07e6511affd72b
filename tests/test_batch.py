"""Batch grading of a folder: nbgrader's layout, parallel, every export, nothing stops the batch."""
import csv
import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "corpus"


def test_batch_grades_nbgrader_layout_with_every_export(tmp_path):
    submitted = tmp_path / "submitted"
    students = {"alice": "ex1/correct_loops.py", "bob": "ex1/flipped_kernel.py",
                "carol": "ex1/hostile_infinite_loop.py", "dave": None, "erin": "ex3/stride_one.py"}
    for student, source in students.items():
        exercise = "ex3" if student == "erin" else "ex1"
        folder = submitted / student / exercise
        folder.mkdir(parents=True)
        if source:
            shutil.copy(CORPUS / source, folder / ("%s.py" % exercise))
        else:
            (folder / "ex1.ipynb").write_text("{ not json")
    result = subprocess.run(
        [sys.executable, "cli.py", "grade", "--all", str(submitted), "-j", "2", "--timeout", "3",
         "--csv", str(tmp_path / "g.csv"), "--junit", str(tmp_path / "g.xml"),
         "--gradescope-dir", str(tmp_path / "gs"), "--per-student-seed"],
        cwd=REPO, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    rows = {(r["student"], r["exercise"]): r for r in csv.DictReader(open(tmp_path / "g.csv"))}
    assert set(rows) == {("alice", "ex1"), ("bob", "ex1"), ("carol", "ex1"), ("dave", "ex1"), ("erin", "ex3")}
    assert float(rows["alice", "ex1"]["total"]) == 10
    assert 0 < float(rows["bob", "ex1"]["total"]) < 10 and rows["bob", "ex1"]["conv2d_single"] != "4.0"
    assert float(rows["carol", "ex1"]["conv2d_single"]) == 4       # the hang cost only its own tasks
    assert "not a valid notebook" in rows["dave", "ex1"]["error"]
    assert float(rows["erin", "ex3"]["global_average_pool"]) == 2
    suites = {s.get("name"): s for s in ET.parse(tmp_path / "g.xml").getroot()}
    assert set(suites) == {"ex1", "ex3"}
    failing = {c.get("classname") + "/" + c.get("name") for c in suites["ex1"] if c.find("failure") is not None}
    assert "bob.ex1/conv2d_single" in failing and "alice.ex1/conv2d" not in failing
    gradescope = json.loads((tmp_path / "gs" / "alice" / "ex1" / "results.json").read_text())
    assert gradescope["score"] == 10 and len(gradescope["tests"]) == 3


def test_documented_ci_workflow_grades_as_written(tmp_path):
    import re

    import yaml
    workflow = yaml.safe_load((REPO / "docs" / "github-actions-grading.yml").read_text())
    steps = workflow["jobs"]["grade"]["steps"]
    script = next(s["run"] for s in steps if "cli.py grade" in s.get("run", ""))
    script = re.sub(r"\$\{\{[^}]*\}\}", "0", script)
    work = tmp_path / "repo"
    (work / "submitted" / "alice" / "ex2").mkdir(parents=True)
    shutil.copy(CORPUS / "ex2" / "correct_loops.py", work / "submitted" / "alice" / "ex2" / "ex2.py")
    summary = tmp_path / "summary.txt"
    command = script.replace("python cli.py", "%s %s" % (sys.executable, REPO / "cli.py"))
    subprocess.run(["bash", "-ec", command], cwd=work, env={"GITHUB_STEP_SUMMARY": str(summary), "PATH": "/usr/bin:/bin"},
                   check=True, capture_output=True, timeout=600)
    assert "| alice | ex2 | 10.0/10 | - |" in summary.read_text()
    for produced in ("grades.csv", "grades.xml", "reports/class.html", "gradescope/alice/ex2/results.json"):
        assert (work / produced).exists(), produced
