# expect: to_unit_range=pass conv2d_single=pass conv2d=pass
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def to_unit_range(image):
    return np.divide(image, 255, dtype=np.float32)


def conv2d_single(image, kernel):
    if np.ndim(image) != 2 or np.ndim(kernel) != 2:
        raise ValueError("2-D only")
    if kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("kernel too large")
    return np.einsum("ijkl,kl->ij", sliding_window_view(image, kernel.shape), kernel)


def conv2d(x, filters, bias):
    if x.shape[2] != filters.shape[2] or bias.shape != (filters.shape[3],):
        raise ValueError("mismatch")
    windows = sliding_window_view(x, filters.shape[:2], axis=(0, 1))  # (H', W', C, kh, kw)
    return np.einsum("ijckl,klcf->ijf", windows, filters) + bias
