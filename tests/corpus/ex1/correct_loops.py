# expect: to_unit_range=pass conv2d_single=pass conv2d=pass
# A correct solution written the way the lecture explains it: loops over positions.
import numpy as np


def to_unit_range(image):
    return (np.asarray(image) / 255).astype(np.float32)


def conv2d_single(image, kernel):
    image = np.asarray(image, dtype=float)
    kernel = np.asarray(kernel, dtype=float)
    if image.ndim != 2 or kernel.ndim != 2:
        raise ValueError("image and kernel must be 2-D")
    H, W = image.shape
    kh, kw = kernel.shape
    if kh > H or kw > W:
        raise ValueError("kernel larger than image")
    out = np.zeros((H - kh + 1, W - kw + 1))
    for i in range(H - kh + 1):
        for j in range(W - kw + 1):
            out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
    return out


def conv2d(x, filters, bias):
    H, W, C = x.shape
    kh, kw, C2, F = filters.shape
    if C != C2 or len(bias) != F:
        raise ValueError("shapes do not match")
    out = np.zeros((H - kh + 1, W - kw + 1, F))
    for f in range(F):
        for i in range(H - kh + 1):
            for j in range(W - kw + 1):
                out[i, j, f] = np.sum(x[i:i + kh, j:j + kw, :] * filters[:, :, :, f]) + bias[f]
    return out
