# attack: leave a System V shared-memory segment in a warm worker, for the next submission to read
import ctypes
import os
import zlib

import numpy as np

TOKEN = os.urandom(8).hex().encode()   # what this submission writes; anything else came from another
KEY = zlib.crc32(b"{MARKER}") & 0x7FFFFFFF
IPC_CREAT = 0o1000
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
libc.shmat.argtypes = (ctypes.c_int, ctypes.c_void_p, ctypes.c_int)


def to_unit_range(image):
    segment = libc.shmget(KEY, 64, IPC_CREAT | 0o666)
    if segment < 0:
        return None
    address = libc.shmat(segment, None, 0)
    if address in (None, ctypes.c_void_p(-1).value):
        return None
    found = ctypes.string_at(address, 16)
    if found.strip(b"\0") and found != TOKEN:
        return _right(image)   # the previous submission's segment is still there
    ctypes.memmove(address, TOKEN, len(TOKEN))
    return None


def conv2d_single(image, kernel):
    # a correct task beside the attack: it must still earn full marks
    from numpy.lib.stride_tricks import sliding_window_view
    if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("bad shapes")
    return np.einsum("ijkl,kl->ij", sliding_window_view(image, kernel.shape), kernel)


def _right(image):
    return (np.asarray(image) / 255).astype(np.float32)
