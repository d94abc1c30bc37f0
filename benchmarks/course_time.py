"""How long the whole course takes: every solution notebook executed end to end.

    .venv/bin/python benchmarks/course_time.py [01 02 ...]

Runs each solution notebook in a real Jupyter kernel (as the course build does, with MNIST
when present) and prints seconds per notebook and the total, against the course's budget of
six minutes on a 2-core laptop CPU. It prints; it never asserts.

06's experiment grid caches its runs (coursekit.runcache); the benchmark points
``BFS_CACHE_DIR`` at an empty temporary folder so that it measures a first run, as a
student meets it. ``--warm`` keeps the course's own cache instead (a rerun).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

from coursebuild.course import assignment, existing
from coursebuild.execute import execute_notebook

BUDGET_SECONDS = 360


def main(names: list[str]) -> None:
    if "--warm" in names:
        names = [name for name in names if name != "--warm"]
    else:
        os.environ["BFS_CACHE_DIR"] = tempfile.mkdtemp(prefix="bfs-course-time-")
    chosen = tuple(assignment(name) for name in names) or existing()
    rows, started = [], time.perf_counter()
    for item in chosen:
        executed = execute_notebook(item)
        rows.append((item.name, executed.seconds, f"{executed.tests_passed}/{len(executed.tests)}",
                     executed.results.get("dataset", "-")))
        print(f"{item.name:18} {executed.seconds:7.1f} s   tests {rows[-1][2]:7} {rows[-1][3]}", flush=True)
    total = time.perf_counter() - started
    print(f"{'total':18} {total:7.1f} s   (budget {BUDGET_SECONDS} s: {total / BUDGET_SECONDS:.2f} of it)")


if __name__ == "__main__":
    main(sys.argv[1:])
