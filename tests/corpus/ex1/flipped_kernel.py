# expect: to_unit_range=pass conv2d_single=fail:flipped-kernel conv2d=fail:flipped-kernel
# Mathematical convolution: the kernel is rotated by 180 degrees first.
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def to_unit_range(image):
    return (image / 255).astype(np.float32)


def conv2d_single(image, kernel):
    if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("bad shapes")
    k = kernel[::-1, ::-1]
    return np.einsum("ijkl,kl->ij", sliding_window_view(image, k.shape), k)


def conv2d(x, filters, bias):
    if x.shape[2] != filters.shape[2] or len(bias) != filters.shape[3]:
        raise ValueError("mismatch")
    f = filters[::-1, ::-1]
    return np.einsum("ijckl,klcf->ijf", sliding_window_view(x, f.shape[:2], axis=(0, 1)), f) + bias
