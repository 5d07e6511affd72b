# expect: to_unit_range=zero conv2d_single=pass conv2d=zero
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def to_unit_range(image):
    return np.ones((1 << 40,), dtype=np.uint8)


def conv2d_single(image, kernel):
    if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("bad shapes")
    return np.einsum("ijkl,kl->ij", sliding_window_view(image, kernel.shape), kernel)


def conv2d(x, filters, bias):
    hog = []
    while True:
        hog.append(bytearray(1 << 26))
