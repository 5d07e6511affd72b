"""Tests for reference/convolution.py (ex1), against TensorFlow on random inputs.

Also the checks that concern every NumPy reference module (ex1-ex3 and the
mistakes): they never import TensorFlow/Keras, (speed is measured in benchmarks/, not here).
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import ast
import pathlib
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from reference.convolution import conv2d, conv2d_single, to_unit_range

ROOT = pathlib.Path(__file__).resolve().parents[2]
NUMPY_MODULES = ["convolution", "padding", "pooling", "mistakes"]


def tf_conv(x, filters, bias=None, stride=1, padding="VALID"):
    """TensorFlow's answer for one (H, W, C) image, as float64 NumPy."""
    out = tf.nn.conv2d(x[None], filters, stride, padding)[0].numpy()
    return out if bias is None else out + bias


def read_only(*arrays):
    """Copies of ``arrays`` that raise if anyone writes into them."""
    out = []
    for a in arrays:
        a = np.array(a)
        a.setflags(write=False)
        out.append(a)
    return out


# ----------------------------------------------------------- to_unit_range

@pytest.mark.parametrize("shape", [(7,), (5, 6), (9, 8, 3), (2, 3, 4, 3), ()])
def test_to_unit_range_dtype_shape_values(shape):
    rng = np.random.default_rng(len(shape))
    image = rng.integers(0, 256, size=shape, dtype=np.uint8)
    out = to_unit_range(image)
    assert isinstance(out, np.ndarray)
    assert out.dtype == np.float32
    assert out.shape == image.shape
    np.testing.assert_allclose(out, image.astype(np.float64) / 255.0, rtol=1e-6, atol=1e-7)


def test_to_unit_range_every_uint8_value_and_keras_rescaling():
    image = np.arange(256, dtype=np.uint8).reshape(16, 16, 1)
    out = to_unit_range(image)
    assert out.dtype == np.float32
    assert out.min() == 0.0 and out.max() == 1.0
    assert np.all(np.diff(out.ravel()) > 0)
    keras_out = keras.layers.Rescaling(1.0 / 255)(image[None].astype("float32"))
    np.testing.assert_allclose(out, np.asarray(keras_out)[0], rtol=1e-6, atol=1e-7)


def test_to_unit_range_does_not_mutate_and_accepts_read_only():
    image = np.random.default_rng(0).integers(0, 256, size=(4, 5, 3), dtype=np.uint8)
    before = image.copy()
    (frozen,) = read_only(image)
    to_unit_range(image)
    to_unit_range(frozen)
    np.testing.assert_array_equal(image, before)
    assert image.dtype == np.uint8


# ----------------------------------------------------------- conv2d_single

SINGLE_COMBOS = [((6, 6), (3, 3)), ((7, 7), (3, 3)), ((8, 6), (2, 3)), ((5, 9), (1, 4)),
                 ((6, 5), (4, 1)), ((4, 4), (4, 4)), ((10, 11), (5, 3)), ((1, 1), (1, 1)),
                 ((3, 8), (2, 2)), ((9, 4), (2, 4)), ((12, 7), (6, 5)), ((5, 5), (1, 1))]


@pytest.mark.parametrize("image_shape,kernel_shape", SINGLE_COMBOS)
def test_conv2d_single_matches_tensorflow(image_shape, kernel_shape):
    rng = np.random.default_rng(sum(image_shape) * 31 + sum(kernel_shape))
    image = rng.normal(size=image_shape)
    kernel = rng.normal(size=kernel_shape)
    out = conv2d_single(image, kernel)
    expected = tf_conv(image[:, :, None], kernel[:, :, None, None])[:, :, 0]
    assert out.shape == (image_shape[0] - kernel_shape[0] + 1, image_shape[1] - kernel_shape[1] + 1)
    assert out.dtype.kind == "f"
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-10)


def test_conv2d_single_matches_definition_with_loops():
    """out[i, j] = sum(image[i:i+kh, j:j+kw] * kernel), written out with loops."""
    rng = np.random.default_rng(7)
    image, kernel = rng.normal(size=(7, 9)), rng.normal(size=(3, 2))
    expected = np.array([[np.sum(image[i:i + 3, j:j + 2] * kernel) for j in range(8)] for i in range(5)])
    np.testing.assert_allclose(conv2d_single(image, kernel), expected, rtol=1e-12, atol=1e-12)


def test_conv2d_single_accepts_lists_and_integers():
    out = conv2d_single([[1, 2, 3], [4, 5, 6]], [[1, 1]])
    assert out.dtype.kind == "f"
    np.testing.assert_array_equal(out, [[3.0, 5.0], [9.0, 11.0]])


@pytest.mark.parametrize("image,kernel", [
    (np.ones((3, 6)), np.ones((4, 2))),        # kernel taller than the image
    (np.ones((6, 3)), np.ones((2, 4))),        # kernel wider than the image
    (np.ones((2, 2)), np.ones((3, 3))),        # larger in both
    (np.ones((5, 5, 2)), np.ones((3, 3))),     # 3-D image
    (np.ones((5, 5)), np.ones((3, 3, 1))),     # 3-D kernel
    (np.ones(5), np.ones((1, 1))),             # 1-D image
    (np.ones((5, 5)), np.ones(3)),             # 1-D kernel
    (np.ones((5, 5)), np.ones((0, 2))),        # empty kernel
])
def test_conv2d_single_raises_value_error(image, kernel):
    with pytest.raises(ValueError):
        conv2d_single(image, kernel)


def test_conv2d_single_does_not_mutate():
    rng = np.random.default_rng(3)
    image, kernel = rng.normal(size=(6, 5)), rng.normal(size=(3, 3))
    before = image.copy(), kernel.copy()
    conv2d_single(image, kernel)
    conv2d_single(*read_only(image, kernel))
    np.testing.assert_array_equal(image, before[0])
    np.testing.assert_array_equal(kernel, before[1])


# ----------------------------------------------------------- conv2d

CONV_COMBOS = [((6, 6, 3), (3, 3), 4), ((7, 5, 1), (2, 3), 2), ((5, 8, 4), (3, 1), 1),
               ((9, 9, 2), (5, 5), 3), ((4, 6, 3), (4, 2), 5), ((8, 7, 2), (1, 1), 3),
               ((3, 3, 3), (3, 3), 1), ((10, 6, 1), (4, 3), 6), ((6, 9, 5), (2, 2), 2),
               ((5, 5, 2), (5, 1), 4)]


@pytest.mark.parametrize("x_shape,kernel,n_filters", CONV_COMBOS)
def test_conv2d_matches_tensorflow(x_shape, kernel, n_filters):
    rng = np.random.default_rng(sum(x_shape) * 101 + sum(kernel) * 7 + n_filters)
    x = rng.normal(size=x_shape)
    filters = rng.normal(size=kernel + (x_shape[2], n_filters))
    bias = rng.normal(size=n_filters)
    out = conv2d(x, filters, bias)
    assert out.shape == (x_shape[0] - kernel[0] + 1, x_shape[1] - kernel[1] + 1, n_filters)
    assert out.dtype.kind == "f"
    np.testing.assert_allclose(out, tf_conv(x, filters, bias), rtol=1e-10, atol=1e-10)


def test_conv2d_float32_inputs_match_tensorflow_float32():
    rng = np.random.default_rng(11)
    x = rng.normal(size=(8, 8, 3)).astype(np.float32)
    filters = rng.normal(size=(3, 3, 3, 4)).astype(np.float32)
    bias = rng.normal(size=4).astype(np.float32)
    np.testing.assert_allclose(conv2d(x, filters, bias), tf_conv(x, filters, bias), rtol=1e-5, atol=1e-5)


def test_conv2d_bias_is_added_per_filter():
    x, filters = np.zeros((4, 4, 2)), np.ones((3, 3, 2, 3))
    out = conv2d(x, filters, np.array([1.0, -2.0, 0.5]))
    np.testing.assert_array_equal(out, np.broadcast_to([1.0, -2.0, 0.5], (2, 2, 3)))


def test_conv2d_channel_f_is_conv2d_single_summed_over_channels():
    rng = np.random.default_rng(5)
    x, filters, bias = rng.normal(size=(6, 7, 3)), rng.normal(size=(2, 3, 3, 2)), rng.normal(size=2)
    out = conv2d(x, filters, bias)
    for f in range(2):
        expected = sum(conv2d_single(x[:, :, c], filters[:, :, c, f]) for c in range(3)) + bias[f]
        np.testing.assert_allclose(out[:, :, f], expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("x,filters,bias", [
    (np.ones((6, 6, 3)), np.ones((3, 3, 2, 4)), np.ones(4)),   # channels differ
    (np.ones((4, 4, 2)), np.ones((3, 3, 3, 1)), np.zeros(1)),  # channels differ
    (np.ones((6, 6, 2)), np.ones((3, 3, 2, 4)), np.ones(3)),   # bias too short
    (np.ones((6, 6, 2)), np.ones((3, 3, 2, 4)), np.ones(5)),   # bias too long
    (np.ones((6, 6, 2)), np.ones((3, 3, 2, 1)), np.ones((1, 1))),  # bias not 1-D
    (np.ones((6, 6)), np.ones((3, 3, 1, 1)), np.ones(1)),      # x not 3-D
    (np.ones((6, 6, 1)), np.ones((3, 3, 1)), np.ones(1)),      # filters not 4-D
    (np.ones((2, 6, 1)), np.ones((3, 3, 1, 1)), np.ones(1)),   # kernel taller than x
    (np.ones((6, 2, 1)), np.ones((3, 3, 1, 1)), np.ones(1)),   # kernel wider than x
])
def test_conv2d_raises_value_error(x, filters, bias):
    with pytest.raises(ValueError):
        conv2d(x, filters, bias)


def test_conv2d_does_not_mutate():
    rng = np.random.default_rng(9)
    args = [rng.normal(size=(5, 5, 2)), rng.normal(size=(2, 2, 2, 3)), rng.normal(size=3)]
    before = [a.copy() for a in args]
    conv2d(*args)
    conv2d(*read_only(*args))
    for a, b in zip(args, before):
        np.testing.assert_array_equal(a, b)


# ----------------------------------------------------------- every NumPy reference module

def test_reference_modules_never_import_tensorflow_or_keras():
    """Importing and running the NumPy references loads neither TensorFlow nor Keras."""
    code = ("import sys, numpy as np\n"
            "from reference import convolution, padding, pooling, mistakes\n"
            "convolution.conv2d(np.ones((4, 4, 1)), np.ones((3, 3, 1, 1)), np.zeros(1))\n"
            "padding.conv2d_strided(np.ones((4, 4, 1)), np.ones((3, 3, 1, 1)), np.zeros(1), 2, 'same')\n"
            "pooling.pool2d(np.ones((4, 4, 1)), 2, None, 'same', 'avg')\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'tf_keras'))\n"
            "assert not bad, bad\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("module", NUMPY_MODULES)
def test_reference_source_has_no_tensorflow_import(module):
    """No import of tensorflow/keras anywhere in the source, not even inside a function."""
    tree = ast.parse((ROOT / "reference" / ("%s.py" % module)).read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            imported.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in (
                "__import__", "import_module"):
            raise AssertionError("dynamic import in reference/%s.py" % module)
    assert imported <= {"numpy", "numbers"}, imported
