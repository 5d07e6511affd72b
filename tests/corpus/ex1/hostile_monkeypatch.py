# expect: to_unit_range=zero conv2d_single=zero conv2d=zero
# Makes every NumPy comparison say "equal", then returns garbage. Comparisons happen in the grader's
# own process, so the patch changes nothing there.
import numpy as np

np.allclose = lambda *a, **k: True
np.isclose = lambda a, b, *r, **k: np.ones(np.shape(b), dtype=bool)
np.array_equal = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
np.ndarray.__eq__ = lambda self, other: True


def to_unit_range(image):
    return np.zeros(image.shape, np.float32) - 1


def conv2d_single(image, kernel):
    return np.zeros((1, 1))


def conv2d(x, filters, bias):
    return np.zeros((1, 1, 1))
