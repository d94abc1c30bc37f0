"""Recognise well-known mistakes from a wrong answer, so a failure can say what went wrong.

Each detector looks at ``got`` and ``expected`` (and the batch size when the test knows it)
and returns a hint sentence or None. ``diagnose`` runs them all, most specific first.
"""

from __future__ import annotations

import numpy as np


def shape_hint(got_shape: tuple, expected_shape: tuple, batch_size: int | None = None, *,
               product: bool = False) -> str | None:
    """Explain a shape mismatch: transposed (the matrix product named only with ``product``:
    the caller's output comes from one), reshaped, batch axis lost, keepdims."""
    if len(got_shape) == 2 and got_shape == expected_shape[::-1]:
        if product:
            return "the shape is transposed: check the order of the matrix product (x @ W vs W @ x, or a missing .T)"
        return "the shape is transposed: rows and columns are swapped"
    if got_shape == expected_shape[1:] and batch_size and expected_shape[:1] == (batch_size,):
        return "the batch axis is missing: did you sum or average over axis 0 where each row needs its own value?"
    if _without_ones(got_shape) == _without_ones(expected_shape):
        return "an axis of size 1 differs: use keepdims=True where you broadcast, and drop it where you return"
    if int(np.prod(got_shape)) == int(np.prod(expected_shape)):
        return "same number of elements, different shape: a reshape or axis order went wrong"
    if got_shape == ():
        return "you returned a single number where an array was expected: is a sum or mean too many?"
    return None


def value_hint(got: np.ndarray, expected: np.ndarray, batch_size: int | None = None, *,
               product: bool = False) -> str | None:
    """Explain wrong values of the right shape, each hint only where its precondition holds:

    - every value zero: ``expected`` has a nonzero value;
    - a named factor (-1, the batch size N or 1/N, 2 or 1/2): got == c * expected for that c;
    - any other constant factor: at least two nonzero expected values (for one number, any
      mismatch is "a constant factor", which says nothing);
    - a transpose: ``product`` (the caller says the result comes from a matrix product), a
      square result of size > 1 and an ``expected`` that is not symmetric.
    """
    got = np.asarray(got, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if not (np.all(np.isfinite(got)) and np.all(np.isfinite(expected))):
        return None
    if np.max(np.abs(expected), initial=0) > 0 and np.max(np.abs(got), initial=0) == 0:
        return "every value is zero: is the function still a stub, or does the gradient never reach this input?"
    factor = _best_factor(got, expected)
    if factor is not None:
        named = _named_factor_hint(factor, batch_size)
        if named or np.count_nonzero(expected) >= 2:
            return named or (f"your values are a constant {factor:.4g} times the expected ones: "
                             "look for a missing or extra scale factor")
    if (product and got.ndim == 2 and got.shape[0] == got.shape[1] and got.shape[0] > 1
            and not np.allclose(expected, expected.T, rtol=1e-6, atol=1e-12)
            and np.allclose(got, expected.T, rtol=1e-6, atol=1e-12)):
        return "your result is the transpose of the expected one: check the order of a matrix product"
    return None


def diagnose(got, expected, batch_size: int | None = None, *, product: bool = False) -> str | None:
    got, expected = np.asarray(got), np.asarray(expected)
    if got.shape != expected.shape:
        return shape_hint(got.shape, expected.shape, batch_size, product=product)
    return value_hint(got, expected, batch_size, product=product)


def _without_ones(shape: tuple) -> tuple:
    return tuple(size for size in shape if size != 1)


def _best_factor(got: np.ndarray, expected: np.ndarray) -> float | None:
    """c if got == c * expected (to 1e-6) for a constant c other than 1, else None."""
    denominator = float(np.sum(expected * expected))
    if denominator == 0:
        return None
    c = float(np.sum(got * expected)) / denominator
    residual = np.max(np.abs(got - c * expected)) / max(np.max(np.abs(got)), np.max(np.abs(expected)))
    if residual > 1e-6 or abs(c - 1) < 1e-6 or c == 0:
        return None
    return c


def _named_factor_hint(c: float, batch_size: int | None) -> str | None:
    """The hint for a factor that names a mistake (-1, N, 1/N, 2, 1/2), else None."""
    def near(value: float) -> bool:
        return abs(c - value) <= 1e-6 * max(1.0, abs(value))

    if near(-1):
        return "the sign is flipped: check the direction of a subtraction or a minus sign in the derivative"
    if batch_size and batch_size > 1:
        if near(batch_size):
            return (f"your values are {batch_size} times too large, and {batch_size} is the batch size: "
                    "that is what the gradient of the loss summed over the batch gives; look at how "
                    "the loss treats the batch and follow it to this result")
        if near(1 / batch_size):
            return (f"your values are {batch_size} times too small, and {batch_size} is the batch size: "
                    "did you average over the batch twice (once in the loss gradient and again here)?")
        if near(-batch_size) or near(-1 / batch_size):
            return "the sign is flipped and the scale is off by the batch size: check both"
    if near(2) or near(0.5):
        return (f"your values are {c:g} times the expected ones: a factor 2 gained or lost; look at "
                "each square in the function (its derivative) and each 1/2 in front of one")
    return None
