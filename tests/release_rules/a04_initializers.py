"""What the 04 release must not print, and which graded functions carry the ideas."""
ASSIGNMENT = "04_initializers"
# no graded function of 04 is a gradient: its derived results are the initializer scales
BACKWARD = ()
# the answer strings of the derived scales (and of the variance equation they come from), which
# must not appear in this release; each one is in the instructor source (solution code, model
# answer, or a hidden test). Matching ignores all whitespace.
LEAKS = {
    "xavier_uniform": ["np.sqrt(6.0 / (fan_in + fan_out))", "sqrt(6 / (fan_in + fan_out))",
                       r"a = \sqrt{6/(n_\text{in} + n_\text{out})}",
                       r"\operatorname{Var}[W] = \frac{2}{n_\text{in} + n_\text{out}}"],
    "xavier_normal": ["rng.normal(0.0, np.sqrt(2.0 / (fan_in + fan_out))",
                      "sqrt(2 / (fan_in + fan_out))",
                      r"\mathcal{N}(0, 2/(n_\text{in} + n_\text{out}))"],
    "he_uniform": ["np.sqrt(6.0 / fan_in)", "sqrt(6 / fan_in)", r"a = \sqrt{6/n_\text{in}}"],
    "he_normal": ["np.sqrt(2.0 / fan_in)", "sqrt(2 / fan_in)", r"\mathcal{N}(0, 2/n_\text{in})",
                  r"\operatorname{Var}[W] = \frac{2}{n_\text{in}}"],
    # the two derivations the scales rest on: equation (1) and the variance of U(-a, a)
    "checkpoint_preactivation_variance": [
        r"= n_\text{in}\, \mathbb{E}[h^2]\, \operatorname{Var}[W]",
        "n_in * (var_h + mean_h ** 2) * var_w",
        r"\tfrac12 n_\text{in}\operatorname{Var}[W]"],
    "checkpoint_xavier_scales": [r"\frac{w^2}{2a}\,dw = \frac{a^2}{3}",
                                 r"a = \sqrt{3 \operatorname{Var}[W]}", "(3 / 100) ** 0.5"],
    "checkpoint_he_scales": ["[0.2, (12 / 100) ** 0.5]", "scales(2 / fan_in)"],
}
# the checkpoints that prepare each graded initializer (each placed before it in the notebook)
CHECKPOINTS = {
    "xavier_uniform": ("checkpoint_preactivation_variance", "checkpoint_xavier_scales"),
    "xavier_normal": ("checkpoint_preactivation_variance", "checkpoint_xavier_scales"),
    "he_uniform": ("checkpoint_preactivation_variance", "checkpoint_he_scales"),
    "he_normal": ("checkpoint_preactivation_variance", "checkpoint_he_scales"),
}
