"""Submissions generated from the course itself, for the grader's end-to-end tests and benchmark.

Nothing here is committed as a notebook: every fixture is made at test time from the current
instructor source (``solutions/``), the student release (``notebooks/``) and the bug catalog
(``tests/bugcatalog/``), so the tests follow the course as it changes.

- ``honest(a)``: the release with every answer cell's source replaced by the source
  notebook's (what a student who solved everything hands in);
- ``blank(a)``: the release as is (every graded function still raises NotImplementedError);
- ``buggy(a, entry)``: the honest submission with one answer cell replaced by a bug-catalog
  entry, renamed to its target;
- ``with_answer(nb, grade_id, code)``: any notebook with one answer cell's code replaced
  (the adversarial submissions are built this way).

When the committed release of an assignment is out of date (its graded cells differ from the
source's, as while an assignment is being written), a fresh release is made with nbgrader's
``generate_assignment`` into a temporary course, as ``python -m coursebuild release`` would.
"""

from __future__ import annotations

import ast
import atexit
import copy
import functools
import hashlib
import inspect
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import nbformat

from autograder.cells import Kind, grade_id_of
from autograder.grader.course import course_folders
from autograder.notebook import nbgrader_cells, read_notebook
from coursebuild.course import ROOT, Assignment, existing

SOLUTION_KINDS = (Kind.SOLUTION,)
NBGRADER_ENV = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}


# ---------------------------------------------------------------------------- the course

def graded_assignments() -> list[Assignment]:
    """The assignments that exist and have at least one autograded test cell."""
    return [a for a in existing() if any(c.kind is Kind.TEST for c in nbgrader_cells(source(a)))]


def source(assignment: Assignment) -> nbformat.NotebookNode:
    return read_notebook(assignment.source)


def _graded_layout(nb) -> list[tuple[str, str]]:
    return [(c.kind, c.grade_id) for c in nbgrader_cells(nb) if c.grade_id]


@functools.cache
def _release_path(name: str) -> Path:
    assignment = next(a for a in existing() if a.name == name)
    committed = assignment.release
    if committed.exists() and _graded_layout(read_notebook(committed)) == _graded_layout(source(assignment)):
        return committed
    course = Path(tempfile.mkdtemp(prefix="bfs-fresh-release-"))
    atexit.register(shutil.rmtree, course, ignore_errors=True)
    make_nbgrader_course(course, [assignment])
    return course_folder(course, "release") / assignment.name / assignment.notebook


def release(assignment: Assignment) -> nbformat.NotebookNode:
    """The student release (a fresh one when the committed release is out of date)."""
    return read_notebook(_release_path(assignment.name))


def release_folder(assignment: Assignment) -> Path:
    return _release_path(assignment.name).parent


# ---------------------------------------------------------------------------- submissions

def solution_sources(assignment: Assignment) -> dict[str, str]:
    return {c.grade_id: c.source for c in nbgrader_cells(source(assignment)) if c.kind in SOLUTION_KINDS}


def with_answer(nb, grade_id: str, code: str) -> nbformat.NotebookNode:
    """A copy of ``nb`` whose answer cell ``grade_id`` holds ``code``."""
    nb = copy.deepcopy(nb)
    cells = [cell for cell in nb.cells if grade_id_of(cell) == grade_id]
    if not cells:
        raise KeyError(f"no cell {grade_id!r} in the notebook")
    cells[0].source = code
    return nb


def honest(assignment: Assignment, release_nb=None) -> nbformat.NotebookNode:
    """``release_nb``: the release to start from (default: ``release(assignment)``)."""
    nb = release(assignment) if release_nb is None else release_nb
    for grade_id, code in solution_sources(assignment).items():
        nb = with_answer(nb, grade_id, code)
    return nb


def blank(assignment: Assignment, release_nb=None) -> nbformat.NotebookNode:
    return release(assignment) if release_nb is None else copy.deepcopy(release_nb)


def insert_code_cell(nb, code: str, *, after: str | None = None) -> nbformat.NotebookNode:
    """A copy of ``nb`` with a plain code cell (the student's own) after cell ``after``
    (a grade id; None: at the end)."""
    nb = copy.deepcopy(nb)
    position = len(nb.cells)
    if after is not None:
        position = 1 + next(i for i, cell in enumerate(nb.cells) if grade_id_of(cell) == after)
    nb.cells.insert(position, nbformat.v4.new_code_cell(code))
    return nb


# ---------------------------------------------------------------------------- the bug catalog

def catalog(assignment: Assignment, kind: str = "bug") -> list:
    from tests.bugcatalog.registry import load_all

    return [e for e in load_all() if e.assignment == assignment.name and e.kind == kind]


def entry_source(entry) -> str:
    """A catalog entry as a notebook answer cell: the module's imports, then the function
    without its decorator and renamed to the function it replaces."""
    module = sys.modules[entry.function.__module__]
    tree = ast.parse(inspect.getsource(module))
    imports = [ast.get_source_segment(inspect.getsource(module), node) for node in tree.body
               if isinstance(node, (ast.Import, ast.ImportFrom)) and not (
                   isinstance(node, ast.ImportFrom) and (node.level or "registry" in (node.module or "")))]
    code = textwrap.dedent(inspect.getsource(entry.function))
    lines = code.splitlines()
    while lines and lines[0].lstrip().startswith("@"):
        # decorators may span lines: drop until the def
        lines.pop(0)
        while lines and not lines[0].lstrip().startswith(("def ", "@")):
            lines.pop(0)
    code = "\n".join(lines)
    code = re.sub(rf"^def {re.escape(entry.function.__name__)}\(", f"def {entry.target}(", code, count=1)
    return "\n".join(imports) + "\n\n" + code + "\n"


def buggy(assignment: Assignment, entry, release_nb=None) -> nbformat.NotebookNode:
    return with_answer(honest(assignment, release_nb), entry.target, entry_source(entry))


def pick_bugs(assignment: Assignment, count: int) -> list:
    """``count`` bugs spread over the graded functions (first bug of each function, in order)."""
    by_target: dict[str, list] = {}
    for entry in catalog(assignment):
        by_target.setdefault(entry.target, []).append(entry)
    picked, round_ = [], 0
    while len(picked) < count and any(len(v) > round_ for v in by_target.values()):
        for entries in by_target.values():
            if len(entries) > round_ and len(picked) < count:
                picked.append(entries[round_])
        round_ += 1
    return picked


# ---------------------------------------------------------------------------- files

def write(nb_or_bytes, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(nb_or_bytes, bytes):
        path.write_bytes(nb_or_bytes)
    else:
        nbformat.write(nb_or_bytes, str(path))
    return path


def submission_path(folder: Path, student: str, assignment: Assignment) -> Path:
    """``<folder>/<student>/<assignment>/<notebook>.ipynb`` (nbgrader's submitted/ layout)."""
    return folder / student / assignment.name / assignment.notebook


def make_class(folder: Path, assignments: list[Assignment], per_assignment_bugs: int = 2,
               release_dir: Path | None = None) -> dict[tuple[str, str], str]:
    """Honest, blank and buggy submissions of each assignment, in nbgrader's layout
    (``release_dir``: where the releases to start from are, default ``release()``).

    Returns {(student, assignment name): kind} with kind "honest", "blank" or "bug:<entry id>".
    """
    kinds = {}
    for assignment in assignments:
        release_nb = None if release_dir is None else read_notebook(
            release_dir / assignment.name / assignment.notebook)
        write(honest(assignment, release_nb), submission_path(folder, "honest", assignment))
        kinds[("honest", assignment.name)] = "honest"
        write(blank(assignment, release_nb), submission_path(folder, "blank", assignment))
        kinds[("blank", assignment.name)] = "blank"
        for k, entry in enumerate(pick_bugs(assignment, per_assignment_bugs)):
            student = f"bug{k + 1}"
            write(buggy(assignment, entry, release_nb), submission_path(folder, student, assignment))
            kinds[(student, assignment.name)] = f"bug:{entry.id}"
    return kinds


# ---------------------------------------------------------------------------- real nbgrader

def make_nbgrader_course(course: Path, assignments: list[Assignment]) -> Path:
    """A throwaway nbgrader course: the course's config, copies of the sources, a fresh release
    (``nbgrader generate_assignment``) and its own gradebook. Returns ``course``."""
    course.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    for assignment in assignments:
        target = course_folder(course, "source") / assignment.name
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(assignment.source.parent, target,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        nbgrader(course, "generate_assignment", assignment.name, "--force")
    return course


def course_folder(course: Path, which: str) -> Path:
    """``course``'s source, release or submitted folder, as its nbgrader_config.py names it."""
    return course / course_folders(course)[f"{which}_directory"]


def nbgrader(course: Path, *arguments: str, timeout: float = 3600, env: dict | None = None
             ) -> subprocess.CompletedProcess:
    """Run the real ``nbgrader`` command line in ``course``; raises with its output on failure."""
    done = subprocess.run([sys.executable, "-m", "nbgrader", *arguments], cwd=course,
                          env={**NBGRADER_ENV, **(env or {})}, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(arguments)} failed:\n{done.stdout}\n{done.stderr}")
    return done


def nbgrader_scores(course: Path, assignment: Assignment, students: list[str]) -> dict:
    """{student: {test grade_id: points}} from the course's gradebook after ``nbgrader autograde``."""
    from nbgrader.api import Gradebook

    tests = [c.grade_id for c in nbgrader_cells(source(assignment)) if c.kind is Kind.TEST]
    scores = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student in students:
            scores[student] = {
                grade_id: float(gb.find_grade(grade_id, assignment.notebook_id, assignment.name, student).score)
                for grade_id in tests}
    return scores


# --- what a batch leaves behind: files, processes ------------------------------------

SANDBOX_UIDS = range(61000, 61064)   # the grader's sandbox uids (uid_base + worker slot)


def file_hashes(*folders: Path) -> dict[str, str]:
    """Content hashes of the regular files under ``folders`` (the target of a symlink, and
    the mode, size and mtime of anything else, never read: a FIFO or a sparse file is safe)."""
    hashes = {}
    for folder in folders:
        for dirpath, dirnames, filenames in os.walk(folder):
            for name in dirnames + filenames:
                path = Path(dirpath, name)
                info = path.lstat()
                if stat.S_ISREG(info.st_mode) and info.st_size < 2**27:
                    hashes[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
                elif stat.S_ISLNK(info.st_mode):
                    hashes[str(path)] = "link:" + os.readlink(path)
                else:
                    hashes[str(path)] = f"mode {info.st_mode:o} size {info.st_size} mtime {info.st_mtime_ns}"
    return hashes


def sandbox_processes(marker: bytes) -> set[tuple[int, str]]:
    """(pid, command line) of every process running as a sandbox uid whose command line
    holds ``marker`` (a batch's unique ``--submission-timeout``, so that only its own count)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        uid = int(re.search(r"^Uid:\s+(\d+)", status, re.M).group(1))
        if uid in SANDBOX_UIDS and marker in command:
            found.add((int(entry.name), command.decode(errors="replace")[:200]))
    return found


def process_names() -> set[str]:
    """The name (comm) of every process on the host."""
    names = set()
    for entry in Path("/proc").glob("[0-9]*/comm"):
        try:
            names.add(entry.read_text().strip())
        except OSError:
            pass
    return names


class SandboxSampler:
    """Watches, from outside and every ``interval`` seconds while it runs, the processes of the
    sandbox uids whose command line holds ``marker`` (as ``sandbox_processes``): the most tasks
    (processes and threads) seen at once, and the CPU time (utime + stime, all threads) of each
    process whose name starts with ``watch_prefix``, over time. A zombie (its command line is
    empty) is not seen; what happens between two samples is not seen either.

    A watched process's cgroup (a sandbox's) is given 16 times the default CPU weight when it is
    first seen, so that what the watched processes get is bounded by the sandbox's CPU quota,
    not by their fair share of a loaded host (without the quota they take most of the cores;
    16, not more, so that this sampler still gets to run)."""

    def __init__(self, marker: bytes, watch_prefix: str | None = None, interval: float = 0.04):
        import threading

        self.marker, self.watch_prefix, self.interval = marker, watch_prefix, interval
        self._weighted: set[str] = set()
        self.peak_tasks = 0
        self.watched: list[tuple[float, dict[int, float]]] = []   # (time, {pid: CPU seconds})
        self._ticks = os.sysconf("SC_CLK_TCK")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        import time

        while not self._stop.wait(self.interval):
            now, tasks, cpu = time.monotonic(), 0, {}
            for entry in os.scandir("/proc"):
                if not entry.name.isdigit():
                    continue
                try:
                    with open(f"{entry.path}/cmdline", "rb") as handle:
                        if self.marker not in handle.read():
                            continue
                    status = Path(entry.path, "status").read_text()
                    stat = Path(entry.path, "stat").read_text()
                except OSError:
                    continue
                uid = int(re.search(r"^Uid:\s+(\d+)", status, re.M).group(1))
                if uid not in SANDBOX_UIDS:
                    continue
                tasks += int(re.search(r"^Threads:\s+(\d+)", status, re.M).group(1))
                name, fields = stat[stat.index("(") + 1:stat.rindex(")")], stat.rsplit(")", 1)[1].split()
                if self.watch_prefix and name.startswith(self.watch_prefix):
                    cpu[int(entry.name)] = (int(fields[11]) + int(fields[12])) / self._ticks
                    self._outweigh_the_host(entry.path)
            self.peak_tasks = max(self.peak_tasks, tasks)
            if cpu:
                self.watched.append((now, cpu))

    def _outweigh_the_host(self, process: str) -> None:
        from autograder.sandbox.cgroups import detect

        controllers = detect()
        try:
            lines = Path(process, "cgroup").read_text().splitlines()
        except OSError:
            return
        for line in lines:
            _, names, path = line.split(":", 2)
            group = os.path.basename(path)
            if not group.startswith("bfs-sandbox-") or group in self._weighted:
                continue
            if controllers.version == "v2" and names == "":
                target = os.path.join(controllers.dirs["unified"], group, "cpu.weight"), "1600"
            elif controllers.version == "v1" and "cpu" in names.split(",") and "cpu" in controllers.dirs:
                target = os.path.join(controllers.dirs["cpu"], group, "cpu.shares"), "16384"
            else:
                continue
            try:
                Path(target[0]).write_text(target[1])
                self._weighted.add(group)
            except OSError:
                pass

    def stop(self) -> "SandboxSampler":
        self._stop.set()
        self._thread.join()
        return self

    def cores_used_while_all_ran(self, count: int) -> tuple[float, float]:
        """(CPU seconds per second, seconds observed) of the ``count`` watched processes,
        between the first and the last sample that saw all ``count`` of them running."""
        full = [(t, cpu) for t, cpu in self.watched if len(cpu) >= count]
        if len(full) < 2:
            return 0.0, 0.0
        (t0, first), (t1, last) = full[0], full[-1]
        used = sum(last[pid] - first[pid] for pid in first if pid in last)
        return used / (t1 - t0), t1 - t0
