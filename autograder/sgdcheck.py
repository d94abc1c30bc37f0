"""Harness for tests of one epoch of minibatch SGD for softmax regression,
``epoch_fn(W, b, X, y, learning_rate, batch_size, rng) -> (W, b, mean_loss)``.

The reference runs the same epoch in float64 with gradients from PyTorch autograd, visiting
the rows in the order ``rng.permutation(N)`` drawn from a generator in the same state.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .checks import check_close, check_scalar
from .contracts import (call_returning_tuple, check_close_explained, check_dtype_kept,
                        check_scalar_explained, first_match)

__all__ = ["check_epoch", "check_sgd_epoch", "epoch_hint", "reference_epoch", "run_epoch"]

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


def check_epoch(got, want, dtype, what: str, *, name: str,
                explain: Callable[[], str | None] | None = None) -> None:
    """``got = (W, b, mean_loss)`` matches the reference ``want`` and keeps ``dtype``.

    float64: the same arithmetic in another order (1e-7 is generous); float32: the default 1e-4,
    and for mean_loss an absolute 1e-5 as well: a float32 loss is a log of sums of terms of order
    1, rounded to ~1e-7 each, which is large relative to a loss near 0 (a confident, correct
    model: loss 1e-5, say).
    """
    W, b, mean_loss = got
    explain = explain or (lambda: None)
    check_dtype_kept({"the new W": W, "the new b": b}, dtype, name=name)
    check_close_explained(W, want[0], name=name, output=f"the new W {what}", hint=ORDER_HINT,
                          explain=explain, dtype=dtype)
    check_close_explained(b, want[1], name=name, output=f"the new b {what}", hint=ORDER_HINT,
                          explain=explain, dtype=dtype)
    check_scalar_explained(mean_loss, want[2], name=name, output=f"mean_loss {what}",
                           rtol=1e-7 if dtype == np.float64 else 1e-4,
                           atol=0.0 if dtype == np.float64 else 1e-5, hint=LOSS_HINT,
                           explain=explain)


def check_sgd_epoch(epoch_fn: Callable, W, b, X, y, learning_rate, batch_size, seed: int, *,
                    name: str) -> None:
    """One case in float64 and in float32, each from a fresh ``default_rng(seed)``, against the
    reference over ``default_rng(seed).permutation(N)``."""
    want = reference_epoch(W, b, X, y, learning_rate, batch_size,
                           np.random.default_rng(seed).permutation(len(X)))
    what = f"(N={len(X)}, batch_size={batch_size}, learning_rate={learning_rate:.3g})"
    got = run_epoch(epoch_fn, W, b, X, y, learning_rate, batch_size, np.random.default_rng(seed),
                    name=name)
    check_epoch(got, want, np.float64, what, name=name,
                explain=lambda: epoch_hint(got, W, b, X, y, learning_rate, batch_size, seed))
    W32, b32, X32 = (np.asarray(v).astype(np.float32) for v in (W, b, X))
    got32 = run_epoch(epoch_fn, W32, b32, X32, y, learning_rate, batch_size,
                      np.random.default_rng(seed), name=name)
    check_epoch(got32, want, np.float32, what + " with float32 inputs", name=name,
                explain=lambda: epoch_hint(got32, W, b, X, y, learning_rate, batch_size, seed, rtol=1e-4))


# ------------------------------------------------------------------- what a wrong epoch fits

def _epoch(W, b, X, y, learning_rate, batches, *, stale: bool = False):
    """(W, b, batch losses) after one step per batch of row indices, in float64 (PyTorch's
    gradients); with ``stale`` every gradient is taken at the starting weights."""
    import torch
    import torch.nn.functional as F

    W0 = torch.tensor(np.array(W, dtype=np.float64), requires_grad=True)
    b0 = torch.tensor(np.array(b, dtype=np.float64), requires_grad=True)
    Wt, bt = W0.detach().clone().requires_grad_(), b0.detach().clone().requires_grad_()
    Xt = torch.from_numpy(np.array(X, dtype=np.float64))
    yt = torch.from_numpy(np.array(y, dtype=np.int64))
    losses = []
    for rows in batches:
        rows = torch.from_numpy(np.asarray(rows, dtype=np.int64))
        at_W, at_b = (W0, b0) if stale else (Wt, bt)
        loss = F.cross_entropy(Xt[rows] @ at_W + at_b, yt[rows])
        dW, db = torch.autograd.grad(loss, (at_W, at_b))
        with torch.no_grad():
            Wt -= learning_rate * dW
            bt -= learning_rate * db
        losses.append(loss.item())
    return Wt.detach().numpy(), bt.detach().numpy(), losses


def epoch_hint(got, W, b, X, y, learning_rate, batch_size, seed, *, rtol: float = 1e-6) -> str | None:
    """What a wrong epoch result ``got = (W, b, mean_loss)`` is consistent with, for the epoch
    whose generator was ``default_rng(seed)``: a fixed order, a step up the gradient, the last
    small batch dropped, rows drawn with replacement, stale weights, or a wrong mean_loss."""
    N, B = len(X), int(batch_size)
    order = np.random.default_rng(seed).permutation(N)
    batches = [order[start:start + B] for start in range(0, N, B)]
    right = _epoch(W, b, X, y, learning_rate, batches)
    draws = np.random.default_rng(seed)
    replaced = [draws.integers(0, N, size=len(rows)) for rows in batches]
    choices = np.random.default_rng(seed)
    chosen = [choices.choice(N, size=len(rows)) for rows in batches]
    full = [rows for rows in batches if len(rows) == B] or batches
    runs = [
        ("consistent with the rows visited in their stored order: draw the order once with "
         "rng.permutation(N), at the start of the epoch",
         _epoch(W, b, X, y, learning_rate, [np.arange(N)[start:start + B] for start in range(0, N, B)])),
        ("consistent with steps up the gradient (W + learning_rate * dW): each step goes against the gradient",
         _epoch(W, b, X, y, -learning_rate, batches)),
        ("consistent with the last, smaller batch skipped: when batch_size does not divide N, "
         "the last batch holds the remaining rows", _epoch(W, b, X, y, learning_rate, full)
         if len(full) < len(batches) else None),
        ("consistent with rows drawn at random with replacement for each batch (some twice, "
         "some never): one permutation visits every row exactly once",
         _epoch(W, b, X, y, learning_rate, replaced)),
        ("consistent with rows drawn at random with replacement for each batch (some twice, "
         "some never): one permutation visits every row exactly once",
         _epoch(W, b, X, y, learning_rate, chosen)),
        ("consistent with every batch's gradient taken at the starting weights: take each "
         "batch's gradient at the weights after the previous update",
         _epoch(W, b, X, y, learning_rate, batches, stale=True) if len(batches) > 1 else None),
    ]
    got_W, got_b, got_loss = got
    for hint, run in runs:
        if run is None:
            continue
        differs = [not _same(run[k], right[k]) for k in (0, 1)]
        if any(differs) and all(_fits(g, run[k], right[k], rtol) if differs[k] else _same(g, run[k], rtol)
                                for k, g in ((0, got_W), (1, got_b))):
            return hint
    losses = right[2]
    return first_match(got_loss, [
        ("consistent with the sum of the batch losses: mean_loss is their mean", sum(losses)),
        ("consistent with the last batch's loss alone: mean_loss is the mean over all batches",
         losses[-1]),
        ("consistent with the sum of the batch losses divided by N / batch_size: the number of "
         "batches is ceil(N / batch_size), the last one possibly smaller", sum(losses) / N * B),
    ] if len(losses) > 1 else [], float(np.mean(losses)), rtol=max(rtol, 1e-9))


def _fits(got, candidate, right, rtol: float) -> bool:
    return first_match(got, [("", candidate)], right, rtol=rtol) == ""


def _same(a, b, rtol: float = 1e-12) -> bool:
    try:
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    scale = max(float(np.max(np.abs(b), initial=0.0)), 1.0)
    return a.shape == b.shape and bool(np.all(np.abs(a - b) <= rtol * scale))
