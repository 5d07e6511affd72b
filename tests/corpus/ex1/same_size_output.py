# expect: to_unit_range=pass conv2d_single=fail:padded-output conv2d=pass
# Pads the image so the output keeps the input's size (not asked for in ex1).
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def to_unit_range(image):
    return (image / 255).astype(np.float32)


def conv2d_single(image, kernel):
    if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("bad shapes")
    kh, kw = kernel.shape
    padded = np.pad(image, ((kh // 2, (kh - 1) // 2), (kw // 2, (kw - 1) // 2)))
    return np.einsum("ijkl,kl->ij", sliding_window_view(padded, kernel.shape), kernel)


def conv2d(x, filters, bias):
    if x.shape[2] != filters.shape[2] or len(bias) != filters.shape[3]:
        raise ValueError("mismatch")
    return np.einsum("ijckl,klcf->ijf", sliding_window_view(x, filters.shape[:2], axis=(0, 1)), filters) + bias
