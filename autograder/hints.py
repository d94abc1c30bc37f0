"""Recognise well-known mistakes from a wrong answer, so a failure can say what went wrong.

Each detector looks at ``got`` and ``expected`` (and the batch size when the test knows it)
and returns a hint sentence or None. ``diagnose`` runs them all, most specific first.
"""

from __future__ import annotations

import numpy as np


def shape_hint(got_shape: tuple, expected_shape: tuple, batch_size: int | None = None) -> str | None:
    """Explain a shape mismatch: transposed, reshaped, batch axis lost, keepdims."""
    if len(got_shape) == 2 and got_shape == expected_shape[::-1]:
        return "the shape is transposed: check the order of the matrix product (x @ W vs W @ x, or a missing .T)"
    if got_shape == expected_shape[1:] and batch_size and expected_shape[:1] == (batch_size,):
        return "the batch axis is missing: did you sum or average over axis 0 where each row needs its own value?"
    if _without_ones(got_shape) == _without_ones(expected_shape):
        return "an axis of size 1 differs: use keepdims=True where you broadcast, and drop it where you return"
    if int(np.prod(got_shape)) == int(np.prod(expected_shape)):
        return "same number of elements, different shape: a reshape or axis order went wrong"
    if got_shape == ():
        return "you returned a single number where an array was expected: is a sum or mean too many?"
    return None


def value_hint(got: np.ndarray, expected: np.ndarray, batch_size: int | None = None) -> str | None:
    """Explain wrong values of the right shape: a constant factor, a sign, a transpose, zeros."""
    got = np.asarray(got, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if not (np.all(np.isfinite(got)) and np.all(np.isfinite(expected))):
        return None
    if np.max(np.abs(expected)) > 0 and np.max(np.abs(got)) == 0:
        return "every value is zero: is the function still a stub, or does the gradient never reach this input?"
    factor = _best_factor(got, expected)
    if factor is not None:
        return _factor_hint(factor, batch_size)
    if got.ndim == 2 and got.shape[0] == got.shape[1] and got.shape[0] > 1 \
            and np.allclose(got, expected.T, rtol=1e-6, atol=1e-12):
        return "your result is the transpose of the expected one: check the order of a matrix product"
    return None


def diagnose(got, expected, batch_size: int | None = None) -> str | None:
    got, expected = np.asarray(got), np.asarray(expected)
    if got.shape != expected.shape:
        return shape_hint(got.shape, expected.shape, batch_size)
    return value_hint(got, expected, batch_size)


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


def _factor_hint(c: float, batch_size: int | None) -> str:
    def near(value: float) -> bool:
        return abs(c - value) <= 1e-6 * max(1.0, abs(value))

    if near(-1):
        return "the sign is flipped: check the direction of a subtraction or a minus sign in the derivative"
    if batch_size and batch_size > 1:
        if near(batch_size):
            return (f"your values are {batch_size} times too large, and {batch_size} is the batch size: "
                    "the loss is the *mean* over the batch, so its gradient carries a factor 1/N")
        if near(1 / batch_size):
            return (f"your values are {batch_size} times too small, and {batch_size} is the batch size: "
                    "did you average over the batch twice (once in the loss gradient and again here)?")
        if near(-batch_size) or near(-1 / batch_size):
            return "the sign is flipped and the scale is off by the batch size: check both"
    if near(2) or near(0.5):
        return (f"your values are {c:g} times the expected ones: a factor 2 from a square "
                "(d/dx x^2 = 2x), a missing 1/2, or a batch of 2 summed instead of averaged?")
    return f"your values are a constant {c:.4g} times the expected ones: look for a missing or extra scale factor"
