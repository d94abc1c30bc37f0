"""What the 03 release must not print, and which graded functions carry the ideas."""
ASSIGNMENT = "03_multilayer"
# graded functions whose job is a gradient / backward pass (the derived results). mlp_loss
# returns the gradients (with weight decay); the four backward_through_* parts are the
# tensor-by-tensor backward pass, one group of named intermediates each.
BACKWARD = ("relu_backward", "sigmoid_backward", "tanh_backward", "mlp_backward", "mlp_loss",
            "backward_through_loss", "backward_through_normalization",
            "backward_through_max_shift", "backward_through_layers")
# for every BACKWARD function: answer strings that must not appear in this release; each one is
# in the instructor source (solution code or model answer). Matching ignores all whitespace.
LEAKS = {
    "relu_backward": [
        "return dout * (out > 0)", r"\mathbf 1[x > 0]", r"dx = dout \odot \mathbf 1[a > 0]",
    ],
    "sigmoid_backward": [
        "return dout * out * (1 - out)", r"\sigma(x)\,\bigl(1 - \sigma(x)\bigr)",
        r"dx = dout \odot a \odot (1 - a)",
    ],
    "tanh_backward": [
        "return dout * (1 - out * out)", r"1 - \tanh^2 x", r"dx = dout \odot (1 - a^2)",
    ],
    "mlp_backward": [
        "dout = backward[activation](dout, activation_cache)",
        r"dZ_{\ell-1} = dA_{\ell-1} \odot f'(Z_{\ell-1})", r"dW_\ell = A_{\ell-1}^\top\, dZ_\ell",
        r"dZ_1 = dA_1 \odot f'(Z_1)",
    ],
    "mlp_loss": [
        "grads[name] += weight_decay * W", r"= \lambda\,(W_\ell)_{kl}",
        r"(1 - \eta\lambda)\, W - \eta\, dW",
    ],
    "backward_through_loss": [
        'dlog_probs[np.arange(N), y] = -grads["loss"] / N', 'dprobs = dlog_probs / values["probs"]',
        r"`dprobs` $= -\frac{1}{N p_{n y_n}}$",
    ],
    "backward_through_normalization": [
        "dsum_exps_inv = (dprobs * exps).sum(axis=1, keepdims=True)",
        "dsum_exps = -dsum_exps_inv / sum_exps**2", "dexps = dprobs * sum_exps_inv + dsum_exps",
        r"`dsum_exps` $= -\frac{1}{s_n^2}",
    ],
    "backward_through_max_shift": [
        'dshifted = grads["exps"] * values["exps"]', "dlogit_max = -dshifted.sum(axis=1, keepdims=True)",
        "dlogits[np.arange(logits.shape[0]), logits.argmax(axis=1)] += dlogit_max[:, 0]",
        r"$dshifted_{nj} = dexps_{nj}\, e_{nj}",
    ],
    "backward_through_layers": [
        'dW3 = values["h2"].T @ dlogits', 'dz2 = dh2 * (values["z2"] > 0)',
        'dh1 = dz2 @ values["W2"].T', 'dW1 = values["x"].T @ dz1',
    ],
}
# the checkpoints that prepare each BACKWARD function (each placed before it in the notebook)
TINY_NETWORK = ("checkpoint_mlp_dW2", "checkpoint_mlp_dA1")
CHECKPOINTS = {
    "relu_backward": ("checkpoint_relu_dx",),
    "sigmoid_backward": ("checkpoint_sigmoid_dx",),
    "tanh_backward": ("checkpoint_tanh_dx",),
    "mlp_backward": TINY_NETWORK,
    "mlp_loss": ("checkpoint_weight_decay",),
    "backward_through_loss": ("checkpoint_softmax_steps",),
    "backward_through_normalization": ("checkpoint_softmax_steps",),
    "backward_through_max_shift": ("checkpoint_max_shift",),
    "backward_through_layers": TINY_NETWORK,
}
