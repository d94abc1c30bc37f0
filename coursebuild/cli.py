"""``python -m coursebuild <command>``: the instructor's build tasks.

    build      the main job: execute every solution notebook, check its tests and accuracy,
               regenerate the release, write HTML copies, print the summary table
    release    regenerate provided.py files and the student release (nbgrader)
    provided   regenerate provided.py files only
    check      verify provided.py files and the release are in sync with solutions/
    book       build the self-study book into build/book/ from the executed notebooks the main
               job saved in build/executed/ (executing only those missing or out of date)
"""

from __future__ import annotations

import argparse
import sys

from .course import assignment, existing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m coursebuild", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["build", "release", "provided", "check", "book"])
    parser.add_argument("assignments", nargs="*",
                        help="assignment names or prefixes (default: all): e.g. 02 03_multilayer")
    args = parser.parse_args(argv)
    chosen = tuple(assignment(name) for name in args.assignments) or existing()

    if args.command == "build":
        from .build import build
        return 0 if build(chosen) else 1
    if args.command == "book":
        from .book import main as book
        return book(chosen)
    if args.command == "provided":
        from .provided import write_provided
        for path in write_provided(chosen):
            print(f"wrote {path}")
        return 0
    if args.command == "release":
        from .provided import write_provided
        from .release import generate_release
        write_provided(chosen)
        for path in generate_release(chosen):
            print(f"wrote {path}")
        return 0
    from .sync import release_problems
    problems = release_problems(chosen)
    for problem in problems:
        print(problem)
    print("in sync" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
