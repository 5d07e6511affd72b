"""Judge values that came back from the child, in the parent process.

Each comparator takes (result, expected) and returns a Verdict. ``message``
never contains expected values (it is shown for hidden cases); ``detail``
does, and is shown for public cases only. The tolerances are the contract's:
rtol=1e-4 and atol=1e-4 * max(1, max|expected|).
"""
from __future__ import annotations

import numbers

import numpy as np

from .child.wire import Unsupported
from .spec import Verdict

RTOL = 1e-4


def describe(value) -> str:
    """A short description of a value's type and shape, e.g. 'ndarray float64 (4, 4)'."""
    if isinstance(value, np.ndarray):
        return "ndarray %s %s" % (value.dtype, value.shape)
    if isinstance(value, Unsupported):
        return value.type_name
    if isinstance(value, (list, tuple)):
        return "%s of %d" % (type(value).__name__, len(value))
    return type(value).__name__


def show(value, limit=600) -> str:
    """The value printed compactly, for public feedback."""
    if isinstance(value, np.ndarray):
        text = np.array2string(np.round(value, 4) if value.dtype.kind == "f" else value,
                               threshold=64, edgeitems=3, max_line_width=100)
    else:
        text = repr(value)
    return text if len(text) <= limit else text[:limit] + " ..."


def _as_numeric_array(result):
    """np.asarray(result) if it is a real-number array-like, else None."""
    if result is None or isinstance(result, (Unsupported, str, dict)):
        return None
    try:
        array = np.asarray(result)
    except (ValueError, TypeError):
        return None
    return array if array.dtype.kind in "biuf" else None


def not_returned(result) -> Verdict | None:
    """The common verdicts for a result that is not a value at all."""
    if result is None:
        return Verdict(False, "returned None: is a `return` statement missing?")
    if isinstance(result, Unsupported):
        return Verdict(False, "returned %s, which the grader cannot use" % result.type_name)
    return None


def array(result, expected) -> Verdict:
    """An array-like of real numbers, same shape, values within tolerance."""
    early = not_returned(result)
    if early:
        return early
    got = _as_numeric_array(result)
    if got is None:
        return Verdict(False, "returned %s, not an array of numbers" % describe(result))
    expected = np.asarray(expected)
    if got.shape != expected.shape:
        return Verdict(False, "returned an array of shape %s, which is not the expected shape" % (got.shape,),
                       "expected shape %s, got shape %s" % (expected.shape, got.shape),
                       extra={"shape": True})
    scale = float(np.max(np.abs(expected))) if expected.size else 1.0
    atol = RTOL * max(1.0, scale)
    close = np.isclose(got.astype(np.float64), expected.astype(np.float64), rtol=RTOL, atol=atol)
    if not close.all():
        wrong = int((~close).sum())
        first = tuple(int(i) for i in np.argwhere(~close)[0])
        return Verdict(False, "the shape is right but %d of %d values are wrong" % (wrong, close.size),
                       "first wrong value at index %s: expected %.6g, got %.6g\nexpected:\n%s\ngot:\n%s"
                       % (first, expected[first], got[first], show(expected), show(got)))
    return Verdict(True)


def array_float32(result, expected) -> Verdict:
    """Like array(), and the result must be an ndarray of dtype float32."""
    verdict = array(result, expected)
    if not verdict.passed:
        return verdict
    dtype = getattr(result, "dtype", None)
    if dtype != np.float32:
        return Verdict(False, "the values are right but the dtype is %s, not float32"
                       % (dtype if dtype is not None else type(result).__name__),
                       "use .astype(np.float32) (dividing a uint8 array by 255 gives float64)")
    return Verdict(True)


def _is_int(value) -> bool:
    return isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, (bool, np.bool_))


def integer(result, expected) -> Verdict:
    """A Python int or NumPy integer equal to expected (a float such as 4.0 fails)."""
    early = not_returned(result)
    if early:
        return early
    if isinstance(result, (float, np.floating)):
        hint = ("returned the float %r; sizes are integers: use `//` (floor division) or int(...), "
                "not `/`" % (result,))
        if float(result) == expected:
            return Verdict(False, hint, extra={"float_of_right_value": True})
        return Verdict(False, hint + "; the value is wrong too", "expected %r, got %r" % (expected, result))
    if not _is_int(result):
        return Verdict(False, "returned %s, not an integer" % describe(result))
    if int(result) != expected:
        return Verdict(False, "returned a wrong integer", "expected %r, got %r" % (expected, int(result)))
    return Verdict(True)


def int_sequence(result, expected) -> Verdict:
    """A tuple or list of integers equal to expected (e.g. an output shape)."""
    early = not_returned(result)
    if early:
        return early
    if isinstance(result, np.ndarray) and result.ndim == 1 and result.dtype.kind in "iu":
        result = tuple(result.tolist())
    if not isinstance(result, (tuple, list)):
        return Verdict(False, "returned %s; expected a tuple of integers" % describe(result))
    if any(isinstance(v, (float, np.floating)) for v in result):
        return Verdict(False, "returned %r, which contains floats; sizes are integers: use `//`, not `/`"
                       % (tuple(result),), "expected %r" % (tuple(expected),))
    if not all(_is_int(v) for v in result):
        return Verdict(False, "returned a sequence that is not all integers")
    if len(result) != len(expected):
        return Verdict(False, "returned %d numbers where %d were expected" % (len(result), len(expected)),
                       "expected %r, got %r" % (tuple(expected), tuple(result)))
    if tuple(int(v) for v in result) != tuple(expected):
        return Verdict(False, "returned wrong sizes", "expected %r, got %r" % (tuple(expected), tuple(result)))
    return Verdict(True)


def unchanged(before, after) -> bool:
    """True if an input array came back from the call as it went in."""
    if after is None or not isinstance(after, np.ndarray):
        return True
    return before.shape == after.shape and np.array_equal(before, after, equal_nan=True)
