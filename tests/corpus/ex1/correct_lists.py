# expect: to_unit_range=pass conv2d_single=pass conv2d=pass
# Returns nested Python lists for the convolutions: the contract accepts any array-like.
import numpy as np


def to_unit_range(image):
    return np.float32(1 / 255) * image.astype(np.float32)


def conv2d_single(image, kernel):
    if len(np.shape(image)) != 2 or len(np.shape(kernel)) != 2:
        raise ValueError("2-D only")
    H, W = len(image), len(image[0])
    kh, kw = len(kernel), len(kernel[0])
    if kh > H or kw > W:
        raise ValueError("kernel does not fit")
    return [[sum(float(image[i + a][j + b]) * float(kernel[a][b]) for a in range(kh) for b in range(kw))
             for j in range(W - kw + 1)] for i in range(H - kh + 1)]


def conv2d(x, filters, bias):
    if x.shape[-1] != filters.shape[2]:
        raise ValueError("channels")
    if len(bias) != filters.shape[3]:
        raise ValueError("bias")
    H, W, C = x.shape
    kh, kw, _, F = filters.shape
    return [[[float((x[i:i + kh, j:j + kw] * filters[..., f]).sum() + bias[f]) for f in range(F)]
             for j in range(W - kw + 1)] for i in range(H - kh + 1)]
