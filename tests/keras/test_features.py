"""Tests for reference/features.py (ex6), on the shipped base and target task."""

import os

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"

import numpy as np
import pytest

import keras
from keras import layers

import coursedata
from reference.augmentation import build_augmentation
from reference.features import (build_feature_classifier, build_frozen_model,
                                extract_features, feature_maps)

# Accuracy the reference feature classifier must reach on the target task's
# test split (measured: ~0.97-0.99 over seeds 0-2 with 10 epochs).
FEATURE_CLASSIFIER_MIN_ACCURACY = 0.90


@pytest.fixture(scope="module")
def task():
    return coursedata.load_target_task()


@pytest.fixture(scope="module")
def features(task):
    x_train, y_train, x_test, y_test = task
    base = coursedata.load_pretrained_base()
    return (extract_features(base, x_train), y_train,
            extract_features(base, x_test), y_test)


def _np(t):
    return keras.ops.convert_to_numpy(t)


def _weights(model):
    return [np.array(w) for w in model.get_weights()]


# ---------------------------------------------------------- extract_features

def test_extract_features_is_inference_mode(task):
    x = task[0][:50]
    base = coursedata.load_pretrained_base()
    before = _weights(base)
    out = extract_features(base, x)
    # extracting never changes the base (BatchNormalization statistics included)
    for a, b in zip(before, _weights(base)):
        np.testing.assert_array_equal(a, b)
    assert isinstance(out, np.ndarray)
    assert out.shape == (50,) + tuple(coursedata.FEATURE_SHAPE)
    np.testing.assert_allclose(out, _np(base(x, training=False)), rtol=1e-4, atol=1e-5)
    # training mode (batch statistics, dropout) gives something else
    assert not np.allclose(out, _np(base(x, training=True)), rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("batch_size", [1, 7, 32, 1000])
def test_extract_features_independent_of_batch_size(task, batch_size):
    x = task[2][:20]
    base = coursedata.load_pretrained_base()
    np.testing.assert_allclose(extract_features(base, x, batch_size=batch_size),
                               _np(base(x, training=False)), rtol=1e-4, atol=1e-5)


def test_extract_features_default_batch_size_all_images(features, task):
    f_train, _, f_test, _ = features
    assert f_train.shape == (len(task[0]),) + tuple(coursedata.FEATURE_SHAPE)
    assert f_test.shape == (len(task[2]),) + tuple(coursedata.FEATURE_SHAPE)
    assert np.isfinite(f_train).all()


# -------------------------------------------------- build_feature_classifier

@pytest.mark.parametrize("feature_shape", [(4, 4, 32), (512,), (3, 5)])
def test_feature_classifier_architecture(feature_shape):
    model = build_feature_classifier(feature_shape, 5)
    assert isinstance(model, keras.Model)
    assert tuple(model.input.shape[1:]) == feature_shape
    assert tuple(model.output.shape) == (None, 5)
    dense = [l for l in model.layers if isinstance(l, layers.Dense)]
    assert len(dense) == 2
    assert dense[0].units == 256 and dense[0].activation is keras.activations.relu
    assert dense[1].units == 5 and dense[1].activation is keras.activations.softmax
    dropout = [l for l in model.layers if isinstance(l, layers.Dropout)]
    assert len(dropout) == 1 and dropout[0].rate == pytest.approx(0.5)
    x = np.random.default_rng(0).normal(size=(3,) + feature_shape).astype("float32")
    probs = _np(model(x, training=False))
    assert probs.shape == (3, 5)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    assert (probs >= 0).all()


def test_feature_classifier_learns_target_task(features):
    f_train, y_train, f_test, y_test = features
    keras.utils.set_random_seed(0)
    model = build_feature_classifier(f_train.shape[1:], coursedata.NUM_TARGET_CLASSES)
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(f_train, y_train, epochs=10, batch_size=32, verbose=0)
    predictions = np.argmax(_np(model(f_test, training=False)), axis=1)
    accuracy = float(np.mean(predictions == y_test))
    print(f"feature classifier test accuracy: {accuracy:.4f}")
    assert accuracy >= FEATURE_CLASSIFIER_MIN_ACCURACY


# -------------------------------------------------------- build_frozen_model

def _head_layers(model, base):
    index = model.layers.index(base)
    return model.layers[index + 1:]


def test_frozen_model_only_head_trainable():
    base = coursedata.load_pretrained_base()
    assert base.trainable                                  # arrives trainable
    model = build_frozen_model(base, 5)
    assert isinstance(model, keras.Model)
    assert base.trainable is False
    assert tuple(model.input.shape) == (None,) + tuple(coursedata.IMAGE_SHAPE)
    assert tuple(model.output.shape) == (None, 5)
    assert base in model.layers
    base_ids = {id(w) for w in base.weights}
    trainable = model.trainable_weights
    assert trainable and not any(id(w) in base_ids for w in trainable)
    head = _head_layers(model, base)
    head_ids = {id(w) for l in head for w in l.trainable_weights}
    assert {id(w) for w in trainable} == head_ids
    assert any(isinstance(l, layers.Dense) and l.units > 5 for l in head)
    assert isinstance(head[-1], layers.Dense) and head[-1].units == 5
    assert head[-1].activation is keras.activations.softmax


def test_frozen_model_with_augmentation_is_inference_composition(task):
    keras.utils.set_random_seed(1)
    base = coursedata.load_pretrained_base()
    augmentation = build_augmentation()
    model = build_frozen_model(base, 5, augmentation=augmentation)
    names = [l.name for l in model.layers]
    assert names.index(augmentation.name) < names.index(base.name)
    x = task[0][:8]
    # inference: augmentation is the identity, the base runs in inference mode
    h = _np(base(x, training=False))
    for layer in _head_layers(model, base):
        h = _np(layer(h, training=False))
    np.testing.assert_allclose(_np(model(x, training=False)), h, rtol=1e-4, atol=1e-5)


def test_frozen_model_training_step_moves_only_the_head(task):
    keras.utils.set_random_seed(2)
    base = coursedata.load_pretrained_base()
    model = build_frozen_model(base, 5, augmentation=build_augmentation())
    base_before = _weights(base)
    head = _head_layers(model, base)
    head_before = [_weights(l) for l in head]
    model.compile(optimizer=keras.optimizers.RMSprop(1e-3),
                  loss="sparse_categorical_crossentropy")
    x_train, y_train = task[0][:32], task[1][:32]
    model.train_on_batch(x_train, y_train)
    for a, b in zip(base_before, _weights(base)):     # incl. BN moving statistics
        np.testing.assert_array_equal(a, b)
    for layer, before in zip(head, head_before):
        for a, b in zip(before, _weights(layer)):
            assert not np.array_equal(a, b), layer.name


# ------------------------------------------------------------- feature_maps

def test_feature_maps_equal_manual_sub_model(task):
    base = coursedata.load_pretrained_base()
    x = task[2][:6]
    for name in ("conv1", "dropout1", "conv2", base.layers[-1].name):
        manual = keras.Model(base.inputs[0], base.get_layer(name).output)
        out = feature_maps(base, name, x)
        assert isinstance(out, np.ndarray)
        np.testing.assert_allclose(out, _np(manual(x, training=False)), rtol=1e-4, atol=1e-5)
    # inference mode: dropout passes its input through
    np.testing.assert_allclose(feature_maps(base, "dropout1", x),
                               feature_maps(base, base.layers[4].name, x), rtol=1e-6)
    assert feature_maps(base, "conv1", x).shape == (6, 16, 16, 16)


def test_feature_maps_of_nested_base_in_frozen_model(task):
    base = coursedata.load_pretrained_base()
    model = build_frozen_model(base, 5)
    x = task[2][:6]
    np.testing.assert_allclose(feature_maps(model, base.name, x),
                               _np(base(x, training=False)), rtol=1e-4, atol=1e-5)
    flat = [l for l in model.layers if isinstance(l, layers.Flatten)][0]
    assert feature_maps(model, flat.name, x).shape == (6, int(np.prod(coursedata.FEATURE_SHAPE)))


def test_feature_maps_unknown_layer(task):
    base = coursedata.load_pretrained_base()
    with pytest.raises(ValueError):
        feature_maps(base, "no_such_layer", task[2][:2])
