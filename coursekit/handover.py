"""A small network handed over by a colleague: forward and backward of a 3-layer MLP.

    X (N, D) -> linear W1, b1 -> sigmoid -> h1 (N, H1)
             -> linear W2, b2 -> tanh    -> h2 (N, H2)
             -> linear W3, b3            -> logits (N, C) -> mean softmax cross-entropy

Parameters are a dict {"W1": (D, H1), "b1": (H1,), "W2": (H1, H2), "b2": (H2,),
"W3": (H2, C), "b3": (C,)}; gradients come back under the same keys. It has not been
reviewed yet: whether its gradients are right is for the reviewer to find out.
"""

from __future__ import annotations

import numpy as np

__all__ = ["handover_backward", "handover_forward", "handover_init", "handover_loss",
           "mean_cross_entropy"]


def handover_init(sizes, rng, dtype=np.float64):
    """Parameters for layer widths ``sizes = [D, H1, H2, C]``: Glorot-normal weights, zero
    biases, drawn from the Generator ``rng``."""
    if len(sizes) != 4:
        raise ValueError(f"the network has three layers: sizes must be [D, H1, H2, C], got {sizes}")
    params = {}
    for layer, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        scale = np.sqrt(2.0 / (fan_in + fan_out))
        params[f"W{layer}"] = (scale * rng.standard_normal((fan_in, fan_out))).astype(dtype)
        params[f"b{layer}"] = np.zeros(fan_out, dtype=dtype)
    return params


def handover_forward(params, X):
    """Logits (N, C) of the network on X (N, D), and the cache that handover_backward needs
    (a dict of the arrays of the forward pass)."""
    missing = {"W1", "b1", "W2", "b2", "W3", "b3"} - set(params)
    if missing:
        raise KeyError(f"params lacks {sorted(missing)}")
    z1 = X @ params["W1"] + params["b1"]
    h1 = 0.5 * (1 + np.tanh(0.5 * z1))   # the sigmoid, written so that it cannot overflow
    z2 = h1 @ params["W2"] + params["b2"]
    h2 = np.tanh(z2)
    logits = h2 @ params["W3"] + params["b3"]
    cache = {"X": X, "W2": params["W2"], "W3": params["W3"], "h1": h1, "z2": z2, "h2": h2}
    return logits, cache


def mean_cross_entropy(logits, y):
    """Mean softmax cross-entropy of logits (N, C) for labels y (N,), and its gradient
    dlogits (N, C) with respect to the logits."""
    N = len(y)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[np.arange(N), y].mean()
    dlogits = np.exp(log_probs)
    dlogits[np.arange(N), y] -= 1
    return float(loss), dlogits / N


def handover_backward(dlogits, cache):
    """Gradients {"W1": (D, H1), ..., "b3": (C,)} of the loss, given dlogits (N, C), the
    gradient of the loss with respect to the logits, and the cache of handover_forward."""
    X, h1, z2, h2 = cache["X"], cache["h1"], cache["z2"], cache["h2"]
    grads = {}
    grads["W3"] = h2.T @ dlogits
    grads["b3"] = dlogits.mean(axis=0)
    dh2 = dlogits @ cache["W3"].T
    dz2 = dh2 * (1 - z2 ** 2)
    grads["W2"] = h1.T @ dz2
    grads["b2"] = dz2.sum(axis=0)
    dh1 = dz2 @ cache["W2"].T
    dz1 = dh1 * h1 * (1 - h1)
    grads["W1"] = X.T @ dz1
    grads["b1"] = dz1.sum(axis=0)
    return grads


def handover_loss(params, X, y, backward=handover_backward):
    """(mean cross-entropy, gradients) of the network on X (N, D), y (N,); ``backward`` is
    the backward pass to use (the colleague's by default)."""
    logits, cache = handover_forward(params, X)
    loss, dlogits = mean_cross_entropy(logits, y)
    return loss, backward(dlogits, cache)
