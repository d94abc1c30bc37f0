"""The main job: build the whole course and say how it went.

1. regenerate every ``provided.py`` from the solutions;
2. execute every solution notebook end to end (MNIST when present, digits otherwise);
3. check that every test cell in it passed and the accuracy target was met;
4. regenerate the student release with nbgrader;
5. build the self-study book from the executed notebooks (``build/book/``, see book.py);
6. grade an example class (complete, half-done and blank submissions of every assignment)
   with the course's sandboxed grader, as an instructor would, and print its table;
7. print a summary table (assignment, tests passed, dataset, test accuracy, target, time).
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

from .book import BookError, build_book, save_executed
from .course import BUILD, ROOT, Assignment, existing
from .examples import write_example_class
from .execute import ExecutedNotebook, execute_notebook
from .provided import write_provided
from .release import generate_release


@dataclass
class Row:
    assignment: str
    tests: str
    dataset: str
    accuracy: str
    target: str
    seconds: float
    ok: bool


def book_step(executed: dict) -> bool:
    """Build the self-study book (build/book/) from the notebooks just executed
    ({assignment: executed notebook})."""
    print("==> building the self-study book with Sphinx (myst-nb)", flush=True)
    try:
        book = build_book(executed)
    except BookError as error:
        print(f"FAILED building the book: {error}")
        return False
    print(f"==> the book: {book.index} ({len(book.chapters)} chapters, {book.megabytes():.1f} MB, "
          f"{book.seconds:.0f} s)")
    return True


def summarize(executed: ExecutedNotebook) -> Row:
    assignment: Assignment = executed.assignment
    accuracy = executed.results.get("test_accuracy")
    dataset = str(executed.results.get("dataset", "-"))
    target = assignment.target_accuracy
    all_passed = executed.tests_passed == len(executed.tests) and not executed.cell_errors
    meets_target = target is None or (accuracy is not None and dataset == "MNIST" and accuracy >= target)
    return Row(
        assignment=assignment.name,
        tests=f"{executed.tests_passed}/{len(executed.tests)}",
        dataset=dataset,
        accuracy=f"{accuracy:.2%}" if accuracy is not None else "-",
        target=f">= {target:.1%}" if target is not None else "-",
        seconds=executed.seconds,
        ok=all_passed and meets_target,
    )


def format_table(rows: list[Row]) -> str:
    header = ("assignment", "tests passed", "dataset", "test accuracy", "target", "time", "status")
    lines = [(r.assignment, r.tests, r.dataset, r.accuracy, r.target, f"{r.seconds:.0f} s",
              "ok" if r.ok else "FAILED") for r in rows]
    widths = [max(len(str(row[i])) for row in [header, *lines]) for i in range(len(header))]
    def fmt(row):
        return " | ".join(str(cell).ljust(width) for cell, width in zip(row, widths))
    return "\n".join([fmt(header), "-+-".join("-" * w for w in widths), *map(fmt, lines)])


def grade_example_class(assignments: tuple[Assignment, ...]) -> bool:
    """Grade ``build/example_class`` with the course's grader (``grade_class``, what
    ``python -m autograder grade`` runs) and print its table."""
    from autograder.cli import progress_bar
    from autograder.config import GraderConfig
    from autograder.grader.batch import grade_class
    from autograder.grader.errors import GradingError
    from autograder.grader.reports import summary_table

    target = BUILD / "example_class"
    submitted = write_example_class(assignments, target)
    config = GraderConfig(course=str(ROOT), out=str(target / "graded"), no_gradebook=True)
    print(f"==> grading the example class: {submitted.relative_to(ROOT)} -> "
          f"{Path(config.out).relative_to(ROOT)}", flush=True)
    try:
        outcome = grade_class(config, [str(submitted)], progress=progress_bar)
    except GradingError as error:
        print(f"error: {error}", file=sys.stderr)
        return False
    print(summary_table(outcome.results))
    print(f"\ngrades: {outcome.csv}")
    return True


def build(assignments: tuple[Assignment, ...] | None = None, *, release: bool = True) -> bool:
    """Run the main job; returns True when every notebook passed and met its target."""
    assignments = assignments or existing()
    started = time.perf_counter()
    write_provided(assignments)
    rows, failures, executed_notebooks = [], [], {}
    for assignment in assignments:
        print(f"==> executing {assignment.source.relative_to(ROOT)}",
              flush=True)
        executed = execute_notebook(assignment)
        save_executed(assignment, executed.notebook)
        executed_notebooks[assignment] = executed.notebook
        row = summarize(executed)
        rows.append(row)
        failures += [f"{assignment.name}: test {t.grade_id} failed: {t.message.splitlines()[0] if t.message else ''}"
                     for t in executed.tests if not t.passed]
        failures += [f"{assignment.name}: {error}" for error in executed.cell_errors]
        print(f"    {row.tests} tests passed, test accuracy {row.accuracy} ({row.dataset}), "
              f"{row.seconds:.0f} s", flush=True)
    book_ok = book_step(executed_notebooks)
    if release:
        print("==> regenerating the student release with nbgrader generate_assignment", flush=True)
        generate_release(assignments)
    graded = grade_example_class(assignments) if release else True
    print()
    print(format_table(rows))
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    for failure in failures:
        print(f"FAILED {failure}")
    if not graded:
        print("FAILED grading the example class")
    return graded and book_ok and all(row.ok for row in rows)
