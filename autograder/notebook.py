"""Read nbgrader notebooks: which cells are solutions, tests and written answers.

``read_notebook`` refuses anything that is not a readable nbformat-4 notebook with a
``MalformedNotebook`` error that names the problem; ``nbgrader_cells`` classifies cells by
their nbgrader metadata; ``defined_functions`` lists the graded functions (the top-level
``def``s of solution cells).
"""

from __future__ import annotations

import ast
import json
import math
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat.v4.nbjson import JSONReader

MAX_NOTEBOOK_BYTES = 50 * 2**20


class MalformedNotebook(ValueError):
    """The file is not a notebook the grader can read; the message says why."""


@dataclass(frozen=True)
class Cell:
    """One cell with its nbgrader role.

    kind: "solution" (autograded answer), "test" (autograder tests), "answer" (manually
    graded answer), "task", "readonly" (locked), or "plain" (no nbgrader metadata).
    """

    index: int
    cell_type: str
    source: str
    kind: str
    grade_id: str | None = None
    points: float = 0.0


def read_notebook(path: str | Path) -> nbformat.NotebookNode:
    """Parse and validate an ``.ipynb`` file (nbformat 4)."""
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
        raw = json.loads(path.read_bytes())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise MalformedNotebook(f"{path.name}: not valid JSON ({error})") from None
    return parse_notebook(raw, path.name)


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


def nbgrader_metadata(cell) -> dict:
    """The cell's nbgrader metadata; {} when a (tampered) submission has something else there."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def _points(value) -> float:
    try:
        points = float(value or 0)
    except (TypeError, ValueError):
        return 0.0
    return points if math.isfinite(points) else 0.0


def classify(cell) -> str:
    meta = nbgrader_metadata(cell)
    if meta.get("task"):
        return "task"
    if meta.get("grade") and meta.get("solution"):
        return "answer"
    if meta.get("grade"):
        return "test" if cell.get("cell_type") == "code" else "answer"
    if meta.get("solution"):
        return "solution"
    if meta.get("locked"):
        return "readonly"
    return "plain"


def nbgrader_cells(nb) -> list[Cell]:
    """Every cell of ``nb`` with its role, grade id and points."""
    result = []
    for index, cell in enumerate(nb.cells):
        meta = nbgrader_metadata(cell)
        kind = classify(cell)
        points = _points(meta.get("points")) if kind in ("test", "answer", "task") else 0.0
        grade_id = meta.get("grade_id") if kind != "plain" else None
        result.append(Cell(index, cell.cell_type, cell.source, kind,
                           grade_id if isinstance(grade_id, str) else None, points))
    return result


def test_cells(nb) -> list[Cell]:
    """The autograder test cells of ``nb``, in order."""
    return [cell for cell in nbgrader_cells(nb) if cell.kind == "test"]


test_cells.__test__ = False  # a helper, not a pytest test


def defined_functions(source: str) -> list[str]:
    """Names of the top-level functions a cell's source defines (empty if it does not parse)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    return [node.name for node in tree.body if isinstance(node, ast.FunctionDef)]


def graded_functions(nb) -> list[str]:
    """The functions students write: top-level ``def``s in the notebook's solution cells."""
    names = []
    for cell in nbgrader_cells(nb):
        if cell.kind == "solution" and cell.cell_type == "code":
            names.extend(defined_functions(cell.source))
    return names
