"""ex2 reference: padding and strides.

Pure NumPy (never imports TensorFlow or Keras). Also home of the small helpers
shared with ex3 (``same_pad_amounts``, integer and padding-name checks), so
that TensorFlow's "same" rule is written exactly once.
"""
import numbers

import numpy as np

from .convolution import _check_conv_args, _correlate

__all__ = ["conv_output_size", "same_padding", "zero_pad", "conv2d_strided", "conv_output_shape",
           "same_pad_amounts"]

PADDING_NAMES = ("valid", "same")


# ----------------------------------------------------------------- helpers

def _int(value, name, minimum):
    """``value`` as a Python int >= ``minimum``.

    Accepts Python ints and NumPy integers; rejects bools, floats and others.

    Raises:
    - ValueError: if ``value`` is not an integer or is below ``minimum``.
    """
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ValueError("%s must be an integer, got %r" % (name, value))
    value = int(value)
    if value < minimum:
        raise ValueError("%s must be at least %d, got %d" % (name, minimum, value))
    return value


def _pair(value, name, minimum=1):
    """An int or a sequence of 2 ints as a tuple of 2 Python ints >= ``minimum``.

    Raises:
    - ValueError: for anything else (wrong length, non-integers, too small).
    """
    if isinstance(value, (str, bytes)):
        raise ValueError("%s must be an int or a tuple of 2 ints, got %r" % (name, value))
    if isinstance(value, (tuple, list)) or (isinstance(value, np.ndarray) and value.ndim > 0):
        if len(value) != 2:
            raise ValueError("%s must be an int or a tuple of 2 ints, got %r" % (name, value))
        return (_int(value[0], name, minimum), _int(value[1], name, minimum))
    single = _int(value, name, minimum)
    return (single, single)


def _padding_name(padding):
    """``padding`` if it is exactly "valid" or "same" (lower case).

    Raises:
    - ValueError: for any other value, other spellings ("SAME") included.
    """
    if not isinstance(padding, str) or padding not in PADDING_NAMES:
        raise ValueError('padding must be "valid" or "same", got %r' % (padding,))
    return padding


def _input_shape(input_shape):
    """An (H, W, C) shape as a tuple of 3 positive Python ints.

    Raises:
    - ValueError: unless ``input_shape`` is a sequence of 3 integers >= 1.
    """
    if isinstance(input_shape, (str, bytes)) or not hasattr(input_shape, "__len__") or len(input_shape) != 3:
        raise ValueError("input_shape must be (H, W, C), got %r" % (input_shape,))
    return tuple(_int(side, "input_shape", 1) for side in input_shape)


def same_pad_amounts(n, f, s):
    """TensorFlow's "same" padding along one axis (shared by ex2 and ex3).

    ``out = ceil(n / s)``, ``total = max((out - 1) * s + f - n, 0)``; the
    extra pixel of an odd total goes after (bottom / right).

    Inputs:
    - n: input side; f: window side; s: stride (all ints >= 1).

    Returns:
    - (before, after): tuple of 2 Python ints, ``before = total // 2``.
    """
    out = -(-n // s)
    total = max((out - 1) * s + f - n, 0)
    return (total // 2, total - total // 2)


# ----------------------------------------------------------------- tasks

def conv_output_size(n, f, p=0, s=1):
    """Output side of a convolution: ``(n + 2p - f) // s + 1``.

    Inputs:
    - n: input side (int >= 1); f: filter side (int >= 1);
    - p: zeros added on each side (int >= 0); s: stride (int >= 1).

    Returns:
    - size: Python int.

    Raises:
    - ValueError: if s < 1, p < 0, f < 1, n < 1, f > n + 2p, or an argument
      is not an integer.
    """
    n = _int(n, "n", 1)
    f = _int(f, "f", 1)
    p = _int(p, "p", 0)
    s = _int(s, "s", 1)
    if f > n + 2 * p:
        raise ValueError("filter %d is larger than the padded input %d" % (f, n + 2 * p))
    return (n + 2 * p - f) // s + 1


def same_padding(f):
    """Padding on each side that keeps the size at stride 1: ``(f - 1) // 2``.

    Inputs:
    - f: filter side, an odd int >= 1.

    Returns:
    - p: Python int.

    Raises:
    - ValueError: if f is even (no symmetric padding exists), f < 1, or f is
      not an integer.
    """
    f = _int(f, "f", 1)
    if f % 2 == 0:
        raise ValueError("no symmetric padding keeps the size for an even filter (f=%d)" % f)
    return (f - 1) // 2


def zero_pad(x, p):
    """Pad the two spatial axes of ``x`` with ``p`` zeros on each side.

    Inputs:
    - x: array-like of shape (H, W, C); the channel axis is not padded.
    - p: int >= 0.

    Returns:
    - out: float64 array of shape (H + 2p, W + 2p, C); a copy, never x itself.

    Raises:
    - ValueError: if p < 0 or is not an integer, or x is not 3-D.
    """
    p = _int(p, "p", 0)
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 3:
        raise ValueError("x must be (H, W, C), got shape %s" % (x.shape,))
    return np.pad(x, ((p, p), (p, p), (0, 0)))


def conv2d_strided(x, filters, bias, stride=1, padding=0):
    """ex1's ``conv2d`` with a stride and zero padding, like ``tf.nn.conv2d``.

    ``padding`` is an int (that many zeros on every side), "valid" (none) or
    "same" (TensorFlow: ``ceil(n / stride)`` outputs per axis; the extra pixel
    of an odd total padding goes to the bottom / right).

    Inputs:
    - x: array-like (H, W, C); filters: (kh, kw, C, F); bias: (F,).
    - stride: int >= 1, the same along both axes.
    - padding: int >= 0, "valid" or "same" (lower case only).

    Returns:
    - out: float64 array of shape (H', W', F) with
      ``H' = (H + pad_top + pad_bottom - kh) // stride + 1`` (likewise W').

    Raises:
    - ValueError: for a bad stride (not an int, a bool, or < 1), a bad padding
      (negative, non-integer, or an unknown name), mismatched channels or bias
      length, or a kernel larger than the padded input.
    """
    x, filters, bias = _check_conv_args(x, filters, bias)
    stride = _int(stride, "stride", 1)
    (h, w), (kh, kw) = x.shape[:2], filters.shape[:2]
    if isinstance(padding, str):
        if _padding_name(padding) == "same":
            pads = (same_pad_amounts(h, kh, stride), same_pad_amounts(w, kw, stride))
        else:
            pads = ((0, 0), (0, 0))
    else:
        p = _int(padding, "padding", 0)
        pads = ((p, p), (p, p))
    padded = np.pad(x, (pads[0], pads[1], (0, 0)))
    if kh > padded.shape[0] or kw > padded.shape[1]:
        raise ValueError("kernel %s is larger than the padded input %s" % ((kh, kw), padded.shape[:2]))
    return _correlate(padded, filters, bias, stride)


def conv_output_shape(input_shape, filters, kernel_size, strides=1, padding="valid"):
    """The (H', W', filters) of ``keras.layers.Conv2D`` for an (H, W, C) input.

    "valid": ``floor((n - k) / s) + 1``; "same": ``ceil(n / s)``.

    Inputs:
    - input_shape: (H, W, C), positive ints.
    - filters: int >= 1; kernel_size, strides: int or tuple of 2 ints >= 1.
    - padding: "valid" or "same" (lower case only).

    Returns:
    - shape: tuple of 3 Python ints (H', W', filters).

    Raises:
    - ValueError: where Keras refuses: an output side below 1, an unknown
      padding name, non-positive filters / kernel_size / strides; also for a
      malformed input_shape.
    """
    h, w, _ = _input_shape(input_shape)
    filters = _int(filters, "filters", 1)
    kernel = _pair(kernel_size, "kernel_size")
    strides = _pair(strides, "strides")
    padding = _padding_name(padding)
    out = []
    for n, k, s in zip((h, w), kernel, strides):
        side = (n - k) // s + 1 if padding == "valid" else -(-n // s)
        if side < 1:
            raise ValueError("the output would have size %d along an axis (input %d, kernel %d)" % (side, n, k))
        out.append(side)
    return (out[0], out[1], filters)
