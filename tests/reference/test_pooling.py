"""Tests for reference/pooling.py (ex3), against TensorFlow and Keras."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import itertools

import keras
import numpy as np
import pytest
import tensorflow as tf

from reference.padding import same_pad_amounts
from reference.pooling import global_average_pool, pool2d, pool_output_shape


def _pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


def tf_pool(x, pool_size, strides, padding, mode):
    """TensorFlow's answer for one (H, W, C) image (min pooling as -max_pool2d(-x))."""
    window = _pair(pool_size)
    strides = window if strides is None else _pair(strides)
    batch = x[None]
    if mode == "max":
        out = tf.nn.max_pool2d(batch, window, strides, padding.upper())
    elif mode == "min":
        out = -tf.nn.max_pool2d(-batch, window, strides, padding.upper())
    else:
        out = tf.nn.avg_pool2d(batch, window, strides, padding.upper())
    return np.asarray(out, dtype=np.float64)[0]


def read_only(*arrays):
    out = []
    for a in arrays:
        a = np.array(a)
        a.setflags(write=False)
        out.append(a)
    return out


# ----------------------------------------------------------- pool2d

SIDES = [(4, 4), (5, 5), (6, 7), (7, 5), (3, 8), (1, 4)]
POOLS = [1, 2, 3, (2, 3), (3, 1)]
POOL_STRIDES = [None, 1, 2, 3, (1, 2)]
MODES = ["max", "min", "avg"]
GRID = list(itertools.product(SIDES, POOLS, POOL_STRIDES, ["valid", "same"], MODES))


def _fits(hw, pool_size, padding):
    kh, kw = _pair(pool_size)
    return padding == "same" or (kh <= hw[0] and kw <= hw[1])


POOL_COMBOS = [c for c in GRID if _fits(c[0], c[1], c[3])]
POOL_TOO_LARGE = [c for c in GRID if not _fits(c[0], c[1], c[3])]


def test_pool_grid_covers_uneven_same_padding_and_windows_that_do_not_fit():
    odd = [c for c in POOL_COMBOS if c[3] == "same" and c[2] is not None and isinstance(c[2], int)
           and sum(same_pad_amounts(c[0][0], _pair(c[1])[0], c[2])) % 2 == 1]
    assert len(odd) >= 10
    assert POOL_TOO_LARGE


@pytest.mark.parametrize("sign", ["mixed", "negative"])
@pytest.mark.parametrize("hw,pool_size,strides,padding,mode", POOL_COMBOS)
def test_pool2d_matches_tensorflow(hw, pool_size, strides, padding, mode, sign):
    rng = np.random.default_rng([hw[0], hw[1], len(str(pool_size)), len(str(strides)), len(padding), len(mode)])
    channels = 1 + (hw[0] + hw[1]) % 3
    x = rng.normal(size=hw + (channels,))
    if sign == "negative":     # zero padding would win a max here
        x = -np.abs(x) - 1.0
    out = pool2d(x, pool_size, strides, padding, mode)
    expected = tf_pool(x, pool_size, strides, padding, mode)
    assert out.shape == expected.shape
    assert out.dtype.kind == "f"
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("mode", MODES)
def test_pool2d_float32_precision_matches_tensorflow(mode):
    rng = np.random.default_rng(17)
    x = rng.normal(size=(9, 7, 3)).astype(np.float32)
    np.testing.assert_allclose(pool2d(x, 3, 2, "same", mode), tf_pool(x, 3, 2, "same", mode), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("hw,pool_size,strides,padding,mode", POOL_TOO_LARGE)
def test_pool2d_window_larger_than_input_valid_raises(hw, pool_size, strides, padding, mode):
    with pytest.raises(ValueError):
        pool2d(np.ones(hw + (1,)), pool_size, strides, padding, mode)


def test_pool2d_defaults_are_2x2_max_with_stride_2():
    x = np.arange(16.0).reshape(4, 4, 1)
    np.testing.assert_array_equal(pool2d(x), tf_pool(x, 2, 2, "valid", "max"))
    assert pool2d(np.ones((7, 9, 2))).shape == (3, 4, 2)


def test_pool2d_strides_none_means_pool_size():
    x = np.random.default_rng(1).normal(size=(9, 9, 2))
    for size in (1, 2, 3, (2, 3)):
        np.testing.assert_array_equal(pool2d(x, size, None, "valid", "avg"), pool2d(x, size, size, "valid", "avg"))


def test_pool2d_pools_each_channel_separately():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(6, 6, 3))
    for mode in MODES:
        out = pool2d(x, 3, 2, "same", mode)
        for c in range(3):
            np.testing.assert_allclose(out[:, :, c], pool2d(x[:, :, c:c + 1], 3, 2, "same", mode)[:, :, 0],
                                       rtol=1e-12, atol=1e-12)


def test_pool2d_same_average_counts_only_real_cells():
    """2x2 "same" pooling of an all-ones image averages to exactly 1 everywhere, edges included."""
    out = pool2d(np.ones((5, 5, 1)), 2, None, "same", "avg")
    np.testing.assert_array_equal(out, np.ones((3, 3, 1)))


@pytest.mark.parametrize("kwargs", [
    {"mode": "median"}, {"mode": "MAX"}, {"mode": "mean"}, {"mode": None}, {"mode": "average"},
    {"padding": "full"}, {"padding": "SAME"}, {"padding": "Valid"}, {"padding": None}, {"padding": 1},
    {"pool_size": 0}, {"pool_size": -2}, {"pool_size": True}, {"pool_size": 2.0}, {"pool_size": (2, 2, 2)},
    {"strides": 0}, {"strides": (1, 0)}, {"strides": 1.5}, {"strides": False},
    {"pool_size": 5}, {"pool_size": (1, 5)},            # larger than the 4x4 input under "valid"
])
def test_pool2d_raises_value_error(kwargs):
    with pytest.raises(ValueError):
        pool2d(np.ones((4, 4, 1)), **kwargs)


@pytest.mark.parametrize("x", [np.ones((4, 4)), np.ones((1, 4, 4, 1)), np.ones(4), np.ones((0, 4, 1))])
def test_pool2d_raises_value_error_unless_h_w_c(x):
    with pytest.raises(ValueError):
        pool2d(x)


def test_pool2d_does_not_mutate():
    x = np.random.default_rng(3).normal(size=(5, 6, 2))
    before = x.copy()
    for padding, mode in itertools.product(["valid", "same"], MODES):
        pool2d(x, 2, 1, padding, mode)
        pool2d(*read_only(x), 3, 2, padding, mode)
    np.testing.assert_array_equal(x, before)


# ----------------------------------------------------------- pool_output_shape

SHAPE_INPUTS = [(4, 4, 3), (5, 5, 1), (7, 9, 2), (2, 2, 1), (1, 6, 4), (12, 10, 3)]
SHAPE_POOLS = [1, 2, 3, (3, 2), (2, 5)]
SHAPE_STRIDES = [None, 1, 2, (2, 3)]
SHAPE_COMBOS = list(itertools.product(SHAPE_INPUTS, SHAPE_POOLS, SHAPE_STRIDES, ["valid", "same"]))


def keras_pool_shape(input_shape, pool_size, strides, padding):
    """Keras' answer, or the exception it raises."""
    try:
        layer = keras.layers.MaxPooling2D(pool_size, strides=strides, padding=padding)
        return layer.compute_output_shape((None,) + tuple(input_shape))[1:]
    except ValueError as error:
        return error


@pytest.mark.parametrize("input_shape,pool_size,strides,padding", SHAPE_COMBOS)
def test_pool_output_shape_matches_keras(input_shape, pool_size, strides, padding):
    expected = keras_pool_shape(input_shape, pool_size, strides, padding)
    if isinstance(expected, Exception):
        with pytest.raises(ValueError):
            pool_output_shape(input_shape, pool_size, strides, padding)
        return
    shape = pool_output_shape(input_shape, pool_size, strides, padding)
    assert isinstance(shape, tuple) and all(type(side) is int for side in shape)
    assert shape == tuple(expected)
    # and it is the shape pool2d returns
    assert pool2d(np.zeros(input_shape), pool_size, strides, padding).shape == shape


def test_pool_output_shape_grid_includes_keras_refusals():
    assert sum(isinstance(keras_pool_shape(*c), Exception) for c in SHAPE_COMBOS) >= 5


def test_pool_output_shape_defaults():
    assert pool_output_shape((4, 4, 3)) == (2, 2, 3)
    assert pool_output_shape([7, 7, 2], [3, 3], [2, 2]) == (3, 3, 2)


@pytest.mark.parametrize("padding", ["full", "causal", "SAME", "Valid", ""])
def test_pool_output_shape_bad_padding_raises_like_keras(padding):
    with pytest.raises(ValueError):
        keras.layers.MaxPooling2D(2, padding=padding).compute_output_shape((None, 6, 6, 1))
    with pytest.raises(ValueError):
        pool_output_shape((6, 6, 1), 2, None, padding)


@pytest.mark.parametrize("pool_size,strides", [(0, None), (2, 0), ((2, 0), None), ((2, 2, 2), None)])
def test_pool_output_shape_bad_sizes_raise(pool_size, strides):
    with pytest.raises((ValueError, ZeroDivisionError)):   # Keras refuses (strides 0: ZeroDivisionError)
        keras.layers.MaxPooling2D(pool_size, strides=strides).compute_output_shape((None, 6, 6, 1))
    with pytest.raises(ValueError):
        pool_output_shape((6, 6, 1), pool_size, strides)


@pytest.mark.parametrize("input_shape", [(6, 6), (6, 6, 1, 1), (0, 6, 1), "661", (6, 6.0, 1)])
def test_pool_output_shape_malformed_input_shape_raises(input_shape):
    with pytest.raises(ValueError):
        pool_output_shape(input_shape)


# ----------------------------------------------------------- global_average_pool

@pytest.mark.parametrize("shape", [(5, 7, 3), (1, 1, 4), (8, 8, 1), (3, 2, 10)])
def test_global_average_pool_matches_keras(shape):
    x = np.random.default_rng(sum(shape)).normal(size=shape)
    out = global_average_pool(x)
    expected = np.asarray(keras.layers.GlobalAveragePooling2D()(x[None]), dtype=np.float64)[0]
    assert out.shape == (shape[2],)
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(out, tf.reduce_mean(x, axis=(0, 1)).numpy(), rtol=1e-12, atol=1e-12)


def test_global_average_pool_does_not_mutate_and_accepts_lists():
    x = np.random.default_rng(0).normal(size=(3, 4, 2))
    before = x.copy()
    global_average_pool(x)
    global_average_pool(*read_only(x))
    np.testing.assert_array_equal(x, before)
    np.testing.assert_array_equal(global_average_pool([[[1, 10], [2, 20]], [[3, 30], [4, 40]]]), [2.5, 25.0])


@pytest.mark.parametrize("x", [np.ones((4, 4)), np.ones((1, 4, 4, 1)), np.ones((0, 3, 2))])
def test_global_average_pool_raises_value_error(x):
    with pytest.raises(ValueError):
        global_average_pool(x)
