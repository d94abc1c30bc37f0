"""Make the student release (``notebooks/``) from the instructor source (``solutions/``).

nbgrader's own ``generate_assignment`` machinery does the work (strips solutions and hidden
tests, locks cells, records checksums and the tests in the gradebook): its
``GenerateAssignment`` converter runs in this process with the course's
``nbgrader_config.py``, exactly as ``nbgrader generate_assignment`` runs it, but once for all
assignments (the command-line app costs ~5 s of start-up per assignment). Afterwards every
written notebook is re-serialized in the course's normal form so that a regenerated release
compares byte for byte.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path

import nbformat

from .course import ASSIGNMENTS, RELEASE, ROOT, SOLUTIONS, Assignment

LOCK_RETRIES = 5  # others may be writing the same gradebook.db: "database is locked"


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
    ``alembic`` command by name (to stamp a new gradebook), which only the virtual
    environment has."""
    bin_dir = str(Path(sys.executable).parent)
    return {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}


@contextlib.contextmanager
def _venv_path():
    saved = os.environ.get("PATH")
    os.environ["PATH"] = venv_env()["PATH"]
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("PATH", None)
        else:
            os.environ["PATH"] = saved


def nbgrader_config(release_dir: Path = RELEASE, db_url: str | None = None):
    """The course's ``nbgrader_config.py`` with the source/release folders made absolute."""
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    config.CourseDirectory.root = str(ROOT)
    config.CourseDirectory.source_directory = str(SOLUTIONS)
    config.CourseDirectory.release_directory = str(Path(release_dir).resolve())
    if db_url:
        config.CourseDirectory.db_url = db_url
    config.BaseConverter.force = True
    return config


def generate_release(assignments: tuple[Assignment, ...] = ASSIGNMENTS, *,
                     release_dir: Path = RELEASE, db_url: str | None = None) -> list[Path]:
    """Run nbgrader's ``generate_assignment`` for each assignment into ``release_dir``.

    ``db_url`` is the gradebook to record the assignments in (default: the course's
    ``gradebook.db``, so that instructors can autograde afterwards).
    """
    from nbgrader.converters import GenerateAssignment
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.utils import capture_log

    config = nbgrader_config(release_dir, db_url)
    written = []
    with _venv_path():
        for assignment in assignments:
            for attempt in range(LOCK_RETRIES):
                coursedir = CourseDirectory(config=config)
                coursedir.assignment_id = assignment.name
                result = capture_log(GenerateAssignment(coursedir=coursedir, config=config))
                report = f"{result.get('log', '')}\n{result.get('error', '')}"
                if result["success"] or "database is locked" not in report:
                    break
                time.sleep(2 + 2 * attempt)
            if not result["success"]:
                raise ReleaseError(f"nbgrader generate_assignment {assignment.name} failed:\n{report}")
            target = Path(release_dir) / assignment.name
            for notebook in sorted(target.glob("*.ipynb")):
                normalize_file(notebook)
                written.append(notebook)
    return written
