"""The hidden tests catch every cataloged bug and pass every valid alternative.

For each entry, the solution notebook's namespace (its non-test cells, run in grading
mode) gets the entry in place of its target function; then the notebook's own test
cells run against it, exactly as the grader runs them.
"""

from __future__ import annotations

import functools

import pytest

from autograder.notebook import graded_functions, read_notebook, test_cells
from autograder.testcell import run_test_cell
from coursebuild.course import assignment as find_assignment
from coursebuild.course import existing

from .bugcatalog.registry import load_all
from .support import assignment_context, solution_namespace

ENTRIES = load_all()
MIN_BUGS, MIN_ALTERNATIVES = 3, 1


@functools.cache
def _notebook(name: str):
    return read_notebook(find_assignment(name).source)


@functools.cache
def _namespace(name: str) -> dict:
    return solution_namespace(find_assignment(name), _notebook(name))


def _run_cells(name: str, replacement: dict, only: str | None = None):
    assignment = find_assignment(name)
    outcomes = {}
    with assignment_context(assignment):
        for cell in test_cells(_notebook(name)):
            if only and cell.grade_id != only:
                continue
            namespace = {**_namespace(name), **replacement}
            outcomes[cell.grade_id] = run_test_cell(cell.source, namespace, grade_id=cell.grade_id,
                                                    max_points=cell.points)
    return outcomes


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e.kind == "bug"], ids=lambda e: e.id)
def test_hidden_tests_catch_bug(entry):
    outcomes = _run_cells(entry.assignment, {entry.target: entry.function}, only=f"test_{entry.target}")
    assert outcomes, f"{entry.assignment} has no test cell test_{entry.target}"
    outcome = outcomes[f"test_{entry.target}"]
    assert not outcome.passed, f"the bug '{entry.description}' got full marks"
    assert entry.target in outcome.message, (
        f"the failure message should name {entry.target}; it was:\n{outcome.message}")


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e.kind == "alternative"], ids=lambda e: e.id)
def test_alternative_gets_full_marks(entry):
    outcomes = _run_cells(entry.assignment, {entry.target: entry.function})
    failed = {gid: o.message for gid, o in outcomes.items() if not o.passed}
    assert not failed, f"the valid alternative '{entry.description}' lost marks: {failed}"


@pytest.mark.parametrize("assignment", existing(), ids=lambda a: a.name)
def test_solution_passes_its_own_tests(assignment):
    outcomes = _run_cells(assignment.name, {})
    failed = {gid: o.message for gid, o in outcomes.items() if not o.passed}
    assert outcomes and not failed, failed


@pytest.mark.parametrize("assignment", existing(), ids=lambda a: a.name)
def test_catalog_covers_every_graded_function(assignment):
    graded = graded_functions(_notebook(assignment.name))
    test_ids = {cell.grade_id for cell in test_cells(_notebook(assignment.name))}
    for function in graded:
        assert f"test_{function}" in test_ids, f"{function} has no test cell test_{function}"
        bugs = [e for e in ENTRIES if e.assignment == assignment.name and e.target == function and e.kind == "bug"]
        alternatives = [e for e in ENTRIES if e.assignment == assignment.name and e.target == function
                        and e.kind == "alternative"]
        assert len(bugs) >= MIN_BUGS, f"{function}: {len(bugs)} cataloged bugs, need {MIN_BUGS}"
        assert len(alternatives) >= MIN_ALTERNATIVES, f"{function}: no valid alternative cataloged"
