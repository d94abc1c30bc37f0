"""Bug catalog for 02_single_layer: realistic mistakes the hidden tests must catch, and valid
alternative implementations that must keep full marks."""

import numpy as np

from .registry import alternative, bug

ASSIGNMENT = "02_single_layer"


# Correct building blocks for the sgd_epoch entries (a student's sgd_epoch calls their own).

def _forward(x, W, b):
    return x @ W + b, (x, W)


def _loss(logits, y):
    N = logits.shape[0]
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    dlogits = np.exp(log_probs)
    dlogits[np.arange(N), y] -= 1
    return float(-np.mean(log_probs[np.arange(N), y])), dlogits / N


def _backward(dout, cache):
    x, W = cache
    return dout @ W.T, x.T @ dout, dout.sum(axis=0)


def _batch_grads(W, b, X, y):
    scores, cache = _forward(X, W, b)
    loss, dscores = _loss(scores, y)
    _, dW, db = _backward(dscores, cache)
    return loss, dW, db


# ------------------------------------------------------------------------------ linear_forward

@bug("linear_forward", "forgets the bias: out = x @ W")
def linear_forward_no_bias(x, W, b):
    return x @ W, (x, W)


@bug("linear_forward", "uses W.T (fits only when W is square, D == M)")
def linear_forward_transposed(x, W, b):
    return x @ W.T + b, (x, W)


@bug("linear_forward", "adds the bias along the batch axis (b[:, None]; fits only when N == M)")
def linear_forward_bias_wrong_axis(x, W, b):
    return x @ W + b[:, None], (x, W)


@bug("linear_forward", "forces float64 (np.dot on arrays converted with np.asarray(..., float))")
def linear_forward_float64(x, W, b):
    x, W, b = (np.asarray(v, dtype=float) for v in (x, W, b))
    return np.dot(x, W) + b, (x, W)


@alternative("linear_forward", "np.einsum instead of @")
def linear_forward_einsum(x, W, b):
    return np.einsum("nd,dm->nm", x, W) + b, (x, W)


@alternative("linear_forward", "np.dot and an explicit (1, M) bias row")
def linear_forward_dot(x, W, b):
    return np.dot(x, W) + b.reshape(1, -1), (x, W)


# ----------------------------------------------------------------------------- linear_backward
# (These use the solution's linear_forward, whose cache is (x, W).)

@bug("linear_backward", "dW = dout.T @ x: the transpose of dW (wrong shape unless D == M)")
def linear_backward_dW_transposed(dout, cache):
    x, W = cache
    return dout @ W.T, dout.T @ x, dout.sum(axis=0)


@bug("linear_backward", "dW = dout.T @ x, transposed back only when the shape does not fit "
                        "(right for rectangular W, transposed for square W)")
def linear_backward_dW_shape_patched(dout, cache):
    x, W = cache
    dW = dout.T @ x
    if dW.shape != W.shape:
        dW = dW.T
    return dout @ W.T, dW, dout.sum(axis=0)


@bug("linear_backward", "dx = dout @ W, patched with W.T only when the shape does not fit")
def linear_backward_dx_shape_patched(dout, cache):
    x, W = cache
    dx = dout @ W if W.shape[0] == W.shape[1] else dout @ W.T
    return dx, x.T @ dout, dout.sum(axis=0)


@bug("linear_backward", "db = dout[0]: the bias gradient of the first example only")
def linear_backward_db_first_row(dout, cache):
    x, W = cache
    return dout @ W.T, x.T @ dout, dout[0]


@bug("linear_backward", "db = dout.mean(axis=0): averages the already-averaged gradient")
def linear_backward_db_mean(dout, cache):
    x, W = cache
    return dout @ W.T, x.T @ dout, dout.mean(axis=0)


@bug("linear_backward", "divides dW and db by the batch size again (averaging twice)")
def linear_backward_double_mean(dout, cache):
    x, W = cache
    N = x.shape[0]
    return dout @ W.T, x.T @ dout / N, dout.sum(axis=0) / N


@bug("linear_backward", "db summed over the wrong axis (dout.sum(axis=1); fits only when N == M)")
def linear_backward_db_wrong_axis(dout, cache):
    x, W = cache
    return dout @ W.T, x.T @ dout, dout.sum(axis=1)


@bug("linear_backward", "accumulates gradients in float64 (np.zeros without a dtype)")
def linear_backward_float64(dout, cache):
    x, W = cache
    dW = np.zeros(W.shape)
    dW += x.T @ dout
    db = np.zeros(W.shape[1])
    db += dout.sum(axis=0)
    return dout @ W.T, dW, db


@bug("linear_backward", "scales x in the cache in place while computing dW (a second call differs)")
def linear_backward_mutates_cache(dout, cache):
    x, W = cache
    x *= 1.0 + 1e-3  # e.g. a leftover in-place normalization
    return dout @ W.T, x.T @ dout, dout.sum(axis=0)


@alternative("linear_backward", "a loop over the batch: sums of outer products x_i^T dout_i")
def linear_backward_loop(dout, cache):
    x, W = cache
    dW = np.zeros_like(W)
    db = np.zeros_like(dout[0])
    dx = np.zeros_like(x)
    for i in range(x.shape[0]):
        dW += np.outer(x[i], dout[i])
        db += dout[i]
        dx[i] = W @ dout[i]
    return dx, dW, db


@alternative("linear_backward", "np.einsum for every gradient")
def linear_backward_einsum(dout, cache):
    x, W = cache
    return (np.einsum("nm,dm->nd", dout, W), np.einsum("nd,nm->dm", x, dout),
            np.einsum("nm->m", dout))


# ----------------------------------------------------------------------- softmax_cross_entropy

@bug("softmax_cross_entropy", "mean loss, but the gradient is not divided by N")
def softmax_cross_entropy_grad_not_averaged(logits, y):
    N = logits.shape[0]
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    dlogits = np.exp(log_probs)
    dlogits[np.arange(N), y] -= 1
    return float(-np.mean(log_probs[np.arange(N), y])), dlogits


@bug("softmax_cross_entropy", "loss and gradient both summed over the batch (consistent, not a mean)")
def softmax_cross_entropy_summed(logits, y):
    N = logits.shape[0]
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    dlogits = np.exp(log_probs)
    dlogits[np.arange(N), y] -= 1
    return float(-np.sum(log_probs[np.arange(N), y])), dlogits


@bug("softmax_cross_entropy", "no max-subtraction: exp overflows for logits of 1e3")
def softmax_cross_entropy_unstable(logits, y):
    N = logits.shape[0]
    exp = np.exp(logits)
    probs = exp / np.sum(exp, axis=1, keepdims=True)
    loss = -np.mean(np.log(probs[np.arange(N), y]))
    dlogits = probs.copy()
    dlogits[np.arange(N), y] -= 1
    return float(loss), dlogits / N


@bug("softmax_cross_entropy", "stable softmax, but the loss is -log(p): log(0) when p underflows")
def softmax_cross_entropy_log_of_probs(logits, y):
    N = logits.shape[0]
    exp = np.exp(logits - np.max(logits, axis=1, keepdims=True))
    probs = exp / np.sum(exp, axis=1, keepdims=True)
    loss = -np.mean(np.log(probs[np.arange(N), y]))
    dlogits = probs.copy()
    dlogits[np.arange(N), y] -= 1
    return float(loss), dlogits / N


@bug("softmax_cross_entropy", "clips probabilities at 1e-12 instead of using log-sum-exp "
                              "(loss capped near 27.6)")
def softmax_cross_entropy_clipped(logits, y):
    N = logits.shape[0]
    exp = np.exp(logits - np.max(logits, axis=1, keepdims=True))
    probs = exp / np.sum(exp, axis=1, keepdims=True)
    loss = -np.mean(np.log(np.maximum(probs[np.arange(N), y], 1e-12)))
    dlogits = probs.copy()
    dlogits[np.arange(N), y] -= 1
    return float(loss), dlogits / N


@bug("softmax_cross_entropy", "subtracts one global maximum instead of each row's maximum")
def softmax_cross_entropy_global_max(logits, y):
    N = logits.shape[0]
    shifted = logits - np.max(logits)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    dlogits = np.exp(log_probs)
    dlogits[np.arange(N), y] -= 1
    return float(-np.mean(log_probs[np.arange(N), y])), dlogits / N


@bug("softmax_cross_entropy", "subtracts the maximum over the batch axis (axis=0)")
def softmax_cross_entropy_max_axis0(logits, y):
    N = logits.shape[0]
    shifted = logits - np.max(logits, axis=0, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    dlogits = np.exp(log_probs)
    dlogits[np.arange(N), y] -= 1
    return float(-np.mean(log_probs[np.arange(N), y])), dlogits / N


@bug("softmax_cross_entropy", "computes dlogits in place in the logits array")
def softmax_cross_entropy_in_place(logits, y):
    N = logits.shape[0]
    logits -= np.max(logits, axis=1, keepdims=True)
    log_sum = np.log(np.sum(np.exp(logits), axis=1, keepdims=True))
    loss = -np.mean(logits[np.arange(N), y] - log_sum[:, 0])
    logits -= log_sum
    np.exp(logits, out=logits)
    logits[np.arange(N), y] -= 1
    logits /= N
    return float(loss), logits


@bug("softmax_cross_entropy", "gradient y - p: the sign is flipped")
def softmax_cross_entropy_sign(logits, y):
    loss, dlogits = _loss(logits, y)
    return loss, -dlogits


@bug("softmax_cross_entropy", "forces float64 (logits.astype(np.float64) for safety)")
def softmax_cross_entropy_float64(logits, y):
    return _loss(logits.astype(np.float64), y)


@bug("softmax_cross_entropy", "returns the loss as an array of shape (1,) (np.mean(..., keepdims))")
def softmax_cross_entropy_loss_array(logits, y):
    N = logits.shape[0]
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    loss = -np.mean(log_probs[np.arange(N), y], keepdims=True)
    dlogits = np.exp(log_probs)
    dlogits[np.arange(N), y] -= 1
    return loss, dlogits / N


@alternative("softmax_cross_entropy", "log-sum-exp written out, a one-hot matrix, NumPy scalar loss")
def softmax_cross_entropy_logsumexp(logits, y):
    N, C = logits.shape
    m = logits.max(axis=1, keepdims=True)
    lse = m + np.log(np.exp(logits - m).sum(axis=1, keepdims=True))   # (N, 1)
    onehot = np.eye(C, dtype=logits.dtype)[y]
    loss = np.mean(lse[:, 0] - np.sum(onehot * logits, axis=1))       # a NumPy scalar
    return loss, (np.exp(logits - lse) - onehot) / N


@alternative("softmax_cross_entropy", "a loop over the examples, one row at a time")
def softmax_cross_entropy_loop(logits, y):
    N = logits.shape[0]
    dlogits = np.empty_like(logits)
    total = 0.0
    for i in range(N):
        row = logits[i] - logits[i].max()
        log_probs = row - np.log(np.exp(row).sum())
        total -= float(log_probs[y[i]])
        dlogits[i] = np.exp(log_probs) / N
        dlogits[i, y[i]] -= 1 / N
    return total / N, dlogits


# --------------------------------------------------------------------------------- sgd_epoch

@bug("sgd_epoch", "does not shuffle: visits the rows in their stored order")
def sgd_epoch_no_shuffle(W, b, X, y, learning_rate, batch_size, rng):
    losses = []
    for start in range(0, len(X), batch_size):
        loss, dW, db = _batch_grads(W, b, X[start:start + batch_size], y[start:start + batch_size])
        W, b = W - learning_rate * dW, b - learning_rate * db
        losses.append(loss)
    return W, b, float(np.mean(losses))


@bug("sgd_epoch", "wrong sign: W + learning_rate * dW (gradient ascent)")
def sgd_epoch_ascent(W, b, X, y, learning_rate, batch_size, rng):
    order = rng.permutation(len(X))
    losses = []
    for start in range(0, len(X), batch_size):
        rows = order[start:start + batch_size]
        loss, dW, db = _batch_grads(W, b, X[rows], y[rows])
        W, b = W + learning_rate * dW, b + learning_rate * db
        losses.append(loss)
    return W, b, float(np.mean(losses))


@bug("sgd_epoch", "returns the sum of the batch losses, not their mean")
def sgd_epoch_loss_sum(W, b, X, y, learning_rate, batch_size, rng):
    order = rng.permutation(len(X))
    total = 0.0
    for start in range(0, len(X), batch_size):
        rows = order[start:start + batch_size]
        loss, dW, db = _batch_grads(W, b, X[rows], y[rows])
        W, b = W - learning_rate * dW, b - learning_rate * db
        total += loss
    return W, b, total


@bug("sgd_epoch", "returns the last batch's loss as the epoch's loss")
def sgd_epoch_last_loss(W, b, X, y, learning_rate, batch_size, rng):
    order = rng.permutation(len(X))
    for start in range(0, len(X), batch_size):
        rows = order[start:start + batch_size]
        loss, dW, db = _batch_grads(W, b, X[rows], y[rows])
        W, b = W - learning_rate * dW, b - learning_rate * db
    return W, b, loss


@bug("sgd_epoch", "averages the batch losses as sum / N (mixing batch means with a per-example mean)")
def sgd_epoch_loss_over_n(W, b, X, y, learning_rate, batch_size, rng):
    order = rng.permutation(len(X))
    total = 0.0
    for start in range(0, len(X), batch_size):
        rows = order[start:start + batch_size]
        loss, dW, db = _batch_grads(W, b, X[rows], y[rows])
        W, b = W - learning_rate * dW, b - learning_rate * db
        total += loss
    return W, b, total / len(X) * batch_size


@bug("sgd_epoch", "skips the last partial batch (range(0, N - batch_size + 1, batch_size))")
def sgd_epoch_drops_last(W, b, X, y, learning_rate, batch_size, rng):
    order = rng.permutation(len(X))
    losses = []
    for start in range(0, max(len(X) - batch_size + 1, 1), batch_size):
        rows = order[start:start + batch_size]
        loss, dW, db = _batch_grads(W, b, X[rows], y[rows])
        W, b = W - learning_rate * dW, b - learning_rate * db
        losses.append(loss)
    return W, b, float(np.mean(losses))


@bug("sgd_epoch", "updates W and b in place (W -= learning_rate * dW changes the caller's arrays)")
def sgd_epoch_in_place(W, b, X, y, learning_rate, batch_size, rng):
    order = rng.permutation(len(X))
    losses = []
    for start in range(0, len(X), batch_size):
        rows = order[start:start + batch_size]
        loss, dW, db = _batch_grads(W, b, X[rows], y[rows])
        W -= learning_rate * dW
        b -= learning_rate * db
        losses.append(loss)
    return W, b, float(np.mean(losses))


@bug("sgd_epoch", "samples every batch at random with replacement (rng.integers) instead of a permutation")
def sgd_epoch_with_replacement(W, b, X, y, learning_rate, batch_size, rng):
    losses = []
    for start in range(0, len(X), batch_size):
        rows = rng.integers(0, len(X), size=min(batch_size, len(X) - start))
        loss, dW, db = _batch_grads(W, b, X[rows], y[rows])
        W, b = W - learning_rate * dW, b - learning_rate * db
        losses.append(loss)
    return W, b, float(np.mean(losses))


@bug("sgd_epoch", "one gradient for the whole epoch: all batch gradients from the starting weights")
def sgd_epoch_stale_weights(W, b, X, y, learning_rate, batch_size, rng):
    order = rng.permutation(len(X))
    W0, b0 = W, b
    losses = []
    for start in range(0, len(X), batch_size):
        rows = order[start:start + batch_size]
        loss, dW, db = _batch_grads(W0, b0, X[rows], y[rows])
        W, b = W - learning_rate * dW, b - learning_rate * db
        losses.append(loss)
    return W, b, float(np.mean(losses))


@bug("sgd_epoch", "converts the weights to float64 (np.array(W, dtype=float)) before training")
def sgd_epoch_float64(W, b, X, y, learning_rate, batch_size, rng):
    W, b = np.array(W, dtype=float), np.array(b, dtype=float)
    order = rng.permutation(len(X))
    losses = []
    for start in range(0, len(X), batch_size):
        rows = order[start:start + batch_size]
        loss, dW, db = _batch_grads(W, b, X[rows], y[rows])
        W, b = W - learning_rate * dW, b - learning_rate * db
        losses.append(loss)
    return W, b, float(np.mean(losses))


@alternative("sgd_epoch", "explicit batch indices (a while loop slicing the permutation), "
                          "copies updated in place")
def sgd_epoch_index_slicing(W, b, X, y, learning_rate, batch_size, rng):
    N = X.shape[0]
    order = rng.permutation(N)
    W, b = W.copy(), b.copy()
    losses = []
    t = 0
    while t * batch_size < N:
        rows = order[t * batch_size:min((t + 1) * batch_size, N)]
        loss, dW, db = _batch_grads(W, b, X[rows], y[rows])
        W -= learning_rate * dW
        b -= learning_rate * db
        losses.append(loss)
        t += 1
    return W, b, sum(losses) / len(losses)


@alternative("sgd_epoch", "shuffles a copy of the data once, then np.array_split at multiples "
                          "of batch_size")
def sgd_epoch_split(W, b, X, y, learning_rate, batch_size, rng):
    order = rng.permutation(len(X))
    X_shuffled, y_shuffled = X[order], y[order]
    cuts = np.arange(batch_size, len(X), batch_size)
    losses = []
    for X_batch, y_batch in zip(np.split(X_shuffled, cuts), np.split(y_shuffled, cuts)):
        loss, dW, db = _batch_grads(W, b, X_batch, y_batch)
        W, b = W - learning_rate * dW, b - learning_rate * db
        losses.append(loss)
    return W, b, np.mean(losses)
