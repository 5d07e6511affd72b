# attack: return a str subclass whose slice is a deeply nested list
import sys

import numpy as np

sys.setrecursionlimit(100000)   # so the child's own json.dumps can write it


class Sly(str):
    def __getitem__(self, key):
        nested = []
        for _ in range(20000):
            nested = [nested]
        return nested

    def __str__(self):
        return self


class Loud(Exception):
    def __str__(self):
        return Sly("x" * 400)


def to_unit_range(image):
    if image.size % 2:
        raise Loud()
    return Sly("not an array")


def conv2d_single(image, kernel):
    # a correct task beside the attack: it must still earn full marks
    from numpy.lib.stride_tricks import sliding_window_view
    if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("bad shapes")
    return np.einsum("ijkl,kl->ij", sliding_window_view(image, kernel.shape), kernel)


def _right(image):
    return (np.asarray(image) / 255).astype(np.float32)
