"""autograder.cells, the cell vocabulary: nbgrader's metadata as nbgrader itself writes it
(and as a tampered submission may carry it) read into kinds, and written back.

The one test module besides ``autograder/cells.py`` that spells raw nbgrader metadata: it
checks the vocabulary against it (``tests/test_vocabulary_owner.py`` allows it for that)."""

from __future__ import annotations

import nbformat
import pytest

from autograder import cells
from autograder.cells import Kind, classify, describe, grade_id_of, new_cell, points_of, to_metadata


def raw(cell_type: str, source: str = "x", **meta):
    made = (nbformat.v4.new_markdown_cell if cell_type == "markdown" else nbformat.v4.new_code_cell)(source)
    if meta:
        made.metadata["nbgrader"] = meta
    return made


# what nbgrader's "Create Assignment" toolbar writes, by kind
NBGRADER_WRITES = [
    (raw("code", grade=False, locked=True, solution=False, grade_id="setup", schema_version=3), Kind.READONLY),
    (raw("code", grade=False, locked=False, solution=True, grade_id="f", schema_version=3), Kind.SOLUTION),
    (raw("code", grade=True, locked=True, solution=False, grade_id="t", points=2, schema_version=3), Kind.TEST),
    (raw("markdown", grade=True, locked=False, solution=True, grade_id="a", points=3, schema_version=3),
     Kind.ANSWER),
    (raw("markdown", grade=True, locked=True, solution=False, grade_id="m", points=1), Kind.ANSWER),
    (raw("markdown", task=True, grade=False, solution=False, locked=False, grade_id="k", points=1), Kind.TASK),
    (raw("code", grade=False, locked=False, solution=False, grade_id="inert"), Kind.PLAIN),
    (raw("code"), Kind.PLAIN),
    (raw("markdown"), Kind.PLAIN),
]


@pytest.mark.parametrize("cell, kind", NBGRADER_WRITES, ids=[k.value + str(i) for i, (_, k) in enumerate(NBGRADER_WRITES)])
def test_nbgrader_metadata_reads_as_its_kind(cell, kind):
    assert classify(cell) is kind


@pytest.mark.parametrize("kind", [k for k in Kind if k is not Kind.PLAIN])
def test_to_metadata_writes_what_nbgrader_writes_and_reads_back(kind):
    points = 2 if kind.graded else None
    cell = new_cell(kind, "body", "some_id", points)
    assert classify(cell) is kind and grade_id_of(cell) == "some_id" and points_of(cell) == (points or 0)
    meta = cell.metadata["nbgrader"]
    assert meta["schema_version"] == 3 and meta["grade_id"] == "some_id"
    assert {key: meta[key] for key in ("grade", "solution", "locked")} == {
        Kind.READONLY: dict(grade=False, solution=False, locked=True),
        Kind.SOLUTION: dict(grade=False, solution=True, locked=False),
        Kind.TEST: dict(grade=True, solution=False, locked=True),
        Kind.ANSWER: dict(grade=True, solution=True, locked=False),
        Kind.TASK: dict(grade=False, solution=False, locked=False),
    }[kind]
    assert cell.cell_type == ("markdown" if kind.manual else "code")
    assert to_metadata(Kind.PLAIN) == {}


def test_graded_kinds_need_points_and_roles_need_ids():
    with pytest.raises(ValueError, match="needs points"):
        to_metadata(Kind.TEST, "t")
    with pytest.raises(ValueError, match="needs a grade id"):
        to_metadata(Kind.SOLUTION)
    assert to_metadata(Kind.TEST, "t", 2.5)["nbgrader"]["points"] == 2.5
    assert to_metadata(Kind.TEST, "t", 2.0)["nbgrader"]["points"] == 2   # as nbtext writes it


@pytest.mark.parametrize("metadata", [
    {"nbgrader": "garbage"}, {"nbgrader": ["grade"]}, {"nbgrader": {"grade_id": ["not", "a", "string"]}},
    {"nbgrader": {"grade": True, "points": "lots", "grade_id": 7}},
    {"nbgrader": {"grade": True, "points": float("inf"), "grade_id": "t"}},
])
def test_tampered_metadata_reads_safely(metadata):
    cell = nbformat.v4.new_code_cell("pass")
    cell.metadata = metadata
    role = describe(cell, 0)
    assert role.grade_id in (None, "t") and role.points == 0.0


def test_markers():
    source = cells.hidden_tests("visible()", "hidden()")
    assert source.splitlines() == ["visible()", "### BEGIN HIDDEN TESTS", "hidden()", "### END HIDDEN TESTS"]
    assert cells.without_hidden_tests(source) == "visible()"
    assert cells.split_hidden_tests(source) == ("visible()\n", "\nhidden()\n")
    assert cells.split_hidden_tests("visible()\n### BEGIN HIDDEN TESTS\nopen()") == ("visible()\n", None)
    assert cells.split_hidden_tests("visible()") == ("visible()", None)
    solution = cells.solution("def f(x):", "    return x")
    assert "### BEGIN SOLUTION" in solution and "### END SOLUTION" in solution
    assert cells.without_solution_markers(solution) == "def f(x):\n    return x"
