"""The self-study book (coursebuild/book.py): what a chapter keeps and hides, and the built
site: every chapter there, solutions folded, nothing loaded from outside, and no hidden test
or nbgrader marker anywhere in it.

The unit tests use small notebooks made here; the site tests use the book built once per
session from the executed solution notebooks (the ``book`` fixture in conftest.py, which
reuses the notebooks tests/test_course.py executes).
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import nbformat
import pytest

from autograder.notebook import nbgrader_cells
from coursebuild.book import (ALL_MARKERS, NBGRADER_MARKERS, SHOW_ANSWER, SHOW_SOLUTION, BookError,
                              chapter_links, chapter_notebook, find_leaks, hidden_only_lines)
from coursebuild.course import Assignment, existing

ASSIGNMENT = Assignment("02_single_layer", "single_layer.ipynb", "Softmax regression")
BEGIN_SOLUTION, END_SOLUTION = NBGRADER_MARKERS["solution"]
BEGIN_HIDDEN, END_HIDDEN = NBGRADER_MARKERS["hidden_tests"]

SOLUTION = f'''def double(x):
    """Twice x. x: (N, D) -> (N, D)."""
    {BEGIN_SOLUTION}
    return 2 * x
    {END_SOLUTION}'''
TEST = f'''from autograder import checks as ck
ck.check_close(double(1.0), 2.0, name="double")
{BEGIN_HIDDEN}
for secret_case in range(3):
    ck.check_close(double(secret_case), 2 * secret_case, name="double", output="hidden case")
{END_HIDDEN}'''
ANSWER = "**Model answer.** $\\frac{d}{dx} 2x = 2$.\n\n**Rubric** full credit for 2."


def nbgrader(cell, **meta):
    base = {"grade": False, "solution": False, "locked": False, "schema_version": 3}
    cell.metadata["nbgrader"] = {**base, **meta}
    return cell


def small_notebook():
    """A solution notebook with one cell of every kind the course uses, as executed."""
    progress = nbformat.v4.new_code_cell("for batch in ProgressBar(batches): ...")
    progress.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)
                        for text in ("\rtrain [###---] 1/2", "\rtrain [######] 2/2 loss=0.31\n")]
    return nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# 02 · Doubling\n\nNext: [03](../03_multilayer/multilayer.ipynb)."),
        nbgrader(nbformat.v4.new_code_cell("import numpy as np"), locked=True, grade_id="setup"),
        nbgrader(nbformat.v4.new_code_cell(SOLUTION), solution=True, grade_id="double"),
        nbgrader(nbformat.v4.new_code_cell(TEST), grade=True, grade_id="test_double", points=2),
        nbgrader(nbformat.v4.new_markdown_cell(ANSWER), grade=True, solution=True,
                 grade_id="derive_double", points=1),
        progress,
    ])


def chapter_text(chapter) -> str:
    return nbformat.writes(chapter)


# --- a chapter, cell by cell --------------------------------------------------------------

def test_a_graded_function_shows_its_signature_and_folds_its_solution():
    cells = chapter_notebook(small_notebook(), ASSIGNMENT).cells
    exercise, solution = [c for c in cells if "def double" in c.source]
    assert "return 2 * x" not in exercise.source
    assert '"""Twice x. x: (N, D) -> (N, D)."""' in exercise.source
    assert "...  # your code, in notebooks/02_single_layer/single_layer.ipynb" in exercise.source
    assert "hide-input" not in exercise.metadata.get("tags", [])
    assert "return 2 * x" in solution.source
    assert solution.metadata["tags"] == ["hide-input"]
    assert solution.metadata["mystnb"]["code_prompt_show"] == f"{SHOW_SOLUTION}: double"


def test_a_test_cell_shows_only_its_visible_part():
    cells = chapter_notebook(small_notebook(), ASSIGNMENT).cells
    tests = [c for c in cells if "ck.check_close" in c.source]
    assert [c.source for c in tests] == ['from autograder import checks as ck\n'
                                         'ck.check_close(double(1.0), 2.0, name="double")']
    assert "secret_case" not in chapter_text(chapter_notebook(small_notebook(), ASSIGNMENT))


def test_a_written_derivation_folds_its_model_answer():
    cells = chapter_notebook(small_notebook(), ASSIGNMENT).cells
    [answer] = [c for c in cells if "Model answer" in c.source]
    assert answer.cell_type == "markdown"
    assert f'<p class="collapsed admonition-title">{SHOW_ANSWER}</p>' in answer.source
    assert answer.source.index("<summary>") < answer.source.index("Model answer") < answer.source.index("</details>")
    assert answer.source.index("*Your turn* (1 point, graded by hand)") < answer.source.index("Model answer")


def test_a_task_stays_visible_without_its_mark_scheme():
    begin, end = NBGRADER_MARKERS["mark_scheme"]
    notebook = small_notebook()
    notebook.cells.append(nbgrader(nbformat.v4.new_markdown_cell(
        f"Plot the loss curve.\n{begin}\nfull marks for labelled axes\n{end}"), task=True,
        grade_id="task_plot", points=1))
    [task] = [c for c in chapter_notebook(notebook, ASSIGNMENT).cells if "Plot the loss" in c.source]
    assert task.source == "Plot the loss curve."


def test_no_nbgrader_marker_is_left_in_a_chapter():
    text = chapter_text(chapter_notebook(small_notebook(), ASSIGNMENT))
    assert not [marker for marker in ALL_MARKERS if marker in text]


def test_a_marker_where_none_is_expected_stops_the_build():
    notebook = small_notebook()
    notebook.cells.append(nbformat.v4.new_code_cell(f"x = 1\n{BEGIN_HIDDEN}\nx = 2"))
    with pytest.raises(BookError, match="HIDDEN TESTS"):
        chapter_notebook(notebook, ASSIGNMENT)


def test_progress_bars_show_their_last_line_only():
    [progress] = [c for c in chapter_notebook(small_notebook(), ASSIGNMENT).cells
                  if "ProgressBar" in c.source]
    text = "".join(output.text for output in progress.outputs)
    assert "train [######] 2/2 loss=0.31" in text
    assert "1/2" not in text


def test_links_between_notebooks_become_links_between_chapters():
    markdown = "see [03 · MLP](../03_multilayer/multilayer.ipynb#the-backward-pass) next"
    assert chapter_links(markdown, {"03_multilayer"}) == "see [03 · MLP](03_multilayer.ipynb#the-backward-pass) next"
    assert chapter_links(markdown, {"02_single_layer"}) == "see 03 · MLP next"


def test_the_leak_check_finds_a_hidden_line_in_highlighted_html(tmp_path):
    """The site check can fail: a hidden line split into highlighted spans is still found."""
    secret = 'ck.check_close(double(secret_case), 2 * secret_case, name="double", output="hidden case")'
    assert re.sub(r"\s", "", secret) in hidden_only_lines([small_notebook()])
    spans = "".join(f'<span class="n">{html.escape(token)}</span>' for token in secret.split(" "))
    (tmp_path / "page.html").write_text(f"<pre>{spans}</pre>")
    assert find_leaks(tmp_path, [small_notebook()]) == [f"page.html: {re.sub(chr(32), '', secret)}"]
    (tmp_path / "page.html").write_text("<p>nothing to see</p>")
    assert find_leaks(tmp_path, [small_notebook()]) == []


# --- the built site ---------------------------------------------------------------------

COURSE = existing()


def text_of(path: Path) -> str:
    """A site file's text, tags stripped and entities decoded, all whitespace removed."""
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".html":
        text = html.unescape(re.sub(r"<[^>]*>", "", text))
    return re.sub(r"\s+", "", text)


def all_site_text(site: Path) -> dict[Path, str]:
    binary = {".png", ".jpg", ".gif", ".svg", ".woff", ".woff2", ".ttf", ".eot", ".otf", ".ico", ".pickle"}
    return {path: text_of(path) for path in site.rglob("*")
            if path.is_file() and path.suffix not in binary and "mathjax" not in path.parts}


def hidden_test_lines(assignments) -> dict[str, list[str]]:
    """For every assignment: each line of its hidden tests (whitespace removed) whose text no
    visible cell of any notebook of the course also has, read from the solution notebooks."""
    begin, end = NBGRADER_MARKERS["hidden_tests"]
    hidden: dict[str, set[str]] = {}
    visible: set[str] = set()
    for assignment in assignments:
        hidden[assignment.name] = set()
        for cell in nbgrader_cells(nbformat.read(assignment.source, as_version=4)):
            inside = False
            for line in cell.source.splitlines():
                key = re.sub(r"\s+", "", line)
                if cell.kind == "test" and begin in line:
                    inside = True
                elif cell.kind == "test" and end in line:
                    inside = False
                elif inside:
                    hidden[assignment.name].add(key)
                else:
                    visible.add(key)
    shown = "\n".join(visible)  # a fragment of a visible line (`name="f")`) is no secret either
    return {name: sorted(line for line in lines if len(line) >= 16 and line not in shown)
            for name, lines in hidden.items()}


@pytest.mark.slow
def test_every_assignment_is_a_chapter(book):
    for assignment in COURSE:
        page = book.site / "chapters" / f"{assignment.name}.html"
        assert page.is_file(), f"{assignment.name} is not in the book ({page} missing)"


@pytest.mark.slow
def test_the_site_holds_no_hidden_test_and_no_nbgrader_marker(book):
    site = all_site_text(book.site)
    secrets = hidden_test_lines(COURSE)
    with_hidden_tests = [name for name, lines in secrets.items() if lines]
    assert len(with_hidden_tests) == len(COURSE), (
        f"no hidden-test lines found in {set(secrets) - set(with_hidden_tests)}: is the marker "
        f"{NBGRADER_MARKERS['hidden_tests']} still the one the notebooks use?")
    found = [f"{path.relative_to(book.site)}: {line}"
             for path, text in site.items() for lines in secrets.values() for line in lines if line in text]
    found += [f"{path.relative_to(book.site)}: {marker}" for path, text in site.items()
              for marker in ALL_MARKERS if re.sub(r"\s", "", marker) in text]
    assert not found, "the book shows hidden tests or markers:\n" + "\n".join(found[:30])
    print(f"\n{sum(map(len, secrets.values()))} hidden-test lines and {len(ALL_MARKERS)} markers "
          f"checked in {len(site)} files of the site")


@pytest.mark.slow
def test_the_visible_tests_and_the_solutions_are_in_the_chapters(book):
    """The positive control of the check above: code that should show is found as text."""
    for assignment in COURSE:
        text = text_of(book.site / "chapters" / f"{assignment.name}.html")
        cells = nbgrader_cells(nbformat.read(assignment.source, as_version=4))
        solutions = [c for c in cells if c.kind == "solution" and c.cell_type == "code"]
        tests = [c for c in cells if c.kind == "test"]
        assert text.count(SHOW_SOLUTION.replace(" ", "")) >= len(solutions), (
            f"{assignment.name}: {len(solutions)} solutions but fewer 'Show the solution' toggles")
        answers = [c for c in cells if c.kind == "answer"]
        assert text.count(SHOW_ANSWER.replace(" ", "")) == len(answers)
        begin = NBGRADER_MARKERS["hidden_tests"][0]
        for test in tests:
            visible = test.source.split(begin)[0].splitlines()
            longest = max(visible, key=len)  # a distinctive line, not an import
            assert re.sub(r"\s", "", longest) in text, (
                f"{assignment.name}: the visible part of {test.grade_id} is not shown ({longest!r})")


@pytest.mark.slow
def test_pages_load_nothing_from_outside_the_site(book):
    """Scripts, styles, images and fonts are all local (the browser test watches requests)."""
    remote = re.compile(r"""<(?:script|link|img|iframe|source)\b[^>]*\b(?:src|href)=["'](?:https?:)?//""", re.I)
    css_remote = re.compile(r"""url\(\s*["']?(?:https?:)?//|@import\s+["']?(?:https?:)?//""", re.I)
    pages = sorted(book.site.rglob("*.html"))
    assert len(pages) >= len(COURSE) + 3
    found = [f"{p.relative_to(book.site)}: {m.group(0)}" for p in pages for m in remote.finditer(p.read_text())]
    found += [f"{p.relative_to(book.site)}: {m.group(0)}" for p in book.site.rglob("*.css")
              for m in css_remote.finditer(p.read_text(errors="replace"))]
    assert not found, "\n".join(found[:20])
    for page in (book.site / "chapters").glob("*.html"):
        assert '_static/mathjax/MathJax.js?config=' in page.read_text(), f"{page.name}: no local MathJax"
    assert (book.site / "_static" / "mathjax" / "MathJax.js").is_file()


@pytest.mark.slow
def test_the_landing_page_leads_to_every_chapter_and_the_instructor_pages(book):
    landing = book.index.read_text()
    for assignment in COURSE:
        assert f'href="chapters/{assignment.name}.html"' in landing
    for page in ("grader.html", "design.html", "search.html"):
        assert (book.site / page).is_file()
        assert f'href="{page}' in landing or page == "search.html"
    for words in ("Who it is for", "How to work it", "visible tests"):
        assert words in landing
