# expect: conv_output_size=pass same_padding=pass zero_pad=pass conv2d_strided=pass conv_output_shape=pass
# Accepts padding names in any case, as Keras does ("SAME"): the contract leaves other spellings ungraded
# ("Padding names are the lower-case strings "valid" and "same"; other spellings are not graded").
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def conv_output_size(n, f, p=0, s=1):
    if s < 1 or p < 0 or f < 1 or f > n + 2 * p:
        raise ValueError("invalid")
    return int(np.floor((n + 2 * p - f) / s)) + 1


def same_padding(f):
    if f < 1 or f % 2 != 1:
        raise ValueError("odd f only")
    return f // 2


def zero_pad(x, p):
    if p < 0:
        raise ValueError("negative padding")
    return np.pad(x, ((p, p), (p, p), (0, 0)), mode="constant")


def conv2d_strided(x, filters, bias, stride=1, padding=0):
    if type(stride) is not int or stride < 1:
        raise ValueError("stride")
    kh, kw, c, nf = filters.shape
    if x.shape[-1] != c or np.shape(bias) != (nf,):
        raise ValueError("shapes")
    if isinstance(padding, str):
        padding = padding.lower()
        if padding not in ("valid", "same"):
            raise ValueError("padding name")
        pads = []
        for n, k in zip(x.shape[:2], (kh, kw)):
            total = max((-(-n // stride) - 1) * stride + k - n, 0) if padding == "same" else 0
            pads.append((total // 2, total - total // 2))
    else:
        if type(padding) is not int or padding < 0:
            raise ValueError("padding")
        pads = [(padding, padding)] * 2
    xp = np.pad(x, pads + [(0, 0)])
    if kh > xp.shape[0] or kw > xp.shape[1]:
        raise ValueError("too big")
    windows = sliding_window_view(xp, (kh, kw), axis=(0, 1))[::stride, ::stride]
    return np.einsum("ijckl,klcf->ijf", windows, filters) + bias


def conv_output_shape(input_shape, filters, kernel_size, strides=1, padding="valid"):
    ks = [kernel_size] * 2 if np.isscalar(kernel_size) else list(kernel_size)
    ss = [strides] * 2 if np.isscalar(strides) else list(strides)
    padding = padding.lower()
    if padding not in ("valid", "same"):
        raise ValueError("padding")
    out = []
    for n, k, s in zip(input_shape[:2], ks, ss):
        size = (n - k) // s + 1 if padding == "valid" else (n + s - 1) // s
        if size < 1:
            raise ValueError("empty output")
        out.append(size)
    return out + [filters]
