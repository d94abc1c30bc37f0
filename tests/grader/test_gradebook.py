"""The grader feeds nbgrader's gradebook, so formgrader, export and feedback keep working."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from nbgrader.api import Gradebook
from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory

from autograder.cells import HIDDEN_BEGIN, Kind, grade_id_of
from autograder.grader.course import course_folders
from autograder.notebook import nbgrader_cells, read_notebook

REPO = Path(__file__).resolve().parents[2]
ASSIGNMENT, NOTEBOOK = "01_derivatives", "derivatives"
ENV = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}


def run(*command, cwd):
    done = subprocess.run([sys.executable, "-m", *command], cwd=cwd, env=ENV, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    return done


def honest_submission(source, release):
    """The release with every answer cell filled in from the instructor's solution."""
    answers = {c.grade_id: c.source for c in nbgrader_cells(source) if c.kind in (Kind.SOLUTION, Kind.ANSWER)}
    for cell in release.cells:
        grade_id = grade_id_of(cell)
        if grade_id in answers:
            cell.source = answers[grade_id]
    return release


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    import nbformat

    root = tmp_path_factory.mktemp("course")
    shutil.copy(REPO / "nbgrader_config.py", root)
    folders = course_folders(root)
    source_dir, release_dir = root / folders["source_directory"], root / folders["release_directory"]
    shutil.copytree(REPO / folders["source_directory"] / ASSIGNMENT, source_dir / ASSIGNMENT)
    run("nbgrader", "generate_assignment", ASSIGNMENT, "--force", cwd=root)
    source = read_notebook(source_dir / ASSIGNMENT / f"{NOTEBOOK}.ipynb")
    release_path = release_dir / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    for student, notebook in (("alice", honest_submission(source, read_notebook(release_path))),
                              ("bob", read_notebook(release_path))):
        target = root / folders["submitted_directory"] / student / ASSIGNMENT
        target.mkdir(parents=True)
        nbformat.write(notebook, target / f"{NOTEBOOK}.ipynb")
        (target / "timestamp.txt").write_text("2026-11-20 10:00:00.000000 UTC")
    run("autograder", "grade", "--course", str(root), "--workers", "2", "--quiet", cwd=root)
    return root


def grades(root, student):
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        submission = gb.find_submission_notebook(NOTEBOOK, ASSIGNMENT, student)
        return {g.name: (g.auto_score, g.max_score, g.needs_manual_grade, g.cell_type) for g in submission.grades}


def test_scores_reach_the_gradebook(course):
    alice, bob = grades(course, "alice"), grades(course, "bob")
    tests = {name: g for name, g in alice.items() if g[3] == "code"}
    answers = {name: g for name, g in alice.items() if g[3] == "markdown"}
    assert tests and answers, "the assignment should have test cells and written answers"
    assert all(auto == top for auto, top, *_ in tests.values()), alice
    assert all(needs and auto is None for auto, _, needs, _ in answers.values()), \
        "written answers await the instructor"
    assert all(bob[name][0] == 0 for name in tests), bob
    assert all(bob[name][0] == 0 for name in answers), "an untouched answer is 'no response': 0"


def test_formgrader_sees_the_submissions(course):
    folders = course_folders(course)
    coursedir = CourseDirectory(root=str(course), source_directory=folders["source_directory"],
                                release_directory=folders["release_directory"])
    api = NbGraderAPI(coursedir=coursedir)
    submissions = {s["student"]: s for s in api.get_submissions(ASSIGNMENT)}
    assert submissions["alice"]["autograded"] and submissions["alice"]["needs_manual_grade"]
    assert submissions["alice"]["score"] > submissions["bob"]["score"] == 0
    notebook = course / "autograded" / "alice" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    assert notebook.exists()


def test_autograded_notebooks_carry_outcomes_but_no_hidden_tests(course):
    text = (course / "autograded" / "bob" / ASSIGNMENT / f"{NOTEBOOK}.ipynb").read_text()
    assert HIDDEN_BEGIN not in text
    assert "TestFailed" in text and "not implemented yet" in text


def test_nbgrader_export_and_feedback_work(course):
    run("nbgrader", "export", cwd=course)
    exported = (course / "grades.csv").read_text()
    assert "alice" in exported and "bob" in exported
    run("nbgrader", "generate_feedback", ASSIGNMENT, "--force", cwd=course)
    html = (course / "feedback" / "bob" / ASSIGNMENT / f"{NOTEBOOK}.html").read_text()
    assert HIDDEN_BEGIN not in html and "not implemented yet" in html


def test_our_reports_exist(course):
    out = course / "graded"
    assert (out / "grades.csv").exists()
    for student in ("alice", "bob"):
        assert (out / ASSIGNMENT / student / "results.json").exists()
        feedback = (out / ASSIGNMENT / student / "feedback.html").read_text()
        assert HIDDEN_BEGIN not in feedback and "test_" in feedback
