"""The Dask backend: grade a class on the workers of a Dask distributed cluster.

    python -m autograder grade --scheduler tcp://HOST:8786   # an existing cluster
    python -m autograder grade --cluster local:2             # a LocalCluster of 2 processes here

``DaskBackend`` has the shape of every ``grade_class`` backend (``isolation``, ``grade``,
``close``). What runs where:

- the **client** (this process) finds the submissions, reads each into a ``SubmissionInput``
  (bytes, at most ``MAX_INPUT_BYTES`` as JSON) and submits one Dask task per submission; the
  results come back as JSON, and ``grade_class`` records them as for the local pool (output
  folder, gradebook, resume);
- each **Dask worker** runs ``WarmGraderPlugin``: once per worker it starts the local pool's
  own warm grading process (``pool.WorkerPool`` of size 1: ``worker.WarmGrader`` with its
  zygote, in a fresh process with the pool's minimal environment), and each task hands it one
  submission. So a submission is graded exactly as in the local pool: its cells in sandboxes
  forked from that zygote, the trusted tests in the warm process, outside the sandbox.

Dask's worker processes are daemonic (``distributed.worker.daemon``): that stops only
``multiprocessing`` children; ``os.fork``, ``unshare`` and ``subprocess`` work in them (checked
on a LocalCluster: strong isolation, forks fine, with the setting True or False), so the
default is kept. Why a process of its own rather than the Dask worker itself: a Dask worker is multi-threaded
(event loop, executor, comms), and forking a zygote out of a multi-threaded process can
inherit a lock held by another thread; its environment may hold the cluster's credentials,
which every sandbox forked from it could read back; and a runaway submission is stopped by
killing that process, never the Dask worker.

Faults: a Dask worker that dies mid-task (killed, out of memory, host lost) is replaced by its
nanny, and the scheduler gives its tasks to another worker (Dask's own rescheduling; after
``distributed.scheduler.allowed-failures`` deaths the submission gets an error row). Each task
has one key and one future, so a result is recorded once. A worker whose host cannot make
namespaces reports weak isolation; ``grade_class`` then warns, or refuses with
``--require-isolation``, and each task checks again on its worker (a worker that joined later).

Sandbox uids: the Dask workers of one host take slots by lock files in the temporary folder
(slot k: uid ``uid_base + SLOT_BASE + k``), so no two sandboxes on a host share a uid (nor a
process limit) and none shares one with the local pool's (``uid_base + 0 .. workers - 1``).

On each host: ``dask worker tcp://SCHEDULER:8786 --nworkers N --nthreads 1 --preload
autograder.grader.cluster`` (the preload warms the grader as the worker starts; without it
the first batch does).
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import signal
import tempfile
import threading
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path

from distributed import WorkerPlugin

from ..config import GraderConfig
from .errors import GradingError
from .pool import WorkerPool
from .submission import SourceCache, SubmissionInput, SubmissionResult, failed_result

PLUGIN_NAME = "autograder-warm-grader"
MAX_INPUT_BYTES = 64 * 2**20        # one submission as JSON: notebook, source, provided files
SLOT_BASE = 32                       # Dask slots' sandbox uids: uid_base + SLOT_BASE + k
MAX_SLOTS = 32
TASK_RETRIES = 1                     # a task that raised (not a dead worker) runs once more
LOCAL_CLUSTER = re.compile(r"^local:(?P<n>[1-9][0-9]*)$")


class IsolationRefused(RuntimeError):
    """This worker cannot build strong sandboxes and the batch requires them."""


# ============================================================================ on each worker

def claim_slot(directory: str | None = None) -> tuple[int, object]:
    """The lowest free slot on this host and its open lock file (held while the worker lives;
    the kernel releases it when the worker dies)."""
    folder = Path(directory or tempfile.gettempdir())
    for slot in range(MAX_SLOTS):
        handle = open(folder / f"bfs-dask-slot-{slot}.lock", "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        _end_leftover(handle)
        return slot, handle
    raise GradingError(f"more than {MAX_SLOTS} Dask grading workers on this host")


def _end_leftover(handle) -> None:
    """A worker killed mid-submission leaves its warm grading process behind, finishing a
    submission whose result nobody reads (it is regraded elsewhere). End it: the slot's uid
    is about to be used again."""
    handle.seek(0)
    text = handle.read().strip()
    if text.isdigit():
        pid = int(text)
        try:
            if b"autograder.grader.worker" in Path(f"/proc/{pid}/cmdline").read_bytes():
                os.kill(pid, signal.SIGKILL)
        except (OSError, ProcessLookupError):
            pass


class WarmGraderPlugin(WorkerPlugin):
    """A Dask worker plugin: one warm grading process per Dask worker (see the module
    docstring). ``config``: the batch's ``GraderConfig`` as JSON (a new batch with other
    settings restarts the process with those)."""

    name = PLUGIN_NAME

    def __init__(self, config: dict | None = None):
        self.config_json = config or GraderConfig().to_json()

    async def setup(self, worker) -> None:
        import asyncio

        self.lock = threading.Lock()
        self.current: tuple | None = None
        self.slot, self._slot_file = claim_slot()
        self.log_path = Path(worker.local_directory) / "autograder-grader.log"
        self.pool = None
        # warming up takes seconds: not on the worker's event loop
        await asyncio.get_running_loop().run_in_executor(None, self._start, self.config_json)

    def _start(self, config_json: dict) -> None:
        if self.pool is not None:
            self.pool.close()
        self.config_json = config_json
        config = GraderConfig.from_json(config_json)
        slot_config = config.replace(uid_base=config.uid_base + SLOT_BASE + self.slot)
        self.pool = WorkerPool(1, slot_config, self.log_path)
        self._remember_pid()

    def _remember_pid(self) -> None:
        self._slot_file.seek(0)
        self._slot_file.truncate()
        self._slot_file.write(str(self.pool.workers[0].process.pid))
        self._slot_file.flush()

    @property
    def isolation(self) -> dict:
        ready = dict(self.pool.isolation[0])
        return {"strong": bool(ready.get("strong")), "reason": ready.get("reason") or "", "slot": self.slot}

    def grade(self, item: SubmissionInput, config_json: dict) -> SubmissionResult:
        with self.lock:
            if config_json != self.config_json:
                self._start(config_json)
            if config_json.get("require_isolation") and not self.isolation["strong"]:
                raise IsolationRefused(f"this worker cannot build strong sandboxes "
                                       f"({self.isolation['reason']}); the batch requires them")
            self.current = (item.student, item.assignment, item.notebook)
            try:
                result = next(iter(self.pool.grade([item])))
                self._remember_pid()     # the pool replaces a process that crashed
                return result
            finally:
                self.current = None

    def teardown(self, worker) -> None:
        if self.pool is not None:
            self.pool.close()
            self.pool = None


def grade_task(payload: str, config_json: dict) -> str:
    """A Dask task: one ``SubmissionInput`` (as JSON text) -> its ``SubmissionResult`` (JSON)."""
    from distributed import get_worker

    plugin = get_worker().plugins[PLUGIN_NAME]
    result = plugin.grade(SubmissionInput.from_json(json.loads(payload)), config_json)
    return json.dumps(result.to_json())


def worker_state(dask_worker) -> dict:
    """For ``Client.run``: this worker's process id, isolation and what it is grading."""
    plugin = dask_worker.plugins.get(PLUGIN_NAME)
    return {"pid": os.getpid(), "isolation": plugin.isolation if plugin else None,
            "grading": list(plugin.current) if plugin and plugin.current else None}


async def dask_setup(worker) -> None:
    """``dask worker ... --preload autograder.grader.cluster``: warm the grader as the worker
    starts (with the default settings; a batch's own settings replace them)."""
    await worker.plugin_add(plugin=WarmGraderPlugin(), name=PLUGIN_NAME)


# ============================================================================ on the client

class DaskBackend:
    """Grade on a Dask cluster: ``address`` (a scheduler's) or ``local_workers`` (a
    ``LocalCluster`` of that many single-threaded worker processes, started and stopped here)."""

    def __init__(self, config: GraderConfig, address: str | None = None, local_workers: int | None = None,
                 plugin: type[WarmGraderPlugin] = WarmGraderPlugin):
        from distributed import Client, LocalCluster

        self.config, self.sources, self.cluster = config, SourceCache(), None
        try:
            if local_workers:
                self.cluster = LocalCluster(n_workers=local_workers, processes=True, threads_per_worker=1,
                                            dashboard_address=None)
                self.client = Client(self.cluster)
            else:
                self.client = Client(address, timeout="60s")
        except OSError as error:
            raise GradingError(f"cannot reach the Dask scheduler at {address}: {error}") from None
        if not self.client.scheduler_info().get("workers"):
            self.client.wait_for_workers(1, timeout=600)
        self.client.register_plugin(plugin(config.to_json()), name=PLUGIN_NAME)
        self.isolation = [state["isolation"] for state in self.client.run(worker_state).values()
                          if state["isolation"]]

    def workers(self) -> dict[str, dict]:
        """{worker address: ``worker_state``} now."""
        return self.client.run(worker_state)

    def grade(self, inputs: Iterable[SubmissionInput]) -> Iterator[SubmissionResult]:
        from distributed import as_completed

        config_json = self.config.to_json()
        futures, refused = {}, []
        for item in inputs:
            payload = json.dumps(item.to_json())
            if len(payload) > MAX_INPUT_BYTES:
                refused.append(failed_result(item, self.sources.get(item.source)[0],
                                             f"the submission and its files are {len(payload) / 2**20:.0f} MiB "
                                             f"as sent to a grading worker (at most {MAX_INPUT_BYTES // 2**20} MiB)"))
                continue
            key = f"grade-{item.assignment}-{item.student}-{item.notebook}-{uuid.uuid4().hex[:8]}"
            future = self.client.submit(grade_task, payload, config_json, key=key, pure=False,
                                        retries=TASK_RETRIES)
            futures[future] = item
        yield from refused
        for future in as_completed(list(futures)):
            item = futures.pop(future)
            yield self._result(future, item)

    def _result(self, future, item: SubmissionInput) -> SubmissionResult:
        from distributed.scheduler import KilledWorker

        try:
            return SubmissionResult.from_json(json.loads(future.result()))
        except IsolationRefused as error:
            raise GradingError(str(error)) from None
        except KilledWorker:
            return failed_result(item, self.sources.get(item.source)[0],
                                 "every Dask worker that took this submission died while grading it")
        finally:
            future.release()

    def close(self) -> None:
        try:
            if self.cluster is None:   # someone else's cluster: leave no warm process behind
                self.client.unregister_worker_plugin(PLUGIN_NAME)
        finally:
            self.client.close()
            if self.cluster is not None:
                self.cluster.close()


def cluster_backend(config: GraderConfig):
    """The ``grade_class`` backend factory for ``config.scheduler`` / ``config.cluster``."""
    if config.scheduler and config.cluster:
        raise GradingError("give --scheduler or --cluster, not both")
    local = None
    if config.cluster:
        match = LOCAL_CLUSTER.match(config.cluster)
        if not match:
            raise GradingError(f"--cluster {config.cluster!r}: expected local:N (N worker processes here)")
        local = int(match["n"])

    def start(config: GraderConfig, count: int, log_path: Path) -> DaskBackend:
        return DaskBackend(config, address=config.scheduler, local_workers=local)

    return start
