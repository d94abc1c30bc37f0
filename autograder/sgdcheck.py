"""Harness for tests of one epoch of minibatch SGD for softmax regression,
``epoch_fn(W, b, X, y, learning_rate, batch_size, rng) -> (W, b, mean_loss)``.

The reference runs the same epoch in float64 with gradients from PyTorch autograd, visiting
the rows in the order ``rng.permutation(N)`` drawn from a generator in the same state.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .checks import check_close, check_scalar
from .contracts import call_returning_tuple, check_dtype_kept

__all__ = ["check_epoch", "check_sgd_epoch", "reference_epoch", "run_epoch"]

FIELDS = ("W", "b", "mean_loss")
ORDER_HINT = ("visit the rows in the order rng.permutation(N) (one call, at the start), in "
              "consecutive batches of batch_size rows, the last one possibly smaller, with "
              "one update W - learning_rate * dW, b - learning_rate * db per batch")
LOSS_HINT = "mean_loss is np.mean of the batch losses, one per batch, each before its update"


def reference_epoch(W, b, X, y, learning_rate, batch_size, order) -> tuple[np.ndarray, np.ndarray, float]:
    """The epoch in float64 over the rows in ``order``. (The update is the plain SGD rule;
    torch.optim.SGD would import torch._dynamo on its first step: seconds.)"""
    import torch
    import torch.nn.functional as F

    Wt = torch.tensor(np.array(W, dtype=np.float64), requires_grad=True)
    bt = torch.tensor(np.array(b, dtype=np.float64), requires_grad=True)
    Xt = torch.from_numpy(np.array(X, dtype=np.float64))
    yt = torch.from_numpy(np.array(y, dtype=np.int64))
    losses = []
    for start in range(0, len(order), batch_size):
        rows = torch.from_numpy(np.array(order[start:start + batch_size]))
        loss = F.cross_entropy(Xt[rows] @ Wt + bt, yt[rows])
        dW, db = torch.autograd.grad(loss, (Wt, bt))
        with torch.no_grad():
            Wt -= learning_rate * dW
            bt -= learning_rate * db
        losses.append(loss.item())
    return Wt.detach().numpy(), bt.detach().numpy(), float(np.mean(losses))


def run_epoch(epoch_fn: Callable, *args, name: str) -> tuple:
    """Call ``epoch_fn`` (inputs unmodified) and check it returns (W, b, mean_loss)."""
    return call_returning_tuple(epoch_fn, *args, fields=FIELDS, name=name)


def check_epoch(got, want, dtype, what: str, *, name: str) -> None:
    """``got = (W, b, mean_loss)`` matches the reference ``want`` and keeps ``dtype``.

    float64: the same arithmetic in another order (1e-7 is generous); float32: the default 1e-4,
    and for mean_loss an absolute 1e-5 as well: a float32 loss is a log of sums of terms of order
    1, rounded to ~1e-7 each, which is large relative to a loss near 0 (a confident, correct
    model: loss 1e-5, say).
    """
    W, b, mean_loss = got
    check_dtype_kept({"the new W": W, "the new b": b}, dtype, name=name)
    check_close(W, want[0], name=name, output=f"the new W {what}", hint=ORDER_HINT)
    check_close(b, want[1], name=name, output=f"the new b {what}", hint=ORDER_HINT)
    check_scalar(mean_loss, want[2], name=name, output=f"mean_loss {what}",
                 rtol=1e-7 if dtype == np.float64 else 1e-4,
                 atol=0.0 if dtype == np.float64 else 1e-5, hint=LOSS_HINT)


def check_sgd_epoch(epoch_fn: Callable, W, b, X, y, learning_rate, batch_size, seed: int, *,
                    name: str) -> None:
    """One case in float64 and in float32, each from a fresh ``default_rng(seed)``, against the
    reference over ``default_rng(seed).permutation(N)``."""
    want = reference_epoch(W, b, X, y, learning_rate, batch_size,
                           np.random.default_rng(seed).permutation(len(X)))
    what = f"(N={len(X)}, batch_size={batch_size}, learning_rate={learning_rate:.3g})"
    got = run_epoch(epoch_fn, W, b, X, y, learning_rate, batch_size, np.random.default_rng(seed),
                    name=name)
    check_epoch(got, want, np.float64, what, name=name)
    W32, b32, X32 = (np.asarray(v).astype(np.float32) for v in (W, b, X))
    got32 = run_epoch(epoch_fn, W32, b32, X32, y, learning_rate, batch_size,
                      np.random.default_rng(seed), name=name)
    check_epoch(got32, want, np.float32, what + " with float32 inputs", name=name)
