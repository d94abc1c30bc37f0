"""Grade a whole class: find the submissions, fan them out to warm workers, collect results.

Submissions come from an nbgrader course's ``submitted/<student>/<assignment>/`` tree or
from folders or files given on the command line. Each becomes a ``Job`` with a resume key
(hashes of the submission, the instructor's source, the shipped files and the grader's
settings): a job whose key matches a stored result is not graded again unless ``force``.

Workers are separate processes (``worker.py``); a worker that crashes or overruns its hard
time limit is replaced, and its submission gets a result row that says what happened.
"""

from __future__ import annotations

import hashlib
import json
import os
import selectors
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from ..notebook import MalformedNotebook, nbgrader_cells, read_notebook
from .run import Limits
from .submission import Job, SourceCache, SubmissionResult, failed_result

GRADER_VERSION = "1"
DEFAULT_UID_BASE = 61000


class GradingError(RuntimeError):
    """The batch cannot start (bad course layout, no workers); the message says why."""


# ------------------------------------------------------------------------- the course

@dataclass
class Course:
    """An nbgrader course directory: instructor sources and the student release."""

    root: Path
    source_dir: Path
    release_dir: Path

    @classmethod
    def at(cls, root: str | Path) -> "Course":
        root = Path(root).resolve()
        source = next((root / name for name in ("solutions", "source") if (root / name).is_dir()), None)
        if source is None:
            raise GradingError(f"{root} is not a course folder: it has no solutions/ or source/ folder")
        release = next((root / name for name in ("notebooks", "release") if (root / name).is_dir()), source)
        return cls(root, source, release)

    def assignments(self) -> list[str]:
        return sorted(p.name for p in self.source_dir.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))

    def notebooks(self, assignment: str) -> list[str]:
        return sorted(p.stem for p in (self.source_dir / assignment).glob("*.ipynb"))

    def source(self, assignment: str, notebook: str) -> Path:
        return self.source_dir / assignment / f"{notebook}.ipynb"

    def release(self, assignment: str, notebook: str) -> Path:
        return self.release_dir / assignment / f"{notebook}.ipynb"

    def files_dir(self, assignment: str) -> Path:
        release = self.release_dir / assignment
        return release if release.is_dir() else self.source_dir / assignment


# ------------------------------------------------------------------------- discovery

def discover(course: Course, paths: list[str], assignment: str | None = None,
             fingerprint: str = "") -> tuple[list[Job], list[str]]:
    """Jobs for every submission found, and problems worth telling the instructor."""
    found: dict[tuple, Job] = {}
    problems: list[str] = []
    wanted = [assignment] if assignment else course.assignments()
    if assignment and assignment not in course.assignments():
        raise GradingError(f"no assignment {assignment!r} in {course.source_dir} "
                           f"(it has {', '.join(course.assignments()) or 'none'})")

    def add(student: str, name: str, notebook: str, path: Path) -> None:
        key = (student, name, notebook)
        if key in found:
            problems.append(f"{path}: another submission of {notebook} by {student} for {name} "
                            f"was already found ({found[key].submission}); this one was skipped")
            return
        found[key] = Job(str(path), student, name, notebook, str(course.source(name, notebook)),
                         str(course.files_dir(name)))

    def add_tree(submitted: Path) -> None:
        for student_dir in sorted(p for p in submitted.iterdir() if p.is_dir()):
            for name in wanted:
                folder = student_dir / name
                if not folder.is_dir():
                    continue
                for notebook in course.notebooks(name):
                    add(student_dir.name, name, notebook, folder / f"{notebook}.ipynb")
                for extra in sorted(folder.glob("*.ipynb")):
                    if extra.stem not in course.notebooks(name):
                        problems.append(f"{extra}: not a notebook of {name}; ignored")

    if not paths:
        submitted = course.root / "submitted"
        if not submitted.is_dir():
            raise GradingError(f"nothing to grade: {submitted} does not exist and no paths were given")
        add_tree(submitted)
    for given in paths:
        path = Path(given).resolve()
        if path.is_dir() and _looks_like_submitted_tree(path, course):
            add_tree(path)
        elif path.is_dir():
            for notebook_path in sorted(path.rglob("*.ipynb")):
                if ".ipynb_checkpoints" not in notebook_path.parts:
                    _add_loose(course, notebook_path, wanted, add, problems)
        elif path.suffix == ".ipynb" or path.exists():
            _add_loose(course, path, wanted, add, problems)
        else:
            problems.append(f"{given}: no such file or folder")
    for job in found.values():
        job.key = _resume_key(job, fingerprint)
    return list(found.values()), problems


def _looks_like_submitted_tree(path: Path, course: Course) -> bool:
    return path.name == "submitted" or any(
        (student / name).is_dir() for student in path.iterdir() if student.is_dir()
        for name in course.assignments())


def _add_loose(course: Course, path: Path, wanted: list[str], add, problems: list[str]) -> None:
    """A notebook given directly: work out its assignment, notebook and student."""
    candidates = [(name, nb) for name in wanted for nb in course.notebooks(name)]
    by_folder = [(name, nb) for name, nb in candidates if name in path.parts]
    by_stem = [(name, nb) for name, nb in candidates if nb == path.stem]
    match = by_folder if len(by_folder) == 1 else by_stem if len(by_stem) == 1 else None
    if match is None:
        match = _match_by_grade_ids(course, path, candidates)
    if not match:
        problems.append(f"{path}: cannot tell which assignment this is (use --assignment)")
        return
    name, notebook = match[0]
    student = path.parent.name if path.stem == notebook else path.stem
    add(student, name, notebook, path)


def _match_by_grade_ids(course: Course, path: Path, candidates) -> list:
    try:
        ids = {c.grade_id for c in nbgrader_cells(read_notebook(path)) if c.grade_id}
    except MalformedNotebook:
        return candidates[:1] if len(candidates) == 1 else []
    scored = []
    for name, notebook in candidates:
        source_ids = {c.grade_id for c in nbgrader_cells(read_notebook(course.source(name, notebook))) if c.grade_id}
        scored.append((len(ids & source_ids), name, notebook))
    scored.sort(reverse=True)
    if scored and scored[0][0] > 0 and (len(scored) == 1 or scored[0][0] > scored[1][0]):
        return [(scored[0][1], scored[0][2])]
    return []


def _resume_key(job: Job, fingerprint: str) -> str:
    digest = hashlib.sha256(f"grader {GRADER_VERSION} {fingerprint}".encode())
    for path in [job.source, job.submission, *sorted(str(p) for p in Path(job.files_dir).iterdir()
                                                     if p.is_file() and p.suffix != ".ipynb")]:
        digest.update(path.encode() if path == job.submission else Path(path).name.encode())
        try:
            digest.update(Path(path).read_bytes())
        except OSError:
            digest.update(b"<missing>")
    return digest.hexdigest()


# ------------------------------------------------------------------------- workers

@dataclass
class Settings:
    limits: Limits
    memory_bytes: int = 2 * 2**30
    max_processes: int = 32
    uid_base: int = DEFAULT_UID_BASE

    def for_slot(self, slot: int) -> dict:
        return {"limits": asdict(self.limits), "uid": self.uid_base + slot,
                "policy": {"memory_bytes": self.memory_bytes, "max_processes": self.max_processes,
                           "cpu_seconds": int(self.limits.submission_seconds) + 60}}

    def fingerprint(self) -> str:
        return json.dumps({"limits": asdict(self.limits), "memory": self.memory_bytes,
                           "processes": self.max_processes}, sort_keys=True)


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
    def __init__(self, slot: int, settings: Settings, log):
        env = worker_environment()
        self.slot = slot
        self.process = subprocess.Popen(
            [sys.executable, "-m", "autograder.grader.worker", json.dumps(settings.for_slot(slot))],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, env=env, text=True, bufsize=1)
        self.job: Job | None = None
        self.started = 0.0
        self.ready: dict | None = None

    def send(self, job: Job) -> None:
        self.job, self.started = job, time.monotonic()
        self.process.stdin.write(json.dumps({"job": asdict(job)}) + "\n")
        self.process.stdin.flush()

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()


class WorkerPool:
    """``size`` warm workers; ``results(jobs)`` yields a result per job as they finish."""

    def __init__(self, size: int, settings: Settings, log_path: Path, start_timeout: float = 600):
        self.size, self.settings = size, settings
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log = open(log_path, "a")
        self.workers = [Worker(slot, settings, self.log) for slot in range(size)]
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

    def results(self, jobs: list[Job], sources: SourceCache) -> Iterator[SubmissionResult]:
        pending = list(reversed(jobs))
        hard_limit = self.settings.limits.submission_seconds + 120
        while pending or any(w.job for w in self.workers):
            for worker in self.workers:
                if worker.job is None and pending:
                    worker.send(pending.pop())
            selector = selectors.DefaultSelector()
            for worker in self.workers:
                if worker.job is not None:
                    selector.register(worker.process.stdout, selectors.EVENT_READ, worker)
            for key, _ in selector.select(timeout=1.0):
                worker = key.data
                line = worker.process.stdout.readline()
                if line:
                    worker.job = None
                    yield SubmissionResult.from_json(json.loads(line)["result"])
                else:
                    yield self._replace(worker, sources, "the grader's worker process crashed while "
                                        f"grading this submission (see {self.log.name})")
            for worker in self.workers:
                if worker.job is not None and time.monotonic() - worker.started > hard_limit:
                    yield self._replace(worker, sources, f"grading took longer than {hard_limit:.0f} s "
                                        "and was stopped")
            selector.close()

    def _replace(self, worker: Worker, sources: SourceCache, reason: str) -> SubmissionResult:
        job = worker.job
        worker.kill()
        replacement = Worker(worker.slot, self.settings, self.log)
        self._await_ready(replacement, 600)
        self.workers[self.workers.index(worker)] = replacement
        return failed_result(job, sources.get(job.source)[0], reason)

    def close(self) -> None:
        for worker in self.workers:
            try:
                worker.process.stdin.close()
                worker.process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                worker.kill()
        self.log.close()
