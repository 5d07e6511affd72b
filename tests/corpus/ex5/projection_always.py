# expect: residual_block=fail:unneeded-projection build_residual_model=pass
# Always projects the shortcut with a 1x1 convolution, even when the identity fits. (The listing's model
# never has an identity block, so build_residual_model is still right.)
import keras
from keras import layers


def residual_block(x, filters, pooling=False):
    residual = x
    x = layers.Conv2D(filters, 3, activation="relu", padding="same")(x)
    x = layers.Conv2D(filters, 3, activation="relu", padding="same")(x)
    if pooling:
        x = layers.MaxPooling2D(2, padding="same")(x)
        residual = layers.Conv2D(filters, 1, strides=2)(residual)
    else:
        residual = layers.Conv2D(filters, 1)(residual)
    return layers.add([x, residual])


def build_residual_model(input_shape=(32, 32, 3)):
    inputs = keras.Input(shape=input_shape)
    x = layers.Rescaling(1. / 255)(inputs)
    x = residual_block(x, filters=32, pooling=True)
    x = residual_block(x, filters=64, pooling=True)
    x = residual_block(x, filters=128, pooling=False)
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, layers.Dense(1, activation="sigmoid")(x))
