"""Execute a solution notebook in a real Jupyter kernel and read back what happened.

Test cells are judged as nbgrader judges them: a cell fails (0 points) if it shows an error
or writes anything to stderr, and earns its points otherwise. The notebook's ``report_result`` numbers (test accuracy, dataset) come
back through ``BFS_RESULTS_FILE``.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

from autograder.cells import Kind, cells_of
from autograder.testcell import TestOutcome

from .course import ROOT, Assignment


@dataclass
class ExecutedNotebook:
    assignment: Assignment
    notebook: nbformat.NotebookNode
    seconds: float
    results: dict = field(default_factory=dict)
    tests: list[TestOutcome] = field(default_factory=list)
    cell_errors: list[str] = field(default_factory=list)

    @property
    def tests_passed(self) -> int:
        return sum(test.passed for test in self.tests)


def execute_notebook(assignment: Assignment, *, grading: bool = False, timeout: int = 1200,
                     path: Path | None = None) -> ExecutedNotebook:
    """Run every cell of ``path`` (default: the solution notebook) in its own folder.

    grading=True sets ``NBGRADER_EXECUTION`` so data loading and training are skipped.
    Errors do not stop execution; they are collected per cell.
    """
    path = Path(path or assignment.source)
    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory() as scratch:
        results_file = Path(scratch) / "results.json"
        env = {**os.environ, "BFS_RESULTS_FILE": str(results_file),
               "BFS_DATA_DIR": os.environ.get("BFS_DATA_DIR", str(ROOT / "data")),
               "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
        env.pop("MPLBACKEND", None)  # the kernel's inline backend keeps figures in the notebook
        if grading:
            env["NBGRADER_EXECUTION"] = "autograde"
        else:
            env.pop("NBGRADER_EXECUTION", None)
        # IPC sockets in the scratch folder: local only, and ipykernel 7 warns on stderr about
        # every unencrypted TCP kernel, which would bury the build's own output.
        manager = KernelManager(kernel_name="python3", transport="ipc",
                                ip=str(Path(scratch) / "kernel"))
        client = NotebookClient(nb, km=manager, timeout=timeout, kernel_name="python3",
                                allow_errors=True, resources={"metadata": {"path": str(path.parent)}})
        start = time.perf_counter()
        try:
            client.execute(env=env)
        finally:
            if manager.has_kernel:
                manager.shutdown_kernel()  # a kernel manager passed in is ours to stop
        seconds = time.perf_counter() - start
        results = json.loads(results_file.read_text()) if results_file.exists() else {}
    executed = ExecutedNotebook(assignment, nb, seconds, results)
    for cell, role in zip(nb.cells, cells_of(nb)):
        if cell.cell_type != "code":
            continue
        problem = _problem(cell)
        if role.kind is Kind.TEST:
            points = 0.0 if problem else role.points
            executed.tests.append(TestOutcome(role.grade_id, points, role.points, problem or ""))
        elif problem and not problem.startswith("stderr:"):
            executed.cell_errors.append(f"cell {role.index + 1}: {problem}")
    return executed


def execute_by_name(name: str, grading: bool, env: dict[str, str]) -> tuple[ExecutedNotebook, float]:
    """``execute_notebook`` of the assignment called ``name`` with ``env`` added to this
    process's environment while it runs (for a worker process of a pool).

    Returns (the executed notebook, CPU seconds of the kernel and this call).
    """
    import resource

    from .course import assignment

    def cpu() -> float:
        own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

    saved = dict(os.environ)
    os.environ.update(env)
    try:
        start = cpu()
        executed = execute_notebook(assignment(name), grading=grading)
        return executed, cpu() - start
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _problem(cell) -> str | None:
    """nbgrader's verdict on a code cell's outputs: an error, or text on stderr."""
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            return f"{output.ename}: {output.evalue}"
        if output.output_type == "stream" and output.name == "stderr":
            return f"stderr: {output.text.strip()[:500]}"
    return None
