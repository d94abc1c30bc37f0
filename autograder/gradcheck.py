"""Numerical gradients and the error measure every check uses.

Why these choices:
- Centered differences, ``(f(x+h) - f(x-h)) / 2h``, have truncation error O(h^2); with
  float64 and h = 1e-5 that is ~1e-10 relative to the curvature, and the rounding error
  ~eps*|f|/h ~ 1e-11*|f|. A correct analytic gradient therefore agrees to ~1e-8 or better,
  which is why gradient checks use a tolerance of 1e-6 (a wrong one misses by 1e-2 or more).
  Some correct cases are far more curved than that: batch norm over N = 2 examples with a
  dropout mask has a third derivative that puts the truncation error at 6e-6 relative. So a
  check that fails against centered differences looks again against Richardson's
  extrapolation, ``(4 D(h/2) - D(h)) / 3``, whose truncation error is O(h^4): the reference
  gets more accurate, the tolerance stays.
- ``relative_error`` divides by the *largest magnitude in either array*, not element by
  element: an elementwise ratio explodes where the true value is near zero (ReLU masks,
  softmax tails), which is where bare ``np.allclose``-style checks mislead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray,
                       h: float = 1e-5) -> np.ndarray:
    """Centered-difference gradient of a scalar function ``f`` at ``x``.

    x: any shape. Returns a float64 array of ``x.shape``. ``f`` is evaluated on a float64
    copy of ``x`` that is perturbed one element at a time; the caller's ``x`` is never touched.
    """
    # A C-ordered copy: the caller's array stays as it was, and reshape(-1) is a view of it.
    point = np.array(x, dtype=np.float64, order="C")
    grad = np.zeros_like(point)
    flat_point, flat_grad = point.reshape(-1), grad.reshape(-1)
    for i in range(flat_point.size):
        original = flat_point[i]
        flat_point[i] = original + h
        plus = float(f(point))
        flat_point[i] = original - h
        minus = float(f(point))
        flat_point[i] = original
        flat_grad[i] = (plus - minus) / (2 * h)
    return grad


def refined_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, coarse: np.ndarray,
                     h: float = 1e-5) -> np.ndarray:
    """Richardson's extrapolation of ``coarse`` (the centered difference with step ``h``):
    (4 D(h/2) - D(h)) / 3, truncation error O(h^4) instead of O(h^2). Shape of ``x``."""
    return (4 * numerical_gradient(f, x, h / 2) - np.asarray(coarse, dtype=np.float64)) / 3


def numerical_gradients(f: Callable[..., float], inputs: Mapping[str, np.ndarray],
                        h: float = 1e-5) -> dict[str, np.ndarray]:
    """Centered-difference gradient of ``f(**inputs)`` with respect to every input.

    Returns ``{name: d f / d inputs[name]}``, each float64 of the input's shape.
    """
    values = {name: np.array(value, dtype=np.float64) for name, value in inputs.items()}
    grads = {}
    for name in values:
        def f_of_one(x, name=name):
            return f(**{**values, name: x})
        grads[name] = numerical_gradient(f_of_one, values[name], h)
    return grads


def relative_error(a, b, floor: float = 1e-12) -> float:
    """max |a - b| / max(max |a|, max |b|, floor): 0 for equal arrays, ~1 for unrelated ones.

    ``floor`` keeps the ratio finite when both arrays are (nearly) all zeros; then the
    result is the absolute difference divided by ``floor``.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.size == 0 and b.size == 0:
        return 0.0
    scale = max(float(np.max(np.abs(a))), float(np.max(np.abs(b))), floor)
    return float(np.max(np.abs(a - b))) / scale
