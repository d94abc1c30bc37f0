"""03's tensor-by-tensor backward pass: PyTorch's gradient of every named intermediate.

The forward program of a 2-hidden-layer ReLU network with softmax cross-entropy, written
as named steps (the notebook's ``forward_steps`` is the same program in NumPy):

    z1 = x @ W1 + b1                           (N, H1)
    h1 = relu(z1)                              (N, H1)
    z2 = h1 @ W2 + b2                          (N, H2)
    h2 = relu(z2)                              (N, H2)
    logits = h2 @ W3 + b3                      (N, C)
    logit_max = the maximum of each row        (N, 1)
    shifted = logits - logit_max               (N, C)
    exps = exp(shifted)                        (N, C)
    sum_exps = the sum of each row of exps     (N, 1)
    sum_exps_inv = 1 / sum_exps                (N, 1)
    probs = exps * sum_exps_inv                (N, C)
    log_probs = log(probs)                     (N, C)
    loss = -mean_n log_probs[n, y_n]           ()

Here PyTorch runs the same program and autograd gives the gradient of every value.
``check_backward_step`` grades one group of a student's backward steps, each gradient
against autograd and against centered differences of the program's tail (everything from
that value to the group's top). The upstream gradient handed to a step is either the true
one (of the loss) or a random one (of some other scalar, ``sum(G * top)``), so that every
step must follow the chain rule rather than a shortcut that only holds for this loss.
``compare_with_autograd`` prints the table the notebook shows. When a gradient is wrong and
equals what a common mistake gives (``mistakes``: the other path forgotten, a local
derivative left out, the upstream gradient ignored...), the failure names that mistake first.

Works in both places a test cell runs: the student's function is only called through
``ck.call`` with plain data (dicts of arrays and floats).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from . import checks as ck
from .layercheck import matching_mistake

PARAMETERS = ("W1", "b1", "W2", "b2", "W3", "b3")
SHAPES = {"x": "(N, D)", "W1": "(D, H1)", "b1": "(H1,)", "W2": "(H1, H2)", "b2": "(H2,)",
          "W3": "(H2, C)", "b3": "(C,)", "z1": "(N, H1)", "h1": "(N, H1)", "z2": "(N, H2)",
          "h2": "(N, H2)", "logits": "(N, C)", "logit_max": "(N, 1)", "shifted": "(N, C)",
          "exps": "(N, C)", "sum_exps": "(N, 1)", "sum_exps_inv": "(N, 1)", "probs": "(N, C)",
          "log_probs": "(N, C)", "loss": "()"}


def _steps(xp: str = "torch"):
    """The program as (name, operation) pairs, in PyTorch (for autograd) or NumPy (for the
    forward values and centered differences: an independent second implementation)."""
    if xp == "numpy":
        return (
            ("z1", lambda v: v["x"] @ v["W1"] + v["b1"]),
            ("h1", lambda v: np.maximum(v["z1"], 0)),
            ("z2", lambda v: v["h1"] @ v["W2"] + v["b2"]),
            ("h2", lambda v: np.maximum(v["z2"], 0)),
            ("logits", lambda v: v["h2"] @ v["W3"] + v["b3"]),
            ("logit_max", lambda v: v["logits"].max(axis=1, keepdims=True)),
            ("shifted", lambda v: v["logits"] - v["logit_max"]),
            ("exps", lambda v: np.exp(v["shifted"])),
            ("sum_exps", lambda v: v["exps"].sum(axis=1, keepdims=True)),
            ("sum_exps_inv", lambda v: 1.0 / v["sum_exps"]),
            ("probs", lambda v: v["exps"] * v["sum_exps_inv"]),
            ("log_probs", lambda v: np.log(v["probs"])),
            ("loss", lambda v: -v["log_probs"][np.arange(v["y"].shape[0]), v["y"]].mean()),
        )
    import torch

    return (
        ("z1", lambda v: v["x"] @ v["W1"] + v["b1"]),
        ("h1", lambda v: torch.relu(v["z1"])),
        ("z2", lambda v: v["h1"] @ v["W2"] + v["b2"]),
        ("h2", lambda v: torch.relu(v["z2"])),
        ("logits", lambda v: v["h2"] @ v["W3"] + v["b3"]),
        ("logit_max", lambda v: v["logits"].max(dim=1, keepdim=True).values),
        ("shifted", lambda v: v["logits"] - v["logit_max"]),
        ("exps", lambda v: torch.exp(v["shifted"])),
        ("sum_exps", lambda v: v["exps"].sum(dim=1, keepdim=True)),
        ("sum_exps_inv", lambda v: 1.0 / v["sum_exps"]),
        ("probs", lambda v: v["exps"] * v["sum_exps_inv"]),
        ("log_probs", lambda v: torch.log(v["probs"])),
        ("loss", lambda v: -v["log_probs"][torch.arange(v["y"].shape[0]), v["y"]].mean()),
    )


INTERMEDIATES = ("z1", "h1", "z2", "h2", "logits", "logit_max", "shifted", "exps", "sum_exps",
                 "sum_exps_inv", "probs", "log_probs", "loss")

# What each gradient is about, said without its formula (shown when a check fails).
HINTS = {
    "log_probs": "the loss takes one entry of log_probs per row (the label's) and averages "
                 "over the N rows: which entries touch the loss, and by how much? Scale by "
                 "the upstream grads['loss']",
    "probs": "log_probs = log(probs) elementwise: multiply the upstream gradient by the "
             "local derivative of the log at each entry",
    "sum_exps_inv": "sum_exps_inv (N, 1) was broadcast across the C columns in "
                    "probs = exps * sum_exps_inv: its gradient collects every column it was used in",
    "sum_exps": "sum_exps_inv = 1 / sum_exps: the local derivative of 1/s, times the gradient "
                "of sum_exps_inv (not of sum_exps itself)",
    "exps": "exps reaches the loss by two paths, directly in probs and through sum_exps: "
            "its gradient is the sum of both",
    "shifted": "exps = exp(shifted) elementwise: the local derivative of exp",
    "logit_max": "logit_max (N, 1) is subtracted from every column of logits: mind the sign, "
                 "and collect every column it was used in",
    "logits": "logits reach the loss by two paths, through shifted and through logit_max (the "
              "maximum picks one entry per row). For the cross-entropy the second path carries "
              "(almost) nothing, but the tests also send gradients of other scalars, for which "
              "it does not cancel",
    "h2": "through logits = h2 @ W3 + b3: dh2 has h2's shape; the shapes decide the product",
    "W3": "through logits = h2 @ W3 + b3: dW3 has W3's shape (H2, C); the shapes decide the product",
    "b3": "b3 (C,) is broadcast over the N rows: its gradient collects every row",
    "z2": "through h2 = relu(z2): the local derivative of relu at z2 (relu'(0) = 0 by convention)",
    "h1": "through z2 = h1 @ W2 + b2: dh1 has h1's shape",
    "W2": "through z2 = h1 @ W2 + b2: dW2 has W2's shape (H1, H2)",
    "b2": "b2 (H2,) is broadcast over the N rows: its gradient collects every row",
    "z1": "through h1 = relu(z1): the local derivative of relu at z1 (relu'(0) = 0 by convention)",
    "W1": "through z1 = x @ W1 + b1: dW1 has W1's shape (D, H1)",
    "b1": "b1 (H1,) is broadcast over the N rows: its gradient collects every row",
}


# ---------------------------------------------------------------- the program in PyTorch

def _tensors(values: Mapping, names, requires_grad=False):
    import torch

    out = {}
    for key in names:
        if key == "y":
            out[key] = torch.as_tensor(np.asarray(values["y"], dtype=np.int64))
        else:
            out[key] = torch.tensor(np.asarray(values[key], dtype=np.float64),
                                    requires_grad=requires_grad)
    return out


def _run(inputs: dict, override: Mapping | None = None, stop: str | None = None,
         xp: str = "torch", replace: Mapping | None = None) -> dict:
    """Evaluate the program on ``inputs`` (tensors, or arrays with ``xp="numpy"``);
    ``override`` replaces a value by a given one (everything after it is recomputed from
    it); ``replace`` replaces a step's operation (a mistaken variant of the program);
    stops after ``stop``."""
    values = dict(inputs)
    override = override or {}
    replace = replace or {}
    values.update({k: v for k, v in override.items() if k in inputs})
    for name, step in _steps(xp):
        step = replace.get(name, step)
        values[name] = override[name] if name in override else step(values)
        if name == stop:
            break
    return values


def _arrays(values: Mapping) -> dict:
    return {key: (np.asarray(values[key], dtype=np.int64) if key == "y"
                  else np.array(values[key], dtype=np.float64)) for key in ("x", "y", *PARAMETERS)}


def forward_values(x, y, params) -> dict:
    """Every value of the program (inputs, parameters, intermediates) as float64 NumPy
    arrays (``loss`` a float; ``y`` int): the ``values`` a backward step receives."""
    values = _run(_arrays({"x": x, "y": y, **params}), xp="numpy")
    values["loss"] = float(values["loss"])
    return values


def autograd_gradients(values: Mapping, top: str = "loss", upstream=None,
                       replace: Mapping | None = None) -> dict:
    """d(sum(upstream * top)) / d value for every value before ``top`` (PyTorch, float64).

    upstream: the gradient arriving at ``top`` (shaped like it; a number for the loss);
    None means the true one (1 for the loss, the loss's gradient otherwise). Returns
    {name: array} for every parameter, x and intermediate up to ``top``. ``replace``
    ({step name: torch operation}) differentiates a variant of the program instead.
    """
    import torch

    inputs = _tensors(values, ("x", "y", *PARAMETERS), requires_grad=True)
    computed = _run(inputs, stop=None if upstream is None else top, replace=replace)
    for name in INTERMEDIATES:
        if name in computed and computed[name].requires_grad:
            computed[name].retain_grad()
    if upstream is None:
        computed["loss"].backward()
    else:
        computed[top].backward(torch.as_tensor(np.asarray(upstream, dtype=np.float64)))
    grads = {}
    for name, tensor in computed.items():
        if name == "y":
            continue
        grad = tensor.grad
        grads[name] = np.zeros(tuple(tensor.shape)) if grad is None else grad.numpy().copy()
    if "loss" in grads:   # the gradient of the loss with respect to itself
        grads["loss"] = 1.0 if upstream is None else float(upstream)
    return grads


def tail(values: Mapping, name: str, top: str, upstream):
    """f(v) = sum(upstream * top) with ``name`` set to v and everything after it recomputed
    (in NumPy, float64)."""
    inputs = _arrays(values)
    weights = np.asarray(upstream, dtype=np.float64)

    def f(v):
        computed = _run(inputs, override={name: np.array(v, dtype=np.float64)}, stop=top, xp="numpy")
        return float(np.sum(weights * computed[top]))
    return f


# ---------------------------------------------------------------- cases

def random_case(rng: np.random.Generator, sizes=None, margin: float = 1e-2) -> dict:
    """A random network and batch, as forward values. Every ReLU input and the gap between
    each row's two largest logits are at least ``margin`` from a kink, so that centered
    differences (h = 1e-5 moves a value by ~1e-4 at most) see a smooth function; every
    probability is at least 0.01, so that log(probs +- h) stays well defined."""
    while True:
        N, D, H1, H2, C = sizes or (int(rng.integers(1, 5)), int(rng.integers(1, 5)),
                                    int(rng.integers(2, 6)), int(rng.integers(2, 6)),
                                    int(rng.integers(2, 6)))
        dims = (D, H1, H2, C)
        params = {}
        for layer in range(1, 4):
            fan_in, fan_out = dims[layer - 1], dims[layer]
            params[f"W{layer}"] = rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)
            params[f"b{layer}"] = 0.5 * rng.standard_normal(fan_out)
        x = rng.standard_normal((N, D))
        y = rng.integers(0, C, size=N)
        values = forward_values(x, y, params)
        top_two = np.sort(values["logits"], axis=1)[:, -2:]
        if (np.min(np.abs(values["z1"])) > margin and np.min(np.abs(values["z2"])) > margin
                and np.min(top_two[:, 1] - top_two[:, 0]) > margin and np.min(values["probs"]) > 0.01):
            return values


def fixed_case() -> dict:
    """The visible tests' case: N = 4, D = 3, H1 = 5, H2 = 4, C = 3, from seed 3."""
    return random_case(np.random.default_rng(3), sizes=(4, 3, 5, 4, 3))


def kink_case(rng: np.random.Generator) -> dict:
    """A case with exact zeros among the ReLU inputs (relu'(0) = 0 there): unit 0 of z1 and
    unit 1 of z2 get zero weights and bias, so they are exactly 0 in every row, whatever
    library computes the products."""
    values = random_case(rng, sizes=(3, 3, 4, 4, 3))
    params = {key: values[key].copy() for key in PARAMETERS}
    params["W1"][:, 0], params["b1"][0] = 0.0, 0.0
    params["W2"][:, 1], params["b2"][1] = 0.0, 0.0
    return forward_values(values["x"], values["y"], params)


def tie_case() -> dict:
    """Every row of logits is (1, 1, 0) + ... : W3 = 0 and b3 = (1, 1, 0), a tie for the max."""
    rng = np.random.default_rng(5)
    values = random_case(rng, sizes=(3, 2, 3, 3, 3))
    params = {key: values[key].copy() for key in PARAMETERS}
    params["W3"][:] = 0.0
    params["b3"] = np.array([1.0, 1.0, 0.0])
    return forward_values(values["x"], values["y"], params)


# ---------------------------------------------------------------- common mistakes, named
# What a step returns under a common mistake, computed from the reference gradients of the
# step's other outputs, the values, or autograd on a variant of the program (so that no
# step's own formula is written here); and the sentence that names the mistake. Consulted
# only for an output that is already wrong.

PRODUCTS = ("h2", "W3", "h1", "W2", "W1")   # gradients that come out of a matrix product


def _kink_passes(z):
    """relu(z) whose backward passes the gradient at z == 0 too (straight-through)."""
    import torch

    mask = (z >= 0).to(z.dtype)
    return z * mask + (torch.relu(z) - z * mask).detach()


def _as_if_input(h, z, W):
    """Zero in value; its gradient with respect to W is what the layer's input z instead of
    h would add: W's gradient becomes the one of a layer fed with z."""
    term = (z - h).detach() @ W
    return term - term.detach()


def _loss_on_columns(v):
    import torch

    picked = torch.zeros_like(v["log_probs"])
    picked[:, torch.unique(v["y"])] = 1.0
    return -(v["log_probs"] * picked).sum() / v["y"].shape[0]


VARIANTS = {
    "every entry": {"loss": lambda v: -v["log_probs"].sum() / v["y"].shape[0]},
    "columns": {"loss": _loss_on_columns},
    "one path": {"sum_exps": lambda v: v["exps"].sum(dim=1, keepdim=True).detach()},
    "kink h2": {"h2": lambda v: _kink_passes(v["z2"])},
    "kink h1": {"h1": lambda v: _kink_passes(v["z1"])},
    "z2 into W3": {"logits": lambda v: v["h2"] @ v["W3"] + v["b3"] + _as_if_input(v["h2"], v["z2"], v["W3"])},
    "z1 into W2": {"z2": lambda v: v["h1"] @ v["W2"] + v["b2"] + _as_if_input(v["h1"], v["z1"], v["W2"])},
}


def mistakes(key: str, values: Mapping, top: str, upstream, grads: Mapping, reference: Mapping):
    """[(what a mistake gives for d``key``, the sentence naming it)], for the step whose input
    gradient is at ``top`` (``upstream`` None: the loss's; ``grads``: what the step received,
    float64; ``reference``: the true gradients)."""
    def variant(name):
        return autograd_gradients(values, top, upstream, replace=VARIANTS[name])[key]

    ref = reference
    if key == "log_probs":
        everywhere, columns = variant("every entry"), variant("columns")
        if np.array_equal(everywhere, columns):   # every class is some row's label
            found = [(everywhere, "every entry of dlog_probs got a gradient (so do whole columns, as "
                                  "log_probs[:, y] picks them, when every class is some row's label): "
                                  "the loss picks one entry per row, the label's entry")]
        else:
            found = [(everywhere, "every entry of dlog_probs got a gradient: only the label's entry of "
                                  "each row reaches the loss"),
                     (columns, "dlog_probs has a gradient in every row at all the batch's labels "
                               "(whole columns, as log_probs[:, y] picks them): the loss picks one "
                               "entry per row, the one at that row's label")]
        if upstream is not None:
            found.append((autograd_gradients(values)["log_probs"],
                          f"your dlog_probs is the one for grads['loss'] = 1, but here grads['loss'] = "
                          f"{float(upstream):.3g}: computed as if grads['loss'] were 1; the chain rule "
                          "scales by the upstream gradient"))
        return found
    if key == "probs":
        return [(ref["log_probs"] * np.asarray(values["probs"], dtype=np.float64),
                 "your dprobs equals dlog_probs times probs: what is the local derivative of log at p?"),
                (ref["log_probs"], "dprobs equals dlog_probs: log_probs = log(probs) has a local "
                                   "derivative; multiply by it")]
    if key == "sum_exps_inv":
        return [(np.full_like(ref[key], ref[key].sum()),
                 "every row got the same dsum_exps_inv, a sum over the whole batch: each row's "
                 "sum_exps_inv collects the columns of its own row only")]
    if key == "sum_exps":
        return [(ref["sum_exps_inv"], "dsum_exps equals dsum_exps_inv: sum_exps_inv = 1 / sum_exps "
                                      "has a local derivative; multiply by it")]
    if key == "exps":
        direct = variant("one path")
        return [(direct, "dexps has only the direct path (through probs): exps is also used in "
                         "sum_exps, and that path's gradient adds to it"),
                (direct + ref["sum_exps_inv"], "the path through sum_exps carries dsum_exps, not "
                                               "dsum_exps_inv")]
    if key == "shifted":
        return [(np.asarray(grads["exps"], dtype=np.float64),
                 "dshifted equals dexps: exps = exp(shifted) has a local derivative; multiply by it")]
    if key == "logit_max":
        return [(np.zeros_like(ref[key]),
                 "dlogit_max is zero, as if the maximum were a constant: logit_max is subtracted "
                 "from every entry of its row, so it receives their gradients. They sum to zero "
                 "only for the cross-entropy; for this upstream gradient the path does not cancel")]
    if key == "logits":
        return [(ref["shifted"], "dlogits equals dshifted: the path through logit_max is missing (the "
                                 "maximum passes its gradient on to the entry that won)"),
                (ref["shifted"] + ref["logit_max"], "dlogit_max was added to every entry of the row: "
                                                    "the maximum sends its gradient to the winning "
                                                    "entry only")]
    if key in ("z2", "z1"):
        h = "h" + key[1]
        return [(ref[h] * np.asarray(values[h], dtype=np.float64),
                 f"d{key} equals d{h} times relu's value {h}: multiply by relu's slope (0 or 1), "
                 "not by its value"),
                (ref[h], f"d{key} equals d{h}: the local derivative of relu is missing (no gradient "
                         f"passes where {key} < 0)"),
                (variant(f"kink {h}"), f"d{key} passes the gradient where {key} is exactly 0: "
                                       "relu'(0) = 0 by the course's convention")]
    if key in ("W3", "W2"):
        z, h = ("z2", "h2") if key == "W3" else ("z1", "h1")
        return [(variant(f"{z} into {key}"), f"d{key} is built with {z}, the pre-activation: layer "
                                             f"{key[1]}'s input is {h} = relu({z})")]
    return []


def _named(check, got, hint: str, find_mistakes, rtol: float) -> None:
    """Run ``check(hint)``; when it fails and ``got`` equals a known mistake, fail naming it."""
    try:
        check(hint)
    except ck.CheckFailure:
        sentence = matching_mistake(got, find_mistakes(), rtol)
        if sentence:
            check(sentence)
        raise


# ---------------------------------------------------------------- the checks

def _upstream_grads(values: Mapping, top: str, rng: np.random.Generator | None):
    """The grads dict handed to a step: the true gradients of the loss for ``top`` and every
    value after it, or (with ``rng``) a random gradient for ``top`` alone."""
    if rng is None:
        true = autograd_gradients(values)
        later = INTERMEDIATES[INTERMEDIATES.index(top):]
        return {name: true[name] for name in later}, None
    if top == "loss":
        upstream = float(rng.uniform(0.5, 2.0) * rng.choice([-1.0, 1.0]))
    else:
        upstream = rng.standard_normal(np.shape(values[top]))
    return {top: upstream}, upstream


def upstream(values: Mapping, top: str) -> dict:
    """The grads a part receives in the real backward pass: the loss's gradient with respect
    to ``top`` and every value after it (by PyTorch autograd), by name."""
    return _upstream_grads(values, top, None)[0]


def check_shapes(result, values: Mapping, outputs, *, name: str) -> None:
    """``result`` is a dict with a gradient for every name in ``outputs``, shaped like its value."""
    if not isinstance(result, Mapping):
        ck.fail(f"{name} should return a dict {{value name: gradient}}, got {type(result).__name__}.")
    for key in outputs:
        if key not in result:
            ck.fail(f"{name} should return the gradient of {key} as result[{key!r}] "
                    f"(got keys {sorted(map(str, result))}).")
        got = ck.as_array(result[key], name, f"d{key}")
        if got.shape != np.shape(values[key]):
            transposed = (key in PRODUCTS and got.ndim == 2 and got.shape == np.shape(values[key])[::-1])
            ck.fail(f"{name}: d{key} has shape {got.shape}, but {key} is {np.shape(values[key])} "
                    f"{SHAPES[key]}: a gradient has the shape of its value."
                    + ("\n  hint: your d" + key + " is transposed: check the order of the matrix "
                       "product and which factor needs a transpose" if transposed else "")
                    + f"\n  hint: {HINTS[key]}")


def check_backward_step(fn, values: Mapping, *, name: str, top: str, outputs, rng=None,
                        numeric: bool = True, dtype=np.float64, where: str = "") -> None:
    """Grade ``fn(values, grads) -> {value name: gradient}`` for every name in ``outputs``.

    top: the value whose gradient ``grads`` holds (the step's input gradient). With ``rng``
    the upstream gradient is random (of ``sum(G * top)``), otherwise it is the loss's.
    Each output is compared with PyTorch autograd and (``numeric``) centered differences of
    the program's tail; ``dtype`` float32 runs the step on float32 values and checks the
    dtype is kept.
    """
    grads, upstream = _upstream_grads(values, top, rng)
    reference = (autograd_gradients(values) if upstream is None
                 else autograd_gradients(values, top, upstream))
    sent_values = {key: (value.astype(dtype) if isinstance(value, np.ndarray) and key != "y" else value)
                   for key, value in values.items()}
    sent_grads = {key: (np.asarray(g).astype(dtype) if isinstance(g, np.ndarray) else g)
                  for key, g in grads.items()}
    what = " (upstream: the gradient of the loss)" if upstream is None else \
        f" (upstream: a random gradient of {top}, as if another scalar followed it)"
    result = ck.call(fn, sent_values, sent_grads, name=name)
    if not isinstance(result, Mapping):
        ck.fail(f"{name} should return a dict {{value name: gradient}}, got {type(result).__name__}.")
    missing = [key for key in outputs if key not in result]
    if missing:
        ck.fail(f"{name} should return the gradients of {', '.join(outputs)}, keyed by the value's "
                f"name (e.g. result['{outputs[0]}'] is dL/d{outputs[0]}); missing: {', '.join(missing)} "
                f"(got keys {sorted(map(str, result))}).")
    N = int(np.shape(values["x"])[0])
    scale = max(float(np.max(np.abs(reference[key]), initial=0)) for key in outputs)
    for key in outputs:
        output = f"d{key}, the gradient of {key} {SHAPES[key]}{where}{what}"
        got = ck.as_array(result[key], name, output)
        expected = reference[key]
        if got.shape != expected.shape and got.size > expected.size and 1 in expected.shape:
            ck.fail(f"{name}: {output} has shape {got.shape}, expected {expected.shape}, the shape "
                    f"of {key}.\n  hint: {HINTS[key]}")
        product = key in PRODUCTS
        find = (lambda key=key: mistakes(key, values, top, upstream, grads, reference))
        if dtype != np.float64:
            # the values first (a wrong value has more to say than its dtype). float32 keeps
            # ~7 digits of each value; a gradient built from a few products and sums of them
            # is good to ~1e-6 of the largest gradient of the group
            _named(lambda hint: ck.check_close(got, expected, name=name, output=output, rtol=1e-4,
                                               atol=1e-5 * scale, batch_size=N, hint=hint,
                                               product=product),
                   got, HINTS[key], find, rtol=1e-4)
            ck.check_dtype(got, dtype, name=name, output=output)
            continue
        _named(lambda hint: ck.check_close(got, expected, name=name,
                                           output=output + " against PyTorch autograd",
                                           batch_size=N, hint=hint, product=product,
                                           atol=1e-12 * max(1.0, scale)),   # exact zeros (masks) compare fairly
               got, HINTS[key], find, rtol=1e-6)
        if numeric:
            f = tail(values, key, top, grads[top] if upstream is None else upstream)
            ck.check_gradient(f, values[key], got, name=name,
                              output=output + " against centered differences",
                              batch_size=N, hint=HINTS[key])


# ---------------------------------------------------------------- the notebook's table

def compare_with_autograd(grads: Mapping, values: Mapping, names=None) -> list[tuple]:
    """Print, for every value, your gradient next to PyTorch autograd's on the same forward
    program: exact (bit for bit), close (allclose: rtol 1e-5, atol 1e-8) and the largest
    difference. grads: {value name: your gradient}; values: the forward values (inputs,
    parameters, intermediates). Returns the rows (name, shape, exact, close, max diff)."""
    reference = autograd_gradients(values)
    names = names or [n for n in (*INTERMEDIATES[::-1], *PARAMETERS) if n != "loss"]
    rows = []
    print(f"{'value':<13} {'shape':<10} {'exact':<6} {'close':<6} max diff")
    for key in names:
        if key not in grads:
            print(f"{key:<13} {'':<10} {'-':<6} {'-':<6} (no gradient given)")
            continue
        mine = np.asarray(grads[key], dtype=np.float64)
        theirs = reference[key]
        if mine.shape != theirs.shape:
            print(f"{key:<13} {str(mine.shape):<10} {'no':<6} {'no':<6} shape should be {theirs.shape}")
            rows.append((key, mine.shape, False, False, float("inf")))
            continue
        exact = bool(np.array_equal(mine, theirs))
        close = bool(np.allclose(mine, theirs, rtol=1e-5, atol=1e-8))
        diff = float(np.max(np.abs(mine - theirs), initial=0.0))
        print(f"{key:<13} {str(theirs.shape):<10} {'yes' if exact else 'no':<6} "
              f"{'yes' if close else 'no':<6} {diff:.1e}")
        rows.append((key, theirs.shape, exact, close, diff))
    return rows
