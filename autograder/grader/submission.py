"""One submission in, one result out: the unit of work of the batch grader.

- ``Submission``: what discovery found (paths, student, assignment, resume key);
- ``SubmissionInput``: everything grading it needs, as bytes (the notebook, the instructor's
  source, the assignment's plain files), so it can be graded by another process or another
  machine (``to_json`` / ``from_json``); ``Submission.load`` makes it;
- ``grade_submission``: grade one input in a warm process (see ``worker.WarmGrader``);
- ``SubmissionResult``: what came out, serializable the same way.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..cells import Cell
from ..config import GraderConfig
from ..notebook import MalformedNotebook, graded_functions, notebook_bytes, notebook_from_bytes
from ..sandbox.isolation import Mode, Policy
from ..testcell import TestOutcome
from .derived import derived_functions
from .plan import build_plan
from .run import SubmissionRunner

MAX_PROVIDED_FILE = 16 * 2**20


@dataclass(frozen=True)
class Submission:
    """What to grade: a submitted notebook, against the instructor's source notebook."""

    submission: str          # path of the submitted .ipynb
    student: str
    assignment: str
    notebook: str            # notebook id (file name without .ipynb)
    source: str              # path of the instructor's source notebook
    files_dir: str           # folder whose plain files the sandbox gets (provided.py, ...)
    key: str = ""            # resume key: hashes of the inputs and the grader's settings
    refused: str = ""        # why discovery refused it unopened (e.g. a student id that is no name)

    @property
    def identity(self) -> tuple[str, str, str]:
        return (self.student, self.assignment, self.notebook)

    def load(self) -> "SubmissionInput":
        """Read every file grading needs. A submission that must not or cannot be opened
        becomes an input with ``problem`` set (and no notebook), which grades as an error row."""
        problem, content = self.refused or _refused_path(self), None
        if not problem:
            try:
                content = notebook_bytes(self.submission)
            except MalformedNotebook as error:
                problem = str(error)
        return SubmissionInput(self.student, self.assignment, self.notebook, self.key,
                               Path(self.submission).name, content, problem,
                               Path(self.source).read_bytes(), provided_files(self.files_dir))


@dataclass(frozen=True)
class SubmissionInput:
    """A submission as data: its notebook's bytes (None, with ``problem`` saying why, when it
    could not be read), the instructor's source notebook and the assignment's plain files."""

    student: str
    assignment: str
    notebook: str
    key: str
    label: str                       # the submitted file's name, for messages
    content: bytes | None
    problem: str
    source: bytes
    files: dict[str, bytes] = field(default_factory=dict)

    def to_json(self) -> dict:
        encode = lambda data: base64.b64encode(data).decode("ascii")  # noqa: E731
        return {**{k: getattr(self, k) for k in ("student", "assignment", "notebook", "key", "label", "problem")},
                "content": None if self.content is None else encode(self.content),
                "source": encode(self.source), "files": {name: encode(data) for name, data in self.files.items()}}

    @classmethod
    def from_json(cls, data: dict) -> "SubmissionInput":
        decode = base64.b64decode
        return cls(data["student"], data["assignment"], data["notebook"], data["key"], data["label"],
                   None if data["content"] is None else decode(data["content"]), data["problem"],
                   decode(data["source"]), {name: decode(blob) for name, blob in data["files"].items()})


@dataclass
class SubmissionResult:
    student: str
    assignment: str
    notebook: str
    status: str                                   # "graded" or "error"
    reason: str = ""
    tests: list[TestOutcome] = field(default_factory=list)
    manual: list[dict] = field(default_factory=list)   # [{"grade_id", "max_points"}]
    notes: list[str] = field(default_factory=list)
    output: str = ""
    seconds: float = 0.0
    isolation: str = ""
    key: str = ""

    @property
    def identity(self) -> tuple[str, str, str]:
        return (self.student, self.assignment, self.notebook)

    @property
    def score(self) -> float:
        return sum(test.points for test in self.tests)

    @property
    def max_score(self) -> float:
        return sum(test.max_points for test in self.tests)

    def to_json(self) -> dict:
        return {**asdict(self), "tests": [test.to_json() for test in self.tests]}

    @classmethod
    def from_json(cls, data: dict) -> "SubmissionResult":
        data = dict(data)
        data["tests"] = [TestOutcome.from_json(test) for test in data.get("tests", [])]
        return cls(**data)


class SourceCache:
    """Parsed source notebooks (and their graded functions), each parsed once per process."""

    def __init__(self):
        self._cache: dict[str, tuple] = {}

    def get(self, source: bytes):
        digest = hashlib.sha256(source).hexdigest()
        if digest not in self._cache:
            notebook = notebook_from_bytes(source, "the instructor's source notebook")
            self._cache[digest] = (notebook, graded_functions(notebook))
        return self._cache[digest]


def provided_files(folder: str) -> dict[str, bytes]:
    """The plain files shipped with an assignment (not notebooks), for the sandbox's home."""
    files = {}
    for path in sorted(Path(folder).iterdir()) if Path(folder).is_dir() else []:
        if path.is_file() and path.suffix != ".ipynb" and path.stat().st_size <= MAX_PROVIDED_FILE:
            files[path.name] = path.read_bytes()
    return files


def failed_result(item: Submission | SubmissionInput, source_nb, reason: str,
                  seconds: float = 0.0) -> SubmissionResult:
    """A result row for a submission that could not be graded: every test 0, with the reason."""
    plan = build_plan(source_nb, source_nb)
    return SubmissionResult(
        item.student, item.assignment, item.notebook, "error", reason=reason,
        tests=[TestOutcome.failed(step.grade_id, step.points, f"not run: {reason}") for step in plan.tests],
        manual=_manual(plan.manual), seconds=seconds, key=item.key)


def grade_submission(item: SubmissionInput, sources: SourceCache, policy: Policy, mode: Mode,
                     root_dir: str, shell_factory, config: GraderConfig, spawner=None) -> SubmissionResult:
    """Grade one submission: its cells in sandboxes made from ``policy`` (``policy.files`` is
    set to the assignment's files), the tests here. ``spawner``: the process's zygote (see
    ``sandbox.zygote``); ``config``: the time limits."""
    started = time.perf_counter()
    source_nb, graded_names = sources.get(item.source)
    if item.content is None:
        return failed_result(item, source_nb, item.problem, time.perf_counter() - started)
    try:
        submission_nb = notebook_from_bytes(item.content, item.label)
    except MalformedNotebook as error:
        return failed_result(item, source_nb, str(error), time.perf_counter() - started)
    result = SubmissionResult(item.student, item.assignment, item.notebook, "graded",
                              isolation=isolation_label(mode, policy), key=item.key)
    plan = build_plan(source_nb, submission_nb)
    policy.files = dict(item.files)
    outcome = SubmissionRunner(plan, graded_names, policy, mode, root_dir, shell_factory, config,
                               spawner, derived_functions(item.assignment)).run()
    result.tests, result.output = outcome.tests, outcome.output
    result.notes = plan.notes + outcome.notes
    result.manual = _manual(plan.manual)
    result.seconds = time.perf_counter() - started
    return result


def isolation_label(mode: Mode, policy: Policy) -> str:
    """"strong; limits: cgroup v1" and the like: the sandbox, then how the submission's
    processes are limited together (a cgroup, or the /proc-polling fallback)."""
    from ..sandbox.cgroups import detect

    if not mode.strong:
        return "weak"
    userns = "" if mode.fresh_user_namespace else " (no user namespaces: keyrings cleared per sandbox)"
    return f"strong{userns}; limits: {detect(not policy.cgroups).describe()}"


def _manual(cells: list[Cell]) -> list[dict]:
    return [{"grade_id": c.grade_id, "max_points": c.points} for c in cells]


def _refused_path(item: Submission) -> str | None:
    """Why the grader (which can read the instructor's files) must not open this path, if so:
    a submitted link to the instructor's source (or to anything else) is not the student's work."""
    path = Path(item.submission)
    if path.is_symlink():
        return f"{path.name}: is a symbolic link, not a notebook file; it was not opened"
    instructor = Path(item.source).resolve().parent.parent
    if path.resolve().is_relative_to(instructor):
        return f"{path.name}: is inside the instructor's source folder; it was not opened"
    return None


def write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(data, indent=2), encoding="utf-8")
    temporary.replace(path)
