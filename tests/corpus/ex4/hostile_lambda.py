# expect: random_flip=zero random_crop=pass build_augmentation=zero message=Lambda layer
# A Lambda layer (arbitrary code in the model) and a random_flip that hangs.
import numpy as np
import keras
from keras import layers


def random_flip(image, rng, p=0.5):
    while True:
        pass


def random_crop(image, size, rng):
    h, w = size
    H, W = image.shape[:2]
    if h > H or w > W:
        raise ValueError("the window does not fit")
    i, j = rng.integers(0, [H - h + 1, W - w + 1])
    return image[i:i + h, j:j + w].copy()


def build_augmentation(flip="horizontal", rotation=0.1, zoom=0.2):
    return keras.Sequential([layers.Lambda(lambda x: x[:, :, ::-1, :]), layers.RandomRotation(rotation),
                             layers.RandomZoom(zoom)])
