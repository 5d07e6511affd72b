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
from .spec import Case, Exercise, Misconception, Task, Verdict

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


# ---------------------------------------------------------------------------------------------
# Keras exercises in the kit: the judging code ships, the reference does not.
#
# A Keras exercise's checks are code (rebuild the student's model, look at its layers, train one
# step) that compares with what the reference gives. The kit ships a copy of the exercise's module
# with its hidden cases removed (``strip_module``) and every import of a reference module X replaced
# by a *replay* of the reference: the answers the reference gave at build time, as data (arrays as
# .npy read with allow_pickle=False, models as their JSON config plus weights, rebuilt in Keras'
# safe mode), looked up by a fingerprint of the arguments. The public cases' expected values are
# precomputed the same way. A call the build did not record raises NotInKit, and the check says
# that the kit cannot judge that answer fully (it never crashes).

KERAS_MODEL = "__keras_model__"


class _Unrecordable(Exception):
    pass


def _is_model(value) -> bool:
    return hasattr(value, "get_weights") and hasattr(value, "to_json") and hasattr(value, "layers")


def fingerprint(value) -> str:
    """A stable text key for a call's arguments (arrays by content, models by name and weights)."""
    import hashlib

    import numpy as np

    def walk(v):
        if v is None or isinstance(v, (bool, int, float, str)):
            return "%s:%r" % (type(v).__name__, v)
        if isinstance(v, (np.integer, np.floating, np.bool_)):
            return "%s:%r" % (type(v).__name__, v.item())
        if isinstance(v, np.ndarray):
            if v.dtype.kind not in "biuf":
                raise _Unrecordable
            return "a:%s:%s:%s" % (v.dtype.str, v.shape, hashlib.sha1(np.ascontiguousarray(v).tobytes()).hexdigest())
        if isinstance(v, (list, tuple)):
            return "%s[%s]" % (type(v).__name__, ",".join(walk(x) for x in v))
        if isinstance(v, dict):
            return "d{%s}" % ",".join("%r=%s" % (k, walk(v[k])) for k in sorted(v, key=str))
        if _is_model(v):
            digest = hashlib.sha1()
            for w in v.get_weights():
                digest.update(np.ascontiguousarray(w).tobytes())
            return "m:%s:%s:%s" % (type(v).__name__, v.name, digest.hexdigest())
        raise _Unrecordable
    return hashlib.sha1(walk(value).encode()).hexdigest()


def to_data(value):
    """A value the wire encoder can write: models become their config and weights."""
    import numpy as np

    if _is_model(value):
        return {KERAS_MODEL: value.to_json(), "weights": [np.asarray(w) for w in value.get_weights()]}
    if isinstance(value, dict):
        return {str(k): to_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(to_data(v) for v in value)
    if value is None or isinstance(value, (bool, int, float, str, np.ndarray, np.generic)):
        return value
    raise _Unrecordable


def from_data(value):
    """The inverse of to_data; models are rebuilt in Keras' safe mode (no custom code)."""
    if isinstance(value, dict):
        if KERAS_MODEL in value:
            from . import keras_checks
            return keras_checks.rebuild({"config": value[KERAS_MODEL], "weights": value.get("weights") or []})
        return {k: from_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(from_data(v) for v in value)
    return value


def strip_module(source: str) -> str:
    """An exercise module fit for the kit: no hidden cases, the reference replaced by its replay.

    Every ``Task(..., hidden=...)`` gets ``hidden=lambda rng: []``; top-level functions nothing
    refers to any more (the hidden-case generators) are dropped; an import of a reference module X
    becomes ``X = replay("X")``; and the module ends by attaching the precomputed public answers.
    """
    import ast

    tree = ast.parse(source)

    class Rewrite(ast.NodeTransformer):
        def visit_Call(self, node):
            self.generic_visit(node)
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            if name == "Task":
                for keyword in node.keywords:
                    if keyword.arg == "hidden":
                        keyword.value = ast.parse("lambda rng: []", mode="eval").body
            return node

        def visit_ImportFrom(self, node):
            if node.level == 0 and (node.module or "").split(".")[0] == "reference":
                out = [ast.parse("from ..public import replay as _kit_replay").body[0]]
                for alias in node.names:
                    out.append(ast.parse("%s = _kit_replay(%r)" % (alias.asname or alias.name, alias.name)).body[0])
                return out
            return node

        def visit_Import(self, node):
            if any(alias.name.split(".")[0] == "reference" for alias in node.names):
                raise ValueError("the kit cannot ship a module that runs an import statement of the reference package")
            return node

    tree = Rewrite().visit(tree)
    while True:   # drop top-level functions and assignments nothing uses any more
        used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        used |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
        keep = [s for s in tree.body if not (isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))
                                             and s.name not in used and s.name != "explain_error")]
        if len(keep) == len(tree.body):
            break
        tree.body = keep
    tree.body += ast.parse("from ..public import attach as _kit_attach\nEXERCISE = _kit_attach(EXERCISE)\n"
                           "# the kit judges the student's own models in the student's own process (no cage)\n"
                           "JUDGED_IN_GRADER = tuple(task.name for task in EXERCISE.tasks)").body
    ast.fix_missing_locations(tree)
    text = ("# Generated by the kit build from the grader's declaration: public cases only, the reference\n"
            "# replayed from data (autograder/public/). Do not edit.\n" + ast.unparse(tree) + "\n")
    compile(text, "<kit module>", "exec")
    return text


class Recorder:
    """While active, every call of a public function of the given reference modules is recorded.

    facts: fingerprint -> the answer as data (see to_data); calls whose arguments or answer cannot
    be written as data (symbolic tensors, say) are passed through unrecorded.
    """

    def __init__(self, module_names):
        import importlib

        self.modules = [importlib.import_module("reference.%s" % name) for name in module_names]
        self.facts: dict[str, tuple[str, str, object]] = {}
        self._saved = []

    def __enter__(self):
        import inspect

        from .judge import cage
        self._in_process, cage.IN_PROCESS = cage.IN_PROCESS, True   # judged here, so every call is seen
        for module in self.modules:
            short = module.__name__.split(".")[-1]
            for name, function in list(vars(module).items()):
                if name.startswith("_") or not inspect.isfunction(function) or function.__module__ != module.__name__:
                    continue
                self._saved.append((module, name, function))
                setattr(module, name, self._wrap(short, name, function))
        return self

    def _wrap(self, short, name, function):
        import functools

        @functools.wraps(function)
        def recorded(*args, **kwargs):
            try:
                key = fingerprint([short, name, list(args), kwargs])
            except _Unrecordable:
                return function(*args, **kwargs)
            answer = function(*args, **kwargs)
            if key not in self.facts:
                try:
                    self.facts[key] = (short, name, to_data(answer))
                except _Unrecordable:
                    pass
            return answer
        return recorded

    def __exit__(self, *exc):
        from .judge import cage
        for module, name, function in reversed(self._saved):
            setattr(module, name, function)
        self._saved = []
        cage.IN_PROCESS = self._in_process


class _Replay:
    """Stands for a reference module in the kit: answers recorded at build time, nothing else."""

    def __init__(self, module: str, facts: dict):
        self._module, self._facts = module, facts

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)

        def call(*args, **kwargs):
            try:
                key = fingerprint([self._module, name, list(args), kwargs])
            except _Unrecordable:
                key = None
            if key is None or key not in self._facts:
                raise NotInKit("this answer needs a check the kit cannot run without the instructor's grader")
            return from_data(self._facts[key])
        return call


_FACTS: dict | None = None


def _facts(folder: str = BUNDLES) -> dict:
    global _FACTS
    if _FACTS is None:
        _FACTS = {}
        for key in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
            path = os.path.join(folder, key, "facts.json")
            if os.path.isfile(path):
                with open(path, encoding="utf-8") as handle:
                    encoded = json.load(handle)
                arrays = os.path.join(folder, key)
                _FACTS.update({k: wire.decode(v, arrays) for k, v in encoded.items()})
    return _FACTS


def replay(module: str) -> _Replay:
    """The kit's stand-in for ``reference.<module>``."""
    return _Replay(module, _facts())


class _Lazy(dict):
    """A case's precomputed answers, decoded (and models rebuilt, importing Keras) on first use."""

    def __init__(self, encoded, folder):
        super().__init__()
        self._encoded, self._folder = encoded, folder

    def __getitem__(self, key):
        if key == "expected" and not super().__contains__("expected"):
            self["expected"] = from_data(wire.decode(self._encoded, self._folder))
        return super().__getitem__(key) if super().__contains__(key) else {}

    def get(self, key, default=None):
        return self[key] if key in ("expected", "wrong") else default

    def __contains__(self, key):
        return key in ("expected", "wrong")

    def __bool__(self):
        return True


def _kit_verdict(compare):
    def judged(result, expected):
        try:
            return compare(result, expected)
        except NotInKit as exc:
            return Verdict(False, "the kit cannot judge this answer fully (%s); it is not necessarily wrong: "
                                  "the graded version of this check runs when you hand in" % exc)
    return judged


def attach(exercise: Exercise, folder: str = BUNDLES) -> Exercise:
    """The stripped declaration with each public case's precomputed expected answer."""
    from dataclasses import replace

    with open(os.path.join(folder, "%s.json" % exercise.key), encoding="utf-8") as handle:
        data = json.load(handle)
    arrays = os.path.join(folder, exercise.key)
    expected = {t["name"]: t["expected"] for t in data.get("keras_tasks") or []}
    tasks = []
    for task in exercise.tasks:
        answers = expected.get(task.name, [])
        cases = tuple(replace(case, precomputed=_Lazy(answers[k], arrays)) if k < len(answers) and answers[k]
                      else case for k, case in enumerate(task.public))
        tasks.append(replace(task, public=cases, compare=_kit_verdict(task.compare), reference=_no_reference))
    return replace(exercise, tasks=tuple(tasks))


def export_keras(exercise: Exercise, module_source: str, folder: str, samples=()) -> str:
    """Write the kit's files for a Keras exercise: its stripped module source (returned), the public
    cases' expected answers in ``folder/<key>.json`` and the recorded reference answers in
    ``folder/<key>/facts.json``, arrays in ``folder/<key>/``.

    samples: submissions (a correct and a wrong one) graded here on the public cases while recording,
    so the reference answers the checks themselves ask for are in the kit too.
    """
    import ast

    modules = sorted({alias.name for node in ast.walk(ast.parse(module_source))
                      if isinstance(node, ast.ImportFrom) and node.level == 0
                      and (node.module or "") == "reference" for alias in node.names})
    arrays = os.path.join(folder, exercise.key)
    os.makedirs(arrays, exist_ok=True)
    encoder = wire.Encoder(arrays, "fact")
    with Recorder(modules) as recorder:
        tasks = []
        for task in exercise.tasks:
            answers = []
            for k, case in enumerate(task.public):
                if case.expect != "value":
                    answers.append(None)
                    continue
                enc = wire.Encoder(arrays, "%s-%d" % (task.name, k))
                answers.append(enc.encode(to_data(grading.call_reference(task.reference, case))))
            tasks.append({"name": task.name, "expected": answers})
        for submission in samples:
            grading.grade(exercise, submission, hidden=False)
    head = {"key": exercise.key, "topic": exercise.topic, "title": exercise.title, "uses_keras": True,
            "tasks": None, "keras_tasks": tasks}
    with open(os.path.join(folder, "%s.json" % exercise.key), "w", encoding="utf-8") as handle:
        json.dump(head, handle, indent=1, sort_keys=True)
    facts = {key: encoder.encode(value) for key, (_, _, value) in sorted(recorder.facts.items())}
    with open(os.path.join(arrays, "facts.json"), "w", encoding="utf-8") as handle:
        json.dump(facts, handle, indent=1, sort_keys=True)
    return strip_module(module_source)
