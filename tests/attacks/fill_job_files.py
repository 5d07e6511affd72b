# attack: create files by the hundred thousand in the job folder (no inode quota: kernel memory, or the host's disk)
import os

import numpy as np

WANTED = 40_000   # twice the job quota (workers.JOBS_FILES)


def to_unit_range(image):
    made = 0
    try:
        os.mkdir("../many")
    except OSError:
        pass
    try:
        for k in range(WANTED):
            os.close(os.open("../many/%d" % k, os.O_CREAT | os.O_WRONLY, 0o600))
            made += 1
    except OSError:
        pass
    return _right(image) if made >= WANTED else None


def conv2d_single(image, kernel):
    # a correct task beside the attack: it must still earn full marks
    from numpy.lib.stride_tricks import sliding_window_view
    if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("bad shapes")
    return np.einsum("ijkl,kl->ij", sliding_window_view(image, kernel.shape), kernel)


def _right(image):
    return (np.asarray(image) / 255).astype(np.float32)
