"""Honest submissions get the same scores from this grader as from ``nbgrader autograde``.

For every assignment that has autograded test cells, an honest, a blank and a buggy
submission (generated from the current solutions, the release and the bug catalog; see
``fixtures``) are graded twice: by the real ``nbgrader autograde`` in a throwaway nbgrader
course with its own gradebook, and by ``python -m autograder grade``. Every test cell must
earn the same points from both. Both runs use the same ``BFS_TEST_SEED``, so the hidden
tests draw the same random trials and a borderline bug cannot fail in one run and pass in
the other by luck.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from autograder.grader.submission import SubmissionResult
from autograder.notebook import nbgrader_cells, read_notebook
from coursebuild.course import ROOT

from . import fixtures as F

pytestmark = pytest.mark.slow

ASSIGNMENTS = F.graded_assignments()
BUGS_PER_ASSIGNMENT = 1
SEED = "20240601"
PARALLEL = 2   # nbgrader runs at once (one per core)


def _nbgrader_side(base: Path, assignment, ours: Path) -> dict:
    """A course of its own for ``assignment`` (nbgrader's gradebook is one SQLite file, so
    assignments graded in parallel each get one): release, class, ``nbgrader autograde``."""
    course = F.make_nbgrader_course(base / f"nbgrader-{assignment.name}", [assignment])
    release = course / "notebooks"
    shutil.copytree(release / assignment.name, ours / "notebooks" / assignment.name)
    shutil.copytree(assignment.source.parent, ours / "solutions" / assignment.name,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    kinds = F.make_class(course / "submitted", [assignment], BUGS_PER_ASSIGNMENT, release)
    shutil.copytree(course / "submitted", ours / "submitted", dirs_exist_ok=True)
    F.nbgrader(course, "autograde", assignment.name, "--force", env={"BFS_TEST_SEED": SEED})
    students = sorted(student for student, _ in kinds)
    return {"kinds": kinds, "scores": F.nbgrader_scores(course, assignment, students)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("equivalence")
    ours = base / "ours"
    F.catalog(ASSIGNMENTS[0])   # import the bug catalog once, before the threads
    with ThreadPoolExecutor(PARALLEL) as pool:
        sides = dict(zip([a.name for a in ASSIGNMENTS],
                         pool.map(lambda a: _nbgrader_side(base, a, ours), ASSIGNMENTS)))
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", str(ours / "submitted"), "--course", str(ours),
         "--out", str(ours / "graded"), "--workers", "2", "--no-gradebook", "--quiet"],
        cwd=ROOT, capture_output=True, text=True, timeout=3600, env={**os.environ, "BFS_TEST_SEED": SEED})
    assert done.returncode == 0, done.stderr[-3000:]
    for assignment in ASSIGNMENTS:
        side = sides[assignment.name]
        side["ours"] = {}
        for (student, _), kind in side["kinds"].items():
            path = ours / "graded" / assignment.name / student / f"{assignment.notebook_id}.result.json"
            result = SubmissionResult.from_json(json.loads(path.read_text()))
            side["ours"][student] = {test.grade_id: test.points for test in result.tests}
            side.setdefault("messages", {})[student] = {t.grade_id: t.message for t in result.tests}
    return sides


@pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=lambda a: a.name)
def test_every_test_cell_scores_as_under_nbgrader(graded, assignment):
    side = graded[assignment.name]
    for (student, _), kind in sorted(side["kinds"].items()):
        ours, theirs = side["ours"][student], side["scores"][student]
        differing = {grade_id: (ours.get(grade_id), theirs.get(grade_id))
                     for grade_id in ours.keys() | theirs.keys() if ours.get(grade_id) != theirs.get(grade_id)}
        assert not differing, (f"{student} ({kind}): (ours, nbgrader's) points differ: {differing}\n"
                               f"our messages: { {g: side['messages'][student][g][:300] for g in differing} }")


@pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=lambda a: a.name)
def test_the_class_is_what_it_claims(graded, assignment):
    """Honest: full marks; blank: nothing; a bug in F: test_F earns nothing (in both graders)."""
    side = graded[assignment.name]
    points = {c.grade_id: c.points for c in nbgrader_cells(read_notebook(assignment.source)) if c.kind == "test"}
    for (student, _), kind in side["kinds"].items():
        scores = side["ours"][student]
        if kind == "honest":
            assert scores == points, side["messages"][student]
        elif kind == "blank":
            assert not any(scores.values()), scores
        else:
            target = kind.split(":")[2]
            assert scores[f"test_{target}"] == 0, f"{kind} was not caught"
