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

from .checks import as_array, call, check_close, check_dtype, check_shape, fail

__all__ = [
    "call_returning_tuple", "check_dtype_kept", "check_finite", "check_inputs_unmodified",
    "check_repeatable", "check_returns_tuple", "check_shapes",
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
