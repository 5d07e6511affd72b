# expect: random_flip=fail:flip-probability-inverted random_crop=missing build_augmentation=missing
# Flips when the draw is above p (probability 1 - p); random_crop and the model are not written yet.
import numpy as np


def random_flip(image, rng, p=0.5):
    if not 0 <= p <= 1:
        raise ValueError("p must be in [0, 1]")
    if rng.random() > p:
        return image[:, ::-1].copy()
    return image.copy()
