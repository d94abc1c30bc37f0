"""Run a Python module as root on a host that refuses user namespaces, as Docker's default
seccomp profile does: ``python tests/grader/without_user_namespaces.py -m autograder grade ...``.

A seccomp filter (inherited by every process the module starts) makes ``unshare`` and ``clone``
fail with EPERM whenever their flags ask for ``CLONE_NEWUSER``, and ``clone3`` (whose flags a
filter cannot read) fail with ENOSYS, so that glibc falls back to ``clone``. Every other
namespace stays available to root. ``install()`` raises OSError where seccomp is unavailable.
"""

from __future__ import annotations

import ctypes
import os
import platform
import runpy
import sys

CLONE_NEWUSER = 0x10000000
PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2
RET_ALLOW, RET_ERRNO = 0x7FFF0000, 0x00050000
EPERM, ENOSYS = 1, 38
LD_ABS_W, JEQ_K, JSET_K, RET_K = 0x20, 0x15, 0x45, 0x06
# architecture: (AUDIT_ARCH_*, unshare, clone, clone3); the flags are clone's first argument
SYSCALLS = {"x86_64": (0xC000003E, 272, 56, 435), "aarch64": (0xC00000B7, 97, 220, 435)}
ARCH_OFFSET, NR_OFFSET, ARG0_OFFSET = 4, 0, 16   # in struct seccomp_data (little endian)


class Instruction(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8),
                ("k", ctypes.c_uint32)]


class Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_uint16), ("filter", ctypes.POINTER(Instruction))]


def program() -> list[tuple[int, int, int, int]]:
    """The filter, as (code, jump if true, jump if false, k); jumps count from the next one."""
    arch, unshare, clone, clone3 = SYSCALLS[platform.machine()]
    return [
        (LD_ABS_W, 0, 0, ARCH_OFFSET),
        (JEQ_K, 0, 4, arch),                 # another ABI: allow (to 6)
        (LD_ABS_W, 0, 0, NR_OFFSET),
        (JEQ_K, 7, 0, clone3),               # to 11
        (JEQ_K, 2, 0, unshare),              # to 7
        (JEQ_K, 1, 0, clone),                # to 7
        (RET_K, 0, 0, RET_ALLOW),
        (LD_ABS_W, 0, 0, ARG0_OFFSET),       # 7: the flags
        (JSET_K, 1, 0, CLONE_NEWUSER),       # to 10
        (RET_K, 0, 0, RET_ALLOW),
        (RET_K, 0, 0, RET_ERRNO | EPERM),    # 10
        (RET_K, 0, 0, RET_ERRNO | ENOSYS),   # 11
    ]


def install() -> None:
    if platform.machine() not in SYSCALLS:
        raise OSError(f"no seccomp filter for {platform.machine()}")
    libc = ctypes.CDLL(None, use_errno=True)
    instructions = (Instruction * len(program()))(*[Instruction(*row) for row in program()])
    prog = Program(len(instructions), instructions)
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"cannot install the seccomp filter: {os.strerror(errno)}")


def main(argv: list[str]) -> None:
    if len(argv) < 2 or argv[0] != "-m":
        raise SystemExit("usage: without_user_namespaces.py -m MODULE [ARG ...]")
    install()
    sys.argv = [argv[1], *argv[2:]]
    runpy.run_module(argv[1], run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
