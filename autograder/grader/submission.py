"""One submission in, one result out: the unit of work of the batch grader."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..notebook import MalformedNotebook, graded_functions, read_notebook
from ..sandbox.isolation import Mode, Policy
from .plan import build_plan
from .run import Limits, SubmissionRunner, TestResult

MAX_PROVIDED_FILE = 16 * 2**20


@dataclass
class Job:
    """What to grade: a submitted notebook, against the instructor's source notebook."""

    submission: str          # path of the submitted .ipynb
    student: str
    assignment: str
    notebook: str            # notebook id (file name without .ipynb)
    source: str              # path of the instructor's source notebook
    files_dir: str           # folder whose plain files the sandbox gets (provided.py, ...)
    key: str = ""            # resume key: hashes of the inputs and the grader's settings


@dataclass
class SubmissionResult:
    student: str
    assignment: str
    notebook: str
    status: str                                   # "graded" or "error"
    reason: str = ""
    tests: list[TestResult] = field(default_factory=list)
    manual: list[dict] = field(default_factory=list)   # [{"grade_id", "max_points"}]
    notes: list[str] = field(default_factory=list)
    output: str = ""
    seconds: float = 0.0
    isolation: str = ""
    key: str = ""

    @property
    def score(self) -> float:
        return sum(test.points for test in self.tests)

    @property
    def max_score(self) -> float:
        return sum(test.max_points for test in self.tests)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "SubmissionResult":
        data = dict(data)
        data["tests"] = [TestResult(**test) for test in data.get("tests", [])]
        return cls(**data)


class SourceCache:
    """Parsed source notebooks, read once per worker."""

    def __init__(self):
        self._cache: dict[str, tuple] = {}

    def get(self, path: str):
        if path not in self._cache:
            notebook = read_notebook(path)
            self._cache[path] = (notebook, graded_functions(notebook))
        return self._cache[path]


def provided_files(folder: str) -> dict[str, bytes]:
    """The plain files shipped with an assignment (not notebooks), for the sandbox's home."""
    files = {}
    for path in sorted(Path(folder).iterdir()) if Path(folder).is_dir() else []:
        if path.is_file() and path.suffix != ".ipynb" and path.stat().st_size <= MAX_PROVIDED_FILE:
            files[path.name] = path.read_bytes()
    return files


def failed_result(job: Job, source_nb, reason: str, seconds: float = 0.0) -> SubmissionResult:
    """A result row for a submission that could not be graded: every test 0, with the reason."""
    plan = build_plan(source_nb, source_nb)
    return SubmissionResult(
        job.student, job.assignment, job.notebook, "error", reason=reason,
        tests=[TestResult(step.grade_id, 0.0, step.points, f"not run: {reason}") for step in plan.tests],
        manual=[{"grade_id": c.grade_id, "max_points": c.points} for c in plan.manual],
        seconds=seconds, key=job.key)


def grade_job(job: Job, sources: SourceCache, policy: Policy, mode: Mode, root_dir: str,
              shell_factory, limits: Limits, spawner=None) -> SubmissionResult:
    """Grade one submission. ``spawner``: the worker's zygote (see ``sandbox.zygote``)."""
    started = time.perf_counter()
    source_nb, graded_names = sources.get(job.source)
    refused = _refused_path(job)
    if refused:
        return failed_result(job, source_nb, refused, time.perf_counter() - started)
    try:
        submission_nb = read_notebook(job.submission)
    except MalformedNotebook as error:
        return failed_result(job, source_nb, str(error), time.perf_counter() - started)
    result = SubmissionResult(job.student, job.assignment, job.notebook, "graded",
                              isolation="strong" if mode.strong else "weak", key=job.key)
    plan = build_plan(source_nb, submission_nb)
    policy.files = provided_files(job.files_dir)
    outcome = SubmissionRunner(plan, graded_names, policy, mode, root_dir, shell_factory, limits,
                               spawner).run()
    result.tests, result.output = outcome.tests, outcome.output
    result.notes = plan.notes + outcome.notes
    result.manual = [{"grade_id": c.grade_id, "max_points": c.points} for c in plan.manual]
    result.seconds = time.perf_counter() - started
    return result


def _refused_path(job: Job) -> str | None:
    """Why the grader (which can read the instructor's files) must not open this path, if so:
    a submitted link to the instructor's source (or to anything else) is not the student's work."""
    path = Path(job.submission)
    if path.is_symlink():
        return f"{path.name}: is a symbolic link, not a notebook file; it was not opened"
    instructor = Path(job.source).resolve().parent.parent
    if path.resolve().is_relative_to(instructor):
        return f"{path.name}: is inside the instructor's source folder; it was not opened"
    return None


def write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(data, indent=2), encoding="utf-8")
    temporary.replace(path)
