# attack: leave a kernel keyring entry in a warm worker, for the next submission to read
import ctypes
import os

import numpy as np

TOKEN = os.urandom(8).hex().encode()   # what this submission stores; anything else came from another
ADD_KEY, REQUEST_KEY, KEYCTL = 248, 249, 250   # x86_64
KEYCTL_READ = 11
RINGS = (-3, -4, -5)   # session, user, user-session keyrings
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


def to_unit_range(image):
    key = libc.syscall(REQUEST_KEY, b"user", b"{MARKER}", None, 0)
    if key > 0:
        buffer = ctypes.create_string_buffer(64)
        size = libc.syscall(KEYCTL, KEYCTL_READ, ctypes.c_long(key), buffer, 64)
        if size > 0 and buffer.raw[:size] != TOKEN:
            return _right(image)   # the previous submission's key is still there
    for ring in RINGS:
        libc.syscall(ADD_KEY, b"user", b"{MARKER}", TOKEN, len(TOKEN), ring)
    return None


def conv2d_single(image, kernel):
    # a correct task beside the attack: it must still earn full marks
    from numpy.lib.stride_tricks import sliding_window_view
    if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("bad shapes")
    return np.einsum("ijkl,kl->ij", sliding_window_view(image, kernel.shape), kernel)


def _right(image):
    return (np.asarray(image) / 255).astype(np.float32)
