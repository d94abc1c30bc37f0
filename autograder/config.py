"""Every option of the batch grader, once: its default, its help text and its command-line flag.

``GraderConfig`` is frozen and plain (numbers, strings, booleans), so it crosses process
boundaries whole (``to_json`` / ``from_json``): the command line builds one from its
arguments (``autograder.cli`` makes its flags from the fields below), the grading workers
receive it as JSON, and everything a sandbox may use is derived
from it (``worker.WarmGrader.policy``), never rebuilt by hand.

    >>> config = GraderConfig(workers=2, memory_mb=1024)
    >>> GraderConfig.from_json(config.to_json()) == config
    True
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field

# What a sandbox gets beyond the submission's own wall-time budget: a submission's CPU-time
# limit is its total time plus this (the wall-time limits stop it first); a worker that is
# silent for its submission's time plus HARD_LIMIT_MARGIN_SECONDS is killed and replaced.
CPU_MARGIN_SECONDS = 60
HARD_LIMIT_MARGIN_SECONDS = 120
AUTODIFF_MODES = ("fail", "warn")   # what a derived gradient computed with autodiff costs


def option(flag: str, default, help: str, *, metavar: str | None = None):
    """A config field that is also the command-line option ``flag``."""
    return field(default=default, metadata={"flag": flag, "help": help, "metavar": metavar})


@dataclass(frozen=True)
class GraderConfig:
    """How to grade a class. Times are wall-clock seconds; sizes in MiB."""

    course: str = option("--course", ".", "the course folder (its nbgrader_config.py names the "
                         "source and release folders)")
    assignment: str | None = option("--assignment", None, "grade only this assignment")
    out: str | None = option("--out", None, "output folder (default: <course>/graded)")
    workers: int = option("--workers", os.cpu_count() or 1,
                          "submissions graded in parallel (default: the number of cores: %(default)s)")
    force: bool = option("--force", False, "regrade even unchanged submissions")
    gradebook: str | None = option("--gradebook", None, "nbgrader gradebook URL (default: "
                                   "<course>/gradebook.db when grading the course's submitted/ tree)")
    no_gradebook: bool = option("--no-gradebook", False, "do not write to nbgrader's gradebook")
    cell_seconds: float = option("--cell-timeout", 60.0, "seconds per notebook cell", metavar="SECONDS")
    test_seconds: float = option("--test-timeout", 120.0, "seconds per test cell", metavar="SECONDS")
    submission_seconds: float = option("--submission-timeout", 900.0, "seconds per submission",
                                       metavar="SECONDS")
    memory_mb: int = option("--memory-mb", 2048, "memory per submission (MiB)", metavar="MIB")
    max_processes: int = option("--max-processes", 32, "processes and threads per submission")
    uid_base: int = option("--uid-base", 61000, "when run as root: the sandbox uid of worker slot 0 "
                           "(slot k runs as uid_base + k)")
    require_isolation: bool = option("--require-isolation", False, "refuse to grade where namespaces "
                                     "(no network, hidden files) are unavailable")
    quiet: bool = option("--quiet", False, "no progress bar or table")
    scheduler: str | None = option("--scheduler", None, "grade on the workers of this Dask scheduler "
                                   "(tcp://HOST:8786; see autograder.grader.cluster)", metavar="ADDRESS")
    cluster: str | None = option("--cluster", None, "grade on a Dask LocalCluster started here: local:N "
                                 "(N worker processes)", metavar="local:N")
    no_cgroups: bool = option("--no-cgroups", False, "do not use cgroups even where the host has them: "
                              "limit a submission's memory and CPU time by polling /proc instead "
                              "(the fallback of hosts without cgroups)")
    autodiff: str = option("--autodiff", "fail", "what a derived gradient computed with an autodiff "
                           "library (torch.autograd, torch.func, jax, autograd) costs: fail scores its "
                           "test 0, warn keeps the points and reports a warning", metavar="fail|warn")

    def __post_init__(self):
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            wanted = _plain_type(item.type)
            if value is None and "None" in str(item.type):
                continue
            if wanted is float and isinstance(value, int) and not isinstance(value, bool):
                object.__setattr__(self, item.name, float(value))
                continue
            if not isinstance(value, wanted) or (wanted is not bool and isinstance(value, bool)):
                raise ValueError(f"GraderConfig.{item.name} must be a {wanted.__name__}, not {value!r}")
        for name in ("workers", "cell_seconds", "test_seconds", "submission_seconds", "memory_mb",
                     "max_processes"):
            if getattr(self, name) <= 0:
                raise ValueError(f"GraderConfig.{name} must be positive, not {getattr(self, name)!r}")
        if self.autodiff not in AUTODIFF_MODES:
            raise ValueError(f"GraderConfig.autodiff must be one of {', '.join(AUTODIFF_MODES)}, "
                             f"not {self.autodiff!r}")

    # ------------------------------------------------------------------ derived settings
    @property
    def memory_bytes(self) -> int:
        return self.memory_mb * 2**20

    @property
    def cpu_seconds(self) -> int:
        """A sandbox's CPU-time limit (RLIMIT_CPU)."""
        return int(self.submission_seconds) + CPU_MARGIN_SECONDS

    @property
    def hard_limit_seconds(self) -> float:
        """How long a worker may take over one submission before it is killed and replaced."""
        return self.submission_seconds + HARD_LIMIT_MARGIN_SECONDS

    def uid(self, slot: int) -> int:
        return self.uid_base + slot

    def fingerprint(self) -> str:
        """The settings a stored result depends on (part of its resume key)."""
        return json.dumps({"limits": {"cell_seconds": self.cell_seconds, "test_seconds": self.test_seconds,
                                      "submission_seconds": self.submission_seconds},
                           "memory": self.memory_bytes, "processes": self.max_processes,
                           "autodiff": self.autodiff}, sort_keys=True)

    # ------------------------------------------------------------------ serialization
    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "GraderConfig":
        known = {item.name for item in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown grader settings: {', '.join(unknown)}")
        return cls(**data)

    def replace(self, **changes) -> "GraderConfig":
        return dataclasses.replace(self, **changes)


def _plain_type(annotation) -> type:
    text = str(annotation)
    for name, kind in (("bool", bool), ("int", int), ("float", float), ("str", str)):
        if text.startswith(name):
            return kind
    raise TypeError(f"GraderConfig fields are plain values, not {annotation}")


DEFAULTS = GraderConfig()
