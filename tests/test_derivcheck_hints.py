"""The 01/02 mistake detectors stay silent on right results and name the mistakes they are for.

(The bug catalog checks them through the notebooks' tests; this checks them directly, on random
inputs of many shapes, float64 and float32, so that a detector cannot fire on a right answer.)
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit, log_softmax

from autograder import derivcheck as dc
from autograder import linearcheck as lc
from autograder import losscheck as lk
from autograder import sgdcheck as sc

SEEDS = range(6)


def _softmax(z):
    return np.exp(log_softmax(z, axis=1))


def _grad(z, y):
    return lk.torch_reference(z, y)[1]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_detectors_are_silent_on_right_results(seed, dtype):
    rng = np.random.default_rng(seed)
    x = rng.normal(scale=3.0, size=tuple(rng.integers(1, 4, size=2)))
    assert dc.sigmoid_hint(x, expit(x).astype(dtype)) is None
    assert dc.sigmoid_grad_hint(x, (expit(x) * expit(-x)).astype(dtype)) is None
    assert dc.tanh_grad_hint(x, (1 / np.cosh(x) ** 2).astype(dtype)) is None
    assert dc.relu_grad_hint(x, np.heaviside(x, 0).astype(dtype)) is None
    assert dc.softmax_hint(x, _softmax(x).astype(dtype)) is None
    y = rng.integers(0, x.shape[1], size=x.shape[0])
    p = _softmax(x)
    assert dc.cross_entropy_hint(p, y, float(-np.mean(np.log(p[np.arange(len(y)), y])))) is None
    assert dc.softmax_cross_entropy_grad_hint(x, y, _grad(x, y).astype(dtype)) is None
    assert lk.dlogits_hint(x, y, _grad(x, y).astype(dtype), _grad(x, y), rtol=1e-4) is None
    assert lk.loss_hint(x, y, lk.torch_reference(x, y)[0]) is None
    a = rng.normal(size=x.shape)
    b = a + rng.normal(size=x.shape) * 1e-3
    right = float(np.max(np.abs(a - b)) / max(np.max(np.abs(a)), np.max(np.abs(b)), 1e-12))
    assert dc.relative_error_hint(a, b, right) is None
    f = lambda v: float(np.sum(np.sin(v)))   # noqa: E731
    assert dc.numerical_gradient_hint(f, x, 1e-5, np.cos(x)) is None


@pytest.mark.parametrize("seed", range(3))
def test_linear_and_sgd_detectors_are_silent_on_right_results(seed):
    rng = np.random.default_rng(seed)
    N, D, M = (int(n) for n in rng.integers(1, 5, size=3))
    x, W, b, dout = rng.normal(size=(N, D)), rng.normal(size=(D, M)), rng.normal(size=M), rng.normal(size=(N, M))
    lc.explain_backward(lc.torch_reference(x, W, b, dout), x, W, b, dout, name="f")   # must not fail
    lc.check_forward_out(x @ W + b, x @ W + b, x, W, b, name="f")
    X, y = rng.normal(size=(7, D)), rng.integers(0, M, size=7)
    want = sc.reference_epoch(W, b, X, y, 0.5, 3, np.random.default_rng(seed).permutation(7))
    assert sc.epoch_hint(want, W, b, X, y, 0.5, 3, seed) is None


def test_detectors_name_their_mistakes():
    x = np.array([-3.0, -0.5, 0.0, 1.0, 2.0])
    s = expit(x)
    assert "applied twice" in dc.sigmoid_grad_hint(x, expit(s) * (1 - expit(s)))
    assert "where sigmoid(x) belongs" in dc.sigmoid_grad_hint(x, s * (1 - x))
    assert "square" in dc.tanh_grad_hint(x, 1 - np.tanh(x))
    z = np.array([[1000.0, 999.0, 998.0], [-1000.0, -999.0, -998.0]])
    with np.errstate(all="ignore"):
        e = np.exp(z - z.max())
        assert "whole array" in dc.softmax_hint(z, e / e.sum(axis=1, keepdims=True))
    p, y = np.array([[0.5, 0.5], [0.75, 0.25], [1.0, 0.0]]), np.array([0, 1, 0])
    with np.errstate(all="ignore"):
        assert "one entry per row" in dc.cross_entropy_hint(p, y, -np.mean(np.log(p[:, y])))
    A, X = np.array([[1.0, 2.0], [-3.0, 0.5]]), np.array([[0.3, -0.1], [0.7, 2.0]])
    rows = np.repeat(A.sum(axis=1, keepdims=True), 2, axis=1)
    assert "first axis" in dc.numerical_gradient_hint(lambda v: float(np.sum(A * v)), X, 1e-5, rows)
