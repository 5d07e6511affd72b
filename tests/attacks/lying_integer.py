# attack: an np.integer subclass that lies about its dtype
import numpy as np


class Liar(np.int64):
    @property
    def dtype(self):
        return np.dtype(np.int8)


def to_unit_range(image):
    return [Liar(10 ** 12), {"x": Liar(-10 ** 15)}]


def conv2d_single(image, kernel):
    # a correct task beside the attack: it must still earn full marks
    from numpy.lib.stride_tricks import sliding_window_view
    if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("bad shapes")
    return np.einsum("ijkl,kl->ij", sliding_window_view(image, kernel.shape), kernel)


def _right(image):
    return (np.asarray(image) / 255).astype(np.float32)
