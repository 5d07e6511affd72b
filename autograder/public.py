"""Public case bundles: what the student kit knows about an exercise, without the reference.

``export_bundle`` (instructor side) writes each task's points, checks, public
cases, their expected values and each misconception's wrong answer on them —
computed from the reference — as JSON plus ``.npy`` files. ``load_bundle``
(kit side) turns that back into an Exercise whose tasks have public cases
only. No reference code and no hidden-case generator is written.
"""
from __future__ import annotations

import json
import os

from . import checks, grading
from .child import wire
from .spec import Case, Exercise, Misconception, Task

BUNDLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "public")
COMPARATORS = {f.__name__: f for f in (checks.array, checks.array_float32, checks.integer, checks.int_sequence)}


class NotInKit(Exception):
    """The exercise cannot be checked from the kit (e.g. its checks need the reference)."""


def exportable(exercise: Exercise) -> bool:
    return all(task.compare in COMPARATORS.values() and not task.probe for task in exercise.tasks)


def export_bundle(exercise: Exercise, folder: str = BUNDLES) -> str:
    """Write ``folder/<key>.json`` and ``folder/<key>/*.npy``; returns the JSON path.

    An exercise whose checks need the reference (the Keras ones) gets a bundle
    with its name only, so the kit can say it is checked in the notebook.
    """
    path = os.path.join(folder, "%s.json" % exercise.key)
    head = {"key": exercise.key, "topic": exercise.topic, "title": exercise.title, "uses_keras": exercise.uses_keras}
    os.makedirs(folder, exist_ok=True)
    if not exportable(exercise):
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(dict(head, tasks=None), handle, indent=1, sort_keys=True)
        return path
    arrays = os.path.join(folder, exercise.key)
    os.makedirs(arrays, exist_ok=True)
    tasks = []
    for task in exercise.tasks:
        cases = []
        for k, case in enumerate(task.public):
            enc = wire.Encoder(arrays, "%s-%d" % (task.name, k))
            entry = {"label": case.label, "args": [enc.encode(a) for a in case.args],
                     "kwargs": {n: enc.encode(v) for n, v in case.kwargs.items()},
                     "expect": case.expect, "reason": case.reason, "wrong": {}}
            if case.expect == "value":
                entry["expected"] = enc.encode(grading.call_reference(task.reference, case))
                for m in task.misconceptions:
                    try:
                        entry["wrong"][m.key] = enc.encode(grading.call_reference(m.variant, case))
                    except Exception:  # noqa: BLE001 - a variant may not apply to this input
                        pass
            cases.append(entry)
        tasks.append({"name": task.name, "points": task.points, "compare": task.compare.__name__,
                      "look_at": task.look_at, "timeout": task.timeout, "cases": cases,
                      "misconceptions": [{"key": m.key, "title": m.title, "explanation": m.explanation}
                                         for m in task.misconceptions]})
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(dict(head, tasks=tasks), handle, indent=1, sort_keys=True)
    return path


def has_bundle(key: str, folder: str = BUNDLES) -> bool:
    return os.path.exists(os.path.join(folder, "%s.json" % key))


def _no_reference(*args, **kwargs):
    raise NotInKit("the student kit has no reference")


def load_bundle(key: str, folder: str = BUNDLES) -> Exercise:
    """The exercise as the kit knows it: public cases with precomputed expected values."""
    with open(os.path.join(folder, "%s.json" % key), encoding="utf-8") as handle:
        data = json.load(handle)
    if data["tasks"] is None:
        raise NotInKit("%s is checked by the tests in its notebook in this kit (its checks need the "
                       "instructor's reference)" % key)
    arrays = os.path.join(folder, key)
    tasks = []
    for t in data["tasks"]:
        cases = []
        for c in t["cases"]:
            precomputed = None
            if c["expect"] == "value":
                precomputed = {"expected": wire.decode(c["expected"], arrays),
                               "wrong": {k: wire.decode(v, arrays) for k, v in c["wrong"].items()}}
            cases.append(Case(c["label"], tuple(wire.decode(a, arrays) for a in c["args"]),
                              {n: wire.decode(v, arrays) for n, v in c["kwargs"].items()},
                              c["expect"], c["reason"], precomputed=precomputed))
        tasks.append(Task(t["name"], t["points"], _no_reference, COMPARATORS[t["compare"]], tuple(cases),
                          hidden=lambda rng: [], look_at=t["look_at"], timeout=t["timeout"],
                          misconceptions=tuple(Misconception(m["key"], m["title"], m["explanation"])
                                               for m in t["misconceptions"])))
    return Exercise(data["key"], data["topic"], data["title"], tuple(tasks))
