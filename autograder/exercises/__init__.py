"""The exercise registry: one declaration module per exercise, imported on demand.

Importing a declaration imports its reference module, so the registry below
names them without importing anything (a NumPy exercise never pulls in Keras).
"""
from __future__ import annotations

import importlib

from ..spec import Exercise

#: key -> (topic, title, uses_keras)
CATALOG = {
    "ex1": ("convolution", "Images are numbers; the convolution operation", False),
    "ex2": ("padding", "Padding and strides", False),
    "ex3": ("pooling", "Max, min and average pooling", False),
    "ex5": ("residual", "Residual blocks", True),
}


class UnknownExercise(KeyError):
    def __str__(self):
        names = ", ".join("%s (%s)" % (key, topic) for key, (topic, _, _) in CATALOG.items())
        return "unknown exercise %r; choose one of: %s" % (self.args[0], names)


def resolve(name: str) -> str:
    """The exercise key for a key or topic name: 'ex3', 'EX3', '3' or 'pooling' -> 'ex3'."""
    wanted = name.strip().lower()
    if wanted.isdigit():
        wanted = "ex" + wanted
    for key, (topic, _, _) in CATALOG.items():
        if wanted in (key, topic):
            return key
    raise UnknownExercise(name)


def load(name: str) -> Exercise:
    """The declaration of an exercise, by key or topic."""
    key = resolve(name)
    return importlib.import_module("%s.%s" % (__name__, key)).EXERCISE
