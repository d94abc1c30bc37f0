"""Is the committed release what nbgrader makes from the committed solutions?"""

from __future__ import annotations

import tempfile
from pathlib import Path

from .course import RELEASE, Assignment
from .provided import check_provided
from .release import generate_release


def release_problems(assignments: tuple[Assignment, ...]) -> list[str]:
    """Differences between ``notebooks/`` and a fresh release made in a temporary folder."""
    problems = check_provided(assignments)
    with tempfile.TemporaryDirectory() as scratch:
        fresh = Path(scratch) / "release"
        generate_release(assignments, release_dir=fresh, db_url=f"sqlite:///{scratch}/gradebook.db")
        for assignment in assignments:
            made = {p.relative_to(fresh): p for p in (fresh / assignment.name).rglob("*") if p.is_file()}
            committed = {p.relative_to(RELEASE): p for p in (RELEASE / assignment.name).rglob("*")
                         if p.is_file() and "__pycache__" not in p.parts
                         and ".ipynb_checkpoints" not in p.parts}
            for name in sorted(set(made) - set(committed)):
                problems.append(f"notebooks/{name} is missing; run `python -m coursebuild release`")
            for name in sorted(set(committed) - set(made)):
                problems.append(f"notebooks/{name} is not produced from solutions/ (stale?)")
            for name in sorted(set(made) & set(committed)):
                if made[name].read_bytes() != committed[name].read_bytes():
                    problems.append(f"notebooks/{name} differs from a fresh release; "
                                    "run `python -m coursebuild release`")
    return problems
