# expect: conv_output_size=pass same_padding=pass zero_pad=pass conv2d_strided=fail:stride-ignored conv_output_shape=pass
# Computes every position, as if the stride were 1.
import math

import numpy as np


def conv_output_size(n, f, p=0, s=1):
    if s < 1 or p < 0 or f < 1 or f > n + 2 * p:
        raise ValueError("bad arguments")
    return (n + 2 * p - f) // s + 1


def same_padding(f):
    if f < 1 or f % 2 == 0:
        raise ValueError("f must be odd and positive")
    return (f - 1) // 2


def zero_pad(x, p):
    if p < 0:
        raise ValueError("p must be >= 0")
    H, W, C = x.shape
    out = np.zeros((H + 2 * p, W + 2 * p, C), dtype=x.dtype)
    out[p:p + H, p:p + W, :] = x
    return out


def _same(n, f, s):
    out = math.ceil(n / s)
    total = max((out - 1) * s + f - n, 0)
    return total // 2, total - total // 2


def conv2d_strided(x, filters, bias, stride=1, padding=0):
    if not isinstance(stride, int) or isinstance(stride, bool) or stride < 1:
        raise ValueError("stride must be an int >= 1")
    kh, kw, C, F = filters.shape
    if x.shape[2] != C or len(bias) != F:
        raise ValueError("shapes do not match")
    if padding == "valid":
        pads = ((0, 0), (0, 0))
    elif padding == "same":
        pads = (_same(x.shape[0], kh, stride), _same(x.shape[1], kw, stride))
    elif isinstance(padding, int) and not isinstance(padding, bool) and padding >= 0:
        pads = ((padding, padding), (padding, padding))
    else:
        raise ValueError("bad padding %r" % (padding,))
    xp = np.pad(x, (pads[0], pads[1], (0, 0)))
    H, W = xp.shape[:2]
    if kh > H or kw > W:
        raise ValueError("filter larger than input")
    Ho, Wo = (H - kh) + 1, (W - kw) + 1
    out = np.zeros((Ho, Wo, F))
    for i in range(Ho):
        for j in range(Wo):
            window = xp[i:i + kh, j:j + kw, :]
            for f in range(F):
                out[i, j, f] = np.sum(window * filters[:, :, :, f]) + bias[f]
    return out


def conv_output_shape(input_shape, filters, kernel_size, strides=1, padding="valid"):
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    sh, sw = (strides, strides) if isinstance(strides, int) else strides
    H, W = input_shape[0], input_shape[1]
    if padding == "valid":
        Ho, Wo = (H - kh) // sh + 1, (W - kw) // sw + 1
    elif padding == "same":
        Ho, Wo = -(-H // sh), -(-W // sw)
    else:
        raise ValueError("padding must be 'valid' or 'same'")
    if Ho < 1 or Wo < 1:
        raise ValueError("output would be empty")
    return (Ho, Wo, filters)
