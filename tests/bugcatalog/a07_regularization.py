"""Bug catalog for 07_regularization: dropout, batch norm, layer norm, the network and the
checkpoints.

Entries replace one graded function and use the solution's caches (batch norm's is a dict
with "centred", "var", "eps", "x_hat", "inv_std", "gamma", "train"; layer norm's has "x_hat",
"inv_std", "gamma"; dropout's is the scaled mask or None), so each is tested alone against
the notebook's own test cells.
"""

import copy

import numpy as np

from .registry import alternative, bug

ASSIGNMENT = "07_regularization"


def _named(name, function):
    """``function`` (a lambda) under a name of its own, for the entry's id."""
    function.__name__ = function.__qualname__ = name
    return function


# ---------------------------------------------------------------------- dropout_forward

def _check_p(p):
    if not 0 <= p < 1:
        raise ValueError(f"p must be in [0, 1), got {p}")


@bug("dropout_forward", "kept values not scaled by 1 / (1 - p)",
     diagnosis='not scaled')
def dropout_forward_no_scale(x, p, rng, train):
    _check_p(p)
    if not train or p == 0:
        return x.copy(), None
    mask = (rng.random(x.shape) >= p).astype(x.dtype)
    return x * mask, mask


@bug("dropout_forward", "scales at evaluation too (classic dropout mixed with inverted)",
     diagnosis='changes nothing')
def dropout_forward_scales_at_eval(x, p, rng, train):
    _check_p(p)
    if not train or p == 0:
        return x * x.dtype.type(1 - p), None
    mask = (rng.random(x.shape) >= p).astype(x.dtype) / x.dtype.type(1 - p)
    return x * mask, mask


@bug("dropout_forward", "p used as the keep probability",
     diagnosis='probability of dropping')
def dropout_forward_keep_probability(x, p, rng, train):
    _check_p(p)
    if not train or p == 0:
        return x.copy(), None
    mask = (rng.random(x.shape) < p).astype(x.dtype) / x.dtype.type(p)
    return x * mask, mask


@bug("dropout_forward", "mask drawn from NumPy's global random state, not from rng",
     diagnosis='global state')
def dropout_forward_global_random(x, p, rng, train):
    _check_p(p)
    if not train or p == 0:
        return x.copy(), None
    mask = (np.random.rand(*x.shape) >= p).astype(x.dtype) / x.dtype.type(1 - p)
    return x * mask, mask


@bug("dropout_forward", "a fixed seed inside: the same mask every step",
     diagnosis='fixed seed')
def dropout_forward_fixed_seed(x, p, rng, train):
    _check_p(p)
    if not train or p == 0:
        return x.copy(), None
    mask = (np.random.default_rng(0).random(x.shape) >= p).astype(x.dtype) / x.dtype.type(1 - p)
    return x * mask, mask


@bug("dropout_forward", "draws from a copy of rng: the generator never advances",
     diagnosis='from a copy')
def dropout_forward_copied_rng(x, p, rng, train):
    _check_p(p)
    if not train or p == 0:
        return x.copy(), None
    mask = (copy.deepcopy(rng).random(x.shape) >= p).astype(x.dtype) / x.dtype.type(1 - p)
    return x * mask, mask


@bug("dropout_forward", "divides by p instead of 1 - p",
     diagnosis='divided by p')
def dropout_forward_divides_by_p(x, p, rng, train):
    _check_p(p)
    if not train or p == 0:
        return x.copy(), None
    mask = (rng.random(x.shape) >= p).astype(x.dtype) / x.dtype.type(p)
    return x * mask, mask


@bug("dropout_forward", "float64 mask: float32 inputs come back as float64",
     diagnosis="keep the input's dtype")
def dropout_forward_float64(x, p, rng, train):
    _check_p(p)
    if not train or p == 0:
        return x.copy(), None
    mask = (rng.random(x.shape) >= p) / (1 - p)
    return x * mask, mask


@bug("dropout_forward", "no check of p: p = 1 divides by zero",
     diagnosis='should raise a ValueError')
def dropout_forward_no_check(x, p, rng, train):
    if not train or p == 0:
        return x.copy(), None
    with np.errstate(divide="ignore", invalid="ignore"):
        mask = (rng.random(x.shape) >= p).astype(x.dtype) / x.dtype.type(1 - p)
    return x * mask, mask


@alternative("dropout_forward", "mask from rng.random(shape) < 1 - p, and np.where")
def dropout_forward_where(x, p, rng, train):
    if not 0 <= p < 1:
        raise ValueError("p must be in [0, 1)")
    if not train or p == 0:
        return np.array(x, copy=True), None
    keep = rng.random(x.shape) < 1 - p
    scaled = np.where(keep, 1 / (1 - p), 0).astype(x.dtype)
    return x * scaled, scaled


# ---------------------------------------------------------------------- dropout_backward

@bug("dropout_backward", "gradient through the 0/1 mask, without the 1 / (1 - p)",
     diagnosis='0/1 mask only')
def dropout_backward_no_scale(dout, cache):
    if cache is None:
        return dout.copy()
    return dout * (cache != 0)


@bug("dropout_backward", "forgets the mask: every unit gets the scaled gradient",
     diagnosis='dropped units')
def dropout_backward_no_mask(dout, cache):
    if cache is None:
        return dout.copy()
    return dout * cache.max()


@bug("dropout_backward", "multiplies by 1 - p instead of dividing",
     diagnosis='multiplied by 1 - p')
def dropout_backward_times_keep(dout, cache):
    if cache is None:
        return dout.copy()
    keep = 1 / cache.max()
    return dout * (cache != 0) * keep


@bug("dropout_backward", "zero gradient at evaluation",
     diagnosis='identity')
def dropout_backward_eval_zero(dout, cache):
    if cache is None:
        return np.zeros_like(dout)
    return dout * cache


@alternative("dropout_backward", "np.multiply into a fresh array")
def dropout_backward_multiply(dout, cache):
    out = np.empty_like(dout)
    if cache is None:
        out[...] = dout
    else:
        np.multiply(dout, cache, out=out)
    return out


# ---------------------------------------------------------------------- checkpoint_dropout

@bug("checkpoint_dropout", "kept values not divided by 1 - p",
     diagnosis='not divided by 1 - p')
def checkpoint_dropout_no_scale():
    return {"out": [[1, 0, 3], [4, 5, 0]], "dx_train": [[0.4, 0, -0.8], [1.2, -1.6, 0]],
            "dx_eval": [[0.4, 2, -0.8], [1.2, -1.6, 1]]}


@bug("checkpoint_dropout", "divided by p = 0.2 instead of 1 - p",
     diagnosis='keep probability')
def checkpoint_dropout_by_p():
    return {"out": [[5, 0, 15], [20, 25, 0]], "dx_train": [[2, 0, -4], [6, -8, 0]],
            "dx_eval": [[0.4, 2, -0.8], [1.2, -1.6, 1]]}


@bug("checkpoint_dropout", "the gradient not masked",
     diagnosis='pass nothing back')
def checkpoint_dropout_gradient_unmasked():
    return {"out": [[1.25, 0, 3.75], [5, 6.25, 0]], "dx_train": [[0.5, 2.5, -1], [1.5, -2, 1.25]],
            "dx_eval": [[0.4, 2, -0.8], [1.2, -1.6, 1]]}


@bug("checkpoint_dropout", "masked and scaled at evaluation too",
     diagnosis='identity')
def checkpoint_dropout_eval_masked():
    return {"out": [[1.25, 0, 3.75], [5, 6.25, 0]], "dx_train": [[0.5, 0, -1], [1.5, -2, 0]],
            "dx_eval": [[0.5, 0, -1], [1.5, -2, 0]]}


@alternative("checkpoint_dropout", "written as fractions of 1 / 0.8, in tuples")
def checkpoint_dropout_fractions():
    s = 1 / 0.8
    return {"out": ((1 * s, 0.0, 3 * s), (4 * s, 5 * s, 0.0)),
            "dx_train": ((0.4 * s, 0.0, -0.8 * s), (1.2 * s, -1.6 * s, 0.0)),
            "dx_eval": np.array([[0.4, 2, -0.8], [1.2, -1.6, 1]])}


# ---------------------------------------------------------------------- batchnorm_forward

def _bn(x, gamma, beta, state, train, momentum, eps, *, unbiased_norm=False, eps_outside=False,
        update_in_eval=False, never_update=False, reversed_momentum=False, biased_running=False,
        replace=False, axis=0, no_n1_check=False, running_in_train=False, one_pass=False):
    """The solution's batch norm with one switch per mistake."""
    N, D = x.shape
    if state is None:
        state = {"running_mean": np.zeros(D, dtype=x.dtype), "running_var": np.ones(D, dtype=x.dtype)}
    keep = 1 - momentum if reversed_momentum else momentum
    mean = x.mean(axis=axis, keepdims=axis == 1)
    centred = x - mean
    var = (centred * centred).mean(axis=axis, keepdims=axis == 1)
    if one_pass:
        var = (x * x).mean(axis=axis, keepdims=axis == 1) - mean * mean
    if train and N < 2 and not no_n1_check:
        raise ValueError("N >= 2 in training")
    with np.errstate(divide="ignore", invalid="ignore"):
        unbiased = var * (N / (N - 1)) if N > 1 else var
    new_state = {key: value.copy() for key, value in state.items()}
    if (train and not never_update) or update_in_eval:
        batch_mean = mean.reshape(-1)[:D] if axis == 1 else mean
        batch_var = (var if biased_running else unbiased)
        batch_var = batch_var.reshape(-1)[:D] if axis == 1 else batch_var
        if replace:
            new_state = {"running_mean": batch_mean.copy(), "running_var": batch_var.copy()}
        else:
            new_state = {"running_mean": keep * state["running_mean"] + (1 - keep) * batch_mean,
                         "running_var": keep * state["running_var"] + (1 - keep) * batch_var}
    if not train or running_in_train:
        centred = x - state["running_mean"]
        var = state["running_var"]
    elif unbiased_norm:
        var = unbiased
    inv_std = 1 / (np.sqrt(var) + eps) if eps_outside else 1 / np.sqrt(var + eps)
    x_hat = centred * inv_std
    cache = {"centred": centred, "var": var, "eps": eps, "x_hat": x_hat, "inv_std": inv_std,
             "gamma": gamma, "train": train}
    return gamma * x_hat + beta, cache, new_state


@bug("batchnorm_forward", "normalizes with the unbiased variance (divides by N - 1)",
     diagnosis='unbiased variance')
def batchnorm_forward_unbiased(x, gamma, beta, state, train, momentum=0.9, eps=1e-5):
    return _bn(x, gamma, beta, state, train, momentum, eps, unbiased_norm=True)


@bug("batchnorm_forward", "eps outside the square root: 1 / (sqrt(var) + eps)",
     diagnosis='inside the square root')
def batchnorm_forward_eps_outside(x, gamma, beta, state, train, momentum=0.9, eps=1e-5):
    return _bn(x, gamma, beta, state, train, momentum, eps, eps_outside=True)


@bug("batchnorm_forward", "one-pass variance E[x^2] - E[x]^2: cancels in float32 for a mean far "
     "from 0 next to the spread",
     diagnosis='cancel')
def batchnorm_forward_one_pass_variance(x, gamma, beta, state, train, momentum=0.9, eps=1e-5):
    return _bn(x, gamma, beta, state, train, momentum, eps, one_pass=True)


@bug("batchnorm_forward", "running statistics also updated in eval mode",
     diagnosis='changed in eval mode')
def batchnorm_forward_updates_in_eval(x, gamma, beta, state, train, momentum=0.9, eps=1e-5):
    return _bn(x, gamma, beta, state, train, momentum, eps, update_in_eval=True)


@bug("batchnorm_forward", "running statistics never updated",
     diagnosis='not updated in training')
def batchnorm_forward_never_updates(x, gamma, beta, state, train, momentum=0.9, eps=1e-5):
    return _bn(x, gamma, beta, state, train, momentum, eps, never_update=True)


@bug("batchnorm_forward", "momentum reversed: new = (1 - momentum) * old + momentum * batch",
     diagnosis='momentum is reversed')
def batchnorm_forward_reversed_momentum(x, gamma, beta, state, train, momentum=0.9, eps=1e-5):
    return _bn(x, gamma, beta, state, train, momentum, eps, reversed_momentum=True)


@bug("batchnorm_forward", "running variance kept with the biased batch variance",
     diagnosis='biased batch variance')
def batchnorm_forward_biased_running(x, gamma, beta, state, train, momentum=0.9, eps=1e-5):
    return _bn(x, gamma, beta, state, train, momentum, eps, biased_running=True)


@bug("batchnorm_forward", "running statistics replaced by the batch's, not blended",
     diagnosis='replaced by the batch statistics')
def batchnorm_forward_replaces(x, gamma, beta, state, train, momentum=0.9, eps=1e-5):
    return _bn(x, gamma, beta, state, train, momentum, eps, replace=True)


@bug("batchnorm_forward", "normalizes over the features (axis 1) instead of the batch",
     diagnosis='over its features')
def batchnorm_forward_wrong_axis(x, gamma, beta, state, train, momentum=0.9, eps=1e-5):
    out, cache, _ = _bn(x, gamma, beta, state, train, momentum, eps, axis=1, never_update=True)
    return out, cache, _bn(x, gamma, beta, state, train, momentum, eps)[2]


@bug("batchnorm_forward", "normalizes with the running statistics in training too",
     diagnosis='normalizing with the running statistics')
def batchnorm_forward_running_in_train(x, gamma, beta, state, train, momentum=0.9, eps=1e-5):
    return _bn(x, gamma, beta, state, train, momentum, eps, running_in_train=True)


@bug("batchnorm_forward", "no error for N = 1 in training (returns nan running variance)",
     diagnosis='should raise a ValueError')
def batchnorm_forward_no_n1_error(x, gamma, beta, state, train, momentum=0.9, eps=1e-5):
    return _bn(x, gamma, beta, state, train, momentum, eps, no_n1_check=True)


@bug("batchnorm_forward", "updates the state dict it was given, in place",
     diagnosis='in place')
def batchnorm_forward_in_place(x, gamma, beta, state, train, momentum=0.9, eps=1e-5):
    out, cache, new_state = _bn(x, gamma, beta, state, train, momentum, eps)
    if state is not None:
        state.update(new_state)
        return out, cache, state
    return out, cache, new_state


@bug("batchnorm_forward", "initial running statistics float64 for float32 input",
     diagnosis="keep the input's dtype")
def batchnorm_forward_float64_state(x, gamma, beta, state, train, momentum=0.9, eps=1e-5):
    if state is None:
        state = {"running_mean": np.zeros(x.shape[1]), "running_var": np.ones(x.shape[1])}
    return _bn(x, gamma, beta, state, train, momentum, eps)


@alternative("batchnorm_forward", "np.var with ddof for the running estimate")
def batchnorm_forward_np_var(x, gamma, beta, state, train, momentum=0.9, eps=1e-5):
    N, D = x.shape
    if state is None:
        state = {"running_mean": np.zeros(D, dtype=x.dtype), "running_var": np.ones(D, dtype=x.dtype)}
    if train:
        if N < 2:
            raise ValueError("training needs N >= 2")
        mean, var = x.mean(axis=0), x.var(axis=0)
        new_state = {"running_mean": momentum * state["running_mean"] + (1 - momentum) * mean,
                     "running_var": momentum * state["running_var"] + (1 - momentum) * x.var(axis=0, ddof=1)}
        centred = x - mean
    else:
        centred, var = x - state["running_mean"], state["running_var"]
        new_state = {"running_mean": state["running_mean"].copy(), "running_var": state["running_var"].copy()}
    inv_std = 1 / np.sqrt(var + eps)
    x_hat = centred * inv_std
    cache = {"centred": centred, "var": var, "eps": eps, "x_hat": x_hat, "inv_std": inv_std,
             "gamma": gamma, "train": train}
    return gamma * x_hat + beta, cache, new_state


@alternative("batchnorm_forward", "statistics by einsum")
def batchnorm_forward_einsum(x, gamma, beta, state, train, momentum=0.9, eps=1e-5):
    N, D = x.shape
    if state is None:
        state = {"running_mean": np.zeros(D, dtype=x.dtype), "running_var": np.ones(D, dtype=x.dtype)}
    if train:
        if N < 2:
            raise ValueError("training needs N >= 2")
        mean = np.einsum("nd->d", x) / N
        centred = x - mean
        var = np.einsum("nd,nd->d", centred, centred) / N
        new_state = {"running_mean": momentum * state["running_mean"] + (1 - momentum) * mean,
                     "running_var": momentum * state["running_var"] + (1 - momentum) * var * N / (N - 1)}
    else:
        centred, var = x - state["running_mean"], state["running_var"]
        new_state = dict(state)
    inv_std = 1 / np.sqrt(var + eps)
    x_hat = centred * inv_std
    cache = {"centred": centred, "var": var, "eps": eps, "x_hat": x_hat, "inv_std": inv_std,
             "gamma": gamma, "train": train}
    return gamma * x_hat + beta, cache, new_state


# ---------------------------------------------------------------------- batchnorm_backward(_closed)

def _staged(dout, cache, *, mean_path=True, var_path=True, sum_params=True, eps_outside=False,
            var_sign=1.0, var_factor=2.0, dgamma_centred=False):
    centred, var, eps, gamma = cache["centred"], cache["var"], cache["eps"], cache["gamma"]
    inv_std = 1 / (np.sqrt(var) + eps) if eps_outside else 1 / np.sqrt(var + eps)
    x_hat = centred * inv_std
    dbeta = dout.sum(axis=0) if sum_params else dout.copy()
    dgamma = (dout * x_hat).sum(axis=0) if sum_params else dout * x_hat
    if dgamma_centred:
        dgamma = (dout * centred).sum(axis=0)
    dxhat = dout * gamma
    if not cache["train"]:
        return dxhat * inv_std, dgamma, dbeta
    N = dout.shape[0]
    dvar = var_sign * -0.5 * inv_std ** 3 * (dxhat * centred).sum(axis=0)
    dcentred = dxhat * inv_std + (var_factor / N * centred * dvar if var_path else 0)
    dx = dcentred - dcentred.mean(axis=0) if mean_path else dcentred
    return dx, dgamma, dbeta


def _closed(dout, cache, *, mean_term=True, var_term=True, factor_n=True, sum_params=True):
    x_hat, inv_std, gamma = cache["x_hat"], cache["inv_std"], cache["gamma"]
    dbeta, dgamma = dout.sum(axis=0), (dout * x_hat).sum(axis=0)
    if not cache["train"]:
        dx = dout * gamma * inv_std
    else:
        N = dout.shape[0]
        bracket = N * dout - (dbeta if mean_term else 0) - (x_hat * dgamma if var_term else 0)
        dx = gamma * inv_std * bracket / (N if factor_n else 1)
    if not sum_params:
        dbeta, dgamma = dout.copy(), dout * x_hat
    return dx, dgamma, dbeta


_BACKWARD_BUGS = [
    ("no_mean_path", "the path through the batch mean is missing",
     "path through the mean is missing", lambda dout, cache: _staged(dout, cache, mean_path=False)),
    ("no_variance_path", "the path through the batch variance is missing",
     "path through the variance is missing", lambda dout, cache: _staged(dout, cache, var_path=False)),
    ("params_not_summed", "gamma and beta gradients not summed over the batch",
     "shared by every example", lambda dout, cache: _staged(dout, cache, sum_params=False)),
    ("eps_outside", "eps outside the square root in the backward pass",
     "inside the square root", lambda dout, cache: _staged(dout, cache, eps_outside=True)),
    ("closed_no_1_over_n", "closed form without the 1/N factor",
     "factor 1/N", lambda dout, cache: _closed(dout, cache, factor_n=False)),
    ("closed_no_mean_term", "closed form without the dbeta term (mean path)",
     "path through the mean is missing", lambda dout, cache: _closed(dout, cache, mean_term=False)),
    ("closed_no_variance_term", "closed form without the x_hat * dgamma term (variance path)",
     "path through the variance is missing", lambda dout, cache: _closed(dout, cache, var_term=False)),
    ("closed_params_not_summed", "closed form, gamma and beta gradients not summed",
     "shared by every example", lambda dout, cache: _closed(dout, cache, sum_params=False)),
]
for _target in ("batchnorm_backward", "batchnorm_backward_closed"):
    for _name, _why, _diagnosis, _function in _BACKWARD_BUGS:
        bug(_target, _why, diagnosis=_diagnosis)(
            _named(f"{_target}_{_name}", lambda dout, cache, f=_function: f(dout, cache)))

bug("batchnorm_backward", "sign of dvar flipped", diagnosis="sign flipped")(
    _named("batchnorm_backward_dvar_sign", lambda dout, cache: _staged(dout, cache, var_sign=-1.0)))
bug("batchnorm_backward", "variance path with 1/N instead of 2/N", diagnosis="half its size")(
    _named("batchnorm_backward_variance_factor", lambda dout, cache: _staged(dout, cache, var_factor=1.0)))
bug("batchnorm_backward", "dgamma from the centred values x_c, not x_hat", diagnosis="x_c = x - mean")(
    _named("batchnorm_backward_dgamma_centred", lambda dout, cache: _staged(dout, cache, dgamma_centred=True)))


@bug("batchnorm_backward", "eval-mode cache treated like a training one",
     diagnosis='constants')
def batchnorm_backward_ignores_mode(dout, cache):
    return _staged(dout, {**cache, "train": True})


@bug("batchnorm_backward_closed", "the training formula at evaluation too",
     diagnosis='constants')
def batchnorm_backward_closed_ignores_mode(dout, cache):
    return _closed(dout, {**cache, "train": True})


@alternative("batchnorm_backward", "the closed form")
def batchnorm_backward_as_closed(dout, cache):
    return _closed(dout, cache)


@alternative("batchnorm_backward_closed", "the staged graph")
def batchnorm_backward_closed_as_staged(dout, cache):
    return _staged(dout, cache)


@alternative("batchnorm_backward", "einsum for every sum over the batch")
def batchnorm_backward_einsum(dout, cache):
    centred, var, eps, gamma = cache["centred"], cache["var"], cache["eps"], cache["gamma"]
    inv_std = 1 / np.sqrt(var + eps)
    x_hat = centred * inv_std
    dbeta, dgamma = np.einsum("nd->d", dout), np.einsum("nd,nd->d", dout, x_hat)
    dxhat = dout * gamma
    if not cache["train"]:
        return dxhat * inv_std, dgamma, dbeta
    N = dout.shape[0]
    dvar = -0.5 * inv_std ** 3 * np.einsum("nd,nd->d", dxhat, centred)
    dcentred = dxhat * inv_std + 2 / N * centred * dvar
    return dcentred - np.einsum("nd->d", dcentred) / N, dgamma, dbeta


@alternative("batchnorm_backward_closed", "a loop over the features")
def batchnorm_backward_closed_loop(dout, cache):
    x_hat, inv_std, gamma = cache["x_hat"], cache["inv_std"], cache["gamma"]
    N, D = dout.shape
    dx, dgamma, dbeta = np.empty_like(dout), np.empty_like(dout[0]), np.empty_like(dout[0])
    for j in range(D):
        dbeta[j], dgamma[j] = dout[:, j].sum(), (dout[:, j] * x_hat[:, j]).sum()
        if cache["train"]:
            dx[:, j] = gamma[j] * inv_std[j] / N * (N * dout[:, j] - dbeta[j] - x_hat[:, j] * dgamma[j])
        else:
            dx[:, j] = dout[:, j] * gamma[j] * inv_std[j]
    return dx, dgamma, dbeta


# ---------------------------------------------------------------------- checkpoints of batch norm

_STAGED = {"dbeta": 2.0, "dgamma": -0.8, "dxhat": [2.0, -2.0, 4.0, 0.0], "ds": -8.0, "dv": 0.032,
           "dxc": [0.288, -0.416, 0.816, 0.112], "dmu": -0.8, "dx": [0.088, -0.616, 0.616, -0.088]}


@bug("checkpoint_batchnorm_staged", "the path through the mean forgotten: dx = dxc",
     diagnosis='path through the mean')
def checkpoint_staged_no_mean_path():
    return {**_STAGED, "dx": [0.288, -0.416, 0.816, 0.112]}


@bug("checkpoint_batchnorm_staged", "x_c used once: the variance path left out of dxc",
     diagnosis='path through the variance')
def checkpoint_staged_no_variance_path():
    return {**_STAGED, "dxc": [0.4, -0.4, 0.8, 0.0], "dmu": -0.8, "dx": [0.2, -0.6, 0.6, -0.2]}


@bug("checkpoint_batchnorm_staged", "sign of dv flipped",
     diagnosis='sign of dv')
def checkpoint_staged_dv_sign():
    return {**_STAGED, "dv": -0.032}


@bug("checkpoint_batchnorm_staged", "dmu / N forgotten: dx = dxc + dmu",
     diagnosis='factor 1/N')
def checkpoint_staged_missing_n():
    return {**_STAGED, "dx": [-0.512, -1.216, 0.016, -0.688]}


@bug("checkpoint_batchnorm_staged", "dxhat without gamma",
     diagnosis='carries the factor gamma')
def checkpoint_staged_no_gamma():
    return {**_STAGED, "dxhat": [1.0, -1.0, 2.0, 0.0]}


@alternative("checkpoint_batchnorm_staged", "fractions, numpy scalars and a tuple")
def checkpoint_staged_fractions():
    return {"dbeta": np.float64(2), "dgamma": -4 / 5, "dxhat": (2, -2, 4, 0), "ds": -8, "dv": 4 / 125,
            "dxc": np.array([36, -52, 102, 14]) / 125, "dmu": -4 / 5, "dx": [11 / 125, -77 / 125, 77 / 125, -11 / 125]}


_CLOSED = {"dbeta": [2.0, 2.0], "dgamma": [-2.0, -1.2],
           "dx": [[0.6, 0.088], [-0.6, -0.184], [0.6, -0.216], [-0.6, 0.312]]}


@bug("checkpoint_batchnorm_closed", "the dbeta term left out",
     diagnosis='path through the mean')
def checkpoint_closed_no_mean():
    return {**_CLOSED, "dx": [[0.9, 0.188], [-0.3, -0.084], [0.9, -0.116], [-0.3, 0.412]]}


@bug("checkpoint_batchnorm_closed", "the x_hat * dgamma term left out",
     diagnosis='path through the variance')
def checkpoint_closed_no_variance():
    return {**_CLOSED, "dx": [[0.9, 0.1], [-0.3, -0.1], [0.3, -0.3], [-0.9, 0.3]]}


@bug("checkpoint_batchnorm_closed", "dx without the 1/N: four times too large",
     diagnosis='factor 1/N')
def checkpoint_closed_times_n():
    return {**_CLOSED, "dx": [[2.4, 0.352], [-2.4, -0.736], [2.4, -0.864], [-2.4, 1.248]]}


@bug("checkpoint_batchnorm_closed", "dgamma summed over x instead of x_hat",
     diagnosis='x_hat (not x)')
def checkpoint_closed_dgamma_x():
    return {**_CLOSED, "dgamma": [0.0, 4.0]}


@alternative("checkpoint_batchnorm_closed", "a numpy array and fractions")
def checkpoint_closed_array():
    return {"dbeta": np.array([2, 2]), "dgamma": (-2, -6 / 5),
            "dx": np.array([[15, 2.2], [-15, -4.6], [15, -5.4], [-15, 7.8]]) / 25}


# ---------------------------------------------------------------------- layer norm

def _ln(x, gamma, beta, eps=1e-5, *, axis=1, unbiased=False, eps_outside=False):
    mean = x.mean(axis=axis, keepdims=True)
    centred = x - mean
    n = x.shape[axis]
    var = (centred * centred).sum(axis=axis, keepdims=True) / (n - 1 if unbiased and n > 1 else n)
    inv_std = 1 / (np.sqrt(var) + eps) if eps_outside else 1 / np.sqrt(var + eps)
    x_hat = centred * inv_std
    return gamma * x_hat + beta, {"x_hat": x_hat, "inv_std": inv_std, "gamma": gamma}


@bug("layernorm_forward", "normalizes over the batch (axis 0): batch norm",
     diagnosis='which is batch norm')
def layernorm_forward_batch_axis(x, gamma, beta, eps=1e-5):
    return _ln(x, gamma, beta, eps, axis=0)


@bug("layernorm_forward", "unbiased variance",
     diagnosis='unbiased variance')
def layernorm_forward_unbiased(x, gamma, beta, eps=1e-5):
    return _ln(x, gamma, beta, eps, unbiased=True)


@bug("layernorm_forward", "eps outside the square root",
     diagnosis='inside the square root')
def layernorm_forward_eps_outside(x, gamma, beta, eps=1e-5):
    return _ln(x, gamma, beta, eps, eps_outside=True)


@bug("layernorm_forward", "ignores the eps argument",
     diagnosis='eps argument')
def layernorm_forward_fixed_eps(x, gamma, beta, eps=1e-5):
    return _ln(x, gamma, beta, 1e-5)


@alternative("layernorm_forward", "np.mean and np.var on the transpose")
def layernorm_forward_transpose(x, gamma, beta, eps=1e-5):
    mean, var = x.T.mean(axis=0)[:, None], x.T.var(axis=0)[:, None]
    inv_std = 1 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    return x_hat * gamma + beta, {"x_hat": x_hat, "inv_std": inv_std, "gamma": gamma}


def _ln_back(dout, cache, *, gamma_inside=True, mean_term=True, var_term=True, sum_params=True,
             params_axis=0):
    x_hat, inv_std, gamma = cache["x_hat"], cache["inv_std"], cache["gamma"]
    D = dout.shape[1]
    dbeta = dout.sum(axis=params_axis) if sum_params else dout.copy()
    dgamma = (dout * x_hat).sum(axis=params_axis) if sum_params else dout * x_hat
    g = dout * gamma if gamma_inside else dout
    dx = (inv_std / D) * (D * g - (g.sum(axis=1, keepdims=True) if mean_term else 0)
                          - (x_hat * (g * x_hat).sum(axis=1, keepdims=True) if var_term else 0))
    return (dx if gamma_inside else dx * gamma), dgamma, dbeta


bug("layernorm_backward", "gamma pulled out of the feature sums (batch norm's form)",
    diagnosis="out of the sums")(
    _named("layernorm_backward_gamma_outside", lambda dout, cache: _ln_back(dout, cache, gamma_inside=False)))
bug("layernorm_backward", "the path through the example's mean is missing",
    diagnosis="path through the mean is missing")(
    _named("layernorm_backward_no_mean_path", lambda dout, cache: _ln_back(dout, cache, mean_term=False)))
bug("layernorm_backward", "the path through the example's variance is missing",
    diagnosis="path through the variance is missing")(
    _named("layernorm_backward_no_variance_path", lambda dout, cache: _ln_back(dout, cache, var_term=False)))
bug("layernorm_backward", "gamma and beta gradients not summed over the batch",
    diagnosis="shared by every example")(
    _named("layernorm_backward_params_not_summed", lambda dout, cache: _ln_back(dout, cache, sum_params=False)))
bug("layernorm_backward", "gamma and beta gradients averaged over the batch instead of summed",
    diagnosis="mean over the batch, not the sum")(
    _named("layernorm_backward_params_averaged",
           lambda dout, cache: (lambda dx, dgamma, dbeta: (dx, dgamma / dout.shape[0], dbeta / dout.shape[0]))(
               *_ln_back(dout, cache))))
bug("layernorm_backward", "gamma and beta gradients summed over the features (axis 1), as the statistics are",
    diagnosis="one value per feature")(
    _named("layernorm_backward_params_over_features", lambda dout, cache: _ln_back(dout, cache, params_axis=1)))


@alternative("layernorm_backward", "a loop over the examples")
def layernorm_backward_loop(dout, cache):
    x_hat, inv_std, gamma = cache["x_hat"], cache["inv_std"], cache["gamma"]
    N, D = dout.shape
    dx = np.empty_like(dout)
    for n in range(N):
        g = dout[n] * gamma
        dx[n] = inv_std[n, 0] / D * (D * g - g.sum() - x_hat[n] * (g * x_hat[n]).sum())
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


_LN = {"dxhat": [[1.0, -2.0, 2.0, 0.0], [0.0, 2.0, 0.0, 0.5]],
       "dx": [[0.108, -0.456, 0.356, -0.008], [-0.2, 0.2, -0.05, 0.05]],
       "dgamma": [-1.4, -0.8, 0.4, 1.0], "dbeta": [1.0, 0.0, 2.0, 1.0]}


@bug("checkpoint_layernorm", "dxhat without gamma",
     diagnosis='carries gamma')
def checkpoint_layernorm_no_gamma():
    return {**_LN, "dxhat": [[1.0, -1.0, 2.0, 0.0], [0.0, 1.0, 0.0, 1.0]]}


@bug("checkpoint_layernorm", "dbeta summed over the features (axis 1)",
     diagnosis='one value per feature')
def checkpoint_layernorm_dbeta_rows():
    return {**_LN, "dbeta": [2.0, 2.0]}


@bug("checkpoint_layernorm", "gamma pulled out of the sums",
     diagnosis='feature sums')
def checkpoint_layernorm_gamma_outside():
    g = np.array([1.0, 2.0, 1.0, 0.5])
    row1 = np.array([4 - 2, -4 - 2, 8 - 2, 0 - 2]) + 0.8 * np.array([-1.4, -0.2, 0.2, 1.4])
    row2 = np.array([0 - 2, 4 - 2, 0 - 2, 4 - 2]) - 0.0 * np.array([-1, -1, 1, 1])
    return {**_LN, "dx": (g * np.array([row1, row2]) / 20).tolist()}


@alternative("checkpoint_layernorm", "fractions and arrays")
def checkpoint_layernorm_fractions():
    return {"dxhat": np.array([[1, -2, 2, 0], [0, 2, 0, 1 / 2]]),
            "dx": [[27 / 250, -57 / 125, 89 / 250, -1 / 125], [-1 / 5, 1 / 5, -1 / 20, 1 / 20]],
            "dgamma": (-7 / 5, -4 / 5, 2 / 5, 1), "dbeta": np.array([1, 0, 2, 1])}


# ---------------------------------------------------------------------- checkpoint_hidden_layer

@bug("checkpoint_hidden_layer", "dropout's 1 / (1 - p) forgotten",
     diagnosis="dropout's factor")
def checkpoint_hidden_no_scale():
    return {"du": [[0.4, 0.0, -0.8], [0.0, -1.2, 0.0]], "db": [0.0, 0.0, 0.0]}


@bug("checkpoint_hidden_layer", "db as the sum of du over the batch (batch norm ignored)",
     diagnosis='changes nothing')
def checkpoint_hidden_db_sum():
    return {"du": [[0.5, 0.0, -1.0], [0.0, -1.5, 0.0]], "db": [0.5, -1.5, -1.0]}


@bug("checkpoint_hidden_layer", "the ReLU mask forgotten",
     diagnosis='ReLU passes')
def checkpoint_hidden_no_relu():
    return {"du": [[0.5, 0.0, -1.0], [2.5, -1.5, 0.5]], "db": [0.0, 0.0, 0.0]}


@alternative("checkpoint_hidden_layer", "numpy arrays")
def checkpoint_hidden_arrays():
    return {"du": np.array([[0.4, 0, -0.8], [0, -1.2, 0]]) * 1.25, "db": np.zeros(3)}


# ---------------------------------------------------------------------- regularized_mlp_loss

def _dropout(x, p, rng, train):
    if not train or p == 0:
        return x.copy(), None
    mask = (rng.random(x.shape) >= p).astype(x.dtype) / x.dtype.type(1 - p)
    return x * mask, mask


def _network(params, X, y, activation="relu", weight_decay=0.0, norm=None, dropout=0.0, state=None,
             train=True, rng=None, *, decay_everything=False, dropout_at_eval=False, stale_state=False,
             batch_stats_at_eval=False, skip_dropout_backward=False):
    """The solution's network with one switch per mistake (its own layers, provided.py's rest)."""
    from provided import (linear_backward, linear_forward, relu_backward, relu_forward,
                          sigmoid_backward, sigmoid_forward, softmax_cross_entropy, tanh_backward,
                          tanh_forward)
    if norm not in (None, "batch", "layer"):
        raise ValueError(f"unknown norm {norm!r}")
    if dropout and train and rng is None:
        raise ValueError("dropout needs rng")
    forward, backward = {"relu": (relu_forward, relu_backward), "tanh": (tanh_forward, tanh_backward),
                         "sigmoid": (sigmoid_forward, sigmoid_backward)}[activation]
    layers = sum(key.startswith("W") for key in params)
    state = state or {}
    new_state, caches, out = {}, [], X
    for l in range(1, layers + 1):
        out, lc = linear_forward(out, params[f"W{l}"], params[f"b{l}"])
        if l == layers:
            caches.append((lc, None, None, None))
            break
        nc = None
        if norm == "batch":
            out, nc, new_state[f"bn{l}"] = _bn(out, params[f"gamma{l}"], params[f"beta{l}"],
                                               state.get(f"bn{l}"), train or batch_stats_at_eval, 0.9, 1e-5)
            if stale_state and f"bn{l}" in state:
                new_state[f"bn{l}"] = state[f"bn{l}"]
        elif norm == "layer":
            out, nc = _ln(out, params[f"gamma{l}"], params[f"beta{l}"])
        out, ac = forward(out)
        out, dc = _dropout(out, dropout, rng, train or dropout_at_eval)
        caches.append((lc, nc, ac, dc))
    loss, d = softmax_cross_entropy(out, y)
    grads = {}
    for l in range(layers, 0, -1):
        lc, nc, ac, dc = caches[l - 1]
        if l < layers:
            if dc is not None and not skip_dropout_backward:
                d = d * dc
            d = backward(d, ac)
            if norm == "batch":
                d, grads[f"gamma{l}"], grads[f"beta{l}"] = _closed(d, nc)
            elif norm == "layer":
                d, grads[f"gamma{l}"], grads[f"beta{l}"] = _ln_back(d, nc)
        d, grads[f"W{l}"], grads[f"b{l}"] = linear_backward(d, lc)
    if weight_decay:
        for key, value in params.items():
            if key.startswith("W") or decay_everything:
                loss += 0.5 * weight_decay * float(np.vdot(value, value))
                grads[key] = grads[key] + weight_decay * value
    return loss, grads, new_state


def _network_bug(name, why, diagnosis, **switch):
    bug("regularized_mlp_loss", why, diagnosis=diagnosis)(_named(
        f"regularized_mlp_loss_{name}",
        lambda params, X, y, activation="relu", weight_decay=0.0, norm=None, dropout=0.0, state=None,
        train=True, rng=None: _network(params, X, y, activation, weight_decay, norm, dropout, state,
                                       train, rng, **switch)))


_network_bug("decays_gamma_beta_biases", "weight decay on every parameter (b, gamma, beta too)",
             "every parameter", decay_everything=True)
_network_bug("dropout_at_eval", "dropout still applied at evaluation", "dropout is the identity",
             dropout_at_eval=True)
_network_bug("stale_state", "returns the old running statistics instead of the new ones",
             "state passed in", stale_state=True)
_network_bug("batch_stats_at_eval", "batch statistics (and updates) at evaluation",
             "batch's own statistics", batch_stats_at_eval=True)
_network_bug("no_dropout_backward", "the dropout mask left out of the backward pass",
             "skips dropout", skip_dropout_backward=True)


@alternative("regularized_mlp_loss", "the staged batch-norm backward and layers kept in lists")
def regularized_mlp_loss_staged(params, X, y, activation="relu", weight_decay=0.0, norm=None,
                                dropout=0.0, state=None, train=True, rng=None):
    loss, grads, new_state = _network(params, X, y, activation, weight_decay, norm, dropout, state,
                                      train, rng)
    return loss, {key: np.array(value) for key, value in grads.items()}, new_state
