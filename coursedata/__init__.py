"""Course data: a small pre-trained convolutional base and two digit tasks.

Everything here works offline. The images are scikit-learn's handwritten
digits (``sklearn.datasets.load_digits``: 1797 real 8x8 grayscale scans with
values 0..16, shipped inside scikit-learn), upsampled and rescaled:

- each 8x8 image is upsampled to 16x16 by pixel repetition (``np.kron`` with a
  2x2 block of ones) and given one channel: ``IMAGE_SHAPE = (16, 16, 1)``;
- values are ``float32``, integer-valued in ``[0, 255]``
  (``round(v * 255 / 16)``), so a model starts with ``Rescaling(1./255)``.

Two tasks split the ten digits into two groups:

- the *pre-training task*: digits 0-4, labels 0-4 (what the shipped base was
  trained on, by ``coursedata/make_pretrained_base.py``);
- the *target task*: digits 5-9, relabelled 0-4 (``label = digit - 5``),
  ``NUM_TARGET_CLASSES = 5``.

Both splits are fixed and stratified: within each class, in the dataset's own
order, every fifth image (the 5th, 10th, 15th, ...) is a test image, the rest
are training images (both keep the dataset's order). No random numbers are
involved.

``load_pretrained_base()`` returns the shipped base, a ``keras.Sequential``
named ``"pretrained_base"`` taking ``(N, 16, 16, 1)`` images in [0, 255] to
``(N, 4, 4, 32)`` feature maps. It contains ``Rescaling``, ``Conv2D``,
``BatchNormalization``, ``Activation``, ``MaxPooling2D`` and ``Dropout``
layers, so inference and training mode differ.

Importing this package is cheap: Keras and scikit-learn are imported lazily.
"""

import functools
import json
import os

import numpy as np

__all__ = [
    "IMAGE_SHAPE",
    "NUM_TARGET_CLASSES",
    "NUM_PRETRAIN_CLASSES",
    "FEATURE_SHAPE",
    "PRETRAINED_BASE_PATH",
    "load_pretrained_base",
    "load_target_task",
    "load_pretrain_task",
]

IMAGE_SHAPE = (16, 16, 1)
"""Shape of one image, ``(H, W, C)``."""

FEATURE_SHAPE = (4, 4, 32)
"""Shape of the pre-trained base's output for one image."""

NUM_TARGET_CLASSES = 5
NUM_PRETRAIN_CLASSES = 5

PRETRAIN_DIGITS = (0, 1, 2, 3, 4)
TARGET_DIGITS = (5, 6, 7, 8, 9)

PRETRAINED_BASE_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                    "pretrained_base.keras")

_UPSAMPLE = 2      # 8x8 -> 16x16
_TEST_EVERY = 5    # every fifth image of a task is a test image


@functools.lru_cache(maxsize=1)
def _digits():
    """All digits as course images (computed once per process; callers get copies via ``_task``).

    Returns:
    - images: float32 array of shape (1797, 16, 16, 1), integer values in [0, 255].
    - digits: int64 array of shape (1797,), the digit 0..9 of each image.
    """
    from sklearn.datasets import load_digits

    data = load_digits()
    raw = np.asarray(data.images, dtype=np.float64)              # (N, 8, 8), 0..16
    scaled = np.round(raw * (255.0 / 16.0))                      # 0..255
    block = np.ones((1, _UPSAMPLE, _UPSAMPLE))
    upsampled = np.kron(scaled, block)                           # (N, 16, 16)
    images = upsampled[..., None].astype(np.float32)             # (N, 16, 16, 1)
    return images, np.asarray(data.target, dtype=np.int64)


def _task(digit_group):
    """Images of the digits in ``digit_group``, relabelled 0..len-1, split fixed."""
    images, digits = _digits()
    keep = np.isin(digits, digit_group)
    x = images[keep]
    y = np.searchsorted(np.asarray(digit_group), digits[keep]).astype(np.int64)
    # Stratified, fixed split: the k-th image of each class (in dataset order)
    # is a test image when k % 5 == 4.
    rank = np.zeros(len(y), dtype=np.int64)
    for label in range(len(digit_group)):
        members = np.flatnonzero(y == label)
        rank[members] = np.arange(len(members))
    is_test = (rank % _TEST_EVERY) == _TEST_EVERY - 1
    return x[~is_test], y[~is_test], x[is_test], y[is_test]   # boolean indexing copies


def load_target_task():
    """The target task: digits 5-9, relabelled 0-4.

    Returns a tuple (x_train, y_train, x_test, y_test):
    - x_train: float32 (719, 16, 16, 1), integer values in [0, 255]
    - y_train: int64 (719,), labels in 0..4 (digit - 5)
    - x_test: float32 (177, 16, 16, 1)
    - y_test: int64 (177,)
    The same arrays on every call (fresh copies; no randomness, no network).
    """
    return _task(TARGET_DIGITS)


def load_pretrain_task():
    """The pre-training task: digits 0-4, labels 0-4.

    Returns a tuple (x_train, y_train, x_test, y_test) as ``load_target_task``:
    x_train (723, 16, 16, 1), y_train (723,), x_test (178, 16, 16, 1),
    y_test (178,).
    """
    return _task(PRETRAIN_DIGITS)


def load_pretrained_base():
    """A fresh copy of the shipped pre-trained convolutional base.

    Built from ``pretrained_base.keras`` (config and weights, read once per
    process) in Keras' safe mode and without compiling; each call returns a
    new, independent model (trainable, as saved). Input ``(N, 16, 16, 1)``
    float images in [0, 255]; output ``(N, 4, 4, 32)`` feature maps.
    """
    import keras

    config, weights = _base_state()
    layers = [keras.saving.deserialize_keras_object(layer, safe_mode=True)
              for layer in config["config"]["layers"]]
    base = keras.Sequential(layers, name=config["config"]["name"])   # built once, not once per layer
    base.set_weights(weights)
    return base


def preload():
    """Read the digits and the base's file into memory, without running TensorFlow.

    The grader calls this in its worker before forking one process per
    submission, so each of them starts with the data at hand. (A TensorFlow
    operation run before a fork would leave the forked processes hanging.)
    """
    _digits()
    _base_state()


@functools.lru_cache(maxsize=1)
def _base_state():
    """(config, weights) of the shipped base, read from the .keras archive with h5py.

    Keras stores a Sequential's weights under ``layers/<class name in
    snake_case, numbered from the second of a kind>/vars/<i>``; the weights
    come back in ``model.get_weights()`` order (tests/keras checks this
    against ``keras.models.load_model``).
    """
    import io
    import zipfile

    import h5py
    from keras.src.utils.naming import to_snake_case

    if not os.path.exists(PRETRAINED_BASE_PATH):
        raise FileNotFoundError(
            f"{PRETRAINED_BASE_PATH} is missing; run "
            "`python -m coursedata.make_pretrained_base` to create it")
    with zipfile.ZipFile(PRETRAINED_BASE_PATH) as archive:
        config = json.loads(archive.read("config.json"))
        store = h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r")
    weights, seen = [], {}
    for layer in config["config"]["layers"]:
        name = to_snake_case(layer["class_name"])
        seen[name] = seen.get(name, -1) + 1
        key = "layers/%s/vars" % (name if seen[name] == 0 else "%s_%d" % (name, seen[name]))
        if key in store:
            weights += [np.array(store[key][str(i)]) for i in range(len(store[key]))]
    store.close()
    return config, weights
