# attack: leave a process running in a warm worker, for the next submission to find
import os
import sys

import numpy as np

TOKEN = os.urandom(8).hex().encode()   # this submission's own processes carry it


def to_unit_range(image):
    for pid in os.listdir("/proc"):
        try:
            command = open("/proc/%s/cmdline" % pid, "rb").read() if pid.isdigit() else b""
            if b"{MARKER}" in command and TOKEN not in command:
                return _right(image)   # a process from the previous submission is still there
        except OSError:
            pass
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(120)", "{MARKER}", TOKEN])
        os._exit(0)
    return None


def conv2d_single(image, kernel):
    # a correct task beside the attack: it must still earn full marks
    from numpy.lib.stride_tricks import sliding_window_view
    if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("bad shapes")
    return np.einsum("ijkl,kl->ij", sliding_window_view(image, kernel.shape), kernel)


def _right(image):
    return (np.asarray(image) / 255).astype(np.float32)
