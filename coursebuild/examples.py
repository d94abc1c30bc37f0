"""An example class of submissions, made from the release and the solutions.

The main build grades it with the course's grader, so an instructor sees the whole workflow
(submissions in nbgrader's ``submitted/`` layout -> ``grade_class`` -> table)
on every build. Three students per assignment:

- ``ada``: every answer cell filled in from the solutions (what a finished student submits);
- ``ben``: the first half of the answer cells filled in, the rest untouched;
- ``cy``: the untouched release.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import nbformat

from autograder.cells import Kind, cells_of, grade_id_of
from autograder.grader.course import course_folders
from autograder.notebook import read_notebook

from .course import ROOT, Assignment

STUDENTS = {"ada": 1.0, "ben": 0.5, "cy": 0.0}


def fill_answers(release_nb, source_nb, fraction: float = 1.0):
    """A copy of ``release_nb`` with the first ``fraction`` of its answer cells (autograded
    solutions and written answers) taken from ``source_nb``."""
    answers = {c.grade_id: c.source for c in cells_of(source_nb) if c.kind in (Kind.SOLUTION, Kind.ANSWER)}
    filled = copy.deepcopy(release_nb)
    answer_cells = [cell for cell in filled.cells if grade_id_of(cell) in answers]
    for cell in answer_cells[:round(fraction * len(answer_cells))]:
        cell.source = answers[grade_id_of(cell)]
    return filled


def write_example_class(assignments: tuple[Assignment, ...], target: Path) -> Path:
    """Write ``target/submitted/<student>/<assignment>/<notebook>`` for every student."""
    submitted = target / course_folders(ROOT)["submitted_directory"]
    shutil.rmtree(submitted, ignore_errors=True)
    for assignment in assignments:
        source, release = read_notebook(assignment.source), read_notebook(assignment.release)
        for student, fraction in STUDENTS.items():
            folder = submitted / student / assignment.name
            folder.mkdir(parents=True)
            nbformat.write(fill_answers(release, source, fraction), folder / assignment.notebook)
    return submitted
