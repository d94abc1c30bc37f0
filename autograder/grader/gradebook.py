"""Put results where nbgrader's own tools look for them.

For each graded notebook this writes an *autograded notebook* to
``<course>/autograded/<student>/<assignment>/``: the student release with the student's
answers filled in and each test cell's outcome as its output (an error for a failed test, a
number for partial credit, nothing for full marks), with test cells in their *released* form,
so hidden test source never appears. nbgrader's ``SaveAutoGrades`` then reads that notebook
into the gradebook exactly as ``nbgrader autograde`` would, which keeps formgrader (manual
grading of written answers), ``nbgrader export`` and ``nbgrader generate_feedback`` working.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import SaveAutoGrades
from nbgrader.utils import parse_utc

from ..cells import Kind, classify, grade_id_of
from ..notebook import MalformedNotebook, read_notebook
from .course import Course
from .submission import Submission, SubmissionResult


class GradebookError(RuntimeError):
    pass


class GradebookRecorder:
    """nbgrader's gradebook as a recorder for ``grade_class``. Checks at once that the
    gradebook knows every assignment (before anything is graded); a result it cannot record
    stays safe in the output folder, and ``log`` says what failed."""

    def __init__(self, course: Course, db_url: str, assignments: set[str], log):
        self.course, self.db_url, self.log = course, db_url, log
        check_gradebook(db_url, assignments)

    def record(self, result: SubmissionResult, submission: Submission) -> None:
        try:
            record(self.course, self.db_url, result, submission.submission)
        except Exception as error:  # the result is safe in the output folder; say what failed
            self.log(f"warning: could not record {result.student}/{result.assignment} in "
                     f"the gradebook: {error}")

    def finish(self) -> None:
        pass


def autograded_notebook(release_nb, submission_nb, result: SubmissionResult):
    """The release with the student's answers and the tests' outcomes (see module docstring)."""
    outcome = {test.grade_id: test for test in result.tests}
    answers, free_after = {}, {}
    previous = None
    for cell in (submission_nb.cells if submission_nb is not None else []):
        grade_id = grade_id_of(cell)   # tolerant: submissions may carry garbage
        if grade_id and grade_id not in answers:
            answers[grade_id] = cell
            previous = grade_id
        elif not grade_id and cell.get("cell_type") == "code" and str(cell.get("source", "")).strip():
            free_after.setdefault(previous, []).append(cell)
    nb = copy.deepcopy(release_nb)
    cells = []
    for cell in nb.cells:
        grade_id = grade_id_of(cell)
        kind = classify(cell)
        mine = answers.get(grade_id)
        if kind.filled_by_student and mine is not None and mine.cell_type == cell.cell_type:
            # formgrader renders markdown with its HTML: the student's must not run there
            cell.source = mine.source if cell.cell_type == "code" else inert_markdown(mine.source)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            if kind is Kind.TEST:
                cell.outputs = _test_outputs(outcome.get(grade_id))
        cells.append(cell)
        for extra in free_after.get(grade_id, []) if grade_id else []:
            cells.append(nbformat.v4.new_code_cell(extra.source))
    nb.cells = cells
    return nb


def inert_markdown(text: str) -> str:
    """Student markdown with no live HTML: every ``<`` becomes ``&lt;`` (so no tag, script,
    iframe or event handler survives, while math such as $a < b$ still reads the same) and
    ``javascript:``/``data:`` link targets are defused."""
    text = str(text).replace("<", "&lt;")
    return re.sub(r"(?i)\]\(\s*(javascript|vbscript|data):", r"](unsafe-\1:", text)


def _test_outputs(test) -> list:
    if test is None:
        return [nbformat.v4.new_output("error", ename="NotGraded", evalue="this test did not run",
                                       traceback=["this test did not run"])]
    if test.passed:
        return []
    if test.points > 0:
        return [nbformat.v4.new_output("execute_result", data={"text/plain": f"{test.points:g}"},
                                       execution_count=None)]
    return [nbformat.v4.new_output("error", ename="TestFailed", evalue=test.message.splitlines()[0][:200]
                                   if test.message else "failed", traceback=test.message.splitlines() or ["failed"])]


def check_gradebook(db_url: str, assignments: set[str]) -> None:
    """Fail early, before grading, if the gradebook does not know an assignment."""
    with Gradebook(db_url) as gb:
        for name in sorted(assignments):
            try:
                gb.find_assignment(name)
            except MissingEntry:
                raise GradebookError(
                    f"the gradebook {db_url} does not know assignment {name}; run "
                    f"`nbgrader generate_assignment {name}` (or `python -m coursebuild release`) "
                    "with this gradebook first, or grade with --no-gradebook") from None


def record(course: Course, db_url: str, result: SubmissionResult, submission_path: str) -> Path:
    """Write the autograded notebook and its grades into the gradebook at ``db_url``."""
    with Gradebook(db_url) as gb:
        gb.update_or_create_student(result.student)
        try:
            submission = gb.find_submission(result.assignment, result.student)
        except MissingEntry:
            submission = gb.add_submission(result.assignment, result.student)
        # formgrader counts a submission as autograded when the gradebook's timestamp equals
        # the one in the submitted folder's timestamp.txt (as nbgrader autograde records it)
        submission.timestamp = _parse_timestamp(_submitted_timestamp(submission_path))
        gb.db.commit()
    release_nb = nbformat.read(course.release(result.assignment, result.notebook), as_version=4)
    try:
        submission_nb = read_notebook(submission_path)
    except MalformedNotebook:
        submission_nb = None
    nb = autograded_notebook(release_nb, submission_nb, result)
    resources = {"nbgrader": {"notebook": result.notebook, "assignment": result.assignment,
                              "student": result.student, "db_url": db_url}}
    SaveAutoGrades().preprocess(nb, resources)
    target = course.autograded(result.student, result.assignment, result.notebook)
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)
    timestamp = _submitted_timestamp(submission_path)
    if timestamp:
        (target.parent / "timestamp.txt").write_text(timestamp)
    return target


def _parse_timestamp(text: str | None):
    try:
        return parse_utc(text) if text else None
    except (ValueError, OverflowError):
        return None


def _submitted_timestamp(submission_path: str) -> str | None:
    """The text of nbgrader's timestamp.txt beside the submitted notebook, if any."""
    try:
        return (Path(submission_path).parent / "timestamp.txt").read_text().strip()[:100] or None
    except OSError:
        return None
