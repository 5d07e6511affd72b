# expect: random_flip=missing random_crop=missing build_augmentation=fail message=build a keras.Sequential
# A functional model whose layers are called with training=True, to augment at inference too:
# not the Sequential the contract asks for (and Keras 3 overrides the forced flag anyway).
import keras
from keras import layers


def build_augmentation(flip="horizontal", rotation=0.1, zoom=0.2):
    inputs = keras.Input(shape=(None, None, 3))
    x = layers.RandomFlip(flip)(inputs, training=True)
    x = layers.RandomRotation(rotation)(x, training=True)
    x = layers.RandomZoom(zoom)(x, training=True)
    return keras.Model(inputs, x)
