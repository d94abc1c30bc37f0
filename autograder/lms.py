"""Grades into the LMS: a Canvas gradebook CSV, and a plain long-format CSV.

The scores come from nbgrader's gradebook (``gradebook.db``), where the course grader puts the
autograded marks and formgrader the hand-graded ones, together with each submission's
timestamp and the assignment's due date (with any extension nbgrader records). A late
penalty is applied by a stated rule, none by default (``LatePolicy``).

Canvas's gradebook import (Grades -> Import) reads a CSV whose first columns identify the
student, ``Student, ID, SIS User ID, SIS Login ID, Section``, followed by one column per
assignment, named as Canvas names it (``Name (id)``) or by a new name (Canvas then creates the
assignment); an optional second row, ``Points Possible``, gives each column's maximum. The
instructor exports the course's gradebook from Canvas once (Grades -> Export) and passes it
here: its roster is kept as it is and our scores fill the assignment columns, matched by the
SIS Login ID (the student id that nbgrader knows). A blank cell leaves Canvas's grade as it
was, so a student with no submission gets a blank, not a zero, unless ``missing="zero"``.
Students in the gradebook but not in the roster are reported, never dropped silently.

Every cell written is neutralised for spreadsheets: text that a spreadsheet would evaluate
as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) gets a
leading apostrophe; numbers are written as numbers.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

IDENTITY_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
POINTS_POSSIBLE = "Points Possible"
LONG_FIELDS = ("student", "canvas_name", "canvas_id", "sis_login_id", "section", "assignment",
               "status", "score", "max_score", "needs_manual_grade", "submitted_at", "due",
               "seconds_late", "days_late", "penalty", "final")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
SECONDS_PER_DAY = 86400.0


class ExportError(ValueError):
    """An input the export cannot use; the message names the file and the problem."""


def spreadsheet_safe(value) -> str | int | float:
    """``value`` as a CSV cell that no spreadsheet evaluates: numbers stay numbers, text
    that would start a formula gets a leading apostrophe."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return value
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


# --- the late rule --------------------------------------------------------------------------

@dataclass(frozen=True)
class LatePolicy:
    """Points off for lateness: ``percent_per_day`` of the assignment's maximum for every
    started day past the due date (after ``grace_minutes``), at most ``max_percent``; the
    final score never drops below 0. The default takes nothing off."""

    percent_per_day: float = 0.0
    max_percent: float = 100.0
    grace_minutes: float = 0.0

    @classmethod
    def parse(cls, text: str | None) -> "LatePolicy":
        """``none`` | ``P%/day`` with optional ``,max=M%`` and ``,grace=G`` (minutes), e.g.
        ``10%/day,max=50%,grace=15``."""
        if text is None or text.strip().lower() in ("", "none", "0"):
            return cls()
        parts = [part.strip().lower() for part in text.split(",")]
        rate = re.fullmatch(r"(\d+(?:\.\d+)?)\s*%\s*/\s*day", parts[0])
        if not rate:
            raise ExportError(f"late rule {text!r}: expected 'none' or 'P%/day' "
                              "(optionally ',max=M%' and ',grace=MINUTES'), e.g. '10%/day,max=50%'")
        options = {"max": 100.0, "grace": 0.0}
        for part in parts[1:]:
            match = re.fullmatch(r"(max|grace)\s*=\s*(\d+(?:\.\d+)?)\s*%?", part)
            if not match:
                raise ExportError(f"late rule {text!r}: cannot read {part!r} (use max=M% or grace=MINUTES)")
            options[match.group(1)] = float(match.group(2))
        policy = cls(float(rate.group(1)), options["max"], options["grace"])
        if policy.max_percent > 100:
            raise ExportError(f"late rule {text!r}: max above 100% would take more than the score")
        return policy

    def days_late(self, seconds_late: float) -> int:
        late = seconds_late - 60.0 * self.grace_minutes
        return 0 if late <= 0 else math.ceil(late / SECONDS_PER_DAY)

    def penalty(self, seconds_late: float, max_score: float, score: float) -> float:
        percent = min(self.max_percent, self.percent_per_day * self.days_late(seconds_late))
        return round(min(score, max_score * percent / 100.0), 4)

    def describe(self) -> str:
        if not self.percent_per_day:
            return "no late penalty"
        grace = f" after {self.grace_minutes:g} minutes' grace" if self.grace_minutes else ""
        return (f"{self.percent_per_day:g}% of the maximum per started day late{grace}, "
                f"at most {self.max_percent:g}%")


# --- what the gradebook holds ---------------------------------------------------------------

@dataclass(frozen=True)
class Grade:
    """One student's result on one assignment, as exported."""

    student: str
    assignment: str
    status: str                 # "submitted" or "missing"
    score: float = 0.0          # autograded + hand-graded points, before any penalty
    max_score: float = 0.0
    needs_manual_grade: bool = False
    submitted_at: str = ""      # ISO 8601, UTC
    due: str = ""
    seconds_late: float = 0.0
    days_late: int = 0
    penalty: float = 0.0

    @property
    def final(self) -> float | None:
        return None if self.status == "missing" else round(max(0.0, self.score - self.penalty), 4)


def gradebook_grades(db_url: str, policy: LatePolicy = LatePolicy(),
                     assignments: list[str] | None = None) -> list[Grade]:
    """Every (student, assignment) of the nbgrader gradebook at ``db_url``, in gradebook order."""
    from nbgrader.api import Gradebook, MissingEntry

    if db_url.startswith("sqlite:///") and not Path(db_url[len("sqlite:///"):]).is_file():
        raise ExportError(f"no gradebook at {db_url[len('sqlite:///'):]}: grade the class first "
                          "(python -m autograder grade) or pass --gradebook")
    grades = []
    with Gradebook(db_url) as gb:
        known = [a.name for a in gb.assignments]
        chosen = assignments or known
        unknown = [name for name in chosen if name not in known]
        if unknown:
            raise ExportError(f"the gradebook has no assignment {', '.join(unknown)}; "
                              f"it has {', '.join(known) or 'none'}")
        for name in chosen:
            assignment = gb.find_assignment(name)
            for student in gb.students:
                try:
                    sub = gb.find_submission(name, student.id)
                except MissingEntry:
                    grades.append(Grade(student.id, name, "missing", max_score=float(assignment.max_score),
                                        due=_iso(assignment.duedate)))
                    continue
                score, max_score = float(sub.score), float(sub.max_score)
                late = float(sub.total_seconds_late)
                grades.append(Grade(student.id, name, "submitted", score, max_score,
                                    bool(sub.needs_manual_grade), _iso(sub.timestamp), _iso(sub.duedate),
                                    late, policy.days_late(late), policy.penalty(late, max_score, score)))
    return grades


def _iso(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment is not None else ""


# --- Canvas's CSV ---------------------------------------------------------------------------

@dataclass
class CanvasGradebook:
    """A Canvas gradebook CSV: its header, the Points Possible row (if any), student rows."""

    columns: list[str]
    points_possible: dict[str, str] | None = None
    students: list[dict[str, str]] = field(default_factory=list)

    def assignment_columns(self) -> list[str]:
        return [c for c in self.columns if c not in IDENTITY_COLUMNS]

    def column_for(self, assignment: str) -> str | None:
        """The existing column of ``assignment`` ("02_single_layer" or "02_single_layer (123)")."""
        for column in self.assignment_columns():
            if column == assignment or re.fullmatch(rf"{re.escape(assignment)} \(\d+\)", column):
                return column
        return None


def read_canvas_csv(path: str | Path) -> CanvasGradebook:
    """Read a Canvas gradebook export (or import file) and check its layout."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # Canvas writes a byte-order mark
    except (OSError, UnicodeDecodeError) as error:
        raise ExportError(f"{path}: cannot be read as a UTF-8 CSV ({error})") from None
    rows = list(csv.reader(text.splitlines()))
    if not rows:
        raise ExportError(f"{path}: empty; export the gradebook from Canvas (Grades -> Export)")
    header = [cell.strip() for cell in rows[0]]
    missing = [c for c in IDENTITY_COLUMNS if c not in header]
    if missing:
        raise ExportError(f"{path}: not a Canvas gradebook CSV: no column {', '.join(missing)} "
                          f"(its columns are {', '.join(header[:8])})")
    if len(set(header)) != len(header):
        raise ExportError(f"{path}: a column appears twice in the header")
    book = CanvasGradebook(header)
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            raise ExportError(f"{path}, line {line}: {len(row)} cells for {len(header)} columns")
        record = dict(zip(header, [cell.strip() for cell in row] + [""] * (len(header) - len(row))))
        if record["Student"] == POINTS_POSSIBLE:
            book.points_possible = record
        elif record["Student"].startswith("Student, Test") or record["Student"] == "Test Student":
            continue  # Canvas's "Test Student" (student view) is no student of the course
        else:
            book.students.append(record)
    return book


def write_canvas_csv(roster: CanvasGradebook, grades: list[Grade], path: str | Path,
                     missing: str = "blank") -> list[str]:
    """Write the import file: ``roster``'s students, with our assignment columns filled in.

    Returns the student ids in ``grades`` that the roster does not have (not written).
    """
    if missing not in ("blank", "zero"):
        raise ExportError(f"missing={missing!r}: use 'blank' (Canvas keeps its grade) or 'zero'")
    assignments = list(dict.fromkeys(g.assignment for g in grades))
    columns = {a: roster.column_for(a) or a for a in assignments}
    by_login = {row["SIS Login ID"]: row for row in roster.students}
    header = list(IDENTITY_COLUMNS) + [columns[a] for a in assignments]
    table = {(g.student, g.assignment): g for g in grades}
    maxima = {a: max((g.max_score for g in grades if g.assignment == a), default=0.0) for a in assignments}
    with Path(path).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerow([POINTS_POSSIBLE, "", "", "", ""] + [_number(maxima[a]) for a in assignments])
        for row in roster.students:
            cells = [spreadsheet_safe(row[c]) for c in IDENTITY_COLUMNS]
            for a in assignments:
                grade = table.get((row["SIS Login ID"], a))
                final = grade.final if grade is not None else None
                cells.append(_number(final) if final is not None else ("0" if missing == "zero" else ""))
            writer.writerow(cells)
    return sorted({g.student for g in grades} - set(by_login))


def write_long_csv(roster: CanvasGradebook | None, grades: list[Grade], path: str | Path) -> None:
    """One row per (student, assignment): every figure the Canvas file was made from."""
    by_login = {row["SIS Login ID"]: row for row in (roster.students if roster else [])}
    with Path(path).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(LONG_FIELDS)
        for g in grades:
            person = by_login.get(g.student, {})
            final = g.final
            values = (g.student, person.get("Student", ""), person.get("ID", ""),
                      person.get("SIS Login ID", ""), person.get("Section", ""), g.assignment, g.status,
                      _number(g.score), _number(g.max_score), str(g.needs_manual_grade).lower(),
                      g.submitted_at, g.due, _number(round(g.seconds_late)), g.days_late,
                      _number(g.penalty), "" if final is None else _number(final))
            writer.writerow([spreadsheet_safe(v) if isinstance(v, str) else v for v in values])


def _number(value: float) -> str:
    return f"{value:.4f}".rstrip("0").rstrip(".") if value is not None else ""


@dataclass(frozen=True)
class ExportSummary:
    canvas_csv: Path
    long_csv: Path
    students: int
    assignments: list[str]
    unmatched: list[str]
    pending_manual: int
    late: int
    policy: str

    def lines(self) -> list[str]:
        lines = [f"wrote {self.canvas_csv} ({self.students} students x {len(self.assignments)} assignments: "
                 f"{', '.join(self.assignments)}) and {self.long_csv}",
                 f"late rule: {self.policy}; {self.late} late submissions"]
        if self.pending_manual:
            lines.append(f"note: {self.pending_manual} submissions still have written answers to grade in "
                         "formgrader; their scores so far count only what is graded")
        if self.unmatched:
            lines.append(f"warning: {len(self.unmatched)} students of the gradebook are not in the Canvas "
                         f"roster (by SIS Login ID) and are only in the long CSV: {', '.join(self.unmatched)}")
        return lines


def export_canvas(roster_csv: str | Path, db_url: str, out_dir: str | Path, *,
                  policy: LatePolicy = LatePolicy(), assignments: list[str] | None = None,
                  missing: str = "blank") -> ExportSummary:
    """Read the Canvas roster and the gradebook; write ``canvas_import.csv`` and ``grades_long.csv``."""
    roster = read_canvas_csv(roster_csv)
    grades = gradebook_grades(db_url, policy, assignments)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    canvas_csv, long_csv = out / "canvas_import.csv", out / "grades_long.csv"
    unmatched = write_canvas_csv(roster, grades, canvas_csv, missing)
    write_long_csv(roster, grades, long_csv)
    return ExportSummary(canvas_csv, long_csv, len(roster.students),
                         list(dict.fromkeys(g.assignment for g in grades)), unmatched,
                         sum(g.needs_manual_grade for g in grades), sum(g.days_late > 0 for g in grades),
                         policy.describe())
