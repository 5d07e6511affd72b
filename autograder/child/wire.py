"""The wire format between the grader and the child: JSON trees plus ``.npy`` files.

Nothing here ever unpickles. Every value is a JSON object with a type tag ``t``:

    {"t": "none"} | {"t": "bool", "v": b} | {"t": "int", "v": i}
    {"t": "npint", "v": i, "dtype": "int64"} | {"t": "float", "v": x}
    {"t": "npfloat", "v": x, "dtype": "float32"} | {"t": "str", "v": s}
    {"t": "list" | "tuple", "v": [...]} | {"t": "dict", "v": {str: ...}}
    {"t": "array", "file": "name.npy"}        numeric or bool ndarray
    {"t": "rng", "seed": i}                   a fresh numpy Generator (arguments only)
    {"t": "unsupported", "type": "name"}      anything else (results only)

This module is imported by the grader *and* copied into the child's view of
the filesystem, so it depends on the standard library and NumPy only.
"""
import json
import os

import numpy as np

MAX_NODES = 200_000          # values in one encoded tree
MAX_DEPTH = 8                # nesting of lists/tuples/dicts
MAX_STR = 4 << 20            # characters kept of a string (a model's JSON config fits)
MAX_ARRAY_BYTES = 64 << 20   # bytes of one array file


class WireError(ValueError):
    """An encoded value is malformed, too large or of a forbidden kind."""


class RngSeed(int):
    """An argument that the child turns into ``numpy.random.default_rng(seed)``."""


class Encoder:
    """Encode Python values as JSON trees, writing arrays into ``directory``."""

    def __init__(self, directory, prefix):
        self.directory = directory
        self.prefix = prefix
        self.count = 0
        self.nodes = 0

    def encode(self, value, depth=0):
        self.nodes += 1
        if self.nodes > MAX_NODES or depth > MAX_DEPTH:
            return {"t": "unsupported", "type": "too large or too deeply nested"}
        if value is None:
            return {"t": "none"}
        if isinstance(value, RngSeed):
            return {"t": "rng", "seed": int(value)}
        if isinstance(value, (bool, np.bool_)):
            return {"t": "bool", "v": bool(value)}
        if isinstance(value, int):
            return {"t": "int", "v": int(value)}
        if isinstance(value, np.integer):
            return {"t": "npint", "v": int(value), "dtype": value.dtype.name}
        if isinstance(value, float):
            return {"t": "float", "v": float(value)}
        if isinstance(value, np.floating):
            return {"t": "npfloat", "v": float(value), "dtype": value.dtype.name}
        if isinstance(value, str):
            return {"t": "str", "v": value[:MAX_STR]}
        if isinstance(value, np.random.Generator):
            return {"t": "unsupported", "type": "numpy.random.Generator"}
        if isinstance(value, np.ndarray):
            return self._array(value)
        if isinstance(value, (list, tuple)):
            tag = "tuple" if isinstance(value, tuple) else "list"
            if len(value) > MAX_NODES:
                return {"t": "unsupported", "type": "sequence too long"}
            return {"t": tag, "v": [self.encode(v, depth + 1) for v in value]}
        if isinstance(value, dict) and all(isinstance(k, str) for k in value):
            return {"t": "dict", "v": {k: self.encode(v, depth + 1) for k, v in value.items()}}
        return {"t": "unsupported", "type": type(value).__module__ + "." + type(value).__qualname__}

    def _array(self, array):
        if array.dtype.kind not in "biuf" or array.nbytes > MAX_ARRAY_BYTES:
            what = "array too large" if array.dtype.kind in "biuf" else "ndarray of dtype " + str(array.dtype)
            return {"t": "unsupported", "type": what}
        self.count += 1
        name = "%s-%d.npy" % (self.prefix, self.count)
        np.save(os.path.join(self.directory, name), np.ascontiguousarray(array), allow_pickle=False)
        return {"t": "array", "file": name}


def decode(node, directory, allow_rng=False, depth=0):
    """Rebuild a value from its JSON tree; arrays are loaded from ``directory``.

    Raises WireError on anything malformed. Never unpickles, never follows a
    symlink, never reads a file larger than MAX_ARRAY_BYTES.
    """
    if not isinstance(node, dict) or depth > MAX_DEPTH + 1:
        raise WireError("malformed value")
    tag = node.get("t")
    v = node.get("v")
    if tag == "none":
        return None
    if tag == "bool" and isinstance(v, bool):
        return v
    if tag == "int" and isinstance(v, int) and not isinstance(v, bool):
        return v
    if tag == "npint" and isinstance(v, int):
        return np.dtype(_numeric_dtype(node.get("dtype"), "iu")).type(v)
    if tag == "float" and isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(v)
    if tag == "npfloat" and isinstance(v, (int, float)):
        return np.dtype(_numeric_dtype(node.get("dtype"), "f")).type(v)
    if tag == "str" and isinstance(v, str):
        return v
    if tag in ("list", "tuple") and isinstance(v, list):
        items = [decode(x, directory, allow_rng, depth + 1) for x in v]
        return tuple(items) if tag == "tuple" else items
    if tag == "dict" and isinstance(v, dict):
        return {str(k): decode(x, directory, allow_rng, depth + 1) for k, x in v.items()}
    if tag == "array":
        return _load_array(node.get("file"), directory)
    if tag == "rng" and allow_rng and isinstance(node.get("seed"), int):
        return np.random.default_rng(node["seed"])
    if tag == "unsupported":
        return Unsupported(str(node.get("type"))[:200])
    raise WireError("unknown value tag %r" % (tag,))


class Unsupported:
    """Stands for a result that could not cross the boundary (e.g. an object array)."""

    def __init__(self, type_name):
        self.type_name = type_name

    def __repr__(self):
        return "<%s>" % self.type_name


def _numeric_dtype(name, kinds):
    try:
        dtype = np.dtype(str(name))
    except TypeError:
        raise WireError("bad dtype") from None
    if dtype.kind not in kinds:
        raise WireError("bad dtype")
    return dtype


def _load_array(name, directory):
    if not isinstance(name, str) or os.sep in name or name.startswith(".") or not name.endswith(".npy"):
        raise WireError("bad array file name")
    path = os.path.join(directory, name)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        raise WireError("array file missing") from None
    with os.fdopen(fd, "rb") as handle:
        if os.fstat(handle.fileno()).st_size > MAX_ARRAY_BYTES + 4096:
            raise WireError("array file too large")
        try:
            array = np.load(handle, allow_pickle=False)
        except Exception:
            raise WireError("unreadable array file") from None
    if not isinstance(array, np.ndarray) or array.dtype.kind not in "biuf":
        raise WireError("array of a forbidden dtype")
    return array


def dump_json(obj, path):
    """Write ``obj`` as JSON (NaN and infinities allowed, as Python writes them)."""
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(obj, handle)

