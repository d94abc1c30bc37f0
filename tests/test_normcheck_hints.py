"""07's hint detectors (autograder.normcheck): silent on a right result, naming the mistake
that a wrong one matches.

The right results come from PyTorch, the mistaken ones from the bug catalog's own wrong
implementations, so each detector is tested against code it did not write.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder import normcheck as nc
from tests.bugcatalog import a07_regularization as catalog

SEEDS = range(5)


def _case(seed, N=5, D=3, dtype=np.float64):
    x, gamma, beta, dout = nc.random_features(np.random.default_rng(seed), N, D)
    return x.astype(dtype), gamma, beta, dout


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("dtype", (np.float64, np.float32))
def test_forward_hints_are_silent_on_right_outputs(seed, dtype):
    x, gamma, beta, _ = _case(seed, dtype=dtype)
    state = {"running_mean": np.full(3, 0.5), "running_var": np.full(3, 2.0)}
    for train in (True, False):
        right = nc.torch_batchnorm(x, gamma, beta, train=train, state=state)["out"]
        assert nc.batchnorm_forward_hint(right.astype(dtype), x, gamma, beta, train=train, state=state) is None
    right = nc.torch_layernorm(x, gamma, beta, eps=1e-4)["out"]
    assert nc.layernorm_forward_hint(right.astype(dtype), x, gamma, beta, eps=1e-4) is None


@pytest.mark.parametrize("seed", SEEDS)
def test_backward_hints_are_silent_on_right_gradients(seed):
    x, gamma, beta, dout = _case(seed)
    right = nc.torch_batchnorm(x, gamma, beta, dout, train=True)
    assert nc.backward_hint(right["dx"], x=x, gamma=gamma, beta=beta, dout=dout) is None
    assert nc.batchnorm_hints(x, gamma, beta, dout, train=True)["gamma"](right["dgamma"]) is None
    right = nc.torch_layernorm(x, gamma, beta, dout)
    hints = nc.layernorm_hints(x, gamma, beta, dout)
    assert hints["x"](right["dx"]) is None and hints["gamma"](right["dgamma"]) is None
    out = np.where(np.random.default_rng(seed).random(x.shape) >= 0.3, x / 0.7, 0.0)
    assert nc.dropout_backward_hint(dout * (out != 0) / 0.7, out=out, x=x, dout=dout, p=0.3, train=True) is None
    assert nc.dropout_backward_hint(dout, out=x, x=x, dout=dout, p=0.3, train=False) is None


FORWARD_MISTAKES = [
    (catalog.batchnorm_forward_unbiased, "unbiased variance"),
    (catalog.batchnorm_forward_eps_outside, "inside the square root"),
    (catalog.batchnorm_forward_wrong_axis, "over its features"),
    (catalog.batchnorm_forward_running_in_train, "normalizing with the running statistics"),
]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("wrong, phrase", FORWARD_MISTAKES, ids=lambda v: getattr(v, "__name__", v))
def test_batchnorm_forward_hint_names_the_mistake(seed, wrong, phrase):
    x, gamma, beta, _ = _case(seed)
    out = wrong(x, gamma, beta, None, True)[0]
    assert phrase in nc.batchnorm_forward_hint(out, x, gamma, beta)


def test_one_pass_variance_is_named_in_float32():
    x = np.array([[1.8001], [1.7990], [1.8012], [1.7995], [1.8003]], dtype=np.float32)
    gamma, beta = np.ones(1, dtype=np.float32), np.zeros(1, dtype=np.float32)
    out = catalog.batchnorm_forward_one_pass_variance(x, gamma, beta, None, True)[0]
    assert "cancel" in nc.batchnorm_forward_hint(out, x, gamma, beta)


STAGED_MISTAKES = [
    ({"mean_path": False}, "path through the mean is missing"),
    ({"var_path": False}, "path through the variance is missing"),
    ({"var_sign": -1.0}, "sign flipped"),
    ({"var_factor": 1.0}, "half its size"),
    ({"eps_outside": True}, "inside the square root"),
]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("switch, phrase", STAGED_MISTAKES, ids=str)
def test_backward_hint_names_the_missing_path(seed, switch, phrase):
    x, gamma, beta, dout = _case(seed)
    _, cache, _ = catalog.batchnorm_forward_np_var(x, gamma, beta, None, True)
    dx = catalog._staged(dout, cache, **switch)[0]
    assert phrase in nc.backward_hint(dx, x=x, gamma=gamma, beta=beta, dout=dout)


@pytest.mark.parametrize("seed", SEEDS)
def test_layernorm_hints_name_the_mistake(seed):
    x, gamma, beta, dout = _case(seed, N=3, D=4)
    _, cache = catalog.layernorm_forward_transpose(x, gamma, beta)
    hints = nc.layernorm_hints(x, gamma, beta, dout)
    for switch, phrase in (({"mean_term": False}, "path through the mean is missing"),
                           ({"var_term": False}, "path through the variance is missing"),
                           ({"gamma_inside": False}, "out of the sums")):
        assert phrase in hints["x"](catalog._ln_back(dout, cache, **switch)[0])
    assert "x_c = x - mean" in hints["gamma"]((dout * (x - x.mean(axis=1, keepdims=True))).sum(axis=0))
    _, dgamma, dbeta = catalog._ln_back(dout, cache)
    assert hints["gamma"](dgamma) is None and hints["beta"](dbeta) is None
    assert "not the sum" in hints["gamma"](dgamma / 3) and "not the sum" in hints["beta"](dbeta / 3)


def test_dropout_backward_hint_names_the_mistake():
    rng = np.random.default_rng(0)
    x, dout = rng.uniform(0.5, 2.0, size=(4, 5)), rng.standard_normal((4, 5))
    out, cache = catalog.dropout_forward_where(x, 0.3, np.random.default_rng(1), True)
    for wrong, phrase in ((catalog.dropout_backward_no_scale, "0/1 mask only"),
                          (catalog.dropout_backward_no_mask, "dropped units"),
                          (catalog.dropout_backward_times_keep, "multiplied by 1 - p")):
        assert phrase in nc.dropout_backward_hint(wrong(dout, cache), out=out, x=x, dout=dout, p=0.3, train=True)
    assert "identity" in nc.dropout_backward_hint(np.zeros_like(dout), out=x, x=x, dout=dout, p=0.3, train=False)
