# expect: to_unit_range=pass conv2d_single=fail conv2d=fail message=instead of raising ValueError
# Right values, but never raises ValueError for bad arguments.
import numpy as np


def to_unit_range(image):
    return (image / 255).astype(np.float32)


def conv2d_single(image, kernel):
    H, W = image.shape[:2]
    kh, kw = kernel.shape[:2]
    return np.array([[np.sum(image[i:i + kh, j:j + kw] * kernel) for j in range(max(W - kw + 1, 0))]
                     for i in range(max(H - kh + 1, 0))])


def conv2d(x, filters, bias):
    H, W, C = x.shape
    kh, kw = filters.shape[:2]
    return np.array([[[np.sum(x[i:i + kh, j:j + kw] * filters[:, :, :C, f]) + bias[f % len(bias)]
                       for f in range(filters.shape[3])] for j in range(W - kw + 1)] for i in range(H - kh + 1)])
