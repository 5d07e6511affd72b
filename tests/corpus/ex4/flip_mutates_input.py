# expect: random_flip=fail random_crop=pass build_augmentation=pass message=changed its input array in place
# Mirrors the image in place and returns it: the caller's array is changed.
import numpy as np
import keras
from keras import layers


def random_flip(image, rng, p=0.5):
    if not 0 <= p <= 1:
        raise ValueError("p must be in [0, 1]")
    if rng.random() < p:
        image[:] = image[:, ::-1]
    return image


def random_crop(image, size, rng):
    h, w = size
    H, W = image.shape[:2]
    if h > H or w > W:
        raise ValueError("the window does not fit")
    i = rng.integers(0, H - h + 1)
    j = rng.integers(0, W - w + 1)
    return image[i:i + h, j:j + w]


def build_augmentation(flip="horizontal", rotation=0.1, zoom=0.2):
    return keras.Sequential([layers.RandomFlip(flip), layers.RandomRotation(rotation), layers.RandomZoom(zoom)])
