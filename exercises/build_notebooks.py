#!/usr/bin/env python3
"""Build the exercises' nbgrader source notebooks and sample submissions.

    python exercises/build_notebooks.py              # rebuild every exercise
    python exercises/build_notebooks.py ex2          # rebuild some
    python exercises/build_notebooks.py --check      # exit 1 if a committed file is stale

Each ``exercises/exN/content.py`` holds the cells of notebook exN as plain data
(see exercises/README.md). From it this script writes

    exercises/exN/exN.ipynb              the nbgrader *source* notebook: solutions
                                         between ### BEGIN/END SOLUTION, autograded
                                         test cells ending in a hidden-test region
    exercises/exN/samples/correct.ipynb  what a student hands in: the *released*
                                         notebook, every task filled in correctly
    exercises/exN/samples/wrong.ipynb    the same with the typical mistakes of the
                                         tasks that define a "wrong" body

The samples are derived exactly as ``nbgrader generate_assignment`` derives the
release (solution regions become nbgrader's default stub, hidden-test regions
are removed, graded cells are locked and checksummed), and the student's code
then replaces the stub. The output is deterministic: fixed cell ids, sorted
JSON keys, no outputs, no version numbers, so a rebuild is byte-identical.
"""
from __future__ import annotations

import argparse
import copy
import hashlib
import importlib.util
import json
import re
import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent

# nbgrader's markers and its default Python code stub (ClearSolutions.code_stub).
BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"
CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"

# Every exercise is worth this many points (the syllabus, EXERCISES.md).
EXERCISE_POINTS = 10

# The syllabus' tasks and points, in order (EXERCISES.md, a fixed contract).
# Every notebook is checked against it; against the autograder's declaration
# (autograder/exercises/exN.py) too, once that declaration exists.
SYLLABUS = {
    "ex1": [("to_unit_range", 2), ("conv2d_single", 4), ("conv2d", 4)],
    "ex2": [("conv_output_size", 2), ("same_padding", 1), ("zero_pad", 2), ("conv2d_strided", 3),
            ("conv_output_shape", 2)],
    "ex3": [("pool2d", 6), ("pool_output_shape", 2), ("global_average_pool", 2)],
    "ex4": [("random_flip", 3), ("random_crop", 3), ("build_augmentation", 4)],
    "ex5": [("residual_block", 6), ("build_residual_model", 4)],
    "ex6": [("extract_features", 2), ("build_feature_classifier", 2), ("build_frozen_model", 4),
            ("feature_maps", 2)],
    "ex7": [("freeze_all_but_last", 5), ("compile_for_fine_tuning", 5)],
}

NOTEBOOK_METADATA = {
    "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
    "language_info": {
        "codemirror_mode": {"name": "ipython", "version": 3},
        "file_extension": ".py",
        "mimetype": "text/x-python",
        "name": "python",
        "nbconvert_exporter": "python",
        "pygments_lexer": "ipython3",
    },
}

CELL_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
FORBIDDEN_IMPORT = re.compile(r"^\s*(import|from)\s+(tensorflow|keras)\b", re.MULTILINE)
# A NumPy-only task of a Keras exercise (ex4's random_flip): its code may not use these.
KERAS_USE = re.compile(r"(^\s*(import|from)\s+(tensorflow|keras)\b)|\b(tf|tensorflow|keras|layers)\.", re.MULTILINE)
# The grader's sandbox reads a line that starts with % or ! as an IPython magic
# even inside brackets, so a continuation line such as `    % (a, b))` breaks
# the cell there (Jupyter itself would run it). Keep our own code clear of it.
MAGIC_LIKE = re.compile(r"^\s*[%!]", re.MULTILINE)


class ContentError(Exception):
    """A content module breaks a rule of the notebook format; the message says which."""


# ------------------------------------------------------------------ content

def load_content(exercise: str):
    """Import exercises/<exercise>/content.py as a module (exercises/ is not a package)."""
    path = HERE / exercise / "content.py"
    spec = importlib.util.spec_from_file_location("content_%s" % exercise, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if getattr(module, "EXERCISE", None) != exercise:
        raise ContentError("%s: EXERCISE must be %r" % (path, exercise))
    return module


def hidden_tests(exercise: str, name: str) -> str:
    """The hidden part of a test cell: grade the task on hidden cases in the sandbox."""
    return "\n".join([BEGIN_HIDDEN,
                      "from autograder.notebook import grade_hidden",
                      'grade_hidden("%s", "%s")' % (exercise, name),
                      END_HIDDEN])


def _solution_region(source: str, name: str):
    """(lines, begin index, end index) of the one solution region of a solution cell."""
    lines = source.split("\n")
    begins = [i for i, line in enumerate(lines) if BEGIN_SOLUTION in line]
    ends = [i for i, line in enumerate(lines) if END_SOLUTION in line]
    if len(begins) != 1 or len(ends) != 1 or ends[0] < begins[0]:
        raise ContentError("%s: the solution needs exactly one %s ... %s region" % (name, BEGIN_SOLUTION, END_SOLUTION))
    if ends[0] != len(lines) - 1:
        raise ContentError("%s: nothing may follow %s" % (name, END_SOLUTION))
    if lines[begins[0]].strip() != BEGIN_SOLUTION or lines[ends[0]].strip() != END_SOLUTION:
        raise ContentError("%s: the solution markers must stand alone on their lines" % name)
    return lines, begins[0], ends[0]


def _indent(code: str, indent: str) -> list[str]:
    """The lines of ``code``, each prefixed by ``indent`` (blank lines stay empty)."""
    return [indent + line if line.strip() else "" for line in code.strip("\n").split("\n")]


def fill_solution(source: str, name: str, body: str) -> str:
    """The solution cell with its solution region replaced by ``body``.

    ``body`` is written at column 0; it is indented like the BEGIN marker, as
    nbgrader indents its stub.
    """
    lines, begin, end = _solution_region(source, name)
    indent = re.match(r"\s*", lines[begin]).group(0)
    return "\n".join(lines[:begin] + _indent(body, indent) + lines[end + 1:])


def remove_hidden_tests(source: str) -> str:
    """The test cell as released: nbgrader's ClearHiddenTests, line by line."""
    kept, hidden = [], False
    for line in source.split("\n"):
        if BEGIN_HIDDEN in line:
            hidden = True
        elif END_HIDDEN in line:
            hidden = False
        elif not hidden:
            kept.append(line)
    return "\n".join(kept)


def _check_task(exercise: str, task: dict) -> None:
    name = task.get("name", "?")
    for key in ("name", "signature", "points", "text", "solution", "tests", "correct"):
        if key not in task:
            raise ContentError("%s: task %s has no %r" % (exercise, name, key))
    if not task["signature"].startswith(name + "("):
        raise ContentError("%s: the signature %r does not define %s" % (exercise, task["signature"], name))
    if "`%s`" % task["signature"] not in task["text"]:
        raise ContentError("%s: the text of %s must quote its signature `%s`" % (exercise, name, task["signature"]))
    lines, begin, _ = _solution_region(task["solution"], name)
    if lines[0] != "def %s:" % task["signature"]:
        raise ContentError("%s: the solution must start with 'def %s:', not %r" % (exercise, task["signature"], lines[0]))
    if not any('"""' in line for line in lines[1:begin]):
        raise ContentError("%s: %s needs a docstring before %s" % (exercise, name, BEGIN_SOLUTION))
    if BEGIN_HIDDEN in task["tests"] or "grade_hidden" in task["tests"]:
        raise ContentError("%s: the hidden tests of %s are added by the build; write only the visible part" % (exercise, name))
    for variant in ("correct", "wrong"):
        body = task.get(variant)
        if body is not None and (BEGIN_SOLUTION in body or END_SOLUTION in body):
            raise ContentError("%s: the %s body of %s must not contain solution markers" % (exercise, variant, name))
    if task.get("numpy_only"):
        for key in ("solution", "correct", "wrong"):
            if task.get(key) is not None and KERAS_USE.search(task[key]):
                raise ContentError("%s: the %s of %s uses TensorFlow/Keras, but the task is NumPy-only"
                                   % (exercise, key, name))


def expand(content) -> list[dict]:
    """The notebook's cells as dicts: id, cell_type, source, optional nbgrader metadata and task."""
    exercise = content.EXERCISE
    cells = []
    for entry in content.CELLS:
        if "task" in entry:
            task = entry["task"]
            _check_task(exercise, task)
            name = task["name"]
            cells.append({"id": "%s-text" % name, "cell_type": "markdown", "source": task["text"].strip("\n")})
            cells.append({"id": "%s_solution" % name, "cell_type": "code", "source": task["solution"], "task": task,
                          "nbgrader": {"grade": False, "grade_id": "%s_solution" % name, "locked": False,
                                       "schema_version": 3, "solution": True, "task": False}})
            tests = task["tests"].strip("\n") + "\n\n" + hidden_tests(exercise, name)
            cells.append({"id": "test_%s" % name, "cell_type": "code", "source": tests,
                          "nbgrader": {"grade": True, "grade_id": "test_%s" % name, "locked": True,
                                       "points": task["points"], "schema_version": 3, "solution": False,
                                       "task": False}})
        elif "markdown" in entry:
            cells.append({"id": entry["id"], "cell_type": "markdown", "source": entry["markdown"].strip("\n")})
        elif "code" in entry:
            cells.append({"id": entry["id"], "cell_type": "code", "source": entry["code"].strip("\n")})
        else:
            raise ContentError("%s: a cell must be a task, markdown or code: %r" % (exercise, sorted(entry)))
    _check_cells(content, cells)
    _check_against_grader(exercise, cells)
    return cells


def _check_against_grader(exercise: str, cells: list[dict]) -> None:
    """The tasks and points must be the syllabus' and those the autograder declares
    (autograder/exercises/exN.py).

    The hidden tests call grade_hidden(exercise, task), so a task the grader
    does not know, or other points, would make the notebook and the grader
    disagree. An exercise whose declaration does not exist yet is checked
    against the syllabus only, with a warning.
    """
    have = [(cell["task"]["name"], cell["task"]["points"]) for cell in cells
            if "task" in cell and cell["nbgrader"]["solution"]]
    if exercise in SYLLABUS and have != SYLLABUS[exercise]:
        raise ContentError("%s: the notebook's tasks and points %s differ from the syllabus' %s"
                           % (exercise, have, SYLLABUS[exercise]))
    wanted = _declared_tasks(exercise)
    if wanted is None:
        print("warning: the autograder does not declare %s yet, so its hidden tests cannot run%s"
              % (exercise, "; its tasks and points are the syllabus'" if exercise in SYLLABUS else ""),
              file=sys.stderr)
    elif have != wanted:
        raise ContentError("%s: the notebook's tasks and points %s differ from the autograder's %s"
                           % (exercise, have, wanted))


def _declared_tasks(exercise: str):
    """[(task, points)] as autograder/exercises/<exercise>.py declares them, or None if it does not exist."""
    sys.path.insert(0, str(HERE.parent))   # the repository: autograder/ and reference/
    try:
        from autograder import exercises as declared
        if exercise not in declared.catalog():   # every autograder/exercises/exN.py, nothing else
            return None
        return [(task.name, task.points) for task in declared.load(exercise).tasks]
    finally:
        sys.path.remove(str(HERE.parent))


def _check_cells(content, cells: list[dict]) -> None:
    exercise = content.EXERCISE
    ids = [cell["id"] for cell in cells]
    for cell_id in ids:
        if not CELL_ID.match(cell_id):
            raise ContentError("%s: bad cell id %r (letters, digits, - and _, at most 64)" % (exercise, cell_id))
    if len(set(ids)) != len(ids):
        raise ContentError("%s: duplicate cell ids %s" % (exercise, sorted({i for i in ids if ids.count(i) > 1})))
    points = sum(cell["nbgrader"].get("points", 0) for cell in cells if "nbgrader" in cell)
    if points != EXERCISE_POINTS:
        raise ContentError("%s: the tasks are worth %s points, not %d" % (exercise, points, EXERCISE_POINTS))
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        if getattr(content, "NUMPY_ONLY", False) and FORBIDDEN_IMPORT.search(cell["source"]):
            raise ContentError("%s: cell %r imports TensorFlow/Keras in a NumPy exercise" % (exercise, cell["id"]))


# ------------------------------------------------------------------ notebooks

def checksum(cell: dict) -> str:
    """nbgrader's cell checksum (nbgrader.utils.compute_checksum), as the release stores it."""
    meta = cell["metadata"]["nbgrader"]
    digest = hashlib.md5()
    for part in (cell["source"], cell["cell_type"], str(meta["grade"]), str(meta["solution"]),
                 str(meta["locked"]), meta["grade_id"]):
        digest.update(part.encode("utf-8"))
    if meta["grade"]:
        digest.update(str(float(meta["points"])).encode("utf-8"))
    return digest.hexdigest()


def _notebook(cells: list[dict]) -> dict:
    return {"cells": cells, "metadata": copy.deepcopy(NOTEBOOK_METADATA), "nbformat": 4, "nbformat_minor": 5}


def _cell(spec: dict, source: str) -> dict:
    cell = {"cell_type": spec["cell_type"], "id": spec["id"], "metadata": {}, "source": source}
    if "nbgrader" in spec:
        cell["metadata"]["nbgrader"] = dict(spec["nbgrader"])
    if spec["cell_type"] == "code":
        cell["execution_count"] = None
        cell["outputs"] = []
    return cell


def source_notebook(cells: list[dict]) -> dict:
    """The nbgrader source notebook: solutions and hidden tests in place."""
    return _notebook([_cell(spec, spec["source"]) for spec in cells])


def release_notebook(cells: list[dict], variant: str | None = None) -> dict:
    """The notebook ``nbgrader generate_assignment`` releases to students.

    variant None: as released (each solution region replaced by the stub);
    "correct" / "wrong": a student's filled-in copy, whose solution regions
    hold the task's ``correct`` or ``wrong`` body (``wrong`` defaults to
    ``correct``). Metadata and checksums are those of the release.
    """
    out = []
    for spec in cells:
        nbgrader = spec.get("nbgrader")
        if nbgrader and nbgrader["solution"]:
            source = fill_solution(spec["source"], spec["task"]["name"], CODE_STUB)
        elif nbgrader and nbgrader["grade"]:
            source = remove_hidden_tests(spec["source"])
        else:
            source = spec["source"]
        cell = _cell(spec, source)
        if nbgrader:   # LockCells (solution cells stay editable), then ComputeChecksums
            cell["metadata"]["deletable"] = False
            if not nbgrader["solution"] and (nbgrader["grade"] or nbgrader["locked"]):
                cell["metadata"]["editable"] = False
            cell["metadata"]["nbgrader"]["checksum"] = checksum(cell)
            cell["metadata"]["nbgrader"]["cell_type"] = cell["cell_type"]
        if variant and nbgrader and nbgrader["solution"]:
            task = spec["task"]
            body = task["correct"] if variant == "correct" or task.get("wrong") is None else task["wrong"]
            cell["source"] = fill_solution(spec["source"], task["name"], body)
        out.append(cell)
    return _notebook(out)


def render(notebook: dict) -> str:
    """The notebook as Jupyter saves it: sources as line lists, sorted keys, indent 1."""
    notebook = copy.deepcopy(notebook)
    for cell in notebook["cells"]:
        cell["source"] = cell["source"].splitlines(keepends=True)
    text = json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    nbformat.validate(nbformat.reads(text, as_version=4))
    return text


def build(exercise: str) -> dict[Path, str]:
    """Every file generated for one exercise: path -> text."""
    content = load_content(exercise)
    cells = expand(content)
    folder = HERE / exercise
    files = {folder / ("%s.ipynb" % exercise): render(source_notebook(cells)),
             folder / "samples" / "correct.ipynb": render(release_notebook(cells, "correct")),
             folder / "samples" / "wrong.ipynb": render(release_notebook(cells, "wrong"))}
    for path, text in files.items():
        for cell in json.loads(text)["cells"]:
            if cell["cell_type"] == "code":
                _check_code("%s/%s" % (path.parent.name, path.name), cell["id"], "".join(cell["source"]))
    return files


def _check_code(where: str, cell_id: str, source: str) -> None:
    """Every code cell, solutions and samples included, compiles and is safe for the grader."""
    try:
        compile(source, "%s:%s" % (where, cell_id), "exec")
    except SyntaxError as exc:
        raise ContentError("%s: cell %r does not compile: %s" % (where, cell_id, exc)) from None
    if MAGIC_LIKE.search(source):
        raise ContentError("%s: cell %r has a line starting with %% or !, which the grader reads as an "
                           "IPython magic; join it to the previous line" % (where, cell_id))


def all_exercises() -> list[str]:
    return sorted((p.parent.name for p in HERE.glob("ex*/content.py")), key=lambda n: (len(n), n))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("exercises", nargs="*", help="exercises to build (default: every exercises/exN/content.py)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a committed file differs from what would be built")
    args = parser.parse_args(argv)
    known = all_exercises()
    unknown = [e for e in args.exercises if e not in known]
    if unknown:
        parser.error("no content.py for %s (known: %s)" % (", ".join(unknown), ", ".join(known)))
    stale = []
    for exercise in args.exercises or known:
        try:
            files = build(exercise)
        except ContentError as exc:
            print("error: %s" % exc, file=sys.stderr)
            return 2
        for path, text in files.items():
            current = path.read_bytes().decode("utf-8") if path.exists() else None
            if current == text:
                continue
            stale.append(path)
            if not args.check:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(text.encode("utf-8"))
                print("wrote %s" % path.relative_to(HERE.parent))
    if args.check:
        for path in stale:
            print("out of date: %s" % path.relative_to(HERE.parent), file=sys.stderr)
        if stale:
            print("run: python exercises/build_notebooks.py", file=sys.stderr)
            return 1
        print("notebooks up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
