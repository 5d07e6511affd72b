# expect: random_flip=fail:global-random random_crop=fail:global-random build_augmentation=pass message=rng argument
# Draws from NumPy's global generator instead of the rng argument.
import numpy as np
import keras
from keras import layers


def random_flip(image, rng, p=0.5):
    if not 0 <= p <= 1:
        raise ValueError("p must be in [0, 1]")
    if np.random.rand() < p:
        return image[:, ::-1].copy()
    return image.copy()


def random_crop(image, size, rng):
    h, w = size
    H, W = image.shape[:2]
    if h > H or w > W:
        raise ValueError("the window does not fit")
    i = np.random.randint(0, H - h + 1)
    j = np.random.randint(0, W - w + 1)
    return image[i:i + h, j:j + w].copy()


def build_augmentation(flip="horizontal", rotation=0.1, zoom=0.2):
    return keras.Sequential([layers.RandomFlip(flip), layers.RandomRotation(rotation), layers.RandomZoom(zoom)])
