"""A judgement request from the grader to the judge server, in the wire format (no pickle).

One frame (``child/wire.py``): kind ``J``, a JSON header, and the request's
arrays as ``.npy`` blobs. The header::

    {"exercise": "ex5", "task": "build_residual_model", "memory_mb": 2048, "seconds": 120.0,
     "items": [{"case": {"label": str, "expect": str, "reason": str, "hidden": bool,
                         "args": tree, "kwargs": tree, "precomputed": tree},
                "outcome": {"kind": str, "seconds": float,
                            "value": tree, "error": tree, "args_after": tree}}, ...],
     "blobs": [length, ...]}

where each ``tree`` is one value encoded by ``wire.Encoder`` at depth 0, so a
result that crossed from the child at the wire's full depth crosses again.
A case's arguments are the grader's own and must encode exactly (no
"unsupported" node); an outcome may hold the "unsupported" stand-ins the child
sent. The server decodes with ``wire.decode``: it never unpickles, so a request
can carry only data, whoever wrote it.
"""
from __future__ import annotations

import time

from ..child import wire
from ..sandbox import Outcome
from ..spec import Case

KIND = b"J"
CASE_FIELDS = ("label", "expect", "reason", "hidden")
MAX_HEADER = 64 << 20      # a request may hold several models' configs
MAX_BLOB = 1 << 30         # and their weights


def encode(exercise_key: str, task_name: str, items: list, memory_mb: int, seconds: float) -> bytes:
    """One frame for (case, outcome) pairs; ValueError if a case argument cannot cross exactly."""
    encoder = wire.Encoder()

    def tree(value, exact):
        encoder.nodes = 0          # the wire's node budget holds per value, as when it came from the child
        node = encoder.encode(value)
        if exact and _has_unsupported(node):
            raise ValueError("a case value the wire format cannot carry: %r" % (value,))
        return node

    encoded = []
    for case, outcome in items:
        encoded.append({
            "case": dict({k: getattr(case, k) for k in CASE_FIELDS},
                         args=tree(tuple(case.args), True), kwargs=tree(dict(case.kwargs), True),
                         precomputed=tree(case.precomputed, True)),
            "outcome": {"kind": outcome.kind, "seconds": float(outcome.seconds),
                        "value": tree(outcome.value, False), "error": tree(outcome.error, False),
                        "args_after": tree(list(outcome.args_after), False)}})
    header = encoder.header(exercise=exercise_key, task=task_name, memory_mb=int(memory_mb),
                            seconds=float(seconds), items=encoded)
    return wire.frame(KIND, header, encoder.blob())


def read(fd: int, seconds: float = 120.0) -> dict:
    """The request on ``fd``: {"exercise", "task", "memory_mb", "seconds", "items": [(Case, Outcome)]}.

    Raises wire.WireError on anything malformed, TimeoutError if it has not all come within ``seconds``.
    """
    got = wire.read_frame(fd, time.monotonic() + seconds, max_header=MAX_HEADER, max_blob=MAX_BLOB)
    if got is None or got[0] != KIND:
        raise wire.WireError("not a judgement request")
    header = wire.parse_header(got[1], limit=MAX_HEADER)
    blobs = wire.Blobs(header.get("blobs"), got[2])
    items = []
    for item in header.get("items") or []:
        case, outcome = item["case"], item["outcome"]
        items.append((
            Case(label=case["label"], args=wire.decode(case["args"], blobs, allow_rng="seed"),
                 kwargs=wire.decode(case["kwargs"], blobs, allow_rng="seed"), expect=case["expect"],
                 reason=case["reason"], hidden=case["hidden"], precomputed=wire.decode(case["precomputed"], blobs)),
            Outcome(outcome["kind"], value=wire.decode(outcome["value"], blobs),
                    error=wire.decode(outcome["error"], blobs), args_after=wire.decode(outcome["args_after"], blobs),
                    seconds=outcome["seconds"])))
    return {"exercise": header["exercise"], "task": header["task"], "memory_mb": int(header["memory_mb"]),
            "seconds": float(header["seconds"]), "items": items}


def _has_unsupported(node) -> bool:
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            if current.get("t") == "unsupported":
                return True
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)
    return False
