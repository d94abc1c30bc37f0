"""``python -m autograder export --canvas COURSE_CSV``: the Canvas export from the command line
(the gradebook and roster of ``tests/test_lms.py``; the files read back as Canvas's format)."""

from __future__ import annotations

import csv
import subprocess
import sys

from autograder import lms
from coursebuild.course import ROOT
from tests.test_lms import gradebook  # noqa: F401  (the fixture)


def export(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", "export", *arguments], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_export_writes_the_canvas_and_long_files_with_the_late_rule(gradebook, tmp_path):  # noqa: F811
    url, roster = gradebook
    out = tmp_path / "exports"
    done = export("--canvas", str(roster), "--gradebook", url, "--out", str(out), "--late", "10%/day,max=50%,grace=15",
                  "--missing", "zero", "--assignment", "02_single_layer", "--assignment", "03_multilayer")
    assert done.returncode == 0, done.stderr
    assert "late rule: 10% of the maximum per started day" in done.stdout
    assert "zed" in done.stdout                                     # not on the roster: said so
    book = lms.read_canvas_csv(out / "canvas_import.csv")
    rows = {row["SIS Login ID"]: row for row in book.students}
    assert rows["ben"]["02_single_layer (1234)"] == "3.8"            # 6 - 20% of 11
    assert rows["emmy"]["03_multilayer"] == "0"                      # --missing zero
    with (out / "grades_long.csv").open(newline="", encoding="utf-8") as handle:
        long = list(csv.DictReader(handle))
    assert {r["student"] for r in long} == {"ada", "ben", "cy", "emmy", "zed"}


def test_export_with_one_assignment_and_no_rule_by_default(gradebook, tmp_path):  # noqa: F811
    url, roster = gradebook
    done = export("--canvas", str(roster), "--gradebook", url, "--out", str(tmp_path / "o"),
                  "--assignment", "03_multilayer")
    assert done.returncode == 0, done.stderr
    assert "no late penalty" in done.stdout
    book = lms.read_canvas_csv(tmp_path / "o" / "canvas_import.csv")
    assert book.assignment_columns() == ["03_multilayer"]
    assert {r["SIS Login ID"]: r["03_multilayer"] for r in book.students}["emmy"] == ""   # blank by default


def test_export_refuses_bad_input_by_name(gradebook, tmp_path):  # noqa: F811
    url, roster = gradebook
    bad_rule = export("--canvas", str(roster), "--gradebook", url, "--out", str(tmp_path / "x"), "--late", "10 points")
    assert bad_rule.returncode == 2 and "expected 'none' or 'P%/day'" in bad_rule.stderr
    no_db = export("--canvas", str(roster), "--course", str(tmp_path / "no-course"))
    assert no_db.returncode == 2 and "no gradebook at" in no_db.stderr
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("name,score\n", encoding="utf-8")
    not_canvas = export("--canvas", str(wrong), "--gradebook", url, "--out", str(tmp_path / "x"))
    assert not_canvas.returncode == 2 and "not a Canvas gradebook CSV" in not_canvas.stderr
