"""Bug catalog for 05_optimizers: realistic wrong update rules and hand-worked checkpoints, and
valid alternatives.

Every rule entry is a complete replacement for one graded rule ``rule(w, dw, config=None) ->
(next_w, config)``; every checkpoint entry returns the numbers a student would enter, wrong in
one step (a flipped sign, |g| for g**2, the bias correction forgotten, t off by one, ...) or
right in another form (fractions, tuples, rounded to six digits). The bugs are the mistakes students make (and ones copied from well-known
code without its safeguards); the alternatives are formulations that are mathematically the
same rule and must keep full marks (PyTorch's momentum convention, the paper's Adam ordering
with a rescaled epsilon, state kept as running products, ...).
"""

from __future__ import annotations

import math

import numpy as np

from .registry import alternative, bug

ASSIGNMENT = "05_optimizers"


# ---------------------------------------------------------------------------------- sgd

@bug("sgd", "gradient ascent: w + learning_rate * dw", diagnosis='sign')
def sgd_ascent(w, dw, config=None):
    config = {} if config is None else dict(config)
    config.setdefault("learning_rate", 1e-2)
    return w + config["learning_rate"] * dw, config


@bug("sgd", "updates w in place (w -= lr * dw) and returns the caller's array", diagnosis='in place')
def sgd_in_place(w, dw, config=None):
    config = {} if config is None else dict(config)
    config.setdefault("learning_rate", 1e-2)
    w -= config["learning_rate"] * dw
    return w, config


@bug("sgd", "overwrites the learning rate with the default instead of setdefault", diagnosis='ignored')
def sgd_default_overwrites(w, dw, config=None):
    if config is None:
        config = {}
    config = dict(config)
    config["learning_rate"] = 1e-2
    return w - config["learning_rate"] * dw, config


@bug("sgd", "wrong default learning rate (1e-3, PyTorch's SGD default)", diagnosis='default')
def sgd_wrong_default(w, dw, config=None):
    config = {} if config is None else dict(config)
    config.setdefault("learning_rate", 1e-3)
    return w - config["learning_rate"] * dw, config


@bug("sgd", "returns float64 for float32 inputs (builds next_w with np.zeros(w.shape))", diagnosis='dtype')
def sgd_float64(w, dw, config=None):
    config = {} if config is None else dict(config)
    config.setdefault("learning_rate", 1e-2)
    next_w = np.zeros(w.shape)
    next_w[...] = w - config["learning_rate"] * dw
    return next_w, config


@bug("sgd", "returns only next_w, not the pair (next_w, config)", diagnosis='pair')
def sgd_no_config(w, dw, config=None):
    learning_rate = (config or {}).get("learning_rate", 1e-2)
    return w - learning_rate * dw


@bug("sgd", "returns the config it got (None with config=None) instead of a dict with the defaults", diagnosis='not a dict')
def sgd_returns_none_config(w, dw, config=None):
    learning_rate = (config or {}).get("learning_rate", 1e-2)
    return w - learning_rate * dw, config


@bug("sgd", "CS231n habit: fills defaults into the caller's config dict (config.setdefault on it)", diagnosis='belongs to the caller')
def sgd_mutates_config(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("steps", 0)
    config["steps"] += 1
    return w - config["learning_rate"] * dw, config


@alternative("sgd", "copies w and updates the copy in place")
def sgd_copy_then_in_place(w, dw, config=None):
    config = dict(config or {})
    learning_rate = config.setdefault("learning_rate", 1e-2)
    next_w = w.copy()
    next_w -= learning_rate * dw
    return next_w, config


@alternative("sgd", "a fresh dict built from the defaults, np.subtract, returned as a list")
def sgd_fresh_dict(w, dw, config=None):
    config = {"learning_rate": 1e-2, **(config or {})}
    return [np.subtract(w, config["learning_rate"] * dw), config]


# ------------------------------------------------------------------------- sgd_momentum

@bug("sgd_momentum", "the velocity is never stored back in config (each step is plain SGD)", diagnosis='not stored')
def sgd_momentum_forgets_velocity(w, dw, config=None):
    config = {} if config is None else dict(config)
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v - config["learning_rate"] * dw
    return w + v, config


@bug("sgd_momentum", "moves w with the old velocity before updating it", diagnosis='old velocity')
def sgd_momentum_stale_velocity(w, dw, config=None):
    config = {} if config is None else dict(config)
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    next_w = w + v
    config["velocity"] = config["momentum"] * v - config["learning_rate"] * dw
    return next_w, config


@bug("sgd_momentum", "mixes the conventions: v = mu * v - lr * dw, then w + lr * v", diagnosis='twice')
def sgd_momentum_lr_twice(w, dw, config=None):
    config = {} if config is None else dict(config)
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v - config["learning_rate"] * dw
    config["velocity"] = v
    return w + config["learning_rate"] * v, config


@bug("sgd_momentum", "averages instead of accumulating: v = mu * v - (1 - mu) * lr * dw", diagnosis='1 - momentum')
def sgd_momentum_dampened(w, dw, config=None):
    config = {} if config is None else dict(config)
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    mu = config["momentum"]
    v = config.get("velocity", np.zeros_like(w))
    v = mu * v - (1 - mu) * config["learning_rate"] * dw
    config["velocity"] = v
    return w + v, config


@bug("sgd_momentum", "wrong sign: v = mu * v - lr * dw, then w - v", diagnosis='sign')
def sgd_momentum_uphill(w, dw, config=None):
    config = {} if config is None else dict(config)
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v - config["learning_rate"] * dw
    config["velocity"] = v
    return w - v, config


@bug("sgd_momentum", "updates the velocity from config in place (v *= mu; v -= lr * dw)", diagnosis='in place')
def sgd_momentum_in_place_velocity(w, dw, config=None):
    config = {} if config is None else dict(config)
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity")
    if v is None:
        v = np.zeros_like(w)
    v *= config["momentum"]
    v -= config["learning_rate"] * dw
    config["velocity"] = v
    return w + v, config


@bug("sgd_momentum", "torch convention copied without its clone: the first buffer is dw itself, "
     "later updated in place", diagnosis='shares its memory')
def sgd_momentum_buffer_aliases_dw(w, dw, config=None):
    config = {} if config is None else dict(config)
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    buf = config.get("momentum_buffer")
    if buf is None:
        buf = dw
    else:
        buf *= config["momentum"]
        buf += dw
    config["momentum_buffer"] = buf
    return w - config["learning_rate"] * buf, config


@bug("sgd_momentum", "keeps the velocity in a global variable (reset for a fresh config), "
     "shared by every parameter", diagnosis='outside config')
def sgd_momentum_global_velocity(w, dw, config=None):
    global _velocity
    config = {} if config is None else dict(config)
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    if "started" not in config:  # a fresh config: start from rest
        _velocity = np.zeros_like(w)
        config["started"] = True
    _velocity = config["momentum"] * _velocity - config["learning_rate"] * dw
    return w + _velocity, config


@bug("sgd_momentum", "wrong default momentum (0.5)", diagnosis='default momentum')
def sgd_momentum_wrong_default(w, dw, config=None):
    config = {} if config is None else dict(config)
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.5)
    v = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v - config["learning_rate"] * dw
    config["velocity"] = v
    return w + v, config


@alternative("sgd_momentum", "PyTorch's convention: b = mu * b + dw; w - lr * b (same for a "
             "constant learning rate)")
def sgd_momentum_torch_convention(w, dw, config=None):
    config = {} if config is None else dict(config)
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    buf = config.get("momentum_buffer")
    buf = np.array(dw, copy=True) if buf is None else config["momentum"] * buf + dw
    config["momentum_buffer"] = buf
    return w - config["learning_rate"] * buf, config


@alternative("sgd_momentum", "a negated buffer: u = mu * u - dw; w + lr * u")
def sgd_momentum_negated_buffer(w, dw, config=None):
    config = {"learning_rate": 1e-2, "momentum": 0.9, **(config or {})}
    u = config["momentum"] * config.get("u", np.zeros_like(w)) - dw
    config["u"] = u
    return w + config["learning_rate"] * u, config


@alternative("sgd_momentum", "velocity updated in place on a fresh copy")
def sgd_momentum_copy_in_place(w, dw, config=None):
    config = dict(config) if config is not None else {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = np.array(config.get("velocity", np.zeros_like(w)), copy=True)
    v *= config["momentum"]
    v -= config["learning_rate"] * dw
    config["velocity"] = v
    next_w = w.copy()
    next_w += v
    return next_w, config


# ------------------------------------------------------------------------------ rmsprop

@bug("rmsprop", "epsilon inside the square root: sqrt(cache + eps)", diagnosis='inside the square root')
def rmsprop_eps_inside(w, dw, config=None):
    config = {} if config is None else dict(config)
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    rho = config["decay_rate"]
    cache = rho * config.get("cache", np.zeros_like(w)) + (1 - rho) * dw * dw
    config["cache"] = cache
    return w - config["learning_rate"] * dw / np.sqrt(cache + config["epsilon"]), config


@bug("rmsprop", "decay_rate and 1 - decay_rate swapped", diagnosis='swapped')
def rmsprop_swapped_decay(w, dw, config=None):
    config = {} if config is None else dict(config)
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    rho = config["decay_rate"]
    cache = (1 - rho) * config.get("cache", np.zeros_like(w)) + rho * dw * dw
    config["cache"] = cache
    return w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"]), config


@bug("rmsprop", "the cache is never stored back in config", diagnosis='not stored')
def rmsprop_forgets_cache(w, dw, config=None):
    config = {} if config is None else dict(config)
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    rho = config["decay_rate"]
    cache = rho * config.get("cache", np.zeros_like(w)) + (1 - rho) * dw * dw
    return w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"]), config


@bug("rmsprop", "divides by the old cache, before adding this step's dw**2", diagnosis='old cache')
def rmsprop_stale_cache(w, dw, config=None):
    config = {} if config is None else dict(config)
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    rho = config["decay_rate"]
    old = config.get("cache", np.zeros_like(w))
    next_w = w - config["learning_rate"] * dw / (np.sqrt(old) + config["epsilon"])
    config["cache"] = rho * old + (1 - rho) * dw * dw
    return next_w, config


@bug("rmsprop", "no epsilon: 0 / 0 where a gradient is exactly zero", diagnosis='epsilon')
def rmsprop_no_epsilon(w, dw, config=None):
    config = {} if config is None else dict(config)
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    rho = config["decay_rate"]
    cache = rho * config.get("cache", np.zeros_like(w)) + (1 - rho) * dw * dw
    config["cache"] = cache
    return w - config["learning_rate"] * dw / np.sqrt(cache), config


@bug("rmsprop", "accumulates into the cache from config in place", diagnosis='in place')
def rmsprop_in_place_cache(w, dw, config=None):
    config = {} if config is None else dict(config)
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    rho = config["decay_rate"]
    cache = config.setdefault("cache", np.zeros_like(w))
    cache *= rho
    cache += (1 - rho) * dw * dw
    return w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"]), config


@bug("rmsprop", "keeps the cache in a global variable (reset when a config has none), "
     "shared by every parameter", diagnosis='outside config')
def rmsprop_global_cache(w, dw, config=None):
    global _cache
    config = {} if config is None else dict(config)
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    rho = config["decay_rate"]
    if "cache" not in config:
        _cache = np.zeros_like(w)
    _cache = rho * _cache + (1 - rho) * dw * dw
    config["cache"] = _cache
    return w - config["learning_rate"] * dw / (np.sqrt(_cache) + config["epsilon"]), config


@bug("rmsprop", "cache initialised with np.zeros(w.shape): float64 state turns float32 w into float64", diagnosis='dtype')
def rmsprop_float64_state(w, dw, config=None):
    config = {} if config is None else dict(config)
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    rho = config["decay_rate"]
    cache = config.get("cache")
    if cache is None:
        cache = np.zeros(w.shape)
    cache = rho * cache + (1 - rho) * dw * dw
    config["cache"] = cache
    return w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"]), config


@alternative("rmsprop", "the average written as a lerp (cache += (1 - rho) * (dw**2 - cache)), "
             "np.square, and dividing before scaling")
def rmsprop_lerp(w, dw, config=None):
    config = {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8, **(config or {})}
    old = config.get("square_avg", np.zeros_like(w))
    square_avg = old + (1 - config["decay_rate"]) * (np.square(dw) - old)
    config["square_avg"] = square_avg
    scaled = dw / (np.sqrt(square_avg) + config["epsilon"])
    return w - config["learning_rate"] * scaled, config



@alternative("rmsprop", "in-place arithmetic, but only on fresh copies")
def rmsprop_in_place_on_copies(w, dw, config=None):
    config = dict(config) if config else {}
    learning_rate = config.setdefault("learning_rate", 1e-2)
    rho = config.setdefault("decay_rate", 0.99)
    epsilon = config.setdefault("epsilon", 1e-8)
    cache = np.array(config["cache"], copy=True) if "cache" in config else np.zeros_like(w)
    cache *= rho
    cache += (1 - rho) * np.square(dw)
    config["cache"] = cache
    denominator = np.sqrt(cache)
    denominator += epsilon
    next_w = w.copy()
    next_w -= learning_rate * dw / denominator
    return next_w, config

# --------------------------------------------------------------------------------- adam

@bug("adam", "no bias correction", diagnosis='bias correction')
def adam_no_bias_correction(w, dw, config=None):
    config = {} if config is None else dict(config)
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    b1, b2 = config["beta1"], config["beta2"]
    m = b1 * config.get("m", np.zeros_like(w)) + (1 - b1) * dw
    v = b2 * config.get("v", np.zeros_like(w)) + (1 - b2) * dw * dw
    config.update(m=m, v=v, t=config.get("t", 0) + 1)
    return w - config["learning_rate"] * m / (np.sqrt(v) + config["epsilon"]), config


@bug("adam", "bias correction of m only", diagnosis='bias correction')
def adam_corrects_m_only(w, dw, config=None):
    config = {} if config is None else dict(config)
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    b1, b2 = config["beta1"], config["beta2"]
    m = b1 * config.get("m", np.zeros_like(w)) + (1 - b1) * dw
    v = b2 * config.get("v", np.zeros_like(w)) + (1 - b2) * dw * dw
    t = config.get("t", 0) + 1
    config.update(m=m, v=v, t=t)
    m_hat = m / (1 - config["beta1"] ** t)
    return w - config["learning_rate"] * m_hat / (np.sqrt(v) + config["epsilon"]), config


@bug("adam", "step count starts at 1 before the increment (t = 2 at the first update)", diagnosis='off by one')
def adam_t_starts_at_one(w, dw, config=None):
    config = {} if config is None else dict(config)
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    b1, b2 = config["beta1"], config["beta2"]
    m = b1 * config.get("m", np.zeros_like(w)) + (1 - b1) * dw
    v = b2 * config.get("v", np.zeros_like(w)) + (1 - b2) * dw * dw
    t = config.get("t", 1) + 1
    config.update(m=m, v=v, t=t)
    m_hat = m / (1 - config["beta1"] ** t)
    v_hat = v / (1 - config["beta2"] ** t)
    return w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"]), config


@bug("adam", "bias correction with the count before the increment (t - 1): 0 / 0 at the first step", diagnosis='t counts updates from 1')
def adam_t_minus_one(w, dw, config=None):
    config = {} if config is None else dict(config)
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    b1, b2 = config["beta1"], config["beta2"]
    m = b1 * config.get("m", np.zeros_like(w)) + (1 - b1) * dw
    v = b2 * config.get("v", np.zeros_like(w)) + (1 - b2) * dw * dw
    t = config.get("t", 0)
    m_hat = m / (1 - config["beta1"] ** t)
    v_hat = v / (1 - config["beta2"] ** t)
    config.update(m=m, v=v, t=t + 1)
    return w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"]), config


@bug("adam", "epsilon inside the square root: sqrt(v_hat + eps)", diagnosis='inside the square root')
def adam_eps_inside(w, dw, config=None):
    config = {} if config is None else dict(config)
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    b1, b2 = config["beta1"], config["beta2"]
    m = b1 * config.get("m", np.zeros_like(w)) + (1 - b1) * dw
    v = b2 * config.get("v", np.zeros_like(w)) + (1 - b2) * dw * dw
    t = config.get("t", 0) + 1
    config.update(m=m, v=v, t=t)
    m_hat = m / (1 - config["beta1"] ** t)
    v_hat = v / (1 - config["beta2"] ** t)
    return w - config["learning_rate"] * m_hat / np.sqrt(v_hat + config["epsilon"]), config


@bug("adam", "the paper's 'efficient' ordering without rescaling epsilon (eps added to sqrt(v))", diagnosis='rescale')
def adam_efficient_unscaled_eps(w, dw, config=None):
    config = {} if config is None else dict(config)
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    b1, b2 = config["beta1"], config["beta2"]
    m = b1 * config.get("m", np.zeros_like(w)) + (1 - b1) * dw
    v = b2 * config.get("v", np.zeros_like(w)) + (1 - b2) * dw * dw
    t = config.get("t", 0) + 1
    config.update(m=m, v=v, t=t)
    step = config["learning_rate"] * np.sqrt(1 - config["beta2"] ** t) / (1 - config["beta1"] ** t)
    return w - step * m / (np.sqrt(v) + config["epsilon"]), config


@bug("adam", "the paper's efficient ordering with np.sqrt of a Python number: a float64 scalar "
     "turns float32 parameters into float64", diagnosis='dtype')
def adam_numpy_scalar_float64(w, dw, config=None):
    config = {} if config is None else dict(config)
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    b1, b2 = config["beta1"], config["beta2"]
    m = b1 * config.get("m", np.zeros_like(w)) + (1 - b1) * dw
    v = b2 * config.get("v", np.zeros_like(w)) + (1 - b2) * dw * dw
    t = config.get("t", 0) + 1
    config.update(m=m, v=v, t=t)
    correction2 = np.sqrt(1 - config["beta2"] ** t)
    step = config["learning_rate"] * correction2 / (1 - config["beta1"] ** t)
    return w - step * m / (np.sqrt(v) + config["epsilon"] * correction2), config


@bug("adam", "beta1 and beta2 swapped", diagnosis='swapped')
def adam_swapped_betas(w, dw, config=None):
    config = {} if config is None else dict(config)
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    b1, b2 = config["beta2"], config["beta1"]
    m = b1 * config.get("m", np.zeros_like(w)) + (1 - b1) * dw
    v = b2 * config.get("v", np.zeros_like(w)) + (1 - b2) * dw * dw
    t = config.get("t", 0) + 1
    config.update(m=m, v=v, t=t)
    m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
    return w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"]), config


@bug("adam", "stores the bias-corrected m_hat and v_hat back as the state", diagnosis='corrected moments')
def adam_stores_corrected(w, dw, config=None):
    config = {} if config is None else dict(config)
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    b1, b2 = config["beta1"], config["beta2"]
    m = b1 * config.get("m", np.zeros_like(w)) + (1 - b1) * dw
    v = b2 * config.get("v", np.zeros_like(w)) + (1 - b2) * dw * dw
    t = config.get("t", 0) + 1
    m = m / (1 - config["beta1"] ** t)
    v = v / (1 - config["beta2"] ** t)
    config.update(m=m, v=v, t=t)
    return w - config["learning_rate"] * m / (np.sqrt(v) + config["epsilon"]), config


@bug("adam", "step count kept in a global variable (reset for a fresh config), shared by "
     "every parameter", diagnosis='outside config')
def adam_shared_step_count(w, dw, config=None):
    global _adam_t
    config = {} if config is None else dict(config)
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    if "m" not in config:
        _adam_t = 0
    _adam_t += 1
    b1, b2 = config["beta1"], config["beta2"]
    m = b1 * config.get("m", np.zeros_like(w)) + (1 - b1) * dw
    v = b2 * config.get("v", np.zeros_like(w)) + (1 - b2) * dw * dw
    config.update(m=m, v=v)
    m_hat = m / (1 - b1 ** _adam_t)
    v_hat = v / (1 - b2 ** _adam_t)
    return w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"]), config


@bug("adam", "moments kept in a mutable default argument, reset only when their shape changes", diagnosis='outside config')
def adam_mutable_default(w, dw, config=None, _state={}):  # noqa: B006 (the bug)
    config = {} if config is None else dict(config)
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    if _state.get("shape") != w.shape or "t" not in config:
        _state.update(shape=w.shape, m=np.zeros_like(w), v=np.zeros_like(w))
    b1, b2 = config["beta1"], config["beta2"]
    _state["m"] = b1 * _state["m"] + (1 - b1) * dw
    _state["v"] = b2 * _state["v"] + (1 - b2) * dw * dw
    t = config.get("t", 0) + 1
    config["t"] = t
    m_hat = _state["m"] / (1 - b1 ** t)
    v_hat = _state["v"] / (1 - b2 ** t)
    return w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"]), config


@bug("adam", "updates m and v from config in place (m *= beta1 ...)", diagnosis='in place')
def adam_in_place_moments(w, dw, config=None):
    config = {} if config is None else dict(config)
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    b1, b2 = config["beta1"], config["beta2"]
    m = config.setdefault("m", np.zeros_like(w))
    v = config.setdefault("v", np.zeros_like(w))
    m *= b1
    m += (1 - b1) * dw
    v *= b2
    v += (1 - b2) * dw * dw
    t = config.get("t", 0) + 1
    config["t"] = t
    m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
    return w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"]), config


@bug("adam", "wrong default beta2 (0.99)", diagnosis='default beta2')
def adam_wrong_default(w, dw, config=None):
    config = {} if config is None else dict(config)
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.99)
    config.setdefault("epsilon", 1e-8)
    b1, b2 = config["beta1"], config["beta2"]
    m = b1 * config.get("m", np.zeros_like(w)) + (1 - b1) * dw
    v = b2 * config.get("v", np.zeros_like(w)) + (1 - b2) * dw * dw
    t = config.get("t", 0) + 1
    config.update(m=m, v=v, t=t)
    m_hat = m / (1 - config["beta1"] ** t)
    v_hat = v / (1 - config["beta2"] ** t)
    return w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"]), config


@alternative("adam", "the paper's efficient ordering with epsilon rescaled to match: "
             "lr_t = lr * sqrt(1 - b2^t) / (1 - b1^t), eps_t = eps * sqrt(1 - b2^t)")
def adam_efficient_rescaled_eps(w, dw, config=None):
    config = {} if config is None else dict(config)
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    b1, b2 = config["beta1"], config["beta2"]
    m = b1 * config.get("m", np.zeros_like(w)) + (1 - b1) * dw
    v = b2 * config.get("v", np.zeros_like(w)) + (1 - b2) * dw * dw
    t = config.get("t", 0) + 1
    config.update(m=m, v=v, t=t)
    correction2 = math.sqrt(1 - config["beta2"] ** t)
    step = config["learning_rate"] * correction2 / (1 - config["beta1"] ** t)
    return w - step * m / (np.sqrt(v) + config["epsilon"] * correction2), config


@alternative("adam", "running products beta1**t and beta2**t kept as state instead of t; "
             "moments as lerps")
def adam_running_products(w, dw, config=None):
    config = {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, **(config or {})}
    b1, b2 = config["beta1"], config["beta2"]
    b1_t = config.get("beta1_power", 1.0) * b1
    b2_t = config.get("beta2_power", 1.0) * b2
    m_old = config.get("first_moment", np.zeros_like(w))
    v_old = config.get("second_moment", np.zeros_like(w))
    m = m_old + (1 - b1) * (dw - m_old)
    v = v_old + (1 - b2) * (np.square(dw) - v_old)
    config.update(beta1_power=b1_t, beta2_power=b2_t, first_moment=m, second_moment=v)
    denominator = np.sqrt(v / (1 - b2_t)) + config["epsilon"]
    return w - (config["learning_rate"] / (1 - b1_t)) * m / denominator, config


# ----------------------------------------------------------- checkpoint_momentum_steps
# w_0 = 1, g = 2 at every step, learning rate 0.1, momentum 0.9: [[v_1, v_2, v_3], [w_1, w_2, w_3]]

@bug("checkpoint_momentum_steps", "velocity sign convention flipped (v = mu v + lr g, w - v): "
     "the weights are right, the velocities have the wrong sign", diagnosis='opposite sign')
def checkpoint_momentum_sign_flipped():
    return [[0.2, 0.38, 0.542], [0.8, 0.42, -0.122]]


@bug("checkpoint_momentum_steps", "PyTorch's buffer (b = mu b + g) entered as the velocity", diagnosis="PyTorch's buffer")
def checkpoint_momentum_torch_buffer():
    return [[2.0, 3.8, 5.42], [0.8, 0.42, -0.122]]


@bug("checkpoint_momentum_steps", "the velocity forgets its past: plain SGD steps", diagnosis='forgets its past')
def checkpoint_momentum_no_memory():
    return [[-0.2, -0.2, -0.2], [0.8, 0.6, 0.4]]


@bug("checkpoint_momentum_steps", "w moved by the previous velocity (w_{t+1} = w_t + v_t)", diagnosis='previous velocity')
def checkpoint_momentum_old_velocity():
    return [[-0.2, -0.38, -0.542], [1.0, 0.8, 0.42]]


@bug("checkpoint_momentum_steps", "one step behind: v_0..v_2 and w_0..w_2", diagnosis='one step early')
def checkpoint_momentum_one_behind():
    return [[0.0, -0.2, -0.38], [1.0, 0.8, 0.42]]


@bug("checkpoint_momentum_steps", "the gradient step damped by (1 - mu)", diagnosis='(1 - momentum)')
def checkpoint_momentum_dampened():
    return [[-0.02, -0.038, -0.0542], [0.98, 0.942, 0.8878]]


@alternative("checkpoint_momentum_steps", "the same numbers as arithmetic on the given numbers, in a tuple")
def checkpoint_momentum_as_arithmetic():
    v1 = -0.1 * 2
    v2 = 0.9 * v1 - 0.1 * 2
    v3 = 0.9 * v2 - 0.1 * 2
    return ((v1, v2, v3), (1 + v1, 1 + v1 + v2, 1 + v1 + v2 + v3))


@alternative("checkpoint_momentum_steps", "a NumPy array of the numbers")
def checkpoint_momentum_as_array():
    return np.array([[-0.2, -0.38, -0.542], [0.8, 0.42, -0.122]])


# ------------------------------------------------------------ checkpoint_rmsprop_cache
# rho 0.9, lr 0.07, epsilon 0, g_1 = (2, -1), g_2 = (4, -2): [s_1, s_2, w_2 - w_1]

@bug("checkpoint_rmsprop_cache", "|g| averaged instead of g**2", diagnosis='|g|')
def checkpoint_rmsprop_abs():
    return [[0.2, 0.1], [0.58, 0.29], [-0.367658, 0.259973]]


@bug("checkpoint_rmsprop_cache", "decay_rate and 1 - decay_rate swapped", diagnosis='swapped')
def checkpoint_rmsprop_swapped():
    return [[3.6, 0.9], [14.76, 3.69], [-0.0728811, 0.0728811]]


@bug("checkpoint_rmsprop_cache", "the second step divided by the old cache s_1", diagnosis='old cache')
def checkpoint_rmsprop_old_cache():
    return [[0.4, 0.1], [1.96, 0.49], [-0.442719, 0.442719]]


@bug("checkpoint_rmsprop_cache", "the step divided by the cache, not its root", diagnosis='square root')
def checkpoint_rmsprop_no_root():
    return [[0.4, 0.1], [1.96, 0.49], [-4 * 0.07 / 1.96, 2 * 0.07 / 0.49]]


@bug("checkpoint_rmsprop_cache", "Adam's bias correction applied to the cache", diagnosis='bias-corrected')
def checkpoint_rmsprop_bias_corrected():
    return [[4.0, 1.0], [1.96 / 0.19, 0.49 / 0.19], [-0.087178, 0.087178]]


@bug("checkpoint_rmsprop_cache", "the cache forgot its past at step 2 (s_2 = (1 - rho) g_2**2)", diagnosis='forgot its past')
def checkpoint_rmsprop_no_memory():
    return [[0.4, 0.1], [1.6, 0.4], [-0.07 * 4 / math.sqrt(1.6), 0.07 * 2 / math.sqrt(0.4)]]


@bug("checkpoint_rmsprop_cache", "the total move w_2 - w_0 instead of the second step", diagnosis='both steps together')
def checkpoint_rmsprop_total_move():
    return [[0.4, 0.1], [1.96, 0.49],
            [-0.2 - 0.07 * 2 / math.sqrt(0.4), 0.2 + 0.07 * 1 / math.sqrt(0.1)]]


@alternative("checkpoint_rmsprop_cache", "the numbers as fractions and square roots written out")
def checkpoint_rmsprop_as_arithmetic():
    s1 = [0.1 * 2 ** 2, 0.1 * 1 ** 2]
    s2 = [0.9 * s1[0] + 0.1 * 4 ** 2, 0.9 * s1[1] + 0.1 * 2 ** 2]
    return [s1, s2, [-0.07 * 4 / math.sqrt(s2[0]), 0.07 * 2 / math.sqrt(s2[1])]]


@alternative("checkpoint_rmsprop_cache", "six significant digits are enough (rounded by hand)")
def checkpoint_rmsprop_rounded():
    return [[0.400000, 0.100000], [1.96000, 0.490000], [-0.200000, 0.200000]]


# --------------------------------------------------------------- checkpoint_adam_steps
# w_0 = (0.5, -0.5), g_1 = (2, -1), g_2 = (-2, -1), lr 0.1, beta1 0.5, beta2 0.96, epsilon 0:
# [w_1, m_hat_2, v_hat_2, w_2]

@bug("checkpoint_adam_steps", "bias correction forgotten", diagnosis='bias correction')
def checkpoint_adam_no_correction():
    return [[0.25, -0.25], [-0.5, -0.75], [0.3136, 0.0784], [0.339286, 0.0178571]]


@bug("checkpoint_adam_steps", "t off by one (t = 2 at the first update)", diagnosis='one step ahead')
def checkpoint_adam_t_ahead():
    return [[0.406667, -0.406667], [-0.571429, -0.857143], [2.72071, 0.680178], [0.44131, -0.302736]]


@bug("checkpoint_adam_steps", "|g| used for g**2 in the second moment", diagnosis='|g|')
def checkpoint_adam_abs():
    return [[0.5 - 0.1 * 2 / math.sqrt(2), -0.4], [-2 / 3, -1.0], [2.0, 1.0],
            [0.5 - 0.1 * 2 / math.sqrt(2) + 0.1 * (2 / 3) / math.sqrt(2), -0.3]]


@bug("checkpoint_adam_steps", "beta1 and beta2 swapped (step 1 still right)", diagnosis='swapped')
def checkpoint_adam_swapped():
    return [[0.4, -0.4], [-0.0032 / 0.0784, -1.0], [4.0, 1.0], [0.4 + 0.1 * 0.0032 / 0.0784 / 2, -0.3]]


@bug("checkpoint_adam_steps", "the corrected moments of step 1 carried into step 2", diagnosis='carried into step 2')
def checkpoint_adam_kept_corrected():
    return [[0.4, -0.4], [0.0, -4 / 3], [4 / 0.0784, 1 / 0.0784], [0.4, -0.362667]]


@bug("checkpoint_adam_steps", "the second step started from w_0", diagnosis='started from w_0')
def checkpoint_adam_from_w0():
    return [[0.4, -0.4], [-2 / 3, -1.0], [4.0, 1.0], [0.5 + 0.1 / 3, -0.4]]


@alternative("checkpoint_adam_steps", "the numbers as fractions written out, in tuples")
def checkpoint_adam_as_fractions():
    return ((2 / 5, -2 / 5), (-2 / 3, -1), (4, 1), (13 / 30, -3 / 10))


@alternative("checkpoint_adam_steps", "six significant digits (rounded by hand)")
def checkpoint_adam_rounded():
    return [[0.4, -0.4], [-0.666667, -1.0], [4.0, 1.0], [0.433333, -0.3]]


# ------------------------------------------------------------- issue 16: named mistakes

@bug("rmsprop", "|dw| averaged for dw**2 in the cache", diagnosis="|dw|")
def rmsprop_abs_gradient(w, dw, config=None):
    config = {} if config is None else dict(config)
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    rho = config["decay_rate"]
    cache = rho * config.get("cache", np.zeros_like(w)) + (1 - rho) * np.abs(dw)
    config["cache"] = cache
    return w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"]), config


@bug("adam", "one scalar second moment for all weights (np.mean(dw**2))", diagnosis="one number")
def adam_scalar_second_moment(w, dw, config=None):
    config = {} if config is None else dict(config)
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    b1, b2 = config["beta1"], config["beta2"]
    m = b1 * config.get("m", np.zeros_like(w)) + (1 - b1) * dw
    v = b2 * config.get("v", 0.0) + (1 - b2) * float(np.mean(dw * dw))
    t = config.get("t", 0) + 1
    config.update(m=m, v=v, t=t)
    m_hat = m / (1 - b1 ** t)
    v_hat = v / (1 - b2 ** t)
    return w - config["learning_rate"] * m_hat / (math.sqrt(v_hat) + config["epsilon"]), config


@bug("adam", "the state (m, v, t) is never stored in config: every step is a first step",
     diagnosis="not stored")
def adam_forgets_state(w, dw, config=None):
    config = {} if config is None else dict(config)
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    b1, b2 = config["beta1"], config["beta2"]
    m = b1 * config.get("m", np.zeros_like(w)) + (1 - b1) * dw
    v = b2 * config.get("v", np.zeros_like(w)) + (1 - b2) * dw * dw
    t = config.get("t", 0) + 1
    m_hat = m / (1 - b1 ** t)
    v_hat = v / (1 - b2 ** t)
    return w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"]), config
