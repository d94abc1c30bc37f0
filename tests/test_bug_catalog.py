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
from .conftest import SUMMARY_SECTIONS
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


BUGS = [e for e in ENTRIES if e.kind == "bug"]
_first_messages: dict[str, str] = {}   # entry id -> the first failure message of its test


def _first_message(entry) -> str:
    if entry.id not in _first_messages:
        outcomes = _run_cells(entry.assignment, {entry.target: entry.function}, only=f"test_{entry.target}")
        assert outcomes, f"{entry.assignment} has no test cell test_{entry.target}"
        outcome = outcomes[f"test_{entry.target}"]
        _first_messages[entry.id] = "" if outcome.passed else outcome.message or "(no message)"
    return _first_messages[entry.id]


def _diagnosed(entry) -> bool:
    return bool(entry.diagnosis) and entry.diagnosis.lower() in _first_message(entry).lower()


@pytest.mark.parametrize("entry", BUGS, ids=lambda e: e.id)
def test_hidden_tests_catch_bug(entry):
    message = _first_message(entry)
    assert message, f"the bug '{entry.description}' got full marks"
    assert entry.target in message, (
        f"the failure message should name {entry.target}; it was:\n{message}")
    if entry.diagnosis:   # the message a student reads first names the mistake
        assert _diagnosed(entry), (
            f"the first failure message for '{entry.description}' should contain "
            f"{entry.diagnosis!r}; it was:\n{message}")


DIAGNOSED_SHARE = 0.95


def test_diagnosis_table(request):
    """Per assignment, the bugs whose first failure message names the mistake; at least
    95% of all, the rest declared undiagnosable with a reason."""
    rows, lines = {}, []
    for entry in BUGS:
        row = rows.setdefault(entry.assignment, [0, 0, []])
        row[0] += 1
        if _diagnosed(entry):
            row[1] += 1
        else:
            row[2].append(entry)
    total, named = sum(r[0] for r in rows.values()), sum(r[1] for r in rows.values())
    lines.append(f"{'assignment':<20} {'bugs':>5} {'named':>6} {'share':>6}")
    for name, (count, good, _) in sorted(rows.items()):
        lines.append(f"{name:<20} {count:>5} {good:>6} {good / count:>6.0%}")
    lines.append(f"{'all':<20} {total:>5} {named:>6} {named / total:>6.0%}")
    undiagnosed = [e for r in rows.values() for e in r[2]]
    for entry in undiagnosed:
        why = ("declared, not in the message" if entry.diagnosis
               else entry.undiagnosable or "no diagnosis declared")
        lines.append(f"  not named: {entry.id} ({entry.description}): {why}")
    request.config.stash.setdefault(SUMMARY_SECTIONS, []).append(
        ("bug catalog: first failure messages that name the mistake", lines))
    assert named >= DIAGNOSED_SHARE * total, "\n".join(lines)


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
