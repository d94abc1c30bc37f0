"""Harness for tests of a fused softmax cross-entropy, ``loss_fn(logits, y) -> (loss, dlogits)``.

The loss is the mean over the batch, returned as one number; ``dlogits`` has the shape and
dtype of ``logits``. References: PyTorch's ``F.cross_entropy`` with autograd (float64), and
centered differences of the student's own loss.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .checks import CheckFailure, call, check_close, check_gradient, check_scalar, check_shape
from .contracts import (call_returning_tuple, check_close_explained, check_dtype_kept,
                        check_returns_tuple, check_scalar_explained, first_match, with_hint)

__all__ = ["check_softmax_cross_entropy", "check_stable", "dlogits_hint", "loss_hint",
           "torch_reference"]

FIELDS = ("loss", "dlogits")
LOSS_HINT = "the loss is the mean of the N per-example losses (np.mean, not np.sum)"
MEAN_HINT = ("the loss is a mean over the batch: ask how much one example's score moves that "
             "mean, and compare your factor with a centered difference")
STABLE_HINT = ("subtract each row's maximum before exponentiating, and take the loss from "
               "log-probabilities (log-sum-exp), not from log(probabilities)")
DUPLICATE_HINT = ("a duplicated batch must give the same mean loss and the same gradients: "
                  "average over the batch (loss and gradient), do not sum")


def torch_reference(logits, y) -> tuple[float, np.ndarray]:
    """Mean cross-entropy and its gradient with respect to the logits, float64, from PyTorch."""
    import torch
    import torch.nn.functional as F

    z = torch.tensor(np.array(logits, dtype=np.float64), requires_grad=True)
    loss = F.cross_entropy(z, torch.from_numpy(np.array(y, dtype=np.int64)))
    loss.backward()
    return loss.item(), z.grad.numpy()


def loss_and_grad(loss_fn: Callable, logits, y, *, name: str, forbid_warnings: bool = True):
    """Call ``loss_fn`` (inputs unmodified, no warnings) and check it returns (loss, dlogits)
    with dlogits shaped like logits. A warning is explained by what the loss then comes out as
    (the function is called once more, warnings allowed)."""
    try:
        loss, dlogits = call_returning_tuple(loss_fn, logits, y, fields=FIELDS, name=name,
                                             forbid_warnings=forbid_warnings)
    except CheckFailure as error:
        if "emitted" not in str(error):
            raise
        try:
            again = check_returns_tuple(call(loss_fn, logits, y, name=name), FIELDS, name=name)
            hint = _warning_hint(logits, y, again[0])
        except CheckFailure:
            hint = None
        raise with_hint(error, hint) from None
    check_shape(dlogits, np.shape(logits), name=name, output="dlogits", batch_size=len(logits))
    return loss, dlogits


def check_softmax_cross_entropy(loss_fn: Callable, logits, y, *, name: str) -> None:
    """One case of moderate logits (|logits| <~ 15), every check: PyTorch's loss and gradient,
    centered differences of the student's own loss, a duplicated batch, float32 in and out.

    Exact zeros are compared with an absolute slack for rounding: float64 rounding of such
    inputs is ~1e-14 (atol 1e-12), float32 ~1e-6 (atol 1e-5); every mistake is off by 1e-2 or more.
    """
    N = len(logits)
    loss, dlogits = loss_and_grad(loss_fn, logits, y, name=name)
    want_loss, want_grad = torch_reference(logits, y)
    check_scalar_explained(loss, want_loss, name=name, atol=1e-12, hint=LOSS_HINT,
                           explain=lambda: loss_hint(logits, y, loss))
    check_dtype_kept({"dlogits": dlogits}, np.float64, name=name)
    check_close_explained(dlogits, want_grad, name=name, output="dlogits", batch_size=N, atol=1e-12,
                          explain=lambda: dlogits_hint(logits, y, dlogits, want_grad))
    check_gradient(lambda z: float(call(loss_fn, z, y, name=name)[0]), logits, dlogits,
                   name=name, output="dlogits", batch_size=N,
                   hint=dlogits_hint(logits, y, dlogits, want_grad))

    # Duplicating the batch changes neither the mean loss nor the gradient of the whole model
    # with respect to W, for scores = x @ W + b (that gradient is sum_i x_i^T dlogits_i).
    x = np.random.default_rng(N).normal(size=(N, 3))
    loss2, dlogits2 = loss_and_grad(loss_fn, np.concatenate([logits, logits]),
                                    np.concatenate([y, y]), name=name)
    check_scalar(loss2, want_loss, name=name, output="the loss of a duplicated batch", atol=1e-12,
                 hint=DUPLICATE_HINT)
    check_close(np.einsum("nd,nc->dc", np.concatenate([x, x]), np.asarray(dlogits2)),
                np.einsum("nd,nc->dc", x, want_grad), name=name, atol=1e-12,
                output="the gradient of W (scores = x @ W + b) for a duplicated batch",
                hint=DUPLICATE_HINT)

    # float32 in, float32 out. Tolerance 1e-4: float32 rounding (eps 6e-8) through exp, log and
    # a sum over at most 10 classes stays far below it.
    loss32, dlogits32 = loss_and_grad(loss_fn, np.asarray(logits).astype(np.float32), y, name=name)
    check_dtype_kept({"dlogits": dlogits32}, np.float32, name=name)
    check_scalar(loss32, want_loss, name=name, output="the loss (float32 logits)", rtol=1e-4,
                 atol=1e-5, hint=LOSS_HINT)
    check_close(dlogits32, want_grad, name=name, output="dlogits (float32 logits)", batch_size=N,
                atol=1e-5, hint=dlogits_hint(logits, y, dlogits32, want_grad, rtol=1e-4),
                dtype=np.float32)


def check_stable(loss_fn: Callable, logits, y, *, name: str) -> None:
    """Huge logits (+-1000) in float64 and float32: no warning, finite results equal to PyTorch's.
    The scores are exact in both dtypes; the loss (hundreds) is good to float32 precision."""
    want_loss, want_grad = torch_reference(logits, y)
    for dtype in (np.float64, np.float32):
        loss, dlogits = loss_and_grad(loss_fn, np.asarray(logits).astype(dtype), y, name=name)
        what = f"for logits of +-1000 ({np.dtype(dtype).name})"
        check_scalar(loss, want_loss, name=name, output=f"the loss {what}",
                     rtol=1e-7 if dtype == np.float64 else 1e-4, hint=STABLE_HINT)
        check_dtype_kept({"dlogits": dlogits}, dtype, name=name)
        check_close(dlogits, want_grad, name=name, output=f"dlogits {what}", batch_size=len(logits),
                    hint=STABLE_HINT, dtype=dtype)


# ------------------------------------------------------------------- what a wrong result fits

def _log_softmax(logits, shift) -> np.ndarray:
    shifted = np.asarray(logits, dtype=np.float64) - shift
    with np.errstate(all="ignore"):
        return shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))


def _mean_picked(log_p: np.ndarray, y) -> float:
    with np.errstate(all="ignore"):
        return float(-np.mean(log_p[np.arange(len(log_p)), np.asarray(y)]))


def _warning_hint(logits, y, loss) -> str | None:
    """What a loss computed with a warning is consistent with."""
    logits = np.asarray(logits, dtype=np.float64)
    row_max = np.max(logits, axis=1, keepdims=True)
    with np.errstate(all="ignore"):
        e = np.exp(logits - row_max)
        log_of_p = np.log(e / np.sum(e, axis=1, keepdims=True))
    return first_match(loss, [
        ("consistent with one maximum of the whole batch: a row whose scores all lie far below it "
         "underflows (its sum of exponentials is 0). Subtract each row's own maximum",
         _mean_picked(_log_softmax(logits, np.max(logits)), y)),
        ("consistent with the log of a probability that underflowed to 0: take the loss from "
         "log-probabilities (log-sum-exp), not from log(probabilities)", _mean_picked(log_of_p, y)),
        ("consistent with a maximum over axis 0 (each column's): each row needs its own maximum",
         _mean_picked(_log_softmax(logits, np.max(logits, axis=0, keepdims=True)), y)),
    ], _mean_picked(_log_softmax(logits, row_max), y))


def loss_hint(logits, y, loss) -> str | None:
    """What a wrong mean cross-entropy loss (a number) is consistent with."""
    logits = np.asarray(logits, dtype=np.float64)
    N = len(logits)
    expected = _mean_picked(_log_softmax(logits, np.max(logits, axis=1, keepdims=True)), y)
    return first_match(loss, [
        (f"your loss is N = {N} times the expected one: consistent with a sum over the batch "
         "where the loss is the mean", N * expected),
        ("consistent with a maximum over axis 0 (each column's): each row needs its own maximum",
         _mean_picked(_log_softmax(logits, np.max(logits, axis=0, keepdims=True)), y)),
    ] if N > 1 else [], expected, rtol=1e-6)


def dlogits_hint(logits, y, dlogits, expected, *, rtol: float = 1e-6) -> str | None:
    """What a wrong dlogits is consistent with, given the right one (``expected``)."""
    logits = np.asarray(logits, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    N = len(logits)
    # the right formula applied to scores shifted by each column's maximum
    by_column = torch_reference(logits - np.max(logits, axis=0, keepdims=True), y)[1]
    return first_match(dlogits, [
        ("consistent with subtracting the maximum over axis 0 (each column's): each row needs "
         "its own maximum (softmax is unchanged by one constant per row, not per column)", by_column),
        (MEAN_HINT, N * expected if N > 1 else None),
    ], expected, rtol=rtol)
