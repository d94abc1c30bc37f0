"""``python -m autograder grade``: grade a batch of submissions in sandboxes.

Examples:
    python -m autograder grade                          # <course>/submitted/*/*/ (nbgrader's tree)
    python -m autograder grade submissions/ --assignment 02_single_layer
    python -m autograder grade alice.ipynb bob.ipynb --workers 2 --force

Each submission runs in its own sandbox (no network, no access to the course's files,
memory, CPU-time and process limits); the tests run in this trusted process, from the
instructor's source notebooks. Results go to --out (grades.csv, per-student results.json
and feedback.html) and, for an nbgrader course, to its gradebook and autograded/ folder.
Re-running skips submissions already graded with the same inputs and settings.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .grader.batch import Course, GradingError, Settings, WorkerPool, discover
from .grader.gradebook import GradebookError, check_gradebook, record
from .grader.reports import load_result, summary_table, write_csv, write_submission_reports
from .grader.run import Limits
from .grader.submission import SourceCache


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    grade = sub.add_parser("grade", help="grade submissions")
    grade.add_argument("paths", nargs="*", help="notebooks, folders of notebooks, or a submitted/ tree "
                       "(default: <course>/submitted)")
    grade.add_argument("--course", default=".", help="the course folder (with solutions/ or source/)")
    grade.add_argument("--assignment", help="grade only this assignment")
    grade.add_argument("--out", help="output folder (default: <course>/graded)")
    grade.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    grade.add_argument("--force", action="store_true", help="regrade even unchanged submissions")
    grade.add_argument("--gradebook", help="nbgrader gradebook URL (default: <course>/gradebook.db "
                       "when grading the course's submitted/ tree)")
    grade.add_argument("--no-gradebook", action="store_true", help="do not write to nbgrader's gradebook")
    grade.add_argument("--cell-timeout", type=float, default=60, help="seconds per notebook cell")
    grade.add_argument("--test-timeout", type=float, default=120, help="seconds per test cell")
    grade.add_argument("--submission-timeout", type=float, default=900, help="seconds per submission")
    grade.add_argument("--memory-mb", type=int, default=2048, help="memory per submission")
    grade.add_argument("--require-isolation", action="store_true",
                       help="refuse to grade where namespaces (no network, hidden files) are unavailable")
    grade.add_argument("--quiet", action="store_true", help="no progress bar or table")
    args = parser.parse_args(argv)
    try:
        return grade_command(args)
    except (GradingError, GradebookError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def grade_command(args) -> int:
    course = Course.at(args.course)
    out = Path(args.out).resolve() if args.out else course.root / "graded"
    settings = Settings(Limits(args.cell_timeout, args.test_timeout, args.submission_timeout),
                        memory_bytes=args.memory_mb * 2**20)
    jobs, problems = discover(course, args.paths, args.assignment, settings.fingerprint())
    for problem in problems:
        print(f"note: {problem}", file=sys.stderr)
    db_url = None if args.no_gradebook else args.gradebook or (
        f"sqlite:///{course.root / 'gradebook.db'}" if not args.paths else None)

    if db_url and jobs:
        check_gradebook(db_url, {job.assignment for job in jobs})
    todo = [job for job in jobs if args.force or not _already_graded(out, job)]
    if len(todo) < len(jobs):
        print(f"{len(jobs) - len(todo)} submission(s) already graded and unchanged (use --force to regrade)",
              file=sys.stderr)
    results = []
    if todo:
        pool = WorkerPool(max(1, min(args.workers, len(todo))), settings, out / "grader.log")
        try:
            if not all(ready.get("strong") for ready in pool.isolation):
                reason = next(r.get("reason") for r in pool.isolation if not r.get("strong"))
                if args.require_isolation:
                    raise GradingError(f"strong isolation is unavailable ({reason})")
                print(f"\nWARNING: sandboxes are WEAK here ({reason}): submissions run in their own "
                      "process with time and memory limits, but CAN read files and use the network.\n",
                      file=sys.stderr)
            sources = SourceCache()
            progress = _progress(pool.results(todo, sources), len(todo), args.quiet)
            by_key = {(job.student, job.assignment, job.notebook): job for job in todo}
            for result in progress:
                write_submission_reports(out, result)
                job = by_key[(result.student, result.assignment, result.notebook)]
                if db_url:
                    try:
                        record(course, db_url, result, job.submission)
                    except Exception as error:  # the result is safe in --out; say what failed
                        print(f"warning: could not record {result.student}/{result.assignment} in "
                              f"the gradebook: {error}", file=sys.stderr)
                results.append(result)
        finally:
            pool.close()
    csv_path = write_csv(out)
    everything = [load_result(out, j.assignment, j.student, j.notebook) for j in jobs]
    if not args.quiet:
        print(summary_table([r for r in everything if r is not None]))
        print(f"\ngrades: {csv_path}\nper student: {out}/<assignment>/<student>/feedback.html, results.json"
              + (f"\ngradebook: {db_url}" if db_url else ""))
    return 0


def _already_graded(out: Path, job) -> bool:
    stored = load_result(out, job.assignment, job.student, job.notebook)
    return stored is not None and stored.key == job.key


def _progress(results, total: int, quiet: bool):
    if quiet:
        return results
    from coursekit.progress import ProgressBar

    return ProgressBar(results, total=total, desc="grading", file=sys.stderr, updates=max(total, 1))


if __name__ == "__main__":
    sys.exit(main())
