"""Tests for reference/padding.py (ex2), against TensorFlow and Keras."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import itertools

import keras
import numpy as np
import pytest
import tensorflow as tf

from reference.convolution import conv2d
from reference.padding import (conv2d_strided, conv_output_shape, conv_output_size, same_pad_amounts,
                               same_padding, zero_pad)


def tf_padding(padding):
    """Our padding argument in tf.nn.conv2d's terms."""
    if isinstance(padding, str):
        return padding.upper()
    return [[0, 0], [padding, padding], [padding, padding], [0, 0]]


def tf_conv(x, filters, bias, stride, padding):
    return tf.nn.conv2d(x[None], filters, stride, tf_padding(padding))[0].numpy() + bias


def read_only(*arrays):
    out = []
    for a in arrays:
        a = np.array(a)
        a.setflags(write=False)
        out.append(a)
    return out


# ----------------------------------------------------------- conv_output_size

SIZE_COMBOS = [(n, f, p, s) for n, f, p, s in itertools.product(
    [1, 4, 5, 6, 7, 10], [1, 2, 3, 4, 6], [0, 1, 2], [1, 2, 3]) if f <= n + 2 * p]


@pytest.mark.parametrize("n,f,p,s", SIZE_COMBOS)
def test_conv_output_size_matches_tensorflow(n, f, p, s):
    out = tf.nn.conv2d(np.ones((1, n, n, 1)), np.ones((f, f, 1, 1)), s, tf_padding(p))
    size = conv_output_size(n, f, p, s)
    assert type(size) is int
    assert size == out.shape[1]


def test_conv_output_size_defaults_and_numpy_integers():
    assert conv_output_size(6, 3) == 4
    size = conv_output_size(np.int64(7), np.int32(3), np.int64(0), np.int16(2))
    assert type(size) is int and size == 3


@pytest.mark.parametrize("args", [
    (8, 3, 0, 0), (8, 3, 0, -1),       # s < 1
    (8, 3, -1, 1), (8, 3, -2, 2),      # p < 0
    (8, 0, 0, 1), (8, -3, 0, 1),       # f < 1
    (4, 7, 1, 1), (3, 4, 0, 1),        # f > n + 2p
    (0, 1, 0, 1),                      # no input
    (8.0, 3, 0, 1), (8, 3.0, 0, 1), (8, 3, 0, 2.0), (8, 3, True, 1), ("8", 3, 0, 1),  # not integers
])
def test_conv_output_size_raises_value_error(args):
    with pytest.raises(ValueError):
        conv_output_size(*args)


# ----------------------------------------------------------- same_padding

@pytest.mark.parametrize("f", [1, 3, 5, 7, 9, 11])
def test_same_padding_keeps_the_size_and_matches_tensorflow_same(f):
    p = same_padding(f)
    assert type(p) is int
    assert 2 * p == f - 1
    n = 12
    assert conv_output_size(n, f, p, 1) == n
    rng = np.random.default_rng(f)
    x, filters, bias = rng.normal(size=(n, n, 2)), rng.normal(size=(f, f, 2, 3)), rng.normal(size=3)
    np.testing.assert_allclose(conv2d_strided(x, filters, bias, 1, p), tf_conv(x, filters, bias, 1, "same"),
                               rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("f", [2, 4, 6, 0, -1, -3, 3.0, True, "3", None])
def test_same_padding_raises_value_error(f):
    with pytest.raises(ValueError):
        same_padding(f)


# ----------------------------------------------------------- zero_pad

@pytest.mark.parametrize("shape,p", [((3, 4, 2), 0), ((4, 5, 3), 3), ((1, 1, 1), 1), ((2, 2, 1), 1),
                                     ((3, 2, 2), 2), ((5, 1, 4), 4)])
def test_zero_pad_matches_tensorflow_pad(shape, p):
    x = np.random.default_rng(sum(shape) + p).normal(size=shape)
    out = zero_pad(x, p)
    expected = tf.pad(x, [[p, p], [p, p], [0, 0]]).numpy()
    assert out.shape == (shape[0] + 2 * p, shape[1] + 2 * p, shape[2])
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(out[p:p + shape[0], p:p + shape[1]], x)


def test_zero_pad_zero_returns_equal_array_and_never_mutates():
    x = np.random.default_rng(0).normal(size=(3, 3, 2))
    before = x.copy()
    out = zero_pad(x, 0)
    np.testing.assert_array_equal(out, x)
    out[...] = 7.0                      # writing into the result must not reach x
    np.testing.assert_array_equal(x, before)
    zero_pad(*read_only(x), 2)


@pytest.mark.parametrize("x,p", [(np.ones((3, 3, 1)), -1), (np.ones((3, 3, 1)), -2), (np.ones((3, 3, 1)), 1.0),
                                 (np.ones((3, 3, 1)), True), (np.ones((3, 3)), 1), (np.ones((2, 3, 3, 1)), 1)])
def test_zero_pad_raises_value_error(x, p):
    with pytest.raises(ValueError):
        zero_pad(x, p)


# ----------------------------------------------------------- conv2d_strided

SIDES = [(5, 5), (6, 7), (8, 6), (7, 4), (3, 9)]
KERNELS = [(1, 1), (2, 2), (3, 3), (2, 3), (4, 1), (5, 5)]
STRIDES = [1, 2, 3]
PADDINGS = [0, 1, 2, "valid", "same"]


def _pads(h, w, kh, kw, s, padding):
    if padding == "same":
        return same_pad_amounts(h, kh, s), same_pad_amounts(w, kw, s)
    p = 0 if padding == "valid" else padding
    return (p, p), (p, p)


def _fits(h, w, kh, kw, s, padding):
    (t, b), (l, r) = _pads(h, w, kh, kw, s, padding)
    return kh <= h + t + b and kw <= w + l + r


STRIDED = [combo for combo in itertools.product(SIDES, KERNELS, STRIDES, PADDINGS)
           if _fits(*combo[0], *combo[1], *combo[2:])]
STRIDED_TOO_LARGE = [combo for combo in itertools.product(SIDES, KERNELS, STRIDES, PADDINGS)
                     if not _fits(*combo[0], *combo[1], *combo[2:])]


def test_strided_combos_cover_uneven_same_padding():
    """The grid includes "same" cases whose total padding is odd, on both axes."""
    odd = [(hw, k, s) for hw, k, s, p in STRIDED if p == "same"
           and sum(same_pad_amounts(hw[0], k[0], s)) % 2 and sum(same_pad_amounts(hw[1], k[1], s)) % 2]
    assert len(odd) >= 5
    assert STRIDED_TOO_LARGE  # and kernels that do not fit


@pytest.mark.parametrize("hw,kernel,stride,padding", STRIDED)
def test_conv2d_strided_matches_tensorflow(hw, kernel, stride, padding):
    rng = np.random.default_rng([hw[0], hw[1], kernel[0], kernel[1], stride, len(str(padding))])
    channels, n_filters = 1 + (hw[0] + kernel[1]) % 3, 1 + (hw[1] + stride) % 3
    x = rng.normal(size=hw + (channels,))
    filters = rng.normal(size=kernel + (channels, n_filters))
    bias = rng.normal(size=n_filters)
    out = conv2d_strided(x, filters, bias, stride=stride, padding=padding)
    expected = tf_conv(x, filters, bias, stride, padding)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-10)
    if padding == "same":
        assert out.shape[:2] == (-(-hw[0] // stride), -(-hw[1] // stride))


@pytest.mark.parametrize("hw,kernel,stride,padding", STRIDED_TOO_LARGE)
def test_conv2d_strided_kernel_larger_than_padded_input_raises(hw, kernel, stride, padding):
    """TensorFlow returns no rows/columns or refuses; like ex1's conv2d we raise ValueError."""
    x, filters, bias = np.ones(hw + (1,)), np.ones(kernel + (1, 1)), np.zeros(1)
    with pytest.raises(ValueError):
        conv2d_strided(x, filters, bias, stride=stride, padding=padding)
    try:
        assert 0 in tf_conv(x, filters, bias, stride, padding).shape[:2]
    except tf.errors.InvalidArgumentError:  # "Computed output size would be negative"
        pass


def test_conv2d_strided_float32_matches_tensorflow_float32():
    rng = np.random.default_rng(21)
    x = rng.normal(size=(9, 8, 3)).astype(np.float32)
    filters = rng.normal(size=(3, 2, 3, 4)).astype(np.float32)
    bias = rng.normal(size=4).astype(np.float32)
    np.testing.assert_allclose(conv2d_strided(x, filters, bias, 2, "same"), tf_conv(x, filters, bias, 2, "same"),
                               rtol=1e-5, atol=1e-5)


def test_conv2d_strided_defaults_equal_conv2d():
    rng = np.random.default_rng(4)
    x, filters, bias = rng.normal(size=(6, 5, 2)), rng.normal(size=(3, 2, 2, 3)), rng.normal(size=3)
    np.testing.assert_array_equal(conv2d_strided(x, filters, bias), conv2d(x, filters, bias))
    np.testing.assert_array_equal(conv2d_strided(x, filters, bias, 1, "valid"), conv2d(x, filters, bias))


def test_conv2d_strided_same_puts_the_extra_pixel_bottom_right():
    """6x6 input, 3x3 kernel, stride 2: total padding 1, all of it at the bottom/right."""
    assert same_pad_amounts(6, 3, 2) == (0, 1)
    x = np.arange(36.0).reshape(6, 6, 1)
    corner = np.zeros((3, 3, 1, 1))
    corner[0, 0] = 1.0                      # picks the window's top-left cell
    out = conv2d_strided(x, corner, np.zeros(1), stride=2, padding="same")
    np.testing.assert_array_equal(out[:, :, 0], x[::2, ::2, 0])


def test_conv2d_strided_accepts_numpy_integers():
    rng = np.random.default_rng(8)
    x, filters, bias = rng.normal(size=(7, 7, 1)), rng.normal(size=(3, 3, 1, 2)), rng.normal(size=2)
    np.testing.assert_array_equal(conv2d_strided(x, filters, bias, np.int64(2), np.int32(1)),
                                  conv2d_strided(x, filters, bias, 2, 1))


@pytest.mark.parametrize("kwargs", [
    {"stride": 0}, {"stride": -1}, {"stride": True}, {"stride": 1.0}, {"stride": 1.5}, {"stride": "2"},
    {"stride": None}, {"stride": (2, 2)},
    {"padding": -1}, {"padding": 1.0}, {"padding": True}, {"padding": None}, {"padding": "SAME"},
    {"padding": "Same"}, {"padding": "VALID"}, {"padding": "full"}, {"padding": "causal"}, {"padding": ""},
    {"padding": (1, 1)},
])
def test_conv2d_strided_raises_value_error_for_bad_stride_or_padding(kwargs):
    x, filters, bias = np.ones((6, 6, 1)), np.ones((3, 3, 1, 1)), np.zeros(1)
    with pytest.raises(ValueError):
        conv2d_strided(x, filters, bias, **kwargs)


@pytest.mark.parametrize("x,filters,bias", [
    (np.ones((6, 6, 3)), np.ones((3, 3, 2, 4)), np.ones(4)),
    (np.ones((6, 6, 2)), np.ones((3, 3, 2, 4)), np.ones(3)),
    (np.ones((6, 6)), np.ones((3, 3, 1, 1)), np.ones(1)),
])
def test_conv2d_strided_raises_value_error_for_bad_arrays(x, filters, bias):
    with pytest.raises(ValueError):
        conv2d_strided(x, filters, bias, 2, "same")


def test_conv2d_strided_does_not_mutate():
    rng = np.random.default_rng(2)
    args = [rng.normal(size=(6, 7, 2)), rng.normal(size=(3, 3, 2, 2)), rng.normal(size=2)]
    before = [a.copy() for a in args]
    for padding in (0, 2, "valid", "same"):
        conv2d_strided(*args, stride=2, padding=padding)
        conv2d_strided(*read_only(*args), stride=2, padding=padding)
    for a, b in zip(args, before):
        np.testing.assert_array_equal(a, b)


# ----------------------------------------------------------- conv_output_shape

SHAPE_INPUTS = [(5, 5, 3), (7, 4, 1), (2, 9, 2), (1, 1, 1), (32, 32, 3), (15, 10, 3)]
SHAPE_KERNELS = [1, 3, (3, 2), (5, 5), (1, 4)]
SHAPE_STRIDES = [1, 2, (2, 3), 3]
SHAPE_COMBOS = list(itertools.product(SHAPE_INPUTS, SHAPE_KERNELS, SHAPE_STRIDES, ["valid", "same"]))


def keras_conv_shape(input_shape, filters, kernel_size, strides, padding):
    """Keras' answer, or the exception it raises."""
    try:
        layer = keras.layers.Conv2D(filters, kernel_size, strides=strides, padding=padding)
        return layer.compute_output_shape((None,) + tuple(input_shape))[1:]
    except ValueError as error:
        return error


@pytest.mark.parametrize("input_shape,kernel_size,strides,padding", SHAPE_COMBOS)
def test_conv_output_shape_matches_keras(input_shape, kernel_size, strides, padding):
    filters = 1 + sum(input_shape) % 7
    expected = keras_conv_shape(input_shape, filters, kernel_size, strides, padding)
    if isinstance(expected, Exception):
        with pytest.raises(ValueError):
            conv_output_shape(input_shape, filters, kernel_size, strides, padding)
        return
    shape = conv_output_shape(input_shape, filters, kernel_size, strides, padding)
    assert isinstance(shape, tuple) and all(type(side) is int for side in shape)
    assert shape == tuple(expected)


def test_conv_output_shape_grid_includes_keras_refusals():
    refused = [c for c in SHAPE_COMBOS if isinstance(keras_conv_shape(c[0], 2, *c[1:]), Exception)]
    assert len(refused) >= 5


@pytest.mark.parametrize("input_shape,kernel_size,strides,padding", [
    ((9, 9, 2), 3, 2, "same"), ((8, 6, 1), (3, 2), 1, "valid"), ((7, 7, 3), 3, 3, "same"),
    ((6, 9, 3), (2, 3), 2, "same")])
def test_conv_output_shape_is_the_shape_conv2d_strided_returns(input_shape, kernel_size, strides, padding):
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    out = conv2d_strided(np.ones(input_shape), np.ones((kh, kw, input_shape[2], 5)), np.zeros(5), strides, padding)
    assert conv_output_shape(input_shape, 5, kernel_size, strides, padding) == out.shape


def test_conv_output_shape_defaults():
    assert conv_output_shape((32, 32, 3), 16, 3) == (30, 30, 16)
    assert conv_output_shape([32, 32, 3], 16, [3, 3], [1, 1]) == (30, 30, 16)


@pytest.mark.parametrize("padding", ["full", "causal", "", None, 1])
def test_conv_output_shape_bad_padding_raises_like_keras(padding):
    with pytest.raises((ValueError, AttributeError)):  # Keras: AttributeError for non-strings
        keras.layers.Conv2D(2, 3, padding=padding).compute_output_shape((None, 8, 8, 1))
    with pytest.raises(ValueError):
        conv_output_shape((8, 8, 1), 2, 3, 1, padding)


@pytest.mark.parametrize("padding", ["SAME", "Valid"])
def test_conv_output_shape_rejects_other_spellings(padding):
    # Keras' Conv2D lower-cases its padding; the contract grades only lower-case names and the
    # exercises answer "ValueError" for other spellings, like MaxPooling2D does (see test_pooling).
    with pytest.raises(ValueError):
        conv_output_shape((8, 8, 1), 2, 3, 1, padding)


@pytest.mark.parametrize("args", [
    ((8, 8, 1), 0, 3), ((8, 8, 1), 2, 0), ((8, 8, 1), 2, 3, 0), ((8, 8, 1), 2, (3, 0)),
    ((8, 8, 1), 2, (3, 3, 3)), ((8, 8, 1), 2, 2.0),
])
def test_conv_output_shape_bad_sizes_raise_like_keras(args):
    input_shape, filters, kernel_size, strides = (args + (1,))[:4]
    with pytest.raises(ValueError):
        keras.layers.Conv2D(filters, kernel_size, strides=strides).compute_output_shape((None,) + input_shape)
    with pytest.raises(ValueError):
        conv_output_shape(input_shape, filters, kernel_size, strides)


@pytest.mark.parametrize("input_shape", [(8, 8), (8, 8, 1, 1), (0, 8, 1), (8, -1, 1), "881", (8.0, 8, 1)])
def test_conv_output_shape_malformed_input_shape_raises(input_shape):
    with pytest.raises(ValueError):
        conv_output_shape(input_shape, 2, 3)
