# expect: to_unit_range=fail conv2d_single=zero conv2d=missing
# to_unit_range forgets float32; nothing else is written yet (starter code).
import numpy as np


def to_unit_range(image):
    return image / 255


def conv2d_single(image, kernel):
    raise NotImplementedError()
