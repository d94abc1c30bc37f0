"""Detectors for 01's graded functions: what a wrong result is consistent with.

Each ``*_hint`` function takes the inputs of a test case and what the student's function
returned, computes what a few well-known mistakes would return on the same inputs, and gives
the sentence for the one that matches (or None). The hints say what the result is
consistent with and where to look; they never compute or print the right answer (the
references come from the test, from PyTorch or from SciPy).

``restored_call`` calls ``numerical_gradient`` and explains a changed ``x``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .checks import CheckFailure, call, fail
from .contracts import call_explained, check_scalar_explained, first_match

__all__ = [
    "LARGE_LOGITS_HINT", "check_relative_error", "cross_entropy_hint", "explain_warning",
    "numerical_gradient_hint", "overflow_hint", "relative_error_hint",
    "relu_grad_hint", "restored_call", "sigmoid_grad_hint", "sigmoid_hint",
    "softmax_cross_entropy_grad_hint", "softmax_hint", "tanh_grad_hint",
]


def _array(value) -> np.ndarray | None:
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return array


def _quiet(function: Callable, *args):
    """function(*args) with NumPy's warnings silenced, or None if it raises."""
    try:
        with np.errstate(all="ignore"):
            return function(*args)
    except Exception:  # a mistaken reference that does not apply to these inputs
        return None


# ---------------------------------------------------------------------------- numerical_gradient

def _differences(f: Callable, x: np.ndarray, h: float, kind: str) -> np.ndarray:
    """One entry at a time on a copy of x: "forward", "backward" or "centered" differences."""
    point = np.array(x, dtype=np.float64)
    grad = np.zeros_like(point)
    for index in np.ndindex(point.shape):
        original = point[index]
        point[index] = original + h
        plus = float(f(point))
        point[index] = original - h
        minus = float(f(point))
        point[index] = original
        base = float(f(point)) if kind != "centered" else 0.0
        grad[index] = {"forward": (plus - base) / h, "backward": (base - minus) / h,
                       "centered": (plus - minus) / (2 * h)}[kind]
    return grad


def _all_at_once(f: Callable, x: np.ndarray, h: float) -> np.ndarray:
    point = np.array(x, dtype=np.float64)
    return np.full_like(point, (float(f(point + h)) - float(f(point - h))) / (2 * h))


def _first_axis_only(f: Callable, x: np.ndarray, h: float) -> np.ndarray | None:
    point = np.array(x, dtype=np.float64)
    if point.ndim < 2:
        return None
    grad = np.zeros_like(point)
    for i in range(point.shape[0]):
        original = point[i].copy()
        point[i] = original + h
        plus = float(f(point))
        point[i] = original - h
        minus = float(f(point))
        point[i] = original
        grad[i] = (plus - minus) / (2 * h)
    return grad


def numerical_gradient_hint(f: Callable, x, h: float, got) -> str | None:
    """What a wrong ``numerical_gradient(f, x, h)`` result is consistent with."""
    got, x = _array(got), np.asarray(x, dtype=np.float64)
    if got is None or got.shape != x.shape:
        return None
    centered = _quiet(_differences, f, x, h, "centered")
    if centered is None:
        return None
    candidates = [
        ("every entry is 0: f(x + h) and f(x - h) came out equal, so f never saw the perturbed "
         "point. Changing a copy (x.flatten(), x.copy()) does not change x, and two names for the "
         "same array (x_plus = x, x_minus = x) cannot hold two different points",
         np.zeros_like(x)),
        ("your values are consistent with a forward difference, (f(x + h) - f(x)) / h: its error "
         "is proportional to h, where the centered difference's is proportional to h^2",
         _quiet(_differences, f, x, h, "forward")),
        ("your values are consistent with a backward difference, (f(x) - f(x - h)) / h: its error "
         "is proportional to h, where the centered difference's is proportional to h^2",
         _quiet(_differences, f, x, h, "backward")),
        ("your values are twice the expected ones: consistent with dividing the difference by h, "
         "but the two points x - h and x + h are 2h apart", 2 * centered),
        ("every entry of your gradient is the same number, the change of f when all entries move "
         "at once: perturb one entry at a time, each by h", _quiet(_all_at_once, f, x, h)),
        ("consistent with a loop over the first axis only: x[i] is a whole row when x has two or "
         "more axes, so all entries of a row moved together; visit every entry, for any number "
         "of axes", _quiet(_first_axis_only, f, x, h)),
    ]
    if h != 1e-5:
        candidates.append((f"consistent with a step of 1e-5 instead of h = {h:g}: use the h you "
                           "are given", _quiet(_differences, f, x, 1e-5, "centered")))
    return first_match(got, candidates, centered)


def restored_call(numerical_gradient: Callable, f: Callable, x: np.ndarray, *, name: str, **kwargs):
    """``checks.call(numerical_gradient, f, x, **kwargs)``; if x comes back changed, say whether
    by rounding only (restored by adding and subtracting h) or not restored at all."""
    before = np.array(x, copy=True)
    try:
        return call(numerical_gradient, f, x, name=name, **kwargs)
    except CheckFailure as error:
        if "in place" not in str(error):
            raise
        now = np.asarray(x)
        changed = now.shape == before.shape and not np.array_equal(now, before)
        worst = float(np.max(np.abs(now - before), initial=0.0)) if changed else 0.0
        scale = max(float(np.max(np.abs(before), initial=0.0)), 1.0)
        if changed and worst <= 1e-12 * scale:
            fail(f"{name} left x changed by rounding (at most {worst:.1e}): adding and then "
                 "subtracting h does not give back the original float exactly. Save each entry "
                 "before you perturb it and assign the saved value back.")
        if changed:
            fail(f"{name} left x changed (by up to {worst:.3g}): the perturbed entries were not "
                 "restored. Put each entry back to its saved value before the next one, so that "
                 "x holds its original values when the function returns.")
        fail(f"{error}\n  hint: x must hold its original values when the function returns: "
             "assign each perturbed entry its saved value (adding and subtracting h leaves "
             "rounding errors; entries not restored at all change x by h)")


# ------------------------------------------------------------------------------- relative_error

def relative_error_hint(a, b, got) -> str | None:
    """What a wrong ``relative_error(a, b)`` (a number) is consistent with."""
    a, b, got = _array(a), _array(b), _array(got)
    if a is None or b is None or got is None or got.shape != () or a.shape != b.shape:
        return None
    diff = np.abs(a - b)
    big = max(float(np.max(np.abs(a))), float(np.max(np.abs(b))))
    expected = float(np.max(diff)) / max(big, 1e-12)
    candidates = [
        ("consistent with a relative error taken element by element (each difference divided by "
         "its own entries' size): near-zero entries then dominate. The formula divides the "
         "largest difference by the largest magnitude in either array",
         _quiet(lambda: float(np.max(diff / np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-12))))),
        ("consistent with a relative error taken element by element (|a_i - b_i| / (|a_i| + "
         "|b_i|)): the formula divides the largest difference by the largest magnitude in "
         "either array", _quiet(lambda: float(np.max(diff / np.maximum(np.abs(a) + np.abs(b), 1e-12))))),
        ("consistent with dividing by max|b| only: divide by the larger of max|a| and max|b|, "
         "so that the error is symmetric", _quiet(lambda: float(np.max(diff)) / max(float(np.max(np.abs(b))), 1e-12))),
        ("consistent with dividing by max|a| only: divide by the larger of max|a| and max|b|, "
         "so that the error is symmetric", _quiet(lambda: float(np.max(diff)) / max(float(np.max(np.abs(a))), 1e-12))),
        ("consistent with the mean of |a - b|: the formula takes the largest difference",
         float(np.mean(diff)) / max(big, 1e-12)),
        ("consistent with max(a - b) without the absolute value: differences of the other sign "
         "are missed", float(np.max(a - b)) / max(big, 1e-12)),
        ("consistent with max(b - a) without the absolute value: differences of the other sign "
         "are missed", float(np.max(b - a)) / max(big, 1e-12)),
    ]
    for floor in (1e-6, 1e-8, 1e-10, 1e-15, 1e-16):
        candidates.append((f"consistent with a floor of {floor:g} in the denominator: the floor "
                           "is 1e-12", float(np.max(diff)) / max(big, floor)))
    return first_match(got, candidates, expected, rtol=1e-9)


# ----------------------------------------------------------------------- the activation functions

def overflow_hint(dtype) -> Callable[[str], str | None]:
    """For ``contracts.call_explained``: the hint for an overflow in exp, for inputs of dtype."""
    limit = float(np.log(np.finfo(np.dtype(dtype)).max))

    def explain(message: str) -> str | None:
        if "overflow" not in message:
            return None
        return (f"exp of a large positive number overflows (in {np.dtype(dtype).name}, above "
                f"{limit:.1f}): arrange the formula so that exp only ever sees numbers <= 0, "
                "whatever the sign of x (a clip that fits float64 does not fit float32)")
    return explain


def _slope(function: Callable, points) -> np.ndarray:
    """The elementwise derivative of ``function`` at points, by centered differences (step 1e-6:
    good to ~1e-10, far finer than any mistake it is compared with)."""
    points = np.asarray(points, dtype=np.float64)
    return (function(points + 1e-6) - function(points - 1e-6)) / 2e-6


def sigmoid_hint(x, got) -> str | None:
    """What a wrong ``sigmoid(x)`` is consistent with."""
    from scipy.special import expit

    x = np.asarray(x, dtype=np.float64)
    return first_match(got, [
        ("your values are sigmoid(-x): check the sign inside the exponential", expit(-x)),
    ], expit(x))


def sigmoid_grad_hint(x, got) -> str | None:
    """What a wrong ``sigmoid_grad(x)`` (x the pre-activation) is consistent with."""
    from scipy.special import expit

    x = np.asarray(x, dtype=np.float64)
    s = expit(x)
    return first_match(got, [
        ("consistent with the sigmoid applied twice: x is the pre-activation, so sigmoid(x) is "
         "computed once and the derivative is written with it", _slope(expit, s)),
        ("consistent with your derivation's formula applied to the input x itself: x is the "
         "pre-activation, the formula is written with sigmoid(x)", x * (1 - x)),
        ("consistent with x written in one place where sigmoid(x) belongs: check each factor of "
         "your product", s * (1 - x)),
        ("consistent with x written in one place where sigmoid(x) belongs: check each factor of "
         "your product", x * (1 - s)),
        ("consistent with sigmoid(x) alone: a factor of the derivative is missing", s),
        ("consistent with 1 - sigmoid(x) alone: a factor of the derivative is missing", 1 - s),
    ], _slope(expit, x))


def tanh_grad_hint(x, got) -> str | None:
    """What a wrong ``tanh_grad(x)`` (x the pre-activation) is consistent with."""
    x = np.asarray(x, dtype=np.float64)
    t = np.tanh(x)
    return first_match(got, [
        ("your values equal 1 - tanh(x): is a square missing? Redo the last step of your "
         "derivation", 1 - t),
        ("consistent with your derivation's formula applied to the input x itself: x is the "
         "pre-activation, the formula is written with tanh(x)", 1 - x ** 2),
        ("consistent with tanh applied twice: x is the pre-activation, so tanh(x) is computed "
         "once", _slope(np.tanh, t)),
        ("consistent with tanh(x) squared alone: compare with your derivation", t ** 2),
    ], _slope(np.tanh, x))


def relu_grad_hint(x, got) -> str | None:
    """What a wrong ``relu_grad(x)`` is consistent with."""
    x = np.asarray(x, dtype=np.float64)
    return first_match(got, [
        ("consistent with np.sign(x): negative inputs get -1, but relu is constant for negative "
         "inputs, so its slope there is 0", np.sign(x)),
        ("consistent with relu(x) itself, max(0, x), not its derivative", np.maximum(x, 0)),
    ], np.heaviside(x, 0.0))


# ------------------------------------------------------------------- softmax and cross-entropy

def _exp_normalized(z: np.ndarray, shift, axis: int, keepdims: bool = True) -> np.ndarray:
    e = np.exp(z - shift)
    return e / np.sum(e, axis=axis, keepdims=keepdims)


def softmax_hint(z, got) -> str | None:
    """What a wrong ``softmax(z)`` (z of shape (N, C)) is consistent with."""
    z = np.asarray(z, dtype=np.float64)
    if z.ndim != 2:
        return None
    expected = _quiet(_exp_normalized, z, np.max(z, axis=1, keepdims=True), 1)
    return first_match(got, [
        ("consistent with normalizing over axis 0, the batch (each column sums to 1): each row "
         "is one example and must sum to 1",
         _quiet(_exp_normalized, z, np.max(z, axis=0, keepdims=True), 0)),
        ("consistent with row sums of shape (N,), which broadcast along the last axis: entry "
         "(i, j) was divided by row j's sum. Keep the summed axis (keepdims) so that each row is "
         "divided by its own sum",
         _quiet(_exp_normalized, z, np.max(z, axis=1, keepdims=True), 1, False)),
        ("consistent with one maximum of the whole array: a row far below it underflows to "
         "0 / 0. Subtract each row's own maximum", _quiet(_exp_normalized, z, np.max(z), 1)),
    ], expected)


def cross_entropy_hint(p, y, got) -> str | None:
    """What a wrong ``cross_entropy(p, y)`` (a number) is consistent with."""
    p, y = np.asarray(p, dtype=np.float64), np.asarray(y)
    if p.ndim != 2 or y.shape != (p.shape[0],):
        return None
    N, C = p.shape
    rows = np.arange(N)
    Y = np.eye(C)[y]
    with np.errstate(all="ignore"):
        log_picked = np.log(p[rows, y])
        products = Y * np.log(p)
        candidates = [
            ("consistent with a sum over the batch, where the loss is a mean",
             -np.sum(log_picked)),
            ("consistent with p[:, y], an N x N block (every row at every example's label), not "
             "one entry per row: row i needs the probability of its own label y[i]",
             -np.mean(np.log(p[:, y]))),
            ("consistent with a one-hot product, Y * log(p): where a wrong class has p = 0, "
             "0 * log(0) is nan. Take the log of the true class's probability only",
             -np.sum(products) / N),
            ("consistent with averaging over all N x C entries of the one-hot product: only N of "
             "them are nonzero, so average over the N rows", -np.nanmean(products)),
            ("consistent with averaging over all N x C entries of the one-hot product: only N of "
             "them are nonzero, so average over the N rows",
             -np.sum(np.where(Y > 0, products, 0.0)) / (N * C)),
            ("consistent with the log of the mean probability: the loss is the mean of the "
             "per-example -log p", -np.log(np.mean(p[rows, y]))),
        ]
        expected = -np.mean(log_picked)
    return first_match(got, candidates, expected, rtol=1e-9)


def softmax_cross_entropy_grad_hint(z, y, got) -> str | None:
    """What a wrong gradient of the mean softmax cross-entropy is consistent with."""
    from scipy.special import log_softmax, logsumexp

    from .gradcheck import numerical_gradient

    z, y = np.asarray(z, dtype=np.float64), np.asarray(y)
    if z.ndim != 2 or y.shape != (z.shape[0],) or np.max(np.abs(z), initial=0) > 50:
        return None
    N, C = z.shape
    rows = np.arange(N)
    labels = np.unique(y)
    expected = numerical_gradient(lambda v: -np.mean(log_softmax(v, axis=1)[rows, y]), z.copy())
    # what p[:, y] -= 1 computes, written as the gradient of a (wrong) loss
    block = numerical_gradient(lambda v: float(np.mean(logsumexp(v, axis=1))
                                               - np.sum(v[:, labels]) / N), z.copy())
    return first_match(got, [
        ("consistent with subtracting 1 at p[:, y], an N x N block of entries (every row at "
         "every example's label), not one entry per row: row i has its own label y[i]", block),
    ], expected, rtol=1e-5)


def check_relative_error(relative_error: Callable, a, b, expected: float, *, name: str,
                         output: str, hint: str | None = None, forbid_warnings: bool = False) -> None:
    """relative_error(a, b) is the number ``expected``; a failure says which mistake it fits."""
    def explain_call(message: str) -> str | None:
        if "Warning" in message or "ZeroDivisionError" in message:
            return ("the denominator has a floor of 1e-12 so that it is never 0: with two "
                    "all-zero arrays only the floor is left")
        return None

    got = call_explained(relative_error, a, b, name=name, explain=explain_call,
                         forbid_warnings=forbid_warnings)
    check_scalar_explained(got, expected, name=name, output=output, hint=hint,
                           explain=lambda: relative_error_hint(a, b, got))


LARGE_LOGITS_HINT = ("with logits of +-1000, subtract each row's maximum before exponentiating, and "
                     "never divide by a probability: the true class's p can be exactly 0")


def explain_warning(hint: str) -> Callable[[str], str | None]:
    """For ``contracts.call_explained``: ``hint`` when the call failed on a warning."""
    return lambda message: hint if "Warning" in message else None
