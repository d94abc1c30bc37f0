"""Which code runs where, and in what order: the instructor's source merged with a submission.

The instructor's source notebook decides the skeleton:
- a **solution** cell runs the submission's version (matched by nbgrader ``grade_id``);
- a **read-only** code cell runs the source's version (edits are ignored, as nbgrader does);
- a **test** cell runs in the trusted grader, from the source (the submission's copy is never
  read, so editing, deleting, duplicating or retyping a test cell changes nothing);
- code cells the student added (no nbgrader metadata) run in the student's order, before the
  next graded or read-only cell that follows them in the submission;
- written answers (manually graded) do not run; they are left to the instructor.

Everything unusual becomes a note the student and the instructor can read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..cells import Cell, Kind, cells_of, without_hidden_tests


@dataclass(frozen=True)
class Step:
    kind: str            # "run" (in the sandbox) or "test" (in the trusted grader)
    source: str
    label: str
    grade_id: str | None = None
    points: float = 0.0
    provided: bool = False   # a read-only cell: the instructor's code, not the student's


@dataclass
class Plan:
    steps: list[Step] = field(default_factory=list)
    manual: list[Cell] = field(default_factory=list)     # answers the instructor grades
    notes: list[str] = field(default_factory=list)

    @property
    def tests(self) -> list[Step]:
        return [step for step in self.steps if step.kind == "test"]


def build_plan(source_nb, submission_nb) -> Plan:
    plan = Plan()
    source_cells = cells_of(source_nb)
    source_ids = {cell.grade_id for cell in source_cells if cell.grade_id}
    submitted = _submitted_cells(cells_of(submission_nb), source_ids, plan.notes)
    emitted: set[int] = set()

    def emit_free_cells_before(position: int | None) -> None:
        for cell in submitted["free"]:
            if cell.index not in emitted and (position is None or cell.index < position):
                emitted.add(cell.index)
                plan.steps.append(Step("run", cell.source, f"your cell {cell.index + 1}"))

    for cell in source_cells:
        mine = submitted["by_id"].get(cell.grade_id) if cell.grade_id else None
        if cell.kind.manual:
            plan.manual.append(cell)
            continue
        if cell.cell_type != "code" or cell.kind is Kind.PLAIN:
            continue
        if mine is not None:
            emit_free_cells_before(mine.index)
        if cell.kind is Kind.SOLUTION:
            if mine is None:
                plan.notes.append(f"the answer cell '{cell.grade_id}' is missing from the "
                                  "submission, so the functions it defines are undefined")
            elif mine.cell_type != "code":
                plan.notes.append(f"the answer cell '{cell.grade_id}' was changed into a "
                                  f"{mine.cell_type} cell, so it did not run")
            else:
                plan.steps.append(Step("run", mine.source, f"answer cell '{cell.grade_id}'", cell.grade_id))
        elif cell.kind is Kind.READONLY:
            if mine is not None and mine.source != cell.source:
                plan.notes.append(f"the read-only cell '{cell.grade_id}' was edited; the "
                                  "original was used")
            plan.steps.append(Step("run", cell.source, f"provided cell '{cell.grade_id}'", cell.grade_id,
                                   provided=True))
        elif cell.kind is Kind.TEST:
            if mine is None:
                plan.notes.append(f"the test cell '{cell.grade_id}' was deleted from the "
                                  "submission; the original test was run")
            elif _canonical(mine.source) not in (_canonical(without_hidden_tests(cell.source)),
                                                 _canonical(cell.source)):
                plan.notes.append(f"the test cell '{cell.grade_id}' was edited; the original "
                                  "test was run")
            plan.steps.append(Step("test", cell.source, f"test '{cell.grade_id}'", cell.grade_id, cell.points))
    emit_free_cells_before(None)
    return plan


def _submitted_cells(cells: list[Cell], source_ids: set[str], notes: list[str]) -> dict:
    """Index the submission's cells: graded ones by id (first copy wins), free code cells."""
    by_id: dict[str, Cell] = {}
    free: list[Cell] = []
    for cell in cells:
        if cell.grade_id and cell.grade_id in source_ids:
            if cell.grade_id in by_id:
                notes.append(f"the cell '{cell.grade_id}' appears more than once; only the "
                             "first copy was used")
            else:
                by_id[cell.grade_id] = cell
        elif cell.grade_id:
            if cell.kind is Kind.SOLUTION and cell.cell_type == "code":
                notes.append(f"a cell has the unknown id '{cell.grade_id}'; it was run as "
                             "your own code")
                free.append(cell)
            else:
                notes.append(f"a cell with the unknown id '{cell.grade_id}' was ignored")
        elif cell.cell_type == "code" and cell.source.strip():
            free.append(cell)
    return {"by_id": by_id, "free": free}


def _canonical(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip().splitlines() if line.strip())
