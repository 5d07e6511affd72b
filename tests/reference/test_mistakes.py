"""Tests for reference/mistakes.py: each known-wrong variant computes exactly its mistake.

For every variant: (1) it equals an independent computation of that mistake
(TensorFlow, Keras or a plain loop), (2) it differs from the reference and from
the task's other variants on a suitable input, so a diagnosis is unambiguous,
and (3) it has the task's signature.
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import inspect
import pathlib
import re

import keras
import numpy as np
import pytest
import tensorflow as tf

from reference import convolution, mistakes, padding, pooling
from reference.mistakes import MISTAKES

ROOT = pathlib.Path(__file__).resolve().parents[2]
REFERENCES = {name: getattr(module, name) for module in (convolution, padding, pooling) for name in module.__all__}


def differ(a, b):
    """True if the grader's tolerance tells a and b apart (shape or values)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return True
    atol = 1e-4 * max(1.0, float(np.max(np.abs(b))) if b.size else 1.0)
    return not np.allclose(a, b, rtol=1e-4, atol=atol)


def tf_conv(x, filters, stride=1, padding="VALID"):
    return tf.nn.conv2d(x[None], filters, stride, padding)[0].numpy()


def rng_for(*seed):
    return np.random.default_rng(list(seed))


# ----------------------------------------------------------- the registry

def test_registry_covers_every_variant_and_names_real_tasks():
    public = {name for name, f in vars(mistakes).items()
              if inspect.isfunction(f) and not name.startswith("_") and f.__module__ == mistakes.__name__}
    listed = {f.__name__ for variants in MISTAKES.values() for f in variants}
    assert listed == public
    for task, variants in MISTAKES.items():
        assert task in REFERENCES
        for variant in variants:
            assert variant.__name__.startswith(task + "_")


@pytest.mark.parametrize("task,variant", [(t, v) for t, vs in MISTAKES.items() for v in vs],
                         ids=lambda v: getattr(v, "__name__", str(v)))
def test_variant_has_the_task_signature_and_a_one_line_docstring(task, variant):
    ref, wrong = inspect.signature(REFERENCES[task]), inspect.signature(variant)
    assert [(p.name, p.default) for p in wrong.parameters.values()] == \
           [(p.name, p.default) for p in ref.parameters.values()]
    assert variant.__doc__ and "\n" not in variant.__doc__.strip()


def test_every_variant_the_grader_names_exists():
    """The exercise declarations (read as text, not imported) only name variants that exist."""
    sources = sorted((ROOT / "autograder" / "exercises").glob("ex*.py"))
    assert sources, "no exercise declarations found in autograder/exercises/"
    named = {m for path in sources for m in re.findall(r"mistakes\.([A-Za-z_]\w*)", path.read_text())}
    assert named <= set(vars(mistakes)), named - set(vars(mistakes))


# ----------------------------------------------------------- distinguishable diagnoses

X_EDGE = rng_for(1).normal(size=(6, 7))
K_23 = rng_for(2).normal(size=(2, 3))
X3 = rng_for(3).normal(size=(6, 7, 3))
W3 = rng_for(4).normal(size=(3, 2, 3, 2))
B3 = rng_for(5).normal(size=2) + 1.0
X_SAME = rng_for(6).normal(size=(6, 8, 2))          # 6 and 8 with a 3x3 kernel, stride 2: odd total padding
W_SAME = rng_for(7).normal(size=(3, 3, 2, 2))
NEG = -np.abs(rng_for(8).normal(size=(5, 7, 2))) - 1.0   # all negative, odd sides: "same" pads

# (task, variant, args, kwargs): an input on which this variant differs from the reference
# and from every other variant of its task.
DIAGNOSTIC = [
    ("to_unit_range", mistakes.to_unit_range_no_scale, (rng_for(9).integers(1, 256, (4, 5, 3), dtype=np.uint8),), {}),
    ("conv2d_single", mistakes.conv2d_single_flipped, (X_EDGE, K_23), {}),
    ("conv2d_single", mistakes.conv2d_single_same_size, (X_EDGE, K_23), {}),
    ("conv2d", mistakes.conv2d_flipped, (X3, W3, B3), {}),
    ("conv2d", mistakes.conv2d_no_bias, (X3, W3, B3), {}),
    ("conv2d", mistakes.conv2d_first_channel_only, (X3, W3, B3), {}),
    ("conv_output_size", mistakes.conv_output_size_float, (8, 3, 0, 2), {}),
    ("conv_output_size", mistakes.conv_output_size_no_plus_one, (8, 3, 2, 1), {}),
    ("conv_output_size", mistakes.conv_output_size_one_side_padding, (7, 3, 2, 1), {}),
    ("zero_pad", mistakes.zero_pad_channels_too, (X3, 2), {}),
    ("conv2d_strided", mistakes.conv2d_strided_symmetric_same, (X_SAME, W_SAME, np.zeros(2)),
     {"stride": 2, "padding": "same"}),
    ("conv2d_strided", mistakes.conv2d_strided_stride_ignored, (X_SAME, W_SAME, np.zeros(2)),
     {"stride": 2, "padding": "same"}),
    ("pool2d", mistakes.pool2d_stride_one, (NEG,), {}),
    ("pool2d", mistakes.pool2d_min_as_max, (NEG,), {"mode": "min"}),
    ("pool2d", mistakes.pool2d_avg_counts_padding, (NEG,), {"padding": "same", "mode": "avg"}),
    ("pool2d", mistakes.pool2d_same_pads_zero_for_max, (NEG,), {"padding": "same"}),
    ("pool_output_shape", mistakes.pool_output_shape_stride_one, ((7, 9, 2),), {}),
    ("global_average_pool", mistakes.global_average_pool_wrong_axis, (X3,), {}),
]


def test_diagnostic_table_covers_every_variant_but_the_dtype_only_one():
    covered = {variant for _, variant, _, _ in DIAGNOSTIC}
    every = {v for vs in MISTAKES.values() for v in vs}
    assert every - covered == {mistakes.to_unit_range_float64}   # same values: told apart by dtype below


@pytest.mark.parametrize("task,variant,args,kwargs", DIAGNOSTIC, ids=[d[1].__name__ for d in DIAGNOSTIC])
def test_variant_is_distinguishable(task, variant, args, kwargs):
    wrong = variant(*args, **kwargs)
    assert differ(wrong, REFERENCES[task](*args, **kwargs))
    for other in MISTAKES[task]:
        if other is variant:
            continue
        try:
            theirs = other(*args, **kwargs)
        except ValueError:
            continue
        if other is mistakes.to_unit_range_float64:
            continue   # equal values to the reference by design
        assert differ(wrong, theirs), other.__name__


@pytest.mark.parametrize("task,variant,args,kwargs", DIAGNOSTIC, ids=[d[1].__name__ for d in DIAGNOSTIC])
def test_variant_does_not_mutate_its_inputs(task, variant, args, kwargs):
    before = [np.copy(a) if isinstance(a, np.ndarray) else a for a in args]
    variant(*args, **kwargs)
    for a, b in zip(args, before):
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, b)


# ----------------------------------------------------------- each mistake, computed independently

def test_to_unit_range_variants():
    image = np.arange(256, dtype=np.uint8).reshape(16, 16)
    float64 = mistakes.to_unit_range_float64(image)
    assert float64.dtype == np.float64 and convolution.to_unit_range(image).dtype == np.float32
    np.testing.assert_allclose(float64, image / 255.0, rtol=1e-12)
    no_scale = mistakes.to_unit_range_no_scale(image)
    assert no_scale.dtype == np.float32
    np.testing.assert_array_equal(no_scale, np.arange(256.0).reshape(16, 16))


def true_convolution(image, kernel):
    """Mathematical convolution (valid part), written out: the kernel index runs backwards."""
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = sum(image[i + a, j + b] * kernel[kh - 1 - a, kw - 1 - b]
                            for a in range(kh) for b in range(kw))
    return out


def test_conv2d_single_flipped_is_true_convolution():
    np.testing.assert_allclose(mistakes.conv2d_single_flipped(X_EDGE, K_23), true_convolution(X_EDGE, K_23),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(mistakes.conv2d_single_flipped(X_EDGE, K_23),
                               convolution.conv2d_single(X_EDGE, np.flip(K_23)), rtol=1e-12, atol=1e-12)
    # a kernel symmetric under a 180-degree rotation cannot reveal the flip
    symmetric = np.array([[1.0, 2.0, 1.0], [0.0, 5.0, 0.0], [1.0, 2.0, 1.0]])
    np.testing.assert_allclose(mistakes.conv2d_single_flipped(X_EDGE, symmetric),
                               convolution.conv2d_single(X_EDGE, symmetric), rtol=1e-12, atol=1e-12)


def test_conv2d_single_same_size_is_tensorflow_same():
    out = mistakes.conv2d_single_same_size(X_EDGE, K_23)
    assert out.shape == X_EDGE.shape
    np.testing.assert_allclose(out, tf_conv(X_EDGE[:, :, None], K_23[:, :, None, None], 1, "SAME")[:, :, 0],
                               rtol=1e-10, atol=1e-10)


def test_conv2d_variants():
    flipped = sum(true_convolution(X3[:, :, c], W3[:, :, c, 1]) for c in range(3)) + B3[1]
    np.testing.assert_allclose(mistakes.conv2d_flipped(X3, W3, B3)[:, :, 1], flipped, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(mistakes.conv2d_no_bias(X3, W3, B3), tf_conv(X3, W3), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(mistakes.conv2d_first_channel_only(X3, W3, B3),
                               tf_conv(X3[:, :, :1], W3[:, :, :1]) + B3, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("n,f,p,s", [(8, 3, 0, 2), (7, 3, 0, 2), (10, 4, 1, 3), (6, 3, 1, 1)])
def test_conv_output_size_variants(n, f, p, s):
    as_float = mistakes.conv_output_size_float(n, f, p, s)
    assert isinstance(as_float, float) and as_float == (n + 2 * p - f) / s + 1
    right = padding.conv_output_size(n, f, p, s)
    assert mistakes.conv_output_size_no_plus_one(n, f, p, s) == right - 1
    one_side = tf.nn.conv2d(np.ones((1, n, n, 1)), np.ones((f, f, 1, 1)), s, [[0, 0], [p, 0], [p, 0], [0, 0]])
    assert mistakes.conv_output_size_one_side_padding(n, f, p, s) == one_side.shape[1]


def test_zero_pad_channels_too():
    out = mistakes.zero_pad_channels_too(X3, 2)
    assert out.shape == (10, 11, 7)
    np.testing.assert_array_equal(out, tf.pad(X3, [[2, 2], [2, 2], [2, 2]]).numpy())


def test_conv2d_strided_symmetric_same_puts_the_extra_pixel_top_left():
    (top, bottom), (left, right) = padding.same_pad_amounts(6, 3, 2), padding.same_pad_amounts(8, 3, 2)
    assert (top + bottom) % 2 == 1 and (left + right) % 2 == 1
    expected = tf_conv(X_SAME, W_SAME, 2, [[0, 0], [bottom, top], [right, left], [0, 0]])
    np.testing.assert_allclose(mistakes.conv2d_strided_symmetric_same(X_SAME, W_SAME, np.zeros(2), 2, "same"),
                               expected, rtol=1e-10, atol=1e-10)
    # with an even total padding there is nothing to split wrongly
    x7 = rng_for(10).normal(size=(7, 7, 2))
    np.testing.assert_allclose(mistakes.conv2d_strided_symmetric_same(x7, W_SAME, np.ones(2), 2, "same"),
                               padding.conv2d_strided(x7, W_SAME, np.ones(2), 2, "same"), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(mistakes.conv2d_strided_symmetric_same(X_SAME, W_SAME, np.ones(2), 2, 1),
                                  padding.conv2d_strided(X_SAME, W_SAME, np.ones(2), 2, 1))


@pytest.mark.parametrize("pad", [0, 1, "valid", "same"])
def test_conv2d_strided_stride_ignored(pad):
    wrong = mistakes.conv2d_strided_stride_ignored(X_SAME, W_SAME, np.ones(2), stride=3, padding=pad)
    np.testing.assert_array_equal(wrong, padding.conv2d_strided(X_SAME, W_SAME, np.ones(2), stride=1, padding=pad))


def test_pool2d_stride_one():
    np.testing.assert_allclose(mistakes.pool2d_stride_one(NEG, 2), tf.nn.max_pool2d(NEG[None], 2, 1, "VALID")[0],
                               rtol=1e-6)
    np.testing.assert_array_equal(mistakes.pool2d_stride_one(NEG, 2, 2), pooling.pool2d(NEG, 2, 2))


def test_pool2d_min_as_max():
    np.testing.assert_allclose(mistakes.pool2d_min_as_max(NEG, 2, None, "same", "min"),
                               tf.nn.max_pool2d(NEG[None], 2, 2, "SAME")[0], rtol=1e-6)
    for mode in ("max", "avg"):
        np.testing.assert_array_equal(mistakes.pool2d_min_as_max(NEG, 3, 1, "same", mode),
                                      pooling.pool2d(NEG, 3, 1, "same", mode))


def _tf_zero_padded(x, size, stride):
    (t, b), (l, r) = (padding.same_pad_amounts(x.shape[0], size, stride),
                      padding.same_pad_amounts(x.shape[1], size, stride))
    return tf.pad(x[None], [[0, 0], [t, b], [l, r], [0, 0]])


@pytest.mark.parametrize("size,stride", [(2, 2), (3, 1), (3, 2)])
def test_pool2d_avg_counts_padding(size, stride):
    padded = _tf_zero_padded(NEG, size, stride)
    expected = tf.nn.avg_pool2d(padded, size, stride, "VALID")[0].numpy()
    np.testing.assert_allclose(mistakes.pool2d_avg_counts_padding(NEG, size, stride, "same", "avg"), expected,
                               rtol=1e-10, atol=1e-10)
    np.testing.assert_array_equal(mistakes.pool2d_avg_counts_padding(NEG, size, stride, "valid", "avg"),
                                  pooling.pool2d(NEG, size, stride, "valid", "avg"))


@pytest.mark.parametrize("size,stride", [(2, 2), (3, 1), (3, 2)])
def test_pool2d_same_pads_zero_for_max(size, stride):
    padded = _tf_zero_padded(NEG, size, stride)
    expected = tf.nn.max_pool2d(padded, size, stride, "VALID")[0].numpy()
    wrong = mistakes.pool2d_same_pads_zero_for_max(NEG, size, stride, "same", "max")
    np.testing.assert_allclose(wrong, expected, rtol=1e-6)
    assert np.max(wrong) == 0.0                      # a padding zero won
    # zero padding cannot win a max over positive inputs, nor a min over negative ones
    np.testing.assert_array_equal(mistakes.pool2d_same_pads_zero_for_max(-NEG, size, stride, "same", "max"),
                                  pooling.pool2d(-NEG, size, stride, "same", "max"))
    np.testing.assert_array_equal(mistakes.pool2d_same_pads_zero_for_max(NEG, size, stride, "same", "min"),
                                  pooling.pool2d(NEG, size, stride, "same", "min"))


@pytest.mark.parametrize("input_shape,pool_size", [((7, 9, 2), 2), ((12, 10, 3), (3, 2)), ((5, 5, 1), 3)])
def test_pool_output_shape_stride_one_is_keras_with_strides_1(input_shape, pool_size):
    expected = keras.layers.MaxPooling2D(pool_size, strides=1).compute_output_shape((None,) + input_shape)[1:]
    assert mistakes.pool_output_shape_stride_one(input_shape, pool_size) == tuple(expected)


def test_global_average_pool_wrong_axis():
    out = mistakes.global_average_pool_wrong_axis(X3)
    assert out.shape == X3.shape[:2]
    np.testing.assert_allclose(out, tf.reduce_mean(X3, axis=-1).numpy(), rtol=1e-12)
