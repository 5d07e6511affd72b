"""The wire format between the grader and the child: JSON trees, raw ``.npy`` bytes, and frames.

Nothing here ever unpickles. Every value is a JSON object with a type tag ``t``:

    {"t": "none"} | {"t": "bool", "v": b} | {"t": "int", "v": i}
    {"t": "npint", "v": i, "dtype": "int64"} | {"t": "float", "v": x}
    {"t": "npfloat", "v": x, "dtype": "float32"} | {"t": "str", "v": s}
    {"t": "list" | "tuple", "v": [...]} | {"t": "dict", "v": {str: ...}}
    {"t": "array", "blob": k}                 numeric or bool ndarray: the k-th blob of its frame
    {"t": "array", "file": "name.npy"}        the same, as a file (public cases shipped to students)
    {"t": "rng", "seed": i}                   a fresh numpy Generator (arguments only)
    {"t": "unsupported", "type": "name"}      anything else (results only)

Values travel in *frames* over pipes: a kind byte, the header's and the
blob's lengths (``>cIQ``), a JSON header, then the blob: the ``.npy`` bytes
of the value's arrays one after another, their lengths in the header's
``"blobs"``. See ``child/runner.py`` for who sends which frame.

This module is imported by the grader *and* copied into the child's view of
the filesystem, so it depends on the standard library and NumPy only.
"""
import io
import json
import os
import select
import stat
import struct
import time

import numpy as np

MAX_NODES = 200_000          # values in one encoded tree
MAX_DEPTH = 8                # nesting of lists/tuples/dicts
MAX_STR = 4 << 20            # characters kept of a string (a model's JSON config fits)
MAX_ARRAY_BYTES = 64 << 20   # bytes of one array file
MAX_REFS = 1                 # references to one blob in one value (one array can't be loaded many times over)
MAX_HEADER = 16 << 20        # bytes of one frame's JSON header
MAX_BLOB = 160 << 20         # bytes of one frame's arrays
FRAME = struct.Struct(">cIQ")   # kind, header length, blob length


class WireError(ValueError):
    """An encoded value is malformed, too large or of a forbidden kind."""


class RngSeed(int):
    """An argument that the child turns into ``numpy.random.default_rng(seed)``."""


class Encoder:
    """Encode Python values as JSON trees; arrays become blobs (``self.blobs``), or files in ``directory``.

    Values are read through the built-in types' own methods, never a
    subclass's overrides, so a ``str`` or ``int`` subclass cannot change what
    is written. Array-likes (objects with ``__array__``, the buffer protocol,
    NumPy scalars) are converted with ``np.asarray`` here, where they were made.
    """

    def __init__(self, directory=None, prefix="a"):
        self.directory = directory
        self.prefix = prefix
        self.count = 0
        self.nodes = 0
        self.blobs = []

    def header(self, **fields):
        """A frame header holding ``fields`` and the lengths of the blobs encoded so far."""
        return dict(fields, blobs=[len(b) for b in self.blobs])

    def blob(self):
        return b"".join(self.blobs)

    def encode(self, value, depth=0):
        try:
            return self._encode(value, depth)
        except RecursionError:
            raise
        except Exception as exc:  # noqa: BLE001 - a hostile value's own methods may raise anything
            return {"t": "unsupported", "type": "a value the grader could not read (%s)" % type(exc).__name__}

    def _encode(self, value, depth):
        self.nodes += 1
        if isinstance(value, Unsupported):   # a stand-in the grader decoded: it crosses again as it came
            return {"t": "unsupported", "type": str(value.type_name)[:200]}
        if self.nodes > MAX_NODES or depth > MAX_DEPTH:
            return {"t": "unsupported", "type": "too large or too deeply nested"}
        if value is None:
            return {"t": "none"}
        if isinstance(value, RngSeed):
            return {"t": "rng", "seed": int.__int__(value)}
        if isinstance(value, bool):
            return {"t": "bool", "v": value is True}
        if isinstance(value, np.bool_):
            return {"t": "bool", "v": bool(np.asarray(value).item())}
        if isinstance(value, int):
            return {"t": "int", "v": int.__int__(value)}
        if isinstance(value, float):
            return {"t": "float", "v": float.__float__(value)}
        if isinstance(value, np.generic):
            return self._scalar(value)
        if isinstance(value, str):
            return {"t": "str", "v": str.__str__(value)[:MAX_STR]}
        if isinstance(value, np.random.Generator):
            return {"t": "unsupported", "type": "numpy.random.Generator"}
        if isinstance(value, np.ndarray):
            return self._array(value)
        if isinstance(value, (list, tuple)):
            tag = "tuple" if isinstance(value, tuple) else "list"
            items = list.__iter__(value) if isinstance(value, list) else tuple.__iter__(value)
            length = list.__len__(value) if isinstance(value, list) else tuple.__len__(value)
            if length > MAX_NODES:
                return {"t": "unsupported", "type": "sequence too long"}
            return {"t": tag, "v": [self._encode(v, depth + 1) for v in items]}
        if isinstance(value, dict):
            pairs = list(dict.items(value))
            if len(pairs) > MAX_NODES or not all(type(k) is str for k, _ in pairs):
                return {"t": "unsupported", "type": "dict with keys that are not plain strings"}
            return {"t": "dict", "v": {k: self._encode(v, depth + 1) for k, v in pairs}}
        return self._array_like(value)

    def _scalar(self, value):
        """A NumPy scalar, read through np.asarray (the C-level value and dtype, not Python attributes)."""
        array = np.asarray(value)
        if array.ndim != 0 or array.dtype.kind not in "biuf":
            return {"t": "unsupported", "type": "numpy scalar of dtype %s" % array.dtype}
        item = array.item()
        if array.dtype.kind == "b":
            return {"t": "bool", "v": bool(item)}
        tag = "npfloat" if array.dtype.kind == "f" else "npint"
        return {"t": tag, "v": item, "dtype": array.dtype.name}

    def _array_like(self, value):
        """Anything np.asarray accepts as real numbers (tf.Tensor, __array__, buffers) becomes an array."""
        kind = type(value).__module__ + "." + type(value).__qualname__
        typ = type(value)
        if not (hasattr(typ, "__array__") or hasattr(typ, "__array_interface__")
                or hasattr(typ, "__array_struct__") or _is_buffer(value)):
            return {"t": "unsupported", "type": kind}
        try:
            array = np.asarray(value)
        except Exception:  # noqa: BLE001
            return {"t": "unsupported", "type": kind + ", which np.asarray cannot convert"}
        if not isinstance(array, np.ndarray) or array.dtype.kind not in "biuf":
            return {"t": "unsupported", "type": "%s, which np.asarray turns into an array of %s, not of real numbers"
                    % (kind, getattr(array, "dtype", "objects"))}
        return self._array(np.array(array, copy=True))

    def _array(self, array):
        array = np.asarray(array).view(np.ndarray) if type(array) is not np.ndarray else array
        if array.dtype.kind not in "biuf" or array.nbytes > MAX_ARRAY_BYTES:
            what = "array too large" if array.dtype.kind in "biuf" else "ndarray of dtype " + str(array.dtype)
            return {"t": "unsupported", "type": what}
        if self.directory is None:
            buffer = io.BytesIO()
            np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
            self.blobs.append(buffer.getvalue())
            return {"t": "array", "blob": len(self.blobs) - 1}
        self.count += 1
        name = "%s-%d.npy" % (self.prefix, self.count)
        np.save(os.path.join(self.directory, name), np.ascontiguousarray(array), allow_pickle=False)
        return {"t": "array", "file": name}


def _is_buffer(value):
    try:
        memoryview(value).release()
        return True
    except TypeError:
        return False


class Blobs:
    """The arrays of one frame, with the decoding budgets of the whole submission.

    budget: a dict shared by every value decoded for one submission, holding
    "array_bytes" (what may still be loaded). Each blob may be referenced at
    most MAX_REFS times.
    """

    def __init__(self, lengths, data, budget=None):
        if (not isinstance(lengths, list) or len(lengths) > MAX_NODES
                or not all(type(n) is int and n >= 0 for n in lengths) or sum(lengths) != len(data)):
            raise WireError("the blob lengths do not match the frame")
        self.data = memoryview(data)
        self.offsets = []
        start = 0
        for n in lengths:
            self.offsets.append((start, n))
            start += n
        self.refs = [0] * len(lengths)
        self.budget = budget if budget is not None else {"array_bytes": 1 << 62}

    def load(self, index):
        if type(index) is not int or not 0 <= index < len(self.offsets):
            raise WireError("an array refers to no blob")
        self.refs[index] += 1
        if self.refs[index] > MAX_REFS:
            raise WireError("one array is referenced more than once")
        start, n = self.offsets[index]
        if n > MAX_ARRAY_BYTES + 4096:
            raise WireError("an array is too large")
        self.budget["array_bytes"] -= n
        if self.budget["array_bytes"] < 0:
            raise WireError("the results hold more array data than the grader accepts")
        try:
            array = np.load(io.BytesIO(self.data[start:start + n]), allow_pickle=False)
        except Exception:  # noqa: BLE001
            raise WireError("unreadable array") from None
        if not isinstance(array, np.ndarray) or array.dtype.kind not in "biuf":
            raise WireError("array of a forbidden dtype")
        return array


def decode(node, source, allow_rng=False):
    """Rebuild a value from its JSON tree; arrays come from ``source`` (a Blobs, or a directory of files).

    allow_rng: False (an "rng" node is malformed), True (it becomes a fresh
    ``numpy.random.Generator``: the child's arguments) or "seed" (it stays an
    RngSeed: the grader's own cases, passed on to the judge server).

    Raises WireError, and only WireError, on anything malformed or over a
    budget (nodes, depth, array bytes, references). Never unpickles, never
    follows a symlink, reads only regular files no larger than MAX_ARRAY_BYTES.
    """
    counter = [0]
    try:
        return _decode(node, source, allow_rng, 0, counter)
    except WireError:
        raise
    except (RecursionError, MemoryError):
        raise WireError("too deeply nested or too large") from None
    except Exception as exc:  # noqa: BLE001 - whatever a hostile tree provokes is a malformed value
        raise WireError("malformed value (%s)" % type(exc).__name__) from None


def _decode(node, directory, allow_rng, depth, counter):
    counter[0] += 1
    if counter[0] > MAX_NODES:
        raise WireError("too many values")
    if type(node) is not dict or depth > MAX_DEPTH + 1:
        raise WireError("malformed value")
    tag = node.get("t")
    v = node.get("v")
    if tag == "none":
        return None
    if tag == "bool" and isinstance(v, bool):
        return v
    if tag == "int" and isinstance(v, int) and not isinstance(v, bool):
        return v
    if tag == "npint" and type(v) is int:
        dtype = _numeric_dtype(node.get("dtype"), "iu")
        info = np.iinfo(dtype)
        if not info.min <= v <= info.max:
            raise WireError("an integer out of its dtype's range")
        return dtype.type(v)
    if tag == "float" and type(v) in (int, float):
        return float(v)
    if tag == "npfloat" and type(v) in (int, float):
        return _numeric_dtype(node.get("dtype"), "f").type(float(v))
    if tag == "str" and type(v) is str:
        return v
    if tag in ("list", "tuple") and type(v) is list:
        items = [_decode(x, directory, allow_rng, depth + 1, counter) for x in v]
        return tuple(items) if tag == "tuple" else items
    if tag == "dict" and type(v) is dict:
        return {str(k): _decode(x, directory, allow_rng, depth + 1, counter) for k, x in v.items()}
    if tag == "array" and isinstance(directory, Blobs):
        return directory.load(node.get("blob"))
    if tag == "array" and isinstance(directory, str):
        return _load_array(node.get("file"), directory)
    if tag == "rng" and allow_rng and type(node.get("seed")) is int:
        return RngSeed(node["seed"]) if allow_rng == "seed" else np.random.default_rng(node["seed"])
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
    if type(name) is not str or len(name) > 16:
        raise WireError("bad dtype")
    try:
        dtype = np.dtype(name)
    except Exception:  # noqa: BLE001
        raise WireError("bad dtype") from None
    if dtype.kind not in kinds or dtype.fields is not None or dtype.subdtype is not None:
        raise WireError("bad dtype")
    return dtype


def _load_array(name, directory):
    if not isinstance(name, str) or os.sep in name or name.startswith(".") or not name.endswith(".npy"):
        raise WireError("bad array file name")
    path = os.path.join(directory, name)
    try:
        handle = open_regular(path)
    except OSError:
        raise WireError("array file missing or not a regular file") from None
    with handle:
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



def open_regular(path):
    """Open ``path`` for reading only if it is a regular file: no symlink followed, no FIFO waited on."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError("not a regular file: %s" % path)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


# ----------------------------------------------------------------------------
# frames over pipes

def frame(kind, header, blob=b""):
    """One frame: kind (one byte), the lengths, the header (a dict, as JSON, or bytes), the blob."""
    head = header if isinstance(header, (bytes, bytearray)) else json.dumps(header).encode()
    return FRAME.pack(kind, len(head), len(blob)) + bytes(head) + bytes(blob)


def write_all(fd, data, deadline=None):
    """Write every byte of ``data``; TimeoutError at ``deadline`` (the fd should then be non-blocking)."""
    view = memoryview(data).cast("B")
    while len(view):
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([], [fd], [], remaining)[1]:
                raise TimeoutError("the reader did not take the data in time")
        try:
            written = os.write(fd, view)
        except (BlockingIOError, InterruptedError):
            continue
        view = view[written:]


def read_exact(fd, size, deadline=None, into=None):
    """Read exactly ``size`` bytes (into the bytearray ``into`` if given); None at end of file before the first
    byte, WireError if the stream ends in between, TimeoutError at ``deadline``."""
    buffer = into if into is not None else bytearray(size)
    view = memoryview(buffer)
    got = 0
    while got < size:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise TimeoutError("nothing to read in time")
        try:
            n = os.readv(fd, [view[got:size]])
        except (BlockingIOError, InterruptedError):
            continue
        if n == 0:
            if got == 0:
                return None
            raise WireError("the stream ended inside a frame")
        got += n
    return buffer


def read_prefix(fd, deadline=None):
    """(kind, header length, blob length) of the next frame, or None at end of file."""
    raw = read_exact(fd, FRAME.size, deadline)
    return None if raw is None else FRAME.unpack(bytes(raw))


def read_frame(fd, deadline=None, max_header=MAX_HEADER, max_blob=MAX_BLOB):
    """(kind, header bytes, blob bytes) of the next frame, None at end of file; WireError if over the limits."""
    prefix = read_prefix(fd, deadline)
    if prefix is None:
        return None
    kind, header_length, blob_length = prefix
    if header_length > max_header or blob_length > max_blob:
        raise WireError("a frame larger than allowed")
    header = read_exact(fd, header_length, deadline) if header_length else bytearray()
    blob = read_exact(fd, blob_length, deadline) if blob_length else bytearray()
    if header is None or blob is None:
        raise WireError("the stream ended inside a frame")
    return kind, bytes(header), blob


def parse_header(header, limit=MAX_HEADER):
    """A frame's JSON header as a dict; WireError if it is not one (too deep, too large, not JSON)."""
    if len(header) > limit:
        raise WireError("a header larger than allowed")
    try:
        value = json.loads(bytes(header).decode("utf-8"))
    except (ValueError, RecursionError, MemoryError, UnicodeDecodeError):
        raise WireError("a header that is not JSON (or nested too deeply)") from None
    if type(value) is not dict:
        raise WireError("a header that is not a JSON object")
    return value


# ----------------------------------------------------------------------------
# clean-up

def remove_tree(path, budget=2_000_000):
    """Remove ``path`` and everything in it without recursion (a 5,000-deep chain is fine) or following links.

    Walks down with one directory descriptor at a time and removes bottom-up;
    False if something could not be removed within ``budget`` steps.
    """
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_NONBLOCK
    try:
        if stat.S_ISDIR(os.lstat(path).st_mode):
            os.chmod(path, 0o700)   # a folder the job made unwritable can still be emptied
    except OSError:
        pass
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return True
    except OSError:
        try:
            os.unlink(path)
            return True
        except OSError:
            return False
    depth = 0
    try:
        while budget > 0:
            budget -= 1
            descended = False
            with os.scandir(fd) as entries:
                for entry in entries:
                    budget -= 1
                    if entry.is_dir(follow_symlinks=False):
                        try:
                            os.rmdir(entry.name, dir_fd=fd)
                            continue
                        except OSError:
                            pass
                        try:
                            os.chmod(entry.name, 0o700, dir_fd=fd)
                            child = os.open(entry.name, flags, dir_fd=fd)
                        except OSError:
                            continue
                        os.close(fd)
                        fd, depth, descended = child, depth + 1, True
                        break
                    try:
                        os.unlink(entry.name, dir_fd=fd)
                    except OSError:
                        pass
            if descended:
                continue
            if depth == 0:
                break
            parent = os.open("..", flags, dir_fd=fd)
            os.close(fd)
            fd, depth = parent, depth - 1
    finally:
        os.close(fd)
    try:
        os.rmdir(path)
    except OSError:
        return not os.path.lexists(path)
    return True
