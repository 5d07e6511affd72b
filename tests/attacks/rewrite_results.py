# attack: a later task's process rewrites an earlier task's results (a function that never returns scores)
import glob
import json
import os

import numpy as np


def _job():
    """The whole job as the grader wrote it, if this process can read it."""
    name = os.path.basename(os.path.dirname(os.getcwd()))
    for inbox in ("/inbox/" + name, *glob.glob("/tmp/cnn-worker-*/inbox/" + name)):
        try:
            with open(os.path.join(inbox, "job.json")) as handle:
                return json.load(handle), os.path.join(inbox, "in")
        except (OSError, ValueError):
            pass
    return None, None


def _forge():
    job, arrays = _job()
    if not job or not os.path.exists("../out/results-0.jsonl"):
        return
    lines = []
    for call in job["tasks"][0]["calls"]:
        image = np.load(os.path.join(arrays, call["args"][0]["file"]))
        name = "forged-%s.npy" % call["id"]
        np.save(os.path.join("../out", name), _right(image))
        lines.append(json.dumps({"id": call["id"], "result": {"t": "array", "file": name}}))
    with open("../out/results-0.jsonl", "w") as handle:
        handle.write("\n".join(lines) + "\n")


def to_unit_range(image):
    while True:   # never returns
        pass


def conv2d_single(image, kernel):
    # a correct task beside the attack: it must still earn full marks
    from numpy.lib.stride_tricks import sliding_window_view
    if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("bad shapes")
    return np.einsum("ijkl,kl->ij", sliding_window_view(image, kernel.shape), kernel)


def _right(image):
    return (np.asarray(image) / 255).astype(np.float32)


try:
    _forge()   # at import: the next task's process runs this after task 0 timed out
except Exception:
    pass
