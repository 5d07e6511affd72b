# expect: pool2d=pass pool_output_shape=pass global_average_pool=pass
# Accepts "SAME"/"VALID" as Keras does; other spellings are not graded by the contract.
import math

import numpy as np


def _pads(n, k, s):
    out = math.ceil(n / s)
    total = max((out - 1) * s + k - n, 0)
    return total // 2, total - total // 2


def pool2d(x, pool_size=2, strides=None, padding="valid", mode="max"):
    if mode not in ("max", "min", "avg"):
        raise ValueError("unknown mode")
    padding = padding.lower()
    if padding not in ("valid", "same"):
        raise ValueError("unknown padding")
    if strides is None:
        strides = pool_size
    H, W, C = x.shape
    k, s = pool_size, strides
    if padding == "valid":
        if k > H or k > W:
            raise ValueError("window larger than input")
        top = left = 0
        Ho, Wo = (H - k) // s + 1, (W - k) // s + 1
    else:
        top, _ = _pads(H, k, s)
        left, _ = _pads(W, k, s)
        Ho, Wo = math.ceil(H / s), math.ceil(W / s)
    out = np.zeros((Ho, Wo, C))
    for i in range(Ho):
        for j in range(Wo):
            r0, c0 = i * s - top, j * s - left
            window = x[max(r0, 0):min(r0 + k, H), max(c0, 0):min(c0 + k, W), :]
            if mode == "max":
                out[i, j] = window.max(axis=(0, 1))
            elif mode == "min":
                out[i, j] = window.min(axis=(0, 1))
            else:
                out[i, j] = window.mean(axis=(0, 1))
    return out


def pool_output_shape(input_shape, pool_size=2, strides=None, padding="valid"):
    ph, pw = (pool_size, pool_size) if isinstance(pool_size, int) else pool_size
    if strides is None:
        strides = (ph, pw)
    sh, sw = (strides, strides) if isinstance(strides, int) else strides
    H, W, C = input_shape
    padding = padding.lower()
    if padding == "valid":
        Ho, Wo = (H - ph) // sh + 1, (W - pw) // sw + 1
    elif padding == "same":
        Ho, Wo = math.ceil(H / sh), math.ceil(W / sw)
    else:
        raise ValueError("unknown padding")
    if Ho < 1 or Wo < 1:
        raise ValueError("empty output")
    return (Ho, Wo, C)


def global_average_pool(x):
    return x.mean(axis=(0, 1))
