"""The job process's channel to the grader, and a task's frames read as they arrive (run in the child).

``_Channel`` is the job's end of the worker's framed pipes: events and
results go up, a task's arguments come down only when that task asks for
them, one call at a time (the protocol is described in ``runner.py``), and
the job's file quota is polled meanwhile. ``_Frames`` parses a task's
pipe without blocking, within the wire's size limits.

Standard library, NumPy (through wire) and the sibling modules only: this
file is copied into the sandbox beside runner.py.
"""
import os
import select
import time

import wire
from processes import _describe, _kill_and_reap, _kill_group, _pidfd

QUOTA_POLL = 0.05   # seconds between checks of the job's file count while a task or the cells run


def _tally(folder, most):
    """(entries, bytes) under ``folder``, never following links; counting stops after ``most`` entries."""
    count, size, stack = 0, 0, [folder]
    while stack and count <= most:
        try:
            entries = list(os.scandir(stack.pop()))
        except OSError:
            continue
        for entry in entries:
            count += 1
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            size += info.st_blocks * 512
            if entry.is_dir(follow_symlinks=False):
                stack.append(entry.path)
    return count, size


class _Channel:
    """The job process's end of the job: events and results up, a task's arguments down, one call at a time."""

    def __init__(self, up, down, tasks, quota=None, jobdir=None):
        self.up, self.down, self.tasks = up, down, tasks
        # {"files": n, "folders": [...]}: how many files the job may have on those file systems (sandboxed:
        # tmpfs caps bytes, not files); with "bytes": m and "walk": true, the job folder itself is counted,
        # files and bytes (uid+seccomp: it is on the host's disk, with no quota of its own)
        self.quota = quota
        self.jobdir = jobdir
        self.frames = []   # the running task's argument frames, zeroed before the next fork

    def over_quota(self):
        """True if the job holds more files (or bytes) than its quota. Polled, every QUOTA_POLL seconds."""
        if not self.quota:
            return False
        files = self.quota.get("files", 0)
        used = 0
        for folder in self.quota.get("folders", []):
            try:
                info = os.statvfs(folder)
            except OSError:
                continue
            used += info.f_files - info.f_ffree
        if self.quota.get("walk") and self.jobdir:
            count, size = _tally(self.jobdir, files + 1)
            return used + count > files or size > self.quota.get("bytes", 0)
        return used > files

    def quota_text(self):
        """What the quota allows, for the feedback: '20000 files' or '20000 files or 256 MiB'."""
        text = "%d files" % self.quota.get("files", 0)
        return text + (" or %d MiB" % (self.quota["bytes"] >> 20) if self.quota.get("bytes") else "")

    def emit(self, **event):
        wire.write_all(self.up, wire.frame(b"E", event))

    def fds(self):
        return (self.up, self.down)

    def fetch(self, index):
        """Ask the grader for task ``index``'s arguments: one frame per call, kept as received."""
        count = len(self.tasks[index]["calls"])
        wire.write_all(self.up, wire.frame(b"N", {"task": index, "frames": count}))
        for _ in range(count):
            prefix = wire.read_prefix(self.down)
            if prefix is None:
                raise wire.WireError("the worker is gone")
            buffer = bytearray(wire.FRAME.size + prefix[1] + prefix[2])
            buffer[:wire.FRAME.size] = wire.FRAME.pack(*prefix)
            if len(buffer) > wire.FRAME.size:
                wire.read_exact(self.down, len(buffer) - wire.FRAME.size, into=memoryview(buffer)[wire.FRAME.size:])
            self.frames.append(buffer)

    def forget(self):
        for buffer in self.frames:
            buffer[:] = bytes(len(buffer))
        self.frames = []

    def serve(self, index, pid, reader, args_fd, deadline):
        """Serve task ``index`` running in ``pid`` until it ends or ``deadline``; (status, detail).

        N and R alternate, one pair per call, in order: the first R after the
        arguments of call k were handed over is call k's result, and call
        k+1's arguments are handed over only after it. Frames out of that
        order are dropped; bytes that are not frames (or over the limits) end
        the task with status "protocol".
        """
        calls = [c["id"] for c in self.tasks[index]["calls"]]
        served, expect = 0, b"N"
        os.set_blocking(args_fd, False)
        pidfd = _pidfd(pid)
        status = None
        try:
            while status is None:
                done, code = os.waitpid(pid, os.WNOHANG)
                if done:
                    _kill_group(pid)
                    status = _describe(code)
                remaining = deadline - time.monotonic()
                if status is None and remaining <= 0:
                    _kill_and_reap(pid)
                    return "timeout", None
                if status is None and self.over_quota():
                    _kill_and_reap(pid)
                    return "files", self.quota_text()
                wait = min(remaining, QUOTA_POLL) if self.quota else remaining
                if status is None and reader.pending:
                    pass   # frames already read (with the probe's last message) come first
                elif status is None and not reader.eof:
                    waiting = [reader.fd] + ([pidfd] if pidfd is not None else [])
                    select.select(waiting, [], [], wait if pidfd is not None else min(wait, 0.02))
                elif status is None:
                    select.select([pidfd] if pidfd is not None else [], [], [], min(wait, 0.02))
                try:
                    frames = reader.poll()
                except wire.WireError:
                    frames = None
                if frames is None:   # not frames at all: the channel is broken, the task ends
                    if status is None:
                        _kill_and_reap(pid)
                    return "protocol", None
                for kind, header, blob in frames:
                    if kind == expect == b"N" and served < len(calls):
                        if not self.frames:
                            self.fetch(index)
                        wire.write_all(args_fd, self.frames[served], deadline)
                        expect = b"R"
                    elif kind == expect == b"R":
                        inner = wire.frame(b"R", header, blob)
                        wire.write_all(self.up, wire.frame(b"R", {"task": index, "call": calls[served]}, inner))
                        served += 1
                        expect = b"N"
                    # anything else (another kind, an N before the R, a second R) is dropped: a result is
                    # only ever taken for the call just served, before the next call's arguments exist here
        except TimeoutError:
            _kill_and_reap(pid)
            return "timeout", None
        finally:
            if pidfd is not None:
                os.close(pidfd)
            reader.close()
            os.close(args_fd)
        return status


class _Frames:
    """Frames from a task's pipe, parsed as they arrive (non-blocking), with the wire's size limits."""

    def __init__(self, fd):
        self.fd = fd
        self.buffer = bytearray()
        self.eof = False
        self.pending = []   # frames read but not yet handled
        os.set_blocking(fd, False)

    def poll(self):
        """Every complete frame readable now; WireError if the stream is not frames or breaks a limit."""
        frames, self.pending = self.pending, []
        while not self.eof:
            try:
                chunk = os.read(self.fd, 1 << 20)
            except (BlockingIOError, InterruptedError):
                break
            if not chunk:
                self.eof = True
                break
            self.buffer += chunk
            if len(self.buffer) > wire.MAX_HEADER + wire.MAX_BLOB + 64:
                raise wire.WireError("too much at once")
        while len(self.buffer) >= wire.FRAME.size:
            kind, header_length, blob_length = wire.FRAME.unpack(bytes(self.buffer[:wire.FRAME.size]))
            if header_length > wire.MAX_HEADER or blob_length > wire.MAX_BLOB:
                raise wire.WireError("a frame over the limits")
            end = wire.FRAME.size + header_length + blob_length
            if len(self.buffer) < end:
                break
            frames.append((kind, bytes(self.buffer[wire.FRAME.size:wire.FRAME.size + header_length]),
                           bytes(self.buffer[wire.FRAME.size + header_length:end])))
            del self.buffer[:end]
        if self.eof and self.buffer and not frames:
            raise wire.WireError("the stream ended inside a frame")
        return frames

    def close(self):
        try:
            os.close(self.fd)
        except OSError:
            pass
