"""Read a submission into code cells, without executing anything.

A submission is a notebook (``.ipynb``, nbformat 4, or 3) or a Python file.
Notebooks give their code cells in order; markdown and raw cells are ignored,
and so are nbgrader's autograded test cells (they only check, and can be
slow). Otherwise metadata is ignored: a student who edited nbgrader's metadata
is graded like everyone else, by the functions the code defines.

A Python file is split into its top-level statements, each sent as a cell, so
that a slow or hanging line (a demo, a plot, ``input()``) costs only itself; a
file that does not compile is split at top-level definitions, so that a syntax
error in one function costs that function only. Jupytext "percent" files keep
their ``# %%`` cells.

Every cell carries a label that points where the student looks: in a notebook
its position among all the notebook's cells (markdown and nbgrader's test cells
counted) and ``In [n]`` where it was run; in a Python file its line.
"""
from __future__ import annotations

import ast
import json
import os
import stat
import re
from dataclasses import dataclass, field

MAX_BYTES = 20 << 20
_CHILD_PLACE = re.compile(r"<?\bcell (\d+)>?(?:,? line (\d+))?")
_TOP_LEVEL_START = re.compile(r"^(def |class |async def |@|import |from |if __name__)")


class SubmissionError(Exception):
    """The submission cannot be read at all. The message is for the student."""


@dataclass
class Submission:
    path: str
    cells: list[str]
    warnings: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)     # per cell: "cell 7 (In [4])", "line 12", "In [3]"
    first_lines: list[int] = field(default_factory=list)   # .py: the file's line where each cell starts

    def label(self, number: int) -> str:
        """How the student finds cell ``number`` (1-based, as the child counts the cells it was sent)."""
        if 1 <= number <= len(self.labels):
            return self.labels[number - 1]
        return "cell %d" % number

    def where(self, text: str) -> str:
        """``text`` with the child's "cell K, line L" (or "<cell K>") rewritten as the student sees it."""
        if not text or not (self.labels or self.first_lines):
            return text

        def place(match):
            number = int(match.group(1))
            line = match.group(2)
            if line and 1 <= number <= len(self.first_lines):
                return "line %d" % (self.first_lines[number - 1] + int(line) - 1)
            return self.label(number) + (", line %s" % line if line else "")
        return _CHILD_PLACE.sub(place, text)


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
    try:   # O_NONBLOCK and a regular-file check: a FIFO named like a notebook must not hang a batch
        handle = os.fdopen(os.open(path, os.O_RDONLY | os.O_NONBLOCK), "rb")
    except OSError as exc:
        raise SubmissionError("%s cannot be read (%s)" % (path, exc.strerror)) from None
    with handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise SubmissionError("%s is not a regular file" % path)
        data = handle.read(MAX_BYTES + 1)
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
        cells, labels = _notebook_cells(path, text)
        submission = Submission(path, cells, labels=labels)
    else:
        cells, starts = _python_cells(text)
        labels = ["line %d" % start for start in starts]
        submission = Submission(path, cells, labels=labels, first_lines=starts)
    if not any(cell.strip() for cell in submission.cells):
        submission.warnings.append("the submission contains no code")
    return submission


def _notebook_cells(path, text):
    """(code cells' sources, their labels); test cells are left out but counted in the positions."""
    if not text.strip():
        return [], []
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
    sources, labels = [], []
    for position, cell in enumerate(cells, 1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code" or _is_test_cell(cell):
            continue
        source = cell.get(key, cell.get("source", ""))
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        if isinstance(source, str):
            sources.append(source)
            count = cell.get("execution_count", cell.get("prompt_number"))
            run = " (In [%d])" % count if isinstance(count, int) and not isinstance(count, bool) else ""
            labels.append("cell %d%s" % (position, run))
    return sources, labels


def _is_test_cell(cell):
    """An nbgrader autograded test cell: it only checks, so grading skips it (and its cost).

    Editing the metadata gains nothing: marking one's own solution as a test
    cell only hides that solution from the grader.
    """
    metadata = cell.get("metadata")
    nbgrader = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    return isinstance(nbgrader, dict) and nbgrader.get("grade") is True and nbgrader.get("solution") is False


def _python_cells(text):
    """(cells, the line each starts at): top-level statements, or percent cells, or definitions."""
    lines = text.splitlines(keepends=True)
    marks = [n for n, line in enumerate(lines) if re.match(r"# ?%%", line)]
    if marks:   # jupytext "percent" format: cells marked by "# %%"
        bounds = ([0] if marks[0] > 0 else []) + [m + 1 for m in marks]
        ends = (marks if marks[0] > 0 else marks[1:]) + [len(lines)]
        cells = [("".join(lines[b:e]), b + 1) for b, e in zip(bounds, ends)]
        cells = [(c, start) for c, start in cells if c.strip()]
        return [c for c, _ in cells], [start for _, start in cells]
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        tree = None
    if tree is not None:
        spans = []
        for node in tree.body:
            start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
            end = node.end_lineno or node.lineno
            if spans and start <= spans[-1][1]:   # two statements on one line: keep them together
                spans[-1][1] = max(spans[-1][1], end)
            else:
                spans.append([start, end])
        if not spans:
            return ([text], [1]) if text.strip() else ([], [])
        return ["".join(lines[s - 1:e]) for s, e in spans], [s for s, _ in spans]
    chunks, starts, current = [], [], []
    for number, line in enumerate(lines, 1):
        if _TOP_LEVEL_START.match(line) and current and not current[-1].lstrip().startswith("@"):
            chunks.append("".join(current))
            current = []
        if not current:
            starts.append(number)
        current.append(line)
    if current:
        chunks.append("".join(current))
    return chunks, starts
