"""Shared helpers for the test suite."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import nbformat

from autograder.notebook import nbgrader_cells, read_notebook
from coursebuild.course import Assignment

ROOT = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def assignment_context(assignment: Assignment):
    """Run code as the notebook would: from its folder, grading mode, a fresh ``provided``."""
    folder = str(assignment.source.parent)
    saved_cwd, saved_env = os.getcwd(), os.environ.get("NBGRADER_EXECUTION")
    sys.modules.pop("provided", None)
    sys.path.insert(0, folder)
    os.chdir(folder)
    os.environ["NBGRADER_EXECUTION"] = "autograde"
    try:
        yield
    finally:
        os.chdir(saved_cwd)
        sys.path.remove(folder)
        sys.modules.pop("provided", None)
        if saved_env is None:
            os.environ.pop("NBGRADER_EXECUTION", None)
        else:
            os.environ["NBGRADER_EXECUTION"] = saved_env


def solution_namespace(assignment: Assignment, notebook: nbformat.NotebookNode | None = None) -> dict:
    """Execute the notebook's non-test code cells in grading mode and return the globals."""
    notebook = notebook or read_notebook(assignment.source)
    namespace: dict = {"__name__": "__main__"}
    with assignment_context(assignment):
        for cell in nbgrader_cells(notebook):
            if cell.cell_type == "code" and cell.kind != "test":
                exec(compile(cell.source, f"<{assignment.name} cell {cell.index + 1}>", "exec"), namespace)
    return namespace
