"""What the 05 release must not print, and which graded functions carry the ideas.

05 grades no gradient: its results are the update rules' behaviour. So BACKWARD is empty, and
LEAKS guards each rule's answer lines (the code of the solution and the LaTeX of the model
answers that derive them); the release states only the ideas in words (a decaying velocity,
moving averages of g and g**2, a bias to be corrected) and the hyperparameters.
"""

ASSIGNMENT = "05_optimizers"

# graded functions whose job is a gradient / backward pass (the derived results): none in 05
BACKWARD = ()

LEAKS = {
    # the contract's answer line, once given in the visible tests' hints and the introduction
    "sgd": ["config = {} if config is None else dict(config)"],
    "sgd_momentum": [
        'config["momentum"] * velocity - config["learning_rate"] * dw',
        "return w + velocity, config",
        "v = momentum * v - learning_rate * dw",
        r"v_{t+1} = \mu\, v_t - \eta\, g_t",
        r"w_{t+1} = w_t + v_{t+1}",
        r"v_{t+1} = -\eta \sum_{k=0}^{t} \mu^{t-k} g_k",
        r"-\frac{\eta}{1 - \mu}\, g",
    ],
    "rmsprop": [
        'config["decay_rate"] * cache + (1 - config["decay_rate"]) * dw * dw',
        'dw / (np.sqrt(cache) + config["epsilon"])',
        "cache = decay_rate * cache + (1 - decay_rate) * dw**2",
        r"s_t = \rho\, s_{t-1} + (1 - \rho)\, g_t^2",
        r"\frac{g_t}{\sqrt{s_t} + \varepsilon}",
        r"s_t = (1 - \rho^t)\, g^2",
        r"\frac{\eta}{\sqrt{1 - \rho^t}}",
    ],
    "adam": [
        "m / (1 - beta1 ** t)",
        "v / (1 - beta2 ** t)",
        'm_hat / (np.sqrt(v_hat) + config["epsilon"])',
        r"m_t = \beta_1 m_{t-1} + (1 - \beta_1)\, g_t",
        r"\hat m_t = \frac{m_t}{1 - \beta_1^t}",
        r"\hat v_t = \frac{v_t}{1 - \beta_2^t}",
        r"(1 - \beta_1^t)\, \bar g",
        r"\eta\, \mathrm{sign}(g)",
    ],
}

# the checkpoints that prepare each rule (each placed before it in the notebook)
CHECKPOINTS = {
    "sgd_momentum": ("checkpoint_momentum_steps",),
    "rmsprop": ("checkpoint_rmsprop_cache",),
    "adam": ("checkpoint_adam_steps",),
}
