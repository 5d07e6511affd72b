"""Student-originated text, made safe to put in any report.

Exception messages and type names, cell errors, file and student names all
come from a submission: they may hold terminal escape sequences (that redraw
the instructor's screen), other control characters, Unicode characters that
reorder or hide text, or megabytes. ``clean`` is the one function every
report and export passes such text through.
"""
from __future__ import annotations

import re

# Escape sequences (CSI, OSC, and two-byte ESC forms), then every control character but newline and tab,
# and the Unicode format characters that reorder or hide text (bidirectional overrides, zero-width marks).
_ESCAPES = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]?|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_]?)|\x9b[0-?]*[ -/]*[@-~]?")
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")
STUDENT_TEXT = 500   # characters of one piece of student-originated text (an exception message, a name)
FEEDBACK_TEXT = 20000   # characters of one task's whole feedback


def clean(text, limit: int = STUDENT_TEXT) -> str:
    """Student-originated text made safe for any report: escape sequences and control characters removed
    (newline and tab kept, a carriage return becomes a newline), cut to ``limit`` characters.

    The one function every report and export uses for text that came from a submission
    (exception messages and type names, cell errors, file and student names).
    """
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    text = str.__str__(text)
    if len(text) > 4 * limit + 1000:   # enough to survive the removals below, no more work than that
        text = text[:4 * limit + 1000]
    text = _ESCAPES.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROLS.sub("", text)
    return text if len(text) <= limit else text[:limit] + "..."
