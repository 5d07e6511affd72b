# expect: to_unit_range=zero conv2d_single=pass conv2d=zero
# os._exit kills the task's process; sys.exit raises SystemExit. Neither costs another task.
import os
import sys

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def to_unit_range(image):
    os._exit(0)


def conv2d_single(image, kernel):
    if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("bad shapes")
    return np.einsum("ijkl,kl->ij", sliding_window_view(image, kernel.shape), kernel)


def conv2d(x, filters, bias):
    sys.exit(0)
