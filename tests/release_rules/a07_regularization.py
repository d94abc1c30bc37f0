"""What the 07 release must not print, and which graded functions carry the ideas."""
ASSIGNMENT = "07_regularization"
# graded functions whose job is a gradient / backward pass (the derived results).
# regularized_mlp_loss returns the gradients of the whole network: its backward pass chains
# the students' dropout, normalization and activation backward passes.
BACKWARD = ("dropout_backward", "batchnorm_backward", "batchnorm_backward_closed",
            "layernorm_backward", "regularized_mlp_loss")
# for every BACKWARD function: answer strings that must not appear in this release; each one is
# in the instructor source (solution code or model answer). Matching ignores all whitespace.
LEAKS = {
    "dropout_backward": [
        "return dout * scaled_mask",
        r"$dx = \frac{m}{1-p} \odot d\text{out}$",
        r"kept units pass it scaled by $1/(1-p)$",
    ],
    "batchnorm_backward": [
        "dvar = -0.5 * inv_std ** 3 * dinv_std",
        "dcentred = dxhat * inv_std + (2 / N) * centred * dvar",
        "dx = dcentred + dmean / N",
        r"dx_{c,nj} = d\hat x_{nj}\, s_j + dv_j\, \frac2N\, x_{c,nj}",
        r"d\mu_j = -\sum_n dx_{c,nj}",
    ],
    "batchnorm_backward_closed": [
        "(N * dout - dbeta - x_hat * dgamma)",
        r"N\, d\text{out} - d\beta - \hat x \odot d\gamma",
        r"dx = \frac{\gamma\, s}{N}",
    ],
    "layernorm_backward": [
        "D * dxhat - dxhat.sum(axis=1, keepdims=True)",
        "x_hat * (dxhat * x_hat).sum(axis=1, keepdims=True)",
        r"D\, d\hat x - \textstyle\sum_j d\hat x",
    ],
    "regularized_mlp_loss": [
        "d = dropout_backward(d, dropout_cache)",
        "batchnorm_backward_closed(d, norm_cache)",
        "d, grads[f\"gamma{layer}\"], grads[f\"beta{layer}\"] = layernorm_backward(d, norm_cache)",
    ],
}
# the checkpoints that prepare each BACKWARD function (each placed before it in the notebook)
CHECKPOINTS = {
    "dropout_backward": ("checkpoint_dropout",),
    "batchnorm_backward": ("checkpoint_batchnorm_staged",),
    "batchnorm_backward_closed": ("checkpoint_batchnorm_closed",),
    "layernorm_backward": ("checkpoint_layernorm",),
    "regularized_mlp_loss": ("checkpoint_hidden_layer",),
}
