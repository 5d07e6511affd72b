"""Child-side probes for the Keras exercises: call a student function, report plain data.

A probe is ``probe(function, *args)``: it builds what the function needs (a
symbolic input, the shipped pre-trained base, a small model), calls the
student's function, and returns only wire-safe values — arrays, numbers,
strings and a model's JSON config with its weights. The grader (parent)
rebuilds models from that config in Keras' safe mode and judges them; nothing
here decides a grade.

Facts, not conclusions. This code runs in the student's process after the
student's cells, so the student can replace any function it calls (the ex4
attack replaced np.array_equal) or the probe itself. So a probe reports raw
observations and the grader draws every conclusion: ex4 sends back both runs'
outputs and every input array as the function left it (the grader compares
them with what it sent: reproducibility, mutation); ex6 sends the model's
config and weights (the grader finds the pre-trained base by its weights, not
its names); ex7 sends the serialized compile config (the grader accepts only
Keras' own RMSprop by module, class and config keys) and the base's config
(the grader reads every trainable flag from it).

Facts that stay child-reported, and why they cannot raise a score:
- "same_object" (ex7: the function returned the object it was given). A
  student able to forge it by replacing the probe can as easily write
  ``return conv_base``/``return model``; the flags, weights and compile config
  the grader judges are read from that object either way.
- "base_trainable" of ex6's frozen model: reported, but not used by any verdict
  (the grader reads trainability from the rebuilt config and watches a
  training step).
- The values themselves (outputs, configs, weights): what a function returns is
  by definition what the child says it returned. Forging them costs the
  student what computing them honestly would: the grader judges values it
  can check (statistics over many calls, weights equal to the shipped base's,
  a config it rebuilds), never a summary the child computed.
"""
import os

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras  # noqa: E402

# taken before any student code runs, so that patching numpy's module attributes does not change the probes
_array, _stack, _asarray = np.array, np.stack, np.asarray

ASSETS = None   # set by the runner: the coursedata folder, holding pretrained_base.keras


def before_call():
    """Seed Python, NumPy and Keras before each call, so the same code returns the same model, weights included."""
    keras.utils.set_random_seed(0)


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
    """A fresh, independent copy of the shipped base (the student may change it)."""
    return coursedata().load_pretrained_base()


def coursedata():
    """The public coursedata package (from ASSETS), imported once; the worker warms its caches before forking."""
    import sys
    if "coursedata" not in sys.modules:
        import importlib.util
        spec = importlib.util.spec_from_file_location("coursedata", os.path.join(ASSETS, "__init__.py"),
                                                      submodule_search_locations=[ASSETS])
        module = importlib.util.module_from_spec(spec)
        sys.modules["coursedata"] = module
        spec.loader.exec_module(module)
    return sys.modules["coursedata"]


def warm():
    """Read the shipped base and the digits once, so every job forked afterwards has them in memory."""
    coursedata().preload()


# ex4 -------------------------------------------------------------------------

def _as_output(value):
    """A returned value as a fresh numeric ndarray, or None if it is not an array of real numbers."""
    if value is None or isinstance(value, (str, bytes, dict)):
        return None
    try:
        array = _array(value, copy=True)
    except Exception:  # noqa: BLE001 - anything that is not array-like
        return None
    return array if array.dtype.kind in "biuf" else None


def _calls(call, image, n, seed, global_seed):
    """n calls call(copy_of_image, rng) sharing one Generator(seed), np.random seeded with global_seed.

    Each call gets its own copy of ``image`` and each result is copied at
    once (so a returned view or a reused buffer cannot change later).
    Returns {"outputs": (n, ...) array, "inputs_after": (n, ...) array: each
    call's input as the function left it}, or {"problem": text} when a result
    is not an array or the results' shapes differ. The grader compares the
    inputs with the image it sent (mutation); nothing is concluded here.
    Exceptions from the function propagate.
    """
    image = _asarray(image)
    rng = np.random.default_rng(seed)
    np.random.seed(global_seed)   # a solution using np.random (not rng) shows up as irreproducible
    outputs, inputs = [], []
    for _ in range(n):
        x = _array(image, copy=True)
        result = call(x, rng)
        inputs.append(x)
        out = _as_output(result)
        if out is None:
            return {"problem": "returned %s, not an array of numbers" % _type_name(result)}
        if outputs and out.shape != outputs[0].shape:
            return {"problem": "returned arrays of different shapes in different calls (%s and %s)"
                               % (outputs[0].shape, out.shape)}
        outputs.append(out)
    after = _stack(inputs) if all(i.shape == image.shape for i in inputs) else _array(
        [i.shape for i in inputs], dtype=np.int64)     # a reshaped input: its shape is the evidence
    return {"outputs": _stack(outputs).astype(np.float64), "inputs_after": after}


def _twice(call, image, n, seed, global_seed):
    """_calls, then the same again with a fresh Generator(seed) but another np.random seed.

    The second run's outputs come back as "again" (None if that run went
    wrong); the grader compares them with the first run's.
    """
    first = _calls(call, image, n, seed, global_seed)
    if "problem" in first:
        return first
    again = _calls(call, image, n, seed, global_seed + 1)
    first["again"] = again.get("outputs")
    return first


def flip_many(function, image, p, seed, n, global_seed):
    """n calls random_flip(image, rng, p) with one Generator, twice (see _twice); p=None: the default."""
    if p is None:
        return _twice(lambda x, rng: function(x, rng), image, n, seed, global_seed)
    return _twice(lambda x, rng: function(x, rng, p), image, n, seed, global_seed)


def crop_many(function, image, size, seed, n, global_seed):
    """n calls random_crop(image, size, rng) with one Generator, twice (see _twice)."""
    return _twice(lambda x, rng: function(x, size, rng), image, n, seed, global_seed)


def augmentation(function, kwargs):
    """build_augmentation(**kwargs) as a model payload."""
    return model_payload(function(**kwargs))


def _type_name(value):
    kind = type(value)
    return kind.__name__ if kind.__module__ == "builtins" else "%s.%s" % (kind.__module__, kind.__name__)


# ex5 -------------------------------------------------------------------------

def residual_block(function, input_shape, filters, pooling):
    """keras.Model(inputs, residual_block(inputs, filters, pooling=pooling)) as a payload."""
    inputs = keras.Input(shape=tuple(input_shape))
    outputs = function(inputs, filters, pooling=pooling)
    return model_payload(keras.Model(inputs, outputs))


def residual_model(function, input_shape):
    return model_payload(function(tuple(input_shape)))


# ex6 -------------------------------------------------------------------------

def _array_or_problem(value):
    """value as an ndarray (a tensor or nested list converted), or {"problem": text} if it is not one."""
    out = _as_output(value)
    if out is None:
        return {"problem": "returned %s, not an array of numbers" % _type_name(value)}
    return out


def extract_features(function, images, batch_size):
    """extract_features(base, images, batch_size) on a fresh copy of the shipped base; None: the default."""
    base = load_base()
    if batch_size is None:
        return _array_or_problem(function(base, images))
    return _array_or_problem(function(base, images, batch_size=batch_size))


def feature_classifier(function, feature_shape, num_classes):
    return model_payload(function(tuple(feature_shape), num_classes))


def frozen_model(function, num_classes, with_augmentation):
    """build_frozen_model(base, num_classes, augmentation) as a payload, plus the base's flag after the call.

    The augmentation given is a Sequential named "given_augmentation" holding
    one RandomFlip, so the grader can find where it was placed.
    """
    base = load_base()
    augmentation = None
    if with_augmentation:
        augmentation = keras.Sequential([keras.layers.RandomFlip("horizontal")], name="given_augmentation")
    model = function(base, num_classes, augmentation=augmentation)
    payload = model_payload(model)
    payload["base_trainable"] = bool(base.trainable)
    return payload


def feature_maps(function, layer_name, images):
    return _array_or_problem(function(load_base(), layer_name, images))


# ex7 -------------------------------------------------------------------------

def freeze(function, n, arrive_trainable):
    """freeze_all_but_last(base, n) on a base that arrives trainable or frozen; n=None: the default.

    The payload is the base's (what the function did to it), whatever the
    function returned; "same_object" says whether it returned the base.
    """
    base = load_base()
    base.trainable = arrive_trainable
    returned = function(base) if n is None else function(base, n)
    payload = model_payload(base)
    payload["same_object"] = returned is base
    payload["base_trainable"] = bool(base.trainable)
    return payload


def compile_config(function, learning_rate):
    """compile_for_fine_tuning(model, learning_rate): the model's serialized compile config; None: the default.

    The grader reads the optimizer, loss and metrics from "compile_config"
    (JSON text, as Keras would save it), accepting only Keras' own classes.
    """
    import json
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    returned = function(model) if learning_rate is None else function(model, learning_rate)
    config = None
    if getattr(model, "compiled", False):
        try:
            config = json.dumps(model.get_compile_config())
        except Exception:  # noqa: BLE001 - a compile config Keras itself could not save
            config = ""
    return {"same_object": returned is model, "compiled": config is not None, "compile_config": config or ""}
