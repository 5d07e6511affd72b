"""The reference against values published by others, typed in from the sources.

Every expected value here was copied from the cited public source, never
produced by the code under test.
"""
import numpy as np
import pytest

from reference.convolution import conv2d, conv2d_single
from reference.padding import conv2d_strided, conv_output_shape, conv_output_size, same_pad_amounts, same_padding
from reference.pooling import pool2d, pool_output_shape


def nchw_to_hwc(batch):
    """(N, C, H, W) -> list of N channels-last (H, W, C) images."""
    return [image.transpose(1, 2, 0) for image in batch]


# ----------------------------------------------------------- the lecture

def test_lecture_vertical_edge_example():
    """Session 5 slides, "The Convolution Operation": 6x6 image (left three columns 10,
    right three 0) * [[1, 0, -1]] x 3 = 4x4 with the two middle columns 30, outer columns 0."""
    image = np.array([[10, 10, 10, 0, 0, 0]] * 6)
    kernel = np.array([[1, 0, -1], [1, 0, -1], [1, 0, -1]])
    expected = np.array([[0, 30, 30, 0]] * 4)
    np.testing.assert_array_equal(conv2d_single(image, kernel), expected)
    # the same through the multi-channel API, and at stride 1 with no padding
    out = conv2d(image[:, :, None], kernel[:, :, None, None], np.zeros(1))
    np.testing.assert_array_equal(out[:, :, 0], expected)
    np.testing.assert_array_equal(conv2d_strided(image[:, :, None], kernel[:, :, None, None], np.zeros(1))[:, :, 0],
                                  expected)


def test_lecture_padding_keeps_dimension():
    """Slides, "Padding Technique": n x n image, f x f filter, p = (f - 1) / 2 keeps n x n;
    the picture pads a 6x6 image with one ring of zeros (8x8) for a 3x3 filter."""
    assert same_padding(3) == 1
    assert conv_output_size(6, 3, same_padding(3)) == 6


# ----------------------------------------------------------- CS231n assignment 2

# Source: Stanford CS231n (2017) assignment 2, ConvolutionalNetworks.ipynb, cells
# "Convolution: Naive forward pass" and "Max pooling: Naive forward"; copy used:
# github.com/Burton2000/CS231n-2017, assignment2/ConvolutionalNetworks.ipynb
# (commit aaa6b7d66315662cb4b75dcfe6d2e4d6dd38624b). Layout there is NCHW, weights (F, C, HH, WW).
CS231N_CONV_CORRECT_OUT = np.array([[[[-0.08759809, -0.10987781],
                                      [-0.18387192, -0.2109216]],
                                     [[0.21027089, 0.21661097],
                                      [0.22847626, 0.23004637]],
                                     [[0.50813986, 0.54309974],
                                      [0.64082444, 0.67101435]]],
                                    [[[-0.98053589, -1.03143541],
                                      [-1.19128892, -1.24695841]],
                                     [[0.69108355, 0.66880383],
                                      [0.59480972, 0.56776003]],
                                     [[2.36270298, 2.36904306],
                                      [2.38090835, 2.38247847]]]])

CS231N_POOL_CORRECT_OUT = np.array([[[[-0.26315789, -0.24842105],
                                      [-0.20421053, -0.18947368]],
                                     [[-0.14526316, -0.13052632],
                                      [-0.08631579, -0.07157895]],
                                     [[-0.02736842, -0.01263158],
                                      [0.03157895, 0.04631579]]],
                                    [[[0.09052632, 0.10526316],
                                      [0.14947368, 0.16421053]],
                                     [[0.20842105, 0.22315789],
                                      [0.26736842, 0.28210526]],
                                     [[0.32631579, 0.34105263],
                                      [0.38526316, 0.4]]]])


def test_cs231n_conv_forward_naive():
    x = np.linspace(-0.1, 0.5, num=2 * 3 * 4 * 4).reshape(2, 3, 4, 4)
    w = np.linspace(-0.2, 0.3, num=3 * 3 * 4 * 4).reshape(3, 3, 4, 4)
    b = np.linspace(-0.1, 0.2, num=3)
    w_hwcf = w.transpose(2, 3, 1, 0)          # (F, C, HH, WW) -> (HH, WW, C, F)
    for image, expected in zip(nchw_to_hwc(x), nchw_to_hwc(CS231N_CONV_CORRECT_OUT)):
        out = conv2d_strided(image, w_hwcf, b, stride=2, padding=1)
        assert out.shape == (2, 2, 3)
        np.testing.assert_allclose(out, expected, rtol=1e-7, atol=1e-8)


def test_cs231n_max_pool_forward_naive():
    x = np.linspace(-0.3, 0.4, num=2 * 3 * 4 * 4).reshape(2, 3, 4, 4)
    for image, expected in zip(nchw_to_hwc(x), nchw_to_hwc(CS231N_POOL_CORRECT_OUT)):
        out = pool2d(image, pool_size=2, strides=2)
        np.testing.assert_allclose(out, expected, rtol=1e-7, atol=1e-8)
        np.testing.assert_allclose(pool2d(image), expected, rtol=1e-7, atol=1e-8)   # strides=None -> 2


# ----------------------------------------------------------- Dive into Deep Learning

# Source: d2l-ai/d2l-en, chapter_convolutional-neural-networks/conv-layer.md ("The
# Cross-Correlation Operator": 0*0+1*1+3*2+4*3=19, ... = 25, 37, 43; "Object Edge Detection").
def test_d2l_corr2d():
    X = np.array([[0, 1, 2], [3, 4, 5], [6, 7, 8]])
    K = np.array([[0, 1], [2, 3]])
    np.testing.assert_array_equal(conv2d_single(X, K), [[19, 25], [37, 43]])


def test_d2l_edge_detection():
    """6x8 image, middle four columns 0, the rest 1; K = [[1, -1]]: 1 for the edge from white
    to black, -1 for black to white, 0 elsewhere; the transposed image gives all zeros."""
    X = np.ones((6, 8))
    X[:, 2:6] = 0
    expected = np.zeros((6, 7))
    expected[:, 1] = 1
    expected[:, 5] = -1
    np.testing.assert_array_equal(conv2d_single(X, np.array([[1, -1]])), expected)
    np.testing.assert_array_equal(conv2d_single(X.T, np.array([[1, -1]])), np.zeros((8, 5)))


# Source: d2l-ai/d2l-en, chapter_convolutional-neural-networks/pooling.md: max(0,1,3,4)=4,
# max(1,2,4,5)=5, max(3,4,6,7)=7, max(4,5,7,8)=8 for 2x2 pooling of [[0,1,2],[3,4,5],[6,7,8]] (stride 1).
def test_d2l_pool2d():
    X = np.array([[0, 1, 2], [3, 4, 5], [6, 7, 8]], dtype=float)[:, :, None]
    np.testing.assert_array_equal(pool2d(X, 2, strides=1)[:, :, 0], [[4, 5], [7, 8]])
    # the section's average pooling of the same input: means of the same windows
    np.testing.assert_array_equal(pool2d(X, 2, strides=1, mode="avg")[:, :, 0], [[2, 3], [5, 6]])


# Source: d2l-ai/d2l-en, chapter_convolutional-neural-networks/padding-and-strides.md: an 8x8 input
# with a 3x3 kernel and padding 1 stays 8x8; a 5x3 kernel with padding (2, 1) too; stride 2 halves
# it (4x4); kernel (3, 5), padding (0, 1), strides (3, 4) gives 2x2 (the book's printed output).
@pytest.mark.parametrize("n,f,p,s,expected", [(8, 3, 1, 1, 8), (8, 5, 2, 1, 8), (8, 3, 1, 2, 4),
                                              (8, 3, 0, 3, 2), (8, 5, 1, 4, 2)])
def test_d2l_padding_and_strides(n, f, p, s, expected):
    assert conv_output_size(n, f, p, s) == expected


# ----------------------------------------------------------- TensorFlow's padding notes

# Source: tensorflow/python/ops/nn_ops.py (TF 2.21), module docstring, "'SAME' padding":
# out = ceil(in / stride); pad_along = max(filter - stride, 0) if in % stride == 0 else
# max(filter - in % stride, 0); pad_top = pad_along // 2, pad_bottom = pad_along - pad_top;
# "when pad_along_height is 5, we pad 2 pixels at the top and 3 pixels at the bottom".
# Example: in_height 5, filter_height 3, stride_height 2 -> output height 3 (ceil(5 / 2));
# in_width 2, filter_width 2, stride_width 1 -> output width 2.
def test_tensorflow_same_example_output_shape():
    assert conv_output_shape((5, 2, 2), 2, (3, 2), (2, 1), "same") == (3, 2, 2)
    assert pool_output_shape((5, 2, 2), (3, 2), (2, 1), "same") == (3, 2, 2)
    inp, filt = np.ones((5, 2, 2)), np.ones((3, 2, 2, 2))
    assert conv2d_strided(inp, filt, np.zeros(2), stride=2, padding="same").shape == (3, 1, 2)  # ceil(2/2) = 1


def test_tensorflow_pad_along_5_is_2_top_3_bottom():
    """A 6-tall filter at stride 1 needs pad_along_height = 5 (TF's formula: 6 - 1)."""
    assert same_pad_amounts(4, 6, 1) == (2, 3)
    x = np.array([1.0, 2.0, 3.0, 4.0]).reshape(4, 1, 1)
    top = np.zeros((6, 1, 1, 1))
    top[0] = 1.0             # reads the window's first row: 2 zeros of padding, then x
    np.testing.assert_array_equal(conv2d_strided(x, top, np.zeros(1), 1, "same").ravel(), [0, 0, 1, 2])
    bottom = np.zeros((6, 1, 1, 1))
    bottom[5] = 1.0          # reads the window's last row: x[3:], then 3 zeros of padding
    np.testing.assert_array_equal(conv2d_strided(x, bottom, np.zeros(1), 1, "same").ravel(), [4, 0, 0, 0])


def test_tensorflow_pools_ignore_padded_values():
    """Same docstring: "In case of pools, the padded input values are ignored ... equivalent to
    the padded values being -infinity" (max pool)."""
    x = -np.arange(1.0, 10.0).reshape(3, 3, 1)       # all negative
    out = pool2d(x, 2, 1, "same", "max")[:, :, 0]
    np.testing.assert_array_equal(out, [[-1, -2, -3], [-4, -5, -6], [-7, -8, -9]])


# ----------------------------------------------------------- Keras docstrings

# Source: keras-team/tf-keras, tf_keras/layers/pooling/max_pooling2d.py and average_pooling2d.py
# (commit 6add81a967a830418b1507ac99ddba2d4e43a62b): the MaxPooling2D / AveragePooling2D docstring
# examples with their printed outputs. (Keras 3's docstrings keep the inputs but drop the outputs.)
X3 = np.array([[1., 2., 3.], [4., 5., 6.], [7., 8., 9.]])[:, :, None]
X34 = np.array([[1., 2., 3., 4.], [5., 6., 7., 8.], [9., 10., 11., 12.]])[:, :, None]


@pytest.mark.parametrize("x,kwargs,expected", [
    (X3, {"pool_size": 2, "strides": 1, "padding": "valid"}, [[5., 6.], [8., 9.]]),
    (X34, {"pool_size": 2, "strides": 2, "padding": "valid"}, [[6., 8.]]),
    (X3, {"pool_size": 2, "strides": 1, "padding": "same"}, [[5., 6., 6.], [8., 9., 9.], [8., 9., 9.]]),
    (np.array([[1., 1., 2., 4.], [2., 2., 3., 2.], [4., 1., 1., 1.], [2., 2., 1., 4.]])[:, :, None],
     {"pool_size": 2}, [[2., 4.], [4., 4.]]),          # "Usage Example": default strides
])
def test_keras_max_pooling2d_docstring(x, kwargs, expected):
    np.testing.assert_array_equal(pool2d(x, mode="max", **kwargs)[:, :, 0], expected)
    assert pool_output_shape(x.shape, kwargs["pool_size"], kwargs.get("strides"),
                             kwargs.get("padding", "valid")) == np.shape(expected) + (1,)


@pytest.mark.parametrize("x,kwargs,expected", [
    (X3, {"pool_size": 2, "strides": 1, "padding": "valid"}, [[3., 4.], [6., 7.]]),
    (X34, {"pool_size": 2, "strides": 2, "padding": "valid"}, [[3.5, 5.5]]),
    (X3, {"pool_size": 2, "strides": 1, "padding": "same"}, [[3., 4., 4.5], [6., 7., 7.5], [7.5, 8.5, 9.]]),
])
def test_keras_average_pooling2d_docstring(x, kwargs, expected):
    np.testing.assert_array_equal(pool2d(x, mode="avg", **kwargs)[:, :, 0], expected)


# Source: Keras 3 (3.15), keras/src/ops/operation_utils.py, compute_pooling_output_shape docstring:
# (1, 4, 4, 1) pool (2, 2) -> (1, 2, 2, 1); strides (1, 1) -> (1, 3, 3, 1); (32, 4, 4, 3) -> (32, 2, 2, 3).
@pytest.mark.parametrize("input_shape,pool_size,strides,expected", [
    ((4, 4, 1), (2, 2), None, (2, 2, 1)), ((4, 4, 1), (2, 2), (1, 1), (3, 3, 1)), ((4, 4, 3), (2, 2), None, (2, 2, 3))])
def test_keras_compute_pooling_output_shape_docstring(input_shape, pool_size, strides, expected):
    assert pool_output_shape(input_shape, pool_size, strides) == expected
