"""Make the student release (``notebooks/``) from the instructor source (``solutions/``).

The real ``nbgrader generate_assignment`` does the work (strips solutions and hidden tests,
locks cells, records checksums); afterwards every written notebook is re-serialized in the
course's normal form so that a regenerated release compares byte for byte.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat

from .course import ASSIGNMENTS, RELEASE, ROOT, SOLUTIONS, Assignment


class ReleaseError(RuntimeError):
    pass


def normalized_text(nb) -> str:
    """The canonical on-disk form of a committed notebook: nbformat's writer, no outputs."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return nbformat.writes(nb) + "\n"


def normalize_file(path: Path) -> None:
    path.write_text(normalized_text(nbformat.read(path, as_version=4)), encoding="utf-8")


def venv_env() -> dict:
    """The environment with this interpreter's ``bin/`` first on PATH: nbgrader runs the
    ``alembic`` command by name, which only the virtual environment has."""
    bin_dir = str(Path(sys.executable).parent)
    return {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}


def generate_release(assignments: tuple[Assignment, ...] = ASSIGNMENTS, *,
                     release_dir: Path = RELEASE, db_url: str | None = None) -> list[Path]:
    """Run ``nbgrader generate_assignment`` for each assignment into ``release_dir``.

    ``db_url`` is the gradebook to record the assignments in (default: the course's
    ``gradebook.db``, so that instructors can autograde afterwards).
    """
    written = []
    for assignment in assignments:
        command = [
            sys.executable, "-m", "nbgrader", "generate_assignment", assignment.name, "--force",
            f"--CourseDirectory.root={ROOT}",
            f"--CourseDirectory.source_directory={SOLUTIONS}",
            f"--CourseDirectory.release_directory={Path(release_dir).resolve()}",
        ]
        if db_url:
            command.append(f"--CourseDirectory.db_url={db_url}")
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=venv_env())
        if done.returncode != 0:
            raise ReleaseError(f"nbgrader generate_assignment {assignment.name} failed:\n"
                               f"{done.stdout}\n{done.stderr}")
        target = Path(release_dir) / assignment.name
        for notebook in sorted(target.glob("*.ipynb")):
            normalize_file(notebook)
            written.append(notebook)
    return written
