# attack: ex4 random_flip patches np.array_equal in the child, draws from np.random and mutates its input
# expect: random_flip=fail random_crop=pass build_augmentation=pass
# The child's probe decided "reproducible" and "input not mutated" with np.array_equal, which the
# submission replaces; a grader that compares what it sent with what it got back sees both faults.
import numpy as np
import keras
from keras import layers

np.array_equal = lambda a, b, equal_nan=False: True


def random_flip(image, rng, p=0.5):
    if not 0 <= p <= 1:
        raise ValueError("p must be in [0, 1]")
    out = image[:, ::-1].copy() if np.random.random() < p else image.copy()
    image[...] = 0
    return out


def random_crop(image, size, rng):
    h, w = size
    H, W = image.shape[:2]
    if h > H or w > W:
        raise ValueError("the window does not fit")
    i = rng.integers(0, H - h + 1)
    j = rng.integers(0, W - w + 1)
    return image[i:i + h, j:j + w].copy()


def build_augmentation(flip="horizontal", rotation=0.1, zoom=0.2):
    return keras.Sequential([layers.RandomFlip(flip), layers.RandomRotation(rotation), layers.RandomZoom(zoom)])
