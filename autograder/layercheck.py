"""Harnesses for 03's test cells: random networks, PyTorch references, checkpoint answers.

- ``random_network``: a random fully connected network and batch, kept away from ReLU kinks;
- ``torch_grads`` / ``torch_loss_and_grads``: the same network in PyTorch (float64), autograd;
- ``call_mlp_loss`` / ``call_mlp_backward``: call the student's function and check the
  returned structure (a pair, the keys of params), with messages that say what came back;
- ``check_checkpoint``: a hand-worked answer against the trusted one, naming the step that
  went wrong when the answer equals a known mistake;
- naming the mistake (``activation_hint``, ``check_activation_out``, ``logits_hint``,
  ``diagnose_mlp_backward``, ``diagnose_mlp_loss``, ``penalty_hint``, ``check_answer_shape``):
  what a specific common mistake returns, computed afresh for the test's case, and the
  sentence that names it when the student's answer equals it. They speak only about an
  answer that is wrong, so a correct solution never meets them.

Test cells keep their cases; these hold the machinery. They call graded functions only
through ``ck.call`` with plain data, so they work in the student's kernel and in the
grader's trusted process alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from . import checks as ck

__all__ = ["activation_hint", "activation_mistakes", "call_activation_stable", "call_mlp_backward",
           "call_mlp_forward", "call_mlp_loss", "check_activation_out", "check_answer_shape",
           "check_checkpoint", "check_grads", "diagnose_grads", "diagnose_mlp_backward",
           "diagnose_mlp_loss", "logits_hint", "matching_mistake", "penalty_hint", "random_network",
           "torch_grads", "torch_loss_and_grads"]

_ACTIVATIONS = ("relu", "sigmoid", "tanh")


def random_network(rng: np.random.Generator, depth: int, N: int, activation: str = "tanh",
                   D: int | None = None, labels: bool = False, margin: float = 1e-2):
    """Random widths (D 1-5 unless given, hidden 2-6, C 2-5), weights ~ N(0, 1/fan_in),
    biases ~ N(0, 1/4). Returns (params, X) or, with ``labels``, (params, X, y).

    For ReLU every pre-activation is kept at least ``margin`` from the kink, so that centered
    differences (h = 1e-5 moves a pre-activation by ~1e-4 at most) see a smooth function.
    """
    while True:
        sizes = ([D or int(rng.integers(1, 6))] + [int(rng.integers(2, 7)) for _ in range(depth - 1)]
                 + [int(rng.integers(2, 6))])
        params = {}
        for layer in range(1, depth + 1):
            params[f"W{layer}"] = rng.standard_normal((sizes[layer - 1], sizes[layer])) / np.sqrt(sizes[layer - 1])
            params[f"b{layer}"] = 0.5 * rng.standard_normal(sizes[layer])
        X = rng.standard_normal((N, sizes[0]))
        y = rng.integers(0, sizes[-1], size=N)
        h, nearest = X, np.inf
        for layer in range(1, depth):
            z = h @ params[f"W{layer}"] + params[f"b{layer}"]
            nearest = min(nearest, float(np.min(np.abs(z))))
            h = np.maximum(z, 0)
        if activation != "relu" or nearest > margin:
            return (params, X, y) if labels else (params, X)


def _torch_network(params: Mapping, X, activation: str):
    import torch

    f = {"relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh}[activation]
    depth = len(params) // 2
    leaves = {key: torch.tensor(np.array(value, dtype=np.float64), requires_grad=True)
              for key, value in params.items()}
    h = torch.tensor(np.array(X, dtype=np.float64))
    for layer in range(1, depth + 1):
        h = h @ leaves[f"W{layer}"] + leaves[f"b{layer}"]
        if layer < depth:
            h = f(h)
    return leaves, h


def torch_grads(params: Mapping, X, activation: str, dlogits) -> dict:
    """d sum(dlogits * logits) / d params by PyTorch autograd, float64."""
    import torch

    leaves, logits = _torch_network(params, X, activation)
    (logits * torch.tensor(np.asarray(dlogits, dtype=np.float64))).sum().backward()
    return {key: leaf.grad.numpy() for key, leaf in leaves.items()}


def torch_loss_and_grads(params: Mapping, X, y, activation: str, weight_decay: float):
    """Mean cross-entropy plus (weight_decay / 2) * sum of squared weights, in PyTorch
    (float64), and its gradients by autograd: (loss, grads)."""
    import torch

    leaves, logits = _torch_network(params, X, activation)
    loss = torch.nn.functional.cross_entropy(logits, torch.as_tensor(np.asarray(y, dtype=np.int64)))
    depth = len(params) // 2
    loss = loss + 0.5 * weight_decay * sum((leaves[f"W{l}"] ** 2).sum() for l in range(1, depth + 1))
    loss.backward()
    return loss.item(), {key: leaf.grad.numpy() for key, leaf in leaves.items()}


def _check_keys(grads, params: Mapping, name: str, where: str = "", what: str = "a dict") -> None:
    if not isinstance(grads, Mapping) or set(grads) != set(params):
        got = sorted(grads) if isinstance(grads, Mapping) else type(grads).__name__
        ck.fail(f"{name}{where} should return {what} with the keys of params {sorted(params)}, got {got}."
                "\n  hint: one gradient per parameter, named like it; layers are numbered from 1 "
                "(the first layer's gradients are 'W1' and 'b1')")


def call_mlp_backward(mlp_forward, mlp_backward, params: Mapping, X, activation: str, dlogits,
                      where: str = "") -> dict:
    """The student's forward then backward; the grads dict, its keys checked."""
    _, caches = ck.call(mlp_forward, params, X, activation, name="mlp_forward")
    grads = ck.call(mlp_backward, dlogits, caches, name="mlp_backward")
    _check_keys(grads, params, "mlp_backward", where)
    return grads


def call_mlp_loss(mlp_loss, params: Mapping, X, y, activation: str, weight_decay: float,
                  where: str = ""):
    """The student's (loss, grads), their structure checked."""
    result = ck.call(mlp_loss, params, X, y, activation, weight_decay, name="mlp_loss")
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        ck.fail(f"mlp_loss should return a pair (loss, grads), got {type(result).__name__}.")
    loss, grads = result
    _check_keys(grads, params, "mlp_loss", where, what="grads")
    return loss, grads


def check_grads(grads: Mapping, expected: Mapping, *, name: str, batch_size: int | None = None,
                atol: float = 0.0, hint: str | None = None, dtype=None) -> None:
    """Every gradient close to the expected one (and of ``dtype`` when given)."""
    for key in expected:   # the values first: a wrong value has more to say than its dtype
        ck.check_close(grads[key], expected[key], name=name,
                       output=f"the gradient d{key}" + (f" ({np.dtype(dtype)})" if dtype else ""),
                       atol=atol, batch_size=batch_size, hint=hint, dtype=dtype,
                       product=str(key).startswith("W"))   # dW comes from a matrix product
        if dtype is not None:
            ck.check_dtype(grads[key], dtype, name=name, output=f"the gradient d{key}")


def check_checkpoint(got, expected, *, name: str, output: str,
                     mistakes: Sequence[tuple[object, str]] = (), rtol: float = 1e-6,
                     product: bool = False) -> None:
    """A hand-worked answer ``got`` against the trusted ``expected``.

    The answer may be any array-like (nested lists, tuples, NumPy arrays, Python numbers);
    it is compared to 1e-6 relative (hand-worked decimals, exact up to rounding). When it is
    wrong and equals one of ``mistakes`` (an answer a known slip produces, and the sentence
    that names that slip), the failure says which step went wrong. ``product``: the answer
    comes from a matrix product (so a transpose is a possible slip).
    """
    array = ck.as_array(got, name, output)
    expected = np.asarray(expected, dtype=np.float64)
    if array.shape != expected.shape and array.size == expected.size:
        ck.fail(f"{name}: {output} has shape {array.shape}, expected {expected.shape}: return the "
                "numbers laid out like the value they are the gradient of.")
    ck.check_shape(array, expected.shape, name=name, output=output)
    close = lambda a, b: float(np.max(np.abs(a - b), initial=0.0)) <= rtol * max(
        1.0, float(np.max(np.abs(b), initial=0.0)))
    values = array.astype(np.float64)
    if close(values, expected):
        return
    for answer, step in mistakes:
        answer = np.asarray(answer, dtype=np.float64)
        if answer.shape == values.shape and close(values, answer):
            ck.fail(f"{name}: {output} is not right yet: {step}")
    ck.check_close(values, expected, name=name, output=output, rtol=rtol, product=product)


def checkpoint_entry(result, key: str, name: str):
    """``result[key]`` of a checkpoint that returns a dict, or a failure naming what is missing."""
    if not isinstance(result, Mapping):
        ck.fail(f"{name} should return a dict, got {type(result).__name__}.")
    if key not in result:
        ck.fail(f"{name} should return a dict with the key {key!r} (got keys {sorted(map(str, result))}).")
    return result[key]


def check_loss_invariants(mlp_loss, params: Mapping, X, y, activation: str, weight_decay: float) -> None:
    """float32 in gives float32 out, and a duplicated batch leaves the mean loss and its
    gradients unchanged; every result against PyTorch's for the same case (never against the
    student's own float64 answer, which a mistake at these settings would share)."""
    # float32: the loss to 1e-4 relative, each gradient to within 1e-4 of the largest gradient
    # in the network (float32 keeps ~7 digits of the values flowing through it; a small
    # gradient made of cancelling terms can lose relative precision). The reference is
    # PyTorch's for the float32-rounded inputs.
    where = f" (float32, activation={activation!r}, weight_decay={weight_decay})"
    params32 = {key: value.astype(np.float32) for key, value in params.items()}
    X32 = X.astype(np.float32)
    ref_loss32, ref_grads32 = torch_loss_and_grads(params32, X32, y, activation, weight_decay)
    loss32, grads32 = call_mlp_loss(mlp_loss, params32, X32, y, activation, weight_decay, where)
    ck.check_scalar(loss32, ref_loss32, name="mlp_loss" + where, output="the loss (float32)", rtol=1e-4,
                    dtype=np.float32)
    scale = max(float(np.max(np.abs(value))) for value in ref_grads32.values())
    check_grads(grads32, ref_grads32, name="mlp_loss" + where, atol=1e-4 * scale, dtype=np.float32)
    where = f" (the batch duplicated, activation={activation!r}, weight_decay={weight_decay})"
    ref_loss, ref_grads = torch_loss_and_grads(params, X, y, activation, weight_decay)
    loss2, grads2 = call_mlp_loss(mlp_loss, params, np.concatenate([X, X]), np.concatenate([y, y]),
                                  activation, weight_decay, where)
    ck.check_scalar(loss2, ref_loss, name="mlp_loss" + where, output="the loss",
                    hint="the loss is a mean over the batch; the weight decay term does not depend on N")
    check_grads(grads2, ref_grads, name="mlp_loss" + where, batch_size=2 * len(y))


# ---------------------------------------------------------------- naming the mistake
# Each detector below computes what a specific, common mistake would return (by PyTorch
# autograd where the mistake is "the right derivative of something else", so that no
# derived result is written out here) and names the mistake when the student's answer
# equals it. Every one is only consulted for an answer that is wrong, so a correct
# solution never sees them.

def matching_mistake(got, mistakes, rtol: float = 1e-6) -> str | None:
    """The sentence of the first ``(answer, sentence)`` in ``mistakes`` that ``got`` equals
    (same shape, to ``rtol`` of the larger magnitude), else None."""
    values = _plain_array(got)
    if values is None:
        return None
    if not np.all(np.isfinite(values)):
        return None
    for answer, sentence in mistakes:
        answer = np.asarray(answer, dtype=np.float64)
        if answer.shape != values.shape or not np.all(np.isfinite(answer)):
            continue
        scale = max(float(np.max(np.abs(answer), initial=0.0)), float(np.max(np.abs(values), initial=0.0)))
        if float(np.max(np.abs(values - answer), initial=0.0)) <= rtol * scale:
            return sentence
    return None


def _plain_array(value) -> np.ndarray | None:
    """``value`` as a float64 array (read through ``ck.as_array``, which refuses what is not
    numbers, or too many of them), or None."""
    try:
        return ck.as_array(value, "", "").astype(np.float64)
    except ck.CheckFailure:
        return None


def _rtol_for(test_input) -> float:
    """How closely an answer must equal a mistake's to be named: by the precision of the
    test's input (never the answer's own dtype, see ``checks.demanded_precision``)."""
    dtype = test_input if isinstance(test_input, np.dtype) else np.asarray(test_input).dtype
    return 1e-4 if dtype == np.float32 else 1e-6


def _torch_activation(kind: str):
    import torch

    return {"relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh}[kind]


def _value_and_slope(kind: str, x):
    """f(x) and f'(x), elementwise, by PyTorch autograd (float64)."""
    import torch

    u = torch.tensor(np.array(x, dtype=np.float64), requires_grad=True)
    out = _torch_activation(kind)(u)
    out.backward(torch.ones_like(out))
    return out.detach().numpy(), u.grad.numpy()


def _slope_from_output(kind: str, a):
    """f'(x) as a function of the output a = f(x) (a quadratic for the sigmoid and tanh),
    evaluated at any ``a``: what a backward pass that writes f' with its output computes."""
    outputs, slopes = _value_and_slope(kind, np.array([-1.0, 0.0, 1.0]))
    return np.polyval(np.polyfit(outputs, slopes, 2), np.asarray(a, dtype=np.float64))


def activation_mistakes(kind: str, x, dout) -> list[tuple[np.ndarray, str]]:
    """What ``*_backward(dout, cache)`` returns under common mistakes, for the input ``x``
    of the activation ``kind``, and the sentence that names each mistake."""
    x = np.asarray(x, dtype=np.float64)
    dout = np.asarray(dout, dtype=np.float64)
    a, local = _value_and_slope(kind, x)
    mistakes = [(local, "that is the local derivative alone: the chain rule multiplies it by dout")]
    if kind == "relu":
        mistakes += [
            (dout * a, "dx equals dout times relu's value: multiply dout by relu's slope (0 or 1), "
                       "not by its value"),
            (dout * (x <= 0), "the mask is inverted: the gradient passes where the input is positive"),
        ]
        if np.any(x < 0):
            mistakes.append((dout, "dx equals dout everywhere, also where the input is negative and "
                                   "relu's output is 0: no gradient passes there. If your mask "
                                   "compares the cached output with 0, mind the inputs at exactly 0: "
                                   "relu'(0) = 0"))
        return mistakes
    other = "tanh" if kind == "sigmoid" else "sigmoid"
    again = _torch_activation(kind)
    import torch

    a_again = again(torch.tensor(a)).numpy()
    mistakes += [
        (dout * _slope_from_output(kind, a_again),
         f"{kind} was applied twice: the cache already holds the output a = {kind}(x); write the "
         "derivative with a itself"),
        (dout * _slope_from_output(other, a),
         f"dx is consistent with {other}'s derivative written with the output: {kind}'s derivative "
         "is a different expression of a"),
        (dout * a, f"dout times the output is not the derivative: write {kind}'(x) in terms of "
                   f"a = {kind}(x)"),
    ]
    if kind == "tanh":
        mistakes.append((dout * (1 - a), "dx equals dout * (1 - a) for the output a = tanh(x): "
                                         "differentiate tanh again and write the result with a"))
    return mistakes


def activation_hint(kind: str, x, dout, dx, default: str | None = None) -> str | None:
    """The sentence naming the mistake that ``dx`` (from ``kind``'s backward pass at ``x``
    with ``dout``) is consistent with, else ``default``."""
    return matching_mistake(dx, activation_mistakes(kind, x, dout), _rtol_for(x)) or default


def check_activation_out(out, x, expected, *, kind: str, name: str, output: str = "out",
                         hint: str | None = None, **close) -> None:
    """The forward output ``out`` against ``expected``, naming a reduction (a shape lost to
    np.max) or a leaky slope below 0."""
    array = ck.as_array(out, name, output)
    precision = np.asarray(x).dtype   # the test's input: the precision demanded of out
    x = np.asarray(x, dtype=np.float64)
    if array.shape != x.shape:
        for axis in range(x.ndim):
            if array.shape == tuple(size for k, size in enumerate(x.shape) if k != axis):
                ck.fail(f"{name}: {output} has shape {array.shape}, expected {x.shape} (the input's).\n"
                        f"  hint: {kind} is elementwise: every input entry gives its own output. Your "
                        f"result lost axis {axis}, as a reduction does (np.max(x, {axis}) takes the "
                        "largest entry along that axis; it does not compare each entry with 0)")
    if kind == "relu" and array.shape == x.shape and np.any(x < 0):
        negative = x < 0
        slopes = np.asarray(array, dtype=np.float64)[negative] / x[negative]
        leaky = np.where(x > 0, x, slopes[0] * x)
        if slopes[0] != 0 and matching_mistake(array, [(leaky, "")], _rtol_for(precision)) is not None:
            hint = (f"negative inputs give nonzero outputs ({slopes[0]:.3g} x: a leaky ReLU): relu "
                    "sets every negative input to 0")
    if kind == "tanh" and array.shape == x.shape:
        hint = matching_mistake(array, [(np.tanh(x / 2), "your out equals 2 sigmoid(x) - 1, which is "
                                         "tanh(x/2), not tanh(x): check the identity's argument")],
                                _rtol_for(precision)) or hint
    ck.check_close(array, expected, name=name, output=output, hint=hint,
                   **{"dtype": precision if precision.kind == "f" else None, **close})


def call_activation_stable(fn, x, *, kind: str, name: str):
    """``ck.call(fn, x, forbid_warnings=True)``, with an overflow explained for ``kind``."""
    try:
        return ck.call(fn, x, name=name, forbid_warnings=True)
    except ck.CheckFailure as failure:
        message = str(failure)
        if f"{name} emitted" not in message:
            raise
        lines = message.splitlines()
        advice = {
            "sigmoid": "exp overflowed for an input of large magnitude: exponentiate only numbers <= 0 "
                       "(such as -|x|) and pick the formula by the sign of x. np.where(cond, a, b) "
                       "evaluates both a and b on every element, so it does not keep exp from "
                       "overflowing",
            "tanh": "exp overflows for |x| > 710 (float64) or 89 (float32) in the exponential "
                    "formula; np.tanh is accurate and never overflows",
        }.get(kind, "an intermediate value overflowed")
        rest = [line for line in lines[1:] if not line.lstrip().startswith("hint:")]
        raise ck.CheckFailure("\n".join([lines[0], f"  hint: {advice}", *rest])) from None


def _torch_logits(params: Mapping, X, activation: str, *, last_activation: bool = False,
                  drop_last_bias: bool = False):
    """The network's logits in PyTorch (float64), or those of a mistaken variant of it."""
    import torch

    f = _torch_activation(activation)
    depth = len(params) // 2
    h = torch.tensor(np.array(X, dtype=np.float64))
    for layer in range(1, depth + 1):
        h = h @ torch.tensor(np.array(params[f"W{layer}"], dtype=np.float64))
        if not (drop_last_bias and layer == depth):
            h = h + torch.tensor(np.array(params[f"b{layer}"], dtype=np.float64))
        if layer < depth or last_activation:
            h = f(h)
    return h.numpy()


def logits_hint(logits, params: Mapping, X, activation: str, default: str | None = None) -> str | None:
    """Name the mistake ``mlp_forward``'s logits are consistent with, else ``default``."""
    mistakes = [
        (_torch_logits(params, X, activation, last_activation=True),
         "your logits went through the activation too: no activation after the last layer, the "
         "logits go to the softmax as they are"),
        (_torch_logits(params, X, activation, drop_last_bias=True),
         "your logits lack the last layer's bias: every layer, the last one included, adds its bias"),
    ]
    mistakes += [(_torch_logits(params, X, other),
                  f"your logits are those of a network with {other}, but activation={activation!r} "
                  "was asked for: use the activation argument")
                 for other in _ACTIVATIONS if other != activation]
    return matching_mistake(logits, mistakes, _rtol_for(X)) or default


def call_mlp_forward(mlp_forward, params: Mapping, X, activation: str):
    """``ck.call(mlp_forward, ...)``, a missing key explained by the number of layers."""
    try:
        return ck.call(mlp_forward, params, X, activation, name="mlp_forward")
    except ck.CheckFailure as failure:
        message = str(failure)
        if "raised KeyError" not in message:
            raise
        raise ck.CheckFailure(
            f"{message}\n  hint: this network has {len(params) // 2} layers (params holds "
            f"{sorted(params)}): take the number of layers from params instead of fixing it") from None


def _torch_grads_with_slope(params: Mapping, X, activation: str, dlogits, slope: str) -> dict:
    """Gradients of sum(dlogits * logits) when the backward pass multiplies, at every hidden
    layer, by a different local derivative: ``"none"`` (the activation's derivative skipped)
    or ``"relu"`` (ReLU's, taken from the activation's output). The forward values are
    the true ones (straight-through: the value of f(z), the gradient of a surrogate)."""
    import torch

    f = _torch_activation(activation)
    depth = len(params) // 2
    leaves = {key: torch.tensor(np.array(value, dtype=np.float64), requires_grad=True)
              for key, value in params.items()}
    h = torch.tensor(np.array(X, dtype=np.float64))
    for layer in range(1, depth + 1):
        h = h @ leaves[f"W{layer}"] + leaves[f"b{layer}"]
        if layer < depth:
            value = f(h)
            surrogate = h if slope == "none" else h * (value > 0).double().detach()
            h = surrogate + (value - surrogate).detach()
    (h * torch.tensor(np.asarray(dlogits, dtype=np.float64))).sum().backward()
    return {key: leaf.grad.numpy() for key, leaf in leaves.items()}


def _all_close(grads, reference: Mapping) -> bool:
    """Every gradient in ``grads`` is there and matches ``reference`` (to 1e-6)."""
    if not isinstance(grads, Mapping):
        return False
    return all(key in grads and matching_mistake(grads[key], [(reference[key], "")], 1e-6) is not None
               for key in reference)


def _layer_order(keys) -> list:
    return sorted(keys, key=lambda key: (int(key[1:]), key[0] != "W"))


def diagnose_grads(grads: Mapping, reference: Mapping, mistakes: Mapping, *, name: str,
                   batch_size: int | None = None) -> None:
    """Fail, naming the mistake, on the first gradient (layer 1 first) that is wrong and
    equals one in ``mistakes`` ({key: [(answer, sentence), ...]}); otherwise do nothing
    (the checks that follow report what is wrong)."""
    for key in _layer_order(reference):
        got = grads.get(key) if isinstance(grads, Mapping) else None
        if got is None or key not in mistakes:
            continue
        if _plain_array(got) is None:
            return
        if matching_mistake(got, [(reference[key], "")], _rtol_for(reference[key])) is not None:
            continue
        sentence = matching_mistake(got, mistakes[key], _rtol_for(reference[key]))
        if sentence:
            ck.check_close(got, reference[key], name=name, output=f"the gradient d{key}",
                           batch_size=batch_size, hint=sentence, product=key.startswith("W"))


def diagnose_mlp_backward(grads: Mapping, params: Mapping, X, activation: str, dlogits, *,
                          name: str = "mlp_backward") -> None:
    """Name a common mistake of ``mlp_backward`` when ``grads`` equals what it gives: the
    activation's derivative skipped, ReLU's derivative for another activation, a gradient
    stored under another layer's name."""
    reference = torch_grads(params, X, activation, dlogits)
    if _all_close(grads, reference):
        return
    variants = [(_torch_grads_with_slope(params, X, activation, dlogits, "none"),
                 "your gradients are what the network gives without the activation's derivative: "
                 "on the way back through each hidden layer, multiply by its local derivative")]
    if activation != "relu":
        variants.append((_torch_grads_with_slope(params, X, activation, dlogits, "relu"),
                         f"your gradients are what ReLU's derivative gives, but this network uses "
                         f"{activation}: take the derivative of the stored activation (each layer's "
                         "cache names it)"))
    mistakes = {}
    for key in reference:
        mistakes[key] = [(variant[key], sentence) for variant, sentence in variants]
        mistakes[key] += [(reference[other], f"d{key} equals the gradient of {other}, another layer's "
                                             "parameter: check under which layer's name each gradient "
                                             "is stored")
                          for other in _layer_order(reference)
                          if other != key and np.shape(reference[other]) == np.shape(reference[key])]
    diagnose_grads(grads, reference, mistakes, name=name, batch_size=len(X))


def _torch_loss_variant(params: Mapping, X, y, activation: str, weight_decay: float, *,
                        decay_biases: bool = False, summed: bool = False, penalty_scale: float = 1.0):
    """(loss, grads) of a mistaken objective: the biases decayed too, the cross-entropy
    summed over the batch, or the penalty scaled by ``penalty_scale``."""
    import torch

    leaves, logits = _torch_network(params, X, activation)
    target = torch.as_tensor(np.asarray(y, dtype=np.int64))
    loss = torch.nn.functional.cross_entropy(logits, target, reduction="sum" if summed else "mean")
    names = [key for key in params if key.startswith("W") or decay_biases]
    loss = loss + penalty_scale * 0.5 * weight_decay * sum((leaves[key] ** 2).sum() for key in names)
    loss.backward()
    return loss.item(), {key: leaf.grad.numpy() for key, leaf in leaves.items()}


def diagnose_mlp_loss(loss, grads: Mapping, params: Mapping, X, y, activation: str,
                      weight_decay: float, *, name: str = "mlp_loss") -> None:
    """Name a common mistake of ``mlp_loss`` when (loss, grads) equals what it gives: the
    penalty's gradient missing, the biases decayed, the penalty without its 1/2 or divided
    by N, the loss summed over the batch, the activation argument not passed on."""
    N = len(y)
    ref_loss, reference = torch_loss_and_grads(params, X, y, activation, weight_decay)
    value = _plain_array(loss)
    if value is None or value.shape != ():
        return
    value = float(value)
    loss_right = abs(value - ref_loss) <= 1e-6 * max(1.0, abs(ref_loss))
    if loss_right and _all_close(grads, reference):
        return   # nothing to name: the variants below are computed only for a wrong answer
    variants = [(_torch_loss_variant(params, X, y, activation, weight_decay, summed=True),
                 f"your loss is the sum over the batch, {N} times the mean: the loss averages over "
                 "the N examples (the weight decay term does not depend on N)")]
    if weight_decay:
        variants += [
            (_torch_loss_variant(params, X, y, activation, weight_decay, decay_biases=True),
             "the penalty includes the biases: only the weights W1, W2, ... are decayed"),
            (_torch_loss_variant(params, X, y, activation, weight_decay, penalty_scale=2.0),
             "your penalty is twice the definition's: it has a 1/2 in front of the sum of squares"),
            (_torch_loss_variant(params, X, y, activation, weight_decay, penalty_scale=1 / N),
             f"your penalty is divided by the batch size N = {N}: the weight decay term does not "
             "depend on the batch size"),
            ((ref_loss, torch_loss_and_grads(params, X, y, activation, 0.0)[1]),
             "your weight gradients are those of the cross-entropy alone: the penalty's gradient is "
             "missing from them"),
        ]
    variants += [(torch_loss_and_grads(params, X, y, other, weight_decay),
                  f"your loss and gradients are those of a network with {other}, but "
                  f"activation={activation!r} was asked for: pass the activation argument on")
                 for other in _ACTIVATIONS if other != activation]
    if not loss_right:
        sentence = matching_mistake(value, [(np.float64(v[0]), s) for v, s in variants], 1e-6)
        if sentence:
            ck.check_scalar(loss, ref_loss, name=name, output="the loss", hint=sentence)
    diagnose_grads(grads, reference, {key: [(v[1][key], s) for v, s in variants] for key in reference},
                   name=name, batch_size=N)


def penalty_hint(got: float, expected: float, N: int, default: str) -> str:
    """For the weight-decay part of the loss: name a missing 1/2 or a division by N."""
    return matching_mistake(got, [
        (2 * expected, "your penalty is twice the definition's: it has a 1/2 in front of the sum of squares"),
        (expected / N, f"your penalty is divided by the batch size N = {N}: the weight decay term "
                       "does not depend on the batch size"),
    ]) or default


def check_answer_shape(answer, shape: tuple, *, name: str, output: str) -> None:
    """A checkpoint answer's shape, naming rows and columns swapped, and a gradient of a
    broadcast value (a size-1 axis) that was not summed back to its value's shape."""
    array = ck.as_array(answer, name, output)
    shape = tuple(int(size) for size in shape)
    if array.shape == shape:
        return
    if len(shape) == 2 and array.shape == shape[::-1] and shape[0] != shape[1]:
        ck.fail(f"{name}: {output} has shape {array.shape}, expected {shape}: transposed, rows and "
                "columns swapped. Lay the numbers out like the value they are the gradient of, one "
                "list per row.")
    if (array.ndim == len(shape) and 1 in shape
            and all(got == want or want == 1 for got, want in zip(array.shape, shape))):
        axes = [axis for axis, want in enumerate(shape) if want == 1 and array.shape[axis] != 1]
        ck.fail(f"{name}: {output} has shape {array.shape}, expected {shape}: the value was "
                f"broadcast along axis {axes[0]} in the forward pass (one number used in every "
                "column), so its gradient collects every place it was used, back in its own shape.")
    ck.check_shape(array, shape, name=name, output=output)
