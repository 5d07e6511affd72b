"""A toy exercise's reference, used by tests/test_authoring.py."""
import numpy as np


def double(x):
    """Twice the input. x: array of any shape -> array of the same shape."""
    return 2 * np.asarray(x, dtype=np.float64)


def squared_by_mistake(x):
    """The known mistake: squaring instead of doubling."""
    return np.asarray(x, dtype=np.float64) ** 2
