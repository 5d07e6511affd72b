# expect: random_flip=pass random_crop=pass build_augmentation=pass
# Other valid styles: np.flip and rng.uniform, a corner drawn with rng.choice over every
# position, factors given as (-f, f) ranges, layers added one by one to an empty Sequential.
import numpy as np
import keras


def random_flip(image, rng, p=0.5):
    if p < 0 or p > 1:
        raise ValueError(f"p={p} is not a probability")
    flip = rng.uniform(0.0, 1.0) < p
    return np.flip(image, axis=1) if flip else np.array(image)


def random_crop(image, size, rng):
    h, w = size
    H, W = np.shape(image)[:2]
    if not (0 < h <= H and 0 < w <= W):
        raise ValueError("window %dx%d does not fit a %dx%d image" % (h, w, H, W))
    corners = [(i, j) for i in range(H - h + 1) for j in range(W - w + 1)]
    i, j = corners[rng.choice(len(corners))]
    return np.array(image[i:i + h, j:j + w])


def build_augmentation(flip="horizontal", rotation=0.1, zoom=0.2):
    model = keras.Sequential(name="augment")
    model.add(keras.layers.RandomFlip(mode=flip))
    model.add(keras.layers.RandomRotation(factor=(-rotation, rotation)))
    model.add(keras.layers.RandomZoom(height_factor=(-zoom, zoom)))
    return model
