"""Read nbgrader notebooks, and list their cells by role (the roles: ``autograder.cells``).

``read_notebook`` refuses anything that is not a readable nbformat-4 notebook with a
``MalformedNotebook`` error that names the problem (``notebook_bytes`` and
``notebook_from_bytes`` are its two halves, for a notebook read in one process and parsed in
another); ``nbgrader_cells`` gives every cell's role; ``graded_functions`` lists the graded
functions (the top-level ``def``s of solution cells).
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
from nbformat.v4.nbjson import JSONReader

from .cells import Cell, Kind, cells_of
from .names import defined_functions

__all__ = ["MAX_NOTEBOOK_BYTES", "Cell", "MalformedNotebook", "defined_functions", "graded_functions",
           "nbgrader_cells", "notebook_bytes", "notebook_from_bytes", "parse_notebook", "read_notebook",
           "test_cells"]

MAX_NOTEBOOK_BYTES = 50 * 2**20


class MalformedNotebook(ValueError):
    """The file is not a notebook the grader can read; the message says why."""


def read_notebook(path: str | Path) -> nbformat.NotebookNode:
    """Parse and validate an ``.ipynb`` file (nbformat 4)."""
    return notebook_from_bytes(notebook_bytes(path), Path(path).name)


def notebook_bytes(path: str | Path) -> bytes:
    """The content of a file that may be a notebook (not empty, not too large)."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as error:
        raise MalformedNotebook(f"{path.name}: cannot be read ({error.strerror})") from None
    if not path.is_file():
        raise MalformedNotebook(f"{path.name}: not a file (a folder?)")
    if size == 0:
        raise MalformedNotebook(f"{path.name}: the file is empty")
    if size > MAX_NOTEBOOK_BYTES:
        raise MalformedNotebook(f"{path.name}: {size / 2**20:.0f} MB is larger than a notebook can be "
                                f"({MAX_NOTEBOOK_BYTES // 2**20} MB)")
    try:
        return path.read_bytes()
    except OSError as error:
        raise MalformedNotebook(f"{path.name}: cannot be read ({error.strerror})") from None


def notebook_from_bytes(data: bytes, label: str = "notebook") -> nbformat.NotebookNode:
    """Parse and validate notebook JSON (``label``: the file name, for messages)."""
    try:
        raw = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise MalformedNotebook(f"{label}: not valid JSON ({error})") from None
    return parse_notebook(raw, label)


def parse_notebook(raw, label: str = "notebook") -> nbformat.NotebookNode:
    """Validate already-decoded notebook JSON."""
    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
        raise MalformedNotebook(f"{label}: not a notebook (no list of cells)")
    if raw.get("nbformat") != 4:
        raise MalformedNotebook(f"{label}: nbformat {raw.get('nbformat')!r} is not supported; "
                                "save it with a current Jupyter (nbformat 4)")
    try:
        nb = JSONReader().to_notebook(raw)  # joins multi-line sources, like nbformat.read
        nbformat.validate(nb)
    except Exception as error:  # nbformat.ValidationError and malformed structures
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise MalformedNotebook(f"{label}: not a valid nbformat-4 notebook ({first_line})") from None
    return nb


def nbgrader_cells(nb) -> list[Cell]:
    """Every cell of ``nb`` with its role, grade id and points (see ``autograder.cells``)."""
    return cells_of(nb)


def test_cells(nb) -> list[Cell]:
    """The autograder test cells of ``nb``, in order."""
    return [cell for cell in cells_of(nb) if cell.kind is Kind.TEST]


test_cells.__test__ = False  # a helper, not a pytest test


def graded_functions(nb) -> list[str]:
    """The functions students write: top-level ``def``s in the notebook's solution cells."""
    names = []
    for cell in cells_of(nb):
        if cell.kind is Kind.SOLUTION and cell.cell_type == "code":
            names.extend(defined_functions(cell.source))
    return names
