# expect: random_flip=pass random_crop=zero build_augmentation=zero message=custom Layer
# A custom Layer that augments even at inference (its code would have to run in the grader to
# rebuild it: refused), and a random_crop that ends the process. random_flip still counts.
import os
import numpy as np
import keras
from keras import layers


class AlwaysFlip(layers.Layer):
    def call(self, x, training=None):
        return x[:, :, ::-1, :]


def random_flip(image, rng, p=0.5):
    if not 0 <= p <= 1:
        raise ValueError("p must be in [0, 1]")
    return image[:, ::-1].copy() if rng.random() < p else image.copy()


def random_crop(image, size, rng):
    os._exit(0)


def build_augmentation(flip="horizontal", rotation=0.1, zoom=0.2):
    return keras.Sequential([AlwaysFlip(), layers.RandomRotation(rotation), layers.RandomZoom(zoom)])
