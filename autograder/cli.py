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
import dataclasses
import sys

from .config import GraderConfig


def option_parser(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add one option per ``GraderConfig`` field: its flag, type, default and help come from
    the field (the one place each is defined)."""
    defaults = GraderConfig()
    for item in dataclasses.fields(GraderConfig):
        flag, help_text = item.metadata["flag"], item.metadata["help"]
        default = getattr(defaults, item.name)
        if isinstance(default, bool):
            parser.add_argument(flag, dest=item.name, action="store_true", help=help_text)
            continue
        kind = {"int": int, "float": float}.get(str(item.type), str)
        if default is not None and "default" not in help_text:
            help_text += " (default: %(default)s)"
        parser.add_argument(flag, dest=item.name, type=kind, default=default, help=help_text,
                            metavar=item.metadata["metavar"])
    return parser


def config_from(args: argparse.Namespace) -> GraderConfig:
    return GraderConfig(**{item.name: getattr(args, item.name) for item in dataclasses.fields(GraderConfig)})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    grade = sub.add_parser("grade", help="grade submissions")
    grade.add_argument("paths", nargs="*", help="notebooks, folders of notebooks, or a submitted/ tree "
                       "(default: <course>/submitted)")
    option_parser(grade)
    add_export_parser(sub)
    add_gradescope_parser(sub)
    args = parser.parse_args(argv)
    if args.command == "export":
        return export_command(args)
    if args.command == "gradescope":
        return gradescope_command(args)
    from .grader.batch import grade_class
    from .grader.errors import GradingError
    from .grader.gradebook import GradebookError
    from .grader.reports import summary_table

    try:
        config = config_from(args)
    except ValueError as error:   # a value GraderConfig refuses (e.g. --workers 0)
        parser.error(str(error))
    try:
        outcome = grade_class(config, args.paths, backend=backend_for(config),
                              progress=None if config.quiet else progress_bar)
    except (GradingError, GradebookError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if not config.quiet:
        print(summary_table(outcome.results))
        print(f"\ngrades: {outcome.csv}\nper student: {outcome.out}/<assignment>/<student>/feedback.html, "
              "results.json" + (f"\ngradebook: {outcome.gradebook}" if outcome.gradebook else ""))
    return 0


def backend_for(config: GraderConfig):
    """The local pool, or a Dask cluster when ``--scheduler`` or ``--cluster`` is given."""
    from .grader.batch import local_pool

    if not (config.scheduler or config.cluster):
        return local_pool
    from .grader.cluster import cluster_backend

    return cluster_backend(config)


def add_export_parser(sub) -> None:
    export = sub.add_parser("export", help="grades into the LMS (a Canvas gradebook CSV)",
                            description="Write canvas_import.csv (Canvas's gradebook import layout, students "
                            "matched by SIS Login ID) and grades_long.csv from nbgrader's gradebook.")
    export.add_argument("--canvas", required=True, metavar="COURSE_CSV",
                        help="the course's gradebook as exported from Canvas (Grades -> Export): its roster")
    export.add_argument("--course", default=".", help="the course folder (default: %(default)s)")
    export.add_argument("--gradebook", metavar="URL", help="nbgrader gradebook URL (default: <course>/gradebook.db)")
    export.add_argument("--out", metavar="DIR", help="output folder (default: <course>/exports)")
    export.add_argument("--late", metavar="RULE", default="none",
                        help="late rule: none, or P%%/day with optional ,max=M%% and ,grace=MINUTES "
                        "(e.g. 10%%/day,max=50%%) (default: %(default)s)")
    export.add_argument("--missing", choices=("blank", "zero"), default="blank",
                        help="a student with no submission: a blank cell (Canvas keeps its grade) or 0 "
                        "(default: %(default)s)")
    export.add_argument("--assignment", action="append", metavar="NAME",
                        help="export only this assignment (repeatable; default: all)")


def export_command(args) -> int:
    from pathlib import Path

    from . import lms

    course = Path(args.course).resolve()
    db_url = args.gradebook or f"sqlite:///{course / 'gradebook.db'}"
    if db_url.startswith("sqlite:///") and not Path(db_url[len("sqlite:///"):]).is_file():
        print(f"error: no gradebook at {db_url[len('sqlite:///'):]} (grade first, or give --gradebook)",
              file=sys.stderr)
        return 2
    try:
        summary = lms.export_canvas(args.canvas, db_url, args.out or course / "exports",
                                    policy=lms.LatePolicy.parse(args.late), assignments=args.assignment,
                                    missing=args.missing)
    except (lms.ExportError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print("\n".join(summary.lines()))
    return 0


def add_gradescope_parser(sub) -> None:
    gradescope = sub.add_parser("gradescope", help="build a Gradescope autograder bundle for one assignment")
    gradescope.add_argument("assignment", help="the assignment (a folder of the course's source folder)")
    gradescope.add_argument("-o", "--output", default="autograder.zip", help="the zip to write (default: %(default)s)")
    gradescope.add_argument("--course", default=".", help="the course folder (default: %(default)s)")
    gradescope.add_argument("--hidden-visibility", default="after_published",
                            choices=("hidden", "after_due_date", "after_published", "visible"),
                            help="when students see the outcome of test cells with hidden tests "
                            "(default: %(default)s)")
    gradescope.add_argument("--allow-weak", action="store_true",
                            help="grade even where Gradescope's container has no namespaces (the student's "
                            "code could then read the instructor's source)")


def gradescope_command(args) -> int:
    from .gradescope import BundleError, build_bundle

    try:
        built = build_bundle(args.course, args.assignment, args.output, hidden_visibility=args.hidden_visibility,
                             allow_weak=args.allow_weak)
    except BundleError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {built} (upload it as the assignment's autograder on Gradescope)")
    return 0


def progress_bar(results, total: int):
    from coursekit.progress import ProgressBar

    return ProgressBar(results, total=total, desc="grading", file=sys.stderr, updates=max(total, 1))


if __name__ == "__main__":
    sys.exit(main())
