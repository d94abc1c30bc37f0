"""Grade a class: ``grade_class(config, paths)``, the one grading API.

The command line (``autograder.cli``), the course build, the benchmarks (and later other
backends and exports) all call it. It finds the submissions (``discovery``), leaves out those
already graded with the same inputs and settings (unless ``config.force``), grades the rest
on a backend (default: ``pool.WorkerPool``, warm processes on this machine), hands each result
to the recorders as it arrives (the output folder, nbgrader's gradebook, any given), and
returns a ``ClassResult``. It prints nothing: what an instructor should hear goes to ``log``.

    config = GraderConfig(course="path/to/course", workers=2)
    outcome = grade_class(config, ["submitted/"])
    print(summary_table(outcome.results))
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ..config import GraderConfig
from .course import Course
from .discovery import discover
from .errors import GradingError
from .pool import WorkerPool
from .safety import printable
from .reports import OutputFolder, load_result
from .submission import Submission, SubmissionInput, SubmissionResult


class Recorder(Protocol):
    """Somewhere results go as they arrive (the output folder, a gradebook, an export)."""

    def record(self, result: SubmissionResult, submission: Submission) -> None: ...

    def finish(self) -> None: ...


class Backend(Protocol):
    isolation: list[dict]          # per worker: {"strong": bool, "reason": str}

    def grade(self, inputs: Iterable[SubmissionInput]) -> Iterator[SubmissionResult]: ...

    def close(self) -> None: ...


# (config, number of submissions to grade, log file) -> a started backend
BackendFactory = Callable[[GraderConfig, int, Path], Backend]


def local_pool(config: GraderConfig, count: int, log_path: Path) -> WorkerPool:
    return WorkerPool(max(1, min(config.workers, count)), config, log_path)


@dataclass
class ClassResult:
    """What ``grade_class`` did. ``results``: a result for every submission found (stored
    ones for those skipped), in discovery order."""

    course: Course
    out: Path
    results: list[SubmissionResult] = field(default_factory=list)
    graded: int = 0              # graded in this run
    skipped: int = 0             # already graded and unchanged
    problems: list[str] = field(default_factory=list)
    gradebook: str | None = None
    csv: Path | None = None


def output_folder(config: GraderConfig, course: Course) -> Path:
    return Path(config.out).resolve() if config.out else course.root / "graded"


def gradebook_url(config: GraderConfig, course: Course, paths: Sequence[str]) -> str | None:
    """nbgrader's gradebook to fill: the given one; by default the course's own when grading
    the course's own submitted/ tree (no paths), none otherwise."""
    if config.no_gradebook:
        return None
    return config.gradebook or (course.gradebook_url if not paths else None)


def grade_class(config: GraderConfig, paths: Sequence[str] = (), *,
                backend: BackendFactory = local_pool, recorders: Sequence[Recorder] = (),
                log: Callable[[str], None] | None = None,
                progress: Callable[[Iterator[SubmissionResult], int], Iterator[SubmissionResult]] | None = None,
                ) -> ClassResult:
    """Grade every submission found in ``paths`` (default: the course's submitted/ tree).

    backend: starts what grades (default: ``local_pool``, ``config.workers`` processes);
    recorders: where results go besides the output folder and (see ``gradebook_url``) the
    gradebook; log: one line per thing the instructor should know (default: stderr);
    progress: wraps the stream of results (a progress bar), given the number to grade.
    Raises ``GradingError`` when the batch cannot start.
    """
    shown = log or (lambda line: print(line, file=sys.stderr))
    log = lambda line: shown(printable(line))  # noqa: E731  (paths and names come from students)
    course = Course.at(config.course)
    out = output_folder(config, course)
    submissions, problems = discover(course, list(paths), config.assignment, config.fingerprint())
    for problem in problems:
        log(f"note: {problem}")
    db_url = gradebook_url(config, course, paths)
    folder = OutputFolder(out)
    chosen = [folder]
    if db_url and submissions:
        from .gradebook import GradebookRecorder

        chosen.append(GradebookRecorder(course, db_url, {s.assignment for s in submissions}, log))
    chosen += list(recorders)

    todo = [s for s in submissions if config.force or not folder.is_current(s)]
    if len(todo) < len(submissions):
        log(f"{len(submissions) - len(todo)} submission(s) already graded and unchanged (use --force to regrade)")
    if todo:
        pool = backend(config, len(todo), out / "grader.log")
        try:
            _check_isolation(pool, config, log)
            by_identity = {s.identity: s for s in todo}
            results = pool.grade(s.load() for s in todo)
            for result in (progress(results, len(todo)) if progress else results):
                for recorder in chosen:
                    recorder.record(result, by_identity[result.identity])
        finally:
            pool.close()
    for recorder in chosen:
        recorder.finish()
    stored = [load_result(out, s.assignment, s.student, s.notebook) for s in submissions]
    return ClassResult(course, out, [r for r in stored if r is not None], len(todo),
                       len(submissions) - len(todo), problems, db_url, folder.csv)


def _check_isolation(pool: Backend, config: GraderConfig, log: Callable[[str], None]) -> None:
    weak = [ready for ready in pool.isolation if not ready.get("strong")]
    uncontained = [ready for ready in pool.isolation if ready.get("strong")
                   and str(ready.get("limits", "")).startswith("no cgroups")]
    if uncontained:
        log(f"\nWARNING: {uncontained[0]['limits']}: a submission's memory and CPU time as a whole "
            "are limited by polling its processes (a submission can overshoot its memory limit by "
            "what it touches between two polls, 20 ms), its process count per sandbox uid.\n")
    partial = [ready for ready in pool.isolation if ready.get("strong") and ready.get("reason")]
    if partial:
        log(f"\nWARNING: {partial[0]['reason']}. The sandboxes are otherwise strong; what a "
            "submission leaves in those keyrings cannot reach the next one.\n")
    if not weak:
        return
    reason = weak[0].get("reason")
    if config.require_isolation:
        raise GradingError(f"strong isolation is unavailable ({reason})")
    log(f"\nWARNING: sandboxes are WEAK here ({reason}): submissions run in their own "
        "process with time and memory limits, but CAN read files and use the network.\n")
