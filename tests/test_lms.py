"""The Canvas export: a real nbgrader gradebook in, a CSV that reads back as Canvas's format out."""

from __future__ import annotations

import csv
import datetime as dt
import os
import sys
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from autograder import lms

DUE = dt.datetime(2026, 11, 20, 23, 59)
ROSTER = (
    "\ufeffStudent,ID,SIS User ID,SIS Login ID,Section,02_single_layer (1234),Quiz 1 (99)\n"
    "    Points Possible,,,,,11.00,5.00\n"
    '"Lovelace, Ada",101,S-1,ada,Sec A,,4\n'
    '"Babbage, Ben",102,S-2,ben,Sec A,3,5\n'
    '"=HYPERLINK(""http://x"";""cy"")",103,S-3,cy,Sec B,,\n'
    '"Noether, Emmy",104,S-4,emmy,Sec B,,\n'
    '"Student, Test",105,,test,Sec A,,\n'
)


@pytest.fixture()
def gradebook(tmp_path, monkeypatch):
    """02 (code 8 + written 3 points) and 03 (code 5), due DUE; ada on time, ben 1.5 days late,
    cy 10 minutes late, emmy submitted nothing for 03, zed is not on the Canvas roster."""
    # nbgrader stamps a new gradebook with the `alembic` command, found on PATH
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with Gradebook(url) as gb:
        for name, cells in (("02_single_layer", (("test_a", 8, "code"), ("derive_b", 3, "markdown"))),
                            ("03_multilayer", (("test_c", 5, "code"),))):
            gb.add_assignment(name, duedate=DUE)
            gb.add_notebook("nb", name)
            for cell, points, kind in cells:
                gb.add_grade_cell(cell, "nb", name, max_score=points, cell_type=kind)
                gb.add_solution_cell(cell, "nb", name)
        for student in ("ada", "ben", "cy", "emmy", "zed"):
            gb.add_student(student)
        submissions = {("ada", "02_single_layer"): (DUE - dt.timedelta(hours=2), 8, 3),
                       ("ben", "02_single_layer"): (DUE + dt.timedelta(hours=36), 6, None),
                       ("cy", "02_single_layer"): (DUE + dt.timedelta(minutes=10), 2, 1),
                       ("emmy", "02_single_layer"): (DUE, 8, 2),
                       ("zed", "02_single_layer"): (DUE, 1, 0),
                       ("ada", "03_multilayer"): (DUE, 5, None)}
        for (student, name), (stamp, code, written) in submissions.items():
            gb.add_submission(name, student, timestamp=stamp)
            for grade in gb.find_submission(name, student).notebooks[0].grades:
                # as autograde and formgrader leave them: a score given clears the flag
                if grade.cell_type == "code":
                    grade.auto_score = code
                else:
                    grade.manual_score = written
                grade.needs_manual_grade = grade.auto_score is None and grade.manual_score is None
            gb.db.commit()
    roster = tmp_path / "canvas_export.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    return url, roster


def _read(path):
    book = lms.read_canvas_csv(path)
    return book, {row["SIS Login ID"]: row for row in book.students}


def test_canvas_file_round_trips_with_scores_in_the_existing_columns(gradebook, tmp_path):
    url, roster = gradebook
    summary = lms.export_canvas(roster, url, tmp_path / "out")
    book, rows = _read(summary.canvas_csv)
    assert book.columns == [*lms.IDENTITY_COLUMNS, "02_single_layer (1234)", "03_multilayer"]
    assert book.points_possible["02_single_layer (1234)"] == "11"
    assert book.points_possible["03_multilayer"] == "5"
    assert rows["ada"]["02_single_layer (1234)"] == "11" and rows["ada"]["03_multilayer"] == "5"
    assert rows["ben"]["02_single_layer (1234)"] == "6"      # no late rule by default
    assert rows["emmy"]["02_single_layer (1234)"] == "10"
    assert rows["emmy"]["03_multilayer"] == ""                 # missing: blank keeps Canvas's grade
    assert set(rows) == {"ada", "ben", "cy", "emmy"}           # Canvas's test student is dropped
    assert summary.unmatched == ["zed"]
    assert summary.pending_manual == 1                         # ben's written answer is ungraded
    with summary.canvas_csv.open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    assert header[:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


def test_late_rule_is_applied_and_shown_per_submission(gradebook, tmp_path):
    url, roster = gradebook
    policy = lms.LatePolicy.parse("10%/day,max=50%,grace=15")
    summary = lms.export_canvas(roster, url, tmp_path / "out", policy=policy, missing="zero")
    _, rows = _read(summary.canvas_csv)
    # ben: 36 h late = 2 started days = 20% of 11 points = 2.2 off 6
    assert rows["ben"]["02_single_layer (1234)"] == "3.8"
    assert rows["cy"]["02_single_layer (1234)"] == "3"        # 10 minutes: inside the grace
    assert rows["emmy"]["03_multilayer"] == "0"                # missing counts as zero when asked
    with summary.long_csv.open(newline="", encoding="utf-8") as handle:
        long = {(r["student"], r["assignment"]): r for r in csv.DictReader(handle)}
    ben = long[("ben", "02_single_layer")]
    assert (ben["days_late"], ben["penalty"], ben["final"], ben["score"]) == ("2", "2.2", "3.8", "6")
    assert ben["submitted_at"] == "2026-11-22T11:59:00Z" and ben["due"] == "2026-11-20T23:59:00Z"
    assert long[("emmy", "03_multilayer")]["status"] == "missing"
    assert long[("zed", "02_single_layer")]["canvas_id"] == ""  # unmatched, still reported
    assert summary.late == 1 and "10% of the maximum per started day" in summary.policy


def test_penalty_never_takes_more_than_the_score_or_the_cap():
    policy = lms.LatePolicy.parse("30%/day,max=50%")
    assert policy.penalty(10 * lms.SECONDS_PER_DAY, max_score=10, score=9) == 5.0
    assert policy.penalty(10 * lms.SECONDS_PER_DAY, max_score=10, score=2) == 2.0
    assert lms.LatePolicy.parse("none").penalty(10 * lms.SECONDS_PER_DAY, 10, 9) == 0.0


def test_cells_a_spreadsheet_would_evaluate_are_neutralised(gradebook, tmp_path):
    url, roster = gradebook
    summary = lms.export_canvas(roster, url, tmp_path / "out")
    text = summary.canvas_csv.read_text(encoding="utf-8")
    _, rows = _read(summary.canvas_csv)
    assert rows["cy"]["Student"].startswith("'=HYPERLINK")
    assert "\n=" not in text and ",=" not in text and '"=' not in text
    assert lms.spreadsheet_safe("-1+2") == "'-1+2" and lms.spreadsheet_safe(-1.5) == -1.5


@pytest.mark.parametrize("rule, message", [
    ("10 points", "expected 'none' or 'P%/day'"),
    ("10%/day,cap=3", "cannot read 'cap=3'"),
    ("10%/day,max=150%", "max above 100%"),
])
def test_bad_late_rules_are_refused_by_name(rule, message):
    with pytest.raises(lms.ExportError, match=message):
        lms.LatePolicy.parse(rule)


def test_bad_inputs_name_the_problem(gradebook, tmp_path):
    url, roster = gradebook
    wrong = tmp_path / "not_canvas.csv"
    wrong.write_text("name,score\nada,3\n", encoding="utf-8")
    with pytest.raises(lms.ExportError, match="not a Canvas gradebook CSV: no column Student, ID"):
        lms.read_canvas_csv(wrong)
    with pytest.raises(lms.ExportError, match="no gradebook at"):
        lms.export_canvas(roster, f"sqlite:///{tmp_path / 'none.db'}", tmp_path / "out")
    with pytest.raises(lms.ExportError, match="no assignment 09_missing"):
        lms.export_canvas(roster, url, tmp_path / "out", assignments=["09_missing"])
