"""The self-study book: one Sphinx site of the whole course, built from the executed
solution notebooks, readable offline.

A pipeline of small steps, each testable alone:

1. ``chapter_notebook(executed)``: an executed solution notebook becomes a chapter. The prose,
   math, code and figures stay; a graded function shows its signature and docstring with the
   solution collapsed below it ("Show the solution"); a written derivation's model answer is
   collapsed the same way; a test cell shows only its visible part, the short check a student
   runs; hidden tests and every nbgrader marker are gone.
2. ``stage(chapters, source)``: a Sphinx source folder: the book's own pages from ``docs/``
   (landing page, grader page, design notes, ``conf.py``), ``chapters/NN_topic.ipynb``, and
   MathJax 2.7 copied from jupyter-server-mathjax into ``_static/`` (no CDN: offline).
3. ``run_sphinx(source, site)``: ``python -m sphinx`` with warnings as errors; myst-nb renders
   the notebooks as they are (``nb_execution_mode = "off"``: nothing is executed again).
4. ``find_leaks(site, sources)``: any hidden-test line or nbgrader marker in the site; the
   build refuses a site that has one.

``build_book(executed)`` runs them all; ``python -m coursebuild book`` builds the book from
``build/executed/`` (what the main job saved), executing only notebooks missing there or
older than their solution.
"""

from __future__ import annotations

import copy
import html
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbconvert.preprocessors import CoalesceStreamsPreprocessor

from autograder.notebook import nbgrader_cells

from .course import ASSIGNMENTS, BUILD, ROOT, Assignment

DOCS = ROOT / "docs"
SITE = BUILD / "book"
SOURCE = BUILD / "book-src"
EXECUTED = BUILD / "executed"
CHAPTERS = "chapters"

# nbgrader's region markers, the one place this module spells them (the course's cell
# vocabulary module can take their place). A line holding a marker starts or ends a region.
NBGRADER_MARKERS = {
    "solution": ("### BEGIN SOLUTION", "### END SOLUTION"),
    "hidden_tests": ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"),
    "mark_scheme": ("=== BEGIN MARK SCHEME ===", "=== END MARK SCHEME ==="),
}
ALL_MARKERS = tuple(marker for pair in NBGRADER_MARKERS.values() for marker in pair)

SHOW_SOLUTION = "Show the solution"
SHOW_ANSWER = "Show the model answer"


class BookError(RuntimeError):
    """The book cannot be built as asked; the message says why."""


# --- 1. an executed solution notebook becomes a chapter ----------------------------------

def split_region(source: str, region: str) -> tuple[list[str], list[str], str | None]:
    """(lines outside the region, lines inside it, the indentation of its begin marker).

    Regions may repeat; marker lines belong to neither side. An unterminated region runs to
    the end of the cell, as nbgrader reads it.
    """
    begin, end = NBGRADER_MARKERS[region]
    outside, inside, indent, within = [], [], None, False
    for line in source.splitlines():
        if begin in line:
            within = True
            indent = indent if indent is not None else line[: len(line) - len(line.lstrip())]
        elif end in line:
            within = False
        else:
            (inside if within else outside).append(line)
    return outside, inside, indent


def _trimmed(lines: list[str]) -> str:
    return "\n".join(lines).strip("\n")


def solution_source(source: str) -> str:
    """The full solution with the solution markers removed."""
    lines = [line for line in source.splitlines()
             if not any(marker in line for marker in NBGRADER_MARKERS["solution"])]
    return _trimmed(lines)


def exercise_source(source: str, notebook: str) -> str | None:
    """What the student fills in: the code outside the solution region, the region replaced by
    ``...`` and where to write it; None when the whole cell is the solution."""
    begin, end = NBGRADER_MARKERS["solution"]
    if begin not in source:
        return None
    lines, placed = [], False
    within = False
    for line in source.splitlines():
        if begin in line:
            within = True
            if not placed:
                indent = line[: len(line) - len(line.lstrip())]
                lines.append(f"{indent}...  # your code, in {notebook}")
                placed = True
        elif end in line:
            within = False
        elif not within:
            lines.append(line)
    return _trimmed(lines)


def visible_test_source(source: str) -> str:
    """A test cell without its hidden tests: the short check a student runs."""
    outside, _, _ = split_region(source, "hidden_tests")
    return _trimmed(outside)


def _code_cell(source: str, outputs=(), metadata=None):
    cell = nbformat.v4.new_code_cell(source, metadata=metadata or {})
    cell.outputs = list(outputs)
    return cell


def _collapsed_code(source: str, label: str, outputs=()):
    """A code cell whose source is folded behind ``label`` (myst-nb's hide-input)."""
    metadata = {"tags": ["hide-input"], "mystnb": {"code_prompt_show": label,
                                                    "code_prompt_hide": "Hide the solution"}}
    return _code_cell(source, outputs, metadata)


def _collapsed_markdown(source: str, label: str, intro: str):
    """Markdown folded behind ``label``: a ``<details>`` element dressed as myst-nb dresses a
    folded code cell (one look for every toggle; it opens without JavaScript too). The blank
    lines let MyST parse the content between the raw HTML tags as Markdown, math included."""
    hide = label.replace("Show", "Hide", 1)
    return nbformat.v4.new_markdown_cell(
        f'{intro}\n\n<details class="admonition hide model-answer">\n<summary>\n'
        f'<p class="collapsed admonition-title">{label}</p>\n'
        f'<p class="expanded admonition-title">{hide}</p>\n</summary>\n\n'
        f'{source.strip()}\n\n</details>\n')


# a link from one notebook to another's folder: [02 · Softmax regression](../02_single_layer/single_layer.ipynb)
_NOTEBOOK_LINK = re.compile(r"\[(?P<text>[^\]]*)\]\(\.\./(?P<name>\d\d_\w+)/\w+\.ipynb(?P<anchor>#[^)]*)?\)")


def chapter_links(markdown: str, chapters: set[str]) -> str:
    """Links between notebooks become links between chapters (plain text when that chapter is
    not in the book)."""
    def link(match: re.Match) -> str:
        if match["name"] not in chapters:
            return match["text"]
        return f"[{match['text']}]({match['name']}.ipynb{match['anchor'] or ''})"
    return _NOTEBOOK_LINK.sub(link, markdown)


def chapter_notebook(executed: nbformat.NotebookNode, assignment: Assignment,
                     chapters: set[str] | None = None) -> nbformat.NotebookNode:
    """The chapter for one executed solution notebook (the input is left unchanged).

    chapters: the names of the book's chapters, for links between notebooks (default: all
    the course's assignments).
    """
    chapters = chapters if chapters is not None else {a.name for a in ASSIGNMENTS}
    notebook = copy.deepcopy(executed)
    # Progress bars redraw one line with carriage returns: show their last line, as Jupyter does.
    notebook, _ = CoalesceStreamsPreprocessor(enabled=True).preprocess(notebook, {})
    where = f"notebooks/{assignment.name}/{assignment.notebook}"
    cells = []
    for info, cell in zip(nbgrader_cells(notebook), notebook.cells):
        outputs = cell.get("outputs", []) if cell.cell_type == "code" else []
        points = f"{info.points:g} point{'s' if info.points != 1 else ''}"
        if info.kind == "solution" and cell.cell_type == "code":
            exercise = exercise_source(cell.source, where)
            if exercise:
                cells.append(_code_cell(exercise))
            names = re.findall(r"^def (\w+)", cell.source, re.M)
            label = f"{SHOW_SOLUTION}: {', '.join(names)}" if names else SHOW_SOLUTION
            cells.append(_collapsed_code(solution_source(cell.source), label, outputs))
        elif info.kind == "test":
            visible = visible_test_source(cell.source)
            if visible:
                # outputs dropped: they may come from the hidden part
                cells.append(nbformat.v4.new_markdown_cell(
                    f"*Check your work* (`{info.grade_id}`, {points}): the visible test, as your "
                    "notebook runs it; grading adds hidden tests on random shapes and edge cases."))
                cells.append(_code_cell(visible))
        elif info.kind == "task":  # a task described in Markdown; its mark scheme is the grader's
            text = _trimmed(split_region(cell.source, "mark_scheme")[0])
            cells.append(nbformat.v4.new_markdown_cell(chapter_links(text, chapters)))
        elif info.kind in ("answer", "solution"):  # a written answer: the model answer, folded
            intro = (f"*Your turn* ({points}, graded by hand): write this in your notebook, "
                     "then compare." if info.kind == "answer" else "*Your turn*: write yours first.")
            cells.append(_collapsed_markdown(solution_source(cell.source), SHOW_ANSWER, intro))
        elif cell.cell_type == "code":
            cells.append(_code_cell(cell.source, outputs))
        else:
            cells.append(nbformat.v4.new_markdown_cell(chapter_links(cell.source, chapters)))
    chapter = nbformat.v4.new_notebook(cells=cells, metadata={
        "kernelspec": notebook.metadata.get("kernelspec", {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}),
        "language_info": notebook.metadata.get("language_info", {"name": "python"})})
    leftover = [marker for marker in ALL_MARKERS if marker in nbformat.writes(chapter)]
    if leftover:
        raise BookError(f"{assignment.name}: the chapter still holds {leftover} after the nbgrader "
                        "machinery was removed (a marker inside a cell of an unexpected kind?)")
    return chapter


# --- 2. the Sphinx source folder ------------------------------------------------------

def stage(chapters: dict[str, nbformat.NotebookNode], source: Path = SOURCE) -> Path:
    """Write the Sphinx source folder: docs/, the chapters and a local MathJax."""
    import jupyter_server_mathjax

    if source.exists():
        shutil.rmtree(source)
    shutil.copytree(DOCS, source)
    (source / CHAPTERS).mkdir()
    for name, chapter in chapters.items():
        nbformat.write(chapter, source / CHAPTERS / f"{name}.ipynb")
    mathjax = Path(jupyter_server_mathjax.__file__).parent / "static"
    # the SVG output's fonts (3 MB) are never used: the pages render with HTML-CSS, and the
    # MathJax menu that could switch renderers is off (docs/conf.py)
    unused = lambda folder, names: ["SVG"] if Path(folder).name == "output" else []  # noqa: E731
    shutil.copytree(mathjax, source / "_static" / "mathjax", ignore=unused)
    return source


# --- 3. Sphinx --------------------------------------------------------------------------

def run_sphinx(source: Path = SOURCE, site: Path = SITE) -> None:
    """Build the HTML site; a Sphinx warning (a broken reference, a missing image) fails it."""
    if site.exists():
        shutil.rmtree(site)
    doctrees = source.parent / f"{source.name}-doctrees"
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-W", "--keep-going", "-E",
               "-d", str(doctrees), str(source), str(site)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise BookError(f"Sphinx failed (exit {result.returncode}):\n{result.stderr[-4000:]}")
    shutil.rmtree(doctrees, ignore_errors=True)


# --- 4. nothing secret in the site ----------------------------------------------------

_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")


def site_text(path: Path) -> str:
    """A site file as text with all whitespace removed (tags stripped from HTML: highlighted
    code is split into many spans)."""
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".html":
        text = html.unescape(_TAG.sub("", text))
    return _SPACE.sub("", text)


def site_files(site: Path):
    """Every text file of the site except the MathJax copy."""
    for path in sorted(site.rglob("*")):
        if path.is_file() and path.suffix in (".html", ".js", ".txt", ".ipynb", ".json", ".css") \
                and "mathjax" not in path.relative_to(site).parts[:2]:
            yield path


def hidden_only_lines(solutions: list[nbformat.NotebookNode], min_chars: int = 16) -> list[str]:
    """Lines of the notebooks' hidden tests whose text is nowhere else in them (whitespace
    removed, at least ``min_chars`` long: a shorter line could turn up in a site by
    coincidence). A line that a visible cell also has (an import), or that is part of a
    visible line (``name="mlp_forward")``), is no secret; the rest must never be shown."""
    hidden, elsewhere = set(), []
    for solution in solutions:
        for info in nbgrader_cells(solution):
            if info.kind == "test":
                outside, inside, _ = split_region(info.source, "hidden_tests")
                hidden.update(_SPACE.sub("", line) for line in inside)
                elsewhere += outside
            else:
                elsewhere += info.source.splitlines()
    public = "\0".join(_SPACE.sub("", line) for line in elsewhere)
    return sorted(line for line in hidden if len(line) >= min_chars and line not in public)


def find_leaks(site: Path, solutions: list[nbformat.NotebookNode]) -> list[str]:
    """'file: what' for every hidden-test line and nbgrader marker found in the site."""
    secrets = {_SPACE.sub("", marker): marker for marker in ALL_MARKERS}
    secrets.update({line: line for line in hidden_only_lines(solutions)})
    found = []
    for path in site_files(site):
        text = site_text(path)
        found += [f"{path.relative_to(site)}: {shown}" for key, shown in secrets.items() if key in text]
    return found


# --- the whole build ------------------------------------------------------------------

@dataclass
class Book:
    site: Path
    source: Path
    chapters: dict[str, nbformat.NotebookNode]
    seconds: float

    @property
    def index(self) -> Path:
        return self.site / "index.html"

    def megabytes(self) -> float:
        return sum(p.stat().st_size for p in self.site.rglob("*") if p.is_file()) / 2**20


def build_book(executed: dict[Assignment, nbformat.NotebookNode], site: Path = SITE,
               source: Path | None = None) -> Book:
    """Build the book from executed solution notebooks ({assignment: notebook}, in course
    order) into ``site``; raises BookError when Sphinx fails or a hidden test would show."""
    started = time.perf_counter()
    source = source or site.parent / f"{site.name}-src"
    names = {assignment.name for assignment in executed}
    chapters = {assignment.name: chapter_notebook(notebook, assignment, names)
                for assignment, notebook in executed.items()}
    stage(chapters, source)
    run_sphinx(source, site)
    leaks = find_leaks(site, list(executed.values()))
    if leaks:
        raise BookError("the built book shows hidden tests or nbgrader markers:\n" + "\n".join(leaks[:20]))
    return Book(site, source, chapters, time.perf_counter() - started)


def _same_code(executed: nbformat.NotebookNode, solution: nbformat.NotebookNode) -> bool:
    return [(c.cell_type, c.source) for c in executed.cells] == [(c.cell_type, c.source) for c in solution.cells]


def saved_executed(assignments: tuple[Assignment, ...]) -> dict[Assignment, nbformat.NotebookNode]:
    """The executed notebooks the main job saved in ``build/executed/``; any that is missing or
    whose cells differ from its solution notebook is executed now (with training)."""
    from .execute import execute_notebook

    result = {}
    for assignment in assignments:
        path = EXECUTED / assignment.notebook
        solution = nbformat.read(assignment.source, as_version=4)
        saved = nbformat.read(path, as_version=4) if path.exists() else None
        if saved is None or not _same_code(saved, solution):
            why = "not executed yet" if saved is None else "changed since it was executed"
            print(f"==> executing {assignment.source.relative_to(ROOT)} ({why})", flush=True)
            executed = execute_notebook(assignment)
            if executed.cell_errors:
                raise BookError(f"{assignment.name}: cells failed: {executed.cell_errors[:3]}")
            save_executed(assignment, executed.notebook)
            saved = executed.notebook
        result[assignment] = saved
    return result


def save_executed(assignment: Assignment, notebook: nbformat.NotebookNode) -> Path:
    EXECUTED.mkdir(parents=True, exist_ok=True)
    target = EXECUTED / assignment.notebook
    nbformat.write(notebook, target)
    return target


def main(assignments: tuple[Assignment, ...]) -> int:
    """``python -m coursebuild book``: build the book into build/book/ and say where it is."""
    try:
        book = build_book(saved_executed(assignments))
    except BookError as error:
        print(f"FAILED building the book: {error}")
        return 1
    print(f"==> the book: {book.index} ({len(book.chapters)} chapters, {book.megabytes():.1f} MB, "
          f"built in {book.seconds:.0f} s); open it in a browser, no server needed")
    return 0
