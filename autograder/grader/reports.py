"""What grading leaves behind, per submission and for the class.

Layout under the output folder:
    <assignment>/<student>/<notebook>.result.json   the full result (also the resume record)
    <assignment>/<student>/results.json             Gradescope's format, all notebooks together
    <assignment>/<student>/feedback.html            for the student: each test's outcome and
                                                    message, never a test's source
    grades.csv                                      one row per student, assignment and notebook
"""

from __future__ import annotations

import csv
import html
import json
from pathlib import Path

from ..lms import spreadsheet_safe
from .safety import printable
from .submission import Submission, SubmissionResult, write_json


class OutputFolder:
    """The output folder as a recorder for ``grade_class``: every result as it arrives, the
    CSV at the end. It is also the resume record (``is_current``)."""

    def __init__(self, out: Path):
        self.out = out
        self.csv: Path | None = None

    def is_current(self, submission: Submission) -> bool:
        """Graded already, with the same inputs and settings."""
        stored = load_result(self.out, submission.assignment, submission.student, submission.notebook)
        return stored is not None and stored.key == submission.key

    def record(self, result: SubmissionResult, submission: Submission) -> None:
        write_submission_reports(self.out, result)

    def finish(self) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        self.csv = write_csv(self.out)


def result_path(out: Path, result: SubmissionResult) -> Path:
    return out / result.assignment / result.student / f"{result.notebook}.result.json"


def load_result(out: Path, assignment: str, student: str, notebook: str) -> SubmissionResult | None:
    path = out / assignment / student / f"{notebook}.result.json"
    try:
        return SubmissionResult.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError, KeyError):
        return None


def all_results(out: Path) -> list[SubmissionResult]:
    results = []
    for path in sorted(out.glob("*/*/*.result.json")):
        try:
            results.append(SubmissionResult.from_json(json.loads(path.read_text(encoding="utf-8"))))
        except (ValueError, TypeError, KeyError):
            continue
    return results


def write_submission_reports(out: Path, result: SubmissionResult) -> None:
    """Store ``result`` and rewrite the student's results.json and feedback.html."""
    write_json(result_path(out, result), result.to_json())
    folder = out / result.assignment / result.student
    siblings = all_results_in(folder)
    write_json(folder / "results.json", gradescope_json(siblings))
    (folder / "feedback.html").write_text(feedback_html(siblings), encoding="utf-8")


def all_results_in(folder: Path) -> list[SubmissionResult]:
    return [SubmissionResult.from_json(json.loads(p.read_text(encoding="utf-8")))
            for p in sorted(folder.glob("*.result.json"))]


def gradescope_json(results: list[SubmissionResult]) -> dict:
    """Gradescope's results.json: a score, and one entry per test (and per written answer)."""
    tests = []
    for result in results:
        for test in result.tests:
            tests.append({
                "name": f"{result.notebook}: {test.grade_id}",
                "score": test.points, "max_score": test.max_points,
                "status": "passed" if test.passed else "failed",
                "output": test.message, "visibility": "visible",
            })
        for answer in result.manual:
            tests.append({"name": f"{result.notebook}: {answer['grade_id']} (graded by hand)",
                          "score": 0.0, "max_score": answer["max_points"], "status": "pending",
                          "output": "This written answer is graded by your instructor.",
                          "visibility": "visible"})
    output = "\n".join(f"{r.notebook}: {r.reason}" for r in results if r.reason)
    notes = [f"{r.notebook}: {note}" for r in results for note in r.notes]
    return {
        "score": sum(r.score for r in results),
        "execution_time": round(sum(r.seconds for r in results), 2),
        "output": "\n".join(filter(None, [output, *notes])),
        "tests": tests,
        "extra_data": {"status": [r.status for r in results], "isolation": [r.isolation for r in results]},
    }


def feedback_html(results: list[SubmissionResult]) -> str:
    """A self-contained page for the student. Only outcomes and messages, never test source."""
    if not results:
        return ""
    first = results[0]
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Feedback: "
             f"{_e(first.assignment)} ({_e(first.student)})</title><style>{_STYLE}</style></head><body>",
             f"<h1>{_e(first.assignment)}</h1><p class='who'>{_e(first.student)}</p>"]
    for result in results:
        parts.append(f"<h2>{_e(result.notebook)}.ipynb: {_points(result.score)} / "
                     f"{_points(result.max_score)} points</h2>")
        if result.reason:
            parts.append(f"<p class='problem'>{_e(result.reason)}</p>")
        parts.append("<table><tr><th>test</th><th>points</th><th>result</th></tr>")
        for test in result.tests:
            status = "passed" if test.passed else "failed"
            message = f"<pre>{_e(test.message)}</pre>" if test.message else ""
            parts.append(f"<tr class='{status}'><td>{_e(test.grade_id)}</td><td>{_points(test.points)} / "
                         f"{_points(test.max_points)}</td><td>{status}{message}</td></tr>")
        for answer in result.manual:
            parts.append(f"<tr class='pending'><td>{_e(answer['grade_id'])}</td><td>? / "
                         f"{_points(answer['max_points'])}</td><td>written answer: graded by your "
                         "instructor</td></tr>")
        parts.append("</table>")
        if result.notes:
            parts.append("<h3>Notes</h3><ul>" + "".join(f"<li>{_e(n)}</li>" for n in result.notes) + "</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)


CSV_FIELDS = ["student", "assignment", "notebook", "score", "max_score", "tests_passed",
              "tests_total", "manual_points_pending", "status", "reason", "isolation", "seconds"]


def write_csv(out: Path) -> Path:
    path = out / "grades.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_FIELDS)
        writer.writeheader()
        for r in sorted(all_results(out), key=lambda r: (r.assignment, r.student, r.notebook)):
            writer.writerow({key: spreadsheet_safe(value) for key, value in {
                "student": r.student, "assignment": r.assignment, "notebook": r.notebook,
                "score": _points(r.score), "max_score": _points(r.max_score),
                "tests_passed": sum(t.passed for t in r.tests), "tests_total": len(r.tests),
                "manual_points_pending": _points(sum(a["max_points"] for a in r.manual)),
                "status": r.status, "reason": r.reason, "isolation": r.isolation,
                "seconds": f"{r.seconds:.2f}",
            }.items()})
    return path


def summary_table(results: list[SubmissionResult]) -> str:
    rows = [("student", "assignment", "score", "tests", "status")]
    for r in sorted(results, key=lambda r: (r.assignment, r.student, r.notebook)):
        why = r.reason or (f"{len(r.notes)} note(s)" if r.notes else "")
        rows.append((printable(r.student), r.assignment if r.notebook == r.assignment else f"{r.assignment}/{r.notebook}",
                     f"{_points(r.score)}/{_points(r.max_score)}",
                     f"{sum(t.passed for t in r.tests)}/{len(r.tests)}",
                     r.status + (f": {why}" if why else "")))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = []
    for k, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + printable(row[4][:90]))
        if k == 0:
            lines.append("-" * (sum(widths) + 8 + 30))
    return "\n".join(lines)


def _points(value: float) -> str:
    return f"{value:g}"


def _e(text) -> str:
    return html.escape(str(text))


_STYLE = """
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%;margin:1rem 0}td,th{border:1px solid #ddd;padding:.4rem;
vertical-align:top;text-align:left}tr.passed td:nth-child(3){color:#176b2c}tr.failed td:nth-child(3)
{color:#a4161a}tr.pending td:nth-child(3){color:#555}pre{white-space:pre-wrap;margin:.3rem 0 0;
font-size:.85rem;background:#f6f6f6;padding:.4rem}.problem{color:#a4161a}.who{color:#555}
"""
