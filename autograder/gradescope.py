"""Grade inside Gradescope: the autograder bundle, and what runs in Gradescope's container.

    python -m autograder gradescope 02_single_layer -o autograder.zip

Gradescope unpacks the zip into ``/autograder/source``, runs ``setup.sh`` once to build the
image, and for every submission copies the student's files to ``/autograder/submission``, runs
``/autograder/run_autograder`` and reads ``/autograder/results/results.json``. The bundle:

    setup.sh            Python 3.11 venv in /autograder/venv, the pinned requirements.txt
    run_autograder      python -m autograder.gradescope run, from the bundle's folder (root:
                        $AUTOGRADER_ROOT or /autograder)
    gradescope.json     the assignment, its notebooks, visibility and grader settings
    requirements.txt    the course's pins (what CI tests), without the editable install
    autograder/ coursekit/            the course's packages (imported from here)
    course/             nbgrader_config.py, solutions/<assignment>/ (the instructor source:
                        solutions and hidden tests) and notebooks/<assignment>/ (the release)

The student's code runs in our sandbox, which mounts only the system, the Python installation
(``/autograder/venv``) and the two package folders, read-only: ``/autograder/source/course`` (and
the submission folder, and the results) do not exist inside it. That holds only with strong
isolation, so the bundle refuses to grade where namespaces are unavailable
(``require_isolation``) unless it was built with ``allow_weak``; a weak sandbox could read the
solutions.

results.json (Gradescope's autograder specification; ``validate_results`` checks it):
- one entry per test cell, with its points: ``score``, ``max_score``, ``status`` ("passed" only
  with full points), ``name``, ``output`` (the test's message, Markdown, ``output_format: "md"``),
  ``visibility``. Our cells run their visible and hidden checks as one unit with one score and
  one message, so a cell's entry shows the hidden checks' outcome: cells without hidden checks
  are ``visible``, cells with hidden checks get ``hidden_visibility`` (default
  ``after_published``), so students learn nothing of the hidden tests before grades are
  published. For each of those cells a visible entry without points says so (the student runs
  the visible checks in the notebook itself and sees their outcome there).
- each written answer: an entry without a score (nothing graded yet, so not a 0), its points in
  the name and in ``extra_data``; the top-level ``score`` counts the autograded points only.
  Grade written answers in Gradescope's own manual questions (or formgrader) and set the
  autograder's points to the autograded total.
- top level: ``score``, ``execution_time``, ``output`` (Markdown summary), ``output_format``,
  ``visibility``, ``stdout_visibility`` ("hidden": the grader's log is for the instructor),
  ``extra_data``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
import zipfile
from pathlib import Path

from .grader.course import CONFIG_FILE, Course, course_folders
from .grader.errors import GradingError

VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
STATUSES = ("passed", "failed")
OUTPUT_FORMATS = ("text", "html", "simple_format", "md", "ansi")
PACKAGES = ("autograder", "coursekit", "coursebuild")   # coursebuild: the manifest says which functions are derived
DEFAULT_ROOT = "/autograder"
SETTINGS_FILE = "gradescope.json"
REPO = Path(__file__).resolve().parents[1]


class BundleError(ValueError):
    """The bundle cannot be built; the message says why."""


# ============================================================================ the bundle

SETUP_SH = r"""#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder's image.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
if ! command -v python3.11 >/dev/null 2>&1; then
  apt-get update
  apt-get install -y --no-install-recommends software-properties-common
  add-apt-repository -y ppa:deadsnakes/ppa || true
  apt-get update
  apt-get install -y --no-install-recommends python3.11 python3.11-venv python3.11-dev
fi
python3.11 -m venv /autograder/venv
/autograder/venv/bin/python -m pip install --upgrade pip
/autograder/venv/bin/python -m pip install -r requirements.txt
/autograder/venv/bin/python -c "import numpy, torch, nbformat, autograder.grader.batch, coursekit"
"""

RUN_AUTOGRADER = r"""#!/usr/bin/env bash
# Gradescope runs this for every submission. AUTOGRADER_ROOT (default /autograder) lets it run
# against a simulated tree; BFS_GRADESCOPE_PYTHON chooses the interpreter (default: setup.sh's).
# The packages are imported from the bundle: its folder is the working directory (and so the
# first entry of sys.path of the grader and of its worker processes).
ROOT="${AUTOGRADER_ROOT:-/autograder}"
PYTHON="${BFS_GRADESCOPE_PYTHON:-$ROOT/venv/bin/python}"
cd "$ROOT/source"
exec "$PYTHON" -m autograder.gradescope run --root "$ROOT"
"""


def build_bundle(course_dir: str | Path, assignment: str, output: str | Path, *,
                 hidden_visibility: str = "after_published", allow_weak: bool = False,
                 settings: dict | None = None) -> Path:
    """Write the autograder zip for ``assignment`` of the course at ``course_dir``.
    ``settings``: GraderConfig fields for the grading (time limits, memory)."""
    if hidden_visibility not in VISIBILITIES:
        raise BundleError(f"hidden visibility {hidden_visibility!r}: one of {', '.join(VISIBILITIES)}")
    try:
        course = Course.at(course_dir)
    except GradingError as error:
        raise BundleError(str(error)) from None
    if assignment not in course.assignments():
        raise BundleError(f"no assignment {assignment!r} in {course.source_dir} "
                          f"(it has {', '.join(course.assignments()) or 'none'})")
    folders = course_folders(course.root)
    output = Path(output).resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    config = {"assignment": assignment, "notebooks": course.notebooks(assignment),
              "hidden_visibility": hidden_visibility, "require_isolation": not allow_weak,
              "grader": dict(settings or {})}
    temporary = output.with_suffix(".tmp")
    with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as bundle:
        _add_text(bundle, "setup.sh", SETUP_SH, executable=True)
        _add_text(bundle, "run_autograder", RUN_AUTOGRADER, executable=True)
        _add_text(bundle, SETTINGS_FILE, json.dumps(config, indent=2) + "\n")
        _add_text(bundle, "requirements.txt", _requirements())
        for package in PACKAGES:
            _add_tree(bundle, REPO / package, package)
        config_file = course.root / CONFIG_FILE
        _add_text(bundle, f"course/{CONFIG_FILE}", config_file.read_text() if config_file.is_file()
                  else (REPO / CONFIG_FILE).read_text())
        _add_tree(bundle, course.source_dir / assignment, f"course/{folders['source_directory']}/{assignment}")
        release = course.release_dir / assignment
        if release.is_dir() and release != course.source_dir / assignment:
            _add_tree(bundle, release, f"course/{folders['release_directory']}/{assignment}")
    temporary.replace(output)
    return output


def _requirements() -> str:
    lines = [line for line in (REPO / "requirements.txt").read_text().splitlines()
             if line.strip() and line.strip() != "-e ."]
    return "\n".join(lines) + "\n"


def _add_text(bundle: zipfile.ZipFile, name: str, text: str, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
    info.external_attr = (0o100755 if executable else 0o100644) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    bundle.writestr(info, text)


def _add_tree(bundle: zipfile.ZipFile, folder: Path, prefix: str) -> None:
    for path in sorted(folder.rglob("*")):
        parts = path.relative_to(folder).parts
        if path.is_file() and not any(p in ("__pycache__", ".ipynb_checkpoints") for p in parts):
            info = zipfile.ZipInfo(f"{prefix}/{'/'.join(parts)}", date_time=(2026, 1, 1, 0, 0, 0))
            info.external_attr = 0o100644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            bundle.writestr(info, path.read_bytes())


# ============================================================================ in the container

def run(root: str | Path) -> dict:
    """Grade ``<root>/submission`` and write ``<root>/results/results.json``; returns it."""
    root = Path(root)
    started = time.monotonic()
    results_path = root / "results" / "results.json"
    results_path.parent.mkdir(parents=True, exist_ok=True)
    settings = json.loads((root / "source" / SETTINGS_FILE).read_text())
    try:
        results = _grade(root, settings)
    except Exception as error:  # whatever happens, Gradescope gets a results.json that says it
        results = problem_results(f"The autograder could not grade this submission: "
                                  f"{type(error).__name__}: {error}")
    results["execution_time"] = round(time.monotonic() - started, 2)
    try:
        validate_results(results)
    except ValueError as error:  # a bug of ours: say so in the instructor's log, still write it
        print(f"results.json does not follow Gradescope's specification: {error}", file=sys.stderr)
    temporary = results_path.with_suffix(".tmp")
    temporary.write_text(json.dumps(results, indent=2), encoding="utf-8")
    temporary.replace(results_path)
    return results


def _grade(root: Path, settings: dict) -> dict:
    from .config import GraderConfig
    from .grader.batch import grade_class

    assignment = settings["assignment"]
    notebooks = settings["notebooks"]
    found = sorted(p for p in (root / "submission").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    chosen, problems = _choose(found, notebooks)
    if not chosen:
        return problem_results(problems[0])
    work = root / "work"
    shutil.rmtree(work, ignore_errors=True)
    submitted = work / "submitted" / "student" / assignment
    submitted.mkdir(parents=True)
    for notebook, path in chosen.items():
        shutil.copyfile(path, submitted / f"{notebook}.ipynb")
    config = GraderConfig(course=str(root / "source" / "course"), assignment=assignment,
                          out=str(work / "graded"), workers=1, no_gradebook=True, force=True, quiet=True,
                          require_isolation=bool(settings.get("require_isolation", True)),
                          **settings.get("grader", {}))
    log_lines: list[str] = []
    try:
        outcome = grade_class(config, [str(work / "submitted")], log=log_lines.append)
    except GradingError as error:
        print("\n".join(log_lines), file=sys.stderr)
        return problem_results(f"The autograder refused to grade here: {error}. Your instructor has been told.")
    print("\n".join(log_lines), file=sys.stderr)
    course = Course.at(config.course)
    hidden = {nb: cells_with_hidden_tests(course.source(assignment, nb)) for nb in notebooks}
    results = results_json(outcome.results, hidden, settings.get("hidden_visibility", "after_published"))
    if problems:
        results["output"] = "\n\n".join([*problems, results["output"]])
    return results


def _choose(found: list[Path], notebooks: list[str]) -> tuple[dict[str, Path], list[str]]:
    """{notebook id: uploaded file}: by name; a single upload of a one-notebook assignment
    whatever its name."""
    wanted = ", ".join(f"`{nb}.ipynb`" for nb in notebooks)
    if not found:
        return {}, [f"No notebook was found in your submission: upload {wanted}."]
    by_name = {p.stem: p for p in found}
    chosen = {nb: by_name[nb] for nb in notebooks if nb in by_name}
    notes = []
    if not chosen and len(found) == 1 and len(notebooks) == 1:
        chosen = {notebooks[0]: found[0]}
        notes.append(f"Your notebook `{found[0].name}` was graded as {wanted}.")
    if not chosen:
        return {}, [f"None of the uploaded notebooks ({', '.join(p.name for p in found)}) is {wanted}."]
    return chosen, notes


def cells_with_hidden_tests(source_notebook: Path) -> set[str]:
    """The grade ids of the test cells of a source notebook that have hidden checks."""
    from .cells import Kind, split_hidden_tests
    from .notebook import nbgrader_cells, read_notebook

    return {c.grade_id for c in nbgrader_cells(read_notebook(source_notebook))
            if c.kind is Kind.TEST and split_hidden_tests(c.source)[1] is not None}


def markdown_block(text: str) -> str:
    """``text`` verbatim in Markdown: a fenced block longer than any run of backticks in it."""
    run, best = 0, 0
    for char in text:
        run = run + 1 if char == "`" else 0
        best = max(best, run)
    fence = "`" * max(3, best + 1)
    return f"{fence}\n{text}\n{fence}"


def results_json(results, hidden_cells: dict[str, set[str]], hidden_visibility: str = "after_published") -> dict:
    """Gradescope's results.json for one submission's results (see the module docstring)."""
    tests = []
    for result in results:
        hidden = hidden_cells.get(result.notebook, set())
        for test in result.tests:
            is_hidden = test.grade_id in hidden
            status = "passed" if test.passed else "failed"
            body = "Passed." if test.passed else markdown_block(test.message or "Failed.")
            tests.append({"name": f"{result.notebook}: {test.grade_id}", "score": test.points,
                          "max_score": test.max_points, "status": status, "output": body,
                          "output_format": "md",
                          "visibility": hidden_visibility if is_hidden else "visible"})
            if is_hidden and hidden_visibility != "visible":
                tests.append({"name": f"{result.notebook}: {test.grade_id} (hidden checks)",
                              "output": f"This test cell also runs hidden checks; its score and message are "
                                        f"shown {_when(hidden_visibility)}. Its visible checks are the ones "
                                        "in your notebook: run the cell there to see them.",
                              "output_format": "md", "visibility": "visible"})
        for answer in result.manual:
            tests.append({"name": f"{result.notebook}: {answer['grade_id']} (written answer, "
                                  f"{answer['max_points']:g} points, graded by hand)",
                          "output": "Pending: your instructor grades this written answer.",
                          "output_format": "md", "visibility": "visible",
                          "extra_data": {"pending": True, "max_points": answer["max_points"]}})
    autograded = sum(r.score for r in results)
    possible = sum(r.max_score for r in results)
    pending = sum(a["max_points"] for r in results for a in r.manual)
    lines = [f"**Autograded: {autograded:g} / {possible:g} points.**"]
    if pending:
        lines.append(f"Written answers worth {pending:g} points are graded by hand and are not counted yet.")
    for r in results:
        if r.reason:
            lines.append(f"{r.notebook}: could not be graded: {markdown_block(r.reason)}")
        lines += [f"- {r.notebook}: {note}" for note in r.notes]
    return {"score": autograded, "output": "\n\n".join(lines), "output_format": "md",
            "test_output_format": "md", "visibility": "visible", "stdout_visibility": "hidden",
            "extra_data": {"status": [r.status for r in results], "isolation": [r.isolation for r in results],
                           "pending_manual_points": pending},
            "tests": tests}


def _when(visibility: str) -> str:
    return {"hidden": "to your instructor only", "after_due_date": "after the due date",
            "after_published": "once grades are published"}[visibility]


def problem_results(message: str) -> dict:
    """results.json for a submission that could not be graded at all: 0 points, the reason."""
    return {"score": 0.0, "output": message, "output_format": "md", "visibility": "visible",
            "stdout_visibility": "hidden", "tests": []}


# ============================================================================ the specification

TOP_FIELDS = {"score": (int, float), "execution_time": (int, float), "output": str, "output_format": str,
              "test_output_format": str, "test_name_format": str, "visibility": str,
              "stdout_visibility": str, "extra_data": dict, "tests": list, "leaderboard": list}
TEST_FIELDS = {"score": (int, float), "max_score": (int, float), "status": str, "name": str,
               "name_format": str, "number": str, "output": str, "output_format": str, "tags": list,
               "visibility": str, "extra_data": dict}


def validate_results(data: dict) -> None:
    """Raise ``ValueError`` naming the first field of ``data`` that Gradescope's autograder
    specification does not allow (unknown field, wrong type, value outside its set)."""
    def check(obj: dict, fields: dict, where: str) -> None:
        if not isinstance(obj, dict):
            raise ValueError(f"{where}: not an object")
        for key, value in obj.items():
            if key not in fields:
                raise ValueError(f"{where}.{key}: not a field of Gradescope's results.json")
            kinds = fields[key]
            if isinstance(value, bool) or not isinstance(value, kinds):
                raise ValueError(f"{where}.{key}: {type(value).__name__} where the specification wants "
                                 f"{getattr(kinds, '__name__', 'a number')}")
        for key in ("visibility", "stdout_visibility"):
            if key in obj and obj[key] not in VISIBILITIES:
                raise ValueError(f"{where}.{key}: {obj[key]!r} is not one of {VISIBILITIES}")
        for key in ("output_format", "test_output_format", "test_name_format", "name_format"):
            if key in obj and obj[key] not in OUTPUT_FORMATS:
                raise ValueError(f"{where}.{key}: {obj[key]!r} is not one of {OUTPUT_FORMATS}")
        if "status" in obj and obj["status"] not in STATUSES:
            raise ValueError(f"{where}.status: {obj['status']!r} is not one of {STATUSES}")
        for key in ("score", "max_score", "execution_time"):
            if key in obj and not obj[key] >= 0:
                raise ValueError(f"{where}.{key}: {obj[key]!r} is negative or not a number")

    check(data, TOP_FIELDS, "results")
    tests = data.get("tests", [])
    if "score" not in data and any("score" not in t for t in tests):
        raise ValueError("results: no top-level score, so every test needs one")
    for k, test in enumerate(tests):
        check(test, TEST_FIELDS, f"results.tests[{k}]")
        if "score" in test and "max_score" in test and test["score"] > test["max_score"] + 1e-9:
            raise ValueError(f"results.tests[{k}]: score above max_score")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.gradescope")
    sub = parser.add_subparsers(dest="command", required=True)
    runner = sub.add_parser("run", help="grade the submission in a Gradescope container")
    runner.add_argument("--root", default=os.environ.get("AUTOGRADER_ROOT", DEFAULT_ROOT))
    args = parser.parse_args(argv)
    results = run(args.root)
    print(f"score {results['score']:g}; results in {Path(args.root) / 'results' / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
