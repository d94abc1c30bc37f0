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

from .checks import call, check_close, check_gradients
from .contracts import call_returning_tuple, check_dtype_kept, check_repeatable, check_shapes

__all__ = ["check_against_own_forward", "check_linear_backward", "torch_reference"]

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
    check_shapes(dict(zip(FIELDS, grads)), {"dx": np.shape(x), "dW": np.shape(W), "db": np.shape(b)},
                 name=name, batch_size=len(x))
    return cache, grads


def check_against_own_forward(backward: Callable, forward: Callable, x, W, b, dout, *,
                              name: str) -> None:
    """The gradients have the shapes of x, W and b and agree with centered differences of the
    student's own ``forward`` (float64, h = 1e-5, relative error <= 1e-6)."""
    _, (dx, dW, db) = _gradients(backward, forward, x, W, b, dout, name)

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
    for field, got, want in zip(FIELDS, grads, reference):
        check_close(got, want, name=name, output=f"{field} for x {np.shape(x)}, W {np.shape(W)}",
                    batch_size=N)
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
                    atol=1e-6 * float(np.max(terms, initial=0.0)))
