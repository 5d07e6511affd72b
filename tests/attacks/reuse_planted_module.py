# attack: plant a module in a folder on sys.path (e.g. /public), to run code in the next submission's grading
import importlib
import os
import sys

import numpy as np

TOKEN = os.urandom(8).hex()   # what this submission plants; anything else came from another
MODULE = "planted_" + "{MARKER}".replace("-", "_")


def to_unit_range(image):
    try:
        planted = importlib.import_module(MODULE)
        if getattr(planted, "TOKEN", TOKEN) != TOKEN:
            return _right(image)   # the previous submission's module ran in this one's grading
    except Exception:   # noqa: BLE001
        pass
    for folder in sys.path:
        try:
            with open(os.path.join(folder or ".", MODULE + ".py"), "w") as handle:
                handle.write("TOKEN = %r\n" % TOKEN)
        except OSError:
            pass
    importlib.invalidate_caches()
    return None


def conv2d_single(image, kernel):
    # a correct task beside the attack: it must still earn full marks
    from numpy.lib.stride_tricks import sliding_window_view
    if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("bad shapes")
    return np.einsum("ijkl,kl->ij", sliding_window_view(image, kernel.shape), kernel)


def _right(image):
    return (np.asarray(image) / 255).astype(np.float32)
