"""The sandbox monitor's watch over a submission as a whole (memory, CPU time and number of
processes and threads of all its processes together), with a cgroup where the host has one
(``cgroups``), by polling /proc where it does not.

``Watchdog.check()`` returns None while the submission is within its limits, else the exit
status the monitor ends with (``MEMORY_EXIT``, ``CPU_EXIT`` or ``PROCESS_EXIT``, which
``describe_exit`` names).

Processes: the kernel refuses the fork or thread beyond the limit (``pids.max`` of the
cgroup; without cgroups RLIMIT_NPROC, which counts the tasks of the sandbox's uid in the
sandbox's own user namespace, hence of this submission alone). The watchdog then stops the
submission, so a fork bomb that retries forever ends at once with a reason: with a cgroup
when the kernel has refused a task (``pids.events``), without one when it sees the
namespace holding ``max_processes`` tasks (the limit reached: the next one would be refused).

CPU time without cgroups: the own CPU time of every task of the namespace, polled, plus what
tasks that have ended had used when last seen (a process reaped without ``wait``, its parent
ignoring SIGCHLD, adds nothing to its parent's children's times); what a process uses in
its last poll interval before it ends is not seen.

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

MEMORY_EXIT, CPU_EXIT, PROCESS_EXIT = 75, 76, 77
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


def own_cpu(pid: int) -> tuple[tuple[int, int], float, int] | None:
    """((pid, start time), utime + stime of all its threads, its number of threads), or None
    if it is gone. Its reaped children's times are not included (they are counted as
    themselves while they run)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (pid, int(fields[19])), (int(fields[11]) + int(fields[12])) / TICKS, int(fields[17])
    except (OSError, ValueError, IndexError):
        return None


class Watchdog:
    def __init__(self, child: int, memory_bytes: int, cpu_limit: float, group: Group | None,
                 max_processes: int | None = None):
        self.child, self.group = child, group
        self.memory_bytes, self.cpu_limit, self.max_processes = memory_bytes, cpu_limit, max_processes
        self.namespace = _namespace_id(child) if group is None else None
        self.margin = resident_bytes(os.getpid())
        self.poll_seconds = POLL_SECONDS_CGROUP if group is not None else POLL_SECONDS_FALLBACK
        self.peak = 0
        self._ended_cpu = 0.0    # fallback: CPU time of the tasks that have ended
        self._last_cpu: dict[tuple[int, int], float] = {}

    def check(self) -> int | None:
        if self.group is not None:
            if self.group.oom_kills() > 0:
                return MEMORY_EXIT
            if self.max_processes is not None and self.group.process_limit_hits() > 0:
                return PROCESS_EXIT
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
        seen, tasks = {}, 0
        for pid in pids:
            found = own_cpu(pid)
            if found is not None:
                seen[found[0]] = found[1]
                tasks += found[2]
        self._ended_cpu += sum(cpu for key, cpu in self._last_cpu.items() if key not in seen)
        self._last_cpu = seen
        if self.max_processes is not None and tasks >= self.max_processes:
            return PROCESS_EXIT
        if self._ended_cpu + sum(seen.values()) > self.cpu_limit:
            return CPU_EXIT
        return None
