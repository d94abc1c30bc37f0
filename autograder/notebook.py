"""Read nbgrader notebooks, and list their cells by role (the roles: ``autograder.cells``).

``read_notebook`` refuses anything that is not a readable nbformat-4 notebook with a
``MalformedNotebook`` error that names the problem (``notebook_bytes`` and
``notebook_from_bytes`` are its two halves, for a notebook read in one process and parsed in
another); ``nbgrader_cells`` gives every cell's role; ``graded_functions`` lists the graded
functions (the top-level ``def``s of solution cells).
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import nbformat
from nbformat.v4.nbjson import JSONReader

from .cells import Cell, Kind, cells_of
from .names import defined_functions

__all__ = ["MAX_NOTEBOOK_BYTES", "Cell", "MalformedNotebook", "defined_functions", "graded_functions",
           "nbgrader_cells", "notebook_bytes", "notebook_from_bytes", "parse_notebook", "read_notebook",
           "test_cells"]

MAX_NOTEBOOK_BYTES = 50 * 2**20
MAX_NOTEBOOK_DEPTH = 64     # a notebook nests ~6 deep; JSON outputs may add some


class MalformedNotebook(ValueError):
    """The file is not a notebook the grader can read; the message says why."""


def read_notebook(path: str | Path) -> nbformat.NotebookNode:
    """Parse and validate an ``.ipynb`` file (nbformat 4)."""
    return notebook_from_bytes(notebook_bytes(path), Path(path).name)


def notebook_bytes(path: str | Path) -> bytes:
    """The content of a file that may be a notebook (not empty, not too large)."""
    return regular_file_bytes(path, MAX_NOTEBOOK_BYTES, MalformedNotebook)


def regular_file_bytes(path: str | Path, limit: int, error_type: type = OSError) -> bytes:
    """The bytes of ``path`` if it is a regular file (not a link, FIFO, device or folder) of
    1 to ``limit`` bytes; else raises ``error_type`` saying why. It stats before it opens,
    opens without following links or blocking, and checks again what it opened, so no path
    can make the reader hang (a FIFO), read without end (/dev/zero) or fill memory."""
    path = Path(path)
    try:
        info = os.lstat(path)
    except OSError as error:
        raise error_type(f"{path.name}: cannot be read ({error.strerror})") from None
    why = _not_a_plain_file(info, limit)
    if why:
        raise error_type(f"{path.name}: {why}; it was not opened")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        raise error_type(f"{path.name}: cannot be read ({error.strerror})") from None
    try:
        why = _not_a_plain_file(os.fstat(fd), limit)
        if why:
            raise error_type(f"{path.name}: {why}; it was not read")
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            total += len(chunk)
            if total > limit:
                raise error_type(f"{path.name}: grew past {limit} bytes while it was read")
            chunks.append(chunk)
    except OSError as error:
        raise error_type(f"{path.name}: cannot be read ({error.strerror})") from None
    finally:
        os.close(fd)
    return b"".join(chunks)


def _not_a_plain_file(info: os.stat_result, limit: int) -> str:
    if stat.S_ISLNK(info.st_mode):
        return "is a symbolic link, not a notebook file"
    if stat.S_ISDIR(info.st_mode):
        return "not a file (a folder?)"
    if not stat.S_ISREG(info.st_mode):
        return "is not a regular file (a FIFO, socket or device)"
    if info.st_size == 0:
        return "the file is empty"
    if info.st_size > limit:
        return (f"{info.st_size / 2**20:.0f} MB is larger than a notebook can be "
                f"({limit // 2**20} MB)")
    return ""


def notebook_from_bytes(data: bytes, label: str = "notebook") -> nbformat.NotebookNode:
    """Parse and validate notebook JSON (``label``: the file name, for messages)."""
    try:
        raw = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise MalformedNotebook(f"{label}: not valid JSON ({error})") from None
    except RecursionError:
        raise MalformedNotebook(f"{label}: its JSON is nested too deeply to be a notebook") from None
    if _deeper_than(raw, MAX_NOTEBOOK_DEPTH):
        raise MalformedNotebook(f"{label}: its JSON is nested more than {MAX_NOTEBOOK_DEPTH} levels "
                                "deep; a notebook is not")
    return parse_notebook(raw, label)


def _deeper_than(value, limit: int) -> bool:
    """Whether JSON ``value`` nests lists/dicts more than ``limit`` deep (no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return False


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
