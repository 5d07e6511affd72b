"""The exercise registry: every ``exN.py`` in this package is an exercise.

Adding an exercise means adding its declaration module here (plus its
reference and its notebook); nothing else lists exercises. Declarations are
light to import: Keras-based ones import Keras only when a case is judged. In
the student kit, which ships no declarations, the exercises are the public
case bundles in ``autograder/public/``.
"""
from __future__ import annotations

import functools
import importlib
import importlib.util
import json
import os
import re

from ..spec import Exercise

HERE = os.path.dirname(os.path.abspath(__file__))


def _number(key: str) -> int:
    return int(re.sub(r"\D", "", key) or 0)


@functools.lru_cache(maxsize=None)
def catalog() -> dict[str, tuple[str, str, bool]]:
    """key -> (topic, title, uses_keras), in exercise order."""
    from .. import public
    entries = {}
    for name in os.listdir(HERE):
        match = re.fullmatch(r"(ex\d+)\.py", name)
        if match:
            exercise = importlib.import_module("%s.%s" % (__name__, match.group(1))).EXERCISE
            entries[exercise.key] = (exercise.topic, exercise.title, exercise.uses_keras)
    if os.path.isdir(public.BUNDLES):
        for name in os.listdir(public.BUNDLES):
            key = name[:-5] if name.endswith(".json") else None
            if key and key not in entries:
                with open(os.path.join(public.BUNDLES, name), encoding="utf-8") as handle:
                    data = json.load(handle)
                entries[key] = (data["topic"], data["title"], bool(data.get("uses_keras")))
    return dict(sorted(entries.items(), key=lambda item: _number(item[0])))


class UnknownExercise(KeyError):
    def __str__(self):
        names = ", ".join("%s (%s)" % (key, topic) for key, (topic, _, _) in catalog().items())
        return "unknown exercise %r; choose one of: %s" % (self.args[0], names)


def resolve(name: str) -> str:
    """The exercise key for a key or topic name: 'ex3', 'EX3', '3' or 'pooling' -> 'ex3'."""
    wanted = name.strip().lower()
    if wanted.isdigit():
        wanted = "ex" + wanted
    for key, (topic, _, _) in catalog().items():
        if wanted in (key, topic):
            return key
    raise UnknownExercise(name)


def load(name: str) -> Exercise:
    """The declaration of an exercise, by key or topic.

    In the student kit, which has no declarations (they import the reference),
    the exercise comes from its public case bundle instead.
    """
    key = resolve(name)
    if importlib.util.find_spec("%s.%s" % (__name__, key)) is not None:
        return importlib.import_module("%s.%s" % (__name__, key)).EXERCISE
    from .. import public
    if public.has_bundle(key):
        return public.load_bundle(key)
    raise public.NotInKit("%s cannot be checked with this kit: run the tests in the notebook itself" % key)
