"""Run a command as Docker's default seccomp profile would: no new namespaces (tests of issue 11).

    python tests/jailenv/docker_like.py COMMAND...

Denies (EPERM) unshare, setns, mount, and clone/clone3 with a CLONE_NEW* flag,
as Docker's default profile does for a container without CAP_SYS_ADMIN, then
executes COMMAND. bubblewrap cannot create its namespaces under it, so the
grader's health check must find the namespaces jail refused.
"""
import ctypes.util
import errno
import os
import sys

_find = ctypes.util.find_library
ctypes.util.find_library = lambda name: {"seccomp": "libseccomp.so.2", "c": "libc.so.6"}.get(name) or _find(name)
import pyseccomp as seccomp  # noqa: E402

ctypes.util.find_library = _find

NEW_NAMESPACES = (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000, 0x80)


def main(argv):
    deny = seccomp.ERRNO(errno.EPERM)
    f = seccomp.SyscallFilter(seccomp.ALLOW)
    for name in ("unshare", "setns", "mount", "umount2", "pivot_root"):
        f.add_rule(deny, name)
    for flag in NEW_NAMESPACES:
        f.add_rule(deny, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
    f.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    f.load()
    os.execvp(argv[0], argv)


if __name__ == "__main__":
    main(sys.argv[1:])
