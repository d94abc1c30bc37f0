"""Put a freshly forked process into a sandbox (Linux namespaces, mounts, limits).

``spawn(policy, target)`` forks twice. The first child ("monitor") unshares new mount,
network, PID, IPC and UTS namespaces (plus a user namespace when not root); its child is
process 1 of the new PID namespace, so when it ends every process the student started ends
with it. That child then:

1. builds a new root in a tmpfs: read-only binds of the system directories, the Python
   installation and the course's helper packages, and nothing else (no ``solutions/``, no
   gradebook, no other students), plus a writable ``/home/student`` and ``/tmp``;
2. chroots into it; has no network but loopback (which is down);
3. drops every privilege (a sandbox uid per worker slot when run as root; an empty
   capability set inside the user namespace otherwise) and sets ``no_new_privs``;
4. sets resource limits: address space, CPU time, processes, file size, open files;
5. closes every inherited file descriptor but the ones it was told to keep, then runs
   ``target()``.

Where namespaces are unavailable (not Linux, or a container that forbids them) the sandbox is
*weak*: its own process and session, resource limits and a scratch directory, but the
filesystem and network stay reachable. ``probe()`` says which mode applies, and the grader
warns loudly (or refuses, with ``--require-isolation``) in the weak mode.
"""

from __future__ import annotations

import ctypes
import os
import platform
import resource
import select
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..config import DEFAULTS
from . import cgroups
from .watchdog import CPU_EXIT, MEMORY_EXIT, PROCESS_EXIT, Watchdog

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS = 1, 4, 24, 38
SYS_CAPSET = {"x86_64": 126, "aarch64": 91}.get(platform.machine())
SYS_KEYCTL = {"x86_64": 250, "aarch64": 219}.get(platform.machine())
KEYCTL_JOIN_SESSION_KEYRING, KEYCTL_CLEAR, KEYCTL_GET_PERSISTENT = 1, 7, 22
KEY_SPEC_SESSION_KEYRING, KEY_SPEC_USER_KEYRING, KEY_SPEC_USER_SESSION_KEYRING = -3, -4, -5
SYSTEM_DIRS = ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc")
DEVICES = ("null", "zero", "random", "urandom")
HOME = "/home/student"

_libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


@dataclass
class Policy:
    """What a sandbox may use. Sizes in bytes, times in seconds. The grader's options
    (memory, CPU time, processes, uid) default to ``GraderConfig``'s, which the grader passes
    in (``GraderConfig.policy_for_slot``); the rest are fixed properties of a sandbox."""

    memory_bytes: int = DEFAULTS.memory_bytes
    cpu_seconds: int = DEFAULTS.cpu_seconds
    max_processes: int = DEFAULTS.max_processes
    max_file_bytes: int = 64 * 2**20
    max_open_files: int = 256
    disk_bytes: int = 256 * 2**20
    readonly_paths: tuple[str, ...] = ()
    files: dict[str, bytes] = field(default_factory=dict)
    uid: int = DEFAULTS.uid_base
    environment: dict[str, str] = field(default_factory=dict)
    cgroups: bool = True          # False: the /proc-polling fallback even where cgroups exist

    def to_json(self) -> dict:
        """Everything but ``files`` (which travel as binary blobs beside it)."""
        return {key: value for key, value in asdict(self).items() if key != "files"}

    @classmethod
    def from_json(cls, data: dict, files: dict[str, bytes] | None = None) -> "Policy":
        data = dict(data)
        data["readonly_paths"] = tuple(data.get("readonly_paths", ()))
        return cls(**data, files=dict(files or {}))


@dataclass(frozen=True)
class Mode:
    """What this host lets the grader build. ``user_namespace``: the sandbox is made from inside
    a user namespace (the grader is not root). ``fresh_user_namespace``: each sandbox gets a user
    namespace of its own (False: root on a host that refuses them, where the sandbox uid's
    keyrings are cleared before each sandbox instead). ``reason``: why something is missing."""

    strong: bool
    user_namespace: bool
    reason: str = ""
    fresh_user_namespace: bool = True

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "Mode":
        return cls(bool(data["strong"]), bool(data["user_namespace"]), str(data.get("reason", "")),
                   bool(data.get("fresh_user_namespace", True)))


def set_parent_death_signal() -> None:
    """Have the kernel kill this process (SIGKILL) when its parent dies (Linux only)."""
    if _libc is not None:
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def wait_for_exit(pid: int, timeout: float | None):
    """The exit status of child ``pid`` (as ``os.waitpid`` gives it) if it ends within
    ``timeout`` seconds (None: wait for ever), else None. A child already reaped counts as
    ended (status 0) when waiting for ever, as still unknown (None) otherwise."""
    end = None if timeout is None else time.monotonic() + float(timeout)
    while True:
        try:
            done, status = os.waitpid(pid, 0 if end is None else os.WNOHANG)
        except ChildProcessError:
            return None if end is not None else 0
        except InterruptedError:
            continue
        if done:
            return status
        if time.monotonic() >= end:
            return None
        time.sleep(0.01)


def default_readonly_paths(packages: tuple[str, ...] = ("coursekit", "autograder")) -> tuple[str, ...]:
    """The Python installation, the virtual environment and the helper packages' folders."""
    paths = {sys.base_prefix, sys.prefix, sys.exec_prefix}
    for name in packages:
        module = sys.modules.get(name) or __import__(name)
        paths.add(str(Path(module.__file__).resolve().parent))
    return tuple(sorted(os.path.realpath(p) for p in paths if os.path.isdir(p)))


def probe() -> Mode:
    """Can this process build strong sandboxes? (Forks a throwaway child to find out.)"""
    if _libc is None:
        return Mode(False, False, f"namespaces need Linux, this is {sys.platform}")
    root = os.geteuid() == 0
    flags = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS
    if not root:
        flags |= CLONE_NEWUSER
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        outer = (os.getuid(), os.getgid())
        ok = _libc.unshare(flags) == 0
        if ok and not root:
            ok = _map_user(outer)
        if ok:
            ok = _libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None) == 0
        refused = _user_namespace_refused() if ok and root else 0
        os.write(write, f"ok {refused}".encode() if ok else f"failed {ctypes.get_errno()}".encode())
        os._exit(0)
    os.close(write)
    answer = os.read(read, 16)
    os.close(read)
    os.waitpid(pid, 0)
    word, _, number = answer.decode().partition(" ")
    if word == "ok":
        refused = int(number)
        if not refused:
            return Mode(True, not root)
        return Mode(True, False, f"no user namespaces for the sandbox uid ({os.strerror(refused)}): "
                                 "its keyrings are cleared before each sandbox instead",
                    fresh_user_namespace=False)
    return Mode(False, False, f"creating namespaces failed ({os.strerror(int(number or 0))})")


def _user_namespace_refused() -> int:
    """0 if an unprivileged uid may create a user namespace here, else the errno (a host may
    allow it to root only, or refuse it altogether, as Docker's default seccomp profile does)."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setresgid(65534, 65534, 65534)
            os.setresuid(65534, 65534, 65534)
        except OSError as error:
            os._exit(error.errno or 1)
        os._exit(0 if _libc.unshare(CLONE_NEWUSER) == 0 else (ctypes.get_errno() or 1))
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def spawn(policy: Policy, target: Callable[[], None], *, output_fd: int, keep_fds: tuple[int, ...],
          mode: Mode, root_dir: str) -> int:
    """Fork a sandboxed process running ``target``; returns the pid to wait for or kill.

    The sandbox's stdout and stderr go to ``output_fd``; stdin is /dev/null. The returned
    process exits with the sandboxed process's status (128 + signal number if a signal ended
    it). ``root_dir`` is an empty directory used as the mount point of the new root (never
    visible outside the sandbox's mount namespace).
    """
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        return pid
    try:
        os.setsid()
        set_parent_death_signal()   # a sandbox never outlives the process that started it
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(output_fd, 1)
        os.dup2(output_fd, 2)
        # The host may have replaced sys.stdout (pytest's capture, a notebook's stream): bind
        # Python's streams to the sandbox's own fds 1 and 2.
        sys.stdout = sys.__stdout__ = open(1, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)
        sys.stderr = sys.__stderr__ = open(2, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)
        base_size = _current_address_space()
        other_tasks = _tasks_of_this_user() if (not mode.strong or mode.user_namespace) else 0
        contained = mode.strong and cgroups.detect(not policy.cgroups).version != "none"
        limits = _limits(policy, base_size, other_tasks, cgroup_counts_processes=contained)
        if not mode.strong:
            _enter_weak(policy, root_dir)
            _finish_and_run(policy, target, keep_fds, limits)
        flags = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS
        if mode.user_namespace:
            flags |= CLONE_NEWUSER
        outer = (os.getuid(), os.getgid())
        _check(_libc.unshare(flags), "unshare")
        if mode.user_namespace and not _map_user(outer):
            raise OSError("cannot map the user namespace")
        alive_read, alive_write = os.pipe()   # EOF on alive_read: the monitor is gone
        go_read, go_write = os.pipe()         # the monitor has put the child in its cgroup
        child = os.fork()
        if child:
            os.close(alive_read)
            os.close(go_read)
            _monitor(child, policy, go_write)
        os.close(alive_write)
        os.close(go_write)
        if os.read(go_read, 1) != b"1":
            os._exit(70)   # the monitor could not contain this process
        os.close(go_read)
        _build_root(policy, root_dir, mode)
        _drop_privileges(policy, mode, root_dir)
        # Armed last: every credential change (setuid, a new user namespace) clears it.
        set_parent_death_signal()
        if select.select([alive_read], [], [], 0)[0]:
            os._exit(1)   # the monitor died before the death signal was armed
        os.close(alive_read)
        _finish_and_run(policy, target, keep_fds, limits)
    except BaseException as error:  # never return into the worker's code
        try:
            os.write(2, f"sandbox set-up failed: {error!r}\n".encode())
        finally:
            os._exit(70)


PROCESS_LIMIT_REASON = ("was stopped: it tried to run more processes and threads at once than its "
                        "limit (--max-processes, for the whole submission)")


def describe_exit(status: int) -> str:
    """Words for a sandbox's exit status as returned by ``os.waitpid``."""
    code = os.waitstatus_to_exitcode(status)
    if code < 0:
        code = 128 - code
    if code >= 128:
        number = code - 128
        if number == signal.SIGXCPU:
            return "was stopped: it used up its CPU-time limit"
        if number == signal.SIGKILL:
            return "was killed (it may have run out of memory)"
        if number == signal.SIGSEGV:
            return "crashed (segmentation fault)"
        try:
            return f"was ended by signal {signal.Signals(number).name}"
        except ValueError:
            return f"was ended by signal {number}"
    if code == 70:
        return "could not be started (sandbox set-up failed)"
    if code == MEMORY_EXIT:
        return ("was killed: its processes together used more than its memory limit "
                "(the limit is for the whole submission)")
    if code == CPU_EXIT:
        return ("was stopped: its processes together used up its CPU-time limit "
                "(the limit is for the whole submission)")
    if code == PROCESS_EXIT:
        return PROCESS_LIMIT_REASON
    return f"exited with status {code} (sys.exit, os._exit or a crash)"


# ---------------------------------------------------------------------- the steps

def _monitor(child: int, policy: Policy, go_write: int) -> None:
    """Contain the sandboxed process (process 1 of its PID namespace) and exit with its
    status; never returns. It puts the child in the sandbox's cgroups (where the host has
    them) before letting it run, watches the memory and CPU time of the submission as a whole
    (``watchdog``), and on SIGTERM (``Sandbox.stop``) or a limit kills the child: the kernel
    then kills every process of the namespace, however it was started (setsid, double fork,
    signals ignored). The cgroup is emptied and removed before the monitor exits."""
    controllers = cgroups.detect(not policy.cgroups)
    group = None
    try:
        if controllers.version != "none":
            cgroups.remove_stale_groups(controllers, policy.uid)
            group = cgroups.Group.create(controllers, cgroups.group_id(policy.uid, os.getpid()),
                                         policy.memory_bytes, policy.max_processes)
            group.add(child)
        os.write(go_write, b"1")
    except OSError as error:
        os.write(2, f"sandbox set-up failed: {error}\n".encode())
        os.kill(child, signal.SIGKILL)
    os.close(go_write)

    def end_child(*_):
        try:
            os.kill(child, signal.SIGKILL)
        except ProcessLookupError:
            pass

    signal.signal(signal.SIGTERM, end_child)
    watch = Watchdog(child, policy.memory_bytes, policy.cpu_seconds, group, policy.max_processes)
    pidfd = os.pidfd_open(child)
    verdict = None
    while verdict is None:
        if select.select([pidfd], [], [], watch.poll_seconds)[0]:
            break
        verdict = watch.check()
    if verdict is not None:
        end_child()
    status = os.waitpid(child, 0)[1]
    if group is not None:
        group.destroy()
    code = os.waitstatus_to_exitcode(status)
    os._exit(verdict or (128 - code if code < 0 else min(code, 255)))


def _build_root(policy: Policy, root_dir: str, mode: Mode) -> None:
    root = root_dir.rstrip("/")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, f"size={policy.disk_bytes},mode=755")
    for name in SYSTEM_DIRS:
        source = f"/{name}"
        if os.path.islink(source):
            os.symlink(os.readlink(source), f"{root}{source}")
        elif os.path.isdir(source):
            _bind_readonly(source, f"{root}{source}")
    # The private /tmp first: a course (and its .venv) cloned under /tmp is then bound into it
    # read-only, instead of being hidden by a tmpfs mounted on top of it.
    for path, size, mode_bits in (("/dev/shm", 16 * 2**20, "1777"), ("/tmp", 64 * 2**20, "1777")):
        os.makedirs(f"{root}{path}", exist_ok=True)
        _mount("tmpfs", f"{root}{path}", "tmpfs", MS_NOSUID | MS_NODEV, f"size={size},mode={mode_bits}")
    bound = [f"/{name}" for name in SYSTEM_DIRS]
    for path in sorted(policy.readonly_paths):
        if any(path == done or path.startswith(done + "/") for done in bound):
            continue  # already visible through a parent bind
        _bind_readonly(path, f"{root}{path}")
        bound.append(path)
    os.makedirs(f"{root}/dev", exist_ok=True)
    for name in DEVICES:
        target = f"{root}/dev/{name}"
        open(target, "w").close()
        _mount(f"/dev/{name}", target, None, MS_BIND)
    os.makedirs(f"{root}/proc", exist_ok=True)
    if _libc.mount(b"proc", f"{root}/proc".encode(), b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None) != 0:
        os.rmdir(f"{root}/proc")  # optional: Python needs no /proc
    home = f"{root}{HOME}"
    os.makedirs(home)
    for name, content in policy.files.items():
        Path(home, name).write_bytes(content)
    if not mode.user_namespace:
        for dirpath, _, filenames in os.walk(home):
            os.chown(dirpath, policy.uid, policy.uid)
            for filename in filenames:
                os.chown(os.path.join(dirpath, filename), policy.uid, policy.uid)
    os.chmod(home, 0o700)


def _bind_readonly(source: str, target: str) -> None:
    if os.path.isdir(source):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        open(target, "a").close()
    _mount(source, target, None, MS_BIND | MS_REC)
    _mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


def _drop_privileges(policy: Policy, mode: Mode, root_dir: str) -> None:
    """Become the sandbox uid (as root) in a user namespace of its own, with a session
    keyring of its own, chroot into the new root and give up every capability.

    The fresh user namespace (an identity map of the sandbox uid) is what keeps kernel
    objects keyed by uid from one submission to the next: the user and user-session keyrings
    and the persistent keyring belong to a user namespace (Linux >= 5.3), and die with it.
    Where the host refuses user namespaces, those keyrings are cleared instead, as the
    sandbox uid, before the student's code can run (and the chroot comes first, while root)."""
    last = int(Path("/proc/sys/kernel/cap_last_cap").read_text()) if os.path.exists(
        "/proc/sys/kernel/cap_last_cap") else 40
    # Opened while still root: the sandbox uid may not be able to walk to it (a 0700 /tmp/...).
    new_root = os.open(root_dir.rstrip("/") or "/", os.O_RDONLY | os.O_DIRECTORY)
    if not mode.fresh_user_namespace:
        # No user namespace will give the capability to chroot back after the uid change.
        _enter_root(new_root)
        _drop_bounding_set(last)
    if not mode.user_namespace:
        os.setgroups([])
        os.setresgid(policy.uid, policy.uid, policy.uid)
        os.setresuid(policy.uid, policy.uid, policy.uid)
    if not mode.user_namespace and mode.fresh_user_namespace:
        # Unprivileged now; chroot is still to come (unshare refuses CLONE_NEWUSER in a
        # chroot). The uid change made /proc/self root's: dumpable again, to write its maps.
        _check(_libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), "dumpable")
        _check(_libc.unshare(CLONE_NEWUSER), "unshare(user namespace)")
        if not _map_user((policy.uid, policy.uid), as_self=True):
            raise OSError("cannot map the sandbox's user namespace")
        _check(_libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), "not dumpable")
    _join_fresh_session_keyring()
    if mode.fresh_user_namespace:
        _enter_root(new_root)
        _drop_bounding_set(last)
    else:
        _clear_keyrings_of_this_uid()
    _clear_capabilities()
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")


def _enter_root(new_root: int) -> None:
    os.fchdir(new_root)
    os.close(new_root)
    os.chroot(".")
    os.chdir(HOME)


def _drop_bounding_set(last: int) -> None:
    for capability in range(last + 1):
        _libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0)


def _clear_keyrings_of_this_uid() -> None:
    """Empty the user, user-session and persistent keyrings of the current uid: what one
    sandbox of this uid left there must not reach the next. Raises OSError if one cannot be
    cleared (the sandbox is then not started)."""
    if SYS_KEYCTL is None:
        return
    # Linked into the (fresh) session keyring, so that this process possesses it: only a
    # possessor may write to a persistent keyring.
    persistent = _libc.syscall(SYS_KEYCTL, KEYCTL_GET_PERSISTENT, -1, KEY_SPEC_SESSION_KEYRING, 0, 0)
    rings = [persistent] if persistent > 0 else []
    for ring in rings + [KEY_SPEC_USER_KEYRING, KEY_SPEC_USER_SESSION_KEYRING]:
        if _libc.syscall(SYS_KEYCTL, KEYCTL_CLEAR, ring, 0, 0, 0) < 0:
            errno = ctypes.get_errno()
            if errno != 38:   # ENOSYS: a kernel without keys
                raise OSError(errno, f"keyctl(clear keyring {ring}): {os.strerror(errno)}")


def _join_fresh_session_keyring() -> None:
    """A new anonymous session keyring: none of the zygote's (shared by every sandbox)."""
    if SYS_KEYCTL is not None:
        if _libc.syscall(SYS_KEYCTL, KEYCTL_JOIN_SESSION_KEYRING, None, 0, 0, 0) < 0:
            errno = ctypes.get_errno()
            if errno != 38:   # ENOSYS: a kernel without keys
                raise OSError(errno, f"keyctl(join session keyring): {os.strerror(errno)}")


def _clear_capabilities() -> None:
    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                    ("inheritable", ctypes.c_uint32)]

    if SYS_CAPSET is None:
        raise OSError(f"capset: unknown syscall number on {platform.machine()}")
    header, data = Header(0x20080522, 0), (Data * 2)()
    _check(_libc.syscall(SYS_CAPSET, ctypes.byref(header), ctypes.byref(data)), "capset")


def _enter_weak(policy: Policy, scratch: str) -> None:
    """No namespaces: work in ``scratch`` (the caller empties it afterwards)."""
    for name, content in policy.files.items():
        Path(scratch, name).write_bytes(content)
    os.chdir(scratch)


def _finish_and_run(policy: Policy, target: Callable[[], None], keep_fds: tuple[int, ...],
                    limits: list) -> None:
    keep = sorted(set(keep_fds) | {0, 1, 2})
    start = 3
    for fd in keep:
        if fd >= start:
            os.closerange(start, fd)
            start = fd + 1
    os.closerange(start, max(resource.getrlimit(resource.RLIMIT_NOFILE)[0], 1024))
    for which, soft, hard in limits:
        resource.setrlimit(which, (soft, hard))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # oversized writes fail instead of killing
    os.environ.clear()
    os.environ.update({
        "HOME": HOME if os.path.isdir(HOME) else os.getcwd(), "PATH": "/usr/bin:/bin",
        "TMPDIR": "/tmp" if os.path.isdir(HOME) else os.getcwd(), "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg", "MPLCONFIGDIR": os.path.join(os.getcwd(), ".matplotlib"),
        "NBGRADER_EXECUTION": "autograde", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
        **policy.environment,
    })
    sys.path[:0] = [os.getcwd()]
    try:
        target()
    finally:
        os._exit(0)


def _limits(policy: Policy, base_size: int, other_tasks: int, cgroup_counts_processes: bool = False) -> list:
    """(resource, soft, hard) triples. The address-space limit adds ``memory_bytes`` to what
    the (warm, already importing numpy and torch) process has mapped; the process limit adds
    to what the same real user already runs when the sandbox cannot have its own uid.

    Where the sandbox's cgroup limits its processes (``pids.max`` = ``max_processes``),
    RLIMIT_NPROC is twice that plus one, so that the cgroup is what refuses a task too many
    and records it (``pids.events``, which the grader stops the submission on): the kernel
    counts a fork against RLIMIT_NPROC before the cgroup charges it, so with every task
    forking at once up to ``max_processes`` forks are counted there and not yet in the cgroup
    (one above ``pids.max`` was not enough: a fork bomb of 32 was refused unrecorded)."""
    nproc = other_tasks + policy.max_processes + (policy.max_processes + 1 if cgroup_counts_processes else 0)
    return [
        (resource.RLIMIT_AS, base_size + policy.memory_bytes, base_size + policy.memory_bytes),
        (resource.RLIMIT_CPU, policy.cpu_seconds, policy.cpu_seconds + 5),
        (resource.RLIMIT_FSIZE, policy.max_file_bytes, policy.max_file_bytes),
        (resource.RLIMIT_NOFILE, policy.max_open_files, policy.max_open_files),
        (resource.RLIMIT_CORE, 0, 0),
        (resource.RLIMIT_NPROC, nproc, nproc),
    ]


def _tasks_of_this_user() -> int:
    """Processes and threads the real user runs now (what RLIMIT_NPROC counts)."""
    uid, count = os.getuid(), 0
    try:
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                status = Path(entry.path, "status").read_text()
            except OSError:
                continue
            fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
            if int(fields.get("Uid", "-1").split()[0]) == uid:
                count += int(fields.get("Threads", "1").strip())
    except OSError:
        return 4096
    return count


def _current_address_space() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 64 * 2**30  # unknown: no practical address-space limit beyond memory_bytes


def _map_user(outer: tuple[int, int], as_self: bool = False) -> bool:
    """Map ``outer`` (the caller's uid and gid *before* it unshared: after, they read as the
    overflow id) into its new user namespace: as root of the namespace, or (``as_self``) as
    themselves, so a sandbox uid stays the same uid inside."""
    uid, gid = outer
    inner_uid, inner_gid = (uid, gid) if as_self else (0, 0)
    try:
        Path("/proc/self/setgroups").write_text("deny")
        Path("/proc/self/uid_map").write_text(f"{inner_uid} {uid} 1")
        Path("/proc/self/gid_map").write_text(f"{inner_gid} {gid} 1")
    except OSError as error:
        os.write(2, f"mapping the user namespace: {error}\n".encode())
        return False
    return True


def _mount(source, target, fstype, flags, data=None) -> None:
    encode = lambda value: value.encode() if isinstance(value, str) else value  # noqa: E731
    result = _libc.mount(encode(source), encode(target), encode(fstype), flags, encode(data))
    _check(result, f"mount {source} on {target}")


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")
