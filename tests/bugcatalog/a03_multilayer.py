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

@bug("relu_forward", "np.max(x, 0) instead of np.maximum(x, 0): reduces over axis 0",
     diagnosis='elementwise')
def relu_forward_np_max(x):
    out = np.max(x, 0)
    return out, out


@bug("relu_forward", "zeroes the negatives in place: modifies the caller's x",
     diagnosis='in place')
def relu_forward_in_place(x):
    x[x < 0] = 0
    return x, x


@bug("relu_forward", "builds the output with np.zeros(x.shape): float64 for float32 input",
     diagnosis='dtype')
def relu_forward_float64(x):
    out = np.zeros(x.shape)
    out[x > 0] = x[x > 0]
    return out, out


@bug("relu_forward", "leaky ReLU (0.01 x for x < 0) where plain ReLU was asked for",
     diagnosis='leaky')
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

@bug("relu_backward", "multiplies dout by the activation value instead of the 0/1 mask",
     diagnosis='slope')
def relu_backward_times_activation_value(dout, cache):
    return dout * cache


@bug("relu_backward", "mask x >= 0: the derivative at exactly 0 becomes 1",
     diagnosis="relu'(0) = 0")
def relu_backward_mask_at_zero(dout, cache):
    return dout * (cache >= 0)


@bug("relu_backward", "dx = dout; dx[mask] = 0 without a copy: overwrites the caller's dout",
     diagnosis='in place')
def relu_backward_in_place(dout, cache):
    dx = dout
    dx[cache <= 0] = 0
    return dx


@bug("relu_backward", "returns the mask alone, forgetting the upstream gradient dout",
     diagnosis='local derivative alone')
def relu_backward_forgets_dout(dout, cache):
    return (cache > 0).astype(dout.dtype)


@bug("relu_backward", "builds dx with np.zeros(shape): float64 for float32 input",
     diagnosis='dtype')
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

@bug("sigmoid_forward", "exp(x) / (1 + exp(x)): inf / inf = nan for large positive x",
     diagnosis='overflow')
def sigmoid_forward_exp_ratio(x):
    e = np.exp(x)
    out = e / (1 + e)
    return out, out


@bug("sigmoid_forward", "1 / (1 + exp(-x)): exp overflows (RuntimeWarning) for large negative x",
     diagnosis='overflow')
def sigmoid_forward_naive(x):
    out = 1 / (1 + np.exp(-x))
    return out, out


@bug("sigmoid_forward", "np.where between the two formulas: both are evaluated, so exp still overflows",
     diagnosis='evaluates both')
def sigmoid_forward_where_both_branches(x):
    out = np.where(x >= 0, 1 / (1 + np.exp(-x)), np.exp(x) / (1 + np.exp(x)))
    return out, out


@bug("sigmoid_forward", "stable by masks, but the output array is np.empty(x.shape): float64",
     diagnosis='dtype')
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

@bug("sigmoid_backward", "applies the sigmoid to the cached output again: sigma(s)(1 - sigma(s))",
     diagnosis='applied twice')
def sigmoid_backward_sigmoid_twice(dout, cache):
    s = 1 / (1 + np.exp(-cache))
    return dout * s * (1 - s)


@bug("sigmoid_backward", "returns s (1 - s), forgetting the upstream gradient dout",
     diagnosis='local derivative alone')
def sigmoid_backward_forgets_dout(dout, cache):
    return cache * (1 - cache)


@bug("sigmoid_backward", "tanh's derivative 1 - s^2 copied into the sigmoid",
     diagnosis="tanh's derivative")
def sigmoid_backward_tanh_formula(dout, cache):
    return dout * (1 - cache * cache)


@bug("sigmoid_backward", "dout *= s * (1 - s): modifies the caller's dout",
     diagnosis='in place')
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

@bug("tanh_forward", "(e^x - e^-x) / (e^x + e^-x): inf / inf = nan for large |x|",
     diagnosis='overflow')
def tanh_forward_exp_formula(x):
    out = (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))
    return out, out


@bug("tanh_forward", "the wrong identity tanh(x) = 2 sigma(x) - 1 (it is 2 sigma(2x) - 1)",
     diagnosis='tanh(x/2)')
def tanh_forward_wrong_identity(x):
    z = np.exp(-np.abs(x))
    out = 2 * (np.where(x >= 0, 1, z) / (1 + z)) - 1
    return out, out


@bug("tanh_forward", "np.tanh(x, out=x): overwrites the caller's x",
     diagnosis='in place')
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

@bug("tanh_backward", "applies tanh to the cached output again: 1 - tanh(t)^2",
     diagnosis='applied twice')
def tanh_backward_tanh_twice(dout, cache):
    return dout * (1 - np.tanh(cache) ** 2)


@bug("tanh_backward", "the sigmoid's derivative t (1 - t) copied into tanh",
     diagnosis="sigmoid's derivative")
def tanh_backward_sigmoid_formula(dout, cache):
    return dout * cache * (1 - cache)


@bug("tanh_backward", "dout *= 1 - t^2: modifies the caller's dout",
     diagnosis='in place')
def tanh_backward_in_place(dout, cache):
    dout *= 1 - cache * cache
    return dout


@bug("tanh_backward", "returns 1 - t^2, forgetting the upstream gradient dout",
     diagnosis='local derivative alone')
def tanh_backward_forgets_dout(dout, cache):
    return 1 - cache * cache


@alternative("tanh_backward", "dout * (1 - t) * (1 + t)")
def tanh_backward_factored(dout, cache):
    return dout * (1 - cache) * (1 + cache)


# ---------------------------------------------------------------- mlp_forward

@bug("mlp_forward", "applies the activation after the last layer too (to the logits)",
     diagnosis='no activation after the last layer')
def mlp_forward_activation_on_logits(params, X, activation="relu"):
    from provided import linear_forward

    num_layers = len(params) // 2
    caches, out = [], X
    for layer in range(1, num_layers + 1):
        out, linear_cache = linear_forward(out, params[f"W{layer}"], params[f"b{layer}"])
        out = _FORWARD[activation](out)
        caches.append((linear_cache, out if layer < num_layers else None, activation))
    return out, caches


@bug("mlp_forward", "ignores the activation argument: always ReLU",
     diagnosis='activation argument')
def mlp_forward_always_relu(params, X, activation="relu"):
    return _mlp_forward(params, X, "relu")


@bug("mlp_forward", "hard-codes a network with two hidden layers (W1..W3)",
     diagnosis='number of layers')
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


@bug("mlp_forward", "X = np.asarray(X, dtype=float) first: float64 logits for float32 input",
     diagnosis='dtype')
def mlp_forward_float64(params, X, activation="relu"):
    X = np.asarray(X, dtype=float)
    params = {key: np.asarray(value, dtype=float) for key, value in params.items()}
    return _mlp_forward(params, X, activation)


@bug("mlp_forward", "forgets the bias of the last layer",
     diagnosis='bias')
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

@bug("mlp_backward", "grads keyed by layer index off by one: W0, b0 for the first layer",
     diagnosis='numbered from 1')
def mlp_backward_keys_off_by_one(dlogits, caches):
    grads = _mlp_backward(dlogits, caches)
    L = len(caches)
    return {f"{kind}{layer - 1}": grads[f"{kind}{layer}"] for layer in range(1, L + 1) for kind in "Wb"}


@bug("mlp_backward", "every layer's gradient stored under the next layer's name (loop index off by one)",
     diagnosis='another layer')
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


@bug("mlp_backward", "ignores the stored activation name: always ReLU's derivative",
     diagnosis='stored activation')
def mlp_backward_always_relu(dlogits, caches):
    return _mlp_backward(dlogits, [(lin, act, "relu") for lin, act, _ in caches])


@bug("mlp_backward", "skips the activation derivative (treats the network as linear)",
     diagnosis="without the activation's derivative")
def mlp_backward_no_activation(dlogits, caches):
    from provided import linear_backward

    grads, dout = {}, dlogits
    for layer in range(len(caches), 0, -1):
        linear_cache, _, _ = caches[layer - 1]
        dout, grads[f"W{layer}"], grads[f"b{layer}"] = linear_backward(dout, linear_cache)
    return grads


@bug("mlp_backward", "divides by the batch size again (dlogits already has the 1/N)",
     diagnosis='batch size')
def mlp_backward_mean_twice(dlogits, caches):
    return _mlp_backward(dlogits / dlogits.shape[0], caches)


@bug("mlp_backward", "turns the cached activation into a 0/1 mask in place: modifies the caches",
     diagnosis='in place')
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


@bug("mlp_loss", "weight decay in the loss but missing from the gradient",
     diagnosis="penalty's gradient is missing")
def mlp_loss_decay_not_in_gradient(params, X, y, activation="relu", weight_decay=0.0):
    logits, caches = _mlp_forward(params, X, activation)
    loss, dlogits = _cross_entropy(logits, y)
    grads = _mlp_backward(dlogits, caches)
    loss += 0.5 * weight_decay * sum(float(np.sum(W * W)) for k, W in params.items() if k[0] == "W")
    return loss, grads


@bug("mlp_loss", "weight decay applied to the biases too",
     diagnosis='biases')
def mlp_loss_decays_biases(params, X, y, activation="relu", weight_decay=0.0):
    logits, caches = _mlp_forward(params, X, activation)
    loss, dlogits = _cross_entropy(logits, y)
    grads = _mlp_backward(dlogits, caches)
    for name, value in params.items():
        loss += 0.5 * weight_decay * float(np.sum(value * value))
        grads[name] = grads[name] + weight_decay * value
    return loss, grads


@bug("mlp_loss", "penalty weight_decay * sum(W^2) (no 1/2) with gradient weight_decay * W",
     diagnosis='1/2')
def mlp_loss_decay_without_half(params, X, y, activation="relu", weight_decay=0.0):
    logits, caches = _mlp_forward(params, X, activation)
    loss, dlogits = _cross_entropy(logits, y)
    grads = _mlp_backward(dlogits, caches)
    for name, value in params.items():
        if name.startswith("W"):
            loss += weight_decay * float(np.sum(value * value))
            grads[name] = grads[name] + weight_decay * value
    return loss, grads


@bug("mlp_loss", "calls mlp_forward without passing the activation (always ReLU)",
     diagnosis='activation argument')
def mlp_loss_ignores_activation(params, X, y, activation="relu", weight_decay=0.0):
    logits, caches = _mlp_forward(params, X, "relu")
    loss, dlogits = _cross_entropy(logits, y)
    grads = _mlp_backward(dlogits, caches)
    for name, value in params.items():
        if name.startswith("W"):
            loss += 0.5 * weight_decay * float(np.sum(value * value))
            grads[name] = grads[name] + weight_decay * value
    return loss, grads


@bug("mlp_loss", "its own cross-entropy, summed over the batch instead of averaged",
     diagnosis='sum over the batch')
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


@bug("mlp_loss", "weight decay term divided by the batch size, like the data term",
     diagnosis='batch size')
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


@bug("mlp_loss", "returns the loss as np.float16 (to save memory): about 3 digits",
     diagnosis="is float16 but the test's inputs are float64")
def mlp_loss_float16(params, X, y, activation="relu", weight_decay=0.0):
    logits, caches = _mlp_forward(params, X, activation)
    loss, dlogits = _cross_entropy(logits, y)
    grads = _mlp_backward(dlogits, caches)
    for name, value in params.items():
        if name.startswith("W"):
            loss += 0.5 * weight_decay * float(np.sum(value * value))
            grads[name] = grads[name] + weight_decay * value
    return np.float16(loss), grads


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


# ================================================================ derive first: checkpoints
# Each checkpoint returns hand-worked numbers. The bugs are the answers a plausible slip in
# the derivation gives; the alternatives are the right numbers in other valid forms.

# ---------------------------------------------------------------- checkpoint_relu_dx

@bug("checkpoint_relu_dx", "relu'(0) = 1: the two inputs on the kink pass their gradient",
     diagnosis="relu'(0) = 0")
def checkpoint_relu_dx_kink_passes():
    return [[0.0, 2.0, 3.0], [4.0, 5.0, 0.0]]


@bug("checkpoint_relu_dx", "dout times relu's value instead of its slope",
     diagnosis="not by relu's value")
def checkpoint_relu_dx_times_value():
    return [[0.0, 0.0, 6.0], [0.0, 15.0, 0.0]]


@bug("checkpoint_relu_dx", "the local derivative alone, without dout",
     diagnosis='local derivative alone')
def checkpoint_relu_dx_mask_only():
    return [[0.0, 0.0, 1.0], [0.0, 1.0, 0.0]]


@bug("checkpoint_relu_dx", "transposed: 3 rows of 2",
     diagnosis='transposed')
def checkpoint_relu_dx_transposed():
    return [[0.0, 0.0], [0.0, 5.0], [3.0, 0.0]]


@alternative("checkpoint_relu_dx", "a NumPy array of integers")
def checkpoint_relu_dx_int_array():
    return np.array([[0, 0, 3], [0, 5, 0]])


@alternative("checkpoint_relu_dx", "a tuple of tuples")
def checkpoint_relu_dx_tuples():
    return ((0, 0.0, 3), (-0.0, 5, 0))


# ---------------------------------------------------------------- checkpoint_sigmoid_dx

@bug("checkpoint_sigmoid_dx", "the sigmoid applied twice: sigma(a)(1 - sigma(a)) with a = sigma(x)",
     diagnosis='applied twice')
def checkpoint_sigmoid_dx_twice():
    a = 1 / (1 + np.exp(-np.array([[0.0, np.log(3.0)], [-np.log(3.0), np.log(4.0)]])))
    s = 1 / (1 + np.exp(-a))
    return (np.array([[2.0, 1.0], [4.0, 5.0]]) * s * (1 - s)).tolist()


@bug("checkpoint_sigmoid_dx", "the local derivative alone, without dout",
     diagnosis='local derivative alone')
def checkpoint_sigmoid_dx_no_dout():
    return [[0.25, 0.1875], [0.1875, 0.16]]


@bug("checkpoint_sigmoid_dx", "dout times the output a instead of the derivative",
     diagnosis='dout times the output')
def checkpoint_sigmoid_dx_times_output():
    return [[1.0, 0.75], [1.0, 4.0]]


@bug("checkpoint_sigmoid_dx", "sign flipped",
     diagnosis='sign is flipped')
def checkpoint_sigmoid_dx_sign():
    return [[-0.5, -0.1875], [-0.75, -0.8]]


@alternative("checkpoint_sigmoid_dx", "fractions computed in Python: 1/2, 3/16, 3/4, 4/5")
def checkpoint_sigmoid_dx_fractions():
    return [[1 / 2, 3 / 16], [3 / 4, 4 / 5]]


# ---------------------------------------------------------------- checkpoint_tanh_dx

@bug("checkpoint_tanh_dx", "1 - a instead of 1 - a^2",
     diagnosis='squared')
def checkpoint_tanh_dx_no_square():
    return [[1.0, 0.8], [4.8, -0.2]]


@bug("checkpoint_tanh_dx", "the derivative with the input x instead of the output a",
     diagnosis='not with the input x')
def checkpoint_tanh_dx_input():
    x = np.array([[0.0, np.log(2.0)], [-np.log(2.0), np.log(3.0)]])
    return (np.array([[1.0, 2.0], [3.0, -1.0]]) * (1 - x**2)).tolist()


@bug("checkpoint_tanh_dx", "the local derivative alone, without dout",
     diagnosis='local derivative alone')
def checkpoint_tanh_dx_no_dout():
    return [[1.0, 0.64], [0.64, 0.36]]


@bug("checkpoint_tanh_dx", "1 + a^2",
     diagnosis='a sign inside the derivative')
def checkpoint_tanh_dx_plus():
    return [[1.0, 2.72], [4.08, -1.64]]


@alternative("checkpoint_tanh_dx", "a NumPy array computed from the fractions 16/25 and 9/25")
def checkpoint_tanh_dx_array():
    return np.array([[1.0, 2 * 16 / 25], [3 * 16 / 25, -9 / 25]])


# ---------------------------------------------------------------- checkpoint_mlp_dW2 / dA1

@bug("checkpoint_mlp_dW2", "transposed: dS^T A1",
     diagnosis='transposed')
def checkpoint_mlp_dW2_transposed():
    return [[1.25, 1.0], [-1.25, -1.0]]


@bug("checkpoint_mlp_dW2", "the pre-activation Z1 instead of A1 = relu(Z1)",
     diagnosis='not Z1')
def checkpoint_mlp_dW2_preactivation():
    return [[1.25, -1.25], [1.5, -1.5]]


@bug("checkpoint_mlp_dW2", "divided by N again: dS already holds the 1/N",
     diagnosis='do not divide by N again')
def checkpoint_mlp_dW2_double_mean():
    return [[0.625, -0.625], [0.5, -0.5]]


@bug("checkpoint_mlp_dW2", "sign flipped",
     diagnosis='sign is flipped')
def checkpoint_mlp_dW2_sign():
    return [[-1.25, 1.25], [-1.0, 1.0]]


@alternative("checkpoint_mlp_dW2", "exact fractions as a NumPy array: 5/4 and 1")
def checkpoint_mlp_dW2_array():
    return np.array([[5 / 4, -5 / 4], [1, -1]])


@bug("checkpoint_mlp_dA1", "dS W2 without the transpose",
     diagnosis='needs a transpose')
def checkpoint_mlp_dA1_no_transpose():
    return [[1.0, 0.5], [-0.5, -0.25]]


@bug("checkpoint_mlp_dA1", "the ReLU mask applied: that is dZ1, not dA1",
     diagnosis='that is dZ1')
def checkpoint_mlp_dA1_masked():
    return [[-0.5, -1.0], [0.25, 0.0]]


@bug("checkpoint_mlp_dA1", "sign flipped",
     diagnosis='sign is flipped')
def checkpoint_mlp_dA1_sign():
    return [[0.5, 1.0], [-0.25, -0.5]]


@bug("checkpoint_mlp_dA1", "divided by N again",
     diagnosis='do not divide by N again')
def checkpoint_mlp_dA1_double_mean():
    return [[-0.25, -0.5], [0.125, 0.25]]


@alternative("checkpoint_mlp_dA1", "a list of NumPy rows")
def checkpoint_mlp_dA1_rows():
    return [np.array([-0.5, -1.0]), np.array([0.25, 0.5])]


# ---------------------------------------------------------------- checkpoint_weight_decay

@bug("checkpoint_weight_decay", "penalty without the 1/2",
     diagnosis='factor 1/2')
def checkpoint_weight_decay_no_half():
    return {"penalty": 1.425, "dW": [[0.3, -0.2], [-0.05, 0.7]], "db": [0.5, -0.5]}


@bug("checkpoint_weight_decay", "gradient 2 lambda W: the 1/2 not cancelled",
     diagnosis='cancels the 2')
def checkpoint_weight_decay_twice():
    return {"penalty": 0.7125, "dW": [[0.4, -0.4], [0.0, 1.0]], "db": [0.5, -0.5]}


@bug("checkpoint_weight_decay", "gradient lambda/2 W",
     diagnosis='cancels the 1/2')
def checkpoint_weight_decay_half():
    return {"penalty": 0.7125, "dW": [[0.25, -0.1], [-0.075, 0.55]], "db": [0.5, -0.5]}


@bug("checkpoint_weight_decay", "the biases decayed too",
     diagnosis='biases are not penalized')
def checkpoint_weight_decay_biases():
    return {"penalty": 0.7125, "dW": [[0.3, -0.2], [-0.05, 0.7]], "db": [0.6, -0.6]}


@bug("checkpoint_weight_decay", "the penalty's gradient forgotten",
     diagnosis="penalty's gradient is missing")
def checkpoint_weight_decay_forgotten():
    return {"penalty": 0.7125, "dW": [[0.2, 0.0], [-0.1, 0.4]], "db": [0.5, -0.5]}


@alternative("checkpoint_weight_decay", "NumPy values, computed from the definition")
def checkpoint_weight_decay_computed():
    W, lam = np.array([[1.0, -2.0], [0.5, 3.0]]), 0.1
    return {"penalty": np.float64(lam / 2 * np.sum(W**2)),
            "dW": np.array([[0.2, 0.0], [-0.1, 0.4]]) + lam * W, "db": np.array([0.5, -0.5])}


# ---------------------------------------------------------------- checkpoint_softmax_steps

_SOFTMAX_STEPS = {"log_probs": [[0.0, 0.0, -0.5], [-0.5, 0.0, 0.0]],
                  "probs": [[0.0, 0.0, -0.8], [-4.0, 0.0, 0.0]],
                  "sum_exps_inv": [[-0.8], [-0.8]],
                  "sum_exps": [[0.3125], [0.3125]],
                  "exps": [[0.3125, 0.3125, -0.1875], [-2.1875, 0.3125, 0.3125]]}


@bug("checkpoint_softmax_steps", "no 1/N in dlog_probs (and so in everything after it)",
     diagnosis='mean over the N')
def checkpoint_softmax_steps_sum():
    return {key: (2 * np.array(value)).tolist() for key, value in _SOFTMAX_STEPS.items()}


@bug("checkpoint_softmax_steps", "dexps without the path through sum_exps",
     diagnosis='used twice')
def checkpoint_softmax_steps_one_path():
    return {**_SOFTMAX_STEPS, "exps": [[0.0, 0.0, -0.5], [-2.5, 0.0, 0.0]]}


@bug("checkpoint_softmax_steps", "dsum_exps = dsum_exps_inv: the derivative of 1/s forgotten",
     diagnosis='has a local derivative')
def checkpoint_softmax_steps_no_reciprocal():
    return {**_SOFTMAX_STEPS, "sum_exps": [[-0.8], [-0.8]],
            "exps": [[-0.8, -0.8, -1.3], [-3.3, -0.8, -0.8]]}


@bug("checkpoint_softmax_steps", "dexps adds dsum_exps_inv instead of dsum_exps",
     diagnosis='carries dsum_exps')
def checkpoint_softmax_steps_wrong_path():
    return {**_SOFTMAX_STEPS, "exps": [[-0.8, -0.8, -1.3], [-3.3, -0.8, -0.8]]}


@bug("checkpoint_softmax_steps", "dprobs = dlog_probs * probs",
     diagnosis='divide, do not multiply')
def checkpoint_softmax_steps_times_p():
    return {**_SOFTMAX_STEPS, "probs": [[0.0, 0.0, -0.3125], [-0.0625, 0.0, 0.0]]}


@bug("checkpoint_softmax_steps", "dsum_exps_inv not summed over the row: shape (2, 3)",
     diagnosis='broadcast')
def checkpoint_softmax_steps_not_summed():
    return {**_SOFTMAX_STEPS, "sum_exps_inv": [[0.0, 0.0, -0.8], [-0.8, 0.0, 0.0]]}


@alternative("checkpoint_softmax_steps", "exact fractions as NumPy arrays (5/16, -3/16, -35/16)")
def checkpoint_softmax_steps_fractions():
    return {"log_probs": np.array([[0, 0, -1 / 2], [-1 / 2, 0, 0]]),
            "probs": np.array([[0, 0, -4 / 5], [-4, 0, 0]]),
            "sum_exps_inv": np.array([[-4 / 5], [-4 / 5]]),
            "sum_exps": np.array([[5 / 16], [5 / 16]]),
            "exps": np.array([[5 / 16, 5 / 16, -3 / 16], [-35 / 16, 5 / 16, 5 / 16]])}


# ---------------------------------------------------------------- checkpoint_max_shift

@bug("checkpoint_max_shift", "forgets the path through logit_max: dlogits = dshifted",
     diagnosis='two paths')
def checkpoint_max_shift_no_max_path():
    return {"shifted": [[1.0, 1.0, -1.0]], "logit_max": [[-1.0]], "logits": [[1.0, 1.0, -1.0]]}


@bug("checkpoint_max_shift", "dlogit_max = 0, as if the path always cancelled",
     diagnosis='does not cancel')
def checkpoint_max_shift_zero():
    return {"shifted": [[1.0, 1.0, -1.0]], "logit_max": [[0.0]], "logits": [[1.0, 1.0, -1.0]]}


@bug("checkpoint_max_shift", "dlogit_max with the wrong sign",
     diagnosis='minus sign')
def checkpoint_max_shift_sign():
    return {"shifted": [[1.0, 1.0, -1.0]], "logit_max": [[1.0]], "logits": [[1.0, 2.0, -1.0]]}


@bug("checkpoint_max_shift", "dlogit_max added to every entry of dlogits",
     diagnosis='winning entry only')
def checkpoint_max_shift_broadcast():
    return {"shifted": [[1.0, 1.0, -1.0]], "logit_max": [[-1.0]], "logits": [[0.0, 0.0, -2.0]]}


@bug("checkpoint_max_shift", "dshifted = dexps: exp's local derivative forgotten",
     diagnosis='has a local derivative')
def checkpoint_max_shift_no_exp():
    return {"shifted": [[4.0, 1.0, -2.0]], "logit_max": [[-3.0]], "logits": [[4.0, -2.0, -2.0]]}


@alternative("checkpoint_max_shift", "NumPy arrays of integers")
def checkpoint_max_shift_ints():
    return {"shifted": np.array([[1, 1, -1]]), "logit_max": np.array([[-1]]),
            "logits": np.array([[1, 0, -1]])}


# ================================================================ backprop tensor by tensor
# Each part receives the forward values (by name) and the gradients of the values after it.

# ---------------------------------------------------------------- backward_through_loss

@bug("backward_through_loss", "no 1/N: the gradient of the summed loss",
     diagnosis='batch size')
def backward_through_loss_no_mean(values, grads):
    log_probs, y = values["log_probs"], values["y"]
    dlog_probs = np.zeros_like(log_probs)
    dlog_probs[np.arange(len(y)), y] = -grads["loss"]
    return {"log_probs": dlog_probs, "probs": dlog_probs / values["probs"]}


@bug("backward_through_loss", "sign flipped: +1/N at the labels",
     diagnosis='sign is flipped')
def backward_through_loss_sign(values, grads):
    log_probs, y = values["log_probs"], values["y"]
    dlog_probs = np.zeros_like(log_probs)
    dlog_probs[np.arange(len(y)), y] = grads["loss"] / len(y)
    return {"log_probs": dlog_probs, "probs": dlog_probs / values["probs"]}


@bug("backward_through_loss", "ignores the upstream grads['loss'] (assumes it is 1)",
     diagnosis="as if grads['loss'] were 1")
def backward_through_loss_ignores_upstream(values, grads):
    log_probs, y = values["log_probs"], values["y"]
    dlog_probs = np.zeros_like(log_probs)
    dlog_probs[np.arange(len(y)), y] = -1.0 / len(y)
    return {"log_probs": dlog_probs, "probs": dlog_probs / values["probs"]}


@bug("backward_through_loss", "dprobs = dlog_probs * probs: the log's derivative upside down",
     diagnosis='times probs')
def backward_through_loss_times_probs(values, grads):
    log_probs, y = values["log_probs"], values["y"]
    dlog_probs = np.zeros_like(log_probs)
    dlog_probs[np.arange(len(y)), y] = -grads["loss"] / len(y)
    return {"log_probs": dlog_probs, "probs": dlog_probs * values["probs"]}


@bug("backward_through_loss", "-1/N on every entry, not only the label's",
     diagnosis="label's entry")
def backward_through_loss_every_entry(values, grads):
    log_probs = values["log_probs"]
    dlog_probs = np.full_like(log_probs, -grads["loss"] / len(values["y"]))
    return {"log_probs": dlog_probs, "probs": dlog_probs / values["probs"]}


@bug("backward_through_loss", "dlog_probs[:, y]: picks whole columns instead of one entry per row",
     diagnosis='one entry per row')
def backward_through_loss_columns(values, grads):
    log_probs, y = values["log_probs"], values["y"]
    dlog_probs = np.zeros_like(log_probs)
    dlog_probs[:, y] = -grads["loss"] / len(y)
    return {"log_probs": dlog_probs, "probs": dlog_probs / values["probs"]}


@alternative("backward_through_loss", "one-hot rows from np.eye; 1/p as exp(-log_probs); extra keys kept")
def backward_through_loss_one_hot(values, grads):
    log_probs, y = values["log_probs"], values["y"]
    one_hot = np.eye(log_probs.shape[1], dtype=log_probs.dtype)[y]
    dlog_probs = -grads["loss"] * one_hot / log_probs.shape[0]
    return {**grads, "log_probs": dlog_probs, "probs": dlog_probs * np.exp(-log_probs)}


@alternative("backward_through_loss", "np.add.at on a zero array")
def backward_through_loss_add_at(values, grads):
    log_probs, y = values["log_probs"], values["y"]
    dlog_probs = np.zeros_like(log_probs)
    np.add.at(dlog_probs, (np.arange(len(y)), y), -grads["loss"] / len(y))
    return {"log_probs": dlog_probs, "probs": dlog_probs / values["probs"]}


# ---------------------------------------------------------------- backward_through_normalization

def _normalization(values, grads, *, sum_axis=True, reciprocal=True, sign=-1.0, both_paths=True,
                   path_gradient="sum_exps"):
    dprobs, exps = grads["probs"], values["exps"]
    dinv = (dprobs * exps).sum(axis=1, keepdims=True) if sum_axis else dprobs * exps
    dsum = sign * dinv / values["sum_exps"] ** 2 if reciprocal else dinv
    dexps = dprobs * values["sum_exps_inv"]
    if both_paths:
        dexps = dexps + (dsum if path_gradient == "sum_exps" else dinv)
    return {"sum_exps_inv": dinv, "sum_exps": dsum, "exps": dexps}


@bug("backward_through_normalization", "forgets the path through sum_exps in dexps",
     diagnosis='only the direct path')
def backward_through_normalization_one_path(values, grads):
    return _normalization(values, grads, both_paths=False)


@bug("backward_through_normalization", "dsum_exps = dsum_exps_inv: the derivative of 1/s forgotten",
     diagnosis='equals dsum_exps_inv')
def backward_through_normalization_no_reciprocal(values, grads):
    return _normalization(values, grads, reciprocal=False)


@bug("backward_through_normalization", "dexps adds dsum_exps_inv instead of dsum_exps",
     diagnosis='carries dsum_exps')
def backward_through_normalization_wrong_path(values, grads):
    return _normalization(values, grads, path_gradient="sum_exps_inv")


@bug("backward_through_normalization", "missing broadcasting sum: dsum_exps_inv keeps shape (N, C)",
     diagnosis='broadcast')
def backward_through_normalization_no_sum(values, grads):
    return _normalization(values, grads, sum_axis=False)


@bug("backward_through_normalization", "d(1/s)/ds = +1/s^2",
     diagnosis='sign is flipped')
def backward_through_normalization_sign(values, grads):
    return _normalization(values, grads, sign=1.0)


@bug("backward_through_normalization", "dsum_exps_inv summed over the batch axis too",
     diagnosis='its own row')
def backward_through_normalization_sum_all(values, grads):
    result = _normalization(values, grads)
    dinv = np.full_like(result["sum_exps_inv"], np.sum(grads["probs"] * values["exps"]))
    return {**result, "sum_exps_inv": dinv}


@alternative("backward_through_normalization", "einsum, -sum_exps_inv**2, and [:, None]")
def backward_through_normalization_einsum(values, grads):
    dprobs, exps, inv = grads["probs"], values["exps"], values["sum_exps_inv"]
    dinv = np.einsum("nc,nc->n", dprobs, exps)[:, None]
    dsum = -(inv ** 2) * dinv
    return {"sum_exps_inv": dinv, "sum_exps": dsum, "exps": dprobs * inv + dsum}


# ---------------------------------------------------------------- backward_through_max_shift

def _max_shift(values, grads, *, exp_derivative=True, max_path="argmax", sign=-1.0, sum_axis=True):
    dshifted = grads["exps"] * values["exps"] if exp_derivative else grads["exps"]
    dmax = sign * (dshifted.sum(axis=1, keepdims=True) if sum_axis else dshifted)
    logits = values["logits"]
    dlogits = dshifted.copy()
    if max_path == "argmax":
        dlogits[np.arange(len(logits)), logits.argmax(axis=1)] += dmax[:, 0]
    elif max_path == "every entry":
        dlogits = dlogits + dmax
    return {"shifted": dshifted, "logit_max": dmax, "logits": dlogits}


@bug("backward_through_max_shift", "forgets the max-subtraction's path: dlogits = dshifted "
                                   "(right for the loss only, where it sums to zero)",
     diagnosis='path through logit_max is missing')
def backward_through_max_shift_no_max_path(values, grads):
    return _max_shift(values, grads, max_path=None)


@bug("backward_through_max_shift", "dlogit_max = +sum(dshifted): the minus sign lost",
     diagnosis='sign is flipped')
def backward_through_max_shift_sign(values, grads):
    return _max_shift(values, grads, sign=1.0)


@bug("backward_through_max_shift", "missing broadcasting sum: dlogit_max keeps shape (N, C)",
     diagnosis='collect every column')
def backward_through_max_shift_no_sum(values, grads):
    result = _max_shift(values, grads, sum_axis=False, max_path=None)
    return {**result, "logits": result["shifted"] + result["logit_max"]}


@bug("backward_through_max_shift", "dlogit_max added to every entry of the row, not the argmax",
     diagnosis='winning entry only')
def backward_through_max_shift_every_entry(values, grads):
    return _max_shift(values, grads, max_path="every entry")


@bug("backward_through_max_shift", "dshifted = dexps: exp's local derivative forgotten",
     diagnosis='dshifted equals dexps')
def backward_through_max_shift_no_exp(values, grads):
    return _max_shift(values, grads, exp_derivative=False)


@bug("backward_through_max_shift", "dlogit_max treated as 0 (the max as a constant)",
     diagnosis='does not cancel')
def backward_through_max_shift_constant_max(values, grads):
    result = _max_shift(values, grads, max_path=None)
    return {**result, "logit_max": np.zeros_like(values["logit_max"])}


@alternative("backward_through_max_shift", "the max's path through a mask logits == logit_max")
def backward_through_max_shift_mask(values, grads):
    dshifted = grads["exps"] * values["exps"]
    dmax = -np.sum(dshifted, axis=1, keepdims=True)
    winner = (values["logits"] == values["logit_max"])
    winner = (winner / winner.sum(axis=1, keepdims=True)).astype(dshifted.dtype)   # a tie split evenly
    return {"shifted": dshifted, "logit_max": dmax, "logits": dshifted + winner * dmax}


@alternative("backward_through_max_shift", "one-hot of the argmax from np.eye")
def backward_through_max_shift_one_hot(values, grads):
    dshifted = grads["exps"] * values["exps"]
    dmax = -dshifted.sum(axis=1, keepdims=True)
    logits = values["logits"]
    one_hot = np.eye(logits.shape[1], dtype=logits.dtype)[logits.argmax(axis=1)]
    return {"shifted": dshifted, "logit_max": dmax, "logits": dshifted + one_hot * dmax}


# ---------------------------------------------------------------- backward_through_layers

def _layers(values, grads, *, mask=lambda z: z > 0, first_mask=True, db_axis=0, dW3=None):
    v, dlogits = values, grads["logits"]
    dh2 = dlogits @ v["W3"].T
    dz2 = dh2 * mask(v["z2"])
    dh1 = dz2 @ v["W2"].T
    dz1 = dh1 * mask(v["z1"]) if first_mask else dh1
    return {"h2": dh2, "W3": v["h2"].T @ dlogits if dW3 is None else dW3(v, dlogits),
            "b3": dlogits.sum(axis=db_axis), "z2": dz2, "h1": dh1, "W2": v["h1"].T @ dz2,
            "b2": dz2.sum(axis=db_axis), "z1": dz1, "W1": v["x"].T @ dz1, "b1": dz1.sum(axis=db_axis)}


@bug("backward_through_layers", "ReLU mask z >= 0: relu'(0) = 1 at exact zeros",
     diagnosis='exactly 0')
def backward_through_layers_mask_at_zero(values, grads):
    return _layers(values, grads, mask=lambda z: z >= 0)


@bug("backward_through_layers", "forgets the first layer's ReLU: dz1 = dh1",
     diagnosis='local derivative of relu is missing')
def backward_through_layers_no_first_mask(values, grads):
    return _layers(values, grads, first_mask=False)


@bug("backward_through_layers", "multiplies by the activation value instead of the mask",
     diagnosis='slope')
def backward_through_layers_times_value(values, grads):
    return _layers(values, grads, mask=lambda z: np.maximum(z, 0))


@bug("backward_through_layers", "dW3 divided by N: the 1/N counted twice",
     diagnosis='batch size')
def backward_through_layers_double_mean(values, grads):
    return _layers(values, grads, dW3=lambda v, d: v["h2"].T @ d / len(d))


@bug("backward_through_layers", "db summed over the wrong axis (over the units, not the batch)",
     diagnosis='every row')
def backward_through_layers_db_axis(values, grads):
    return _layers(values, grads, db_axis=1)


@bug("backward_through_layers", "dW3 with the pre-activation z2 instead of h2",
     diagnosis='pre-activation')
def backward_through_layers_preactivation(values, grads):
    return _layers(values, grads, dW3=lambda v, d: v["z2"].T @ d)


@alternative("backward_through_layers", "masks from the activations (h > 0) and np.where; einsum for dW")
def backward_through_layers_where(values, grads):
    v, dlogits = values, grads["logits"]
    dh2 = np.einsum("nc,hc->nh", dlogits, v["W3"])
    dz2 = np.where(v["h2"] > 0, dh2, 0)
    dh1 = dz2 @ v["W2"].T
    dz1 = np.where(v["h1"] > 0, dh1, 0)
    return {"h2": dh2, "W3": np.einsum("nh,nc->hc", v["h2"], dlogits), "b3": np.sum(dlogits, axis=0),
            "z2": dz2, "h1": dh1, "W2": v["h1"].T @ dz2, "b2": np.sum(dz2, axis=0),
            "z1": dz1, "W1": v["x"].T @ dz1, "b1": np.sum(dz1, axis=0)}


# ---------------------------------------------------------------- more named mistakes (issue 16)

@bug("relu_backward", "the mask inverted: passes the gradient where x <= 0", diagnosis="inverted")
def relu_backward_inverted_mask(dout, cache):
    return dout * (cache <= 0)


@bug("sigmoid_backward", "dout * s: the output in place of the derivative",
     diagnosis="dout times the output")
def sigmoid_backward_times_output(dout, cache):
    return dout * cache


@bug("tanh_backward", "dout * (1 - t): the square forgotten", diagnosis="dout * (1 - a)")
def tanh_backward_no_square(dout, cache):
    return dout * (1 - cache)


@bug("backward_through_layers", "dW2 = dz2.T @ h1: the product in the wrong order, transposed",
     diagnosis="transposed")
def backward_through_layers_transposed_dW2(values, grads):
    result = _layers(values, grads)
    return {**result, "W2": result["W2"].T}
