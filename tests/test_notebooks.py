"""The committed notebooks: readable, clean, normalized, in sync with their release, and
written by the rules for test cells in CONTRIBUTING.md that can be checked without running
them. Also the unit tests of autograder.notebook, which reads them, and of autograder.names."""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import json
from pathlib import Path

import nbformat
import pytest

from autograder.cells import RELEASE_FORBIDDEN, Kind, classify, new_cell, split_hidden_tests
from autograder.names import defined_functions, free_names
from autograder.notebook import MalformedNotebook, graded_functions, nbgrader_cells, read_notebook, test_cells
from coursebuild.course import RELEASE, ROOT, SOLUTIONS, existing
from coursebuild.provided import check_provided
from coursebuild.release import normalized_text
from coursebuild.sync import release_problems

ASSIGNMENTS = existing()
NOTEBOOK_FILES = sorted(p for folder in (SOLUTIONS, RELEASE) for p in folder.glob("*/*.ipynb"))


def ids(path: Path) -> str:
    return str(path.relative_to(ROOT))


@functools.cache
def source_notebook(name: str):
    return read_notebook(next(a for a in ASSIGNMENTS if a.name == name).source)


@functools.cache
def release_notebook(name: str):
    return read_notebook(next(a for a in ASSIGNMENTS if a.name == name).release)


def by_name(test):
    return pytest.mark.parametrize("name", [a.name for a in ASSIGNMENTS])(test)


# --- static analysis helpers ----------------------------------------------------------

def trailing_expression(source: str) -> str | None:
    """The cell's last statement if it is a bare expression whose value IPython would show
    (and nbgrader would read as partial credit); None when it shows nothing: a print, a call
    to a function the cell defines without returning a value, or to an autograder helper
    declared to return None (``ck.check_close``, ``ck.fail``)."""
    tree = ast.parse(source)
    if not tree.body or not isinstance(tree.body[-1], ast.Expr):
        return None
    value = tree.body[-1].value
    if isinstance(value, ast.Call):
        func = value.func
        if isinstance(func, ast.Name) and (func.id == "print" or func.id in returns_nothing(tree)):
            return None
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            module = autograder_modules(tree).get(func.value.id)
            helper = getattr(importlib.import_module(module), func.attr, None) if module else None
            if callable(helper) and inspect.signature(helper).return_annotation in (None, "None"):
                return None
    return ast.get_source_segment(source, value)


def returns_nothing(tree: ast.Module) -> set[str]:
    """Top-level functions of the cell that always return None (no `return value`, no yield)."""
    names = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            inner = [n for n in ast.walk(node) if n is not node]
            nested = {id(m) for f in inner if isinstance(f, (ast.FunctionDef, ast.Lambda))
                      for m in ast.walk(f)}
            own = [n for n in inner if id(n) not in nested]
            if not any(isinstance(n, (ast.Yield, ast.YieldFrom)) or
                       (isinstance(n, ast.Return) and n.value is not None) for n in own):
                names.add(node.name)
    return names


def autograder_modules(tree: ast.Module) -> dict[str, str]:
    """{alias: module} for the cell's imports of autograder modules (``from autograder import
    checks as ck`` gives ``{"ck": "autograder.checks"}``)."""
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "autograder" and not node.level:
            for alias in node.names:
                found[alias.asname or alias.name] = f"autograder.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("autograder.") and alias.asname:
                    found[alias.asname] = alias.name
    return found


def magic_lines(source: str) -> list[str]:
    return [line for line in source.splitlines() if line.lstrip().startswith(("%", "!"))]


# --- autograder.notebook: reading and listing roles --------------------------------------

def write(path: Path, content) -> Path:
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def minimal_notebook(cells=None) -> dict:
    nb = nbformat.v4.new_notebook(cells=cells or [nbformat.v4.new_code_cell("x = 1")])
    return json.loads(nbformat.writes(nb))


@pytest.mark.parametrize("content, message", [
    (None, "sub.ipynb: cannot be read (No such file or directory)"),
    ("", "sub.ipynb: the file is empty"),
    ("{not json", "sub.ipynb: not valid JSON"),
    ("\udcff", "sub.ipynb: not valid JSON"),
    ([1, 2], "sub.ipynb: not a notebook (no list of cells)"),
    ({"metadata": {}}, "sub.ipynb: not a notebook (no list of cells)"),
    ({**minimal_notebook(), "nbformat": 3}, "sub.ipynb: nbformat 3 is not supported"),
    ({"cells": [{"cell_type": "code"}], "nbformat": 4, "nbformat_minor": 5, "metadata": {}},
     "sub.ipynb: not a valid nbformat-4 notebook"),
    ("folder", "sub.ipynb: not a file"),
], ids=["missing", "empty", "invalid JSON", "not UTF-8", "JSON list", "no cells", "nbformat 3",
        "invalid structure", "a folder"])
def test_read_notebook_refuses_what_is_not_a_notebook(tmp_path, content, message):
    path = tmp_path / "sub.ipynb"
    if content == "folder":
        path.mkdir()
    elif content == "\udcff":
        path.write_bytes(b"\xff\xfe\x00garbage")
    elif content is not None:
        write(path, content)
    with pytest.raises(MalformedNotebook) as caught:
        read_notebook(path)
    assert str(caught.value).startswith(message)


def test_read_notebook_reads_a_valid_notebook_and_joins_sources(tmp_path):
    raw = minimal_notebook()
    raw["cells"][0]["source"] = ["x = 1\n", "y = 2"]
    nb = read_notebook(write(tmp_path / "ok.ipynb", raw))
    assert nb.cells[0].source == "x = 1\ny = 2"


CLASSIFIED = [
    new_cell(Kind.READONLY, "import numpy as np", "setup"),
    new_cell(Kind.SOLUTION, "def f(x):\n    return x\n\ndef g():\n    pass", "f"),
    new_cell(Kind.TEST, "f(1)", "test_f", 2),
    new_cell(Kind.ANSWER, "answer", "why", 3),
    new_cell(Kind.TASK, "do it", "task1", 1),
    new_cell(Kind.PLAIN, "def helper():\n    pass"),
    new_cell(Kind.PLAIN, "text", cell_type="markdown"),
]


def test_cells_are_listed_with_their_roles():
    nb = nbformat.v4.new_notebook(cells=CLASSIFIED)
    assert [classify(c) for c in nb.cells] == ["readonly", "solution", "test", "answer", "task", "plain", "plain"]
    found = nbgrader_cells(nb)
    assert [(c.index, c.kind, c.grade_id, c.points) for c in found] == [
        (0, "readonly", "setup", 0.0), (1, "solution", "f", 0.0), (2, "test", "test_f", 2.0),
        (3, "answer", "why", 3.0), (4, "task", "task1", 1.0), (5, "plain", None, 0.0),
        (6, "plain", None, 0.0)]
    assert [c.grade_id for c in test_cells(nb)] == ["test_f"]
    # graded functions: top-level defs of solution cells only (not helpers elsewhere)
    assert graded_functions(nb) == ["f", "g"]


def test_defined_functions_ignores_nested_and_unparsable_code():
    assert defined_functions("def a():\n    def inner():\n        pass\nclass C:\n    def m(self):\n        pass") == ["a"]
    assert defined_functions("def broken(:") == []


# --- the static checks themselves must be able to fail ----------------------------------

def test_free_names_finds_what_a_cell_does_not_import():
    source = ("import numpy as np\nfrom autograder import checks as ck\n"
              "def ref(z):\n    return torch.tensor(z) + np.sum(z)\n"
              "for rng in ck.trials(2):\n    x = rng.normal(size=3)\n"
              "ck.check_close(sigmoid(x), [v for v in x], name='sigmoid')\n"
              "try:\n    pass\nexcept ValueError as e:\n    print(e)")
    assert free_names(source) == {"torch", "sigmoid"}


CK = "from autograder import checks as ck\n"


@pytest.mark.parametrize("source, expected", [
    (CK + "ck.check_close(1, 1, name='f')", None),
    (CK + "ck.fail('no')", None),
    ("import autograder.checks as ck\nck.check_scalar(1, 1, name='f')", None),
    ("from autograder import distcheck as dc\ndc.check_normal(W, 1.0, name='f')", None),
    ("print('done')", None),
    ("x = 1", None),
    ("for i in range(2):\n    i", None),
    ("score", "score"),
    ("0.5", "0.5"),
    (CK + "ck.call(f, 1)", "ck.call(f, 1)"),                 # returns the function's value
    (CK + "ck.as_array(x, 'f')", "ck.as_array(x, 'f')"),
    ("from autograder import distcheck as dc\ndc.check_weights(W, (2, 3), name='f')",
     "dc.check_weights(W, (2, 3), name='f')"),              # returns W
    ("ck.check_close(1, 1, name='f')", "ck.check_close(1, 1, name='f')"),  # ck not imported here
    ("f(1)", "f(1)"),
    ("_hidden_tests()", "_hidden_tests()"),                  # defined elsewhere: unknown
    ("def _hidden():\n    for x in y:\n        ck.fail(x)\n    return\n_hidden()", None),
    ("def _h():\n    def inner():\n        return 1\n    inner()\n_h()", None),
    ("def _h():\n    return 0.5\n_h()", "_h()"),
    ("def _h():\n    yield 1\n_h()", "_h()"),
])
def test_trailing_expression_detection(source, expected):
    assert trailing_expression(source) == expected


def test_magic_lines_detection():
    assert magic_lines("%timeit f()\nx = 1\n  !ls") == ["%timeit f()", "  !ls"]
    assert magic_lines("x = 5 % 2\ny = x != 1") == []


# --- every committed notebook: readable, clean, normalized ------------------------------

@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=ids)
def test_committed_notebook_is_clean(path):
    raw = json.loads(path.read_text(encoding="utf-8"))
    dirty = [index + 1 for index, c in enumerate(raw["cells"])
             if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count") is not None)]
    assert not dirty, f"{ids(path)}: cells {dirty} have outputs or execution counts; clear them"


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=ids)
def test_committed_notebook_is_normalized(path):
    read_notebook(path)  # a readable, valid nbformat-4 notebook
    text = path.read_text(encoding="utf-8")
    fix = ("run `python -m coursebuild release`" if path.is_relative_to(RELEASE)
           else "write it with `tools/nbtext.py to-ipynb`")
    assert text == normalized_text(nbformat.reads(text, as_version=4)), f"{ids(path)} is not normalized: {fix}"


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=ids)
def test_code_cells_are_plain_python_without_magics(path):
    for c in nbgrader_cells(read_notebook(path)):
        if c.cell_type != "code":
            continue
        assert not magic_lines(c.source), f"{ids(path)} cell {c.index + 1}: IPython magic or shell escape"
        try:
            ast.parse(c.source)
        except SyntaxError as error:
            pytest.fail(f"{ids(path)} cell {c.index + 1} is not plain Python: {error}")


# --- the release is what nbgrader makes from the solutions ------------------------------

def test_provided_files_are_in_sync():
    assert check_provided(ASSIGNMENTS) == []


@pytest.mark.slow
def test_release_is_in_sync_with_solutions():
    """Runs nbgrader's generate_assignment into a temporary folder and compares bytes."""
    assert release_problems(ASSIGNMENTS) == []


@by_name
def test_release_has_no_solutions_or_hidden_tests(name):
    folder = RELEASE / name
    for path in [*folder.glob("*.ipynb"), *folder.glob("*.py")]:
        text = path.read_text(encoding="utf-8")
        leaked = [marker for marker in RELEASE_FORBIDDEN if marker in text]
        assert not leaked, f"{ids(path)} contains {leaked}"
    for c in nbgrader_cells(release_notebook(name)):
        if c.kind is Kind.SOLUTION:
            assert "raise NotImplementedError" in c.source, f"{name}: solution cell {c.grade_id} is not a stub"
        if c.kind is Kind.ANSWER:
            assert "YOUR ANSWER HERE" in c.source, f"{name}: answer cell {c.grade_id} is not blank"


@by_name
def test_release_keeps_every_signature_and_docstring(name):
    """Signatures and docstrings sit outside the solution markers, so students see them."""
    source = {c.grade_id: c.source for c in nbgrader_cells(source_notebook(name)) if c.kind is Kind.SOLUTION}
    for c in nbgrader_cells(release_notebook(name)):
        if c.kind is not Kind.SOLUTION:
            continue
        assert defined_functions(c.source) == defined_functions(source[c.grade_id]), (
            f"{name}: the release of {c.grade_id} lost a function signature")
        for node in ast.parse(c.source).body:
            if isinstance(node, ast.FunctionDef):
                assert ast.get_docstring(node), f"{name}: {node.name} has no docstring in the release"


# --- the rules for test cells (CONTRIBUTING.md) ---------------------------------------

@by_name
def test_every_graded_function_has_its_test_cell(name):
    nb = source_notebook(name)
    graded = graded_functions(nb)
    assert graded, f"{name} has no graded functions"
    tests = {c.grade_id: c for c in test_cells(nb)}
    missing = [f for f in graded if f"test_{f}" not in tests]
    assert not missing, f"{name}: no test cell for {missing}"
    for function in graded:
        cell_ = tests[f"test_{function}"]
        assert cell_.points > 0, f"{name}: test_{function} is worth no points"
        assert function in free_names(cell_.source), f"{name}: test_{function} never calls {function}"


@by_name
def test_test_cells_have_a_visible_and_a_hidden_part(name):
    for c in test_cells(source_notebook(name)):
        visible, hidden = split_hidden_tests(c.source)
        assert visible != c.source, f"{name}: {c.grade_id} has no hidden tests"
        assert hidden is not None, f"{name}: {c.grade_id} does not close its hidden tests"
        assert "ck." in visible, f"{name}: {c.grade_id} has no visible check before its hidden tests"


MAX_TEST_CELL_LINES = 80  # a harness belongs in an autograder module; a cell holds its cases


@by_name
def test_test_cells_are_short_enough_to_read(name):
    long = {c.grade_id: c.source.count("\n") + 1 for c in test_cells(source_notebook(name))
            if c.source.count("\n") + 1 > MAX_TEST_CELL_LINES}
    assert not long, (f"{name}: test cells over {MAX_TEST_CELL_LINES} lines (move the harness into an "
                      f"autograder module): {long}")


@by_name
def test_test_cells_import_what_they_use(name):
    """Self-contained: only this notebook's graded functions may come from outside the cell;
    checked for the source and for the release (the visible part alone must run)."""
    for nb, label in ((source_notebook(name), "solutions"), (release_notebook(name), "notebooks")):
        graded = set(graded_functions(nb))
        for c in test_cells(nb):
            outside = free_names(c.source) - graded
            assert not outside, (f"{label}/{name} {c.grade_id} uses {sorted(outside)} without importing "
                                 "or defining them in the cell")


@by_name
def test_test_cells_do_not_end_with_a_bare_expression(name):
    """In the source and in the release (whose cells end where the hidden tests began)."""
    for nb, label in ((source_notebook(name), "solutions"), (release_notebook(name), "notebooks")):
        for c in test_cells(nb):
            last = trailing_expression(c.source)
            assert last is None, (f"{label}/{name} {c.grade_id} ends with `{last}`: nbgrader would read "
                                  "its value as partial credit (assign it: `_ = ...`)")


@by_name
def test_test_cells_fail_through_checks_not_bare_asserts(name):
    for c in test_cells(source_notebook(name)):
        tree = ast.parse(c.source)
        asserts = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Assert)]
        assert not asserts, f"{name} {c.grade_id}: bare assert on line(s) {asserts}; use ck.check_* or ck.fail"
        calls = {ast.unparse(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
        untaught = sorted(call for call in calls if call.startswith("np.testing."))
        assert not untaught, f"{name} {c.grade_id} fails through {untaught}; use ck.check_close"


@by_name
def test_grade_ids_are_unique(name):
    ids_ = [c.grade_id for c in nbgrader_cells(source_notebook(name)) if c.grade_id]
    assert len(ids_) == len(set(ids_)), f"{name}: duplicate grade ids"
