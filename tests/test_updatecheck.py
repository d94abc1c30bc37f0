"""autograder.updatecheck: a correct update rule passes, each broken contract fails with its
message, and a known mistake is named when it reproduces the student's trajectory."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from autograder import updatecheck as uc
from autograder.checks import CheckFailure


def sgd(w, dw, config=None):
    config = {} if config is None else dict(config)
    config.setdefault("learning_rate", 1e-2)
    return w - config["learning_rate"] * dw, config


def momentum(w, dw, config=None):
    config = {} if config is None else dict(config)
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    b = config["momentum"] * config.get("b", np.zeros_like(w)) + dw
    config["b"] = b
    return w - config["learning_rate"] * b, config


SGD = uc.Rule(sgd, "sgd", defaults={"learning_rate": 1e-2},
              torch_optimizer=lambda p, hp: torch.optim.SGD([p], lr=hp["learning_rate"]))
MOMENTUM = uc.Rule(momentum, "momentum", defaults={"learning_rate": 1e-2, "momentum": 0.9},
                   torch_optimizer=lambda p, hp: torch.optim.SGD([p], lr=hp["learning_rate"],
                                                                momentum=hp["momentum"]))


def _sgd_random_config(rng):
    return {"learning_rate": float(rng.uniform(0.01, 0.3))}


def _momentum_random_config(rng):
    return {"learning_rate": float(rng.uniform(0.005, 0.1)), "momentum": float(rng.uniform(0.5, 0.95))}


def _fails(match: str, rule: uc.Rule, *args) -> None:
    with pytest.raises(CheckFailure, match=match):
        uc.update(rule, *args)


W, DW = np.array([1.0, -2.0, 0.5]), np.array([0.5, 1.0, -3.0])


def test_correct_rules_pass_the_whole_battery():
    uc.hidden_tests(SGD, _sgd_random_config, trials=1)
    uc.hidden_tests(MOMENTUM, _momentum_random_config, trials=1)


def test_update_returns_the_pair_and_keeps_float32():
    next_w, config = uc.update(SGD, W.astype(np.float32), DW.astype(np.float32), {"learning_rate": 0.1})
    assert next_w.dtype == np.float32 and config == {"learning_rate": 0.1}


def test_update_catches_each_broken_contract():
    def in_place(w, dw, config=None):
        w -= 0.01 * dw
        return w, {}

    def edits_config(w, dw, config=None):
        config.setdefault("steps", 0)
        return w - dw, config

    def one_value(w, dw, config=None):
        return w - dw

    def float64(w, dw, config=None):
        return (w - dw).astype(np.float64), {}

    def same_array(w, dw, config=None):
        return w, {}

    def stores_dw(w, dw, config=None):
        return w - dw, {"last": dw}

    def divides_by_zero(w, dw, config=None):
        return w - dw / np.zeros_like(w), {}

    _fails("modified its input argument 1", dataclasses.replace(SGD, function=in_place), W.copy(), DW)
    _fails("config passed in belongs to the caller", dataclasses.replace(SGD, function=edits_config),
           W, DW, {"learning_rate": 0.1})
    _fails("should return a pair", dataclasses.replace(SGD, function=one_value), W, DW)
    _fails("dtype float64", dataclasses.replace(SGD, function=float64), W.astype(np.float32),
           DW.astype(np.float32))
    _fails("shares its memory with w", dataclasses.replace(SGD, function=same_array), W, DW)
    _fails(r"config\['last'\] shares its memory with the input dw",
           dataclasses.replace(SGD, function=stores_dw), W, DW)
    _fails("emitted RuntimeWarning(.|\n)*epsilon here",
           dataclasses.replace(SGD, function=divides_by_zero, warning_hint="epsilon here"), W, DW)


def test_race_compares_with_torch_and_names_a_known_mistake():
    def ascent(w, dw, config=None):
        config = {} if config is None else dict(config)
        config.setdefault("learning_rate", 1e-2)
        return w + config["learning_rate"] * dw, config

    mistakes = {"uphill, as diagnosed": lambda w, g, s, hp: (w + hp["learning_rate"] * g, s)}
    rng = np.random.default_rng(0)
    run = dict(w0=rng.normal(size=(3,)), config={"learning_rate": 0.1},
               grad=uc.random_gradients((3,), rng, 4))
    with pytest.raises(CheckFailure, match="w - w_start after 1 step(.|\n)*uphill, as diagnosed"):
        uc.race(dataclasses.replace(SGD, function=ascent, mistakes=mistakes), [run], 4, "a phase")


def test_race_gives_the_run_hint_when_no_mistake_matches():
    def forgets(w, dw, config=None):   # momentum without its buffer: plain SGD
        return sgd(w, dw, {"learning_rate": (config or {}).get("learning_rate", 1e-2)})

    rng = np.random.default_rng(1)
    run = dict(w0=rng.normal(size=(2, 2)), config={"learning_rate": 0.05, "momentum": 0.9},
               grad=uc.constant_gradient((2, 2), rng), hint="the run's own hint")
    with pytest.raises(CheckFailure, match=r"after 2 steps \(constant\)(.|\n)*the run's own hint"):
        uc.race(dataclasses.replace(MOMENTUM, function=forgets), [run], 3, "constant")


def test_hidden_tests_catch_a_wrong_default_and_shared_state():
    def wrong_default(w, dw, config=None):
        config = {} if config is None else dict(config)
        config.setdefault("learning_rate", 1e-3)
        return w - config["learning_rate"] * dw, config

    with pytest.raises(CheckFailure, match="default learning_rate = 0.01"):
        uc.hidden_tests(dataclasses.replace(SGD, function=wrong_default), _sgd_random_config, trials=1)

    shared = {}

    def global_buffer(w, dw, config=None):
        config = {} if config is None else dict(config)
        config.setdefault("learning_rate", 1e-2)
        config.setdefault("momentum", 0.9)
        if "b" not in config:              # a fresh config resets the shared buffer
            config["b"] = True
            shared["b"] = np.zeros_like(w)
        if shared["b"].shape != w.shape:
            shared["b"] = np.zeros_like(w)
        shared["b"] = config["momentum"] * shared["b"] + dw
        return w - config["learning_rate"] * shared["b"], config

    with pytest.raises(CheckFailure, match="parameter . of 3(.|\n)*state kept outside config"):
        uc.hidden_tests(dataclasses.replace(MOMENTUM, function=global_buffer), _momentum_random_config,
                        trials=1)


def test_gradient_sources():
    rng = np.random.default_rng(2)
    g = uc.constant_gradient((2, 3), rng)
    assert np.array_equal(g(None, 1), g(None, 5)) and g(None, 1) is not g(None, 1)
    dead = uc.random_gradients((50, 50), rng, 3, dead=0.5)
    zero = dead(None, 1) == 0
    assert 0.4 < zero.mean() < 0.6 and np.array_equal(zero, dead(None, 3) == 0)
    q = uc.quadratic((2, 2), rng)
    w = rng.normal(size=(2, 2))
    assert not np.array_equal(q(w, 1), q(w + 1, 1)) and np.array_equal(q(w, 1), q(w, 7))


def test_check_defaults_names_the_missing_or_wrong_default():
    uc.check_defaults(MOMENTUM, {"learning_rate": 1e-2, "momentum": 0.9, "b": np.zeros(2)})
    with pytest.raises(CheckFailure, match="default momentum = 0.9; it holds nothing"):
        uc.check_defaults(MOMENTUM, {"learning_rate": 1e-2})
    with pytest.raises(CheckFailure, match="default learning_rate = 0.01; it holds 0.001"):
        uc.check_defaults(SGD, {"learning_rate": 1e-3})


def test_given_gradients_are_fed_in_order_as_float64_copies():
    grad = uc.given_gradients([[1, 2], [3, 4]])
    first = grad(None, 1)
    assert first.dtype == np.float64 and first.tolist() == [1.0, 2.0] and grad(None, 2).tolist() == [3.0, 4.0]
    first[0] = 99.0
    assert grad(None, 1)[0] == 1.0


def _adam_rule(function):
    return uc.Rule(function, "adam", defaults={"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999,
                                               "epsilon": 1e-8},
                   torch_optimizer=lambda p, hp: torch.optim.Adam(
                       [p], lr=hp["learning_rate"], betas=(hp["beta1"], hp["beta2"]), eps=hp["epsilon"]),
                   mistakes=uc.MISTAKES["adam"])


def _adam(correct=True, scalar_v=False, store=True, scale=1.0):
    def adam(w, dw, config=None):
        config = {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, **(config or {})}
        b1, b2, t = config["beta1"], config["beta2"], config.get("t", 0) + 1
        m = b1 * config.get("m", 0.0) + (1 - b1) * dw
        v = b2 * config.get("v", 0.0) + (1 - b2) * (np.mean(dw * dw) if scalar_v else dw * dw)
        if store:
            config.update(m=m, v=v, t=t)
        if correct:
            m, v = m / (1 - b1 ** t), v / (1 - b2 ** t)
        return w - scale * config["learning_rate"] * m / (np.sqrt(v) + config["epsilon"]), config
    return adam


GRADIENTS = [[0.2, -30.0, 0.0, 1e-3], [0.1, -20.0, 0.0, 2e-3], [-0.3, 10.0, 0.0, 1e-3]]
CONFIG = {"learning_rate": 0.1, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}


@pytest.mark.parametrize("variant, named", [
    (dict(correct=False), "no bias correction"),
    (dict(scalar_v=True), "one number for all weights"),
    (dict(store=False), "not stored in the returned config"),
    (dict(scale=2.0), "moved by 2 to 2 times learning_rate"),
])
def test_fixed_example_names_the_mistake_over_the_whole_trajectory(variant, named):
    W0 = np.array([1.0, -1.0, 0.5, 2.0])
    uc.fixed_example(_adam_rule(_adam()), W0, CONFIG, GRADIENTS)   # a correct rule passes
    with pytest.raises(CheckFailure, match=named):
        uc.fixed_example(_adam_rule(_adam(**variant)), W0, CONFIG, GRADIENTS)


def test_fixed_example_step_ratio_hints():
    rule = dataclasses.replace(SGD, mistakes={})
    w, dw = np.array([1.0, -2.0]), np.array([0.5, 1.0])
    uphill = dataclasses.replace(rule, function=lambda w, dw, config=None: sgd(w, -dw, config))
    with pytest.raises(CheckFailure, match="wrong sign"):
        uc.fixed_example(uphill, w, {"learning_rate": 0.1}, [dw], output="next_w")

    def low_default(w, dw, config=None):
        return sgd(w, dw, {"learning_rate": 1e-3, **(config or {})})
    with pytest.raises(CheckFailure, match="documented defaults"):
        uc.fixed_example(dataclasses.replace(rule, function=low_default), w, None, [dw])
    # a wrong factor with every hyperparameter given is not blamed on the defaults
    double = dataclasses.replace(rule, function=lambda w, dw, config=None: sgd(w, 2 * dw, config))
    with pytest.raises(CheckFailure, match="missing or extra factor") as failure:
        uc.fixed_example(double, w, {"learning_rate": 0.1}, [dw])
    assert "default" not in str(failure.value)
