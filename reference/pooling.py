"""ex3 reference: max, min and average pooling; global average pooling.

Pure NumPy (never imports TensorFlow or Keras). "same" padding reuses
``padding.same_pad_amounts``, TensorFlow's rule, so it is written once.
"""
import numpy as np

from .padding import _input_shape, _pair, _padding_name, same_pad_amounts

__all__ = ["pool2d", "pool_output_shape", "global_average_pool"]

MODES = ("max", "min", "avg")


def _image(x):
    """``x`` as a float64 (H, W, C) array with H, W >= 1; ValueError otherwise."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 3 or 0 in x.shape[:2]:
        raise ValueError("x must be a non-empty (H, W, C) array, got shape %s" % (x.shape,))
    return x


def _reduce_windows(array, window, strides, combine):
    """Combine (e.g. np.maximum, np.add) the values of each strided window of ``array``.

    array: (Hp, Wp, ...) -> (H', W', ...), H' = (Hp - kh) // sh + 1. One
    vectorised step per window offset (kh * kw steps), instead of building a
    (H', W', ..., kh, kw) view and reducing it: several times faster.
    """
    (kh, kw), (sh, sw) = window, strides
    rows = (array.shape[0] - kh) // sh + 1
    cols = (array.shape[1] - kw) // sw + 1
    out = None
    for i in range(kh):
        for j in range(kw):
            part = array[i:i + (rows - 1) * sh + 1:sh, j:j + (cols - 1) * sw + 1:sw]
            out = part.copy() if out is None else combine(out, part, out=out)
    return out


def pool2d(x, pool_size=2, strides=None, padding="valid", mode="max"):
    """Pool each channel of ``x`` over pool_size x pool_size windows.

    Equals ``tf.nn.max_pool2d`` (mode "max"), ``-tf.nn.max_pool2d(-x)``
    ("min") and ``tf.nn.avg_pool2d`` ("avg"). With "same" padding (TensorFlow:
    ``ceil(n / s)`` outputs, extra padding bottom / right) the padded cells
    never win a max or min and are not counted in an average.

    Inputs:
    - x: array-like of shape (H, W, C).
    - pool_size: int (or tuple of 2 ints) >= 1.
    - strides: int (or tuple of 2 ints) >= 1; None means pool_size (Keras).
    - padding: "valid" or "same" (lower case only).
    - mode: "max", "min" or "avg".

    Returns:
    - out: float64 array of shape (H', W', C): for "valid"
      ``H' = (H - kh) // sh + 1``, for "same" ``H' = ceil(H / sh)`` (likewise W').

    Raises:
    - ValueError: for an unknown mode or padding, a bad pool_size or strides,
      a window larger than the input under "valid", or x not (H, W, C).
    """
    x = _image(x)
    window = _pair(pool_size, "pool_size")
    strides = window if strides is None else _pair(strides, "strides")
    padding = _padding_name(padding)
    if mode not in MODES:
        raise ValueError('mode must be "max", "min" or "avg", got %r' % (mode,))
    h, w = x.shape[:2]
    if padding == "valid":
        if window[0] > h or window[1] > w:
            raise ValueError("window %s is larger than the input %s" % (window, (h, w)))
        pads = ((0, 0), (0, 0))
    else:
        pads = (same_pad_amounts(h, window[0], strides[0]), same_pad_amounts(w, window[1], strides[1]))
    spec = (pads[0], pads[1], (0, 0))
    if mode == "avg":
        sums = _reduce_windows(np.pad(x, spec), window, strides, np.add)
        counts = _reduce_windows(np.pad(np.ones((h, w)), pads), window, strides, np.add)
        return sums / counts[:, :, None]
    fill = -np.inf if mode == "max" else np.inf
    padded = np.pad(x, spec, constant_values=fill)
    return _reduce_windows(padded, window, strides, np.maximum if mode == "max" else np.minimum)


def pool_output_shape(input_shape, pool_size=2, strides=None, padding="valid"):
    """The (H', W', C) of ``keras.layers.MaxPooling2D`` for an (H, W, C) input.

    "valid": ``floor((n - k) / s) + 1``; "same": ``ceil(n / s)``.

    Inputs:
    - input_shape: (H, W, C), positive ints.
    - pool_size: int or tuple of 2 ints >= 1.
    - strides: int or tuple of 2 ints >= 1; None means pool_size.
    - padding: "valid" or "same" (lower case only).

    Returns:
    - shape: tuple of 3 Python ints (H', W', C).

    Raises:
    - ValueError: where Keras refuses: an output side below 1 (a window
      larger than the input under "valid"), an unknown padding name,
      non-positive pool_size / strides; also for a malformed input_shape.
    """
    h, w, c = _input_shape(input_shape)
    window = _pair(pool_size, "pool_size")
    strides = window if strides is None else _pair(strides, "strides")
    padding = _padding_name(padding)
    out = []
    for n, k, s in zip((h, w), window, strides):
        side = (n - k) // s + 1 if padding == "valid" else -(-n // s)
        if side < 1:
            raise ValueError("the output would have size %d along an axis (input %d, window %d)" % (side, n, k))
        out.append(side)
    return (out[0], out[1], c)


def global_average_pool(x):
    """The mean of each channel, like ``keras.layers.GlobalAveragePooling2D``.

    Inputs:
    - x: array-like of shape (H, W, C).

    Returns:
    - out: float64 array of shape (C,).

    Raises:
    - ValueError: if x is not a non-empty (H, W, C) array.
    """
    return _image(x).mean(axis=(0, 1))
