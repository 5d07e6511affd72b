"""The exercise registry: one declaration module per exercise, imported on demand.

Importing a declaration imports its reference module, so the registry below
names them without importing anything (a NumPy exercise never pulls in Keras).
"""
from __future__ import annotations

import importlib
import importlib.util

from ..spec import Exercise

#: key -> (topic, title, uses_keras)
CATALOG = {
    "ex1": ("convolution", "Images are numbers; the convolution operation", False),
    "ex2": ("padding", "Padding and strides", False),
    "ex3": ("pooling", "Max, min and average pooling", False),
    "ex4": ("augmentation", "Data augmentation", True),
    "ex5": ("residual", "Residual blocks", True),
    "ex6": ("features", "Feature extraction from a pre-trained model", True),
    "ex7": ("finetuning", "Fine-tuning with partial freezing", True),
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
