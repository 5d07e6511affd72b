"""The Gradescope autograder zip, run against a simulated /autograder layout."""
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_run_autograder_writes_valid_results(tmp_path):
    archive = tmp_path / "autograder.zip"
    subprocess.run([sys.executable, "cli.py", "gradescope", "ex2", "--out", str(archive)], cwd=REPO, check=True,
                   capture_output=True, timeout=300)
    root = tmp_path / "autograder"
    with zipfile.ZipFile(archive) as z:
        names = z.namelist()
        assert "setup.sh" in names and "run_autograder" in names and "reference/padding.py" in names
        z.extractall(root / "source")
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "run_autograder").chmod(0o755)
    (root / "submission").mkdir()
    shutil.copy(REPO / "exercises" / "ex2" / "samples" / "wrong.ipynb", root / "submission" / "ex2.ipynb")
    env = {"AUTOGRADER_ROOT": str(root), "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin"}
    subprocess.run(["bash", str(root / "run_autograder")], env=env, check=True, timeout=300)
    results = json.loads((root / "results" / "results.json").read_text())
    assert 0 < results["score"] < 10 and isinstance(results["execution_time"], (int, float))
    assert [t["name"] for t in results["tests"]] == ["conv_output_size", "same_padding", "zero_pad",
                                                     "conv2d_strided", "conv_output_shape"]
    for test in results["tests"]:
        assert {"name", "score", "max_score", "output", "visibility"} <= set(test)
    # nothing submitted: still a valid results.json
    (root / "submission" / "ex2.ipynb").unlink()
    subprocess.run(["bash", str(root / "run_autograder")], env=env, check=True, timeout=300)
    assert json.loads((root / "results" / "results.json").read_text())["score"] == 0
