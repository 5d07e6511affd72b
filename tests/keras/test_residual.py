"""Tests for reference/residual.py (ex5), against the lecture's listing typed here."""

import os

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"

import numpy as np
import pytest

import keras
from keras import layers

from reference.residual import build_residual_model, residual_block


# The lecture's listing, verbatim (only wrapped in a function).
def _listing_model():
    inputs = keras.Input(shape=(32, 32, 3))
    x = layers.Rescaling(1./255)(inputs)

    def residual_block(x, filters, pooling=False):
        residual = x
        x = layers.Conv2D(filters, 3, activation="relu", padding="same")(x)
        x = layers.Conv2D(filters, 3, activation="relu", padding="same")(x)
        if pooling:
            x = layers.MaxPooling2D(2, padding="same")(x)
            residual = layers.Conv2D(filters, 1, strides=2)(residual)
        elif filters != residual.shape[-1]:
            residual = layers.Conv2D(filters, 1)(residual)
        x = layers.add([x, residual])
        return x

    x = residual_block(x, filters=32, pooling=True)
    x = residual_block(x, filters=64, pooling=True)
    x = residual_block(x, filters=128, pooling=False)

    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)
    return model


def _conv_params(k, c_in, c_out):
    """Weights of a k x k Conv2D from c_in to c_out channels, with bias."""
    return k * k * c_in * c_out + c_out


def _block_params(c_in, f, pooling):
    n = _conv_params(3, c_in, f) + _conv_params(3, f, f)
    if pooling or c_in != f:
        n += _conv_params(1, c_in, f)
    return n


def _block_model(input_shape, filters, pooling):
    inputs = keras.Input(shape=input_shape)
    return keras.Model(inputs, residual_block(inputs, filters, pooling=pooling))


def _convs(model):
    return [l for l in model.layers if isinstance(l, layers.Conv2D)]


def _zero_3x3_convs(model):
    for conv in _convs(model):
        if conv.kernel_size == (3, 3):
            conv.set_weights([np.zeros_like(w) for w in conv.get_weights()])


# ------------------------------------------------------------------ blocks

def test_identity_shortcut_when_filters_equal_without_pooling():
    model = _block_model((8, 8, 16), 16, pooling=False)
    assert model.output.shape[1:] == (8, 8, 16)
    convs = _convs(model)
    assert [c.kernel_size for c in convs] == [(3, 3), (3, 3)]
    assert model.count_params() == _block_params(16, 16, False) == 2 * (9 * 16 * 16 + 16)
    assert sum(isinstance(l, layers.Add) for l in model.layers) == 1
    # with the residual branch zeroed (relu(0) = 0), the block is the identity
    _zero_3x3_convs(model)
    x = np.random.default_rng(0).normal(size=(2, 8, 8, 16)).astype("float32")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model(x)), x, atol=1e-6)


def test_projection_shortcut_when_filters_differ():
    model = _block_model((8, 8, 16), 32, pooling=False)
    assert model.output.shape[1:] == (8, 8, 32)
    one_by_one = [c for c in _convs(model) if c.kernel_size == (1, 1)]
    assert len(one_by_one) == 1 and one_by_one[0].strides == (1, 1)
    assert tuple(one_by_one[0].kernel.shape) == (1, 1, 16, 32)
    assert model.count_params() == _block_params(16, 32, False)
    _zero_3x3_convs(model)
    rng = np.random.default_rng(1)
    k = rng.normal(size=(1, 1, 16, 32)).astype("float32")
    b = rng.normal(size=(32,)).astype("float32")
    one_by_one[0].set_weights([k, b])
    x = rng.normal(size=(2, 8, 8, 16)).astype("float32")
    expected = np.einsum("nhwc,cf->nhwf", x, k[0, 0]) + b
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model(x)), expected,
                               rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("c_in,filters", [(16, 16), (3, 32)])
def test_strided_projection_when_pooling(c_in, filters):
    # pooling always projects, even when the filters equal the channels
    model = _block_model((8, 8, c_in), filters, pooling=True)
    assert model.output.shape[1:] == (4, 4, filters)
    pools = [l for l in model.layers if isinstance(l, layers.MaxPooling2D)]
    assert len(pools) == 1
    assert pools[0].pool_size == (2, 2) and pools[0].padding == "same"
    one_by_one = [c for c in _convs(model) if c.kernel_size == (1, 1)]
    assert len(one_by_one) == 1 and one_by_one[0].strides == (2, 2)
    assert model.count_params() == _block_params(c_in, filters, True)
    _zero_3x3_convs(model)
    rng = np.random.default_rng(2)
    k = rng.normal(size=(1, 1, c_in, filters)).astype("float32")
    b = rng.normal(size=(filters,)).astype("float32")
    one_by_one[0].set_weights([k, b])
    x = rng.normal(size=(2, 8, 8, c_in)).astype("float32")
    expected = np.einsum("nhwc,cf->nhwf", x[:, ::2, ::2], k[0, 0]) + b
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model(x)), expected,
                               rtol=1e-4, atol=1e-4)


def test_pooling_rounds_up_odd_sides():
    model = _block_model((7, 9, 4), 8, pooling=True)
    assert model.output.shape[1:] == (4, 5, 8)


def test_first_block_hand_count():
    # Conv2D(3x3, 3->32) + Conv2D(3x3, 32->32) + Conv2D(1x1, 3->32)
    model = _block_model((32, 32, 3), 32, pooling=True)
    assert model.count_params() == (9 * 3 * 32 + 32) + (9 * 32 * 32 + 32) + (3 * 32 + 32)


# ------------------------------------------------------------------ model

def test_model_matches_listing_structure_and_params():
    model = build_residual_model()
    listing = _listing_model()
    assert isinstance(model, keras.Model)
    expected_params = (_block_params(3, 32, True) + _block_params(32, 64, True)
                       + _block_params(64, 128, False) + (128 + 1))
    assert listing.count_params() == expected_params
    assert model.count_params() == expected_params
    assert ([type(l).__name__ for l in model.layers]
            == [type(l).__name__ for l in listing.layers])
    assert ([tuple(l.output.shape) for l in model.layers]
            == [tuple(l.output.shape) for l in listing.layers])
    assert tuple(model.input.shape) == (None, 32, 32, 3)
    assert tuple(model.output.shape) == (None, 1)


def test_model_block_output_shapes():
    model = build_residual_model()
    adds = [l for l in model.layers if isinstance(l, layers.Add)]
    assert [tuple(a.output.shape[1:]) for a in adds] == [(16, 16, 32), (8, 8, 64), (8, 8, 128)]
    gap = [l for l in model.layers if isinstance(l, layers.GlobalAveragePooling2D)]
    assert len(gap) == 1 and tuple(gap[0].output.shape) == (None, 128)
    dense = [l for l in model.layers if isinstance(l, layers.Dense)]
    assert len(dense) == 1 and dense[0].units == 1
    assert dense[0].activation is keras.activations.sigmoid


def test_model_rescales_first():
    model = build_residual_model()
    rescaling = [l for l in model.layers if isinstance(l, layers.Rescaling)]
    assert len(rescaling) == 1
    assert float(rescaling[0].scale) == pytest.approx(1 / 255)
    assert float(rescaling[0].offset) == 0.0
    assert model.layers.index(rescaling[0]) == 1          # right after the Input


def test_model_outputs_equal_listing_with_same_weights():
    keras.utils.set_random_seed(0)
    model = build_residual_model()
    listing = _listing_model()
    listing.set_weights(model.get_weights())
    x = np.random.default_rng(0).uniform(0, 255, size=(3, 32, 32, 3)).astype("float32")
    ours = keras.ops.convert_to_numpy(model(x))
    theirs = keras.ops.convert_to_numpy(listing(x))
    assert ours.shape == (3, 1)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


def test_model_other_input_shape():
    model = build_residual_model(input_shape=(24, 20, 1))
    adds = [l for l in model.layers if isinstance(l, layers.Add)]
    assert [tuple(a.output.shape[1:]) for a in adds] == [(12, 10, 32), (6, 5, 64), (6, 5, 128)]
    assert model.count_params() == (_block_params(1, 32, True) + _block_params(32, 64, True)
                                    + _block_params(64, 128, False) + 129)
