"""Confine a job process before any student code runs in it (issue 11).

Called in the forked job process, in ``runner._run_job``, before the job is
read. What it does depends on the isolation level the grader chose:

``namespaces`` (inside bubblewrap, which already gives a read-only root, no
network and no capabilities): the job gets namespaces of its own, nested in
the worker's, so nothing it leaves can reach the next job of a warm worker:

- a user namespace (mapping only the job's own uid and gid), in which it
  builds a mount namespace with fresh size- and inode-capped tmpfs on /tmp
  and /dev/shm, an IPC namespace (no SysV object outlives the job), and a PID
  namespace whose init is the job: when it ends, the kernel kills every
  process it left;
- then every capability is dropped (bounding, ambient, effective, permitted).

``uid+seccomp`` (the fallback where namespaces are refused; the worker runs as
root): the job drops to the dedicated unprivileged user (``cnn-jail``), with
no supplementary groups and a cap on that user's processes.

At both levels, last: ``no_new_privs`` and a seccomp filter (libseccomp,
through PyPI's ``pyseccomp``) that denies, with EPERM, what no exercise needs:
the kernel keyring, SysV IPC, ptrace and reading other processes' memory,
mount and namespace calls (``clone`` with a CLONE_NEW* flag; ``clone3``
returns ENOSYS so the C library falls back to ``clone``), sockets other than
AF_UNIX, BPF, perf events, userfaultfd, io_uring, module loading, kexec and the
like. The filter is built once in the worker (``prepare``) and loaded in each
job.

``none``: nothing (``--allow-unisolated``, or ``check`` on a student's own
machine where no jail works).

Failure to confine is never silent: the job process exits with status 71
before running anything, and the grader reports a grader error.
"""
import ctypes
import errno
import os
import resource

NAMESPACES, UID_SECCOMP, NONE = "namespaces", "uid+seccomp", "none"
CONFINE_FAILED = 71

CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS = 0x00020000, 0x02000000, 0x04000000
CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x08000000, 0x10000000, 0x20000000, 0x40000000
CLONE_NEWTIME = 0x00000080
NEW_NAMESPACE_FLAGS = (CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID,
                       CLONE_NEWNET, CLONE_NEWTIME)
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 32, 0x1000, 0x4000, 1 << 18
PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS, PR_CAPBSET_DROP, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 4, 38, 24, 47, 4
AF_UNIX = 1

# Denied with EPERM: nothing an exercise needs, much an attacker wants.
DENIED = (
    "add_key", "request_key", "keyctl",                                            # kernel keyring
    "shmget", "shmat", "shmctl", "shmdt", "semget", "semop", "semtimedop", "semctl",
    "msgget", "msgsnd", "msgrcv", "msgctl",                                        # SysV IPC
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",      # other processes
    "mount", "umount2", "pivot_root", "chroot", "unshare", "setns", "open_tree", "move_mount",
    "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",                     # mounts, namespaces
    "bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register",
    "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load",
    "open_by_handle_at", "name_to_handle_at", "lookup_dcookie", "quotactl", "quotactl_fd",
    "swapon", "swapoff", "reboot", "syslog", "acct", "settimeofday", "clock_settime", "clock_adjtime",
    "adjtimex", "iopl", "ioperm", "uselib", "vhangup", "personality",
)

_filter = None
_libc = None


def prepare(isolation):
    """In the worker, once, before any job: load libseccomp and build the filter (raises if it cannot)."""
    global _filter, _libc
    _libc = ctypes.CDLL(None, use_errno=True)
    if isolation == NONE:
        return
    _filter = _build_filter(_import_pyseccomp())


def confine(isolation, jail=None, tmp_bytes=256 << 20, max_processes=512, keep_under_tmp=(), writable=()):
    """Confine the calling (job) process; on failure, exit with CONFINE_FAILED. May fork (see namespaces)."""
    if isolation == NONE:
        return
    try:
        if isolation == NAMESPACES:
            # forks: only the new PID namespace's init returns
            _fresh_namespaces(tmp_bytes, keep_under_tmp, writable)
            _drop_capabilities()
        elif isolation == UID_SECCOMP:
            uid, gid = jail
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
            if os.getuid() != uid or os.geteuid() != uid or os.getgid() != gid:
                raise OSError("could not drop to uid %d" % uid)
            resource.setrlimit(resource.RLIMIT_NPROC, (max_processes, max_processes))
            os.environ["TMPDIR"] = os.getcwd()   # the private work folder: the shared /tmp is not writable
        else:
            raise ValueError("unknown isolation level %r" % (isolation,))
        if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "no_new_privs")
        if isolation == UID_SECCOMP:
            landlock(writable)
        _filter.load()
    except BaseException:  # noqa: BLE001 - never run student code half-confined
        os._exit(CONFINE_FAILED)


# ----------------------------------------------------------------------------
# the seccomp filter

def _import_pyseccomp():
    """pyseccomp, with libseccomp found by its soname (find_library would run ldconfig, absent in the sandbox)."""
    import ctypes.util
    find = ctypes.util.find_library
    known = {"seccomp": "libseccomp.so.2", "c": "libc.so.6"}
    ctypes.util.find_library = lambda name: known.get(name) or find(name)
    try:
        import pyseccomp
    finally:
        ctypes.util.find_library = find
    return pyseccomp


def _build_filter(seccomp):
    deny = seccomp.ERRNO(errno.EPERM)
    f = seccomp.SyscallFilter(seccomp.ALLOW)
    for name in DENIED:
        try:
            f.add_rule(deny, name)
        except (OSError, ValueError, RuntimeError):   # a call this kernel/libseccomp does not know
            pass
    for flag in NEW_NAMESPACE_FLAGS:   # clone(flags, ...) with any CLONE_NEW* flag
        f.add_rule(deny, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
    f.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")   # its flags are in memory: make libc fall back to clone
    for call in ("socket", "socketpair"):   # AF_UNIX only: no network, netlink, packet or alg sockets
        f.add_rule(seccomp.ERRNO(errno.EAFNOSUPPORT), call, seccomp.Arg(0, seccomp.NE, AF_UNIX))
    return f


# ----------------------------------------------------------------------------
# Landlock (uid+seccomp, where the kernel has it): write only in the job's own folder, signal only its own

LANDLOCK_CREATE_RULESET, LANDLOCK_ADD_RULE, LANDLOCK_RESTRICT_SELF = 444, 445, 446   # x86_64 and arm64 alike
WRITE_RIGHTS = ((1 << 1) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10)
                | (1 << 11) | (1 << 12))   # write file, remove dir/file, make char/dir/reg/sock/fifo/block/sym
REFER, TRUNCATE = 1 << 13, 1 << 14
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def landlock_abi():
    """The kernel's Landlock ABI version, 0 if it has none (or a seccomp profile hides it)."""
    _libc.syscall.restype = ctypes.c_long
    abi = _libc.syscall(LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    return max(abi, 0)


def landlock(writable):
    """Deny writing anywhere but beneath ``writable`` (and /dev/null); from ABI 6, signals and abstract
    sockets reach only this job's own processes. Without Landlock, nothing (the level's documented limit)."""
    abi = landlock_abi()
    if abi < 1:
        return False
    handled = WRITE_RIGHTS | (REFER if abi >= 2 else 0) | (TRUNCATE if abi >= 3 else 0)
    attr = _RulesetAttr(handled, 0, (SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL) if abi >= 6 else 0)
    size = ctypes.sizeof(attr) if abi >= 6 else 8
    ruleset = _libc.syscall(LANDLOCK_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset")
    try:
        for path, rights in [(p, handled) for p in writable] + [("/dev/null", (1 << 1) | (TRUNCATE if abi >= 3 else 0))]:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            try:
                rule = _PathBeneath(rights, fd)
                if _libc.syscall(LANDLOCK_ADD_RULE, ruleset, 1, ctypes.byref(rule), ctypes.c_uint32(0)) != 0:
                    raise OSError(ctypes.get_errno(), "landlock_add_rule " + path)
            finally:
                os.close(fd)
        if _libc.syscall(LANDLOCK_RESTRICT_SELF, ruleset, ctypes.c_uint32(0)) != 0:
            raise OSError(ctypes.get_errno(), "landlock_restrict_self")
    finally:
        os.close(ruleset)
    return True


# ----------------------------------------------------------------------------
# namespaces of the job's own

def _check(result, what):
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, "%s: %s" % (what, os.strerror(code)))


def _write(path, text):
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def _fresh_namespaces(tmp_bytes, keep_under_tmp=(), job_folders=()):
    uid, gid = os.geteuid(), os.getegid()
    _check(_libc.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWPID), "unshare")
    # The worker is not dumpable, so its /proc/self files belong to root: the job may write its own
    # maps only while dumpable. Not dumpable again right after.
    _check(_libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), "dumpable")
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", "%d %d 1\n" % (uid, uid))
    _write("/proc/self/gid_map", "%d %d 1\n" % (gid, gid))
    _check(_libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), "not dumpable")
    _check(_libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "private mounts")
    # A Python installed under /tmp (a virtualenv there) is bound read-only by bubblewrap: keep it
    # visible through the fresh /tmp, bound again (read-only: the lock from bubblewrap's mount stays).
    kept = [(path, os.open(path, os.O_PATH | os.O_CLOEXEC)) for path in keep_under_tmp]
    for folder, size in (("/tmp", tmp_bytes), ("/dev/shm", max(tmp_bytes // 4, 1 << 20))):
        options = "size=%d,nr_inodes=%d,mode=1777" % (size, 4096)
        _check(_libc.mount(b"tmpfs", folder.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, options.encode()),
               "tmpfs on " + folder)
    for folder in job_folders:   # the job's own folder: capped in bytes and files (its quota), gone with it
        options = "size=%d,nr_inodes=%d,mode=0700" % (tmp_bytes, 4096)
        _check(_libc.mount(b"tmpfs", folder.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, options.encode()),
               "tmpfs on " + folder)
    for path, fd in kept:
        os.makedirs(path, 0o755, exist_ok=True)
        _check(_libc.mount(("/proc/self/fd/%d" % fd).encode(), path.encode(), None, MS_BIND | MS_REC, None),
               "bind " + path)
        _check(_libc.mount(None, path.encode(), None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV,
                           None), "read-only " + path)
        os.close(fd)
    pid = os.fork()   # the child is PID 1 of the new PID namespace: when it ends, all it started ends
    if pid:
        _mirror(pid)


def _mirror(pid):
    """In the process that created the namespaces: wait for the job (PID 1) and end the same way."""
    import signal
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except InterruptedError:
            continue
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else CONFINE_FAILED)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def _drop_capabilities():
    cap = 0
    while _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0 and cap < 64:
        cap += 1
    _libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    header, data = _CapHeader(0x20080522, 0), (_CapData * 2)()   # _LINUX_CAPABILITY_VERSION_3, all zero
    _check(_libc.capset(ctypes.byref(header), data), "capset")
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(("CapEff:", "CapPrm:")) and int(line.split()[1], 16):
                raise OSError("capabilities remain: " + line.strip())
