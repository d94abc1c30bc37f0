"""The cell vocabulary: what each nbgrader cell is, how that is written in its metadata, and
the markers inside cells. The one module that reads or writes nbgrader's cell metadata or
spells a marker; everything else (the grader, the course build, ``tools/nbtext.py``, tests)
asks this one (a test greps for it).

Kinds (``Kind``), from nbgrader's metadata flags:

    SOLUTION   an autograded answer: code between ``SOLUTION_BEGIN`` / ``SOLUTION_END``
    TEST       autograder tests: a locked, graded code cell; hidden part between
               ``HIDDEN_BEGIN`` / ``HIDDEN_END``
    ANSWER     a written answer graded by hand (graded + solution; Markdown in this course)
    TASK       a task graded by hand
    READONLY   a locked cell (restored from the source when grading)
    PLAIN      no nbgrader role

Reading is tolerant: a submission may carry anything in its metadata, and whatever is not a
well-formed role reads as PLAIN / no grade id / 0 points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import nbformat


class Kind(StrEnum):
    SOLUTION = "solution"
    TEST = "test"
    ANSWER = "answer"
    TASK = "task"
    READONLY = "readonly"
    PLAIN = "plain"

    @property
    def graded(self) -> bool:
        """Worth points (TEST automatically; ANSWER and TASK by hand)."""
        return self in (Kind.TEST, Kind.ANSWER, Kind.TASK)

    @property
    def manual(self) -> bool:
        """Graded by the instructor (formgrader), not by running tests."""
        return self in (Kind.ANSWER, Kind.TASK)

    @property
    def filled_by_student(self) -> bool:
        """A cell whose content is the student's answer."""
        return self in (Kind.SOLUTION, Kind.ANSWER, Kind.TASK)


SOLUTION_BEGIN, SOLUTION_END = "### BEGIN SOLUTION", "### END SOLUTION"
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
MARK_SCHEME_BEGIN, MARK_SCHEME_END = "=== BEGIN MARK SCHEME ===", "=== END MARK SCHEME ==="   # in answers, tasks
# The regions the markers enclose, by name.
MARKER_REGIONS = {"solution": (SOLUTION_BEGIN, SOLUTION_END), "hidden_tests": (HIDDEN_BEGIN, HIDDEN_END),
                  "mark_scheme": (MARK_SCHEME_BEGIN, MARK_SCHEME_END)}
# What must never reach a student's release (text that would reveal a solution or a hidden test).
RELEASE_FORBIDDEN = (SOLUTION_BEGIN, SOLUTION_END, HIDDEN_BEGIN, HIDDEN_END,
                     MARK_SCHEME_BEGIN.strip("= "), MARK_SCHEME_END.strip("= "))
SCHEMA_VERSION = 3
_KEY = "nbgrader"

# The metadata flags nbgrader writes for each kind (grade, solution, locked, task).
_FLAGS = {
    Kind.READONLY: dict(grade=False, locked=True, solution=False),
    Kind.SOLUTION: dict(grade=False, locked=False, solution=True),
    Kind.TEST: dict(grade=True, locked=True, solution=False),
    Kind.ANSWER: dict(grade=True, locked=False, solution=True),
    Kind.TASK: dict(grade=False, locked=False, solution=False, task=True),
}


@dataclass(frozen=True)
class Cell:
    """One cell with its nbgrader role (``index``: position in the notebook)."""

    index: int
    cell_type: str
    source: str
    kind: Kind
    grade_id: str | None = None
    points: float = 0.0


# ---------------------------------------------------------------------------- reading

def _metadata(cell) -> dict:
    """The cell's nbgrader metadata; {} when a (tampered) submission has something else there."""
    meta = cell.get("metadata", {}).get(_KEY, {}) if isinstance(cell.get("metadata"), dict) else {}
    return meta if isinstance(meta, dict) else {}


def classify(cell) -> Kind:
    meta = _metadata(cell)
    if meta.get("task"):
        return Kind.TASK
    if meta.get("grade") and meta.get("solution"):
        return Kind.ANSWER
    if meta.get("grade"):
        return Kind.TEST if cell.get("cell_type") == "code" else Kind.ANSWER
    if meta.get("solution"):
        return Kind.SOLUTION
    if meta.get("locked"):
        return Kind.READONLY
    return Kind.PLAIN


def grade_id_of(cell) -> str | None:
    """The cell's grade id if it has a well-formed one (any kind, PLAIN included)."""
    grade_id = _metadata(cell).get("grade_id")
    return grade_id if isinstance(grade_id, str) and grade_id else None


def points_of(cell) -> float:
    """What the cell is worth (0 unless it is graded; garbage reads as 0)."""
    if not classify(cell).graded:
        return 0.0
    try:
        points = float(_metadata(cell).get("points") or 0)
    except (TypeError, ValueError):
        return 0.0
    return points if math.isfinite(points) else 0.0


def describe(cell, index: int) -> Cell:
    kind = classify(cell)
    return Cell(index, cell.get("cell_type", ""), cell.get("source", ""), kind,
                grade_id_of(cell) if kind is not Kind.PLAIN else None, points_of(cell))


def cells_of(nb) -> list[Cell]:
    """Every cell of the notebook ``nb`` with its role, grade id and points."""
    return [describe(cell, index) for index, cell in enumerate(nb.cells)]


# ---------------------------------------------------------------------------- writing

def to_metadata(kind: Kind | str, grade_id: str | None = None, points: float | None = None) -> dict:
    """The cell metadata (``{"nbgrader": {...}}``) that makes a cell of ``kind``; {} for PLAIN."""
    kind = Kind(kind)
    if kind is Kind.PLAIN:
        return {}
    if not grade_id:
        raise ValueError(f"a {kind} cell needs a grade id")
    meta = {"task": False, **_FLAGS[kind], "grade_id": grade_id, "schema_version": SCHEMA_VERSION}
    if kind.graded:
        if points is None:
            raise ValueError(f"a {kind} cell needs points ({grade_id})")
        points = float(points)
        meta["points"] = int(points) if points.is_integer() else points
    return {_KEY: meta}


def new_cell(kind: Kind | str, source: str = "", grade_id: str | None = None, points: float | None = None,
             *, cell_type: str | None = None):
    """An nbformat cell of ``kind``: code for SOLUTION, TEST and READONLY, Markdown for ANSWER
    and TASK; PLAIN cells are code unless ``cell_type="markdown"``."""
    kind = Kind(kind)
    if cell_type is None:
        cell_type = "markdown" if kind.manual else "code"
    made = (nbformat.v4.new_markdown_cell if cell_type == "markdown" else nbformat.v4.new_code_cell)(source)
    made.metadata.update(to_metadata(kind, grade_id, points))
    return made


def set_grade_id(cell, grade_id) -> None:
    """Rename a cell's grade id (tests use it to build tampered submissions)."""
    _metadata_for_writing(cell)["grade_id"] = grade_id


def set_points(cell, points) -> None:
    _metadata_for_writing(cell)["points"] = points


def _metadata_for_writing(cell) -> dict:
    meta = cell.setdefault("metadata", {}).setdefault(_KEY, {})
    if not isinstance(meta, dict):
        raise ValueError("the cell's nbgrader metadata is not a dict")
    return meta


# ---------------------------------------------------------------------------- markers

def without_solution_markers(source: str) -> str:
    """A solution cell's source with the solution marker lines removed (the full solution)."""
    return "\n".join(line for line in source.splitlines() if line.strip() not in (SOLUTION_BEGIN, SOLUTION_END))


def without_hidden_tests(source: str) -> str:
    """A test cell as nbgrader releases it: the hidden part (and its markers) removed."""
    lines, hidden = [], False
    for line in source.splitlines():
        if line.strip() == HIDDEN_BEGIN:
            hidden = True
        elif line.strip() == HIDDEN_END:
            hidden = False
        elif not hidden:
            lines.append(line)
    return "\n".join(lines)


def split_hidden_tests(source: str) -> tuple[str, str | None]:
    """(the visible part, the hidden part or None) of a test cell; the hidden part is what lies
    between the markers, or None when the cell has no complete hidden part."""
    visible, marker, rest = source.partition(HIDDEN_BEGIN)
    if not marker:
        return source, None
    hidden, end, _ = rest.partition(HIDDEN_END)
    return visible, hidden if end else None


def hidden_tests(visible: str, hidden: str) -> str:
    """The source of a test cell with a visible and a hidden part."""
    return f"{visible.rstrip()}\n{HIDDEN_BEGIN}\n{hidden.strip(chr(10))}\n{HIDDEN_END}"


def solution(signature: str, body: str) -> str:
    """The source of a solution cell: ``signature`` (and docstring), then the marked ``body``."""
    return f"{signature.rstrip()}\n    {SOLUTION_BEGIN}\n{body.rstrip()}\n    {SOLUTION_END}"
