# attack: a task_end event whose task is a list, and a first cells event with a non-integer cell number
import json
import os

import numpy as np


def _plant():
    lines = [{"event": "cells", "cells": [{"cell": "one", "status": "raised", "error": "x"}]},
             {"event": "task_end", "task": [0], "status": "ok"}, {"event": "task_end", "task": {"a": 1}}]
    try:
        with open("../out/events.jsonl", "a") as handle:
            for line in lines:
                handle.write(json.dumps(line) + "\n")
    except OSError:
        pass
    for line in lines:
        _send(b"E", json.dumps(line).encode())
        _send(b"R", json.dumps(dict(line, id="c0")).encode())


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


_plant()   # at import, before the runner reports the cells
