"""Build the student kit: what students receive, and nothing they must not see.

    kit/README.md            how to check your work
    kit/cli.py               the same front door
    kit/autograder/          the engine, without the task declarations (they import the reference)
    kit/autograder/public/   public cases with expected values (NumPy exercises), and for the Keras
                             exercises the reference's answers as data (JSON + .npy, no pickle)
    kit/autograder/exercises/exN.py  the Keras exercises' checks: the declaration with its hidden
                             cases removed and the reference replayed from that data
    kit/coursedata/          the pre-trained base and data the Keras exercises use
    kit/exN.ipynb            the released notebooks (nbgrader's ClearSolutions, ClearHiddenTests),
                             beside cli.py so `import coursedata` and `autograder` work in Jupyter

The build ends with a leak check that fails loudly on any reference code,
hidden-test region, solution line, hidden case's label or pickled data found
anywhere in the kit.
"""
from __future__ import annotations

import json
import os
import re
import shutil

from . import exercises, public

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NEVER_SHIPPED = ("reference", "tests", "exercises", "benchmarks", "scripts", ".git", ".ci")
FORBIDDEN_EVERYWHERE = ("import reference", "from reference")
FORBIDDEN_IN_NOTEBOOKS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "grade_hidden(")

STUDENT_README = """# CNN exercises: your kit

Each exercise is a notebook, `exN.ipynb` (ex1-ex3: NumPy; ex4-ex7: Keras).
Fill in the functions (replace the `raise NotImplementedError()` lines), run
the notebook's test cells, and check your work with `cli.py`.

## Set up once (Linux or macOS, Python 3.10 or newer)

In a terminal, in this folder (the one that holds `cli.py`; keep it out of
`/tmp`, which the checker's sandbox replaces with an empty one):

    python3 -m venv .venv && . .venv/bin/activate
    pip install numpy click jupyterlab                  # enough for ex1-ex3
    pip install tensorflow scikit-learn                 # ex4-ex7 also need these

Each new terminal: `. .venv/bin/activate` again (then `python` is the
environment's Python). On Linux, `sudo apt-get install bubblewrap` (Debian,
Ubuntu) lets `check` run your code in a sandbox; without it, and on macOS,
`check` runs your code unsandboxed, which is fine for your own code.

**Windows**: the checker needs a Unix system (it forks processes and sets
resource limits). Install WSL (`wsl --install` in PowerShell, then open
"Ubuntu"), copy this folder into your WSL home, and follow the Linux steps
(`sudo apt-get install python3-venv` first if `python3 -m venv` asks for it).

## Check your work

    python cli.py check ex1                       # finds ex1.ipynb (or ex1.py) in the current folder
    python cli.py check ex1 --html report.html    # with pictures of what went wrong
    python cli.py check ex5                       # the Keras exercises too (slower: TensorFlow starts)

From any other folder, give the paths: `python path/to/kit/cli.py check ex3
path/to/ex3.ipynb`. Start Jupyter in this folder (`jupyter lab`), so the
notebooks can import `coursedata` (the pre-trained base and the digits of
ex6 and ex7; nothing is downloaded) and the checker. Inside a notebook you can
also run:

    from autograder.notebook import check
    check("ex1")

`check` runs your code on the public cases only. Passing them does not
guarantee full marks: grading adds hidden cases with other sizes, strides and
edge cases. Hand in the notebook itself.
"""


class KitLeak(Exception):
    """Something students must not see was found in the kit."""


def build(out: str) -> list[str]:
    """Build the kit into ``out`` (which must not exist yet); returns the exercises checkable offline."""
    import nbformat
    from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions

    if os.path.exists(out):
        raise FileExistsError("%s exists; choose a new folder" % out)
    os.makedirs(out)
    try:
        return _fill(out, nbformat, (ClearSolutions, ClearHiddenTests))
    except BaseException:
        shutil.rmtree(out, ignore_errors=True)
        raise


def _fill(out, nbformat, preprocessors):
    shutil.copy(os.path.join(REPO, "cli.py"), out)
    shutil.copytree(os.path.join(REPO, "autograder"), os.path.join(out, "autograder"),
                    ignore=_ignore_declarations)
    shutil.copytree(os.path.join(REPO, "coursedata"), os.path.join(out, "coursedata"),
                    ignore=shutil.ignore_patterns("__pycache__", "make_*.py"))
    with open(os.path.join(out, "README.md"), "w", encoding="utf-8") as handle:
        handle.write(STUDENT_README)
    checkable = []
    bundles = os.path.join(out, "autograder", "public")
    for key in exercises.catalog():
        source = os.path.join(REPO, "exercises", key, "%s.ipynb" % key)
        if os.path.exists(source):
            notebook = nbformat.read(source, as_version=4)
            for preprocessor in preprocessors:
                notebook, _ = preprocessor().preprocess(notebook, {})
            nbformat.write(notebook, os.path.join(out, "%s.ipynb" % key))
        exercise = exercises.load(key)
        if public.exportable(exercise):
            public.export_bundle(exercise, bundles)
        else:
            _export_keras(key, exercise, bundles, out)
        checkable.append(key)
    leaks = find_leaks(out)
    if leaks:
        raise KitLeak("the kit would leak (nothing was written):\n  " + "\n  ".join(leaks[:20]))
    return checkable


def _export_keras(key, exercise, bundles, out):
    """A Keras exercise: its declaration without hidden cases, the reference's answers as data."""
    from .submission import load

    module = os.path.join(REPO, "autograder", "exercises", "%s.py" % key)
    with open(module, encoding="utf-8") as handle:
        source = handle.read()
    samples = [load(os.path.join(REPO, "exercises", key, "samples", name)) for name in ("correct.ipynb", "wrong.ipynb")
               if os.path.exists(os.path.join(REPO, "exercises", key, "samples", name))]
    stripped = public.export_keras(exercise, source, bundles, samples)
    with open(os.path.join(out, "autograder", "exercises", "%s.py" % key), "w", encoding="utf-8") as handle:
        handle.write(stripped)
    helpers = os.path.join(out, "autograder", "exercises", "_cases.py")
    if not os.path.exists(helpers):   # input helpers the declarations use (no cases in it)
        shutil.copy(os.path.join(REPO, "autograder", "exercises", "_cases.py"), helpers)


def _ignore_declarations(folder, names):
    ignored = {n for n in names if n in ("__pycache__", "public", "kit.py")}
    if os.path.basename(folder) == "exercises":
        ignored |= {n for n in names if re.fullmatch(r"ex\d+\.py|_cases\.py", n)}
    return ignored


def _solution_lines() -> set[str]:
    """Distinctive lines of the reference and of the notebooks' solution regions."""
    lines = set()
    for name in os.listdir(os.path.join(REPO, "reference")):
        if name.endswith(".py") and name != "__init__.py":
            with open(os.path.join(REPO, "reference", name), encoding="utf-8") as handle:
                lines |= {ln.strip() for ln in handle if _distinctive(ln)}
    shown = set()   # lines the notebooks show students on purpose (e.g. the lecture's listing)
    for key in exercises.catalog():
        source = os.path.join(REPO, "exercises", key, "%s.ipynb" % key)
        if not os.path.exists(source):
            continue
        import nbformat
        for cell in nbformat.read(source, as_version=4).cells:
            inside = False
            for ln in cell.source.splitlines():
                if "### BEGIN SOLUTION" in ln:
                    inside = True
                elif "### END SOLUTION" in ln:
                    inside = False
                elif inside and _distinctive(ln):
                    lines.add(ln.strip())
                elif not inside:
                    shown.add(ln.strip())
    lines -= shown
    return lines


def _distinctive(line: str) -> bool:
    """A line long and specific enough to identify solution code (signatures are public)."""
    text = line.strip()
    return len(text) >= 28 and not text.startswith(("#", '"', "'", "-", "Returns", "Raises", "Inputs", "def "))


def _engine_lines() -> set[str]:
    """Lines of the shipped engine itself: common code, not a leak when a solution shares it."""
    lines = set()
    for root, _, files in os.walk(os.path.join(REPO, "autograder")):
        for name in files:
            if name.endswith(".py"):
                with open(os.path.join(root, name), encoding="utf-8") as handle:
                    lines |= {ln.strip() for ln in handle}
    return lines


def _hidden_labels() -> set[str]:
    """Labels of hidden cases (a few seeds), minus any that is also a public case's label."""
    import numpy as np

    hidden, shown = set(), set()
    for key in exercises.catalog():
        try:
            exercise = exercises.load(key)
        except Exception:  # noqa: BLE001 - in the kit itself there are no hidden cases to know
            continue
        for task in exercise.tasks:
            shown |= {case.label for case in task.public}
            for seed in (0, 1):
                try:
                    hidden |= {case.label for case in task.hidden_cases(np.random.default_rng(seed))}
                except Exception:  # noqa: BLE001
                    pass
    return {label for label in hidden - shown if len(label) >= 8}


def _pickle_problem(path: str) -> str | None:
    """Why a data file could hold pickled objects, or None: the kit's arrays load with allow_pickle=False."""
    import numpy as np

    name = path.lower()
    if name.endswith((".pkl", ".pickle", ".joblib", ".dill")):
        return "a pickle file"
    if name.endswith((".npy", ".npz")):
        try:
            loaded = np.load(path, allow_pickle=False)
            if hasattr(loaded, "files"):
                [loaded[f] for f in loaded.files]
        except ValueError:
            return "an array file that needs allow_pickle"
        except OSError as exc:
            return "an unreadable array file (%s)" % exc
    return None


def find_leaks(folder: str) -> list[str]:
    """Every forbidden file, marker, solution line, hidden case or pickle in ``folder``."""
    solution = _solution_lines() - _engine_lines()
    hidden = _hidden_labels()
    leaks = ["forbidden path: %s" % name for name in os.listdir(folder) if name in NEVER_SHIPPED]
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            if name.startswith("reference"):
                leaks.append("forbidden path: %s" % os.path.relpath(os.path.join(root, name), folder))
        for name in files:
            path = os.path.join(root, name)
            problem = _pickle_problem(path)
            if problem:
                leaks.append("%s: %s" % (os.path.relpath(path, folder), problem))
            try:
                with open(path, encoding="utf-8") as handle:
                    text = handle.read()
            except (UnicodeDecodeError, OSError):
                continue
            where = os.path.relpath(path, folder)
            markers = FORBIDDEN_EVERYWHERE + (FORBIDDEN_IN_NOTEBOOKS if name.endswith(".ipynb") else ())
            leaks += ["%s: contains %r" % (where, marker) for marker in markers if marker in text]
            body = {ln.strip() for ln in text.splitlines()} | {
                ln.strip().strip('",').replace('\\"', '"').replace("\\n", "") for ln in text.splitlines()}
            leaks += ["%s: solution line %r" % (where, ln) for ln in sorted(solution & body)]
            if name.endswith((".py", ".json")):
                leaks += ["%s: hidden case %r" % (where, label) for label in sorted(hidden)
                          if repr(label) in text or json.dumps(label) in text]
    return leaks
