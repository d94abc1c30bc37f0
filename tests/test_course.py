"""Every solution notebook, executed end to end in a real Jupyter kernel.

Once with training (MNIST when present): no cell errors, every test cell passes, the
accuracy target from coursebuild/course.py is met on MNIST, and figures are drawn.
Once in grading mode (NBGRADER_EXECUTION set, as nbgrader and the course grader run it):
no cell errors, the tests pass, and nothing loads data or trains. Data loading is made
impossible there: the data folder holds a corrupt MNIST file, so any ``load_mnist()``
would fail the cell instead of quietly training.

Each notebook runs once per mode for the whole session (slow: minutes with training).
"""

from __future__ import annotations

import ast

import pytest

from coursebuild.course import existing
from coursebuild.execute import ExecutedNotebook

pytestmark = pytest.mark.slow

ASSIGNMENTS = {a.name: a for a in existing()}
by_name = pytest.mark.parametrize("name", list(ASSIGNMENTS))


# The fixtures run_notebook (each notebook executed once per session and mode) and
# tripwire_data are in tests/conftest.py, shared with the book's tests.


def failed_tests(executed: ExecutedNotebook) -> dict[str, str]:
    return {t.grade_id: t.message for t in executed.tests if not t.passed}


def shows_a_figure(source: str) -> bool:
    """The cell itself calls plt.show() (not only a function it defines)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    pending = [node for node in tree.body if not isinstance(node, (ast.FunctionDef, ast.ClassDef))]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "plt.show":
            return True
        pending.extend(child for child in ast.iter_child_nodes(node)
                       if not isinstance(child, (ast.FunctionDef, ast.ClassDef, ast.Lambda)))
    return False


def cell_outputs(executed: ExecutedNotebook):
    for index, cell in enumerate(executed.notebook.cells):
        if cell.cell_type == "code":
            yield index, cell, cell.get("outputs", [])


# --- with training ---------------------------------------------------------------------

@by_name
def test_solution_notebook_runs_without_errors(name, run_notebook):
    executed = run_notebook(name, False)
    assert not executed.cell_errors, "\n".join(executed.cell_errors)


@by_name
def test_solution_notebook_passes_its_tests(name, run_notebook):
    executed = run_notebook(name, False)
    assert executed.tests, f"{name} has no test cells"
    assert not failed_tests(executed), failed_tests(executed)


@pytest.mark.parametrize("name", [n for n, a in ASSIGNMENTS.items() if a.target_accuracy is not None])
def test_solution_notebook_meets_its_accuracy_target(name, run_notebook, mnist_files):
    executed = run_notebook(name, False)
    target = ASSIGNMENTS[name].target_accuracy
    results = executed.results
    assert "test_accuracy" in results and "dataset" in results, (
        f"{name} trains to a target of {target:.1%} but never called "
        f"report_result(test_accuracy=..., dataset=data.name); it reported {results}")
    if results["dataset"] != "MNIST":
        assert mnist_files is None, (
            f"{name} ran on {results['dataset']!r} although MNIST is in data/MNIST/raw")
        pytest.skip(f"{name} ran on the {results['dataset']!r} fallback (MNIST is not in data/MNIST/raw): "
                    f"its {results['test_accuracy']:.2%} says nothing about the MNIST target {target:.1%}")
    assert results["test_accuracy"] >= target, (
        f"{name}: MNIST test accuracy {results['test_accuracy']:.2%} is below the target {target:.1%}")


@by_name
def test_solution_notebook_draws_its_figures(name, run_notebook):
    """Every cell that calls plt.show() itself leaves a picture in the executed notebook."""
    executed = run_notebook(name, False)
    plotting = [(i, outputs) for i, cell, outputs in cell_outputs(executed) if shows_a_figure(cell.source)]
    if not plotting:
        pytest.skip(f"{name} draws no figures")
    blank = [i + 1 for i, outputs in plotting
             if not any("image/png" in out.get("data", {}) for out in outputs)]
    assert not blank, f"{name}: cells {blank} call plt.show() but produced no image"


# --- grading mode ------------------------------------------------------------------------

@by_name
def test_grading_mode_runs_every_cell_and_passes_the_tests(name, run_notebook):
    executed = run_notebook(name, True)
    assert not executed.cell_errors, (
        "in grading mode (a DatasetError means a cell loaded data without `if not grading_mode():`):\n"
        + "\n".join(executed.cell_errors))
    assert not failed_tests(executed), failed_tests(executed)


@by_name
def test_grading_mode_does_not_train(name, run_notebook):
    executed = run_notebook(name, True)
    assert executed.results == {}, (
        f"{name} reported results in grading mode, so it trained: {executed.results}")
    progress = [i + 1 for i, _, outputs in cell_outputs(executed) for out in outputs
                if out.get("output_type") == "stream" and " epoch 1/" in " " + out.get("text", "")]
    assert not progress, f"{name}: cells {progress} ran a training loop in grading mode"
