# expect: random_flip=fail:vertical-flip random_crop=fail build_augmentation=missing
# Mirrors top-bottom (image[::-1]); neither function checks its arguments.
import numpy as np


def random_flip(image, rng, p=0.5):
    return image[::-1].copy() if rng.random() < p else image.copy()


def random_crop(image, size, rng):
    h, w = size
    i = rng.integers(0, max(image.shape[0] - h, 0) + 1)
    j = rng.integers(0, max(image.shape[1] - w, 0) + 1)
    return image[i:i + h, j:j + w].copy()
