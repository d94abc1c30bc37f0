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
    args = parser.parse_args(argv)
    from .grader.batch import grade_class
    from .grader.errors import GradingError
    from .grader.gradebook import GradebookError
    from .grader.reports import summary_table

    try:
        config = config_from(args)
    except ValueError as error:   # a value GraderConfig refuses (e.g. --workers 0)
        parser.error(str(error))
    try:
        outcome = grade_class(config, args.paths, progress=None if config.quiet else progress_bar)
    except (GradingError, GradebookError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if not config.quiet:
        print(summary_table(outcome.results))
        print(f"\ngrades: {outcome.csv}\nper student: {outcome.out}/<assignment>/<student>/feedback.html, "
              "results.json" + (f"\ngradebook: {outcome.gradebook}" if outcome.gradebook else ""))
    return 0


def progress_bar(results, total: int):
    from coursekit.progress import ProgressBar

    return ProgressBar(results, total=total, desc="grading", file=sys.stderr, updates=max(total, 1))


if __name__ == "__main__":
    sys.exit(main())
