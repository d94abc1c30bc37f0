"""Limits for a sandbox as a whole: one control group per sandbox, or a loud fallback.

``detect()`` says what this host offers the grader (cached per process):
- ``v2``: the unified hierarchy with the ``memory`` and ``pids`` controllers delegated to the
  grader's own cgroup (its ``cgroup.subtree_control`` lists them): ``memory.max``,
  ``memory.swap.max``, ``pids.max``, ``cpu.max``, ``cgroup.kill``;
- ``v1``: writable ``memory`` and ``pids`` hierarchies (``cpu``/``cpuacct`` when mounted):
  ``memory.limit_in_bytes`` (and ``memory.memsw.limit_in_bytes`` where swap is accounted),
  ``pids.max``, ``cpu.cfs_quota_us``/``cpu.cfs_period_us``, ``cpuacct.usage``;
- ``none``: neither (or ``forced``, for tests): the sandbox's monitor then polls the memory
  of every process of the sandbox's PID namespace and kills the namespace over the limit.

A sandbox's groups are children of the grader's *own* groups (never of the root), so every
limit the host puts on the grader still applies. ``Group.create`` makes them (in the
sandbox's monitor, before the sandbox runs), ``Group.at`` finds them again from the monitor's
pid (in the worker, to kill what is left and remove them).
"""

from __future__ import annotations

import functools
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

V1_CONTROLLERS = ("memory", "pids", "cpu", "cpuacct")
CPU_PERIOD_US = 100_000


@dataclass(frozen=True)
class Controllers:
    version: str                                   # "v2", "v1" or "none"
    reason: str = ""                               # for "none": why
    dirs: dict = field(default_factory=dict)       # v1: controller -> own group; v2: {"unified": dir}

    def describe(self) -> str:
        if self.version == "v2":
            return "cgroup v2"
        if self.version == "v1":
            return "cgroup v1"
        return f"no cgroups ({self.reason})"


def _own_groups() -> dict[str, str]:
    """{controller or "" (v2): path} from /proc/self/cgroup."""
    groups = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, names, path = line.split(":", 2)
        for name in names.split(",") if names else [""]:
            groups[name] = path
    return groups


def _mounts() -> dict[str, str]:
    """{controller or "" (v2): mount point} from /proc/self/mountinfo."""
    mounts = {}
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        left, _, right = line.partition(" - ")
        fstype, _, options = (right.split() + ["", "", ""])[:3]
        point = left.split()[4]
        if fstype == "cgroup2":
            mounts.setdefault("", point)
        elif fstype == "cgroup":
            for name in options.split(","):
                mounts.setdefault(name, point)
    return mounts


def _writable_dir(path: str) -> bool:
    probe = os.path.join(path, f"bfs-probe-{os.getpid()}")
    try:
        os.mkdir(probe)
        os.rmdir(probe)
        return True
    except OSError:
        return False


@functools.cache
def detect(forced_none: bool = False) -> Controllers:
    if forced_none:
        return Controllers("none", "switched off (--no-cgroups)")
    try:
        own, mounts = _own_groups(), _mounts()
    except OSError as error:
        return Controllers("none", f"cannot read the process's cgroups ({error.strerror})")
    if "" in own and "" in mounts:
        unified = os.path.normpath(mounts[""] + own[""])
        try:
            delegated = set(Path(unified, "cgroup.subtree_control").read_text().split())
        except OSError:
            delegated = set()
        if {"memory", "pids"} <= delegated and _writable_dir(unified):
            return Controllers("v2", dirs={"unified": unified})
    dirs = {}
    for name in V1_CONTROLLERS:
        if name in own and name in mounts:
            path = os.path.normpath(mounts[name] + own[name])
            if os.path.isdir(path) and _writable_dir(path):
                dirs[name] = path
    if "memory" in dirs and "pids" in dirs:
        return Controllers("v1", dirs=dirs)
    return Controllers("none", "no delegated cgroup v2 memory+pids controllers and no writable "
                               "cgroup v1 memory+pids hierarchies")


def _write(path: str, value) -> bool:
    try:
        with open(path, "w") as handle:
            handle.write(str(value))
        return True
    except OSError:
        return False


def _read(path: str) -> str:
    try:
        with open(path) as handle:
            return handle.read()
    except OSError:
        return ""


def _event_count(path: str, key: str) -> int:
    """The number after ``key`` in a cgroup file of "name value" lines (0 if absent)."""
    for line in _read(path).splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == key:
            return int(parts[1])
    return 0


def group_id(uid: int, monitor_pid: int) -> str:
    """A sandbox's group name: its uid (one per worker slot, so one sandbox at a time) and its
    monitor's pid (which the worker knows)."""
    return f"bfs-sandbox-{uid}-{monitor_pid}"


class Group:
    """One sandbox's control group(s)."""

    def __init__(self, controllers: Controllers, dirs: dict[str, str]):
        self.controllers, self.dirs = controllers, dirs

    @classmethod
    def at(cls, controllers: Controllers, name: str) -> "Group":
        """The groups called ``name`` (``group_id``) that exist now."""
        dirs = {key: os.path.join(parent, name) for key, parent in controllers.dirs.items()}
        return cls(controllers, {key: path for key, path in dirs.items() if os.path.isdir(path)})

    @classmethod
    def create(cls, controllers: Controllers, name: str, memory_bytes: int, max_processes: int,
               cpus: float = 1.0) -> "Group":
        """Make the groups with their limits (at most ``cpus`` cores at once); raises OSError
        if a limit cannot be set."""
        dirs = {}
        for key, parent in controllers.dirs.items():
            path = os.path.join(parent, name)
            os.makedirs(path, exist_ok=True)
            dirs[key] = path
        group = cls(controllers, dirs)
        quota = int(cpus * CPU_PERIOD_US)
        if controllers.version == "v2":
            path = dirs["unified"]
            needed = [("memory.max", memory_bytes), ("pids.max", max_processes)]
            optional = [("memory.swap.max", 0), ("cpu.max", f"{quota} {CPU_PERIOD_US}"),
                        ("memory.oom.group", 1)]
        else:
            path = None
            needed = [("memory/memory.limit_in_bytes", memory_bytes), ("pids/pids.max", max_processes)]
            optional = [("memory/memory.memsw.limit_in_bytes", memory_bytes),
                        ("cpu/cpu.cfs_period_us", CPU_PERIOD_US), ("cpu/cpu.cfs_quota_us", quota)]
        for setting, value in needed + optional:
            target = os.path.join(path, setting) if path else os.path.join(
                dirs.get(setting.split("/")[0], "/nonexistent"), setting.split("/")[1])
            if not _write(target, value) and (setting, value) in needed:
                group.remove()
                raise OSError(f"cannot set {setting} of the sandbox's cgroup")
        return group

    # ------------------------------------------------------------------ use
    def add(self, pid: int) -> None:
        for path in self.dirs.values():
            if not _write(os.path.join(path, "cgroup.procs"), pid):
                raise OSError(f"cannot move the sandbox into {path}")

    def pids(self) -> set[int]:
        found = set()
        for path in self.dirs.values():
            found.update(int(p) for p in _read(os.path.join(path, "cgroup.procs")).split())
        return found

    def oom_kills(self) -> int:
        """How many of the group's processes the kernel killed for memory."""
        if self.controllers.version == "v2":
            return _event_count(os.path.join(self.dirs.get("unified", ""), "memory.events"), "oom_kill")
        return _event_count(os.path.join(self.dirs.get("memory", ""), "memory.oom_control"), "oom_kill")

    def process_limit_hits(self) -> int:
        """How many times a fork or a new thread of the group failed at ``pids.max``."""
        key = "unified" if self.controllers.version == "v2" else "pids"
        return _event_count(os.path.join(self.dirs.get(key, ""), "pids.events"), "max")

    def cpu_seconds(self) -> float:
        """CPU time used by every process of the group, dead or alive."""
        if self.controllers.version == "v2":
            for line in _read(os.path.join(self.dirs.get("unified", ""), "cpu.stat")).splitlines():
                if line.startswith("usage_usec "):
                    return int(line.split()[1]) / 1e6
            return 0.0
        text = _read(os.path.join(self.dirs.get("cpuacct", ""), "cpuacct.usage")).strip()
        return int(text) / 1e9 if text.isdigit() else 0.0

    def kill(self, timeout: float = 5.0) -> bool:
        """SIGKILL every process in the group until none is left; True if it is empty."""
        if self.controllers.version == "v2" and "unified" in self.dirs:
            _write(os.path.join(self.dirs["unified"], "cgroup.kill"), 1)
        end = time.monotonic() + timeout
        while True:
            alive = self.pids()
            if not alive:
                return True
            for pid in alive:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            if time.monotonic() > end:
                return False
            time.sleep(0.01)

    def remove(self) -> None:
        for path in self.dirs.values():
            for _ in range(50):
                try:
                    os.rmdir(path)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)

    def destroy(self) -> None:
        self.kill()
        self.remove()


def remove_stale_groups(controllers: Controllers, uid: int) -> list[str]:
    """Remove the empty groups that sandboxes of ``uid`` left behind when their monitor was
    killed before it could remove them (a killed grading run); returns their paths.

    A group is stale when the monitor its name holds (``group_id``) is no longer running;
    the group of a live monitor, any other uid's and any non-empty group are left alone
    (``rmdir`` refuses a group that still has processes)."""
    removed, prefix = [], f"bfs-sandbox-{uid}-"
    for parent in controllers.dirs.values():
        try:
            names = [name for name in os.listdir(parent) if name.startswith(prefix)]
        except OSError:
            continue
        for name in names:
            monitor = name[len(prefix):]
            if not monitor.isdigit() or os.path.exists(f"/proc/{monitor}"):
                continue
            try:
                os.rmdir(os.path.join(parent, name))
                removed.append(os.path.join(parent, name))
            except OSError:
                pass
    return removed
