# expect: to_unit_range=pass conv2d_single=fail conv2d=fail
# range(H - kh) instead of range(H - kh + 1): the last row and column are lost.
import numpy as np


def to_unit_range(image):
    return (image / 255).astype(np.float32)


def conv2d_single(image, kernel):
    if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("bad shapes")
    H, W = image.shape
    kh, kw = kernel.shape
    out = np.zeros((H - kh, W - kw))
    for i in range(H - kh):
        for j in range(W - kw):
            out[i, j] = (image[i:i + kh, j:j + kw] * kernel).sum()
    return out


def conv2d(x, filters, bias):
    if x.shape[2] != filters.shape[2] or len(bias) != filters.shape[3]:
        raise ValueError("mismatch")
    H, W, C = x.shape
    kh, kw, _, F = filters.shape
    out = np.zeros((H - kh, W - kw, F))
    for i in range(H - kh):
        for j in range(W - kw):
            for f in range(F):
                out[i, j, f] = (x[i:i + kh, j:j + kw] * filters[..., f]).sum() + bias[f]
    return out
