"""What the 06 release must not print, and which graded functions carry the ideas."""
ASSIGNMENT = "06_experiments"
# graded functions whose job is a gradient / backward pass (the derived results)
BACKWARD = ("fixed_backward",)
# answer strings that must not appear in this release; each one is in the instructor source
# (solution code or model answer). Matching ignores all whitespace.
LEAKS = {
    "fixed_backward": ["dlogits.sum(axis=0)", "dh2 * (1 - h2 ** 2)",
                       r"\partial h_2/\partial z_2 = 1 - h_2^2",
                       "the mean divides by $N$ a second time"],
    "planted_bug_report": ['"mistake": "batch_scale"', '"mistake": "activation_derivative"',
                           '"layer": 2, "gradients": ["W1", "b1", "W2", "b2"]'],
    "checkpoint_tanh_layer": ['"dz": [[0.3, 0.96], [-2.0, 0.18]]', '"dW": [[-5.7, 1.5], [2.6, 1.74]]',
                              '"db": [-1.7, 1.14]'],
    "checkpoint_precision_recall": ["[[2 / 3, 2 / 5, 0.0]", "[2 / 2, 2 / 3, 0.0]"],
    # the answer lines the visible-test hints used to hand over
    "confusion_matrix": ["np.add.at(", "np.add.at(matrix"],
    "precision_recall": ["where=predicted > 0", "out=np.zeros(num_classes), where=",
                         "np.divide(true_positives"],
}
# the checkpoints that prepare each graded function (each placed before it in the notebook)
CHECKPOINTS = {
    "fixed_backward": ("checkpoint_tanh_layer",),
    "precision_recall": ("checkpoint_precision_recall",),
}
