"""ex6 feature extraction from the shipped pre-trained base.

The child hands the student's functions a fresh copy of the base (probes
``extract_features``, ``feature_classifier``, ``frozen_model``,
``feature_maps``); arrays come back as arrays, models as payloads rebuilt here
in Keras' safe mode, after the allowlist (autograder/judge/allow.py). Every
task is judged in the cage (autograder/judge): a fresh, limited process per
judgement. The pre-trained base is recognised by its weights, not its names. The classifier is trained here, on features the reference
extracts, with fixed seeds. Keras, the reference and the course data are
imported only when a case is judged.

Classifier threshold. Trained as CLASSIFIER_TRAINING says (Adam 1e-3, 10 epochs,
batches of 64, seed 0), the reference classifier reaches 0.977 test accuracy on
the target task (seeds 0-2: 0.977-0.983; 0.977 on flattened features too); a
Dense(16) head reaches 0.94, one with Dropout(0.95) 0.94. The threshold is
ACCURACY_THRESHOLD = 0.85: five classes, chance is 0.2. A head that averages
the 4x4 maps away (GlobalAveragePooling2D) reaches only about 0.55 and fails.
"""
from __future__ import annotations

import functools

import numpy as np

from .. import checks
from .. import keras_checks as kc
from ..spec import Case, Exercise, Misconception, Task, Verdict
from ._cases import size_label

LOOK_EXTRACT = "notebook ex6, section 'Option 1: extracting features' (lecture: 'Feature extraction')"
LOOK_FROZEN = "notebook ex6, section 'Option 2: a frozen base in the model' (lecture: 'Feature extraction')"
LOOK_MAPS = "notebook ex6, section 'Feature maps of a trained model'"

ACCURACY_THRESHOLD = 0.85
CLASSIFIER_TRAINING = {"epochs": 10, "batch_size": 64, "learning_rate": 1e-3, "seed": 0}
IMAGE_SHAPE = (16, 16, 1)
FEATURE_SHAPE = (4, 4, 32)
NUM_CLASSES = 5

NOT_INFERENCE = Misconception(
    "training-mode", "the features are not the base's inference-mode outputs",
    "The base contains BatchNormalization and Dropout, which behave differently in training: "
    "BatchNormalization uses the batch's statistics and Dropout zeroes random units. Extract features in "
    "inference mode: conv_base.predict(images, batch_size=batch_size) or "
    "conv_base(batch, training=False), on the images exactly as given.")
RESCALED_TWICE = Misconception(
    "rescaled-twice", "the images were divided by 255 before the base",
    "The base starts with its own Rescaling(1./255) layer; give it the images as they are, in [0, 255].")
BASE_NOT_FROZEN = Misconception(
    "base-not-frozen", "the pre-trained base is not frozen",
    "Set conv_base.trainable = False before building (or at least before compiling) the model, so that "
    "training updates only the new head and the pre-trained weights are kept.")
AUG_AFTER_BASE = Misconception(
    "augmentation-after-base", "the augmentation is applied after the base",
    "Augmentation transforms images, so it comes right after the input: "
    "inputs -> augmentation(inputs) -> conv_base -> head.")
AUG_MISSING = Misconception(
    "augmentation-missing", "the augmentation given is not used",
    "When an augmentation model is passed, apply it to the inputs: x = augmentation(inputs), then "
    "x = conv_base(x).")
NOT_SOFTMAX = Misconception(
    "not-softmax", "the output is not a softmax over the classes",
    "End with Dense(num_classes, activation=\"softmax\"): one probability per class, summing to 1.")


@functools.lru_cache(maxsize=None)
def _keras_and_reference():
    kc.keras()
    from reference import features
    return features


@functools.lru_cache(maxsize=1)
def _base():
    """The shipped base, loaded once: the reference only reads it (extract_features, feature_maps)."""
    kc.keras()
    import coursedata
    return coursedata.load_pretrained_base()


def _base_run(layers) -> int | None:
    """Where the shipped pre-trained base sits in ``layers`` (flattened), found by its weights; None if nowhere.

    The base is a run of len(base.layers) consecutive layers of the base's
    classes, with the base's configs (names and trainable flags aside) and
    weights equal to the shipped base's, moving statistics included. Names
    prove nothing: any layer can be called "conv1".
    """
    base = _base().layers
    count = len(base)
    wanted = [(type(layer), _config_without_names(layer), [np.asarray(w) for w in layer.get_weights()])
              for layer in base]
    for start in range(len(layers) - count + 1):
        if all(_same_layer(layers[start + j], *wanted[j]) for j in range(count)):
            return start
    return None


def _config_without_names(layer) -> dict:
    config = dict(layer.get_config())
    config.pop("name", None)
    config.pop("trainable", None)
    return config


def _same_layer(layer, kind, config, weights) -> bool:
    if type(layer) is not kind or _config_without_names(layer) != config:
        return False
    got = layer.get_weights()
    return len(got) == len(weights) and all(g.shape == w.shape and np.array_equal(g, w) for g, w in zip(got, weights))


@functools.lru_cache(maxsize=1)
def _target_task():
    import coursedata
    return coursedata.load_target_task()


@functools.lru_cache(maxsize=1)
def _target_features():
    """The reference's features of the target task's train and test images (computed once)."""
    x_train, y_train, x_test, y_test = _target_task()
    ref, base = _keras_and_reference(), _base()
    return (ref.extract_features(base, x_train, 256), y_train,
            ref.extract_features(base, x_test, 256), y_test)


def _random_images(seed, count):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(count,) + IMAGE_SHAPE).astype(np.float32)


def _digits(rng, count):
    x_train = _target_task()[0]
    return x_train[np.sort(rng.choice(len(x_train), size=count, replace=False))]


# ---------------------------------------------------------------- extract_features

def reference_features(images, batch_size):
    """The reference's features, with the images kept for diagnosing a wrong answer."""
    ref = _keras_and_reference()
    features = ref.extract_features(_base(), images, 32 if batch_size is None else batch_size)
    return {"features": features, "images": np.asarray(images)}


def _problem(result):
    """The probe's report of a result that is not an array (e.g. a list of batches of different sizes)."""
    if isinstance(result, dict) and "problem" in result:
        return Verdict(False, str(result["problem"]) + "; return one ndarray (np.concatenate the batches)")
    return None


def judge_features(result, expected) -> Verdict:
    problem = _problem(result)
    if problem:
        return problem
    verdict = checks.array(result, expected["features"])
    if verdict.passed or verdict.extra.get("shape") or not isinstance(result, np.ndarray):
        return verdict
    scaled = _keras_and_reference().extract_features(_base(), expected["images"] / 255.0, 64)
    if checks.array(result, scaled).passed:
        return Verdict(False, "the features are those of the images divided by 255", misconception=RESCALED_TWICE)
    return Verdict(False, "the shape is right but the values are not the base's outputs in inference mode",
                   (verdict.detail.splitlines() or [""])[0], misconception=NOT_INFERENCE)


# Audit (EXERCISES.md is the contract; each case names the sentence it checks).
#
# extract_features: "the base's outputs for `images` in inference mode, as an ndarray": batch sizes that do
# not divide the count (a last partial batch), batch_size=1, the default batch_size, digits of the target
# task and random images in [0, 255] (rescaled-twice, training-mode).
def _features_hidden(rng):
    return [Case("7 digits, default batch_size", (_digits(rng, 7), None)),
            Case("33 digits, batch_size=8 (a last batch of 1)", (_digits(rng, 33), 8)),
            Case("5 images, batch_size=1", (_random_images(int(rng.integers(2**31)), 5), 1)),
            Case("70 digits, batch_size=32", (_digits(rng, 70), 32))]


# ---------------------------------------------------------------- build_feature_classifier

def reference_classifier(feature_shape, num_classes):
    return _keras_and_reference().build_feature_classifier(tuple(feature_shape), num_classes)


def _softmax_problem(model, x, num_classes):
    """A failing Verdict if the model does not map x to num_classes probabilities."""
    try:
        probs = kc.run(model, x, training=False)
    except Exception as exc:  # noqa: BLE001
        return Verdict(False, "the model could not run on inputs of shape %s (%s)"
                       % (size_label(x.shape[1:]), str(exc).splitlines()[0][:200]))
    if probs.ndim != 2 or probs.shape[1] != num_classes:
        return Verdict(False, "the model's output has shape %s, not (N, num_classes)" % (probs.shape[1:],))
    if not kc.is_probabilities(probs, num_classes):
        return Verdict(False, "the outputs are not probabilities summing to 1 over the classes",
                       misconception=NOT_SOFTMAX)
    return None


def judge_classifier(result, reference) -> Verdict:
    student, problem = kc.rebuilt(result)
    if problem:
        return problem
    feature_shape = tuple(reference.inputs[0].shape[1:])
    num_classes = int(reference.outputs[0].shape[-1])
    x = np.random.default_rng(0).uniform(0, 3, size=(3,) + feature_shape).astype("float32")
    problem = _softmax_problem(student, x, num_classes)
    if problem:
        return problem
    kinds = [type(layer).__name__ for layer in kc.all_layers(student)]
    if kinds.count("Dense") < 2:
        return Verdict(False, "the model needs at least one hidden Dense layer before the output layer")
    if "Dropout" not in kinds:
        return Verdict(False, "the model has no Dropout layer")
    if feature_shape != FEATURE_SHAPE or num_classes != NUM_CLASSES:
        return Verdict(True)      # other shapes: structure only (training once, on the base's features, is enough)
    try:
        accuracy = train_classifier(result, feature_shape)
    except kc.ModelRejected as exc:
        return Verdict(False, str(exc))
    if accuracy < ACCURACY_THRESHOLD:
        hint = ""
        if "GlobalAveragePooling2D" in kinds or "GlobalMaxPooling2D" in kinds:
            hint = "; global pooling averages the 4x4 maps away, and with them where each feature is: Flatten them"
        return Verdict(False, "trained by the grader on the target task's features, the model reaches a test "
                       "accuracy of %.3f, below the %.2f it must reach%s" % (accuracy, ACCURACY_THRESHOLD, hint))
    return Verdict(True)


def train_classifier(payload, feature_shape) -> float:
    """Compile and train the student's model (rebuilt, freshly initialised with fixed seeds); test accuracy."""
    k = kc.keras()
    f_train, y_train, f_test, y_test = _target_features()
    shape = (-1,) + tuple(feature_shape)
    settings = CLASSIFIER_TRAINING
    k.utils.set_random_seed(settings["seed"])
    model = kc.rebuild(payload, kc.MAX_TRAIN_MACS, weights=False)   # fresh weights: same start on every run
    model.compile(optimizer=k.optimizers.Adam(settings["learning_rate"]),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(f_train.reshape(shape), y_train, epochs=settings["epochs"], batch_size=settings["batch_size"],
              shuffle=True, verbose=0)
    probs = kc.run(model, f_test.reshape(shape), training=False)
    return float(np.mean(np.argmax(probs, axis=1) == y_test))


# ---------------------------------------------------------------- build_frozen_model

def reference_frozen(num_classes, with_augmentation):
    return {"num_classes": int(num_classes), "with_augmentation": bool(with_augmentation)}


def judge_frozen(result, expected) -> Verdict:
    student, problem = kc.rebuilt(result)
    if problem:
        return problem
    num_classes = expected["num_classes"]
    x_train, y_train = _target_task()[:2]
    x = x_train[:8]
    problem = _softmax_problem(student, x, num_classes)
    if problem:
        return problem
    layers = list(kc.all_layers(student))
    first_base = _base_run(layers)
    if first_base is None:
        return Verdict(False, "the pre-trained base, with its pre-trained weights, is not in the model; apply "
                       "conv_base itself to the inputs")
    in_base = [first_base <= i < first_base + len(_base().layers) for i in range(len(layers))]
    flips = [i for i, layer in enumerate(layers) if type(layer).__name__ == "RandomFlip"]
    if expected["with_augmentation"]:
        if not flips:
            return Verdict(False, "the augmentation given is not in the model", misconception=AUG_MISSING)
        if max(flips) > first_base:
            return Verdict(False, "the augmentation is applied after the base", misconception=AUG_AFTER_BASE)
    elif flips:
        return Verdict(False, "the model contains augmentation although none was given")
    base_layers = [layer for layer, b in zip(layers, in_base) if b]
    head_layers = [layer for i, (layer, b) in enumerate(zip(layers, in_base)) if not b and i > first_base]
    base_ids = {id(w) for layer in base_layers for w in layer.weights}
    trainable_in_base = [w for w in student.trainable_weights if id(w) in base_ids]
    if trainable_in_base:
        return Verdict(False, "%d of the base's weights are trainable; only the head's may be"
                       % len(trainable_in_base), misconception=BASE_NOT_FROZEN)
    if not any(layer.trainable_weights for layer in head_layers):
        return Verdict(False, "the head after the base has no trainable weights")
    before_base, before_head = kc.snapshot(base_layers), kc.trainable_snapshot(head_layers)
    kc.train_step(student, x, y_train[:8] % num_classes)
    if any(kc.moved(before_base, kc.snapshot(base_layers))):
        return Verdict(False, "one training step changed the base's weights", misconception=BASE_NOT_FROZEN)
    if not any(kc.moved(before_head, kc.trainable_snapshot(head_layers))):
        return Verdict(False, "one training step left the head's weights unchanged")
    return Verdict(True)


# ---------------------------------------------------------------- feature_maps

def reference_maps(layer_name, images):
    return _keras_and_reference().feature_maps(_base(), layer_name, images)


def judge_maps(result, expected) -> Verdict:
    problem = _problem(result)
    if problem:
        return problem
    verdict = checks.array(result, expected)
    if verdict.passed or verdict.extra.get("shape"):
        if verdict.extra.get("shape"):
            verdict.message += ": the named layer's output, model.get_layer(layer_name).output, has another shape"
        return verdict
    return Verdict(False, "the shape is right but the values are not the layer's activations in inference mode "
                   "(build keras.Model(model.inputs, layer.output) and call predict, or training=False)",
                   (verdict.detail.splitlines() or [""])[0], misconception=NOT_INFERENCE)


EXERCISE = Exercise(
    key="ex6", topic="features", title="Feature extraction from a pre-trained model", uses_keras=True,
    preload=("keras",),
    tasks=(
        Task("extract_features", 2, reference_features, judge_features,
             public=(Case("10 images, batch_size=4", (_random_images(6, 10), 4)),),
             hidden=_features_hidden, look_at=LOOK_EXTRACT, timeout=60, probe="extract_features",
             misconceptions=(NOT_INFERENCE, RESCALED_TWICE)),
        Task("build_feature_classifier", 2, reference_classifier, judge_classifier,
             # "taking features of `feature_shape` to `num_classes` softmax probabilities, with at least one
             # hidden `Dense` layer and `Dropout`", "it must learn the target task" (the base's features);
             # other feature shapes (flat ones too) and class counts
             public=(Case("the base's (4, 4, 32) features, 5 classes; trained on the target task",
                          ((4, 4, 32), 5)),),
             hidden=lambda rng: [
                 Case("flattened (512,) features, 5 classes", ((512,), 5)),
                 Case("(2, 2, 8) features, 3 classes", ((2, 2, 8), 3)),
                 Case("(10,) features, 7 classes", ((10,), 7))],
             look_at=LOOK_EXTRACT, timeout=60, probe="feature_classifier", misconceptions=(NOT_SOFTMAX,)),
        Task("build_frozen_model", 4, reference_frozen, judge_frozen,
             # "input, then the augmentation model if given, then the base with `conv_base.trainable = False`,
             # then a trainable head to `num_classes` softmax": with and without augmentation, other counts
             public=(Case("5 classes, no augmentation", (5, False)),
                     Case("5 classes, with an augmentation model", (5, True))),
             hidden=lambda rng: [Case("3 classes, with an augmentation model", (3, True)),
                                 Case("7 classes, no augmentation", (7, False))],
             look_at=LOOK_FROZEN, timeout=60, probe="frozen_model",
             misconceptions=(BASE_NOT_FROZEN, AUG_AFTER_BASE, AUG_MISSING, NOT_SOFTMAX)),
        Task("feature_maps", 2, reference_maps, judge_maps,
             # "the activations of the named layer ... found with `model.get_layer(layer_name)`"; layers whose
             # training and inference modes differ (bn2, dropout1); "`ValueError` for an unknown layer name"
             public=(Case("layer \"conv1\", 4 images", ("conv1", _random_images(7, 4))),
                     Case("layer \"pool1\", 3 images", ("pool1", _random_images(8, 3)))),
             hidden=lambda rng: [
                 Case("layer \"bn2\", 5 digits", ("bn2", _digits(rng, 5))),
                 Case("layer \"dropout1\", 6 digits", ("dropout1", _digits(rng, 6))),
                 Case("the last layer, 4 digits", ("pool2", _digits(rng, 4))),
                 Case("an unknown layer name", ("no_such_layer", _digits(rng, 2)), expect="raises",
                      reason="the model has no layer of that name")],
             look_at=LOOK_MAPS, timeout=60, probe="feature_maps", misconceptions=(NOT_INFERENCE,)),
    ),
)
