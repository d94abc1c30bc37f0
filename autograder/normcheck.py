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
- small random cases (``random_features``, ``random_network``).

Every helper calls graded functions through ``checks.call`` with plain data and treats
caches as opaque, so it works in a student's kernel and in the grader's trusted process
(where graded functions are proxies). References come from PyTorch autograd, never from a
backward formula written here: the release imports this module, and the backward passes are
what the students derive.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from .checks import CheckFailure, as_array, call, check_close, check_dtype, check_shape, default_rtol, fail

__all__ = [
    "backward_hint", "check_answer_shapes", "check_batchnorm_backward", "check_drop_fraction",
    "check_dropout_output", "check_mask_from_rng", "check_network", "check_norm_gradients",
    "check_normalized", "check_param_grad", "check_state", "check_steps", "check_sums_to_zero",
    "expect_error", "random_features", "random_network", "torch_batchnorm", "torch_layernorm",
    "torch_network", "unpack",
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
    In training with eps = 0 (hand-worked cases) the graph is built from torch operations,
    since F.batch_norm refuses eps = 0.
    """
    import torch
    import torch.nn.functional as F
    D = np.shape(x)[1]
    running_mean = _tensor(np.zeros(D) if state is None else state["running_mean"])
    running_var = _tensor(np.ones(D) if state is None else state["running_var"])
    xt, gt, bt = _tensor(x, True), _tensor(gamma, True), _tensor(beta, True)
    if not train or (detach is None and eps > 0):
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


def torch_layernorm(x, gamma, beta, dout=None, *, eps=1e-5) -> dict:
    """``torch.nn.functional.layer_norm`` over the last axis (float64), with gradients."""
    import torch.nn.functional as F
    xt, gt, bt = _tensor(x, True), _tensor(gamma, True), _tensor(beta, True)
    out = F.layer_norm(xt, (xt.shape[-1],), gt, bt, eps=eps)
    result = {"out": out.detach().numpy()}
    if dout is not None:
        out.backward(_tensor(dout))
        result.update(dx=xt.grad.numpy(), dgamma=gt.grad.numpy(), dbeta=bt.grad.numpy())
    return result


def torch_network(params: Mapping, X, y, *, activation="relu", weight_decay=0.0, norm=None,
                  state=None, train=True, momentum=0.9, eps=1e-5):
    """The network of 07 without dropout, in PyTorch (float64).

    Hidden layer l: linear, then batch or layer norm (gamma_l, beta_l) when ``norm`` says so,
    then the activation; the last layer is linear. Loss: mean cross-entropy plus
    (weight_decay / 2) * sum of squared weights. Returns (loss, grads, new_state) with
    new_state {"bn<l>": {"running_mean", "running_var"}} for batch norm, else {}.
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
    loss = F.cross_entropy(h, torch.tensor(np.asarray(y, dtype=np.int64)))
    loss = loss + 0.5 * weight_decay * sum((leaves[f"W{l}"] ** 2).sum() for l in range(1, layers + 1))
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


def backward_hint(dx, *, x, gamma, beta, dout, eps=1e-5) -> str | None:
    """Name the path of batch norm's graph that ``dx`` leaves out, if it matches one."""
    dx = np.asarray(dx, dtype=np.float64)
    for detach, text in (("both", "the paths through the mean and the variance are both missing"),
                         ("mean", "the path through the mean is missing (x reaches the loss through "
                                  "x_c directly and through the batch mean)"),
                         ("variance", "the path through the variance is missing (x_c is used twice: "
                                      "in the variance and in x_hat)")):
        candidate = torch_batchnorm(x, gamma, beta, dout, train=True, eps=eps, detach=detach)["dx"]
        scale = max(float(np.max(np.abs(candidate))), 1e-12)
        if np.max(np.abs(dx - candidate)) <= 1e-6 * scale:
            return text
    return None


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
    tolerance = 1e-6 if out.dtype == np.float32 else 1e-12   # rounding of x / (1 - p)
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

def check_answer_shapes(answer, shapes: Mapping[str, tuple], *, name: str) -> None:
    """A checkpoint's answer is a dict with these keys, each a number or array of this shape."""
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
            fail(f"{name}: {key!r} has shape {value.shape}; it should be {what}.")


def check_param_grad(got, expected, *, name: str, output: str, hint: str | None = None,
                     atol: float = 0.0) -> None:
    """A gradient compared with its reference; a (D,) parameter's gradient that came back
    with a batch axis gets the hint that the parameter is shared by every example."""
    got_array = as_array(got, name, output)
    expected = np.asarray(expected)
    if expected.ndim == 1 and got_array.ndim == 2 and got_array.shape[1:] == expected.shape:
        fail(f"{name}: {output} has shape {got_array.shape}, expected {expected.shape}."
             "\n  hint: gamma and beta are shared by every example of the batch, so their gradients "
             "add up the contributions of all examples (a sum over axis 0)")
    check_close(got_array, expected, name=name, output=output, hint=hint, atol=atol)


def check_norm_gradients(forward_out: Callable, forward: Callable, backward: Callable, inputs: tuple,
                         dout, *, name: str, extra: tuple = (), where: str = "") -> None:
    """The backward pass against centered differences of the student's own forward pass.

    forward_out(x, gamma, beta) -> out; forward(x, gamma, beta, *extra) -> (out, cache, ...)
    gives the cache for backward(dout, cache) -> (dx, dgamma, dbeta).
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
    from .checks import check_gradients
    check_gradients(lambda x, gamma, beta: float(np.sum(dout * np.asarray(forward_out(x, gamma, beta)))),
                    {"x": x, "gamma": gamma, "beta": beta},
                    {"x": grads[0], "gamma": grads[1], "beta": grads[2]}, name=name + where,
                    batch_size=x.shape[0])


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
        check_close(got, ref[output], name=name, output=f"{output} (float32){where}", atol=1e-4 * size * N)


def check_network(got, ref, params: Mapping, *, name: str, where: str = "", batch_size=None) -> None:
    """(loss, grads, new_state) of the network against ``torch_network``'s."""
    from .checks import check_scalar
    loss, grads, state = got
    ref_loss, ref_grads, ref_state = ref
    check_scalar(loss, ref_loss, name=name + where, output="the loss",
                 hint="the mean cross-entropy plus (weight_decay / 2) * the squared weights W (not b, "
                      "gamma or beta)")
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
        for item in STATE_KEYS:
            check_close(state[key][item], values[item], name=name + where,
                        output=f"new_state[{key!r}][{item!r}]",
                        hint="each batch-norm layer keeps its own running statistics, updated in "
                             "training only")
