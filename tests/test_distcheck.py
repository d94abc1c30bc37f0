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


def _square_layer_measure(W, relu):
    x = np.random.default_rng(1).standard_normal((1000, W.shape[0]))
    z = x @ W
    return float(np.mean(np.maximum(z, 0) ** 2)) if relu else float(np.var(z))


@pytest.mark.parametrize("name, scale, hint", [
    ("xavier_uniform", lambda n: math.sqrt(1 / (2 * n)), "factor 6"),
    ("xavier_uniform", lambda n: math.sqrt(1 / n), "standard deviation used as the bound"),
    ("xavier_uniform", lambda n: math.sqrt(6 / n), "He's bound"),
    ("he_uniform", lambda n: 6 / n, "square root is missing"),
    ("he_uniform", lambda n: math.sqrt(3 / n), "factor 2"),
    ("xavier_normal", lambda n: 1 / n, "used as the standard deviation"),
    ("he_normal", lambda n: math.sqrt(1 / n), "factor 2"),
])
def test_layer_scale_hint_names_the_mistake_its_measure_matches(name, scale, hint):
    n, rng = 400, np.random.default_rng(0)
    a = scale(n)
    W = rng.uniform(-a, a, (n, n)) if name.endswith("uniform") else rng.normal(0, a, (n, n))
    assert hint in dc.layer_scale_hint(name, W, _square_layer_measure(W, name.startswith("he")))


def test_layer_scale_hint_is_generic_where_no_mistake_fits():
    rng = np.random.default_rng(0)
    W = rng.normal(0, 0.8 * math.sqrt(2 / 400), (400, 400))   # 0.64 of He's variance: no known mistake
    text = dc.layer_scale_hint("he_normal", W, _square_layer_measure(W, True))
    assert text.startswith("compare your scale") and "factor 2 is missing" not in text
    # all weights >= 0 is said first, whatever the measure
    assert ">= 0" in dc.layer_scale_hint("he_uniform", np.abs(W), 1.0)


def test_check_weights_names_a_flat_vector():
    _fails(dc.check_weights, np.zeros(15), (3, 5), name="f", match="2-d matrix")
    # a bias vector of the wrong length is a plain shape mismatch
    _fails(dc.check_weights, np.zeros(4), (3,), name="f", match=r"shape \(4,\), expected \(3,\)")


def _init_mlp(random_bias=False, transposed=False, cast=True):
    def init_mlp(layer_sizes, init, rng, dtype=np.float32):
        params = {}
        for layer, (a, b) in enumerate(zip(layer_sizes[:-1], layer_sizes[1:]), start=1):
            W = init(b, a, rng).T if transposed else init(a, b, rng)
            params[f"W{layer}"] = W.astype(dtype) if cast else W
            params[f"b{layer}"] = rng.standard_normal(b) if random_bias else np.zeros(b, dtype)
        return params
    return init_mlp


def test_check_init_mlp_names_values_before_dtypes():
    dc.check_init_mlp(_init_mlp(), [4, 3, 2], seed=0)
    _fails(dc.check_init_mlp, _init_mlp(cast=False), [4, 3, 2], 0, match="dtype float64")
    _fails(dc.check_init_mlp, _init_mlp(random_bias=True, cast=False), [4, 3, 2], 0,
           match="b1 should start at zero")
    _fails(dc.check_init_mlp, _init_mlp(transposed=True), [4, 3, 2], 0,
           match=r"its arguments are \(fan_in, fan_out\)")
