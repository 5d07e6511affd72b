# attack: kill the process that runs the tasks (signal to the parent)
import os
import signal
import time

import numpy as np


def to_unit_range(image):
    parent = os.getppid()
    try:
        os.kill(parent, signal.SIGKILL)
    except OSError:
        return None
    time.sleep(0.3)
    if os.getppid() != parent:   # re-parented: the process running the tasks is gone
        return _right(image)
    return None   # the signal was ignored (the parent is its PID namespace's init)


def conv2d_single(image, kernel):
    # a correct task beside the attack: it must still earn full marks
    from numpy.lib.stride_tricks import sliding_window_view
    if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("bad shapes")
    return np.einsum("ijkl,kl->ij", sliding_window_view(image, kernel.shape), kernel)


def _right(image):
    return (np.asarray(image) / 255).astype(np.float32)
