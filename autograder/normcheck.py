"""Harnesses for 07's tests: dropout, batch norm, layer norm and the network that uses them.

What is here:
- PyTorch references in float64 (``torch_batchnorm``, ``torch_layernorm``, ``torch_network``):
  values, gradients by autograd, and running statistics as ``torch.nn.functional.batch_norm``
  keeps them;
- contract checks with messages that name the mistake: ``check_state`` (running
  statistics: never updated, updated in eval mode, momentum reversed, biased running
  variance), ``check_normalized`` (each feature's mean 0 and variance 1 in training),
  ``check_sums_to_zero``, ``check_dropout_output`` and ``check_drop_fraction`` (inverted
  dropout's scale and its drop probability), ``check_mask_from_rng``, ``expect_error``;
- ``check_steps`` for the hand-worked checkpoints: the first wrong step is reported, and
  a known wrong value is named;
- hints that name a mistake where a result matches it (``batchnorm_forward_hint``,
  ``layernorm_forward_hint``, ``backward_hint`` and ``batchnorm_hints``,
  ``layernorm_hints``, ``dropout_backward_hint``, ``network_dropout_hint``): each computes
  what the mistake gives on the same inputs, by autograd on a graph with a path cut or a
  mistaken forward pass, and fires only where the result matches it and not the right one;
- small random cases (``random_features``, ``random_network``);
- the network at evaluation and in float32 against PyTorch, never against the student's
  other answers (``check_evaluation_ignores_dropout``, ``check_network_float32``).

Every helper calls graded functions through ``checks.call`` with plain data and treats
caches as opaque, so it works in a student's kernel and in the grader's trusted process
(where graded functions are proxies). References come from PyTorch autograd, never from a
backward formula written here: the release imports this module, and the backward passes are
what the students derive.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from .checks import (CheckFailure, as_array, call, check_close, check_dtype, check_scalar, check_shape,
                     default_rtol, fail)

__all__ = [
    "backward_hint", "batchnorm_forward_hint", "batchnorm_hints", "check_answer_shapes",
    "check_batchnorm_backward", "check_drop_fraction", "check_dropout_output",
    "check_evaluation_ignores_dropout", "check_grad_shapes", "check_mask_from_rng", "check_network",
    "check_network_float32", "check_norm_gradients", "check_normalized",
    "check_param_grad", "check_parameter_gradients", "check_state", "check_steps",
    "check_sums_to_zero", "dropout_backward_hint", "expect_error", "layernorm_hints",
    "layernorm_forward_hint", "network_dropout_hint", "random_features", "random_network",
    "torch_batchnorm", "torch_layernorm", "torch_network", "unpack",
]

Z_BOUND = 6.0   # standard errors allowed in the statistical checks: false alarm ~2e-9 each
STATE_KEYS = ("running_mean", "running_var")


# ------------------------------------------------------------------------- results

def unpack(result, count: int, *, name: str, names: str):
    """``result`` as a tuple of ``count`` items, or a failure that says what came back."""
    if not isinstance(result, (tuple, list)) or len(result) != count:
        got = (f"a {type(result).__name__} of {len(result)}" if isinstance(result, (tuple, list))
               else f"a {getattr(result, 'type_name', type(result).__name__)}")
        fail(f"{name} should return {count} values {names}, got {got}."
             f"\n  hint: end the function with `return {names.strip('()')}`")
    return tuple(result)


def expect_error(fn: Callable, *args, error: type = ValueError, name: str, why: str, **kwargs):
    """``fn(*args, **kwargs)`` raises ``error``; ``why`` says which bad input it was given."""
    try:
        fn(*args, **kwargs)
    except error:
        return
    except NotImplementedError:
        fail(f"{name} is not implemented yet: it still raises NotImplementedError.")
    except Exception as other:  # a different exception: say which
        fail(f"{name} raised {type(other).__name__}: {other}, but for {why} it should raise "
             f"a {error.__name__} that says what is wrong.")
    fail(f"{name} returned normally for {why}; it should raise a {error.__name__} that says "
         "what is wrong (a silent nan or a wrong number would be found much later).")


# ------------------------------------------------------------------------- references

def _tensor(value, grad: bool = False):
    import torch
    return torch.tensor(np.array(value, dtype=np.float64), requires_grad=grad)


def torch_batchnorm(x, gamma, beta, dout=None, *, train: bool, state=None, momentum=0.9,
                    eps=1e-5, detach: str | None = None) -> dict:
    """Batch norm in PyTorch (float64): out, and dx/dgamma/dbeta when ``dout`` is given,
    and the new running statistics, with this course's momentum (weight of the old value).

    state: None (running mean 0, variance 1, as PyTorch starts) or the two running arrays.
    detach: None, or "mean" / "variance" / "both": the gradient with that path through the
    graph cut, which is what a backward pass that forgets it computes (used for hints).
    In training with eps = 0 (hand-worked cases) or one eps per feature (an array: the
    hints' stand-in for 1 / (sqrt(var) + eps)) the graph is built from torch operations,
    since F.batch_norm takes one positive eps.
    """
    import torch
    import torch.nn.functional as F
    D = np.shape(x)[1]
    running_mean = _tensor(np.zeros(D) if state is None else state["running_mean"])
    running_var = _tensor(np.ones(D) if state is None else state["running_var"])
    xt, gt, bt = _tensor(x, True), _tensor(gamma, True), _tensor(beta, True)
    per_feature = np.ndim(eps) > 0
    if per_feature:
        eps = torch.tensor(np.asarray(eps, dtype=np.float64))
    if not train or (detach is None and not per_feature and eps > 0):
        out = F.batch_norm(xt, running_mean, running_var, gt, bt, training=train,
                           momentum=1.0 - momentum, eps=eps)
    else:
        mean = xt.mean(dim=0)
        if detach in ("mean", "both"):
            mean = mean.detach()
        centred = xt - mean
        variance = (centred.detach() if detach in ("variance", "both") else centred).pow(2).mean(dim=0)
        out = gt * centred / torch.sqrt(variance + eps) + bt
    result = {"out": out.detach().numpy(), "running_mean": running_mean.numpy(),
              "running_var": running_var.numpy()}
    if dout is not None:
        out.backward(_tensor(dout))
        result.update(dx=xt.grad.numpy(), dgamma=gt.grad.numpy(), dbeta=bt.grad.numpy())
    return result


def torch_layernorm(x, gamma, beta, dout=None, *, eps=1e-5, detach: str | None = None) -> dict:
    """``torch.nn.functional.layer_norm`` over the last axis (float64), with gradients.

    detach: None, or "mean" / "variance" / "both": the gradient with that path through each
    example's statistics cut, as in ``torch_batchnorm`` (used for hints).
    """
    import torch
    import torch.nn.functional as F
    xt, gt, bt = _tensor(x, True), _tensor(gamma, True), _tensor(beta, True)
    if detach is None:
        out = F.layer_norm(xt, (xt.shape[-1],), gt, bt, eps=eps)
    else:
        mean = xt.mean(dim=-1, keepdim=True)
        if detach in ("mean", "both"):
            mean = mean.detach()
        centred = xt - mean
        variance = (centred.detach() if detach in ("variance", "both") else centred).pow(2).mean(
            dim=-1, keepdim=True)
        out = gt * centred / torch.sqrt(variance + eps) + bt
    result = {"out": out.detach().numpy()}
    if dout is not None:
        out.backward(_tensor(dout))
        result.update(dx=xt.grad.numpy(), dgamma=gt.grad.numpy(), dbeta=bt.grad.numpy())
    return result


def torch_network(params: Mapping, X, y, *, activation="relu", weight_decay=0.0, norm=None,
                  state=None, train=True, momentum=0.9, eps=1e-5, dropout=0.0, masks=None,
                  decay_all=False, dropout_gradient: str = "right"):
    """The network of 07 in PyTorch (float64), with dropout only through given masks.

    Hidden layer l: linear, then batch or layer norm (gamma_l, beta_l) when ``norm`` says so,
    then the activation, then (with ``masks``, one 0/1 array per hidden layer) inverted
    dropout of probability ``dropout`` with masks[l - 1]; the last layer is linear. Loss: mean
    cross-entropy plus (weight_decay / 2) * sum of squared weights. Returns
    (loss, grads, new_state) with new_state {"bn<l>": {"running_mean", "running_var"}} for
    batch norm, else {}.

    For hints, the network of a mistake: ``decay_all`` decays every parameter;
    ``dropout_gradient`` "skip" keeps dropout's output but lets the gradient pass it unchanged,
    "mask" lets it through the 0/1 mask without the scale.
    """
    import torch
    import torch.nn.functional as F
    f = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}[activation]
    leaves = {key: _tensor(value, True) for key, value in params.items()}
    layers = sum(key.startswith("W") for key in params)
    h, new_state = _tensor(X), {}
    for l in range(1, layers + 1):
        h = h @ leaves[f"W{l}"] + leaves[f"b{l}"]
        if l == layers:
            break
        if norm == "batch":
            old = (state or {}).get(f"bn{l}")
            D = h.shape[1]
            running_mean = _tensor(np.zeros(D) if old is None else old["running_mean"])
            running_var = _tensor(np.ones(D) if old is None else old["running_var"])
            h = F.batch_norm(h, running_mean, running_var, leaves[f"gamma{l}"], leaves[f"beta{l}"],
                             training=train, momentum=1.0 - momentum, eps=eps)
            new_state[f"bn{l}"] = {"running_mean": running_mean.numpy(),
                                   "running_var": running_var.numpy()}
        elif norm == "layer":
            h = F.layer_norm(h, (h.shape[1],), leaves[f"gamma{l}"], leaves[f"beta{l}"], eps=eps)
        h = f(h)
        if masks is not None:
            dropped = h * _tensor(masks[l - 1]) / (1.0 - dropout)
            path = {"right": dropped, "skip": h, "mask": h * _tensor(masks[l - 1])}[dropout_gradient]
            h = path + (dropped - path).detach()
    loss = F.cross_entropy(h, torch.tensor(np.asarray(y, dtype=np.int64)))
    decayed = [key for key in leaves if decay_all or key.startswith("W")]
    loss = loss + 0.5 * weight_decay * sum((leaves[key] ** 2).sum() for key in decayed)
    loss.backward()
    return loss.item(), {key: leaf.grad.numpy() for key, leaf in leaves.items()}, new_state


# ------------------------------------------------------------------------- random cases

def random_features(rng: np.random.Generator, N: int, D: int, *, tiny: bool = False):
    """x (N, D) with a different mean and scale per feature; gamma, beta (D,); dout (N, D).

    Each feature's standard deviation over the batch is its scale, in [0.5, 3]; tiny=True
    makes the last one 1e-3, so that var + eps is 11 times var under the square
    root (where eps goes then matters).
    """
    scale = rng.uniform(0.5, 3.0, size=D)
    if tiny:
        scale[-1] = 1e-3
    z = rng.standard_normal((N, D))
    if N > 1:   # each feature's batch std is exactly its scale: no feature is nearly constant
        z = (z - z.mean(axis=0)) / z.std(axis=0)   # by chance, which would make the loss too
    x = rng.uniform(-2, 2, size=D) + scale * z     # curved for centered differences
    gamma = rng.uniform(0.5, 2.0, size=D) * rng.choice([-1.0, 1.0], size=D)
    beta = rng.standard_normal(D)
    return x, gamma, beta, rng.standard_normal((N, D))


def centring_rtol(x) -> float:
    """The tolerance for a normalized output of ``x`` (N, D) computed in x's dtype.

    Centring a feature whose mean is far from 0 next to its spread loses digits to
    cancellation, in any correct order of operations: the mean's rounding error,
    eps * |x|, becomes a relative error of eps * |x| / std in x - mean (seen: 1.1e-4 in
    float32 for a feature of mean 1.8 and std 1e-3). So the tolerance is ``default_rtol``
    widened to 8 eps max|x| / std. The one-pass variance E[x^2] - E[x]^2 loses
    eps * (|x| / std)^2, which this still rejects.
    """
    x = np.asarray(x)
    x64 = x.astype(np.float64)
    std = x64.std(axis=0)
    amplification = float(np.max(np.max(np.abs(x64), axis=0) / np.where(std > 0, std, np.inf)))
    return max(default_rtol(x.dtype), 8 * float(np.finfo(x.dtype).eps) * max(1.0, amplification))


def random_network(rng: np.random.Generator, depth: int, N: int, *, norm=None, D=None,
                   min_var: float = 0.05):
    """Random widths (D 2-5 unless given, hidden 2-5, C 2-4), W ~ N(0, 1/fan_in),
    b ~ N(0, 1/4), gamma ~ U(0.5, 1.5), beta ~ N(0, 1/4) for the hidden layers when
    ``norm``; X (N, D) and labels y (N,).

    With ``norm``, cases are drawn until every normalized quantity has a variance of at
    least ``min_var`` (per unit over the batch for batch norm, per example over the units
    for layer norm; tanh network, no dropout). A variance near 0 makes s = (v + eps)^(-1/2)
    huge and the loss so curved that centered differences with h = 1e-5 are off by more than
    the 1e-6 the gradient checks allow, for a correct gradient (seen with v = 2e-4).
    """
    for _ in range(1000):
        sizes = ([D or int(rng.integers(2, 6))] + [int(rng.integers(2, 6)) for _ in range(depth - 1)]
                 + [int(rng.integers(2, 5))])
        params = {}
        for l in range(1, depth + 1):
            params[f"W{l}"] = rng.standard_normal((sizes[l - 1], sizes[l])) / np.sqrt(sizes[l - 1])
            params[f"b{l}"] = 0.5 * rng.standard_normal(sizes[l])
            if norm and l < depth:
                params[f"gamma{l}"] = rng.uniform(0.5, 1.5, size=sizes[l])
                params[f"beta{l}"] = 0.5 * rng.standard_normal(sizes[l])
        X = rng.standard_normal((N, sizes[0]))
        if not norm or _smallest_variance(params, X, norm, depth) >= min_var:
            return params, X, rng.integers(0, sizes[-1], size=N)
    raise RuntimeError("random_network: no well-conditioned case in 1000 draws")


def _smallest_variance(params, X, norm: str, depth: int) -> float:
    axis = 0 if norm == "batch" else 1
    h, smallest = X, np.inf
    for l in range(1, depth):
        z = h @ params[f"W{l}"] + params[f"b{l}"]
        variance = z.var(axis=axis, keepdims=True)
        smallest = min(smallest, float(np.min(variance)))
        h = np.tanh(params[f"gamma{l}"] * (z - z.mean(axis=axis, keepdims=True))
                    / np.sqrt(variance + 1e-5) + params[f"beta{l}"])
    return smallest


# ------------------------------------------------------------------------- batch norm

def _as_state(state, D: int, *, name: str, output: str) -> dict:
    if not isinstance(state, Mapping) or set(state) != set(STATE_KEYS):
        keys = sorted(state) if isinstance(state, Mapping) else type(state).__name__
        fail(f"{name}: {output} should be a dict with the keys {list(STATE_KEYS)}, got {keys}.")
    for key in STATE_KEYS:
        check_shape(state[key], (D,), name=name, output=f"{output}[{key!r}]")
    return {key: as_array(state[key], name, f"{output}[{key!r}]").astype(np.float64)
            for key in STATE_KEYS}


def check_state(got, *, old, x, momentum: float, train: bool, name: str, dtype=np.float64,
                step: str = "") -> None:
    """The running statistics after one call: new = momentum * old + (1 - momentum) * batch
    (the unbiased batch variance) in training, unchanged in eval mode.

    old: the state passed in (None: mean 0, variance 1). Failures name the mistake.
    """
    x = np.asarray(x, dtype=np.float64)
    N, D = x.shape
    before = ({"running_mean": np.zeros(D), "running_var": np.ones(D)} if old is None
              else {key: np.asarray(old[key], dtype=np.float64) for key in STATE_KEYS})
    output = f"new_state{step}"
    state = _as_state(got, D, name=name, output=output)
    for key in STATE_KEYS:
        check_dtype(got[key], dtype, name=name, output=f"{output}[{key!r}]")
    mean, biased = x.mean(axis=0), x.var(axis=0)
    unbiased = biased * N / (N - 1) if N > 1 else biased

    def blend(weight, old_value, batch_value):
        return weight * old_value + (1 - weight) * batch_value

    if not train:
        expected = before
        mistakes = [("the running statistics changed in eval mode: evaluation must use them "
                     "as they are and return them unchanged (only training updates them)",
                     {"running_mean": blend(momentum, before["running_mean"], mean),
                      "running_var": blend(momentum, before["running_var"], unbiased)})]
    else:
        expected = {"running_mean": blend(momentum, before["running_mean"], mean),
                    "running_var": blend(momentum, before["running_var"], unbiased)}
        mistakes = [
            ("the running statistics were not updated in training mode: each training call "
             "returns new ones, new = momentum * old + (1 - momentum) * batch", before),
            (f"the momentum is reversed: in this course momentum={momentum} is the weight of the "
             "OLD value, new = momentum * old + (1 - momentum) * batch (PyTorch's momentum=0.1 "
             "is the weight of the batch, the other convention)",
             {"running_mean": blend(1 - momentum, before["running_mean"], mean),
              "running_var": blend(1 - momentum, before["running_var"], unbiased)}),
            ("the running variance was updated with the biased batch variance (divided by N); "
             "keep it as PyTorch does, with the unbiased one (divided by N - 1)",
             {"running_mean": expected["running_mean"],
              "running_var": blend(momentum, before["running_var"], biased)}),
            ("the running statistics were replaced by the batch statistics instead of blended "
             "with the old ones", {"running_mean": mean, "running_var": unbiased}),
        ]
    for key in STATE_KEYS:
        scale = max(float(np.max(np.abs(expected[key]))), 1e-12)
        if np.max(np.abs(state[key] - expected[key])) <= _rtol(dtype) * scale:
            continue
        hint = next((text for text, values in mistakes
                     if np.max(np.abs(state[key] - values[key])) <= _rtol(dtype) * scale
                     and np.max(np.abs(values[key] - expected[key])) > 10 * _rtol(dtype) * scale),
                    None)
        check_close(state[key], expected[key], name=name, output=f"{output}[{key!r}]",
                    hint=hint or f"{'training' if train else 'eval'} mode, momentum={momentum}")


def _rtol(dtype) -> float:
    return 1e-4 if np.dtype(dtype) == np.float32 else 1e-7


def check_normalized(out, gamma, beta, *, x, eps: float, name: str) -> None:
    """In training, (out - beta) / gamma has mean 0 and variance var / (var + eps) for every
    feature (1 up to eps), where var is the batch's biased variance."""
    out = as_array(out, name, "out").astype(np.float64)
    x = np.asarray(x, dtype=np.float64)
    N = x.shape[0]
    normalized = (out - np.asarray(beta)) / np.asarray(gamma)
    means = normalized.mean(axis=0)
    if np.max(np.abs(means)) > 1e-6:
        j = int(np.argmax(np.abs(means)))
        fail(f"{name}: in training mode the output of feature {j}, undone by gamma and beta, has "
             f"mean {means[j]:.3g} over the batch; it should be 0."
             "\n  hint: subtract each feature's mean over the batch (axis 0), not over the features")
    variances, biased = normalized.var(axis=0), x.var(axis=0)
    expected = biased / (biased + eps)
    j = int(np.argmax(np.abs(variances - expected)))
    if abs(variances[j] - expected[j]) > 1e-6 * max(1.0, expected[j]):
        if N > 1 and abs(variances[j] - expected[j] * (N - 1) / N) < 1e-4:
            hint = ("the variance is (N - 1) / N: you normalized with the unbiased variance "
                    "(divided by N - 1); normalize with the biased one (divided by N)")
        else:
            hint = "divide the centred values by sqrt(var + eps), var the batch's variance per feature"
        fail(f"{name}: in training mode the output of feature {j}, undone by gamma and beta, has "
             f"variance {variances[j]:.6g} over the batch; it should be {expected[j]:.6g} "
             f"(1 up to eps).\n  hint: {hint}")


def check_sums_to_zero(dx, *, name: str, dout_scale: float) -> None:
    """Batch norm's dx sums to 0 over the batch for every feature (in training mode)."""
    dx = as_array(dx, name, "dx").astype(np.float64)
    sums = dx.sum(axis=0)
    limit = 1e-8 * max(1.0, dout_scale) * dx.shape[0]
    if np.max(np.abs(sums)) <= limit:
        return
    j = int(np.argmax(np.abs(sums)))
    fail(f"{name}: dx summed over the batch is {sums[j]:.3g} for feature {j}; in training mode "
         "it is 0 for every feature."
         "\n  hint: is the path through the batch mean missing or incomplete?")


# ------------------------------------------------------------------------- hints
# Each detector computes what a specific mistake gives on the same inputs (PyTorch with a path
# cut, a wrong axis, a wrong variance, ...) and names the mistake only where the student's
# result matches it and the mistake is visible on these inputs (its result differs from the
# right one by far more than the matching tolerance).

def _as_float(value):
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None


def _matching(got, expected, candidates, *, rtol: float = 1e-8) -> str | None:
    """The text of the first (text, value) candidate that ``got`` matches to ``rtol`` of the
    values' size while ``expected`` does not (by more than 100 rtol)."""
    got, expected = _as_float(got), _as_float(expected)
    if got is None or expected is None or got.shape != expected.shape or not np.all(np.isfinite(got)):
        return None
    for text, candidate in candidates:
        candidate = _as_float(candidate)
        if candidate is None or candidate.shape != got.shape:
            continue
        scale = max(float(np.max(np.abs(candidate), initial=0)), float(np.max(np.abs(expected), initial=0)),
                    1e-300)
        if (np.max(np.abs(got - candidate), initial=0) <= rtol * scale
                and np.max(np.abs(candidate - expected), initial=0) > 100 * rtol * scale):
            return text
    return None


def _normalize(x, gamma, beta, centred, var, eps):
    return np.asarray(gamma) * centred / np.sqrt(var + eps) + np.asarray(beta)


def batchnorm_forward_hint(out, x, gamma, beta, *, train: bool = True, state=None,
                           eps: float = 1e-5) -> str | None:
    """Name the mistake a batch-norm ``out`` matches: eps outside the root, the unbiased
    variance, the wrong axis, the running statistics in training (the batch's at evaluation),
    or the one-pass variance E[x^2] - E[x]^2 in float32."""
    x_in = np.asarray(x)
    x = x_in.astype(np.float64)
    gamma, beta = (np.asarray(v, dtype=np.float64) for v in (gamma, beta))
    N, D = x.shape
    running_mean = np.zeros(D) if state is None else np.asarray(state["running_mean"], dtype=np.float64)
    running_var = np.ones(D) if state is None else np.asarray(state["running_var"], dtype=np.float64)
    mean, var = x.mean(axis=0), x.var(axis=0)
    rtol = 1e-8 if x_in.dtype == np.float64 else centring_rtol(x_in)
    if not train:
        return _matching(out, _normalize(x, gamma, beta, x - running_mean, running_var, eps), [
            ("your output at evaluation matches normalizing with the batch's own mean and variance: "
             "at evaluation normalize with the running mean and variance (the state passed in)",
             _normalize(x, gamma, beta, x - mean, var, eps))], rtol=rtol)
    expected = _normalize(x, gamma, beta, x - mean, var, eps)
    rows = x - x.mean(axis=1, keepdims=True)
    candidates = [
        ("your output matches 1 / (sqrt(var) + eps): eps goes inside the square root, "
         "sqrt(var + eps), as stated", gamma * (x - mean) / (np.sqrt(var) + eps) + beta),
        ("your output matches normalizing each example over its features (axis 1), which is layer "
         "norm: batch norm normalizes each feature (column) over the batch (axis 0)",
         _normalize(x, gamma, beta, rows, (rows * rows).mean(axis=1, keepdims=True), eps)),
        ("your output in training matches normalizing with the running statistics (the state passed "
         "in): in training batch norm normalizes with the batch's own mean and variance, and only "
         "updates the running ones", _normalize(x, gamma, beta, x - running_mean, running_var, eps)),
    ]
    if N > 1:
        candidates.insert(1, ("your output matches the unbiased variance (divided by N - 1): batch norm "
                              "normalizes with the batch's own, biased variance (divided by N)",
                              _normalize(x, gamma, beta, x - mean, var * N / (N - 1), eps)))
    text = _matching(out, expected, candidates, rtol=rtol)
    if text or x_in.dtype == np.float64:
        return text
    # the one-pass variance, in x's own precision: its error is what cancellation leaves
    m = x_in.mean(axis=0)
    with np.errstate(all="ignore"):   # it may cancel below -eps: a nan candidate matches nothing
        one_pass = (x_in * x_in).mean(axis=0) - m * m
        candidate = gamma * (x_in - m).astype(np.float64) / np.sqrt(one_pass.astype(np.float64) + eps) + beta
    got = _as_float(out)
    one_pass_text = ("your output matches the variance computed as E[x^2] - E[x]^2: in float32 the two "
                     "terms nearly cancel when a feature's mean is far from 0 next to its spread, and "
                     "their difference keeps few correct digits; compute the variance from the centred "
                     "values x - mean")
    if got is not None and got.shape == x.shape and not np.all(np.isfinite(got)):
        # the cancellation can leave a variance below -eps: sqrt of a negative number, nan
        broken = ~np.all(np.isfinite(got), axis=0)
        if np.any(one_pass.astype(np.float64)[broken] + eps <= 0):
            return ("your output is nan where the variance computed as E[x^2] - E[x]^2 comes out "
                    "below -eps: in float32 the two terms nearly cancel when a feature's mean is far "
                    "from 0 next to its spread; compute the variance from the centred values x - mean")
        return None
    if got is not None and got.shape == x.shape:
        off = float(np.max(np.abs(got - expected)))
        if off > 0 and float(np.max(np.abs(got - candidate))) <= 0.1 * off:
            return one_pass_text
    return None


def layernorm_forward_hint(out, x, gamma, beta, *, eps: float = 1e-5) -> str | None:
    """Name the mistake a layer-norm ``out`` matches: the batch axis, the unbiased variance,
    eps outside the root, the default eps instead of the one passed in."""
    x_in = np.asarray(x)
    x = x_in.astype(np.float64)
    gamma, beta = (np.asarray(v, dtype=np.float64) for v in (gamma, beta))
    N, D = x.shape
    centred = x - x.mean(axis=1, keepdims=True)
    var = (centred * centred).mean(axis=1, keepdims=True)
    expected = _normalize(x, gamma, beta, centred, var, eps)
    candidates = [
        ("your output matches 1 / (sqrt(var) + eps): eps goes inside the square root, "
         "sqrt(var + eps), as stated", gamma * centred / (np.sqrt(var) + eps) + beta),
    ]
    if N > 1:
        columns = x - x.mean(axis=0)
        candidates.insert(0, ("your output matches normalizing each feature over the batch (axis 0), "
                              "which is batch norm: layer norm normalizes each example (row) over its "
                              "features (axis 1)",
                              _normalize(x, gamma, beta, columns, x.var(axis=0), eps)))
    if D > 1:
        candidates.append(("your output matches the unbiased variance (divided by D - 1): layer norm "
                           "normalizes with each example's own, biased variance (divided by D)",
                           _normalize(x, gamma, beta, centred, var * D / (D - 1), eps)))
    if eps != 1e-5:
        candidates.append((f"your output matches eps=1e-5, not the eps={eps:g} passed in: use the eps "
                           "argument", _normalize(x, gamma, beta, centred, var, 1e-5)))
    return _matching(out, expected, candidates,
                     rtol=1e-8 if x_in.dtype == np.float64 else default_rtol(x_in.dtype))


def backward_hint(dx, *, x, gamma, beta, dout, eps=1e-5) -> str | None:
    """Name the mistake a batch-norm training ``dx`` matches: a path of the graph left out
    (through the mean, the variance, or both), the path through the variance with its sign
    flipped or at half its size, a factor 1/N missing, eps outside the square root."""
    def dx_of(**kw):
        return torch_batchnorm(x, gamma, beta, dout, train=True, **{"eps": eps, **kw})["dx"]

    right, without_variance = dx_of(), dx_of(detach="variance")
    var = np.asarray(x, dtype=np.float64).var(axis=0)
    N = np.shape(x)[0]
    return _matching(dx, right, [
        ("the paths through the mean and the variance are both missing", dx_of(detach="both")),
        ("the path through the mean is missing (x reaches the loss through x_c directly and "
         "through the batch mean)", dx_of(detach="mean")),
        ("the path through the variance is missing (x_c is used twice: in the variance and in "
         "x_hat)", without_variance),
        ("your dx matches the path through the variance with its sign flipped: look at the sign "
         "of the derivative of (v + eps)^(-1/2)", 2 * without_variance - right),
        ("your dx matches the path through the variance at half its size: look at the derivative "
         "of the variance, a mean of squares, with respect to x_c", (without_variance + right) / 2),
        (f"your dx is N = {N} times the right one: a factor 1/N is missing (the batch mean and "
         "variance are averages over the N examples)", N * right),
        ("your dx matches 1 / (sqrt(var) + eps) in place of 1 / sqrt(var + eps): eps goes inside "
         "the square root in the backward pass too", dx_of(eps=(np.sqrt(var) + eps) ** 2 - var)),
    ])


def _parameter_hints(x, gamma, beta, dout, axis: int, reference: Callable) -> dict:
    """{"gamma": dgamma -> its mistake (x_c or x for x_hat, a mean for the sum),
    "beta": dbeta -> its mistake (a mean for the sum)}."""
    x, dout = np.asarray(x, dtype=np.float64), np.asarray(dout, dtype=np.float64)
    centred, N = x - x.mean(axis=axis, keepdims=True), x.shape[0]

    def averaged(output):
        return (f"your {output} is the mean over the batch, not the sum: every example adds its own "
                f"contribution to the shared {output[1:]}")

    def gamma_hint(dgamma):
        right = reference()["dgamma"]
        return _matching(dgamma, right, [
            ("your dgamma matches summing dout times x_c = x - mean: gamma multiplies x_hat, the "
             "normalized value", (dout * centred).sum(axis=0)),
            ("your dgamma matches summing dout times x: gamma multiplies x_hat, the normalized value",
             (dout * x).sum(axis=0)),
            (averaged("dgamma"), right / N)])

    def beta_hint(dbeta):
        right = reference()["dbeta"]
        return _matching(dbeta, right, [(averaged("dbeta"), right / N)])

    return {"gamma": gamma_hint, "beta": beta_hint}


def batchnorm_hints(x, gamma, beta, dout, *, train: bool, eps=1e-5) -> dict:
    """For ``check_norm_gradients``: {"x" / "gamma" / "beta": gradient -> its mistake}.
    dx in training: ``backward_hint``; at evaluation (training already passed) what is left
    of the graph."""
    if not train:
        return {"x": lambda dx: ("your dx in training passed, at evaluation it does not: there the "
                                 "running statistics are constants, so x reaches the output only "
                                 "through x_hat (no path through the batch's mean or variance)")}
    return {"x": lambda dx: backward_hint(dx, x=x, gamma=gamma, beta=beta, dout=dout, eps=eps),
            **_parameter_hints(x, gamma, beta, dout, 0, lambda: torch_batchnorm(
                x, gamma, beta, dout, train=True, eps=eps))}


def layernorm_hints(x, gamma, beta, dout, *, eps=1e-5) -> dict:
    """For ``check_norm_gradients``: {"x" / "gamma" / "beta": gradient -> the layer-norm
    mistake it matches}."""
    def hint(dx):
        def dx_of(**kw):
            return torch_layernorm(x, kw.pop("gamma", gamma), beta, dout, eps=eps, **kw)["dx"]
        return _matching(dx, dx_of(), [
            ("the paths through the example's mean and variance are both missing", dx_of(detach="both")),
            ("the path through the mean is missing (x reaches the loss through x_c directly and "
             "through the example's mean)", dx_of(detach="mean")),
            ("the path through the variance is missing (x_c is used twice: in the example's variance "
             "and in x_hat)", dx_of(detach="variance")),
            ("your dx matches batch norm's form with gamma taken out of the sums: layer norm's sums "
             "run over the features, and gamma differs from feature to feature, so keep it inside "
             "them (work with dxhat)", np.asarray(gamma) * dx_of(gamma=np.ones(np.shape(gamma)))),
        ])
    return {"x": hint, **_parameter_hints(x, gamma, beta, dout, 1, lambda: torch_layernorm(
        x, gamma, beta, dout, eps=eps))}


def dropout_backward_hint(dx, *, out, x, dout, p: float, train: bool) -> str | None:
    """Name the mistake a dropout ``dx`` matches, the mask read off the forward pass's ``out``
    (x has no zeros); each candidate is autograd's gradient of a mistaken forward pass."""
    got = _as_float(dx)
    if not train:
        if got is not None and got.shape == np.shape(dout) and np.any(dout) and not np.any(got):
            return "at evaluation dropout is the identity: what is the gradient of the identity?"
        return None
    kept = _tensor((np.asarray(out) != 0).astype(np.float64))

    def gradient(forward):
        xt = _tensor(x, True)
        forward(xt).backward(_tensor(dout))
        return xt.grad.numpy()

    return _matching(dx, gradient(lambda v: v * kept / (1 - p)), [
        ("your dx is the upstream gradient through the 0/1 mask only: look at everything the "
         "forward pass does to a kept unit", gradient(lambda v: v * kept)),
        ("your dx gives every unit a gradient, the dropped units too: look at what a dropped unit "
         "contributes to out", gradient(lambda v: v / (1 - p))),
        ("your dx is the masked gradient multiplied by 1 - p: compare with what the forward pass "
         "does to a kept unit", gradient(lambda v: v * kept * (1 - p))),
    ])


def check_steps(got, expected: Mapping, *, name: str, steps: Mapping[str, str],
                mistakes: Mapping[str, Mapping[str, str]] | None = None, rtol: float = 1e-5) -> None:
    """A checkpoint's dict of hand-computed values, checked step by step in order.

    steps: {key: what that step is}; the first wrong step fails with its description.
    mistakes: {key: {hint: wrong value}} from known slips, named when they match.
    """
    if not isinstance(got, Mapping):
        fail(f"{name} should return a dict with the keys {list(steps)}, got "
             f"{getattr(got, 'type_name', type(got).__name__)}.")
    missing = [key for key in steps if key not in got]
    if missing:
        fail(f"{name}: the keys {missing} are missing (expected {list(steps)}).")
    for key, description in steps.items():
        value = as_array(got[key], name, f"{key!r}").astype(np.float64)
        target = np.asarray(expected[key], dtype=np.float64)
        check_shape(value, target.shape, name=name, output=f"{key!r} ({description})")
        scale = max(float(np.max(np.abs(target), initial=0)), 1e-12)
        if np.max(np.abs(value - target), initial=0) <= rtol * scale + 1e-12:
            continue
        hint = None
        for text, wrong in (mistakes or {}).get(key, {}).items():
            wrong = np.asarray(wrong, dtype=np.float64)
            if wrong.shape == value.shape and np.max(np.abs(value - wrong), initial=0) <= rtol * scale + 1e-12:
                hint = text
                break
        check_close(value, target, name=name, output=f"{key!r} ({description})", rtol=rtol,
                    hint=hint or "the steps before this one are right: look at this step's local "
                                 "derivative and the upstream gradient it multiplies")


# ------------------------------------------------------------------------- dropout

def check_dropout_output(out, x, p: float, *, name: str) -> None:
    """Inverted dropout in training: every entry is 0 or x / (1 - p) (x has no zeros)."""
    out = as_array(out, name, "out")
    # rounding of x / (1 - p) in the input's dtype (never the output's: see checks.demanded_precision)
    tolerance = 1e-6 if np.asarray(x).dtype == np.float32 else 1e-12
    out, x = out.astype(np.float64), np.asarray(x, dtype=np.float64)
    check_shape(out, x.shape, name=name, output="out")
    kept = out != 0
    if not kept.any():
        return
    ratios = out[kept] / x[kept]
    if np.all(np.abs(ratios - 1 / (1 - p)) <= tolerance * (1 / (1 - p))):
        return
    for value, text in ((1.0, "the kept values are not scaled: inverted dropout divides them by "
                              "1 - p in training, so that their expected value is x"),
                        (1 / p if p else np.inf, "the kept values are divided by p; divide by "
                                                 "1 - p, the probability of keeping a unit"),
                        (1 - p, "the kept values are multiplied by 1 - p; inverted dropout "
                                "divides by 1 - p in training (and does nothing at eval)"),
                        (p, "the kept values are multiplied by p; inverted dropout divides them "
                            "by 1 - p")):
        if np.all(np.abs(ratios - value) <= 1e-4 * abs(value)):
            fail(f"{name}: in training mode with p={p}, kept entries are {ratios[0]:.6g} times x; "
                 f"expected {1 / (1 - p):.6g} = 1 / (1 - p).\n  hint: {text}")
    index = int(np.argmax(np.abs(ratios - 1 / (1 - p))))
    fail(f"{name}: in training mode with p={p} every entry of out must be 0 or x / (1 - p); one "
         f"kept entry is {ratios[index]:.6g} times x (expected {1 / (1 - p):.6g}, or 0)."
         "\n  hint: out = x * mask / (1 - p) with a 0/1 mask; the same mask for every entry "
         "is multiplied elementwise")


def check_drop_fraction(out, p: float, *, name: str) -> None:
    """The fraction of zeros in ``out`` (x had none) is p, within 6 standard errors."""
    out = as_array(out, name, "out")
    n = out.size
    dropped = float(np.mean(out == 0))
    limit = Z_BOUND * np.sqrt(p * (1 - p) / n)
    if abs(dropped - p) <= limit:
        return
    if p not in (0.5,) and abs(dropped - (1 - p)) <= limit:
        hint = ("p is the probability of DROPPING a unit (as in torch.nn.Dropout(p)), "
                "not of keeping it")
    elif dropped == 0:
        hint = "nothing was dropped: in training mode each unit is dropped with probability p"
    else:
        hint = "each unit is dropped independently with probability p: mask = rng.random(x.shape) >= p"
    fail(f"{name}: {dropped:.2%} of the {n} entries were dropped with p={p}; a correct dropout "
         f"drops {p:.0%} (within +-{limit:.2%} at this size).\n  hint: {hint}")


def check_mask_from_rng(fn: Callable, x, p: float, seed: int, *, name: str) -> None:
    """``fn(x, p, rng, True)`` draws its mask from ``rng`` and nothing else."""

    def out(generator):
        result = unpack(call(fn, x, p, generator, True, name=name), 2, name=name,
                        names="(out, cache)")
        return as_array(result[0], name, "out")

    global_before = np.random.get_state()
    first, again = out(np.random.default_rng(seed)), out(np.random.default_rng(seed))
    if not np.array_equal(first, again):
        fail(f"{name}: two calls with generators in the same state (np.random.default_rng({seed}) "
             "each time) dropped different units."
             "\n  hint: draw the mask from the `rng` argument only (rng.random(x.shape)); "
             "np.random.rand/binomial use NumPy's global state, and np.random.default_rng() "
             "without a seed is a new random stream")
    if np.array_equal(first, out(np.random.default_rng(seed + 1))):
        fail(f"{name}: generators in different states (seeds {seed} and {seed + 1}) dropped the "
             "same units, so the `rng` argument is ignored."
             "\n  hint: is there a fixed seed inside the function? Draw from `rng` itself")
    generator = np.random.default_rng(seed)
    if np.array_equal(out(generator), out(generator)):
        fail(f"{name}: two calls in a row with the same generator dropped the same units, so "
             "the generator did not advance."
             "\n  hint: draw from `rng` itself, not from a copy or a new generator made from it: "
             "every step (and every layer) needs a new mask")
    global_after = np.random.get_state()
    if not (global_before[0] == global_after[0] and np.array_equal(global_before[1], global_after[1])
            and global_before[2:] == global_after[2:]):
        fail(f"{name} changed NumPy's global random state (np.random.seed, np.random.rand, ...). "
             "Draw only from the `rng` argument.")


# ------------------------------------------------------------------------- gradients

def check_answer_shapes(answer, shapes: Mapping[str, tuple], *, name: str,
                        hints: Mapping[str, Mapping[tuple, str]] | None = None) -> None:
    """A checkpoint's answer is a dict with these keys, each a number or array of this shape.

    hints: {key: {wrong shape: what that shape means}} for shapes a known slip gives."""
    if not isinstance(answer, Mapping):
        fail(f"{name} should return a dict with the keys {list(shapes)}, got "
             f"{getattr(answer, 'type_name', type(answer).__name__)}.")
    missing = [key for key in shapes if key not in answer]
    if missing:
        fail(f"{name}: the keys {missing} are missing (expected {list(shapes)}).")
    for key, shape in shapes.items():
        value = as_array(answer[key], name, repr(key))
        if value.shape != tuple(shape):
            what = "a single number" if shape == () else f"shape {tuple(shape)}"
            hint = (hints or {}).get(key, {}).get(value.shape)
            fail(f"{name}: {key!r} has shape {value.shape}; it should be {what}."
                 + (f"\n  hint: {hint}" if hint else ""))


def check_param_grad(got, expected, *, name: str, output: str, hint: str | None = None,
                     atol: float = 0.0) -> None:
    """A gradient compared with its reference; a (D,) parameter's gradient that came back
    with a batch axis gets the hint that the parameter is shared by every example."""
    got_array = as_array(got, name, output)
    expected = np.asarray(expected)
    _check_shared_shape(got_array, expected.shape, name=name, output=output)
    check_close(got_array, expected, name=name, output=output, hint=hint, atol=atol)


def _check_shared_shape(got: np.ndarray, shape: tuple, *, name: str, output: str) -> None:
    if len(shape) == 1 and got.ndim == 2 and got.shape[1:] == tuple(shape):
        fail(f"{name}: {output} has shape {got.shape}, expected {tuple(shape)}."
             "\n  hint: gamma and beta are shared by every example of the batch, so their gradients "
             "add up the contributions of all examples (a sum over axis 0)")


def check_grad_shapes(grads, inputs: tuple, *, name: str) -> None:
    """(dx, dgamma, dbeta) shaped like (x, gamma, beta); a parameter's gradient with a batch
    axis gets the hint that the parameter is shared by every example."""
    N = np.shape(inputs[0])[0]
    for output, got, like in zip(("dx", "dgamma", "dbeta"), grads, inputs):
        got = as_array(got, name, output)
        _check_shared_shape(got, np.shape(like), name=name, output=output)
        if output != "dx" and got.shape == (N,) != np.shape(like):
            fail(f"{name}: {output} has shape {got.shape}, expected {np.shape(like)}: one value per "
                 "example.\n  hint: gamma and beta are shared by every example, so their gradients "
                 "have one value per feature (the examples' contributions add up)")
        check_shape(got, np.shape(like), name=name, output=output)


def check_norm_gradients(forward_out: Callable, forward: Callable, backward: Callable, inputs: tuple,
                         dout, *, name: str, extra: tuple = (), where: str = "",
                         hints: Mapping[str, Callable] | None = None) -> None:
    """The backward pass against centered differences of the student's own forward pass.

    forward_out(x, gamma, beta) -> out; forward(x, gamma, beta, *extra) -> (out, cache, ...)
    gives the cache for backward(dout, cache) -> (dx, dgamma, dbeta). hints: {"x" / "gamma" /
    "beta": gradient -> the mistake it matches} (``batchnorm_hints``, ``layernorm_hints``),
    asked only when that gradient fails.
    """
    x, gamma, beta = (np.asarray(value, dtype=np.float64) for value in inputs)
    dout = np.asarray(dout, dtype=np.float64)
    result = call(forward, x, gamma, beta, *extra, name=getattr(forward, "__name__", "forward"))
    if not isinstance(result, (tuple, list)) or len(result) < 2:
        fail(f"{name}: the forward pass should return (out, cache, ...), got {type(result).__name__}.")
    grads = unpack(call(backward, dout, result[1], name=name), 3, name=name, names="(dx, dgamma, dbeta)")
    for output, got, like in zip(("dx", "dgamma", "dbeta"), grads, (x, gamma, beta)):
        check_dtype(got, np.float64, name=name, output=output)
        if np.shape(got) != like.shape:   # a shape failure, with the hint for gamma and beta
            check_param_grad(got, np.zeros_like(like), name=name, output=output)
    inputs = {"x": x, "gamma": gamma, "beta": beta}

    def loss(**values):
        return float(np.sum(dout * np.asarray(forward_out(values["x"], values["gamma"], values["beta"]))))

    check_parameter_gradients(loss, inputs, dict(zip(inputs, grads)), name=name + where,
                              batch_size=x.shape[0],
                              hints=hints)


def check_parameter_gradients(f: Callable[..., float], inputs: Mapping[str, np.ndarray], analytic: Mapping,
                              *, name: str, batch_size=None,
                              hints: Mapping[str, Callable] | None = None) -> None:
    """``checks.check_gradient`` for every input of ``f(**inputs)`` in order, output ``d<key>``;
    on a failure, ``hints[key](analytic[key])`` (when given) names the mistake."""
    from .checks import check_gradient
    values = {key: np.array(value, dtype=np.float64) for key, value in inputs.items()}
    missing = [key for key in values if key not in analytic]
    if missing:
        fail(f"{name}: the gradients for {', '.join(missing)} are missing (got keys {sorted(analytic)}).")
    for key in values:
        def partial(v, key=key):
            return f(**{**values, key: v})
        check = dict(name=name, output=f"the gradient d{key}", batch_size=batch_size)
        try:
            check_gradient(partial, values[key], analytic[key], **check)
        except CheckFailure:
            hint = (hints or {}).get(key)
            try:
                text = hint(analytic[key]) if hint else None
            except Exception:   # a hint that cannot be worked out (a broken helper) says nothing
                text = None
            if not text:
                raise
            check_gradient(partial, values[key], analytic[key], hint=text, **check)


def check_batchnorm_backward(forward: Callable, backward: Callable, rng: np.random.Generator,
                             N: int, D: int, *, name: str) -> None:
    """One random case of a batch-norm backward pass (``backward`` fed by ``forward``'s cache):
    training mode against PyTorch (and the path a wrong dx leaves out), dx summed over the
    batch, centered differences of the student's forward in training and eval mode, a feature
    of tiny variance (where eps sits under the root matters), float32."""
    where = f" (N={N}, D={D})"
    for tiny in (False, True):
        x, gamma, beta, dout = random_features(rng, N, D, tiny=tiny)
        _, cache, _ = unpack(call(forward, x, gamma, beta, None, True, name="batchnorm_forward"), 3,
                             name="batchnorm_forward", names="(out, cache, new_state)")
        dx, dgamma, dbeta = unpack(call(backward, dout, cache, name=name), 3, name=name,
                                   names="(dx, dgamma, dbeta)")
        ref = torch_batchnorm(x, gamma, beta, dout, train=True)
        label = where + (", one feature of tiny variance" if tiny else "")
        check_param_grad(dbeta, ref["dbeta"], name=name, output="dbeta" + label)
        check_param_grad(dgamma, ref["dgamma"], name=name, output="dgamma" + label)
        check_shape(dx, (N, D), name=name, output="dx" + label)
        try:
            check_close(dx, ref["dx"], name=name, output="dx in training" + label)
        except CheckFailure:   # the hint costs three more references: only on failure
            check_close(dx, ref["dx"], name=name, output="dx in training" + label,
                        hint=backward_hint(dx, x=x, gamma=gamma, beta=beta, dout=dout)
                        or ("eps sits inside the square root, sqrt(var + eps), in the backward "
                            "pass too" if tiny else None))
        check_sums_to_zero(dx, name=name, dout_scale=float(np.max(np.abs(ref["dx"]))))
    # centered differences of the student's own forward, training and evaluation
    x, gamma, beta, dout = random_features(rng, N, D)
    state = {"running_mean": rng.standard_normal(D), "running_var": rng.uniform(0.5, 2.0, size=D)}
    for train in (True, False):
        check_norm_gradients(lambda *a: call(forward, *a, state, train, name="batchnorm_forward")[0],
                             forward, backward, (x, gamma, beta), dout, extra=(state, train),
                             name=name, where=f"{where} (train={train})")
    ref = torch_batchnorm(x, gamma, beta, dout, train=False, state=state)
    grads = unpack(call(backward, dout, call(forward, x, gamma, beta, state, False, name="batchnorm_forward")[1],
                        name=name), 3, name=name, names="(dx, dgamma, dbeta)")
    for output, got in zip(("dx", "dgamma", "dbeta"), grads):
        check_param_grad(got, ref[output], name=name, output=f"{output} at evaluation{where}",
                         hint="at evaluation the running statistics are constants: only the path "
                              "through x_hat is left" if output == "dx" else None)
    # float32 in, float32 out; the terms of dx cancel, so compare to 1e-4 of their size
    x32, g32, b32, d32 = (np.asarray(v, dtype=np.float32) for v in (x, gamma, beta, dout))
    _, cache32, _ = call(forward, x32, g32, b32, None, True, name="batchnorm_forward")
    ref = torch_batchnorm(x32, g32, b32, d32, train=True)
    size = float(np.max(np.abs(g32 * d32))) / float(np.min(np.sqrt(x32.astype(np.float64).var(axis=0) + 1e-5)))
    for output, got in zip(("dx", "dgamma", "dbeta"), unpack(call(backward, d32, cache32, name=name), 3,
                                                            name=name, names="(dx, dgamma, dbeta)")):
        check_dtype(got, np.float32, name=name, output=output)
        check_close(got, ref[output], name=name, output=f"{output} (float32){where}", atol=1e-4 * size * N,
                    dtype=np.float32)


def check_network(got, ref, params: Mapping, *, name: str, where: str = "", batch_size=None,
                  old_state=None, mistakes: Callable[[], Mapping[str, tuple]] | None = None) -> None:
    """(loss, grads, new_state) of the network against ``torch_network``'s.

    old_state: the state passed in, named when it comes back instead of the new one.
    mistakes: () -> {hint: (loss, grads, new_state) of a mistaken network}, asked only when
    the loss is wrong; the hint of the first one whose loss matches is given.
    """
    from .checks import check_scalar
    loss, grads, state = got
    ref_loss, ref_grads, ref_state = ref
    hint = "the mean cross-entropy plus (weight_decay / 2) * the squared weights W (not b, gamma or beta)"
    try:
        check_scalar(loss, ref_loss, name=name + where, output="the loss")
    except CheckFailure:
        wrong = mistakes() if mistakes else {}
        hint = _matching(loss, ref_loss, [(text, value[0]) for text, value in wrong.items()]) or hint
        check_scalar(loss, ref_loss, name=name + where, output="the loss", hint=hint)
    if not isinstance(grads, Mapping) or set(grads) != set(params):
        fail(f"{name}{where}: grads should have the keys {sorted(params)}, got "
             f"{sorted(grads) if isinstance(grads, Mapping) else type(grads).__name__}.")
    # a bias before batch norm has a gradient of exactly 0 in theory and of rounding noise in
    # practice (~1e-17): compare every gradient to within 1e-9 of the network's largest one
    scale = max(float(np.max(np.abs(value))) for value in ref_grads.values())
    for key in params:
        check_param_grad(grads[key], ref_grads[key], name=name + where, output=f"the gradient d{key}",
                         hint="weight decay applies to the weights W only"
                         if key.startswith(("gamma", "beta")) else None, atol=1e-9 * scale)
    if not isinstance(state, Mapping) or set(state) != set(ref_state):
        fail(f"{name}{where}: new_state should have the keys {sorted(ref_state)} (one per batch-norm "
             f"layer), got {sorted(state) if isinstance(state, Mapping) else type(state).__name__}.")
    for key, values in ref_state.items():
        if not isinstance(state[key], Mapping) or set(state[key]) != set(STATE_KEYS):
            fail(f"{name}{where}: new_state[{key!r}] should be a dict with the keys {list(STATE_KEYS)}.")
        old = (old_state or {}).get(key)
        for item in STATE_KEYS:
            stale = old is not None and _matching(state[key][item], values[item], [("stale", old[item])])
            check_close(state[key][item], values[item], name=name + where,
                        output=f"new_state[{key!r}][{item!r}]",
                        hint="your new_state is the state passed in, unchanged: return the new running "
                             "statistics each batch-norm layer computed in training" if stale else
                             "each batch-norm layer keeps its own running statistics, updated in "
                             "training only")


def network_dropout_hint(dropout_forward: Callable, grads: Mapping, params: Mapping, X, y, *, p: float,
                         seed: int, **network) -> str | None:
    """Name the mistake the network's gradients with dropout match: the backward pass skips
    dropout, or goes through its mask without the scale. The masks are drawn as the network draws them, with the student's
    ``dropout_forward`` and a fresh ``np.random.default_rng(seed)``, layer 1 first."""
    generator = np.random.default_rng(seed)
    N, layers = np.shape(X)[0], sum(key.startswith("W") for key in params)
    masks = []
    for l in range(1, layers):
        out = call(dropout_forward, np.ones((N, np.shape(params[f"b{l}"])[0])), p, generator, True,
                   name="dropout_forward")[0]
        masks.append((np.asarray(out) != 0).astype(np.float64))
    right = torch_network(params, X, y, dropout=p, masks=masks, **network)[1]
    for variant, text in (
            ("skip", "your gradients match a backward pass that skips dropout: the forward pass dropped "
                     "some units and scaled the rest, and the backward pass has to go back through that "
                     "too"),
            ("mask", "your gradients match a backward pass through dropout's 0/1 mask without its scale: "
                     "look at dropout_backward (its own test says more)")):
        wrong = torch_network(params, X, y, dropout=p, masks=masks, dropout_gradient=variant, **network)[1]
        scale = max(float(np.max(np.abs(value))) for value in wrong.values())
        if (all(np.shape(grads[key]) == np.shape(wrong[key])
                and np.max(np.abs(np.asarray(grads[key], dtype=np.float64) - wrong[key])) <= 1e-8 * scale
                for key in params)
                and any(np.max(np.abs(right[key] - wrong[key])) > 1e-6 * scale for key in params)):
            return text
    return None


def check_evaluation_ignores_dropout(fn: Callable, params: Mapping, X, y, *, activation: str,
                                     weight_decay: float, norm, state, seed: int, name: str) -> None:
    """At evaluation (train=False) dropout 0.4 is the identity, with a generator or with
    rng=None: each loss against PyTorch's network without dropout (never against another of
    the student's answers, which the same mistake could share)."""
    args = (params, X, y, activation, weight_decay, norm)
    ref_loss = torch_network(params, X, y, activation=activation, weight_decay=weight_decay, norm=norm,
                             state=state, train=False)[0]
    for rng, what in ((np.random.default_rng(seed), ""), (None, ", rng=None")):
        extra = () if rng is None else (rng,)
        loss = call(fn, *args, 0.4, state, False, *extra, name=name)[0]
        check_scalar(loss, ref_loss, name=name, output=f"the evaluation loss with dropout 0.4{what}",
                     hint="at evaluation (train=False) dropout is the identity"
                          + (" and needs no generator" if rng is None else ""))


def check_network_float32(fn: Callable, params: Mapping, X, y, *, activation: str, weight_decay: float,
                          norm, seed: int, name: str) -> None:
    """float32 in, float32 out: with dropout 0.4 in training every gradient is float32; without
    dropout the loss (to 1e-4) and every gradient (to 1e-4 of the largest) match PyTorch's for
    the float32-rounded inputs."""
    params32 = {key: np.asarray(value).astype(np.float32) for key, value in params.items()}
    X32 = np.asarray(X).astype(np.float32)
    args = (params32, X32, y, activation, weight_decay, norm)
    _, grads32, _ = unpack(call(fn, *args, 0.4, None, True, np.random.default_rng(seed), name=name), 3,
                           name=name, names="(loss, grads, new_state)")
    for key in params:
        check_dtype(grads32[key], np.float32, name=name, output=f"the gradient d{key}")
    where = f" (float32, norm={norm!r}, weight_decay={weight_decay}, no dropout)"
    loss, grads, _ = unpack(call(fn, *args, 0.0, None, True, name=name), 3, name=name,
                            names="(loss, grads, new_state)")
    ref_loss, ref_grads, _ = torch_network(params32, X32, y, activation=activation,
                                           weight_decay=weight_decay, norm=norm, train=True)
    check_scalar(loss, ref_loss, name=name + where, output="the loss", rtol=1e-4, dtype=np.float32)
    scale = max(float(np.max(np.abs(value))) for value in ref_grads.values())
    for key in params:
        check_dtype(grads[key], np.float32, name=name + where, output=f"the gradient d{key}")
        check_close(grads[key], ref_grads[key], name=name + where, output=f"the gradient d{key}",
                    atol=1e-4 * scale, dtype=np.float32)
