"""The minibatch training loop the notebooks share (the one you write by hand in 02).

Everything is a plain function of NumPy arrays, as in the graded API:
- ``loss_fn(params, X, y) -> (loss, grads)`` with ``grads`` keyed like ``params``;
- ``predict_fn(params, X) -> logits`` of shape (N, C);
- ``update(w, dw, config) -> (next_w, config)``, an optimizer rule. Each parameter keeps
  its own ``config`` (optimizer state is never shared between parameters).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .batches import minibatches, num_batches
from .data import Dataset
from .progress import ProgressBar

Params = dict[str, np.ndarray]


@dataclass
class History:
    """Per-epoch training record (one entry per epoch in every list)."""

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    learning_rate: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    @property
    def epochs(self) -> list[int]:
        return list(range(1, len(self.train_loss) + 1))


def fit(params: Params, loss_fn: Callable, predict_fn: Callable, update: Callable,
        data: Dataset, *, epochs: int, batch_size: int, update_config: dict | None = None,
        lr_schedule: Callable[[int], float] | None = None, seed: int = 0,
        desc: str = "", verbose: bool = True) -> tuple[Params, History]:
    """Train ``params`` on ``data.X_train`` and return ``(trained_params, history)``.

    ``update_config`` is copied once per parameter. ``lr_schedule(epoch)`` (epochs count
    from 0), when given, sets each parameter's ``config["learning_rate"]`` before the epoch.
    The input ``params`` dict is not modified.
    """
    rng = np.random.default_rng(seed)
    params = dict(params)
    configs = {name: copy.deepcopy(update_config) if update_config is not None else None
               for name in params}
    history = History()
    steps = num_batches(len(data.X_train), batch_size)
    for epoch in range(epochs):
        if lr_schedule is not None:
            rate = float(lr_schedule(epoch))
            for name in configs:
                configs[name] = {**(configs[name] or {}), "learning_rate": rate}
        start = time.perf_counter()
        losses = []
        bar = ProgressBar(minibatches(data.X_train, data.y_train, batch_size, rng), total=steps,
                          desc=f"{desc} epoch {epoch + 1}/{epochs}".strip(),
                          file=None if verbose else _Silent())
        for X_batch, y_batch in bar:
            loss, grads = loss_fn(params, X_batch, y_batch)
            for name in params:
                params[name], configs[name] = update(params[name], grads[name], configs[name])
            losses.append(float(loss))
            if len(losses) % 20 == 0:
                bar.set(loss=float(np.mean(losses[-20:])))
        history.seconds.append(time.perf_counter() - start)
        history.train_loss.append(float(np.mean(losses)))
        history.val_loss.append(float(loss_fn(params, data.X_val, data.y_val)[0]))
        history.val_accuracy.append(evaluate_accuracy(predict_fn, params, data.X_val, data.y_val))
        history.learning_rate.append(_current_rate(configs))
        if verbose:
            print(f"    train loss {history.train_loss[-1]:.4f}   val loss "
                  f"{history.val_loss[-1]:.4f}   val accuracy {history.val_accuracy[-1]:.2%}")
    return params, history


def evaluate_accuracy(predict_fn: Callable, params: Params, X: np.ndarray, y: np.ndarray,
                      batch_size: int = 4096) -> float:
    """Fraction of rows of X (N, D) whose highest logit is the label y (N,)."""
    correct = 0
    for start in range(0, len(X), batch_size):
        logits = predict_fn(params, X[start:start + batch_size])
        correct += int(np.sum(np.argmax(logits, axis=1) == y[start:start + batch_size]))
    return correct / len(X)


def _current_rate(configs: dict) -> float:
    for config in configs.values():
        if config and "learning_rate" in config:
            return float(config["learning_rate"])
    return float("nan")


class _Silent:
    def write(self, text: str) -> None:
        pass

    def flush(self) -> None:
        pass
