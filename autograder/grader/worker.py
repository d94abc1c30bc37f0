"""A warm grading process: ``WarmGrader``, and the pool's worker (``python -m autograder.grader.worker``).

``WarmGrader.start(config, slot)`` pays the start-up cost once (NumPy, PyTorch, matplotlib,
IPython imported; an IPython shell built; the sandbox zygote forked), then ``grade(input)``
grades one ``SubmissionInput`` at a time: every sandbox is a fork of the warm zygote, so a
submission costs about what its own cells and tests cost. Whatever runs a ``WarmGrader`` (the
local pool's worker below, a Dask worker) returns the same ``SubmissionResult``.

The pool's worker: ``python -m autograder.grader.worker '{"config": {...}, "slot": k}'``.
Protocol: one JSON object per line. The worker writes {"ready": ...} once, then reads
{"submission": {...}} lines (``SubmissionInput.to_json``) and answers each with
{"result": {...}}. Anything else the worker or a library prints goes to stderr (the protocol
has its own copy of stdout).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import tempfile
import traceback
from pathlib import Path

WARM_MODULES = ("numpy", "scipy.special", "scipy.stats", "matplotlib.pyplot", "torch",
                "sklearn.metrics", "seaborn", "coursekit", "coursekit.plots", "IPython")


def warm_up() -> None:
    os.environ.setdefault("MPLBACKEND", "Agg")
    for name in WARM_MODULES:
        try:
            __import__(name)
        except ImportError:
            pass
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)   # one worker per core; forked sandboxes must not use OpenMP pools


def make_shell():
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False
    return InteractiveShell.instance(config=config)


@contextlib.contextmanager
def trusted_assignment_imports(files: dict[str, bytes]):
    """Let test cells ``from provided import ...`` the instructor's copy of the assignment's
    files (written to a folder of this trusted process, never seen by a sandbox)."""
    folder = tempfile.mkdtemp(prefix="bfs-trusted-")
    for name, content in files.items():
        Path(folder, name).write_bytes(content)
    sys.modules.pop("provided", None)
    sys.path.insert(0, folder)
    try:
        yield
    finally:
        sys.path.remove(folder)
        sys.modules.pop("provided", None)
        shutil.rmtree(folder, ignore_errors=True)


class WarmGrader:
    """A process's warm grading state (see the module docstring). ``slot`` numbers the
    processes grading at once on one machine (it picks the sandbox uid)."""

    def __init__(self, config, slot: int, mode, shell, readonly_paths, zygote):
        from .submission import SourceCache

        self.config, self.slot, self.mode, self.shell = config, slot, mode, shell
        self.readonly_paths, self.zygote = readonly_paths, zygote
        self.sources = SourceCache()

    @classmethod
    def start(cls, config, slot: int) -> "WarmGrader":
        """Warm up and fork the zygote. Call it before this process holds anything secret:
        every sandbox is forked from the zygote, which must never have seen a source notebook."""
        warm_up()
        from ..sandbox.isolation import default_readonly_paths, probe
        from ..sandbox.zygote import Zygote

        mode = probe()
        shell = make_shell()
        readonly = default_readonly_paths()
        return cls(config, slot, mode, shell, readonly, Zygote.start(lambda: shell))

    @property
    def alive(self) -> bool:
        """False once the zygote died: it cannot be forked again without secrets, so this
        process must stop grading."""
        return self.zygote.alive

    def policy(self):
        """What this slot's sandboxes may use, from the config."""
        from ..sandbox.isolation import Policy

        config = self.config
        return Policy(memory_bytes=config.memory_bytes, cpu_seconds=config.cpu_seconds,
                      max_processes=config.max_processes, uid=config.uid(self.slot),
                      readonly_paths=self.readonly_paths, cgroups=not config.no_cgroups)

    @property
    def limits(self) -> str:
        """How this slot's sandboxes are limited as a whole ("cgroup v1", "no cgroups (...)")."""
        from ..sandbox.cgroups import detect

        return detect(self.config.no_cgroups).describe() if self.mode.strong else "per process only"

    def grade(self, item):
        """The ``SubmissionResult`` of one ``SubmissionInput``; never raises for the submission's sake."""
        from .submission import failed_result, grade_submission

        root_dir = tempfile.mkdtemp(prefix=f"bfs-grader-{self.config.uid(self.slot)}-")
        try:
            with trusted_assignment_imports(item.files):
                return grade_submission(item, self.sources, self.policy(), self.mode, root_dir,
                                        lambda: self.shell, self.config, self.zygote)
        except Exception as error:  # a grader bug must not lose the submission's row
            traceback.print_exc()
            return failed_result(item, self.sources.get(item.source)[0],
                                 f"internal grader error: {type(error).__name__}: {error}")
        finally:
            shutil.rmtree(root_dir, ignore_errors=True)

    def close(self) -> None:
        self.zygote.close()


def main(argv: list[str]) -> int:
    from ..config import GraderConfig
    from .submission import SubmissionInput

    settings = json.loads(argv[0])
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    grader = WarmGrader.start(GraderConfig.from_json(settings["config"]), int(settings["slot"]))
    protocol.write(json.dumps({"ready": True, "strong": grader.mode.strong, "reason": grader.mode.reason,
                               "limits": grader.limits}) + "\n")
    for line in sys.stdin:
        if not grader.alive:
            print("the sandbox zygote died; this worker stops", file=sys.stderr)
            return 1
        result = grader.grade(SubmissionInput.from_json(json.loads(line)["submission"]))
        protocol.write(json.dumps({"result": result.to_json()}) + "\n")
    grader.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
