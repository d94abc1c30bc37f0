"""Harness for tests of a linear layer's backward pass (``linear_backward`` and its loop form).

A backward function ``backward(dout, cache) -> (dx, dW, db)`` is checked against the
student's own forward ``forward(x, W, b) -> (out, cache)``: the cache is whatever that forward
returned and is only handed back, never opened. The references are PyTorch autograd and
centered differences of the scalar ``f = sum(out * dout)``, whose gradients with respect to
``x``, ``W`` and ``b`` are exactly what the backward pass returns.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .checks import call, check_close, check_gradients, check_shape, fail
from .contracts import (call_explained, call_returning_tuple, check_close_explained, check_dtype_kept,
                        check_repeatable, check_returns_tuple, check_shapes, first_match)

__all__ = ["call_forward", "check_against_own_forward", "check_forward_out", "check_gradient_shapes",
           "check_linear_backward",
           "explain_backward", "torch_reference"]

FIELDS = ("dx", "dW", "db")


def torch_reference(x, W, b, dout) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dx, dW, db) from PyTorch autograd: the gradients of ``sum((x @ W + b) * dout)``, float64.

    (The same vector-Jacobian products as ``out.backward(dout)``, which would import sympy on
    first use: seconds.)
    """
    import torch

    xt, Wt, bt = (torch.tensor(np.array(v, dtype=np.float64), requires_grad=True) for v in (x, W, b))
    torch.sum((xt @ Wt + bt) * torch.from_numpy(np.array(dout, dtype=np.float64))).backward()
    return xt.grad.numpy(), Wt.grad.numpy(), bt.grad.numpy()


def _gradients(backward: Callable, forward: Callable, x, W, b, dout, name: str):
    _, cache = call_returning_tuple(forward, x, W, b, fields=("out", "cache"))
    grads = call_returning_tuple(backward, dout, cache, fields=FIELDS, name=name)
    check_gradient_shapes(grads, x, W, b, name=name)
    return cache, grads


def check_gradient_shapes(grads, x, W, b, *, name: str) -> None:
    """(dx, dW, db) have the shapes of x, W and b; a db with one entry per example is named."""
    N, M = np.shape(x)[0], np.shape(W)[1]
    db = grads[2]
    if isinstance(db, np.ndarray) and db.shape == (N,) and N != M:
        fail(f"{name}: db has shape ({N},), one entry per example, expected ({M},).\n  hint: "
             "consistent with a sum over the wrong axis (across each example's outputs): db needs "
             "one entry per output, like b")
    check_shapes(dict(zip(FIELDS, grads)), {"dx": np.shape(x), "dW": np.shape(W), "db": np.shape(b)},
                 name=name, batch_size=N)


def explain_backward(grads, x, W, b, dout, *, name: str, reference=None) -> None:
    """Fail, naming the mistake, if one of (dx, dW, db) equals what a known mistake gives:
    a transposed dW, W without its transpose in dx, db from one example or over the wrong
    axis, the last example skipped. Silent otherwise (the other checks then report)."""
    x, W, dout = (np.asarray(v, dtype=np.float64) for v in (x, W, dout))
    dx, dW, db = reference if reference is not None else torch_reference(x, W, b, dout)
    N, M = dout.shape
    skipped = (torch_reference(x[:-1], W, b, dout[:-1]) if N > 1
               else (np.zeros_like(dx), np.zeros_like(dW), np.zeros_like(db)))
    skipped_dx = np.concatenate([skipped[0], np.zeros_like(dx[-1:])]) if N > 1 else skipped[0]
    skip = "consistent with the last example skipped: the loop must visit all N examples"
    square = W.shape[0] == W.shape[1]
    candidates = {
        "dx": [("consistent with W without its transpose (for a square W the shapes fit either "
                "way): in the forward pass, which index of W goes with the index k of x[i, k]?",
                dout @ W if square else None),
               (skip, skipped_dx)],
        "dW": [("consistent with the transpose of dW (for a square W the shapes fit either way): "
                "entry [k][j] is the derivative with respect to W[k][j]", dW.T if square else None),
               (skip, skipped[1])],
        "db": [("consistent with the first example's row only: b is added to every row, so every "
                "example contributes", dout[0]),
               ("consistent with the last example only: db was overwritten in each iteration "
                "instead of accumulated", dout[-1]),
               (skip, skipped[2]),
               ("consistent with a sum over the wrong axis (across each example's outputs): db "
                "needs one entry per output, like b", dout.sum(axis=1) if N == M else None)],
    }
    for field, got, want in zip(FIELDS, grads, (dx, dW, db)):
        hint = first_match(got, candidates[field], want)
        if hint:
            check_close(got, want, name=name, output=f"{field} for x {x.shape}, W {W.shape}",
                        batch_size=N, hint=hint)


def check_against_own_forward(backward: Callable, forward: Callable, x, W, b, dout, *,
                              name: str) -> None:
    """The gradients have the shapes of x, W and b and agree with centered differences of the
    student's own ``forward`` (float64, h = 1e-5, relative error <= 1e-6)."""
    _, (dx, dW, db) = _gradients(backward, forward, x, W, b, dout, name)
    explain_backward((dx, dW, db), x, W, b, dout, name=name)

    def f(x, W, b):
        return float(np.sum(np.asarray(call(forward, x, W, b)[0]) * dout))

    check_gradients(f, {"x": x, "W": W, "b": b}, {"x": dx, "W": dW, "b": db}, name=name,
                    batch_size=len(x))


def check_linear_backward(backward: Callable, forward: Callable, x, W, b, dout, *,
                          name: str) -> None:
    """One case, every check: shapes, PyTorch's gradients, centered differences of the
    student's forward, a second call with the same cache, and float32 in, float32 out."""
    N = len(x)
    cache, grads = _gradients(backward, forward, x, W, b, dout, name)
    reference = torch_reference(x, W, b, dout)
    explain_backward(grads, x, W, b, dout, name=name, reference=reference)
    for field, got, want in zip(FIELDS, grads, reference):
        check_close(got, want, name=name, output=f"{field} for x {np.shape(x)}, W {np.shape(W)}",
                    batch_size=N, product=field != "db")
    check_against_own_forward(backward, forward, x, W, b, dout, name=name)

    # The cache is only read: a second call with the same cache gives the same gradients.
    again = call_returning_tuple(backward, dout, cache, fields=FIELDS, name=name)
    check_repeatable(grads, again, FIELDS, name=name, what="a second call with the same cache",
                     hint="the backward pass must not change dout or the cache")

    # float32 in, float32 out. Each entry is a sum of products of float32-rounded inputs, off
    # by at most a few float32 epsilons (6e-8) times the sum of its terms' absolute values;
    # that is large relative to an entry that cancels to near 0 (a db summed over the batch,
    # say). Hence rtol 1e-4 plus atol 1e-6 times that sum, which is the same gradient computed
    # from the absolute values of every input.
    x32, W32, b32, dout32 = (np.asarray(v).astype(np.float32) for v in (x, W, b, dout))
    _, cache32 = call_returning_tuple(forward, x32, W32, b32, fields=("out", "cache"))
    grads32 = call_returning_tuple(backward, dout32, cache32, fields=FIELDS, name=name)
    check_dtype_kept(dict(zip(FIELDS, grads32)), np.float32, name=name)
    term_sums = torch_reference(*(np.abs(np.asarray(v, dtype=np.float64)) for v in (x, W, b, dout)))
    for field, got, want, terms in zip(FIELDS, grads32, reference, term_sums):
        check_close(got, want, name=name, output=f"{field} (float32 inputs)", batch_size=N,
                    atol=1e-6 * float(np.max(terms, initial=0.0)), dtype=np.float32)


# ---------------------------------------------------------------------------- the forward pass

def call_forward(forward: Callable, x, W, b, *, name: str) -> tuple:
    """``forward(x, W, b) -> (out, cache)``, called through ``checks.call``; an error inside (a
    product whose shapes do not fit) says what it is consistent with."""
    N, D = np.shape(x)
    M = np.shape(W)[1]

    def explain(message: str) -> str | None:
        if "raised ValueError" not in message:
            return None
        return (f"x is ({N}, {D}) and W is ({D}, {M}): a product that fails on these shapes is "
                "consistent with W transposed, or with the operands in the wrong order. Which axis "
                "of W has as many entries as a row of x?")

    result = call_explained(forward, x, W, b, name=name, explain=explain)
    return check_returns_tuple(result, ("out", "cache"), name=name)


def check_forward_out(out, expected, x, W, b, *, name: str, output: str = "out", **kwargs) -> None:
    """``out`` of a linear layer equals ``expected`` (x @ W + b); a failure names the mistake it
    fits: no bias, W transposed, the bias added along the batch axis."""
    x, W, b = (np.asarray(v, dtype=np.float64) for v in (x, W, b))
    N, M = np.shape(x)[0], np.shape(W)[1]
    got_shape = np.shape(np.asarray(out)) if isinstance(out, np.ndarray) else None
    column = "consistent with the bias added along the batch axis (b as a column, one entry per " \
             "row): b has one entry per output, added to every row"
    try:
        check_shape(out, (N, M), name=name, output=output)
    except AssertionError as error:
        if got_shape is not None and got_shape == _column_broadcast(N, M):
            fail(f"{error}\n  hint: {column}")
        raise

    def explain() -> str | None:
        square = W.shape[0] == W.shape[1]
        return first_match(out, [
            ("consistent with x @ W without the bias: b is added to every row", x @ W),
            ("consistent with W transposed (for a square W the shapes fit either way): out[i, j] "
             "sums x[i, k] W[k, j] over k", x @ W.T + b if square else None),
            (column, x @ W + b[:, None] if N == M else None),
        ], expected, rtol=1e-4)

    check_close_explained(out, expected, name=name, output=output, explain=explain, **kwargs)


def _column_broadcast(N: int, M: int) -> tuple | None:
    """The shape of an (N, M) array plus an (M, 1) column, or None where they do not broadcast."""
    try:
        return tuple(np.broadcast_shapes((N, M), (M, 1)))
    except ValueError:
        return None
