# expect: to_unit_range=pass conv2d_single=pass conv2d=fail:channels-not-summed
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def to_unit_range(image):
    return (image / 255).astype(np.float32)


def conv2d_single(image, kernel):
    if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("bad shapes")
    return np.einsum("ijkl,kl->ij", sliding_window_view(image, kernel.shape), kernel)


def conv2d(x, filters, bias):
    if x.shape[2] != filters.shape[2] or len(bias) != filters.shape[3]:
        raise ValueError("mismatch")
    return np.stack([conv2d_single(x[:, :, 0], filters[:, :, 0, f]) + bias[f]
                     for f in range(filters.shape[3])], axis=-1)
