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

@bug("linear_forward", "forgets the bias: out = x @ W", diagnosis="bias")
def linear_forward_no_bias(x, W, b):
    return x @ W, (x, W)


@bug("linear_forward", "uses W.T (fits only when W is square, D == M)", diagnosis="transposed")
def linear_forward_transposed(x, W, b):
    return x @ W.T + b, (x, W)


@bug("linear_forward", "adds the bias along the batch axis (b[:, None]; fits only when N == M)",
     diagnosis="batch axis")
def linear_forward_bias_wrong_axis(x, W, b):
    return x @ W + b[:, None], (x, W)


@bug("linear_forward", "forces float64 (np.dot on arrays converted with np.asarray(..., float))",
     diagnosis="dtype")
def linear_forward_float64(x, W, b):
    x, W, b = (np.asarray(v, dtype=float) for v in (x, W, b))
    return np.dot(x, W) + b, (x, W)


@bug("linear_forward", "W.T @ x.T + b[:, None]: one column per example, the transpose of out",
     diagnosis="transposed")
def linear_forward_columns(x, W, b):
    return W.T @ x.T + b[:, None], (x, W)


@alternative("linear_forward", "np.einsum instead of @")
def linear_forward_einsum(x, W, b):
    return np.einsum("nd,dm->nm", x, W) + b, (x, W)


@alternative("linear_forward", "np.dot and an explicit (1, M) bias row")
def linear_forward_dot(x, W, b):
    return np.dot(x, W) + b.reshape(1, -1), (x, W)


# ----------------------------------------------------------------------------- linear_backward
# (These use the solution's linear_forward, whose cache is (x, W).)

@bug("linear_backward", "dW = dout.T @ x: the transpose of dW (wrong shape unless D == M)",
     diagnosis="transposed")
def linear_backward_dW_transposed(dout, cache):
    x, W = cache
    return dout @ W.T, dout.T @ x, dout.sum(axis=0)


@bug("linear_backward", "dW = dout.T @ x, transposed back only when the shape does not fit "
                        "(right for rectangular W, transposed for square W)", diagnosis="transpose")
def linear_backward_dW_shape_patched(dout, cache):
    x, W = cache
    dW = dout.T @ x
    if dW.shape != W.shape:
        dW = dW.T
    return dout @ W.T, dW, dout.sum(axis=0)


@bug("linear_backward", "dx = dout @ W, patched with W.T only when the shape does not fit",
     diagnosis="without its transpose")
def linear_backward_dx_shape_patched(dout, cache):
    x, W = cache
    dx = dout @ W if W.shape[0] == W.shape[1] else dout @ W.T
    return dx, x.T @ dout, dout.sum(axis=0)


@bug("linear_backward", "db = dout[0]: the bias gradient of the first example only",
     diagnosis="first example")
def linear_backward_db_first_row(dout, cache):
    x, W = cache
    return dout @ W.T, x.T @ dout, dout[0]


@bug("linear_backward", "db = dout.mean(axis=0): averages the already-averaged gradient",
     diagnosis="batch size")
def linear_backward_db_mean(dout, cache):
    x, W = cache
    return dout @ W.T, x.T @ dout, dout.mean(axis=0)


@bug("linear_backward", "divides dW and db by the batch size again (averaging twice)", diagnosis="batch size")
def linear_backward_double_mean(dout, cache):
    x, W = cache
    N = x.shape[0]
    return dout @ W.T, x.T @ dout / N, dout.sum(axis=0) / N


@bug("linear_backward", "db summed over the wrong axis (dout.sum(axis=1); fits only when N == M)",
     diagnosis="wrong axis")
def linear_backward_db_wrong_axis(dout, cache):
    x, W = cache
    return dout @ W.T, x.T @ dout, dout.sum(axis=1)


@bug("linear_backward", "accumulates gradients in float64 (np.zeros without a dtype)", diagnosis="dtype")
def linear_backward_float64(dout, cache):
    x, W = cache
    dW = np.zeros(W.shape)
    dW += x.T @ dout
    db = np.zeros(W.shape[1])
    db += dout.sum(axis=0)
    return dout @ W.T, dW, db


@bug("linear_backward", "scales x in the cache in place while computing dW (a second call differs)",
     diagnosis="in place")
def linear_backward_mutates_cache(dout, cache):
    x, W = cache
    x *= 1.0 + 1e-3  # e.g. a leftover in-place normalization
    return dout @ W.T, x.T @ dout, dout.sum(axis=0)


@alternative("linear_backward", "a loop over the batch: sums of outer products x_i^T dout_i")
def linear_backward_per_example(dout, cache):
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


# ------------------------------------------------------------- the linear layer's checkpoints
# The given case: x = [[1, 2], [3, -1]], W = [[2, -1], [1, 1]], b = [0.5, -0.5],
# G = [[1, -2], [0.5, 3]]. Right answers: dW = [[2.5, 7], [1.5, -7]], dx = [[4, -1], [-2, 3.5]],
# db = [1.5, 1].

@bug("checkpoint_linear_dW", "transposed: G.T @ x", diagnosis="transposed")
def checkpoint_linear_dW_transposed():
    return [[2.5, 1.5], [7.0, -7.0]]


@bug("checkpoint_linear_dW", "divided by N = 2 (the 1/N applied again in the layer)",
     diagnosis="divided by N")
def checkpoint_linear_dW_over_n():
    return [[1.25, 3.5], [0.75, -3.5]]


@bug("checkpoint_linear_dW", "sign flipped", diagnosis="sign is flipped")
def checkpoint_linear_dW_sign():
    return [[-2.5, -7.0], [-1.5, 7.0]]


@bug("checkpoint_linear_dW", "x @ G: no transpose, the sum over the wrong index",
     diagnosis="without the transpose")
def checkpoint_linear_dW_no_transpose():
    return [[2.0, 4.0], [2.5, -9.0]]


@bug("checkpoint_linear_dW", "elementwise x * G: W_kj thought to touch one output only",
     diagnosis="same position")
def checkpoint_linear_dW_elementwise():
    return [[1.0, -4.0], [1.5, -3.0]]


@bug("checkpoint_linear_dW", "only the first example's outer product", diagnosis="first example")
def checkpoint_linear_dW_first_example():
    return [[1.0, -2.0], [2.0, -4.0]]


@bug("checkpoint_linear_dW", "one arithmetic slip in one entry (7 written as 5)", diagnosis="arithmetic")
def checkpoint_linear_dW_slip():
    return [[2.5, 5.0], [1.5, -7.0]]


@bug("checkpoint_linear_dW", "a flat list of the four numbers instead of a 2x2 nested list",
     diagnosis="same number of elements")
def checkpoint_linear_dW_flat():
    return [2.5, 7.0, 1.5, -7.0]


@alternative("checkpoint_linear_dW", "the same numbers as fractions in a tuple of tuples")
def checkpoint_linear_dW_fractions():
    return ((5 / 2, 14 / 2), (3 / 2, -7 / 1))


@alternative("checkpoint_linear_dW", "computed with NumPy from the given numbers (a float32 array)")
def checkpoint_linear_dW_numpy():
    x = np.array([[1, 2], [3, -1]], dtype=np.float32)
    G = np.array([[1, -2], [0.5, 3]], dtype=np.float32)
    return np.einsum("ik,ij->kj", x, G)


@bug("checkpoint_linear_dx", "G @ W: W without its transpose", diagnosis="without its transpose")
def checkpoint_linear_dx_no_transpose():
    return [[0.0, -3.0], [4.0, 2.5]]


@bug("checkpoint_linear_dx", "W.T @ G: the product in the wrong order", diagnosis="wrong order")
def checkpoint_linear_dx_wrong_order():
    return [[2.5, -1.0], [-0.5, 5.0]]


@bug("checkpoint_linear_dx", "transposed: column i for example i", diagnosis="transposed")
def checkpoint_linear_dx_transposed():
    return [[4.0, -2.0], [-1.0, 3.5]]


@bug("checkpoint_linear_dx", "sign flipped", diagnosis="sign is flipped")
def checkpoint_linear_dx_sign():
    return [[-4.0, 1.0], [2.0, -3.5]]


@bug("checkpoint_linear_dx", "divided by N = 2", diagnosis="divided by N")
def checkpoint_linear_dx_over_n():
    return [[2.0, -0.5], [-1.0, 1.75]]


@alternative("checkpoint_linear_dx", "a NumPy float64 array of the numbers")
def checkpoint_linear_dx_array():
    return np.array([[4, -1], [-2, 7 / 2]], dtype=np.float64)


@bug("checkpoint_linear_db", "the first example only: G[0]", diagnosis="first example")
def checkpoint_linear_db_first_row():
    return [1.0, -2.0]


@bug("checkpoint_linear_db", "summed over the wrong axis (each example's outputs)", diagnosis="wrong axis")
def checkpoint_linear_db_wrong_axis():
    return [-1.0, 3.5]


@bug("checkpoint_linear_db", "averaged over the batch", diagnosis="averaged")
def checkpoint_linear_db_mean():
    return [0.75, 0.5]


@bug("checkpoint_linear_db", "sign flipped", diagnosis="sign is flipped")
def checkpoint_linear_db_sign():
    return [-1.5, -1.0]


@bug("checkpoint_linear_db", "one number: the sum of all of G", diagnosis="single number")
def checkpoint_linear_db_scalar():
    return 2.5


@alternative("checkpoint_linear_db", "a tuple of fractions")
def checkpoint_linear_db_tuple():
    return (3 / 2, 2 / 2)


# ------------------------------------------------------------------------ linear_backward_loop

@bug("linear_backward_loop", "dW += np.outer(dout[i], x[i]): each outer product transposed "
                             "(a shape error unless D == M)", diagnosis="transpose")
def linear_backward_loop_outer_transposed(dout, cache):
    x, W = cache
    dx, dW, db = np.zeros_like(x), np.zeros((W.shape[1], W.shape[0]), dtype=W.dtype), np.zeros_like(dout[0])
    for i in range(len(dout)):
        dx[i] = W @ dout[i]
        dW += np.outer(dout[i], x[i])
        db += dout[i]
    return dx, (dW if dW.shape == W.shape else dW.T), db


@bug("linear_backward_loop", "db = dout[i] overwritten in every iteration (the last example only)",
     diagnosis="last example")
def linear_backward_loop_db_overwritten(dout, cache):
    x, W = cache
    dx, dW, db = np.zeros_like(x), np.zeros_like(W), np.zeros_like(dout[0])
    for i in range(len(dout)):
        dx[i] = W @ dout[i]
        dW += np.outer(x[i], dout[i])
        db = dout[i]
    return dx, dW, db


@bug("linear_backward_loop", "range(len(dout) - 1): skips the last example", diagnosis="skipped")
def linear_backward_loop_off_by_one(dout, cache):
    x, W = cache
    dx, dW, db = np.zeros_like(x), np.zeros_like(W), np.zeros_like(dout[0])
    for i in range(len(dout) - 1):
        dx[i] = W @ dout[i]
        dW += np.outer(x[i], dout[i])
        db += dout[i]
    return dx, dW, db


@bug("linear_backward_loop", "divides every example's contribution by N (averaging twice)",
     diagnosis="batch size")
def linear_backward_loop_over_n(dout, cache):
    x, W = cache
    N = len(dout)
    dx, dW, db = np.zeros_like(x), np.zeros_like(W), np.zeros_like(dout[0])
    for i in range(N):
        dx[i] = W @ dout[i]
        dW += np.outer(x[i], dout[i]) / N
        db += dout[i] / N
    return dx, dW, db


@bug("linear_backward_loop", "dx[i] = dout[i] @ W, patched with W.T only when the shape does not fit",
     diagnosis="without its transpose")
def linear_backward_loop_dx_untransposed(dout, cache):
    x, W = cache
    dx, dW, db = np.zeros_like(x), np.zeros_like(W), np.zeros_like(dout[0])
    for i in range(len(dout)):
        dx[i] = dout[i] @ W if W.shape[0] == W.shape[1] else dout[i] @ W.T
        dW += np.outer(x[i], dout[i])
        db += dout[i]
    return dx, dW, db


@bug("linear_backward_loop", "accumulates in float64 (np.zeros(shape) without a dtype)", diagnosis="dtype")
def linear_backward_loop_float64(dout, cache):
    x, W = cache
    dx, dW, db = np.zeros(x.shape), np.zeros(W.shape), np.zeros(W.shape[1])
    for i in range(len(dout)):
        dx[i] = W @ dout[i]
        dW += np.outer(x[i], dout[i])
        db += dout[i]
    return dx, dW, db


@bug("linear_backward_loop", "accumulates dW in the cached W (dW = W; dW += ...): edits the cache",
     diagnosis="in place")
def linear_backward_loop_aliases_cache(dout, cache):
    x, W = cache
    dx, db = np.zeros_like(x), np.zeros_like(dout[0])
    dW = W
    dW *= 0
    for i in range(len(dout)):
        dx[i] = W @ dout[i]
        dW += np.outer(x[i], dout[i])
        db += dout[i]
    return dx, dW, db


@alternative("linear_backward_loop", "three nested loops over scalars, the entry formulas literally")
def linear_backward_loop_scalars(dout, cache):
    x, W = cache
    N, D = x.shape
    M = W.shape[1]
    dx, dW, db = np.zeros_like(x), np.zeros_like(W), np.zeros_like(dout[0])
    for i in range(N):
        for j in range(M):
            db[j] += dout[i, j]
            for k in range(D):
                dW[k, j] += x[i, k] * dout[i, j]
                dx[i, k] += dout[i, j] * W[k, j]
    return dx, dW, db


@alternative("linear_backward_loop", "rows as column vectors: x[i][:, None] * dout[i], dout[i] @ W.T")
def linear_backward_loop_broadcast(dout, cache):
    x, W = cache
    dx, dW, db = np.empty_like(x), np.zeros_like(W), np.zeros_like(dout[0])
    for i, (x_i, g_i) in enumerate(zip(x, dout)):
        dx[i] = g_i @ W.T
        dW = dW + x_i[:, None] * g_i
        db = db + g_i
    return dx, dW, db


# ----------------------------------------------------------------------- softmax_cross_entropy

@bug("softmax_cross_entropy", "mean loss, but the gradient is not divided by N", diagnosis="batch size")
def softmax_cross_entropy_grad_not_averaged(logits, y):
    N = logits.shape[0]
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    dlogits = np.exp(log_probs)
    dlogits[np.arange(N), y] -= 1
    return float(-np.mean(log_probs[np.arange(N), y])), dlogits


@bug("softmax_cross_entropy", "loss and gradient both summed over the batch (consistent, not a mean)",
     diagnosis="sum over the batch")
def softmax_cross_entropy_summed(logits, y):
    N = logits.shape[0]
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    dlogits = np.exp(log_probs)
    dlogits[np.arange(N), y] -= 1
    return float(-np.sum(log_probs[np.arange(N), y])), dlogits


@bug("softmax_cross_entropy", "no max-subtraction: exp overflows for logits of 1e3",
     diagnosis="subtract the maximum")
def softmax_cross_entropy_unstable(logits, y):
    N = logits.shape[0]
    exp = np.exp(logits)
    probs = exp / np.sum(exp, axis=1, keepdims=True)
    loss = -np.mean(np.log(probs[np.arange(N), y]))
    dlogits = probs.copy()
    dlogits[np.arange(N), y] -= 1
    return float(loss), dlogits / N


@bug("softmax_cross_entropy", "stable softmax, but the loss is -log(p): log(0) when p underflows",
     diagnosis="log-sum-exp")
def softmax_cross_entropy_log_of_probs(logits, y):
    N = logits.shape[0]
    exp = np.exp(logits - np.max(logits, axis=1, keepdims=True))
    probs = exp / np.sum(exp, axis=1, keepdims=True)
    loss = -np.mean(np.log(probs[np.arange(N), y]))
    dlogits = probs.copy()
    dlogits[np.arange(N), y] -= 1
    return float(loss), dlogits / N


@bug("softmax_cross_entropy", "clips probabilities at 1e-12 instead of using log-sum-exp "
                              "(loss capped near 27.6)", diagnosis="log-sum-exp")
def softmax_cross_entropy_clipped(logits, y):
    N = logits.shape[0]
    exp = np.exp(logits - np.max(logits, axis=1, keepdims=True))
    probs = exp / np.sum(exp, axis=1, keepdims=True)
    loss = -np.mean(np.log(np.maximum(probs[np.arange(N), y], 1e-12)))
    dlogits = probs.copy()
    dlogits[np.arange(N), y] -= 1
    return float(loss), dlogits / N


@bug("softmax_cross_entropy", "subtracts one global maximum instead of each row's maximum",
     diagnosis="each row's own maximum")
def softmax_cross_entropy_global_max(logits, y):
    N = logits.shape[0]
    shifted = logits - np.max(logits)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    dlogits = np.exp(log_probs)
    dlogits[np.arange(N), y] -= 1
    return float(-np.mean(log_probs[np.arange(N), y])), dlogits / N


@bug("softmax_cross_entropy", "subtracts the maximum over the batch axis (axis=0)", diagnosis="axis 0")
def softmax_cross_entropy_max_axis0(logits, y):
    N = logits.shape[0]
    shifted = logits - np.max(logits, axis=0, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    dlogits = np.exp(log_probs)
    dlogits[np.arange(N), y] -= 1
    return float(-np.mean(log_probs[np.arange(N), y])), dlogits / N


@bug("softmax_cross_entropy", "computes dlogits in place in the logits array", diagnosis="in place")
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


@bug("softmax_cross_entropy", "gradient y - p: the sign is flipped", diagnosis="sign is flipped")
def softmax_cross_entropy_sign(logits, y):
    loss, dlogits = _loss(logits, y)
    return loss, -dlogits


@bug("softmax_cross_entropy", "forces float64 (logits.astype(np.float64) for safety)", diagnosis="dtype")
def softmax_cross_entropy_float64(logits, y):
    return _loss(logits.astype(np.float64), y)


@bug("softmax_cross_entropy", "returns the loss as an array of shape (1,) (np.mean(..., keepdims))",
     diagnosis="single number")
def softmax_cross_entropy_loss_array(logits, y):
    N = logits.shape[0]
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    loss = -np.mean(log_probs[np.arange(N), y], keepdims=True)
    dlogits = np.exp(log_probs)
    dlogits[np.arange(N), y] -= 1
    return loss, dlogits / N


@bug("softmax_cross_entropy", "returns the loss as np.float16 (to save memory): about 3 digits",
     diagnosis="is float16 but the test's inputs are float64")
def softmax_cross_entropy_loss_float16(logits, y):
    loss, dlogits = _loss(logits, y)
    return np.float16(loss), dlogits


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


# --------------------------------------------------------- the loss gradient's checkpoint
# The given case: s = log([[1, 2, 1], [3, 1, 4]]), y = (1, 2), so p = [[1/4, 1/2, 1/4],
# [3/8, 1/8, 1/2]]; the right answer is (P - Y) / 2 = [[1/8, -1/4, 1/8], [3/16, 1/16, -1/4]].

@bug("checkpoint_softmax_cross_entropy", "P - Y: the 1/N of the mean forgotten", diagnosis="1/N")
def checkpoint_softmax_cross_entropy_no_mean():
    return [[1 / 4, -1 / 2, 1 / 4], [3 / 8, 1 / 8, -1 / 2]]


@bug("checkpoint_softmax_cross_entropy", "(Y - P) / N: the sign flipped", diagnosis="sign is flipped")
def checkpoint_softmax_cross_entropy_sign():
    return [[-1 / 8, 1 / 4, -1 / 8], [-3 / 16, -1 / 16, 1 / 4]]


@bug("checkpoint_softmax_cross_entropy", "P / N: the one-hot labels not subtracted", diagnosis="one-hot")
def checkpoint_softmax_cross_entropy_no_onehot():
    return [[1 / 8, 1 / 4, 1 / 8], [3 / 16, 1 / 16, 1 / 4]]


@bug("checkpoint_softmax_cross_entropy", "labels read as 1-based (class 1 taken as the first column)",
     diagnosis="numbered from 1")
def checkpoint_softmax_cross_entropy_one_based():
    return [[-3 / 8, 1 / 4, 1 / 8], [3 / 16, -7 / 16, 1 / 4]]


@bug("checkpoint_softmax_cross_entropy", "divided by N twice", diagnosis="N twice")
def checkpoint_softmax_cross_entropy_twice():
    return [[1 / 16, -1 / 8, 1 / 16], [3 / 32, 1 / 32, -1 / 8]]


@bug("checkpoint_softmax_cross_entropy", "divided by the number of classes C = 3 instead of N = 2",
     diagnosis="number of classes")
def checkpoint_softmax_cross_entropy_over_c():
    return [[1 / 12, -1 / 6, 1 / 12], [1 / 8, 1 / 24, -1 / 6]]


@bug("checkpoint_softmax_cross_entropy", "the softmax of row 2 slipped: 3/8 and 1/8 swapped",
     diagnosis="arithmetic")
def checkpoint_softmax_cross_entropy_slip():
    return [[1 / 8, -1 / 4, 1 / 8], [1 / 16, 3 / 16, -1 / 4]]


@alternative("checkpoint_softmax_cross_entropy", "the same numbers as decimals")
def checkpoint_softmax_cross_entropy_decimals():
    return [[0.125, -0.25, 0.125], [0.1875, 0.0625, -0.25]]


@alternative("checkpoint_softmax_cross_entropy", "computed with NumPy from the given scores")
def checkpoint_softmax_cross_entropy_numpy():
    s = np.log(np.array([[1.0, 2.0, 1.0], [3.0, 1.0, 4.0]]))
    p = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
    p[[0, 1], [1, 2]] -= 1
    return p / 2


# --------------------------------------------------------------------------------- sgd_epoch

@bug("sgd_epoch", "does not shuffle: visits the rows in their stored order", diagnosis="stored order")
def sgd_epoch_no_shuffle(W, b, X, y, learning_rate, batch_size, rng):
    losses = []
    for start in range(0, len(X), batch_size):
        loss, dW, db = _batch_grads(W, b, X[start:start + batch_size], y[start:start + batch_size])
        W, b = W - learning_rate * dW, b - learning_rate * db
        losses.append(loss)
    return W, b, float(np.mean(losses))


@bug("sgd_epoch", "wrong sign: W + learning_rate * dW (gradient ascent)", diagnosis="against the gradient")
def sgd_epoch_ascent(W, b, X, y, learning_rate, batch_size, rng):
    order = rng.permutation(len(X))
    losses = []
    for start in range(0, len(X), batch_size):
        rows = order[start:start + batch_size]
        loss, dW, db = _batch_grads(W, b, X[rows], y[rows])
        W, b = W + learning_rate * dW, b + learning_rate * db
        losses.append(loss)
    return W, b, float(np.mean(losses))


@bug("sgd_epoch", "returns the sum of the batch losses, not their mean", diagnosis="sum of the batch losses")
def sgd_epoch_loss_sum(W, b, X, y, learning_rate, batch_size, rng):
    order = rng.permutation(len(X))
    total = 0.0
    for start in range(0, len(X), batch_size):
        rows = order[start:start + batch_size]
        loss, dW, db = _batch_grads(W, b, X[rows], y[rows])
        W, b = W - learning_rate * dW, b - learning_rate * db
        total += loss
    return W, b, total


@bug("sgd_epoch", "returns the last batch's loss as the epoch's loss", diagnosis="last batch")
def sgd_epoch_last_loss(W, b, X, y, learning_rate, batch_size, rng):
    order = rng.permutation(len(X))
    for start in range(0, len(X), batch_size):
        rows = order[start:start + batch_size]
        loss, dW, db = _batch_grads(W, b, X[rows], y[rows])
        W, b = W - learning_rate * dW, b - learning_rate * db
    return W, b, loss


@bug("sgd_epoch", "averages the batch losses as sum / N (mixing batch means with a per-example mean)",
     diagnosis="number of batches")
def sgd_epoch_loss_over_n(W, b, X, y, learning_rate, batch_size, rng):
    order = rng.permutation(len(X))
    total = 0.0
    for start in range(0, len(X), batch_size):
        rows = order[start:start + batch_size]
        loss, dW, db = _batch_grads(W, b, X[rows], y[rows])
        W, b = W - learning_rate * dW, b - learning_rate * db
        total += loss
    return W, b, total / len(X) * batch_size


@bug("sgd_epoch", "skips the last partial batch (range(0, N - batch_size + 1, batch_size))",
     diagnosis="smaller batch")
def sgd_epoch_drops_last(W, b, X, y, learning_rate, batch_size, rng):
    order = rng.permutation(len(X))
    losses = []
    for start in range(0, max(len(X) - batch_size + 1, 1), batch_size):
        rows = order[start:start + batch_size]
        loss, dW, db = _batch_grads(W, b, X[rows], y[rows])
        W, b = W - learning_rate * dW, b - learning_rate * db
        losses.append(loss)
    return W, b, float(np.mean(losses))


@bug("sgd_epoch", "updates W and b in place (W -= learning_rate * dW changes the caller's arrays)",
     diagnosis="in place")
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


@bug("sgd_epoch", "samples every batch at random with replacement (rng.integers) instead of a permutation",
     diagnosis="with replacement")
def sgd_epoch_with_replacement(W, b, X, y, learning_rate, batch_size, rng):
    losses = []
    for start in range(0, len(X), batch_size):
        rows = rng.integers(0, len(X), size=min(batch_size, len(X) - start))
        loss, dW, db = _batch_grads(W, b, X[rows], y[rows])
        W, b = W - learning_rate * dW, b - learning_rate * db
        losses.append(loss)
    return W, b, float(np.mean(losses))


@bug("sgd_epoch", "one gradient for the whole epoch: all batch gradients from the starting weights",
     diagnosis="starting weights")
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


@bug("sgd_epoch", "converts the weights to float64 (np.array(W, dtype=float)) before training",
     diagnosis="dtype")
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
