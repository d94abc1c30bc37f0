"""Minibatch iteration."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


def minibatches(X: np.ndarray, y: np.ndarray, batch_size: int,
                rng: np.random.Generator | None = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield ``(X_batch, y_batch)`` pairs covering every row once.

    X: (N, D), y: (N,). Rows are shuffled with ``rng`` (kept in order when ``rng`` is None);
    the last batch may be smaller than ``batch_size``.
    """
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)} labels")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    order = rng.permutation(len(X)) if rng is not None else np.arange(len(X))
    for start in range(0, len(X), batch_size):
        rows = order[start:start + batch_size]
        yield X[rows], y[rows]


def num_batches(n: int, batch_size: int) -> int:
    """How many minibatches ``minibatches`` yields for ``n`` rows."""
    return -(-n // batch_size)
