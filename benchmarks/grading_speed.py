"""Grading speed: plain ``nbgrader autograde`` against our grader (``grade_class``), one class.

Run it from the repository root (it takes a few minutes; nothing in the repository changes):

    .venv/bin/python benchmarks/grading_speed.py                 # 2 workers, >= 20 submissions
    .venv/bin/python benchmarks/grading_speed.py --workers 4 --bugs 3 --keep /tmp/bench

What it does, in one run:

1. makes a throwaway nbgrader course with every assignment that has autograded test cells
   (``nbgrader generate_assignment``: the release and the gradebook; not timed);
2. generates one class in nbgrader's ``submitted/`` layout from the current solutions,
   release and bug catalog (``tests/grader/fixtures.py``): per assignment an honest, a blank
   and ``--bugs`` buggy submissions (more bugs when there are few assignments, so that the
   class has at least 20 submissions);
3. times plain ``nbgrader autograde <assignment>`` for each assignment, one after the other
   (nbgrader grades one notebook at a time; its start-up per command is counted);
4. times ``grade_class`` (what ``python -m autograder grade`` runs) on the same ``submitted/``
   tree with ``--workers`` workers, in this process, writing the same gradebook
   (``--no-gradebook`` to skip that), start-up of the warm workers included; the start-up
   alone is also measured (a ``WorkerPool`` started and stopped) and subtracted for the
   "without start-up" row;
5. prints seconds per submission for both, the ratio, and whether every honest submission
   (and every submission) got the same points per test cell from both graders;
6. the Dask rows (``--dask``, on by default): the same batch on a Dask ``LocalCluster`` of
   ``--workers`` single-threaded worker processes (``autograder.grader.cluster``), timed the same
   way (its start-up, warm graders included, measured alone and subtracted); the overhead ratio
   (LocalCluster / local pool, without start-up), the per-submission cost in worker-seconds, and
   from it, on paper, the throughput of N hosts of ``--cores-per-host`` cores.

``--skip-nbgrader`` leaves out step 3 (and the comparison with nbgrader's scores);
``--assignment`` limits the class to some assignments.

Both graders run with the same ``BFS_TEST_SEED``, so the hidden tests draw the same random
trials. The machine is whatever it is: this script prints timings and never asserts them.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder.config import GraderConfig  # noqa: E402
from autograder.grader.batch import grade_class  # noqa: E402
from autograder.grader.pool import WorkerPool  # noqa: E402
from tests.grader import fixtures as F  # noqa: E402

MIN_SUBMISSIONS = 20
SEED = "20240601"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="our grader's workers (default 2)")
    parser.add_argument("--bugs", type=int, default=2, help="buggy submissions per assignment (at least)")
    parser.add_argument("--no-gradebook", action="store_true", help="our grader does not write the gradebook")
    parser.add_argument("--keep", help="work in this folder and keep it (default: a temporary folder)")
    parser.add_argument("--no-dask", dest="dask", action="store_false", help="leave out the Dask rows")
    parser.add_argument("--min-submissions", type=int, default=MIN_SUBMISSIONS,
                        help="at least this many submissions in the class (default: %(default)s)")
    parser.add_argument("--skip-nbgrader", action="store_true", help="do not time nbgrader autograde")
    parser.add_argument("--assignment", action="append", help="only these assignments (repeatable)")
    parser.add_argument("--cores-per-host", type=int, default=os.cpu_count() or 1,
                        help="for the throughput on paper (default: this machine's, %(default)s)")
    args = parser.parse_args(argv)

    assignments = [a for a in F.graded_assignments() if not args.assignment or a.name in args.assignment]
    if not assignments:
        print("no assignment has autograded test cells yet")
        return 1
    bugs = max(args.bugs, math.ceil(args.min_submissions / len(assignments)) - 2)
    base = Path(args.keep or tempfile.mkdtemp(prefix="bfs-grading-speed-")).resolve()
    shutil.rmtree(base / "course", ignore_errors=True)
    env = {"BFS_TEST_SEED": SEED}

    print(f"setting up an nbgrader course in {base / 'course'} ({', '.join(a.name for a in assignments)})",
          flush=True)
    course = F.make_nbgrader_course(base / "course", assignments)
    submitted, release = F.course_folder(course, "submitted"), F.course_folder(course, "release")
    kinds = F.make_class(submitted, assignments, bugs, release)
    count = len(kinds)
    print(f"class: {count} submissions (per assignment: honest, blank, up to {bugs} bugs)", flush=True)

    theirs = {}
    nbgrader_seconds = math.nan
    if not args.skip_nbgrader:
        print("grading with nbgrader autograde ...", flush=True)
        started = time.perf_counter()
        for assignment in assignments:
            F.nbgrader(course, "autograde", assignment.name, "--force", env=env)
        nbgrader_seconds = time.perf_counter() - started
    for assignment in assignments if not args.skip_nbgrader else []:
        students = sorted(student for student, name in kinds if name == assignment.name)
        for student, scores in F.nbgrader_scores(course, assignment, students).items():
            theirs[(student, assignment.name)] = scores

    out = base / "autograder-out"
    shutil.rmtree(out, ignore_errors=True)
    config = GraderConfig(course=str(course), out=str(out), workers=args.workers, force=True, quiet=True,
                          no_gradebook=args.no_gradebook)
    print(f"measuring the start-up of {args.workers} warm workers ...", flush=True)
    started = time.perf_counter()
    pool = WorkerPool(args.workers, config, base / "startup.log")
    startup_seconds = time.perf_counter() - started
    pool.close()

    print(f"grading with grade_class, {args.workers} workers ...", flush=True)
    started = time.perf_counter()
    outcome = grade_class(config, [str(submitted)] if args.no_gradebook else [])
    ours_seconds = time.perf_counter() - started
    ours = {(r.student, r.assignment): {test.grade_id: test.points for test in r.tests} for r in outcome.results}
    missing = [key for key in kinds if key not in ours]
    if missing:
        print(f"our grader gave no result for {missing}")
        return 1

    same = {key: ours[key] == theirs.get(key) for key in kinds}
    honest = [key for key, kind in kinds.items() if kind == "honest"]
    without = max(ours_seconds - startup_seconds, 1e-9)
    rows = [
        ("nbgrader autograde (one command per assignment)", nbgrader_seconds),
        (f"grade_class, {args.workers} workers, with start-up", ours_seconds),
        (f"grade_class, {args.workers} workers, without start-up", without),
    ]
    print()
    print(f"{'grader':<58}{'total s':>10}{'s/submission':>15}")
    for label, seconds in rows:
        print(f"{label:<58}{seconds:>10.1f}{seconds / count:>15.2f}")
    print(f"{'worker start-up alone':<58}{startup_seconds:>10.1f}")
    print(f"\nspeed-up over nbgrader: {nbgrader_seconds / ours_seconds:.1f}x with start-up, "
          f"{nbgrader_seconds / without:.1f}x without start-up ({os.cpu_count()} CPUs here)")
    print(f"honest submissions with identical per-test scores: "
          f"{'yes' if all(same[k] for k in honest) else 'NO'} ({sum(same[k] for k in honest)}/{len(honest)})")
    print(f"all submissions with identical per-test scores: {sum(same.values())}/{count}")
    for key in sorted(k for k, equal in same.items() if not equal and not args.skip_nbgrader):
        print(f"  differs: {key[0]}/{key[1]} ({kinds[key]}): ours {ours[key]} nbgrader {theirs.get(key)}")
    if args.dask:
        dask_rows(args, config, submitted, base, count, without, ours)
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)
    return 0


def dask_rows(args, config: GraderConfig, submitted: Path, base: Path, count: int, pool_without: float,
              pool_scores: dict) -> None:
    """The same batch on a LocalCluster of ``args.workers`` processes (see the module docstring)."""
    from autograder.grader.cluster import DaskBackend, cluster_backend

    dask_config = config.replace(cluster=f"local:{args.workers}", out=str(base / "dask-out"))
    print(f"\nmeasuring the start-up of a LocalCluster of {args.workers} warm workers ...", flush=True)
    started = time.perf_counter()
    DaskBackend(dask_config, local_workers=args.workers).close()
    startup = time.perf_counter() - started
    print(f"grading with grade_class on LocalCluster({args.workers}) ...", flush=True)
    started = time.perf_counter()
    paths = [str(submitted)] if config.no_gradebook else []   # as the pool's run: the same recorders
    outcome = grade_class(dask_config, paths, backend=cluster_backend(dask_config), log=lambda line: None)
    total = time.perf_counter() - started
    without = max(total - startup, 1e-9)
    theirs = {(r.student, r.assignment): {t.grade_id: t.points for t in r.tests} for r in outcome.results}
    same = sum(theirs.get(key) == points for key, points in pool_scores.items())
    cost = without * args.workers / count
    print()
    print(f"{'Dask':<58}{'total s':>10}{'s/submission':>15}")
    print(f"{f'grade_class, LocalCluster({args.workers}), with start-up':<58}{total:>10.1f}{total / count:>15.2f}")
    print(f"{f'grade_class, LocalCluster({args.workers}), without start-up':<58}{without:>10.1f}{without / count:>15.2f}")
    print(f"{'LocalCluster start-up alone':<58}{startup:>10.1f}")
    print(f"\noverhead of Dask over the local pool (without start-up): {without / pool_without:.2f}x")
    print(f"per-submission cost: {cost:.2f} worker-seconds ({args.workers} workers x {without:.1f} s / {count})")
    print(f"same per-test scores as the local pool: {same}/{len(pool_scores)}")
    print(f"\non paper: hosts of {args.cores_per_host} cores, one single-threaded Dask worker per core")
    print(f"{'hosts':>6}{'workers':>9}{'submissions/hour':>18}{'2,000 take':>12}{'100,000 take':>14}")
    for hosts in (1, 4, 16, 64):
        workers = hosts * args.cores_per_host
        rate = workers / cost
        print(f"{hosts:>6}{workers:>9}{rate * 3600:>18,.0f}{_duration(2000 / rate):>12}{_duration(100000 / rate):>14}")


def _duration(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds < 5400 else f"{seconds / 3600:.1f} h"


if __name__ == "__main__":
    sys.exit(main())
