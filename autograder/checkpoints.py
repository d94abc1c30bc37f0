"""Checks for derivation checkpoints: small cases a student works by hand and enters as numbers.

A checkpoint is a graded function with no arguments, ``checkpoint_<what>()``, whose body
returns literal numbers (a nested list, a tuple or an array; fractions written as Python
expressions, ``3 / 16``, are fine). Its test cell has two parts:

- visible: ``checks.call`` and ``check_form`` only, numbers of the right shape. The values are never shown,
  since they are the answer;
- hidden: ``check_answer`` compares with a reference the test computes from the given numbers
  and, when the student's numbers equal those of a known wrong step (a transpose, a missing
  1/N, a flipped sign), says which step went wrong. It never prints the expected numbers.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from . import hints
from .checks import check_shape, fail
from .contracts import check_finite

__all__ = ["check_answer", "check_form"]

# Hand-worked answers are exact fractions, entered as decimals or as Python fractions: 1e-6
# accepts six significant digits (0.333333 for 1/3) and rejects every mistake that changes a
# number by more than that (the known mistakes change them by factors such as 2, -1 or 1/2).
RTOL, ATOL = 1e-6, 1e-9


def check_form(got, shape: tuple, *, name: str) -> np.ndarray:
    """What ``checkpoint()`` returned is finite numbers of ``shape`` (a nested list, a tuple or
    an array). Returns them as a float64 array. Says nothing about the values."""
    got = check_finite(got, name=name, output="your answer")
    check_shape(got, shape, name=name, output="your answer")
    return got.astype(np.float64)


def check_answer(got, expected, *, name: str, mistakes: Mapping[str, object] | None = None,
                 batch_size: int | None = None, slips: bool = False) -> None:
    """``got`` equals ``expected`` (to RTOL, ATOL); otherwise fail, naming the step that went
    wrong when ``got`` equals one of ``mistakes`` (``{"what went wrong": its numbers}``).

    Mistakes whose numbers equal the right answer are skipped, so a correct answer never fails.
    With ``slips``, an answer wrong in a single number, or in a single row of a matrix of several
    rows, and matching no mistake, is reported as an arithmetic slip (the method is right).
    """
    got = np.asarray(got, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    check_shape(got, expected.shape, name=name, output="your answer", batch_size=batch_size)
    if _close(got, expected):
        return
    for message, numbers in (mistakes or {}).items():
        numbers = np.asarray(numbers, dtype=np.float64)
        if numbers.shape == expected.shape and not _close(numbers, expected) and _close(got, numbers):
            fail(f"{name}: your numbers are what you get when {message}.")
    wrong = np.argwhere(~np.isclose(got, expected, rtol=RTOL, atol=ATOL))
    where = ", ".join("(" + ", ".join(str(int(i)) for i in index) + ")" for index in wrong[:6])
    known = hints.value_hint(got, expected, batch_size) or (_slip_hint(wrong, got.shape) if slips else None)
    fail(f"{name}: {len(wrong)} of your {got.size} numbers {'is' if len(wrong) == 1 else 'are'} "
         f"wrong, at index {where}."
         + (f"\n  hint: {known}" if known else
            "\n  hint: redo the derivation step by step on this small case: which outputs does "
            "each entry influence, and with which factor?"))


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.all(np.abs(a - b) <= RTOL * np.abs(b) + ATOL))


def _slip_hint(wrong: np.ndarray, shape: tuple) -> str | None:
    """The hint for wrong entries confined to one number, or to one row of several."""
    if len(wrong) == 1 and int(np.prod(shape)) > 1:
        return ("only this one number is wrong, the others are right: your method works; redo the "
                "arithmetic of this entry")
    rows = {int(index[0]) for index in wrong}
    if len(shape) == 2 and shape[0] > 1 and len(rows) == 1:
        return (f"only row {rows.pop()} is wrong, the other rows are right: your method works; redo "
                "the arithmetic of that row")
    return None
