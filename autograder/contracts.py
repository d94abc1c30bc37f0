"""Named contract checks, so that a visible test reads as a few lines a student can follow.

Every graded function shares one contract (CONTRIBUTING.md, "The graded API"): it returns the
documented kinds of values, keeps its input's dtype and never modifies its inputs. Each
function below checks one clause of it and fails through ``autograder.checks`` with a message
that names the graded function.

They work in both places a test cell runs: in the student's kernel and in the grader's trusted
process, where the graded function is a proxy into a sandbox. So they call graded functions
only through ``checks.call``, pass only plain data, and never look inside what a graded
function returns as a cache.

A flat module of small functions: add new contract checks at the end, each with a docstring.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from .checks import CheckFailure, as_array, call, check_close, check_dtype, check_scalar, check_shape, fail

__all__ = [
    "call_returning_tuple", "check_dtype_kept", "check_finite", "check_inputs_unmodified",
    "check_repeatable", "check_returns_tuple", "check_shapes",
    "call_explained", "check_close_explained", "check_gradient_explained", "check_scalar_explained",
    "first_match", "matches",
    "with_hint",
]


def check_inputs_unmodified(fn: Callable, *args, name: str | None = None,
                            forbid_warnings: bool = False, **kwargs):
    """Call ``fn(*args, **kwargs)``; fail if it changed any array argument (also inside dicts,
    lists and tuples) in place, or raised. Returns what ``fn`` returned."""
    return call(fn, *args, name=name, forbid_warnings=forbid_warnings, **kwargs)


def check_returns_tuple(result, fields: Sequence[str], *, name: str) -> tuple:
    """``result`` is a tuple of ``len(fields)`` values, e.g. ``fields=("dx", "dW", "db")``;
    returns it. The message names the fields, so the student sees what was expected."""
    if not (isinstance(result, tuple) and len(result) == len(fields)):
        got = (f"a tuple of {len(result)}" if isinstance(result, tuple)
               else getattr(result, "type_name", type(result).__name__))
        fail(f"{name} should return a tuple ({', '.join(fields)}); got {got}.")
    return result


def call_returning_tuple(fn: Callable, *args, fields: Sequence[str], name: str | None = None,
                         forbid_warnings: bool = False, **kwargs) -> tuple:
    """``check_inputs_unmodified`` then ``check_returns_tuple``: the usual first line of a test
    of a function that returns several values."""
    name = name or getattr(fn, "__name__", "the function")
    result = check_inputs_unmodified(fn, *args, name=name, forbid_warnings=forbid_warnings, **kwargs)
    return check_returns_tuple(result, fields, name=name)


def check_shapes(outputs: Mapping[str, object], shapes: Mapping[str, tuple], *, name: str,
                 batch_size: int | None = None) -> None:
    """Every ``outputs[key]`` is an array of shape ``shapes[key]`` (a gradient has the shape of
    what it differentiates: ``{"dW": W.shape, ...}``)."""
    for key, shape in shapes.items():
        check_shape(outputs[key], shape, name=name, output=key, batch_size=batch_size)


def check_dtype_kept(outputs: Mapping[str, object], dtype, *, name: str) -> None:
    """Every output has the input's ``dtype`` (float32 in, float32 out)."""
    for key, value in outputs.items():
        check_dtype(value, dtype, name=name, output=key)


def check_repeatable(first: Sequence, second: Sequence, fields: Sequence[str], *, name: str,
                     what: str = "a second call with the same arguments",
                     hint: str | None = None) -> None:
    """Two calls with the same arguments gave the same outputs, exactly: the function only read
    its arguments (a backward pass that edits its cache gives a different second answer)."""
    for key, one, two in zip(fields, first, second):
        check_close(two, as_array(one, name, key), name=name, rtol=0, output=f"{key} from {what}",
                    hint=hint or "the function must only read its arguments, never change them")


def check_finite(value, *, name: str, output: str = "the result") -> np.ndarray:
    """``value`` is numbers (an array, or a nested list or tuple of numbers) with no inf or nan;
    returns it as an array."""
    array = as_array(value, name, output)
    if not np.all(np.isfinite(array)):
        index = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
        fail(f"{name}: {output} contains {array[index]} at index {index}; expected finite numbers.")
    return array


def with_hint(error: AssertionError, hint: str | None) -> AssertionError:
    """``error`` (a failed check) with ``hint`` added as a hint line, before the line that names
    the random trial, if any. Returns a new ``CheckFailure``, or ``error`` when hint is None."""
    if not hint:
        return error
    lines = str(error).split("\n")
    at = next((k for k, line in enumerate(lines) if line.startswith("  (random trial")), len(lines))
    return CheckFailure("\n".join(lines[:at] + [f"  hint: {hint}"] + lines[at:]))


def call_explained(fn: Callable, *args, explain: Callable[[str], str | None], name: str | None = None,
                   forbid_warnings: bool = False, **kwargs):
    """``checks.call``, and when it fails (an exception, a warning, an input changed), a hint
    from ``explain(message)``: a sentence that names the likely mistake, or None."""
    try:
        return call(fn, *args, name=name, forbid_warnings=forbid_warnings, **kwargs)
    except CheckFailure as error:
        raise with_hint(error, explain(str(error))) from None


def check_close_explained(got, expected, *, explain: Callable[[], str | None], **kwargs) -> None:
    """``checks.check_close``, with a hint computed only when the check fails: ``explain()``
    compares ``got`` with what known mistakes give and returns the sentence for the one it
    matches (or None). It comes first, before any ``hint=`` passed here."""
    try:
        check_close(got, expected, **kwargs)
    except CheckFailure:
        found = explain()
        if not found:
            raise
        check_close(got, expected, **{**kwargs, "hint": "; ".join(
            text for text in (found, kwargs.get("hint")) if text)})


def check_scalar_explained(got, expected, *, explain: Callable[[], str | None], **kwargs) -> None:
    """``checks.check_scalar`` with a hint computed only on failure (see check_close_explained)."""
    try:
        check_scalar(got, expected, **kwargs)
    except CheckFailure:
        found = explain()
        if not found:
            raise
        check_scalar(got, expected, **{**kwargs, "hint": "; ".join(
            text for text in (found, kwargs.get("hint")) if text)})


def matches(got, candidate, expected=None, *, rtol: float = 1e-6) -> bool:
    """``got`` equals ``candidate`` (what a known mistake gives), which differs from ``expected``:
    same shape, inf and nan in the same places, the finite entries within rtol of the
    candidate's scale, and much closer to the candidate than the candidate is to ``expected``."""
    try:
        got = np.asarray(got, dtype=np.float64)
        candidate = np.asarray(candidate, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    if got.shape != candidate.shape or not _same_nonfinite(got, candidate):
        return False
    finite = np.isfinite(candidate)
    scale = max(float(np.max(np.abs(candidate[finite]), initial=0.0)), 1e-300)
    gap = float(np.max(np.abs(got[finite] - candidate[finite]), initial=0.0))
    distance = np.inf
    if expected is not None:
        expected = np.asarray(expected, dtype=np.float64)
        if expected.shape == candidate.shape and _same_nonfinite(expected, candidate):
            distance = float(np.max(np.abs(expected[finite] - candidate[finite]), initial=0.0))
            if distance <= 1e-12 * scale:
                return False          # this "mistake" gives the right answer here
    return gap <= min(rtol * scale, 0.01 * distance)


def _same_nonfinite(a: np.ndarray, b: np.ndarray) -> bool:
    finite = np.isfinite(a)
    return bool(np.array_equal(finite, np.isfinite(b))
                and np.array_equal(a[~finite], b[~finite], equal_nan=True))


def first_match(got, candidates, expected=None, *, rtol: float = 1e-6) -> str | None:
    """The hint of the first ``(hint, value)`` in ``candidates`` whose value ``got`` matches."""
    for hint, value in candidates:
        if value is not None and matches(got, value, expected, rtol=rtol):
            return hint
    return None


def check_gradient_explained(f: Callable, x, analytic, *, explain: Callable[[], str | None],
                             **kwargs) -> None:
    """``checks.check_gradient`` with a hint computed only on failure (see check_close_explained)."""
    from .checks import check_gradient

    try:
        check_gradient(f, x, analytic, **kwargs)
    except CheckFailure:
        found = explain()
        if not found:
            raise
        check_gradient(f, x, analytic, **{**kwargs, "hint": "; ".join(
            text for text in (found, kwargs.get("hint")) if text)})
