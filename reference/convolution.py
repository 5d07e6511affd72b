"""ex1 reference: images are numbers; the convolution operation.

Pure NumPy (never imports TensorFlow or Keras). Layout is channels-last as in
Keras: an image is (H, W, C), a filter bank (kh, kw, C, F), a bias (F,).
"Convolution" is cross-correlation, as in ``tf.nn.conv2d``: no kernel flip.
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["to_unit_range", "conv2d_single", "conv2d"]


def to_unit_range(image):
    """Scale a uint8 image from [0, 255] to [0, 1], like ``Rescaling(1./255)``.

    Inputs:
    - image: array-like of any shape, integers in [0, 255] (normally uint8).

    Returns:
    - out: float32 array of the same shape, ``image / 255``.
    """
    out = np.asarray(image).astype(np.float32)  # a new array: the input is never touched
    out /= np.float32(255.0)
    return out


def _float_array(value, name, ndim):
    """``value`` as a float64 array with ``ndim`` axes; ValueError otherwise."""
    array = np.asarray(value, dtype=np.float64)
    if array.ndim != ndim:
        raise ValueError("%s must be %d-D, got shape %s" % (name, ndim, array.shape))
    return array


def _correlate(x, filters, bias, stride=1):
    """Strided cross-correlation of an already padded (H, W, C) input.

    Inputs are float64 arrays already validated: x (H, W, C), filters
    (kh, kw, C, F), bias (F,), with kh <= H and kw <= W. Returns
    (floor((H - kh) / stride) + 1, floor((W - kw) / stride) + 1, F).
    """
    kh, kw = filters.shape[:2]
    # windows: (H', W', C, kh, kw), a read-only view of x; sliced by the stride.
    windows = sliding_window_view(x, (kh, kw), axis=(0, 1))[::stride, ::stride]
    out = np.tensordot(windows, filters, axes=([3, 4, 2], [0, 1, 2]))
    return out + bias


def _check_conv_args(x, filters, bias):
    """Validate conv2d's arguments; return them as float64 arrays."""
    x = _float_array(x, "x", 3)
    filters = _float_array(filters, "filters", 4)
    bias = _float_array(bias, "bias", 1)
    if filters.shape[2] != x.shape[2]:
        raise ValueError("x has %d channels but the filters expect %d" % (x.shape[2], filters.shape[2]))
    if bias.shape[0] != filters.shape[3]:
        raise ValueError("bias has %d values but there are %d filters" % (bias.shape[0], filters.shape[3]))
    if 0 in filters.shape[:2]:
        raise ValueError("the kernel must be at least 1x1, got %s" % (filters.shape[:2],))
    return x, filters, bias


def conv2d_single(image, kernel):
    """Cross-correlate one 2-D image with one 2-D kernel: stride 1, no padding.

    ``out[i, j] = sum(image[i:i+kh, j:j+kw] * kernel)`` (no kernel flip).

    Inputs:
    - image: array-like of shape (H, W).
    - kernel: array-like of shape (kh, kw), not necessarily square.

    Returns:
    - out: float64 array of shape (H - kh + 1, W - kw + 1).

    Raises:
    - ValueError: if either argument is not 2-D, the kernel is empty, or the
      kernel is larger than the image in either dimension.
    """
    image = _float_array(image, "image", 2)
    kernel = _float_array(kernel, "kernel", 2)
    if 0 in kernel.shape:
        raise ValueError("the kernel must be at least 1x1, got %s" % (kernel.shape,))
    if kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("kernel %s is larger than image %s" % (kernel.shape, image.shape))
    windows = sliding_window_view(image, kernel.shape)  # (H', W', kh, kw)
    return np.tensordot(windows, kernel, axes=([2, 3], [0, 1]))


def conv2d(x, filters, bias):
    """Multi-channel, multi-filter cross-correlation plus bias: stride 1, no padding.

    Each output channel f sums over all input channels:
    ``out[i, j, f] = sum(x[i:i+kh, j:j+kw, :] * filters[..., f]) + bias[f]``,
    which equals ``tf.nn.conv2d(x[None], filters, 1, "VALID")[0] + bias``.

    Inputs:
    - x: array-like of shape (H, W, C).
    - filters: array-like of shape (kh, kw, C, F), as Keras' Conv2D kernel.
    - bias: array-like of shape (F,).

    Returns:
    - out: float64 array of shape (H - kh + 1, W - kw + 1, F).

    Raises:
    - ValueError: if the ranks are wrong, the filters' channels differ from
      x's, the bias length differs from F, or the kernel is larger than x.
    """
    x, filters, bias = _check_conv_args(x, filters, bias)
    kh, kw = filters.shape[:2]
    if kh > x.shape[0] or kw > x.shape[1]:
        raise ValueError("kernel %s is larger than the input %s" % ((kh, kw), x.shape[:2]))
    return _correlate(x, filters, bias)
