"""The training loop of ``coursekit.fit`` for networks with state and randomness.

Batch normalization keeps running statistics that are not parameters (no gradient, no
optimizer), and dropout draws a random mask in every training step. ``fit`` has no room for
either, so this loop passes both through, with the same plain-function interface:

- ``loss_fn(params, state, X, y, rng) -> (loss, grads, new_state)``: one training step in
  *training mode* (batch statistics, dropout on); ``grads`` keyed like ``params``;
  ``rng`` is the loop's ``np.random.Generator`` (it also shuffles the batches);
- ``predict_fn(params, state, X) -> logits`` of shape (N, C), in *evaluation mode*
  (running statistics, no dropout). Validation loss and accuracy come from it, so
  evaluating never changes the state;
- ``update(w, dw, config) -> (next_w, config)``, an optimizer rule, one config per parameter.

``eval_train=True`` also measures the loss and accuracy on the whole training set in
evaluation mode after every epoch (the numbers to compare with the validation set when
studying overfitting; the mean minibatch loss of an epoch is measured with dropout on).
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
from .training import History, _current_rate, _Silent

__all__ = ["StatefulHistory", "fit_stateful", "mean_cross_entropy"]

Params = dict[str, np.ndarray]


@dataclass
class StatefulHistory(History):
    """``History`` plus the training set measured in evaluation mode (when asked for)."""

    train_eval_loss: list[float] = field(default_factory=list)
    train_eval_accuracy: list[float] = field(default_factory=list)
    diverged: bool = False


def fit_stateful(params: Params, state: dict | None, loss_fn: Callable, predict_fn: Callable,
                 update: Callable, data: Dataset, *, epochs: int, batch_size: int,
                 update_config: dict | None = None,
                 lr_schedule: Callable[[int], float] | None = None, seed: int = 0,
                 eval_train: bool = False, desc: str = "",
                 verbose: bool = True) -> tuple[Params, dict | None, StatefulHistory]:
    """Train on ``data.X_train``; returns ``(trained_params, final_state, history)``.

    ``update_config`` is copied once per parameter; ``lr_schedule(epoch)`` (epochs count
    from 0) sets every parameter's ``config["learning_rate"]`` before the epoch. Neither
    ``params`` nor ``state`` is modified. A loss that stops being finite ends training
    (the history then has fewer epochs than asked for, and ``history.diverged`` is True).
    """
    if epochs < 1 or batch_size < 1:
        raise ValueError(f"epochs and batch_size must be at least 1, got {epochs} and {batch_size}")
    rng = np.random.default_rng(seed)
    params = dict(params)
    configs = {name: copy.deepcopy(update_config) if update_config is not None else None
               for name in params}
    history = StatefulHistory()
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
            loss, grads, state = loss_fn(params, state, X_batch, y_batch, rng)
            if not np.isfinite(loss):
                history.diverged = True
                break
            for name in params:
                params[name], configs[name] = update(params[name], grads[name], configs[name])
            losses.append(float(loss))
            if len(losses) % 20 == 0:
                bar.set(loss=float(np.mean(losses[-20:])))
        if history.diverged:
            break
        history.seconds.append(time.perf_counter() - start)
        history.train_loss.append(float(np.mean(losses)))
        val_loss, val_accuracy = _evaluate(predict_fn, params, state, data.X_val, data.y_val)
        history.val_loss.append(val_loss)
        history.val_accuracy.append(val_accuracy)
        if eval_train:
            train_loss, train_accuracy = _evaluate(predict_fn, params, state, data.X_train,
                                                   data.y_train)
            history.train_eval_loss.append(train_loss)
            history.train_eval_accuracy.append(train_accuracy)
        history.learning_rate.append(_current_rate(configs))
        if verbose:
            print(f"    train loss {history.train_loss[-1]:.4f}   val loss "
                  f"{history.val_loss[-1]:.4f}   val accuracy {history.val_accuracy[-1]:.2%}")
    return params, state, history


def mean_cross_entropy(logits: np.ndarray, y: np.ndarray) -> float:
    """Mean softmax cross-entropy of logits (N, C) for labels y (N,), computed stably."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(shifted).sum(axis=1))
    return float(np.mean(log_norm - shifted[np.arange(len(y)), y]))


def _evaluate(predict_fn: Callable, params: Params, state, X: np.ndarray, y: np.ndarray,
              batch_size: int = 5000) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) of the network in evaluation mode, in chunks."""
    total_loss, correct = 0.0, 0
    for start in range(0, len(X), batch_size):
        logits = predict_fn(params, state, X[start:start + batch_size])
        labels = y[start:start + batch_size]
        total_loss += mean_cross_entropy(logits, labels) * len(labels)
        correct += int(np.sum(np.argmax(logits, axis=1) == labels))
    return total_loss / len(X), correct / len(X)
