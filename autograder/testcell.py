"""Run one test cell's source against a namespace of graded functions.

The namespace holds the student's functions: real ones (the bug catalog, unit tests) or
proxies into a sandbox (the course grader). Scoring follows nbgrader's rule for test cells:
full points unless the cell raises; if its last line is an expression whose value is a
number, that number is the (partial) score.
"""

from __future__ import annotations

import ast
import contextlib
import io
import traceback
from dataclasses import dataclass

from .checks import CheckFailure, forget_trial


@dataclass
class TestOutcome:
    """What one test cell earned, wherever it ran (the grader, the bug catalog, the course
    build). ``message`` is empty when it passed; it never holds the test's source.
    ``output``: what the cell printed (kept where the cell ran; results the grader stores
    leave it out, since a test cell may print what its hidden part computes)."""

    __test__ = False   # not a pytest test class

    grade_id: str
    points: float
    max_points: float
    message: str = ""
    output: str = ""

    @property
    def passed(self) -> bool:
        return self.points >= self.max_points

    @classmethod
    def failed(cls, grade_id: str, max_points: float, message: str, output: str = "") -> "TestOutcome":
        return cls(grade_id, 0.0, max_points, message, output)

    def to_json(self) -> dict:
        """The stored form: everything but ``output``."""
        return {"grade_id": self.grade_id, "points": self.points, "max_points": self.max_points,
                "message": self.message}

    @classmethod
    def from_json(cls, data: dict) -> "TestOutcome":
        return cls(str(data["grade_id"]), float(data["points"]), float(data["max_points"]),
                   str(data.get("message", "")))


def run_test_cell(source: str, namespace: dict, *, grade_id: str, max_points: float) -> TestOutcome:
    """Execute ``source`` in ``namespace`` and score it; never raises for a failing test.
    """
    forget_trial()
    printed = io.StringIO()
    try:
        body, last = _split_last_expression(source, grade_id)
        with contextlib.redirect_stdout(printed):
            exec(body, namespace)
            value = eval(last, namespace) if last is not None else None
    except CheckFailure as failure:
        return TestOutcome.failed(grade_id, max_points, str(failure), printed.getvalue())
    except AssertionError as failure:
        return TestOutcome.failed(grade_id, max_points, _describe(failure, grade_id), printed.getvalue())
    except Exception as error:  # anything else a test or a student's function raised
        return TestOutcome.failed(grade_id, max_points, _describe(error, grade_id), printed.getvalue())
    finally:
        forget_trial()
    return TestOutcome(grade_id, _partial_points(value, max_points), max_points, "", printed.getvalue())


def _split_last_expression(source: str, grade_id: str):
    """Compile ``source`` as statements plus (like IPython) a trailing expression, if any."""
    tree = ast.parse(source, filename=f"<test {grade_id}>")
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = compile(ast.Expression(tree.body.pop().value), f"<test {grade_id}>", "eval")
    return compile(tree, f"<test {grade_id}>", "exec"), last


def _partial_points(value, max_points: float) -> float:
    """nbgrader's partial credit: a numeric result in [0, max_points] is the score."""
    if value is None:
        return max_points
    try:
        points = float(repr(value))  # nbgrader parses the text/plain of the result
    except (TypeError, ValueError):
        return max_points
    if points < 0:
        return max_points
    return min(points, max_points)


def _describe(error: BaseException, grade_id: str) -> str:
    """A failure message without the test's source: the exception and where it came from."""
    text = f"{type(error).__name__}: {error}".rstrip(": ")
    if isinstance(error, AssertionError) and not str(error):
        frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == f"<test {grade_id}>"]
        text = f"an assertion failed (test line {frames[-1].lineno})" if frames else "an assertion failed"
    remote = getattr(error, "remote_traceback", None)
    if remote:
        text += "\n" + remote.rstrip()
    return text
