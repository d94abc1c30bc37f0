"""What the 01 release must not print, and which graded functions carry the ideas."""
ASSIGNMENT = "01_derivatives"
# graded functions whose job is a derivative (the derived results)
BACKWARD = ("sigmoid_grad", "tanh_grad", "relu_grad", "softmax_cross_entropy_grad")
# for every BACKWARD function: answer strings that must not appear in this release; each one is
# in the instructor source (solution code, model answer, or a hidden test's hint). Matching
# ignores all whitespace.
LEAKS = {
    "sigmoid_grad": ["s * (1 - s)", r"\sigma'(x) = \sigma(x)\,(1-\sigma(x))",
                     r"\frac{e^{-x}}{1+e^{-x}} = 1-\sigma(x)", "s(1-s)"],
    "tanh_grad": ["1 - t * t", r"= 1 - \tanh^2 x", r"$1 - \tanh^2 x$",
                  r"\frac{\cosh^2 x - \sinh^2 x}{\cosh^2 x}"],
    "relu_grad": ["(x > 0).astype(x.dtype)", "exactly 1 for x > 0 and exactly 0 for x <= 0",
                  "1 for x > 0"],
    "softmax_cross_entropy_grad": [
        "(p - Y) / N", "(P - Y)/N", r"\frac{\partial \ell}{\partial z} = p - Y",
        "grad[np.arange(N), y] -= 1", r"p_j\,\big([j = k] - p_k\big)",
        r"\operatorname{diag}(p) - p\,p^\top"],
    # the checkpoints' own numbers, as the solutions write them
    "checkpoint_activation_grads": ["[3 / 16, 1 / 4, 3 / 16]", "[0.36, 1.0, 0.36]"],
    "checkpoint_softmax_jacobian": ["[3 / 16, -1 / 16, -1 / 8]", "[-1 / 8, -1 / 8, 1 / 4]"],
    "checkpoint_softmax_cross_entropy_grad": ["[1 / 8, 1 / 8, -1 / 4]", "[0.3, -0.4, 0.1]"],
}
# the checkpoints that prepare each BACKWARD function (each placed before it in the notebook)
CHECKPOINTS = {
    "sigmoid_grad": ("checkpoint_activation_grads",),
    "tanh_grad": ("checkpoint_activation_grads",),
    "relu_grad": ("checkpoint_activation_grads",),
    "softmax_cross_entropy_grad": ("checkpoint_softmax_jacobian",
                                   "checkpoint_softmax_cross_entropy_grad"),
}
