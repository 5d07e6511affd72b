# attack: ex4 build_augmentation declared with keras.Input((100000, 100000, 3)), so the judge allocates 240 GB
# expect: random_flip=pass random_crop=pass build_augmentation=zero
import keras
from keras import layers


def random_flip(image, rng, p=0.5):
    if not 0 <= p <= 1:
        raise ValueError("p must be in [0, 1]")
    return image[:, ::-1].copy() if rng.random() < p else image.copy()


def random_crop(image, size, rng):
    h, w = size
    H, W = image.shape[:2]
    if h > H or w > W:
        raise ValueError("the window does not fit")
    i = rng.integers(0, H - h + 1)
    j = rng.integers(0, W - w + 1)
    return image[i:i + h, j:j + w].copy()


def build_augmentation(flip="horizontal", rotation=0.1, zoom=0.2):
    return keras.Sequential([keras.Input((100000, 100000, 3)), layers.RandomFlip(flip),
                             layers.RandomRotation(rotation), layers.RandomZoom(zoom)])
