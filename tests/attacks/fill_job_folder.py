# attack: fill the job folder past its quota (the host's disk, or memory, behind it)
import os

import numpy as np

QUOTA = 256 << 20   # workers.JOBS_BYTES


def to_unit_range(image):
    chunk = b"x" * (4 << 20)
    written = 0
    try:
        for k in range(100):   # up to 400 MB, in files under the 8 MB file-size limit
            with open("../fill-%d" % k, "wb") as handle:
                handle.write(chunk)
            written += len(chunk)
    except OSError:
        pass
    return _right(image) if written > QUOTA else None


def conv2d_single(image, kernel):
    # a correct task beside the attack: it must still earn full marks
    from numpy.lib.stride_tricks import sliding_window_view
    if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("bad shapes")
    return np.einsum("ijkl,kl->ij", sliding_window_view(image, kernel.shape), kernel)


def _right(image):
    return (np.asarray(image) / 255).astype(np.float32)
