"""Small helpers for writing cases: random inputs with readable labels."""
from __future__ import annotations

import numpy as np


def image(rng: np.random.Generator, h: int, w: int, c: int | None = None) -> np.ndarray:
    """A float64 image (h, w) or (h, w, c) of values in [-1, 1)."""
    shape = (h, w) if c is None else (h, w, c)
    return rng.uniform(-1.0, 1.0, size=shape)


def filters(rng: np.random.Generator, kh: int, kw: int, c: int, f: int) -> np.ndarray:
    """A float64 filter bank (kh, kw, c, f) of values in [-1, 1)."""
    return rng.uniform(-1.0, 1.0, size=(kh, kw, c, f))


def integer_image(rng: np.random.Generator, h: int, w: int, c: int | None = None) -> np.ndarray:
    """A float64 image of small integers in [-4, 4], so printed values stay readable."""
    shape = (h, w) if c is None else (h, w, c)
    return rng.integers(-4, 5, size=shape).astype(np.float64)


def size_label(shape) -> str:
    """'5x4' for (5, 4); '5x4x3' for (5, 4, 3)."""
    return "x".join(str(int(s)) for s in shape)


def lecture_edge_image() -> np.ndarray:
    """The lecture's 6x6 image: left three columns 10, right three 0."""
    return np.array([[10.0] * 3 + [0.0] * 3] * 6)


LECTURE_EDGE_KERNEL = np.array([[1.0, 0.0, -1.0]] * 3)
