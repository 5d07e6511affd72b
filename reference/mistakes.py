"""Known-WRONG variants of the ex1-ex3 tasks, for diagnosing misconceptions.

Each function has the signature of the task it mimics and computes the answer
a student who holds that misconception would return. The grader compares a
failed result with these to say "your output matches the mistake X". They are
deliberately wrong: never use them as solutions. Pure NumPy.
"""
import numpy as np

from .convolution import conv2d, conv2d_single
from .padding import _pair, conv2d_strided, same_pad_amounts
from .pooling import pool2d, pool_output_shape

# ----------------------------------------------------------------- ex1


def to_unit_range_float64(image):
    """Right values (image / 255) but float64 instead of float32."""
    return np.asarray(image) / 255.0


def to_unit_range_no_scale(image):
    """Cast to float32 without dividing by 255."""
    return np.asarray(image).astype(np.float32)


def conv2d_single_flipped(image, kernel):
    """True (mathematical) convolution: the kernel is rotated by 180 degrees."""
    return conv2d_single(image, np.asarray(kernel)[::-1, ::-1])


def conv2d_single_same_size(image, kernel):
    """Zero-pads the image ("same", extra bottom/right) so the output keeps the input's size."""
    image, kernel = np.asarray(image, dtype=np.float64), np.asarray(kernel)
    pads = (same_pad_amounts(image.shape[0], kernel.shape[0], 1), same_pad_amounts(image.shape[1], kernel.shape[1], 1))
    return conv2d_single(np.pad(image, pads), kernel)


def conv2d_flipped(x, filters, bias):
    """True convolution: every filter rotated by 180 degrees in its spatial axes."""
    return conv2d(x, np.asarray(filters)[::-1, ::-1], bias)


def conv2d_no_bias(x, filters, bias):
    """Forgets to add the bias."""
    return conv2d(x, filters, np.zeros(np.shape(bias)))


def conv2d_first_channel_only(x, filters, bias):
    """Uses only the first input channel instead of summing over all channels."""
    x, filters = np.asarray(x), np.asarray(filters)
    if x.ndim != 3 or filters.ndim != 4 or x.shape[2] != filters.shape[2]:
        raise ValueError("not applicable")
    return conv2d(x[:, :, :1], filters[:, :, :1], bias)


# ----------------------------------------------------------------- ex2


def conv_output_size_float(n, f, p=0, s=1):
    """True division: (n + 2p - f) / s + 1, a float."""
    return (n + 2 * p - f) / s + 1


def conv_output_size_no_plus_one(n, f, p=0, s=1):
    """Forgets the + 1: (n + 2p - f) // s."""
    return (n + 2 * p - f) // s


def conv_output_size_one_side_padding(n, f, p=0, s=1):
    """Counts the padding once instead of on both sides: (n + p - f) // s + 1."""
    return (n + p - f) // s + 1


def zero_pad_channels_too(x, p):
    """Pads every axis, the channel axis included: (H+2p, W+2p, C+2p)."""
    return np.pad(np.asarray(x, dtype=np.float64), p)


def conv2d_strided_symmetric_same(x, filters, bias, stride=1, padding=0):
    """Splits an uneven "same" padding the wrong way: the extra pixel at the top/left."""
    if not (isinstance(padding, str) and padding == "same"):
        return conv2d_strided(x, filters, bias, stride=stride, padding=padding)
    x, filters = np.asarray(x, dtype=np.float64), np.asarray(filters)
    (top, bottom), (left, right) = (same_pad_amounts(x.shape[0], filters.shape[0], stride),
                                    same_pad_amounts(x.shape[1], filters.shape[1], stride))
    padded = np.pad(x, ((bottom, top), (right, left), (0, 0)))
    return conv2d_strided(padded, filters, bias, stride=stride, padding=0)


def conv2d_strided_stride_ignored(x, filters, bias, stride=1, padding=0):
    """Ignores the stride: always slides the filter one cell at a time."""
    return conv2d_strided(x, filters, bias, stride=1, padding=padding)


# ----------------------------------------------------------------- ex3


def pool2d_stride_one(x, pool_size=2, strides=None, padding="valid", mode="max"):
    """Takes strides=None as 1 (overlapping windows) instead of pool_size."""
    return pool2d(x, pool_size, 1 if strides is None else strides, padding, mode)


def pool2d_min_as_max(x, pool_size=2, strides=None, padding="valid", mode="max"):
    """Computes the max when asked for the min."""
    return pool2d(x, pool_size, strides, padding, "max" if mode == "min" else mode)


def _windows(array, window, strides):
    """Strided (kh, kw) windows over the first two axes: shape (H', W', ..., kh, kw)."""
    from numpy.lib.stride_tricks import sliding_window_view
    return sliding_window_view(array, window, axis=(0, 1))[::strides[0], ::strides[1]]


def _same_zero_padded_windows(x, pool_size, strides):
    """Windows over x zero-padded by TensorFlow's "same" rule: (H', W', C, kh, kw)."""
    x = np.asarray(x, dtype=np.float64)
    window = _pair(pool_size, "pool_size")
    strides = window if strides is None else _pair(strides, "strides")
    pads = (same_pad_amounts(x.shape[0], window[0], strides[0]),
            same_pad_amounts(x.shape[1], window[1], strides[1]))
    return _windows(np.pad(x, (pads[0], pads[1], (0, 0))), window, strides)


def pool2d_avg_counts_padding(x, pool_size=2, strides=None, padding="valid", mode="max"):
    """Average pooling with "same" divides by the full window, counting the padding zeros."""
    if mode != "avg" or padding != "same":
        return pool2d(x, pool_size, strides, padding, mode)
    return _same_zero_padded_windows(x, pool_size, strides).mean(axis=(-2, -1))


def pool2d_same_pads_zero_for_max(x, pool_size=2, strides=None, padding="valid", mode="max"):
    """Max/min pooling with "same" pads with zeros, which can win for negative (positive) inputs."""
    if mode not in ("max", "min") or padding != "same":
        return pool2d(x, pool_size, strides, padding, mode)
    windows = _same_zero_padded_windows(x, pool_size, strides)
    return windows.max(axis=(-2, -1)) if mode == "max" else windows.min(axis=(-2, -1))


def pool_output_shape_stride_one(input_shape, pool_size=2, strides=None, padding="valid"):
    """Takes strides=None as 1 instead of pool_size."""
    return pool_output_shape(input_shape, pool_size, 1 if strides is None else strides, padding)


def global_average_pool_wrong_axis(x):
    """Averages over the channel axis: shape (H, W) instead of (C,)."""
    return np.asarray(x, dtype=np.float64).mean(axis=-1)


# ----------------------------------------------------------------- index

MISTAKES = {
    "to_unit_range": (to_unit_range_float64, to_unit_range_no_scale),
    "conv2d_single": (conv2d_single_flipped, conv2d_single_same_size),
    "conv2d": (conv2d_flipped, conv2d_no_bias, conv2d_first_channel_only),
    "conv_output_size": (conv_output_size_float, conv_output_size_no_plus_one, conv_output_size_one_side_padding),
    "zero_pad": (zero_pad_channels_too,),
    "conv2d_strided": (conv2d_strided_symmetric_same, conv2d_strided_stride_ignored),
    "pool2d": (pool2d_stride_one, pool2d_min_as_max, pool2d_avg_counts_padding, pool2d_same_pads_zero_for_max),
    "pool_output_shape": (pool_output_shape_stride_one,),
    "global_average_pool": (global_average_pool_wrong_axis,),
}
"""Task name -> the known-wrong variants of that task defined above."""
