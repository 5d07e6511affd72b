"""ex6: feature extraction from a pre-trained convolutional base.

Option 1 (``extract_features`` + ``build_feature_classifier``): run the images
through the base once and train a small dense classifier on its outputs.
Option 2 (``build_frozen_model``): stack a trainable head on the frozen base,
optionally behind a data-augmentation model (Chollet, Deep Learning with
Python, listing 8.23's pattern).
"""

import numpy as np

import keras
from keras import layers


def extract_features(conv_base, images, batch_size=32):
    """The base's outputs for images, in inference mode.

    Inputs:
    - conv_base: keras.Model taking (N, *input_shape) images.
    - images: array of shape (N, H, W, C).
    - batch_size: images per forward pass.

    Returns:
    - features: ndarray of shape (N, *conv_base.output_shape[1:]), equal to
      ``conv_base(images, training=False)`` (BatchNormalization uses its moving
      statistics, Dropout is off).
    """
    batch_size = int(batch_size)
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    images = np.asarray(images, dtype="float32")
    if len(images) == 0:
        return keras.ops.convert_to_numpy(conv_base(images, training=False))
    chunks = [
        keras.ops.convert_to_numpy(conv_base(images[k:k + batch_size], training=False))
        for k in range(0, len(images), batch_size)
    ]
    return np.concatenate(chunks, axis=0)


def build_feature_classifier(feature_shape, num_classes):
    """A dense classifier on extracted features.

    Architecture: Input(feature_shape) -> Flatten (if feature_shape has more
    than one axis) -> Dense(256, relu) -> Dropout(0.5) ->
    Dense(num_classes, softmax).

    Inputs:
    - feature_shape: shape of one feature array, e.g. (4, 4, 32).
    - num_classes: number of classes K.

    Returns:
    - model: uncompiled keras.Model, (N, *feature_shape) -> (N, K)
      probabilities.
    """
    feature_shape = tuple(int(d) for d in feature_shape)
    inputs = keras.Input(shape=feature_shape)
    x = layers.Flatten()(inputs) if len(feature_shape) > 1 else inputs
    x = layers.Dense(256, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="feature_classifier")


def build_frozen_model(conv_base, num_classes, augmentation=None):
    """The frozen base with a trainable head on top.

    Architecture: Input(conv_base's input shape) -> augmentation (if given) ->
    conv_base (frozen: ``conv_base.trainable = False``) -> Flatten ->
    Dense(256, relu) -> Dropout(0.5) -> Dense(num_classes, softmax).

    Inputs:
    - conv_base: keras.Model, (N, H, W, C) -> feature maps; frozen in place.
    - num_classes: number of classes K.
    - augmentation: optional keras model/layer applied to the inputs
      (active in training only).

    Returns:
    - model: uncompiled keras.Model, (N, H, W, C) -> (N, K) probabilities;
      only the head's weights are trainable.
    """
    conv_base.trainable = False
    inputs = keras.Input(shape=tuple(conv_base.input_shape[1:]))
    x = inputs
    if augmentation is not None:
        x = augmentation(x)
    x = conv_base(x)
    x = layers.Flatten()(x)
    x = layers.Dense(256, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="frozen_model")


def feature_maps(model, layer_name, images):
    """Activations of one top-level layer of a model, in inference mode.

    Inputs:
    - model: a built functional or Sequential keras.Model.
    - layer_name: name of a top-level layer (``model.get_layer(layer_name)``).
    - images: array of shape (N, H, W, C), valid input for model.

    Returns:
    - maps: ndarray of shape (N, *layer.output.shape[1:]), the layer's output
      when model runs on images.

    Raises ValueError if model has no layer named layer_name.
    """
    try:
        layer = model.get_layer(layer_name)
    except ValueError as err:
        raise ValueError(f"model {model.name!r} has no layer named {layer_name!r}") from err
    if layer is None:  # defensive: older Keras versions could return None
        raise ValueError(f"model {model.name!r} has no layer named {layer_name!r}")
    inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
    sub_model = keras.Model(inputs, layer.output)
    images = np.asarray(images, dtype="float32")
    return keras.ops.convert_to_numpy(sub_model(images, training=False))
