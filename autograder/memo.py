"""Judge identical work once per batch: reference answers and verdicts, keyed by content digests.

In a batch, every student (with the default seed) gets the same hidden cases,
so the reference's answer to a case is computed once; and many students
return the same answer (every correct Keras submission returns the same
frozen base), so a verdict on an answer is computed once. Both are pure
functions of their inputs (grading is deterministic), so a memo changes no
verdict. Keys are SHA-256 digests of the values' bytes, never ``repr``
(which elides the middle of large arrays).
"""
from __future__ import annotations

import dataclasses
import hashlib
import threading
from collections import OrderedDict
from typing import Any, Callable

import numpy as np

from .child.wire import RngSeed, Unsupported


def digest(value: Any) -> str:
    """A SHA-256 hex digest of a value made of arrays, numbers, strings, lists, tuples and dicts."""
    h = hashlib.sha256()
    _feed(h, value)
    return h.hexdigest()


def _feed(h, value) -> None:
    if isinstance(value, np.ndarray):
        array = np.ascontiguousarray(value)
        h.update(b"A%s%s;" % (array.dtype.str.encode(), str(array.shape).encode()))
        h.update(array.view(np.uint8).tobytes() if array.dtype != object else repr(array.tolist()).encode())
    elif isinstance(value, (list, tuple)):
        h.update(b"L(" if isinstance(value, list) else b"T(")
        for item in value:
            _feed(h, item)
        h.update(b")")
    elif isinstance(value, dict):
        h.update(b"D(")
        for key in sorted(value, key=repr):
            _feed(h, key)
            _feed(h, value[key])
        h.update(b")")
    elif isinstance(value, (RngSeed, Unsupported)):
        h.update(b"%s:%s;" % (type(value).__name__.encode(), repr(value).encode()))
    elif value is None or isinstance(value, (bool, int, float, complex, str, bytes, np.generic)):
        h.update(b"%s:%s;" % (type(value).__name__.encode(), repr(value).encode()))
    else:
        raise TypeError("cannot digest %s" % type(value).__name__)


class Memo:
    """Bounded, thread-safe memo of reference answers and verdicts for one batch."""

    def __init__(self, size: int = 4096):
        self.size = size
        self._values: OrderedDict[tuple, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: tuple, compute: Callable[[], Any]) -> Any:
        """compute() once per key (an exception is not remembered); the value as first computed."""
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                self.hits += 1
                return self._values[key]
        value = compute()
        with self._lock:
            self.misses += 1
            self._values[key] = value
            while len(self._values) > self.size:
                self._values.popitem(last=False)
        return value

    def peek(self, key: tuple) -> tuple[bool, Any]:
        """(True, value) if ``key`` is known, else (False, None); nothing is computed."""
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                self.hits += 1
                return True, self._values[key]
        return False, None

    def reference(self, function: Callable, args: tuple, kwargs: dict, compute: Callable[[], Any]) -> Any:
        """A reference (or known-wrong variant) answer; arrays come back read-only, so no judge can alter one."""
        try:
            key = ("reference", function, digest(args), digest(kwargs))
        except TypeError:
            return compute()
        return self.get(key, lambda: _read_only(compute()))

    def verdict(self, task, case, outcome, compute: Callable[[], Any]) -> Any:
        """judge_case(task, case, outcome) once per distinct answer; each caller gets its own copy."""
        key = _verdict_key(task, case, outcome)
        if key is None:
            return compute()
        verdict = self.get(key, compute)
        return dataclasses.replace(verdict, extra=dict(verdict.extra))

    def verdicts(self, task, items: list, compute_many: Callable[[list], list]) -> list:
        """verdict() for many (case, outcome) pairs, the ones not yet known judged by one compute_many(pairs)."""
        keys = [_verdict_key(task, case, outcome) for case, outcome in items]
        found: list = [None] * len(items)
        with self._lock:
            for i, key in enumerate(keys):
                if key is not None and key in self._values:
                    self._values.move_to_end(key)
                    self.hits += 1
                    found[i] = self._values[key]
        missing = [i for i, v in enumerate(found) if v is None]
        if missing:
            computed = compute_many([items[i] for i in missing])
            with self._lock:
                for i, verdict in zip(missing, computed):
                    found[i] = verdict
                    self.misses += 1
                    if keys[i] is not None:
                        self._values[keys[i]] = verdict
                while len(self._values) > self.size:
                    self._values.popitem(last=False)
        return [dataclasses.replace(v, extra=dict(v.extra)) for v in found]


def _verdict_key(task, case, outcome):
    try:
        return ("verdict", task.name, task.reference, task.compare,
                digest((case.label, case.args, case.kwargs, case.expect, case.reason, case.hidden)),
                digest((outcome.kind, outcome.value, outcome.error, outcome.args_after)))
    except TypeError:
        return None


def _read_only(value):
    if isinstance(value, np.ndarray):
        value.setflags(write=False)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _read_only(item)
    elif isinstance(value, dict):
        for item in value.values():
            _read_only(item)
    return value
