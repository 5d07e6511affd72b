# expect: residual_block=pass build_residual_model=pass
# The listing with the layers.Add() layer object and the shortcut decided up front.
import keras
from keras import layers


def residual_block(x, filters, pooling=False):
    shortcut = x
    if pooling:
        shortcut = layers.Conv2D(filters, 1, strides=2)(shortcut)
    elif x.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1)(shortcut)
    y = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
    y = layers.Conv2D(filters, 3, padding="same", activation="relu")(y)
    if pooling:
        y = layers.MaxPooling2D(pool_size=2, padding="same")(y)
    return layers.Add()([y, shortcut])


def build_residual_model(input_shape=(32, 32, 3)):
    inputs = keras.Input(shape=input_shape)
    x = layers.Rescaling(1.0 / 255)(inputs)
    for filters, pooling in ((32, True), (64, True), (128, False)):
        x = residual_block(x, filters, pooling=pooling)
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, layers.Dense(1, activation="sigmoid")(x))
