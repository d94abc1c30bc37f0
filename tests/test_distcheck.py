"""autograder.distcheck: correct samples pass, each kind of wrong sample fails with its message."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograder import distcheck as dc
from autograder.checks import CheckFailure

SHAPE = (400, 300)


def _fails(check, *args, match: str, **kwargs) -> None:
    with pytest.raises(CheckFailure, match=match):
        check(*args, **kwargs)


@pytest.mark.parametrize("seed", range(3))
def test_correct_samples_pass(seed):
    rng = np.random.default_rng(seed)
    dc.check_normal(rng.normal(0.0, 0.07, SHAPE), 0.07, name="f")
    dc.check_uniform(rng.uniform(-0.12, 0.12, SHAPE), 0.12, name="f")
    dc.check_weights(rng.normal(size=SHAPE), SHAPE, name="f")


def test_wrong_samples_fail_with_a_reason():
    rng = np.random.default_rng(0)
    _fails(dc.check_normal, rng.normal(0.0, 0.07 * 1.15, SHAPE), 0.07, name="f",
           mistakes=[(0.07 * 1.15, "known mistake")], match="wrong scale(.|\n)*known mistake")
    _fails(dc.check_normal, rng.normal(0.01, 0.07, SHAPE), 0.07, name="f", match="mean")
    a = 0.07 * math.sqrt(3)
    _fails(dc.check_normal, rng.uniform(-a, a, SHAPE), 0.07, name="f", match="Kolmogorov")
    _fails(dc.check_uniform, rng.normal(0.0, 0.05, SHAPE), 0.05 * math.sqrt(3), name="f",
           match="outside")
    _fails(dc.check_uniform, rng.uniform(0.0, 0.1, SHAPE), 0.1, name="f", match=r">= 0")
    _fails(dc.check_uniform, rng.uniform(-0.0999, 0.0999, SHAPE), 0.1, name="f",
           match="largest value|smallest value")
    column = rng.normal(0.0, 0.07, (SHAPE[0], 1)) * np.ones((1, SHAPE[1]))
    _fails(dc.check_normal, column, 0.07, name="f", match="symmetry")
    _fails(dc.check_weights, np.zeros(SHAPE[::-1]), SHAPE, name="f", match="transposed")
    _fails(dc.check_weights, np.zeros(SHAPE, dtype=np.float32), SHAPE, name="f", match="dtype")


def test_small_samples_are_refused():
    with pytest.raises(ValueError):
        dc.check_normal(np.zeros((10, 10)), 1.0, name="f")


def test_rng_use():
    rng = np.random.default_rng(0)
    dc.check_rng_use(lambda m, n, g: g.normal(size=(m, n)), (5, 4), rng, name="f")
    _fails(dc.check_rng_use, lambda m, n, g: np.random.normal(size=(m, n)), (5, 4), rng,
           name="f", match="same state")
    _fails(dc.check_rng_use, lambda m, n, g: np.random.default_rng(0).normal(size=(m, n)),
           (5, 4), rng, name="f", match="ignored")

    def reseeds(m, n, g):
        np.random.seed(int(g.integers(2**31)))
        return np.random.normal(size=(m, n))
    _fails(dc.check_rng_use, reseeds, (5, 4), rng, name="f", match="global random state")
