# expect: residual_block=fail build_residual_model=fail
# Pools with MaxPooling2D(2) and the default padding="valid": right on even sides only; an odd side
# (a 9x9 block input, a 30x30 model input: 30 is not a multiple of the total stride 4) breaks the add.
import keras
from keras import layers


def residual_block(x, filters, pooling=False):
    residual = x
    x = layers.Conv2D(filters, 3, activation="relu", padding="same")(x)
    x = layers.Conv2D(filters, 3, activation="relu", padding="same")(x)
    if pooling:
        x = layers.MaxPooling2D(2)(x)
        residual = layers.Conv2D(filters, 1, strides=2)(residual)
    elif filters != residual.shape[-1]:
        residual = layers.Conv2D(filters, 1)(residual)
    x = layers.add([x, residual])
    return x


def build_residual_model(input_shape=(32, 32, 3)):
    inputs = keras.Input(shape=input_shape)
    x = layers.Rescaling(1. / 255)(inputs)
    x = residual_block(x, filters=32, pooling=True)
    x = residual_block(x, filters=64, pooling=True)
    x = residual_block(x, filters=128, pooling=False)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    return keras.Model(inputs, outputs)
