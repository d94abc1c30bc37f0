"""The sandbox monitor's watch over a submission as a whole (memory and CPU time of all its
processes together), with a cgroup where the host has one (``cgroups``), by polling /proc
where it does not.

``Watchdog.check()`` returns None while the submission is within its limits, else the exit
status the monitor ends with (``MEMORY_EXIT`` or ``CPU_EXIT``, which ``describe_exit`` names).

Without cgroups the memory of a submission is the sum of the *proportional* set size (Pss:
a page shared by k processes counts 1/k in each) of every process in its PID namespace, so
pages that its processes share among themselves count once, however they fork. Pages shared
with the warm zygote it was forked from also count in part; the threshold therefore adds the
monitor's own resident size (a fork of the same zygote) to the limit, which is what the
fallback's stated margin is made of, plus what can be touched between two polls.
"""

from __future__ import annotations

import os

from .cgroups import Group

MEMORY_EXIT, CPU_EXIT = 75, 76
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
POLL_SECONDS_CGROUP, POLL_SECONDS_FALLBACK = 0.2, 0.02


def _namespace_id(pid: int | str):
    try:
        info = os.stat(f"/proc/{pid}/ns/pid")
    except OSError:
        return None
    return (info.st_dev, info.st_ino)


def namespace_pids(namespace) -> list[int]:
    """Every process whose PID namespace is ``namespace`` (a ``_namespace_id``)."""
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit() and _namespace_id(name) == namespace:
            found.append(int(name))
    return found


def resident_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as handle:
            return int(handle.read().split()[1]) * PAGE
    except (OSError, ValueError, IndexError):
        return 0


def proportional_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            total = 0
            for line in handle:
                if line.startswith(("Pss:", "SwapPss:")):
                    total += int(line.split()[1]) * 1024
            return total
    except (OSError, ValueError, IndexError):
        return resident_bytes(pid)


def cpu_seconds(pid: int) -> float:
    """utime + stime of ``pid`` and of its reaped children."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return sum(int(v) for v in fields[11:15]) / TICKS
    except (OSError, ValueError, IndexError):
        return 0.0


class Watchdog:
    def __init__(self, child: int, memory_bytes: int, cpu_limit: float, group: Group | None):
        self.child, self.group = child, group
        self.memory_bytes, self.cpu_limit = memory_bytes, cpu_limit
        self.namespace = _namespace_id(child) if group is None else None
        self.margin = resident_bytes(os.getpid())
        self.poll_seconds = POLL_SECONDS_CGROUP if group is not None else POLL_SECONDS_FALLBACK
        self.peak = 0
        self._ticks = 0

    def check(self) -> int | None:
        if self.group is not None:
            if self.group.oom_kills() > 0:
                return MEMORY_EXIT
            return CPU_EXIT if self.group.cpu_seconds() > self.cpu_limit else None
        if self.namespace is None:
            return None
        pids = namespace_pids(self.namespace)
        threshold = self.memory_bytes + self.margin
        if sum(resident_bytes(pid) for pid in pids) > threshold:   # cheap upper bound first
            used = sum(proportional_bytes(pid) for pid in pids)
            self.peak = max(self.peak, used)
            if used > threshold:
                return MEMORY_EXIT
        self._ticks += 1
        if self._ticks % 25 == 0 and sum(cpu_seconds(pid) for pid in pids) > self.cpu_limit:
            return CPU_EXIT
        return None
