"""ex5: residual blocks, exactly the lecture's Keras listing."""

import keras
from keras import layers


def residual_block(x, filters, pooling=False):
    """Two 3x3 convolutions plus a shortcut connection.

    Inputs:
    - x: symbolic Keras tensor of shape (N, H, W, C).
    - filters: F, the number of filters of both 3x3 convolutions.
    - pooling: if True, downsample by 2 with MaxPooling2D(2, padding="same").

    The shortcut is
    - pooling: a strided 1x1 projection ``Conv2D(F, 1, strides=2)``;
    - no pooling, C != F: a 1x1 projection ``Conv2D(F, 1)``;
    - no pooling, C == F: the identity.

    Returns:
    - out: symbolic tensor of shape (N, ceil(H/2), ceil(W/2), F) if pooling,
      else (N, H, W, F).
    """
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


def build_residual_model(input_shape=(32, 32, 3)):
    """The lecture's residual network.

    Input (N, 32, 32, 3) in [0, 255] -> Rescaling(1/255) -> blocks of 32
    (pooled, 16x16), 64 (pooled, 8x8) and 128 filters (8x8) ->
    GlobalAveragePooling2D (N, 128) -> Dense(1, sigmoid) -> (N, 1).

    Inputs:
    - input_shape: (H, W, C) of one image.

    Returns:
    - model: keras.Model (uncompiled).
    """
    inputs = keras.Input(shape=input_shape)
    x = layers.Rescaling(1.0 / 255)(inputs)
    x = residual_block(x, filters=32, pooling=True)
    x = residual_block(x, filters=64, pooling=True)
    x = residual_block(x, filters=128, pooling=False)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    return keras.Model(inputs=inputs, outputs=outputs)
