"""Find the submissions to grade, and the key that tells whether one was graded already.

Submissions come from an nbgrader course's ``submitted/<student>/<assignment>/`` tree or
from folders or files given on the command line. Each becomes a ``Submission`` with a resume
key (hashes of the submission, the instructor's source, the shipped files and the grader's
settings): a submission whose key matches a stored result need not be graded again.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

from ..notebook import MAX_NOTEBOOK_BYTES, MalformedNotebook, nbgrader_cells, read_notebook, regular_file_bytes
from .course import Course
from .errors import GradingError
from .safety import plain_name, printable, refused_id
from .submission import Submission

GRADER_VERSION = "1"


def discover(course: Course, paths: list[str], assignment: str | None = None,
             fingerprint: str = "") -> tuple[list[Submission], list[str]]:
    """A ``Submission`` for every submission found, and problems worth telling the instructor."""
    found: dict[tuple, Submission] = {}
    problems: list[str] = []
    wanted = [assignment] if assignment else course.assignments()
    if assignment and assignment not in course.assignments():
        raise GradingError(f"no assignment {assignment!r} in {course.source_dir} "
                           f"(it has {', '.join(course.assignments()) or 'none'})")

    def add(student: str, name: str, notebook: str, path: Path) -> None:
        refused = ""
        if not plain_name(student):
            refused = (f"the student id {printable(student)!r} (from {printable(path.name)}) is not a "
                       "plain name (letters, digits and . _ - @ +); the submission was not opened")
            problems.append(f"{printable(path)}: {refused}; its row is under {refused_id(student)}")
            student = refused_id(student)
        key = (student, name, notebook)
        if key in found:
            problems.append(f"{path}: another submission of {notebook} by {student} for {name} "
                            f"was already found ({found[key].submission}); this one was skipped")
            return
        found[key] = Submission(str(path), student, name, notebook, str(course.source(name, notebook)),
                                str(course.files_dir(name)), refused=refused)

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
        submitted = course.submitted_dir
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
    return [replace(job, key=_resume_key(job, fingerprint)) for job in found.values()], problems


def _looks_like_submitted_tree(path: Path, course: Course) -> bool:
    return path.name == course.submitted_dir.name or any(
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


def _resume_key(job: Submission, fingerprint: str) -> str:
    digest = hashlib.sha256(f"grader {GRADER_VERSION} {fingerprint}".encode())
    for path in [job.source, job.submission, *sorted(str(p) for p in Path(job.files_dir).iterdir()
                                                     if p.is_file() and p.suffix != ".ipynb")]:
        digest.update(path.encode() if path == job.submission else Path(path).name.encode())
        try:   # never a plain read: the path may be a FIFO, a link to /dev/zero, 30 GB of holes
            digest.update(regular_file_bytes(path, MAX_NOTEBOOK_BYTES))
        except OSError as error:
            digest.update(f"<refused: {error}>".encode())
    return digest.hexdigest()
