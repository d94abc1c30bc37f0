"""Harnesses for 03's test cells: random networks, PyTorch references, checkpoint answers.

- ``random_network``: a random fully connected network and batch, kept away from ReLU kinks;
- ``torch_grads`` / ``torch_loss_and_grads``: the same network in PyTorch (float64), autograd;
- ``call_mlp_loss`` / ``call_mlp_backward``: call the student's function and check the
  returned structure (a pair, the keys of params), with messages that say what came back;
- ``check_checkpoint``: a hand-worked answer against the trusted one, naming the step that
  went wrong when the answer equals a known mistake.

Test cells keep their cases; these hold the machinery. They call graded functions only
through ``ck.call`` with plain data, so they work in the student's kernel and in the
grader's trusted process alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from . import checks as ck

__all__ = ["call_mlp_backward", "call_mlp_loss", "check_checkpoint", "check_grads",
           "random_network", "torch_grads", "torch_loss_and_grads"]

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
    for key in expected:
        if dtype is not None:
            ck.check_dtype(grads[key], dtype, name=name, output=f"the gradient d{key}")
        ck.check_close(grads[key], expected[key], name=name,
                       output=f"the gradient d{key}" + (f" ({np.dtype(dtype)})" if dtype else ""),
                       atol=atol, batch_size=batch_size, hint=hint)


def check_checkpoint(got, expected, *, name: str, output: str,
                     mistakes: Sequence[tuple[object, str]] = (), rtol: float = 1e-6) -> None:
    """A hand-worked answer ``got`` against the trusted ``expected``.

    The answer may be any array-like (nested lists, tuples, NumPy arrays, Python numbers);
    it is compared to 1e-6 relative (hand-worked decimals, exact up to rounding). When it is
    wrong and equals one of ``mistakes`` (an answer a known slip produces, and the sentence
    that names that slip), the failure says which step went wrong.
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
    ck.check_close(values, expected, name=name, output=output, rtol=rtol)


def checkpoint_entry(result, key: str, name: str):
    """``result[key]`` of a checkpoint that returns a dict, or a failure naming what is missing."""
    if not isinstance(result, Mapping):
        ck.fail(f"{name} should return a dict, got {type(result).__name__}.")
    if key not in result:
        ck.fail(f"{name} should return a dict with the key {key!r} (got keys {sorted(map(str, result))}).")
    return result[key]


def check_loss_invariants(mlp_loss, params: Mapping, X, y, activation: str, weight_decay: float) -> None:
    """A duplicated batch leaves the mean loss and its gradients unchanged, and float32 in
    gives float32 out, close to the float64 result."""
    where = f" (the batch duplicated, activation={activation!r}, weight_decay={weight_decay})"
    loss, grads = call_mlp_loss(mlp_loss, params, X, y, activation, weight_decay)
    loss2, grads2 = call_mlp_loss(mlp_loss, params, np.concatenate([X, X]), np.concatenate([y, y]),
                                  activation, weight_decay, where)
    ck.check_scalar(loss2, loss, name="mlp_loss" + where, output="the loss",
                    hint="the loss is a mean over the batch; the weight decay term does not depend on N")
    check_grads(grads2, grads, name="mlp_loss" + where, batch_size=2 * len(y))
    # float32: the loss to 1e-4 relative, each gradient to within 1e-4 of the largest gradient
    # in the network (float32 keeps ~7 digits of the values flowing through it; a small
    # gradient made of cancelling terms can lose relative precision)
    params32 = {key: value.astype(np.float32) for key, value in params.items()}
    loss32, grads32 = call_mlp_loss(mlp_loss, params32, X.astype(np.float32), y, activation,
                                    weight_decay, " (float32)")
    ck.check_scalar(loss32, loss, name="mlp_loss", output="the loss (float32)", rtol=1e-4)
    scale = max(float(np.max(np.abs(value))) for value in grads.values())
    check_grads(grads32, grads, name="mlp_loss", atol=1e-4 * scale, dtype=np.float32)
