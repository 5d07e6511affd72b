"""ex4: data augmentation.

``random_flip`` and ``random_crop`` are pure NumPy and draw their randomness
only from the ``rng`` argument (a ``numpy.random.Generator``), so the same
generator state gives the same result. ``build_augmentation`` returns the
Keras preprocessing model of the lecture; Keras is imported only there, so
importing this module is cheap.
"""

import operator

import numpy as np


def random_flip(image, rng, p=0.5):
    """Mirror an image left-right with probability p.

    Inputs:
    - image: array of shape (H, W, C) (any array-like of at least 2 dims).
    - rng: numpy.random.Generator; exactly one ``rng.random()`` is drawn.
    - p: probability of flipping, 0 <= p <= 1.

    Returns:
    - out: new array of shape (H, W, C): ``image[:, ::-1]`` if the draw is
      below p, else an equal copy of image. The input is never modified.

    Raises ValueError unless 0 <= p <= 1.
    """
    p = float(p)
    if not 0.0 <= p <= 1.0:          # also rejects NaN
        raise ValueError(f"p must be in [0, 1], got {p}")
    image = np.asarray(image)
    if image.ndim < 2:
        raise ValueError(f"image must be (H, W, C), got shape {image.shape}")
    if rng.random() < p:
        return image[:, ::-1].copy()
    return image.copy()


def random_crop(image, size, rng):
    """A random (h, w) window of an image, uniform over all valid positions.

    Inputs:
    - image: array of shape (H, W, C) (any array-like of at least 2 dims).
    - size: (h, w), the window's height and width, 1 <= h <= H, 1 <= w <= W.
    - rng: numpy.random.Generator; draws ``i = rng.integers(0, H - h + 1)``
      then ``j = rng.integers(0, W - w + 1)``.

    Returns:
    - out: new array of shape (h, w, C), equal to ``image[i:i+h, j:j+w]``.

    Raises ValueError if the window does not fit in the image (or a side is
    below 1).
    """
    image = np.asarray(image)
    if image.ndim < 2:
        raise ValueError(f"image must be (H, W, C), got shape {image.shape}")
    try:
        h, w = (operator.index(s) for s in size)
    except (TypeError, ValueError) as err:
        raise ValueError(f"size must be a pair of ints (h, w), got {size!r}") from err
    H, W = image.shape[:2]
    if not (1 <= h <= H and 1 <= w <= W):
        raise ValueError(f"a {h}x{w} window does not fit in a {H}x{W} image")
    i = int(rng.integers(0, H - h + 1))
    j = int(rng.integers(0, W - w + 1))
    return image[i:i + h, j:j + w].copy()


def build_augmentation(flip="horizontal", rotation=0.1, zoom=0.2):
    """The lecture's data-augmentation model.

    Inputs:
    - flip: mode of ``keras.layers.RandomFlip`` ("horizontal", "vertical" or
      "horizontal_and_vertical").
    - rotation: factor of ``keras.layers.RandomRotation`` (fraction of a full
      turn).
    - zoom: height factor of ``keras.layers.RandomZoom``.

    Returns:
    - model: ``keras.Sequential([RandomFlip(flip), RandomRotation(rotation),
      RandomZoom(zoom)])``. Maps (N, H, W, C) to (N, H, W, C); the identity
      at inference (``training=False``), random in training.
    """
    import keras
    from keras import layers

    return keras.Sequential(
        [
            layers.RandomFlip(flip),
            layers.RandomRotation(rotation),
            layers.RandomZoom(zoom),
        ],
        name="data_augmentation",
    )
