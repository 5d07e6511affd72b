"""Read a submission into code cells, without executing anything.

A submission is a notebook (``.ipynb``, nbformat 4, or 3) or a Python file.
Notebooks give their code cells in order; markdown and raw cells are ignored,
and so are nbgrader's autograded test cells (they only check, and can be
slow). Otherwise metadata is ignored: a student who edited nbgrader's metadata
is graded like everyone else, by the functions the code defines. A Python file is one
cell if it compiles; if it does not, it is split at top-level definitions so
that a syntax error in one function costs that function only.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field

MAX_BYTES = 20 << 20
_TOP_LEVEL_START = re.compile(r"^(def |class |async def |@|import |from |if __name__)")


class SubmissionError(Exception):
    """The submission cannot be read at all. The message is for the student."""


@dataclass
class Submission:
    path: str
    cells: list[str]
    warnings: list[str] = field(default_factory=list)


def load(path: str) -> Submission:
    """Read ``path`` (.ipynb or .py) into its code cells.

    Raises SubmissionError with a message fit for a student when the file is
    missing, too large, binary, not UTF-8, or not a notebook.
    """
    if not os.path.exists(path):
        raise SubmissionError("%s: no such file" % path)
    if os.path.isdir(path):
        raise SubmissionError("%s is a folder; give the notebook or .py file inside it" % path)
    size = os.path.getsize(path)
    if size > MAX_BYTES:
        raise SubmissionError("%s is %.0f MB; a submission must be under %d MB (did you save outputs "
                              "with large images? Clear all outputs and save again)"
                              % (path, size / 1e6, MAX_BYTES >> 20))
    with open(path, "rb") as handle:
        data = handle.read()
    if b"\x00" in data:
        raise SubmissionError("%s is a binary file, not a notebook or Python source" % path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SubmissionError("%s is not UTF-8 text (byte %d); save it as UTF-8" % (path, exc.start)) from None
    if path.endswith(".ipynb") and not text.strip():
        raise SubmissionError("%s is empty (%d bytes), not a notebook: open it in Jupyter, save it (File > Save), "
                              "and try again" % (path, size))
    looks_like_json = text.lstrip().startswith("{")
    if path.endswith(".ipynb") or (looks_like_json and not path.endswith(".py")):
        submission = Submission(path, _notebook_cells(path, text))
    else:
        submission = Submission(path, _python_cells(text))
    if not any(cell.strip() for cell in submission.cells):
        submission.warnings.append("the submission contains no code")
    return submission


def _notebook_cells(path, text):
    if not text.strip():
        return []
    try:
        notebook = json.loads(text)
    except ValueError as exc:
        raise SubmissionError("%s is not a valid notebook: its JSON is broken (%s). Open it in Jupyter "
                              "and save it again, or submit a .py file" % (path, exc)) from None
    if not isinstance(notebook, dict):
        raise SubmissionError("%s is not a notebook (no cells found)" % path)
    if isinstance(notebook.get("cells"), list):          # nbformat 4
        cells = notebook["cells"]
        key = "source"
    elif isinstance(notebook.get("worksheets"), list):   # nbformat 3
        cells = [c for ws in notebook["worksheets"] if isinstance(ws, dict)
                 for c in (ws.get("cells") or []) if isinstance(ws.get("cells"), list)]
        key = "input"
    else:
        raise SubmissionError("%s is not a notebook (no cells found)" % path)
    sources = []
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code" or _is_test_cell(cell):
            continue
        source = cell.get(key, cell.get("source", ""))
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        if isinstance(source, str):
            sources.append(source)
    return sources


def _is_test_cell(cell):
    """An nbgrader autograded test cell: it only checks, so grading skips it (and its cost).

    Editing the metadata gains nothing: marking one's own solution as a test
    cell only hides that solution from the grader.
    """
    metadata = cell.get("metadata")
    nbgrader = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    return isinstance(nbgrader, dict) and nbgrader.get("grade") is True and nbgrader.get("solution") is False


def _python_cells(text):
    percent_cells = re.split(r"(?m)^# ?%%.*$", text)
    if len(percent_cells) > 1:   # jupytext "percent" format: cells marked by "# %%"
        return [c for c in percent_cells if c.strip()]
    try:
        compile(text, "<submission>", "exec")
        return [text]
    except (SyntaxError, ValueError):
        pass
    chunks, current = [], []
    for line in text.splitlines(keepends=True):
        if _TOP_LEVEL_START.match(line) and current and not current[-1].lstrip().startswith("@"):
            chunks.append("".join(current))
            current = []
        current.append(line)
    if current:
        chunks.append("".join(current))
    return chunks
