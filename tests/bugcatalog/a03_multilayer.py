"""Bugs and valid alternatives for 03_multilayer.

Entries replace one graded function in the solution notebook's namespace; the others stay
the solution's. So an entry receives caches made by the solution's forward passes: every
activation layer caches its output, and mlp_forward caches, per layer,
``(linear_cache, activation_cache, activation_name)`` with 02's opaque linear cache.
Entries that need 02's layers import them from ``provided`` when called (the catalog test
runs them from the assignment folder, as the notebook does).

ReLU and "the output mask instead of the input mask": since relu(x) > 0 exactly when x > 0
(zero included, as relu'(0) = 0), a mask computed from the output equals the one from the
input for every x. The solution caches the output; caching the input is listed below as a
valid alternative, not as a bug. The real bug in that family is multiplying ``dout`` by the
activation *value* instead of the 0/1 mask (``relu_backward_times_activation_value``).
"""

import numpy as np

from .registry import alternative, bug

ASSIGNMENT = "03_multilayer"


# ---------------------------------------------------------------- helpers (correct pieces)

def _sigmoid(x):
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1, z) / (1 + z)


_FORWARD = {"relu": lambda x: np.maximum(x, 0), "sigmoid": _sigmoid, "tanh": np.tanh}
_BACKWARD = {  # from the cached output a = f(x)
    "relu": lambda dout, a: dout * (a > 0),
    "sigmoid": lambda dout, a: dout * a * (1 - a),
    "tanh": lambda dout, a: dout * (1 - a * a),
}


def _mlp_forward(params, X, activation):
    """A correct mlp_forward with the solution's cache layout."""
    from provided import linear_forward

    num_layers = len(params) // 2
    caches, out = [], X
    for layer in range(1, num_layers + 1):
        out, linear_cache = linear_forward(out, params[f"W{layer}"], params[f"b{layer}"])
        activation_cache = None
        if layer < num_layers:
            out = _FORWARD[activation](out)
            activation_cache = out
        caches.append((linear_cache, activation_cache, activation))
    return out, caches


def _mlp_backward(dlogits, caches):
    from provided import linear_backward

    grads, dout = {}, dlogits
    for layer in range(len(caches), 0, -1):
        linear_cache, activation_cache, activation = caches[layer - 1]
        if activation_cache is not None:
            dout = _BACKWARD[activation](dout, activation_cache)
        dout, grads[f"W{layer}"], grads[f"b{layer}"] = linear_backward(dout, linear_cache)
    return grads


# ---------------------------------------------------------------- relu_forward

@bug("relu_forward", "np.max(x, 0) instead of np.maximum(x, 0): reduces over axis 0")
def relu_forward_np_max(x):
    out = np.max(x, 0)
    return out, out


@bug("relu_forward", "zeroes the negatives in place: modifies the caller's x")
def relu_forward_in_place(x):
    x[x < 0] = 0
    return x, x


@bug("relu_forward", "builds the output with np.zeros(x.shape): float64 for float32 input")
def relu_forward_float64(x):
    out = np.zeros(x.shape)
    out[x > 0] = x[x > 0]
    return out, out


@bug("relu_forward", "leaky ReLU (0.01 x for x < 0) where plain ReLU was asked for")
def relu_forward_leaky(x):
    out = np.where(x > 0, x, 0.01 * x)
    return out, out


@alternative("relu_forward", "x * (x > 0): the same values (and -0.0 for negatives, which equals 0)")
def relu_forward_mask_product(x):
    out = x * (x > 0)
    return out, out


@alternative("relu_forward", "caches the input x instead of the output: the mask x > 0 equals out > 0")
def relu_forward_caches_input(x):
    return np.maximum(x, 0), x


@alternative("relu_forward", "np.clip(x, 0, None)")
def relu_forward_clip(x):
    out = np.clip(x, 0, None)
    return out, out


# ---------------------------------------------------------------- relu_backward

@bug("relu_backward", "multiplies dout by the activation value instead of the 0/1 mask")
def relu_backward_times_activation_value(dout, cache):
    return dout * cache


@bug("relu_backward", "mask x >= 0: the derivative at exactly 0 becomes 1")
def relu_backward_mask_at_zero(dout, cache):
    return dout * (cache >= 0)


@bug("relu_backward", "dx = dout; dx[mask] = 0 without a copy: overwrites the caller's dout")
def relu_backward_in_place(dout, cache):
    dx = dout
    dx[cache <= 0] = 0
    return dx


@bug("relu_backward", "returns the mask alone, forgetting the upstream gradient dout")
def relu_backward_forgets_dout(dout, cache):
    return (cache > 0).astype(dout.dtype)


@bug("relu_backward", "builds dx with np.zeros(shape): float64 for float32 input")
def relu_backward_float64(dout, cache):
    dx = np.zeros(dout.shape)
    dx[cache > 0] = dout[cache > 0]
    return dx


@alternative("relu_backward", "np.where(mask, dout, 0)")
def relu_backward_where(dout, cache):
    return np.where(cache > 0, dout, 0)


@alternative("relu_backward", "copy dout, then zero the blocked entries in the copy")
def relu_backward_copy_then_mask(dout, cache):
    dx = dout.copy()
    dx[cache <= 0] = 0
    return dx


# ---------------------------------------------------------------- sigmoid_forward

@bug("sigmoid_forward", "exp(x) / (1 + exp(x)): inf / inf = nan for large positive x")
def sigmoid_forward_exp_ratio(x):
    e = np.exp(x)
    out = e / (1 + e)
    return out, out


@bug("sigmoid_forward", "1 / (1 + exp(-x)): exp overflows (RuntimeWarning) for large negative x")
def sigmoid_forward_naive(x):
    out = 1 / (1 + np.exp(-x))
    return out, out


@bug("sigmoid_forward", "np.where between the two formulas: both are evaluated, so exp still overflows")
def sigmoid_forward_where_both_branches(x):
    out = np.where(x >= 0, 1 / (1 + np.exp(-x)), np.exp(x) / (1 + np.exp(x)))
    return out, out


@bug("sigmoid_forward", "stable by masks, but the output array is np.empty(x.shape): float64")
def sigmoid_forward_float64(x):
    out = np.empty(x.shape)
    positive = x >= 0
    out[positive] = 1 / (1 + np.exp(-x[positive]))
    e = np.exp(x[~positive])
    out[~positive] = e / (1 + e)
    return out, out


@alternative("sigmoid_forward", "exp(-logaddexp(0, -x)): stable, one extra transcendental")
def sigmoid_forward_logaddexp(x):
    out = np.exp(-np.logaddexp(0, -x))
    return out, out


@alternative("sigmoid_forward", "stable by masks into np.empty_like(x), which keeps the dtype")
def sigmoid_forward_masks(x):
    out = np.empty_like(x)
    positive = x >= 0
    out[positive] = 1 / (1 + np.exp(-x[positive]))
    e = np.exp(x[~positive])
    out[~positive] = e / (1 + e)
    return out, out


@alternative("sigmoid_forward", "0.5 * (1 + tanh(x / 2)): the same function, no overflow; tiny "
             "outputs (x < -30) lose relative precision but are right to machine epsilon in "
             "absolute terms, which is what a network sees")
def sigmoid_forward_via_tanh(x):
    out = 0.5 * (1 + np.tanh(0.5 * x))
    return out, out


# ---------------------------------------------------------------- sigmoid_backward

@bug("sigmoid_backward", "applies the sigmoid to the cached output again: sigma(s)(1 - sigma(s))")
def sigmoid_backward_sigmoid_twice(dout, cache):
    s = 1 / (1 + np.exp(-cache))
    return dout * s * (1 - s)


@bug("sigmoid_backward", "returns s (1 - s), forgetting the upstream gradient dout")
def sigmoid_backward_forgets_dout(dout, cache):
    return cache * (1 - cache)


@bug("sigmoid_backward", "tanh's derivative 1 - s^2 copied into the sigmoid")
def sigmoid_backward_tanh_formula(dout, cache):
    return dout * (1 - cache * cache)


@bug("sigmoid_backward", "dout *= s * (1 - s): modifies the caller's dout")
def sigmoid_backward_in_place(dout, cache):
    dout *= cache * (1 - cache)
    return dout


@alternative("sigmoid_backward", "one temporary, updated in place (it is a fresh array)")
def sigmoid_backward_fresh_in_place(dout, cache):
    dx = 1 - cache
    dx *= cache
    dx *= dout
    return dx


@alternative("sigmoid_backward", "dout * (s - s^2)")
def sigmoid_backward_expanded(dout, cache):
    return dout * (cache - cache * cache)


# ---------------------------------------------------------------- tanh_forward

@bug("tanh_forward", "(e^x - e^-x) / (e^x + e^-x): inf / inf = nan for large |x|")
def tanh_forward_exp_formula(x):
    out = (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))
    return out, out


@bug("tanh_forward", "the wrong identity tanh(x) = 2 sigma(x) - 1 (it is 2 sigma(2x) - 1)")
def tanh_forward_wrong_identity(x):
    z = np.exp(-np.abs(x))
    out = 2 * (np.where(x >= 0, 1, z) / (1 + z)) - 1
    return out, out


@bug("tanh_forward", "np.tanh(x, out=x): overwrites the caller's x")
def tanh_forward_in_place(x):
    out = np.tanh(x, out=x)
    return out, out


@alternative("tanh_forward", "2 sigma(2x) - 1 with a stable sigmoid")
def tanh_forward_via_sigmoid(x):
    z = np.exp(-2 * np.abs(x))
    out = 2 * (np.where(x >= 0, 1, z) / (1 + z)) - 1
    return out, out


@alternative("tanh_forward", "sign(x) (1 - e^{-2|x|}) / (1 + e^{-2|x|}): only non-positive exponents")
def tanh_forward_stable_exp(x):
    z = np.exp(-2 * np.abs(x))
    out = np.sign(x) * (1 - z) / (1 + z)
    return out, out


# ---------------------------------------------------------------- tanh_backward

@bug("tanh_backward", "applies tanh to the cached output again: 1 - tanh(t)^2")
def tanh_backward_tanh_twice(dout, cache):
    return dout * (1 - np.tanh(cache) ** 2)


@bug("tanh_backward", "the sigmoid's derivative t (1 - t) copied into tanh")
def tanh_backward_sigmoid_formula(dout, cache):
    return dout * cache * (1 - cache)


@bug("tanh_backward", "dout *= 1 - t^2: modifies the caller's dout")
def tanh_backward_in_place(dout, cache):
    dout *= 1 - cache * cache
    return dout


@bug("tanh_backward", "returns 1 - t^2, forgetting the upstream gradient dout")
def tanh_backward_forgets_dout(dout, cache):
    return 1 - cache * cache


@alternative("tanh_backward", "dout * (1 - t) * (1 + t)")
def tanh_backward_factored(dout, cache):
    return dout * (1 - cache) * (1 + cache)


# ---------------------------------------------------------------- mlp_forward

@bug("mlp_forward", "applies the activation after the last layer too (to the logits)")
def mlp_forward_activation_on_logits(params, X, activation="relu"):
    from provided import linear_forward

    num_layers = len(params) // 2
    caches, out = [], X
    for layer in range(1, num_layers + 1):
        out, linear_cache = linear_forward(out, params[f"W{layer}"], params[f"b{layer}"])
        out = _FORWARD[activation](out)
        caches.append((linear_cache, out if layer < num_layers else None, activation))
    return out, caches


@bug("mlp_forward", "ignores the activation argument: always ReLU")
def mlp_forward_always_relu(params, X, activation="relu"):
    return _mlp_forward(params, X, "relu")


@bug("mlp_forward", "hard-codes a network with two hidden layers (W1..W3)")
def mlp_forward_three_layers_only(params, X, activation="relu"):
    from provided import linear_forward

    caches, out = [], X
    for layer in (1, 2, 3):
        out, linear_cache = linear_forward(out, params[f"W{layer}"], params[f"b{layer}"])
        activation_cache = None
        if layer < 3:
            out = activation_cache = _FORWARD[activation](out)
        caches.append((linear_cache, activation_cache, activation))
    return out, caches


@bug("mlp_forward", "X = np.asarray(X, dtype=float) first: float64 logits for float32 input")
def mlp_forward_float64(params, X, activation="relu"):
    X = np.asarray(X, dtype=float)
    params = {key: np.asarray(value, dtype=float) for key, value in params.items()}
    return _mlp_forward(params, X, activation)


@bug("mlp_forward", "forgets the bias of the last layer")
def mlp_forward_no_last_bias(params, X, activation="relu"):
    last = len(params) // 2
    return _mlp_forward({**params, f"b{last}": np.zeros_like(params[f"b{last}"])}, X, activation)


@alternative("mlp_forward", "counts layers by looking up W1, W2, ... until one is missing; if/elif activations")
def mlp_forward_while_loop(params, X, activation="relu"):
    from provided import linear_forward

    layers = 0
    while f"W{layers + 1}" in params:
        layers += 1
    caches, out = [], X
    for layer in range(1, layers + 1):
        out, linear_cache = linear_forward(out, params[f"W{layer}"], params[f"b{layer}"])
        activation_cache = None
        if layer != layers:
            if activation == "relu":
                out = np.maximum(out, 0)
            elif activation == "sigmoid":
                out = _sigmoid(out)
            elif activation == "tanh":
                out = np.tanh(out)
            else:
                raise ValueError(f"unknown activation {activation!r}")
            activation_cache = out
        caches.append((linear_cache, activation_cache, activation))
    return out, caches


# ---------------------------------------------------------------- mlp_backward

@bug("mlp_backward", "grads keyed by layer index off by one: W0, b0 for the first layer")
def mlp_backward_keys_off_by_one(dlogits, caches):
    grads = _mlp_backward(dlogits, caches)
    L = len(caches)
    return {f"{kind}{layer - 1}": grads[f"{kind}{layer}"] for layer in range(1, L + 1) for kind in "Wb"}


@bug("mlp_backward", "every layer's gradient stored under the next layer's name (loop index off by one)")
def mlp_backward_shifted_names(dlogits, caches):
    from provided import linear_backward

    grads, dout = {}, dlogits
    L = len(caches)
    for layer in range(L, 0, -1):
        linear_cache, activation_cache, activation = caches[layer - 1]
        if activation_cache is not None:
            dout = _BACKWARD[activation](dout, activation_cache)
        dout, dW, db = linear_backward(dout, linear_cache)
        name = layer % L + 1   # the last layer wraps around to 1
        grads[f"W{name}"], grads[f"b{name}"] = dW, db
    return grads


@bug("mlp_backward", "ignores the stored activation name: always ReLU's derivative")
def mlp_backward_always_relu(dlogits, caches):
    return _mlp_backward(dlogits, [(lin, act, "relu") for lin, act, _ in caches])


@bug("mlp_backward", "skips the activation derivative (treats the network as linear)")
def mlp_backward_no_activation(dlogits, caches):
    from provided import linear_backward

    grads, dout = {}, dlogits
    for layer in range(len(caches), 0, -1):
        linear_cache, _, _ = caches[layer - 1]
        dout, grads[f"W{layer}"], grads[f"b{layer}"] = linear_backward(dout, linear_cache)
    return grads


@bug("mlp_backward", "divides by the batch size again (dlogits already has the 1/N)")
def mlp_backward_mean_twice(dlogits, caches):
    return _mlp_backward(dlogits / dlogits.shape[0], caches)


@bug("mlp_backward", "turns the cached activation into a 0/1 mask in place: modifies the caches")
def mlp_backward_mutates_cache(dlogits, caches):
    from provided import linear_backward

    grads, dout = {}, dlogits
    for layer in range(len(caches), 0, -1):
        linear_cache, activation_cache, activation = caches[layer - 1]
        if activation_cache is not None:
            if activation == "relu":
                mask = activation_cache
                mask[mask > 0] = 1
                dout = dout * mask
            else:
                dout = _BACKWARD[activation](dout, activation_cache)
        dout, grads[f"W{layer}"], grads[f"b{layer}"] = linear_backward(dout, linear_cache)
    return grads


@alternative("mlp_backward", "walks reversed(list(enumerate(caches, 1))) with if/elif activations")
def mlp_backward_enumerate(dlogits, caches):
    from provided import linear_backward

    grads, dout = {}, dlogits
    for layer, (linear_cache, a, activation) in reversed(list(enumerate(caches, start=1))):
        if a is not None:
            if activation == "relu":
                dout = np.where(a > 0, dout, 0)
            elif activation == "sigmoid":
                dout = dout * (a - a * a)
            else:
                dout = dout * (1 - a) * (1 + a)
        dx, dW, db = linear_backward(dout, linear_cache)
        grads[f"W{layer}"] = dW
        grads[f"b{layer}"] = db
        dout = dx
    return grads


# ---------------------------------------------------------------- mlp_loss

def _cross_entropy(logits, y):
    from provided import softmax_cross_entropy

    return softmax_cross_entropy(logits, y)


@bug("mlp_loss", "weight decay in the loss but missing from the gradient")
def mlp_loss_decay_not_in_gradient(params, X, y, activation="relu", weight_decay=0.0):
    logits, caches = _mlp_forward(params, X, activation)
    loss, dlogits = _cross_entropy(logits, y)
    grads = _mlp_backward(dlogits, caches)
    loss += 0.5 * weight_decay * sum(float(np.sum(W * W)) for k, W in params.items() if k[0] == "W")
    return loss, grads


@bug("mlp_loss", "weight decay applied to the biases too")
def mlp_loss_decays_biases(params, X, y, activation="relu", weight_decay=0.0):
    logits, caches = _mlp_forward(params, X, activation)
    loss, dlogits = _cross_entropy(logits, y)
    grads = _mlp_backward(dlogits, caches)
    for name, value in params.items():
        loss += 0.5 * weight_decay * float(np.sum(value * value))
        grads[name] = grads[name] + weight_decay * value
    return loss, grads


@bug("mlp_loss", "penalty weight_decay * sum(W^2) (no 1/2) with gradient weight_decay * W")
def mlp_loss_decay_without_half(params, X, y, activation="relu", weight_decay=0.0):
    logits, caches = _mlp_forward(params, X, activation)
    loss, dlogits = _cross_entropy(logits, y)
    grads = _mlp_backward(dlogits, caches)
    for name, value in params.items():
        if name.startswith("W"):
            loss += weight_decay * float(np.sum(value * value))
            grads[name] = grads[name] + weight_decay * value
    return loss, grads


@bug("mlp_loss", "calls mlp_forward without passing the activation (always ReLU)")
def mlp_loss_ignores_activation(params, X, y, activation="relu", weight_decay=0.0):
    logits, caches = _mlp_forward(params, X, "relu")
    loss, dlogits = _cross_entropy(logits, y)
    grads = _mlp_backward(dlogits, caches)
    for name, value in params.items():
        if name.startswith("W"):
            loss += 0.5 * weight_decay * float(np.sum(value * value))
            grads[name] = grads[name] + weight_decay * value
    return loss, grads


@bug("mlp_loss", "its own cross-entropy, summed over the batch instead of averaged")
def mlp_loss_summed(params, X, y, activation="relu", weight_decay=0.0):
    logits, caches = _mlp_forward(params, X, activation)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(len(y))
    loss = -float(np.sum(log_probs[rows, y]))
    dlogits = np.exp(log_probs)
    dlogits[rows, y] -= 1
    grads = _mlp_backward(dlogits, caches)
    for name, value in params.items():
        if name.startswith("W"):
            loss += 0.5 * weight_decay * float(np.sum(value * value))
            grads[name] = grads[name] + weight_decay * value
    return loss, grads


@bug("mlp_loss", "weight decay term divided by the batch size, like the data term")
def mlp_loss_decay_per_example(params, X, y, activation="relu", weight_decay=0.0):
    logits, caches = _mlp_forward(params, X, activation)
    loss, dlogits = _cross_entropy(logits, y)
    grads = _mlp_backward(dlogits, caches)
    N = len(y)
    for name, value in params.items():
        if name.startswith("W"):
            loss += 0.5 * weight_decay * float(np.sum(value * value)) / N
            grads[name] = grads[name] + weight_decay * value / N
    return loss, grads


@alternative("mlp_loss", "the penalty as one sum over the weights, gradients by a dict comprehension")
def mlp_loss_comprehension(params, X, y, activation="relu", weight_decay=0.0):
    logits, caches = _mlp_forward(params, X, activation)
    data_loss, dlogits = _cross_entropy(logits, y)
    grads = _mlp_backward(dlogits, caches)
    weights = [name for name in params if name.startswith("W")]
    penalty = 0.5 * weight_decay * sum(np.sum(params[name] ** 2) for name in weights)
    grads = {name: grads[name] + weight_decay * params[name] if name in weights else grads[name]
             for name in grads}
    return data_loss + float(penalty), grads
