"""Child-side probes for the Keras exercises: call a student function, report plain data.

A probe is ``probe(function, *args)``: it builds what the function needs (a
symbolic input, the shipped pre-trained base, a small model), calls the
student's function, and returns only wire-safe values — arrays, numbers,
strings and a model's JSON config with its weights. The grader (parent)
rebuilds models from that config in Keras' safe mode and judges them; nothing
here decides a grade.
"""
import os

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras  # noqa: E402

ASSETS = None   # set by the runner: the folder holding pretrained_base.keras


def model_payload(model):
    """A model as plain data: JSON config, weights, per-layer trainable flags."""
    if not isinstance(model, keras.Model):
        raise TypeError("expected a keras.Model, got %s" % type(model).__name__)
    return {
        "class": type(model).__name__,
        "config": model.to_json(),
        "weights": [np.asarray(w) for w in model.get_weights()],
        "trainable": [bool(layer.trainable) for layer in model.layers],
        "model_trainable": bool(model.trainable),
    }


def load_base():
    return keras.models.load_model(os.path.join(ASSETS, "pretrained_base.keras"), safe_mode=True)


# ex4 -------------------------------------------------------------------------

def _repeat(call, n, global_seed):
    np.random.seed(global_seed)   # a solution using np.random (not rng) shows up as irreproducible
    return np.stack([np.asarray(call()) for _ in range(n)])


def flip_many(function, image, p, seed, n, global_seed):
    """n calls random_flip(image, rng, p) with one Generator; stacked results (n, H, W, C)."""
    rng = np.random.default_rng(seed)
    return _repeat(lambda: function(image, rng, p), n, global_seed)


def crop_many(function, image, size, seed, n, global_seed):
    """n calls random_crop(image, size, rng) with one Generator; stacked results (n, h, w, C)."""
    rng = np.random.default_rng(seed)
    return _repeat(lambda: function(image, size, rng), n, global_seed)


def augmentation(function, kwargs):
    """build_augmentation(**kwargs) as a model payload."""
    return model_payload(function(**kwargs))


# ex5 -------------------------------------------------------------------------

def residual_block(function, input_shape, filters, pooling):
    """keras.Model(inputs, residual_block(inputs, filters, pooling=pooling)) as a payload."""
    inputs = keras.Input(shape=tuple(input_shape))
    outputs = function(inputs, filters, pooling=pooling)
    return model_payload(keras.Model(inputs, outputs))


def residual_model(function, input_shape):
    return model_payload(function(tuple(input_shape)))


# ex6 -------------------------------------------------------------------------

def extract_features(function, images, batch_size):
    return np.asarray(function(load_base(), images, batch_size=batch_size))


def feature_classifier(function, feature_shape, num_classes):
    return model_payload(function(tuple(feature_shape), num_classes))


def frozen_model(function, num_classes, with_augmentation):
    base = load_base()
    augmentation = None
    if with_augmentation:
        augmentation = keras.Sequential([keras.layers.RandomFlip("horizontal")], name="given_augmentation")
    model = function(base, num_classes, augmentation=augmentation)
    payload = model_payload(model)
    payload["base_trainable"] = bool(base.trainable)
    return payload


def feature_maps(function, layer_name, images):
    return np.asarray(function(load_base(), layer_name, images))


# ex7 -------------------------------------------------------------------------

def freeze(function, n, arrive_trainable):
    """freeze_all_but_last(base, n) on a base that arrives trainable or frozen."""
    base = load_base()
    base.trainable = arrive_trainable
    returned = function(base, n)
    payload = model_payload(base)
    payload["same_object"] = returned is base
    payload["base_trainable"] = bool(base.trainable)
    return payload


def compile_config(function, learning_rate):
    """compile_for_fine_tuning(model, learning_rate): what the model was compiled with."""
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    returned = function(model, learning_rate)
    optimizer = getattr(model, "optimizer", None)
    config = model.get_compile_config() if getattr(model, "compiled", False) else None
    return {
        "same_object": returned is model,
        "compiled": config is not None,
        "optimizer": type(optimizer).__name__ if optimizer is not None else "",
        "learning_rate": float(keras.ops.convert_to_numpy(optimizer.learning_rate)) if optimizer is not None else -1.0,
        "loss": _name(config.get("loss")) if config else "",
        "metrics": [_name(m) for m in (config.get("metrics") or [])] if config else [],
    }


def _name(item):
    """A loss or metric as a plain name, whether given as a string, a function or an object."""
    if isinstance(item, str):
        return item
    if isinstance(item, dict):
        inner = item.get("config")
        if isinstance(inner, dict) and isinstance(inner.get("name"), str):
            return inner["name"]
        return str(item.get("class_name", ""))
    if isinstance(item, (list, tuple)):
        return ",".join(_name(i) for i in item)
    return getattr(item, "name", None) or getattr(item, "__name__", None) or type(item).__name__
