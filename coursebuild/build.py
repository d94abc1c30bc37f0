"""The main job: build the whole course and say how it went.

1. regenerate every ``provided.py`` from the solutions;
2. execute every solution notebook end to end (MNIST when present, digits otherwise);
3. check that every test cell in it passed and the accuracy target was met;
4. regenerate the student release with nbgrader;
5. write executed HTML copies for self-study readers to ``build/html/``;
6. grade an example class (complete, half-done and blank submissions of every assignment)
   with the course's sandboxed grader, as an instructor would, and print its table;
7. print a summary table (assignment, tests passed, dataset, test accuracy, target, time).
"""

from __future__ import annotations

import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter
from traitlets.config import Config

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


MATHJAX_CONFIG = "TeX-AMS-MML_HTMLorMML-full,Safe"


def local_mathjax(html_dir: Path) -> str:
    """Copy MathJax 2.7 (from jupyter-server-mathjax) to ``html_dir/mathjax`` once and return
    the URL the pages load it from: nbconvert's default is a CDN, so offline every formula
    would show as raw ``$...$``. Relative, so the folder can be moved or served as it is."""
    import jupyter_server_mathjax

    target = html_dir / "mathjax"
    if not (target / "MathJax.js").exists():
        source = Path(jupyter_server_mathjax.__file__).parent / "static"
        shutil.copytree(source, target, dirs_exist_ok=True)
    return f"mathjax/MathJax.js?config={MATHJAX_CONFIG}"


def html_exporter(html_dir: Path) -> HTMLExporter:
    """nbconvert's HTML exporter with local MathJax, and stream outputs merged with their
    carriage returns applied, as Jupyter shows them: a progress bar is its last line, not one
    line per redraw."""
    config = Config({"CoalesceStreamsPreprocessor": {"enabled": True}})
    return HTMLExporter(config=config, mathjax_url=local_mathjax(html_dir))


# jupyter-server-mathjax ships only the STIX-Web fonts; MathJax's default TeX fonts would be
# missing, and every stretchy symbol (\underbrace, big sums) a "Math Processing Error".
MATHJAX_FONTS = ('<script type="text/x-mathjax-config">MathJax.Hub.Config({"HTML-CSS": '
                 '{availableFonts: [], webFont: "STIX-Web", imageFont: null}});</script>\n')


def export_html(notebook, html_dir: Path) -> str:
    """The executed notebook as a standalone HTML page that renders offline in ``html_dir``."""
    body, _ = html_exporter(html_dir).from_notebook_node(notebook)
    loader = '<script src="mathjax/MathJax.js'
    if loader not in body:
        raise RuntimeError("nbconvert's HTML template no longer loads MathJax as expected")
    return body.replace(loader, MATHJAX_FONTS + loader, 1)


def write_html(executed: ExecutedNotebook, html_dir: Path) -> Path:
    html_dir.mkdir(parents=True, exist_ok=True)
    body = export_html(executed.notebook, html_dir)
    target = html_dir / f"{executed.assignment.name}.html"
    target.write_text(body, encoding="utf-8")
    executed_dir = BUILD / "executed"
    executed_dir.mkdir(parents=True, exist_ok=True)
    nbformat.write(executed.notebook, executed_dir / executed.assignment.notebook)
    return target


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
    rows, failures = [], []
    for assignment in assignments:
        print(f"==> executing {assignment.source.relative_to(ROOT)}",
              flush=True)
        executed = execute_notebook(assignment)
        write_html(executed, BUILD / "html")
        row = summarize(executed)
        rows.append(row)
        failures += [f"{assignment.name}: test {t.grade_id} failed: {t.message.splitlines()[0] if t.message else ''}"
                     for t in executed.tests if not t.passed]
        failures += [f"{assignment.name}: {error}" for error in executed.cell_errors]
        print(f"    {row.tests} tests passed, test accuracy {row.accuracy} ({row.dataset}), "
              f"{row.seconds:.0f} s", flush=True)
    if release:
        print("==> regenerating the student release with nbgrader generate_assignment", flush=True)
        generate_release(assignments)
    print(f"==> executed notebooks as HTML: {BUILD / 'html'}")
    graded = grade_example_class(assignments) if release else True
    print()
    print(format_table(rows))
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    for failure in failures:
        print(f"FAILED {failure}")
    if not graded:
        print("FAILED grading the example class")
    return graded and all(row.ok for row in rows)
