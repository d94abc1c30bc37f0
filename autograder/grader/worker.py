"""A warm grading worker (``python -m autograder.grader.worker SETTINGS_JSON``).

It pays the start-up cost once (NumPy, PyTorch, matplotlib, IPython imported; an IPython
shell built), then grades one job at a time; every sandbox it starts is a fork of this warm
process, so a submission costs about what its own cells and tests cost.

Protocol: one JSON object per line. The worker writes {"ready": ...} once, then reads
{"job": {...}} lines and answers each with {"result": {...}}. Anything else the worker or
a library prints goes to stderr (the protocol has its own copy of stdout).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import tempfile
import traceback

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
def trusted_assignment_imports(files_dir: str):
    """Let test cells ``from provided import ...`` the instructor's copy for this assignment."""
    sys.modules.pop("provided", None)
    sys.path.insert(0, files_dir)
    try:
        yield
    finally:
        sys.path.remove(files_dir)
        sys.modules.pop("provided", None)


def main(argv: list[str]) -> int:
    settings = json.loads(argv[0])
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    warm_up()

    from ..sandbox.isolation import Policy, default_readonly_paths, probe
    from ..sandbox.zygote import Zygote
    from .run import Limits
    from .submission import Job, SourceCache, failed_result, grade_job

    mode = probe()
    shell = make_shell()
    limits = Limits(**settings["limits"])
    readonly = default_readonly_paths()
    # Sandboxes are forked from this zygote, forked now, before this process reads any job:
    # a sandbox forked from the worker itself would hold a copy of the instructor's source.
    zygote = Zygote.start(lambda: shell)
    sources = SourceCache()
    protocol.write(json.dumps({"ready": True, "strong": mode.strong, "reason": mode.reason}) + "\n")
    for line in sys.stdin:
        if not zygote.alive:   # it cannot be forked again without secrets: let the pool replace us
            print("the sandbox zygote died; this worker stops", file=sys.stderr)
            return 1
        job = Job(**json.loads(line)["job"])
        policy = Policy(readonly_paths=readonly, uid=settings["uid"], **settings["policy"])
        root_dir = tempfile.mkdtemp(prefix=f"bfs-grader-{settings['uid']}-")
        try:
            with trusted_assignment_imports(job.files_dir):
                result = grade_job(job, sources, policy, mode, root_dir, lambda: shell, limits, zygote)
        except Exception as error:  # a grader bug must not lose the submission's row
            traceback.print_exc()
            result = failed_result(job, sources.get(job.source)[0],
                                   f"internal grader error: {type(error).__name__}: {error}")
        finally:
            shutil.rmtree(root_dir, ignore_errors=True)
        protocol.write(json.dumps({"result": result.to_json()}) + "\n")
    zygote.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
