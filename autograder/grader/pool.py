"""The local backend: warm worker processes on this machine, one submission each at a time.

``WorkerPool(size, config, log_path)`` starts ``size`` workers (``worker.py``) and waits until
each is warm; ``grade(inputs)`` yields one ``SubmissionResult`` per ``SubmissionInput`` as
they finish. A worker that crashes or overruns its hard time limit is replaced, and its
submission gets a result row that says what happened.

Any backend ``grade_class`` can use has this shape: ``isolation`` (one {"strong", "reason"}
per worker), ``grade(inputs)`` and ``close()``.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..config import GraderConfig
from .errors import GradingError
from .submission import SourceCache, SubmissionInput, SubmissionResult, failed_result

START_TIMEOUT_SECONDS = 600


def worker_environment() -> dict:
    """A minimal environment for workers. Sandboxes descend from them, and a process's
    initial environment stays readable in its memory: the grader's own variables (tokens,
    paths, credentials) must never be there."""
    keep = {name: os.environ[name] for name in ("LANG", "LC_ALL", "TZ") if name in os.environ}
    return {**keep, "PATH": f"{Path(sys.executable).parent}{os.pathsep}/usr/bin:/bin",
            "HOME": os.environ.get("HOME", "/tmp"), "OMP_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "MPLBACKEND": "Agg",
            "PYTHONUNBUFFERED": "1"}


class Worker:
    def __init__(self, slot: int, config: GraderConfig, log):
        self.slot = slot
        # the whole config on the command line: every process forked from the worker shows it
        settings = json.dumps({"config": config.to_json(), "slot": slot})
        self.process = subprocess.Popen(
            [sys.executable, "-m", "autograder.grader.worker", settings],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, env=worker_environment(),
            text=True, bufsize=1)
        self.job: SubmissionInput | None = None
        self.started = 0.0
        self.ready: dict | None = None

    def send(self, item: SubmissionInput) -> None:
        self.job, self.started = item, time.monotonic()
        self.process.stdin.write(json.dumps({"submission": item.to_json()}) + "\n")
        self.process.stdin.flush()

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()


class WorkerPool:
    """``size`` warm workers; ``grade(inputs)`` yields a result per input as they finish."""

    def __init__(self, size: int, config: GraderConfig, log_path: Path,
                 start_timeout: float = START_TIMEOUT_SECONDS):
        self.size, self.config = size, config
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log = open(log_path, "a")
        self.sources = SourceCache()
        self.workers = [Worker(slot, config, self.log) for slot in range(size)]
        self.isolation = [self._await_ready(worker, start_timeout) for worker in self.workers]

    def _await_ready(self, worker: Worker, timeout: float) -> dict:
        selector = selectors.DefaultSelector()
        selector.register(worker.process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            worker.kill()
            raise GradingError(f"a grading worker did not start within {timeout:.0f} s (see {self.log.name})")
        line = worker.process.stdout.readline()
        if not line:
            raise GradingError(f"a grading worker failed to start (see {self.log.name})")
        worker.ready = json.loads(line)
        return worker.ready

    def grade(self, inputs: Iterable[SubmissionInput]) -> Iterator[SubmissionResult]:
        pending = iter(inputs)
        exhausted = False
        hard_limit = self.config.hard_limit_seconds
        while not exhausted or any(w.job for w in self.workers):
            for worker in self.workers:
                if worker.job is None and not exhausted:
                    item = next(pending, None)
                    if item is None:
                        exhausted = True
                    else:
                        worker.send(item)
            selector = selectors.DefaultSelector()
            for worker in self.workers:
                if worker.job is not None:
                    selector.register(worker.process.stdout, selectors.EVENT_READ, worker)
            if not selector.get_map():
                selector.close()
                continue
            for key, _ in selector.select(timeout=1.0):
                worker = key.data
                line = worker.process.stdout.readline()
                if line:
                    worker.job = None
                    yield SubmissionResult.from_json(json.loads(line)["result"])
                else:
                    yield self._replace(worker, "the grader's worker process crashed while "
                                        f"grading this submission (see {self.log.name})")
            for worker in self.workers:
                if worker.job is not None and time.monotonic() - worker.started > hard_limit:
                    yield self._replace(worker, f"grading took longer than {hard_limit:.0f} s "
                                        "and was stopped")
            selector.close()

    def _replace(self, worker: Worker, reason: str) -> SubmissionResult:
        item = worker.job
        worker.kill()
        replacement = Worker(worker.slot, self.config, self.log)
        self._await_ready(replacement, START_TIMEOUT_SECONDS)
        self.workers[self.workers.index(worker)] = replacement
        return failed_result(item, self.sources.get(item.source)[0], reason)

    def close(self) -> None:
        for worker in self.workers:
            try:
                worker.process.stdin.close()
                worker.process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                worker.kill()
        self.log.close()
