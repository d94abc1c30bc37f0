"""Merging the instructor's source with a submission: what runs, where, with which notes."""

import nbformat

from autograder.cells import hidden_tests, new_cell, set_grade_id
from autograder.grader.plan import build_plan


def cell(kind, source, grade_id=None, points=1):
    if kind == "markdown":
        return new_cell("plain", source, cell_type="markdown")
    return new_cell(kind, source, grade_id, points if kind in ("test", "answer") else None)


def notebook(*cells):
    return nbformat.v4.new_notebook(cells=list(cells))


SOURCE = notebook(
    cell("markdown", "# title"),
    cell("readonly", "import numpy as np", "setup"),
    cell("solution", "def f(x):\n    return 2 * x", "f"),
    cell("test", hidden_tests("assert f(1) == 2", "assert f(2) == 4"), "test_f", 2),
    cell("answer", "model answer", "explain", 3),
    cell("solution", "def g(x):\n    return x", "g"),
    cell("test", "assert g(1) == 1", "test_g", 1),
)


def release_version():
    return notebook(
        cell("markdown", "# title"),
        cell("readonly", "import numpy as np", "setup"),
        cell("solution", "def f(x):\n    return 2 * x  # mine", "f"),
        cell("test", "assert f(1) == 2", "test_f", 2),
        cell("answer", "my words", "explain", 3),
        cell("solution", "def g(x):\n    return x", "g"),
        cell("test", "assert g(1) == 1", "test_g", 1),
    )


def kinds(plan):
    return [(step.kind, step.grade_id) for step in plan.steps]


def test_honest_submission_runs_answers_and_sources_tests_from_the_instructor():
    plan = build_plan(SOURCE, release_version())
    assert kinds(plan) == [("run", "setup"), ("run", "f"), ("test", "test_f"), ("run", "g"), ("test", "test_g")]
    assert "# mine" in plan.steps[1].source
    assert "HIDDEN" in plan.steps[2].source and plan.steps[2].points == 2
    assert [c.grade_id for c in plan.manual] == ["explain"]
    assert plan.notes == []


def test_edited_deleted_duplicated_and_retyped_test_cells_change_nothing():
    submission = release_version()
    submission.cells[3].source = "pass  # trust me"
    del submission.cells[6]                                   # test_g deleted
    submission.cells.append(cell("test", "pass", "test_f"))   # duplicated id
    plan = build_plan(SOURCE, submission)
    tests = [step for step in plan.steps if step.kind == "test"]
    assert [t.grade_id for t in tests] == ["test_f", "test_g"]
    assert all(t.source == c.source for t, c in zip(tests, [SOURCE.cells[3], SOURCE.cells[6]]))
    assert any("'test_f' was edited" in n for n in plan.notes)
    assert any("'test_g' was deleted" in n for n in plan.notes)
    assert any("more than once" in n for n in plan.notes)


def test_retyped_test_cell_is_still_run_from_the_source():
    submission = release_version()
    retyped = nbformat.v4.new_markdown_cell("assert g(1) == 1")
    retyped.metadata = submission.cells[6].metadata
    submission.cells[6] = retyped
    assert ("test", "test_g") in kinds(build_plan(SOURCE, submission))


def test_edited_readonly_cell_is_restored():
    submission = release_version()
    submission.cells[1].source = "import numpy as np\nnp.allclose = lambda *a, **k: True"
    plan = build_plan(SOURCE, submission)
    assert plan.steps[0].source == "import numpy as np"
    assert any("read-only cell 'setup' was edited" in n for n in plan.notes)


def test_solution_cell_turned_into_markdown_does_not_run():
    submission = release_version()
    moved = nbformat.v4.new_markdown_cell(submission.cells[2].source)
    moved.metadata = submission.cells[2].metadata
    submission.cells[2] = moved
    plan = build_plan(SOURCE, submission)
    assert ("run", "f") not in kinds(plan)
    assert any("'f' was changed into a markdown cell" in n for n in plan.notes)


def test_free_cells_run_in_the_students_order_before_the_next_anchor():
    submission = release_version()
    submission.cells.insert(3, nbformat.v4.new_code_cell("helper = 1"))
    submission.cells.append(nbformat.v4.new_code_cell("print('the end')"))
    plan = build_plan(SOURCE, submission)
    assert kinds(plan) == [("run", "setup"), ("run", "f"), ("run", None), ("test", "test_f"),
                           ("run", "g"), ("test", "test_g"), ("run", None)]


def test_renamed_grade_ids():
    submission = release_version()
    set_grade_id(submission.cells[5], "my_g")     # a solution cell renamed
    set_grade_id(submission.cells[6], "fake")     # a test cell renamed
    plan = build_plan(SOURCE, submission)
    assert ("test", "test_g") in kinds(plan)
    assert any(step.source.startswith("def g") for step in plan.steps if step.kind == "run")
    assert any("unknown id 'my_g'" in n and "your own code" in n for n in plan.notes)
    assert any("unknown id 'fake' was ignored" in n for n in plan.notes)
