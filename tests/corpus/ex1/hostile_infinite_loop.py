# expect: to_unit_range=zero conv2d_single=pass conv2d=zero message=did not finish
# An infinite loop or a sleep in one task costs only that task.
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def to_unit_range(image):
    while True:
        pass


def conv2d_single(image, kernel):
    if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("bad shapes")
    return np.einsum("ijkl,kl->ij", sliding_window_view(image, kernel.shape), kernel)


def conv2d(x, filters, bias):
    import time
    time.sleep(10 ** 6)
