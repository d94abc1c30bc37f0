"""What the 02 release must not print, and which graded functions carry the ideas."""
ASSIGNMENT = "02_single_layer"
# graded functions whose job is a gradient / backward pass (the derived results). sgd_epoch is
# graded too, but it is an implementation (shuffle, slice, step), not a derived result.
BACKWARD = ("linear_backward_loop", "linear_backward", "softmax_cross_entropy")
# for every BACKWARD function: answer strings that must not appear in this release; each one is
# in the instructor source (solution code or model answer). Matching ignores all whitespace.
LEAKS = {
    "linear_backward_loop": [
        "np.outer(x[i], dout[i])", "dx[i] = W @ dout[i]", "db += dout[i]",
        r"= \sum_{i=1}^{N} G_{ij}\, x_{ik}", r"= \sum_{j=1}^{M} G_{ij}\, W_{kj}",
    ],
    "linear_backward": [
        "x.T @ dout", "dout @ W.T", "dout.sum(axis=0)",
        r"\big(x^\top G\big)_{kj}", r"\big(G W^\top\big)_{ik}",
        r"\underbrace{x^\top}_{(D, N)}\,\underbrace{G}_{(N, M)}",
        r"\underbrace{db}_{(M,)} = \sum_{i=1}^{N} G_{i,:}",
    ],
    "softmax_cross_entropy": [
        "dlogits /= N", "dlogits[np.arange(N), y] -= 1",
        r"= \frac{1}{N}\big(p_{ic} - Y_{ic}\big)", r"= \frac{1}{N}\,\big(P - Y\big)",
        r"\frac{1}{N}\sum_{i=1}^{N} x_i^\top\big(p_i - Y_i\big)",
    ],
}
# the checkpoints that prepare each BACKWARD function (each placed before it in the notebook)
LINEAR_CHECKPOINTS = ("checkpoint_linear_dW", "checkpoint_linear_dx", "checkpoint_linear_db")
CHECKPOINTS = {
    "linear_backward_loop": LINEAR_CHECKPOINTS,
    "linear_backward": LINEAR_CHECKPOINTS,
    "softmax_cross_entropy": ("checkpoint_softmax_cross_entropy",),
}
