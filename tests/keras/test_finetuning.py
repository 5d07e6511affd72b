"""Tests for reference/finetuning.py (ex7), on the shipped base."""

import os

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"

import numpy as np
import pytest

import keras
from keras import layers

import coursedata
from reference.finetuning import compile_for_fine_tuning, freeze_all_but_last


def _base(arrives="trainable"):
    base = coursedata.load_pretrained_base()
    if arrives == "frozen":
        base.trainable = False
    elif arrives == "mixed":            # some layers individually frozen, last one too
        for layer in base.layers[::3]:
            layer.trainable = False
        base.layers[-1].trainable = False
    return base


def test_base_has_enough_layers_for_the_default():
    base = _base()
    assert len(base.layers) >= 6
    assert any(isinstance(l, layers.Conv2D) for l in base.layers[-4:])


@pytest.mark.parametrize("arrives", ["trainable", "frozen", "mixed"])
@pytest.mark.parametrize("n", [0, 1, 2, 4, 9, 10, 11, 100])
def test_flags(arrives, n):
    base = _base(arrives)
    num_layers = len(base.layers)
    assert num_layers == 10                 # n = 9, 10, 11 straddle the length
    out = freeze_all_but_last(base, n)
    assert out is base
    assert base.trainable is True
    expected = [i >= num_layers - n for i in range(num_layers)]
    assert [bool(l.trainable) for l in base.layers] == expected
    # what the optimizer would see agrees with the flags
    expected_ids = {id(w) for l, e in zip(base.layers, expected) if e
                    for w in l.trainable_weights}
    assert {id(w) for w in base.trainable_weights} == expected_ids


def test_repeated_calls_on_one_base():
    # Keras' TF backend skips `base.trainable = True` when the flag is already
    # True, so the layers frozen by an earlier call must be re-enabled one by one.
    base = _base()
    for n in (0, 4, 2, 10, 1, 0, 6):
        freeze_all_but_last(base, n)
        assert base.trainable is True
        assert [l.trainable for l in base.layers] == [i >= 10 - n for i in range(10)]


def test_default_n_is_four():
    base = freeze_all_but_last(_base("frozen"))
    assert [l.trainable for l in base.layers] == [False] * 6 + [True] * 4


def test_n_zero_freezes_everything():
    base = freeze_all_but_last(_base(), 0)
    assert base.trainable_weights == []
    assert not any(l.trainable for l in base.layers)


@pytest.mark.parametrize("n", [-1, -4])
def test_negative_n(n):
    with pytest.raises(ValueError):
        freeze_all_but_last(_base(), n)


def _snapshot(layer):
    return [np.array(w) for w in layer.get_weights()]


@pytest.mark.parametrize("n", [0, 4, 7])
def test_one_training_step_moves_exactly_the_unfrozen_layers(n):
    keras.utils.set_random_seed(0)
    base = freeze_all_but_last(_base("frozen"), n)
    model = keras.Sequential([
        keras.Input(shape=coursedata.IMAGE_SHAPE),
        base,
        layers.Flatten(),
        layers.Dense(coursedata.NUM_TARGET_CLASSES, activation="softmax"),
    ])
    compile_for_fine_tuning(model, learning_rate=1e-4)
    before = [_snapshot(l) for l in base.layers]
    x, y = coursedata.load_target_task()[:2]
    model.train_on_batch(x[:32], y[:32])
    num_layers = len(base.layers)
    moved_layers = 0
    for i, (layer, old) in enumerate(zip(base.layers, before)):
        new = _snapshot(layer)
        if i < num_layers - n:
            for a, b in zip(old, new):             # incl. BN moving statistics
                np.testing.assert_array_equal(a, b, err_msg=layer.name)
        elif old:
            assert any(not np.array_equal(a, b) for a, b in zip(old, new)), layer.name
            moved_layers += 1
    assert moved_layers == sum(1 for l in base.layers[num_layers - n:] if l.weights)


def test_compile_for_fine_tuning_defaults():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2, activation="softmax")])
    out = compile_for_fine_tuning(model)
    assert out is model
    assert type(model.optimizer) is keras.optimizers.RMSprop
    lr = float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))
    assert lr == pytest.approx(1e-5, rel=1e-6)
    config = model.get_compile_config()
    assert config["loss"] == "sparse_categorical_crossentropy"
    assert list(config["metrics"]) == ["accuracy"]
    history = model.fit(np.zeros((4, 3), "float32"), np.array([0, 1, 0, 1]),
                        epochs=1, verbose=0)
    assert set(history.history) == {"loss", "accuracy"}


@pytest.mark.parametrize("lr", [3e-4, 0.01])
def test_compile_for_fine_tuning_learning_rate(lr):
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2, activation="softmax")])
    compile_for_fine_tuning(model, learning_rate=lr)
    assert isinstance(model.optimizer, keras.optimizers.RMSprop)
    assert float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)) == pytest.approx(lr, rel=1e-6)
