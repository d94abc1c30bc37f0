"""The instructor's nbgrader workflow, end to end, with the real nbgrader command line.

In a temporary course folder (the course's nbgrader_config.py: source ``solutions/``,
release ``notebooks/``, its own gradebook):

1. ``nbgrader generate_assignment`` releases every existing assignment;
2. two students submit: "alice" an honest, complete submission (the release notebook with
   every solution and written-answer cell filled in from the instructor's source, nothing
   else touched: tests stay as released), "bob" the untouched release;
3. one ``nbgrader autograde`` run grades both students on every assignment (nbgrader
   restores the hidden tests from its gradebook and runs the notebooks in grading mode).

Then, read back from the gradebook: alice has full marks on every autograded cell and her
written answers wait for manual grading; bob has 0 everywhere and autograde did not crash;
alice's test cells wrote nothing to stderr (nbgrader would zero such a cell).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest

from autograder.notebook import nbgrader_cells, read_notebook
from coursebuild.course import ROOT, existing
from coursebuild.release import venv_env

pytestmark = pytest.mark.slow

ASSIGNMENTS = {a.name: a for a in existing()}
STUDENTS = ("alice", "bob")
by_name = pytest.mark.parametrize("name", list(ASSIGNMENTS))


def nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    env = venv_env()
    env.pop("NBGRADER_EXECUTION", None)
    return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                          capture_output=True, text=True, timeout=1800)


def honest_submission(released: Path, source: Path, target: Path) -> None:
    """The release notebook with its solution and answer cells filled from the source."""
    answers = {c.grade_id: c.source for c in nbgrader_cells(read_notebook(source))
               if c.kind in ("solution", "answer")}
    nb = nbformat.read(released, as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = answers[grade_id]
    nbformat.write(nb, target)


@pytest.fixture(scope="module")
def course(timed):
    with tempfile.TemporaryDirectory(prefix="bfs-course-") as scratch:
        yield autograde_a_class(Path(scratch), timed)


def autograde_a_class(root: Path, timed) -> dict:
    shutil.copy(ROOT / "nbgrader_config.py", root)
    for assignment in ASSIGNMENTS.values():
        shutil.copytree(assignment.source.parent, root / "solutions" / assignment.name,
                        ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))

    with timed("nbgrader generate_assignment (all assignments)"):
        released = nbgrader(root, "generate_assignment", "*", "--force")
    assert released.returncode == 0, released.stdout + released.stderr

    for name, assignment in ASSIGNMENTS.items():
        for student in STUDENTS:
            shutil.copytree(root / "notebooks" / name, root / "submitted" / student / name)
        for notebook in (root / "notebooks" / name).glob("*.ipynb"):
            honest_submission(notebook, assignment.source.parent / notebook.name,
                              root / "submitted" / "alice" / name / notebook.name)

    with timed(f"nbgrader autograde ({len(ASSIGNMENTS)} assignments x {len(STUDENTS)} students)"):
        graded = nbgrader(root, "autograde", "*")

    from nbgrader.api import Gradebook

    grades = {}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "backprop-from-scratch") as gradebook:
        for name in ASSIGNMENTS:
            for student in STUDENTS:
                try:
                    submission = gradebook.find_submission(name, student)
                except Exception:  # MissingEntry: autograde never recorded it
                    continue
                grades[name, student] = {
                    grade.name: dict(cell_type=grade.cell_type, auto=grade.auto_score,
                                     max=grade.max_score, manual=grade.needs_manual_grade)
                    for notebook in submission.notebooks for grade in notebook.grades}
    return dict(root=root, autograde=graded, grades=grades)


def graded_cells(name: str) -> dict[str, str]:
    """{grade_id: kind} of the source notebook's autograded tests and written answers."""
    return {c.grade_id: c.kind for c in nbgrader_cells(read_notebook(ASSIGNMENTS[name].source))
            if c.kind in ("test", "answer")}


def test_autograde_runs_through_every_submission(course):
    done = course["autograde"]
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for name, assignment in ASSIGNMENTS.items():
        for student in STUDENTS:
            graded = course["root"] / "autograded" / student / name / assignment.notebook
            assert graded.exists(), f"autograde wrote no {graded.relative_to(course['root'])}"
            assert (name, student) in course["grades"], f"no gradebook entry for {student}/{name}"


@by_name
def test_gradebook_holds_every_graded_cell(name, course):
    for student in STUDENTS:
        assert set(course["grades"][name, student]) == set(graded_cells(name))


@by_name
def test_honest_submission_gets_full_marks_on_every_autograded_cell(name, course):
    grades = course["grades"][name, "alice"]
    short = {gid: f"{g['auto']} of {g['max']}" for gid, g in grades.items()
             if g["cell_type"] == "code" and g["auto"] != g["max"]}
    assert not short, f"alice lost points on {name}: {short}"


@by_name
def test_honest_written_answers_wait_for_manual_grading(name, course):
    answers = [gid for gid, kind in graded_cells(name).items() if kind == "answer"]
    if not answers:
        pytest.skip(f"{name} has no written answers")
    grades = course["grades"][name, "alice"]
    waiting = [gid for gid in answers if grades[gid]["manual"] and grades[gid]["auto"] is None]
    assert waiting == answers


@by_name
def test_untouched_release_gets_zero(name, course):
    grades = course["grades"][name, "bob"]
    scored = {gid: g["auto"] for gid, g in grades.items() if g["auto"] != 0}
    assert not scored, f"bob's untouched {name} release earned points: {scored}"
    assert not any(g["manual"] for g in grades.values()), "blank answers need no manual grading"


@by_name
def test_correct_solution_writes_nothing_to_stderr_or_errors(name, course):
    graded = course["root"] / "autograded" / "alice" / name / ASSIGNMENTS[name].notebook
    problems = []
    for c, raw in zip(nbgrader_cells(read_notebook(graded)), nbformat.read(graded, as_version=4).cells):
        for output in raw.get("outputs", []):
            if output.output_type == "error":
                problems.append(f"cell {c.index + 1} ({c.grade_id or c.kind}): {output.ename}: {output.evalue}")
            elif output.output_type == "stream" and output.name == "stderr" and c.kind == "test":
                problems.append(f"{c.grade_id} wrote to stderr: {output.text.strip()[:300]}")
    assert not problems, "\n".join(problems)
