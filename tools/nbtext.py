"""Edit course notebooks as plain text, with their nbgrader roles kept.

    python tools/nbtext.py to-text  solutions/01_derivatives/derivatives.ipynb /tmp/d.nbtext
    python tools/nbtext.py to-ipynb /tmp/d.nbtext solutions/01_derivatives/derivatives.ipynb

(``to-text NOTEBOOK -`` prints to standard output.)

The ``.ipynb`` in ``solutions/`` stays the one source of truth; the text form is a
convenience for editing and review. A text file is a sequence of cells, each introduced by
a marker line:

    %% markdown                        a Markdown cell
    %% code                            a plain code cell (students may edit it)
    %% readonly id=setup               a locked code cell (restored when grading)
    %% solution id=sigmoid             an autograded answer (the solution between its markers)
    %% test id=test_sigmoid points=2   an autograder test cell (hidden tests between their markers)
    %% answer id=derive_ce points=3    a manually graded written answer (Markdown)
    %% task id=explore points=2        a manually graded task (Markdown)

The kinds, their nbgrader metadata and the markers are ``autograder.cells``'s.

The written notebook is normalized (nbformat 4.5, sorted keys, no outputs, deterministic
cell ids), so converting back and forth is lossless for everything the course uses.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # run as a script from anywhere
from autograder.cells import Kind, describe, new_cell  # noqa: E402

PLAIN_KINDS = ("markdown", "code")           # Kind.PLAIN, by cell type
TEXT_KINDS = PLAIN_KINDS + tuple(kind.value for kind in Kind if kind is not Kind.PLAIN)
MARKER = re.compile(rf"^%% ({'|'.join(TEXT_KINDS)})((?: \w+=\S+)*)\s*$")


def text_to_notebook(text: str) -> nbformat.NotebookNode:
    cells, kind, options, lines = [], None, {}, []

    def flush():
        if kind is not None:
            cells.append(_make_cell(kind, options, "\n".join(lines).strip("\n"), len(cells)))

    for line in text.splitlines():
        match = MARKER.match(line)
        if match:
            flush()
            kind = match.group(1)
            options = dict(item.split("=", 1) for item in match.group(2).split())
            lines = []
        elif kind is None:
            if line.strip():
                raise ValueError(f"text before the first cell marker: {line!r}")
        else:
            lines.append(line)
    flush()
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    nbformat.validate(nb)
    return nb


def _make_cell(kind: str, options: dict, source: str, position: int):
    grade_id = options.get("id")
    if kind in PLAIN_KINDS:
        cell = new_cell(Kind.PLAIN, source, cell_type=kind)
    else:
        if not grade_id:
            raise ValueError(f"a {kind} cell needs id=... (cell {position + 1})")
        role = Kind(kind)
        if role.graded and "points" not in options:
            raise ValueError(f"a {kind} cell needs points=... ({grade_id})")
        cell = new_cell(role, source, grade_id, float(options["points"]) if role.graded else None)
    cell.id = (grade_id or f"cell-{position + 1}").replace("_", "-")[:64]
    return cell


def notebook_to_text(nb) -> str:
    parts = []
    for index, cell in enumerate(nb.cells):
        role = describe(cell, index)
        if role.kind is Kind.PLAIN:
            header = f"%% {cell.cell_type}"
        else:
            header = f"%% {role.kind} id={role.grade_id}"
            if role.kind.graded:
                points = role.points
                header += f" points={int(points) if float(points).is_integer() else points}"
        parts.append(f"{header}\n{cell.source}\n")
    return "\n".join(parts)


def write_notebook(nb, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[0] not in ("to-text", "to-ipynb"):
        print(__doc__)
        return 2
    command, source, target = argv
    if command == "to-text":
        text = notebook_to_text(nbformat.read(source, as_version=4))
        if target == "-":
            sys.stdout.write(text)
        else:
            Path(target).write_text(text, encoding="utf-8")
    else:
        write_notebook(text_to_notebook(Path(source).read_text(encoding="utf-8")), Path(target))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
