"""Students derive: the release asks for every result that its assignment grades.

Each assignment has a rules module, ``tests/release_rules/aNN_topic.py``, that names

- ``BACKWARD``: the graded functions whose job is a gradient (the derived results);
- ``LEAKS``: for each of them (and any other graded function whose answer line must stay
  unprinted), answer strings that must not appear in the release of that assignment;
- ``CHECKPOINTS``: the hand-worked checkpoints that prepare each of those functions.

These tests check, per assignment:

- no LEAKS string (compared with all whitespace removed) appears in any cell of the release
  notebook, in the Python files shipped in its release folder (``provided.py``), or in the
  source of the course modules the release imports (followed transitively; the hints module
  always, since its sentences reach every failure message);
- every LEAKS string appears in the instructor source, so the check is of real answer
  strings and could fail;
- written derivations (manually graded answer cells) carry a rubric for the instructor, and
  every assignment after 01 has at least two;
- every BACKWARD function has a checkpoint, graded, placed before it, worked by hand (its
  solution calls none of the notebook's graded functions);
- derivations, checkpoints and backward passes carry at least 60% of the points.

``pytest tests/test_derive_first.py -s`` prints the points table.
"""

from __future__ import annotations

import ast
import functools
import importlib
import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from autograder.notebook import graded_functions, nbgrader_cells, read_notebook
from coursebuild.course import ROOT, Assignment, existing

RULES_PACKAGE = "tests.release_rules"
COURSE_PACKAGES = ("coursekit", "autograder")
ALWAYS_SCANNED = ("autograder.hints",)
IDEAS_SHARE = 0.60
MIN_DERIVATIONS = 2           # from 02 on; 01 introduces the written answers
MIN_LEAKS_PER_BACKWARD = 3
RUBRIC = "**Rubric**"

ASSIGNMENTS = existing()
by_assignment = pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=lambda a: a.name)


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


@functools.cache
def rules(assignment: Assignment):
    try:
        return importlib.import_module(f"{RULES_PACKAGE}.a{assignment.name}")
    except ModuleNotFoundError as error:
        pytest.fail(f"{assignment.name} has no release rules: write tests/release_rules/"
                    f"a{assignment.name}.py ({error})")


@functools.cache
def source_cells(assignment: Assignment):
    return nbgrader_cells(read_notebook(assignment.source))


@functools.cache
def release_cells(assignment: Assignment):
    return nbgrader_cells(read_notebook(assignment.release))


# --- what the release shows -----------------------------------------------------------------

def _module_file(name: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return None
    path = Path(spec.origin).resolve()
    return path if ROOT in path.parents else None


def _imported_modules(source: str, package: str | None = None) -> set[str]:
    """Course modules a piece of code imports (``from pkg import sub`` counts ``pkg.sub``)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                if not package:
                    continue
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.split(".")[0] in COURSE_PACKAGES}


def scanned_modules(code: str) -> dict[str, Path]:
    """The course modules that ``code`` reaches through imports, followed transitively."""
    pending = _imported_modules(code) | set(ALWAYS_SCANNED)
    files: dict[str, Path] = {}
    while pending:
        name = pending.pop()
        if name in files:
            continue
        path = _module_file(name)
        if path is None:
            continue
        files[name] = path
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        pending |= _imported_modules(path.read_text(encoding="utf-8"), package) - set(files)
    return files


@dataclass(frozen=True)
class Haystack:
    where: str
    text: str


@functools.cache
def release_haystacks(assignment: Assignment) -> tuple[Haystack, ...]:
    cells = release_cells(assignment)
    stacks = [Haystack(f"release cell {c.index} ({c.cell_type}{', ' + c.grade_id if c.grade_id else ''})",
                       c.source) for c in cells]
    folder = assignment.release.parent
    stacks += [Haystack(str(p.relative_to(ROOT)), p.read_text(encoding="utf-8"))
               for p in sorted(folder.glob("*.py"))]
    code = "\n".join(c.source for c in cells if c.cell_type == "code")
    stacks += [Haystack(str(p.relative_to(ROOT)), p.read_text(encoding="utf-8"))
               for p in scanned_modules(code).values()]
    return tuple(stacks)


# --- points ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Points:
    derivations: float
    checkpoints: float
    backward: float
    other: float

    @property
    def total(self) -> float:
        return self.derivations + self.checkpoints + self.backward + self.other

    @property
    def ideas_share(self) -> float:
        return (self.derivations + self.checkpoints + self.backward) / self.total if self.total else 0.0


def points(assignment: Assignment) -> Points:
    backward_ids = {f"test_{name}" for name in rules(assignment).BACKWARD}
    tally = dict(derivations=0.0, checkpoints=0.0, backward=0.0, other=0.0)
    for cell in source_cells(assignment):
        if cell.kind == "answer":
            tally["derivations"] += cell.points
        elif cell.kind == "test" and (cell.grade_id or "").startswith("test_checkpoint_"):
            tally["checkpoints"] += cell.points
        elif cell.kind == "test" and cell.grade_id in backward_ids:
            tally["backward"] += cell.points
        elif cell.kind in ("test", "task"):
            tally["other"] += cell.points
    return Points(**tally)


def points_table() -> str:
    lines = [f"{'assignment':<20} {'derivations':>11} {'checkpoints':>11} {'backward':>8} "
             f"{'other':>6} {'total':>6} {'ideas':>6}"]
    for assignment in ASSIGNMENTS:
        p = points(assignment)
        lines.append(f"{assignment.name:<20} {p.derivations:>11g} {p.checkpoints:>11g} {p.backward:>8g} "
                     f"{p.other:>6g} {p.total:>6g} {p.ideas_share:>6.0%}")
    return "\n".join(lines)


# --- the tests ------------------------------------------------------------------------------

@by_assignment
def test_release_prints_no_result_it_grades(assignment):
    leaks = []
    for function, strings in rules(assignment).LEAKS.items():
        for string in strings:
            needle = _squeeze(string)
            leaks += [f"{function}: {string!r} in {stack.where}"
                      for stack in release_haystacks(assignment) if needle in _squeeze(stack.text)]
    assert not leaks, "the release prints results that this assignment grades:\n" + "\n".join(leaks)


@by_assignment
def test_leak_strings_are_the_model_answers_own(assignment):
    source = _squeeze("\n".join(c.source for c in source_cells(assignment)))
    missing = [f"{function}: {string!r}" for function, strings in rules(assignment).LEAKS.items()
               for string in strings if _squeeze(string) not in source]
    assert not missing, ("these answer strings are not in the instructor source, so checking the "
                         "release for them proves nothing:\n" + "\n".join(missing))


@by_assignment
def test_every_backward_has_answer_strings_to_guard(assignment):
    graded = set(graded_functions(read_notebook(assignment.source)))
    module = rules(assignment)
    unknown = sorted((set(module.BACKWARD) | set(module.LEAKS) | set(module.CHECKPOINTS)) - graded)
    assert not unknown, f"the rules name functions that {assignment.name} does not grade: {unknown}"
    thin = {f: len(module.LEAKS.get(f, ())) for f in module.BACKWARD
            if len(module.LEAKS.get(f, ())) < MIN_LEAKS_PER_BACKWARD}
    assert not thin, f"each graded backward needs >= {MIN_LEAKS_PER_BACKWARD} answer strings: {thin}"


@by_assignment
def test_written_derivations_have_rubrics(assignment):
    answers = [c for c in source_cells(assignment) if c.kind == "answer"]
    needed = MIN_DERIVATIONS if not assignment.name.startswith("01") else 1
    assert len(answers) >= needed, f"{assignment.name} has {len(answers)} written derivations, needs {needed}"
    without = [c.grade_id for c in answers if RUBRIC not in c.source]
    assert not without, f"written answers without a {RUBRIC} for the instructor: {without}"
    released = {c.grade_id: c.source for c in release_cells(assignment) if c.kind == "answer"}
    shown = [gid for gid, text in released.items() if RUBRIC in text]
    assert not shown, f"the release shows the model answer and rubric of {shown}"


def _solution_cell_index(assignment: Assignment, function: str) -> int | None:
    for cell in source_cells(assignment):
        if cell.kind == "solution" and re.search(rf"^def {re.escape(function)}\(", cell.source, re.M):
            return cell.index
    return None


def _calls(source: str, function: str) -> set[str]:
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and node.name == function:
            return {n.func.id for n in ast.walk(node) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    return set()


@by_assignment
def test_checkpoints_come_first_and_are_worked_by_hand(assignment):
    module = rules(assignment)
    graded = set(graded_functions(read_notebook(assignment.source)))
    tests = {c.grade_id for c in source_cells(assignment) if c.kind == "test"}
    checkpoints = {name for names in module.CHECKPOINTS.values() for name in names}
    assert checkpoints, f"{assignment.name} has no checkpoint"
    problems = [f"{f} has no checkpoint" for f in module.BACKWARD if not module.CHECKPOINTS.get(f)]
    for function, names in module.CHECKPOINTS.items():
        for name in names:
            if not name.startswith("checkpoint_") or name not in graded or f"test_{name}" not in tests:
                problems.append(f"{name}: a checkpoint is a graded function checkpoint_* with a test cell")
                continue
            if _solution_cell_index(assignment, name) > _solution_cell_index(assignment, function):
                problems.append(f"{name} comes after {function}, which it should prepare")
            cell = next(c for c in source_cells(assignment) if c.index == _solution_cell_index(assignment, name))
            if called := _calls(cell.source, name) & graded:
                problems.append(f"{name} calls {sorted(called)}: a checkpoint is worked by hand")
    assert not problems, "\n".join(problems)


@by_assignment
def test_points_follow_the_ideas(assignment):
    p = points(assignment)
    assert p.ideas_share >= IDEAS_SHARE, (
        f"{assignment.name}: derivations, checkpoints and backward passes carry {p.ideas_share:.0%} "
        f"of {p.total:g} points, at least {IDEAS_SHARE:.0%} needed\n{points_table()}")


def test_print_points_table():
    """Not an assertion of its own: the table that the closing notes and reviews read."""
    table = points_table()
    print("\n" + table)
    assert table.count("\n") == len(ASSIGNMENTS)


def test_scanner_follows_the_imports_a_release_makes():
    files = scanned_modules("from autograder import checks as ck\nfrom coursekit.backprop_graph import draw_mlp_graph\n")
    names = set(files)
    assert {"autograder.checks", "autograder.hints", "autograder.gradcheck",
            "coursekit.backprop_graph"} <= names, names
    assert all(path.is_file() for path in files.values())
    assert "numpy" not in names
