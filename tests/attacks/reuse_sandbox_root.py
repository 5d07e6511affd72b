# attack: leave a file in the sandbox's root folders (/, /public, /etc, /var ...) for the next submission
import os

import numpy as np

TOKEN = os.urandom(8).hex()   # what this submission writes; anything else came from another
PLACES = ["/", "/public", "/etc", "/var", "/home", "/run", "/grader", "/usr", "/public/coursedata", "/proc/self"]


def to_unit_range(image):
    for place in PLACES:
        try:
            with open(os.path.join(place, "{MARKER}")) as handle:
                if handle.read() != TOKEN:
                    return _right(image)   # a file from the previous submission is still there
        except OSError:
            pass
    for place in PLACES:
        try:
            with open(os.path.join(place, "{MARKER}"), "w") as handle:
                handle.write(TOKEN)
        except OSError:
            pass
    return None


def conv2d_single(image, kernel):
    # a correct task beside the attack: it must still earn full marks
    from numpy.lib.stride_tricks import sliding_window_view
    if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("bad shapes")
    return np.einsum("ijkl,kl->ij", sliding_window_view(image, kernel.shape), kernel)


def _right(image):
    return (np.asarray(image) / 255).astype(np.float32)
