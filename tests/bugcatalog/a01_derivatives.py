"""Bug catalog for 01_derivatives: realistic mistakes the hidden tests must catch, and valid
alternative implementations that must keep full marks."""

import numpy as np

from .registry import alternative, bug

ASSIGNMENT = "01_derivatives"


# --------------------------------------------------------------------------- numerical_gradient

@bug("numerical_gradient", "forward differences (f(x + h) - f(x)) / h: error O(h)",
     diagnosis="forward difference")
def numerical_gradient_forward(f, x, h=1e-5):
    grad = np.zeros_like(x)
    base = f(x)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + h
        grad[index] = (f(x) - base) / h
        x[index] = original
    return grad


@bug("numerical_gradient", "backward differences (f(x) - f(x - h)) / h: error O(h)",
     diagnosis="backward difference")
def numerical_gradient_backward(f, x, h=1e-5):
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        original = x[index]
        base = f(x)
        x[index] = original - h
        grad[index] = (base - f(x)) / h
        x[index] = original
    return grad


@bug("numerical_gradient", "never puts the perturbed entry back: x is left changed", diagnosis="not restored")
def numerical_gradient_no_restore(f, x, h=1e-5):
    grad = np.zeros_like(x)
    flat_x, flat_grad = x.reshape(-1), grad.reshape(-1)
    for i in range(flat_x.size):
        original = flat_x[i]
        flat_x[i] = original + h
        plus = f(x)
        flat_x[i] = original - h
        minus = f(x)
        flat_grad[i] = (plus - minus) / (2 * h)
    return grad


@bug("numerical_gradient", "restores x arithmetically (+h, -2h, +h), which leaves rounding errors in x",
     diagnosis="rounding")
def numerical_gradient_arithmetic_restore(f, x, h=1e-5):
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        x[index] += h
        plus = f(x)
        x[index] -= 2 * h
        minus = f(x)
        x[index] += h
        grad[index] = (plus - minus) / (2 * h)
    return grad


@bug("numerical_gradient", "ignores the h argument and always steps by 1e-5", diagnosis="the h you are given")
def numerical_gradient_ignores_h(f, x, h=1e-5):
    step = 1e-5
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + step
        plus = f(x)
        x[index] = original - step
        minus = f(x)
        x[index] = original
        grad[index] = (plus - minus) / (2 * step)
    return grad


@bug("numerical_gradient", "divides the centered difference by h instead of 2h", diagnosis="2h")
def numerical_gradient_divides_by_h(f, x, h=1e-5):
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + h
        plus = f(x)
        x[index] = original - h
        minus = f(x)
        x[index] = original
        grad[index] = (plus - minus) / h
    return grad


@bug("numerical_gradient", "perturbs every entry at once: the directional derivative copied everywhere",
     diagnosis="one entry at a time")
def numerical_gradient_all_at_once(f, x, h=1e-5):
    value = (f(x + h) - f(x - h)) / (2 * h)
    return np.full_like(x, value)


@bug("numerical_gradient", "perturbs a flattened copy (x.flatten()) but evaluates f on x: all zeros",
     diagnosis="copy")
def numerical_gradient_perturbs_copy(f, x, h=1e-5):
    grad = np.zeros(x.size, dtype=x.dtype)
    flat = x.flatten()                 # a copy: changing it does not change x
    for i in range(flat.size):
        original = flat[i]
        flat[i] = original + h
        plus = f(x)
        flat[i] = original - h
        minus = f(x)
        flat[i] = original
        grad[i] = (plus - minus) / (2 * h)
    return grad.reshape(x.shape)


@bug("numerical_gradient", "x_plus = x and x_minus = x are the same array, so both evaluations coincide",
     diagnosis="same array")
def numerical_gradient_aliased_points(f, x, h=1e-5):
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        x_plus = x                     # not a copy
        x_plus[index] += h
        x_minus = x                    # the same array again
        x_minus[index] -= h            # undoes the +h
        grad[index] = (f(x_plus) - f(x_minus)) / (2 * h)
    return grad


@bug("numerical_gradient", "returns a flat gradient of shape (x.size,)", diagnosis="same number of elements")
def numerical_gradient_flat(f, x, h=1e-5):
    work = x.astype(np.float64)
    flat = work.reshape(-1)
    grad = np.zeros(flat.size)
    for i in range(flat.size):
        original = flat[i]
        flat[i] = original + h
        plus = f(work)
        flat[i] = original - h
        minus = f(work)
        flat[i] = original
        grad[i] = (plus - minus) / (2 * h)
    return grad


@bug("numerical_gradient", "loops over the first axis only (for i in range(x.shape[0])): whole "
                            "rows of a matrix move together", diagnosis="first axis")
def numerical_gradient_first_axis(f, x, h=1e-5):
    grad = np.zeros_like(x)
    for i in range(x.shape[0]):
        original = x[i].copy()
        x[i] = original + h
        plus = f(x)
        x[i] = original - h
        minus = f(x)
        x[i] = original
        grad[i] = (plus - minus) / (2 * h)
    return grad


@alternative("numerical_gradient", "works on a copy and walks it with np.nditer")
def numerical_gradient_nditer_copy(f, x, h=1e-5):
    point = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    it = np.nditer(point, flags=["multi_index"], op_flags=[["readwrite"]])
    while not it.finished:
        index = it.multi_index
        original = point[index]
        point[index] = original + h
        plus = f(point)
        point[index] = original - h
        minus = f(point)
        point[index] = original
        grad[index] = (plus - minus) / (2 * h)
        it.iternext()
    return grad


@alternative("numerical_gradient", "fresh arrays x + h e_i and x - h e_i for every unit vector e_i")
def numerical_gradient_unit_vectors(f, x, h=1e-5):
    grad = np.zeros(x.size, dtype=x.dtype)
    for i in range(x.size):
        e = np.zeros(x.size, dtype=x.dtype)
        e[i] = h
        e = e.reshape(x.shape)
        grad[i] = (f(x + e) - f(x - e)) / (2 * h)
    return grad.reshape(x.shape)


# ------------------------------------------------------------------------------- relative_error

@bug("relative_error", "elementwise relative error max(|a - b| / max(|a|, |b|)): explodes near zero",
     diagnosis="element by element")
def relative_error_elementwise(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-12)))


@bug("relative_error", "the CS231n-style elementwise |a - b| / (|a| + |b|)", diagnosis="element by element")
def relative_error_elementwise_sum(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-12)))


@bug("relative_error", "no floor: 0 / 0 = nan (and a warning) for two all-zero arrays", diagnosis="floor")
def relative_error_no_floor(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(a)), np.max(np.abs(b))))


@bug("relative_error", "divides by max|b| only: not symmetric", diagnosis="symmetric")
def relative_error_asymmetric(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-12))


@bug("relative_error", "mean absolute difference instead of the maximum", diagnosis="largest difference")
def relative_error_mean(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.mean(np.abs(a - b)) / max(np.max(np.abs(a)), np.max(np.abs(b)), 1e-12))


@bug("relative_error", "max(a - b) without the absolute value misses differences of the other sign",
     diagnosis="absolute value")
def relative_error_no_abs(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(a - b) / max(np.max(np.abs(a)), np.max(np.abs(b)), 1e-12))


@bug("relative_error", "a floor of 1e-8 instead of 1e-12 hides differences between tiny arrays",
     diagnosis="floor")
def relative_error_large_floor(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(a)), np.max(np.abs(b)), 1e-8))


@alternative("relative_error", "infinity norms of the flattened arrays")
def relative_error_norms(a, b):
    a = np.ravel(np.asarray(a, dtype=np.float64))
    b = np.ravel(np.asarray(b, dtype=np.float64))
    scale = max(np.linalg.norm(a, np.inf), np.linalg.norm(b, np.inf), 1e-12)
    return float(np.linalg.norm(a - b, np.inf) / scale)


@alternative("relative_error", "np.maximum.reduce over the stacked magnitudes, returns a NumPy float")
def relative_error_stacked(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    scale = np.max(np.maximum.reduce([np.abs(a).max(), np.abs(b).max(), 1e-12]))
    return np.abs(a - b).max() / scale


# -------------------------------------------------------------------------------------- sigmoid

@bug("sigmoid", "naive 1 / (1 + exp(-x)): exp overflows (with a warning) for large negative x",
     diagnosis="exp of a large positive")
def sigmoid_naive(x):
    return 1 / (1 + np.exp(-x))


@bug("sigmoid", "naive exp(x) / (1 + exp(x)): inf / inf = nan for large positive x",
     diagnosis="exp of a large positive")
def sigmoid_naive_exp_ratio(x):
    e = np.exp(x)
    return e / (1 + e)


@bug("sigmoid", "clips x to [-500, 500]: enough for float64, but exp(500) overflows float32",
     diagnosis="float32")
def sigmoid_clipped(x):
    return 1 / (1 + np.exp(-np.clip(x, -500, 500)))


@bug("sigmoid", "allocates the output with np.empty(x.shape): float64 for float32 input", diagnosis="dtype")
def sigmoid_float64_output(x):
    out = np.empty(x.shape)
    positive = x >= 0
    out[positive] = 1 / (1 + np.exp(-x[positive]))
    e = np.exp(x[~positive])
    out[~positive] = e / (1 + e)
    return out


@bug("sigmoid", "sign error: 1 / (1 + exp(x)) is sigmoid(-x)", diagnosis="sigmoid(-x)")
def sigmoid_wrong_sign(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, e / (1 + e), 1 / (1 + e))


@bug("sigmoid", "out = x is not a copy: the result overwrites the input", diagnosis="in place")
def sigmoid_in_place(x):
    out = x
    positive = x >= 0
    out[positive] = 1 / (1 + np.exp(-x[positive]))
    e = np.exp(x[~positive])
    out[~positive] = e / (1 + e)
    return out


@alternative("sigmoid", "the tanh identity sigmoid(x) = (1 + tanh(x / 2)) / 2")
def sigmoid_tanh(x):
    return 0.5 * (1 + np.tanh(0.5 * x))


@alternative("sigmoid", "two branches with boolean masks, each exponentiating only non-positive numbers")
def sigmoid_masks(x):
    out = np.empty_like(x)
    positive = x >= 0
    out[positive] = 1 / (1 + np.exp(-x[positive]))
    e = np.exp(x[~positive])
    out[~positive] = e / (1 + e)
    return out


# --------------------------------------------------------------------------------- sigmoid_grad

@bug("sigmoid_grad", "applies s(1 - s) to x itself, as if x were already sigmoid(x)",
     diagnosis="input x itself")
def sigmoid_grad_on_input(x):
    return x * (1 - x)


@bug("sigmoid_grad", "sign error: s * (s - 1)", diagnosis="sign is flipped")
def sigmoid_grad_sign(x):
    e = np.exp(-np.abs(x))
    s = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
    return s * (s - 1)


@bug("sigmoid_grad", "naive exp(-x) / (1 + exp(-x))**2: inf / inf = nan for large negative x",
     diagnosis="stable sigmoid")
def sigmoid_grad_naive(x):
    e = np.exp(-x)
    return e / (1 + e) ** 2


@bug("sigmoid_grad", "forgets the factor (1 - s): returns sigmoid(x)", diagnosis="factor")
def sigmoid_grad_missing_factor(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


@bug("sigmoid_grad", "builds the sigmoid in np.zeros(x.shape): float64 for float32 input", diagnosis="dtype")
def sigmoid_grad_float64(x):
    s = np.zeros(x.shape)
    positive = x >= 0
    s[positive] = 1 / (1 + np.exp(-x[positive]))
    e = np.exp(x[~positive])
    s[~positive] = e / (1 + e)
    return s * (1 - s)


@bug("sigmoid_grad", "sigmoid(z) * (1 - z): the second factor written with z, not sigmoid(z)",
     diagnosis="where sigmoid(x) belongs")
def sigmoid_grad_mixed(z):
    e = np.exp(-np.abs(z))
    s = np.where(z >= 0, 1 / (1 + e), e / (1 + e))
    return s * (1 - z)


@bug("sigmoid_grad", "the sigmoid applied twice: s = sigmoid(sigmoid(x)), then s (1 - s)",
     diagnosis="applied twice")
def sigmoid_grad_twice(x):
    def stable(v):
        e = np.exp(-np.abs(v))
        return np.where(v >= 0, 1 / (1 + e), e / (1 + e))
    s = stable(stable(x))
    return s * (1 - s)


@alternative("sigmoid_grad", "sigmoid'(x) = sech^2(x / 2) / 4 = (1 - tanh(x / 2)^2) / 4")
def sigmoid_grad_tanh(x):
    t = np.tanh(0.5 * x)
    return 0.25 * (1 - t * t)


@alternative("sigmoid_grad", "the even function exp(-|x|) / (1 + exp(-|x|))^2, stable everywhere")
def sigmoid_grad_abs(x):
    e = np.exp(-np.abs(x))
    return e / (1 + e) ** 2


# ------------------------------------------------------------------------------------ tanh_grad

@bug("tanh_grad", "1 - x**2: treats x as if it were already tanh(x)", diagnosis="input x itself")
def tanh_grad_on_input(x):
    return 1 - x ** 2


@bug("tanh_grad", "1 - tanh(x): the square is missing", diagnosis="square")
def tanh_grad_no_square(x):
    return 1 - np.tanh(x)


@bug("tanh_grad", "tanh(x)**2 - 1: the sign is flipped", diagnosis="sign is flipped")
def tanh_grad_sign(x):
    return np.tanh(x) ** 2 - 1


@bug("tanh_grad", "1 / cosh(x)**2: right on paper, but cosh overflows (with a warning) for |x| > 710",
     diagnosis="cosh")
def tanh_grad_cosh(x):
    return 1 / np.cosh(x) ** 2


@bug("tanh_grad", "np.ones(x.shape) - tanh(x)**2: float64 for float32 input", diagnosis="dtype")
def tanh_grad_float64(x):
    return np.ones(x.shape) - np.tanh(x) ** 2


@alternative("tanh_grad", "(1 - t)(1 + t) with t = tanh(x)")
def tanh_grad_factored(x):
    t = np.tanh(x)
    return (1 - t) * (1 + t)


@alternative("tanh_grad", "sech^2 x = 4 e^{-2|x|} / (1 + e^{-2|x|})^2, exponentiating only -2|x|")
def tanh_grad_exp(x):
    e = np.exp(-2 * np.abs(x))
    return 4 * e / (1 + e) ** 2


# ------------------------------------------------------------------------------------ relu_grad

@bug("relu_grad", "x >= 0: relu_grad(0) == 1, against the course's convention", diagnosis="convention")
def relu_grad_at_zero_is_one(x):
    return (x >= 0).astype(x.dtype)


@bug("relu_grad", "returns the boolean mask x > 0 instead of numbers of x's dtype", diagnosis="bool")
def relu_grad_bool(x):
    return x > 0


@bug("relu_grad", "np.sign(x): -1 for negative inputs", diagnosis="negative inputs")
def relu_grad_sign(x):
    return np.sign(x)


@bug("relu_grad", "returns relu itself, max(0, x)", diagnosis="relu(x) itself")
def relu_grad_is_relu(x):
    return np.maximum(x, 0)


@bug("relu_grad", "(x > 0).astype(float): float64 for float32 input", diagnosis="dtype")
def relu_grad_float64(x):
    return (x > 0).astype(float)


@bug("relu_grad", "overwrites x in place with its 0/1 mask", diagnosis="in place")
def relu_grad_in_place(x):
    positive = x > 0
    x[positive] = 1
    x[~positive] = 0
    return x


@alternative("relu_grad", "np.heaviside(x, 0): the step function with value 0 at 0")
def relu_grad_heaviside(x):
    return np.heaviside(x, 0).astype(x.dtype)


@alternative("relu_grad", "np.where(x > 0, 1, 0) cast to x's dtype")
def relu_grad_where(x):
    return np.where(x > 0, 1, 0).astype(x.dtype)


# -------------------------------------------------------------------------------------- softmax

@bug("softmax", "no max-subtraction: exp(1000) overflows to inf and inf / inf = nan",
     diagnosis="subtract the maximum")
def softmax_unstable(z):
    e = np.exp(z)
    return e / np.sum(e, axis=1, keepdims=True)


@bug("softmax", "normalizes over axis 0 (the batch) instead of each row", diagnosis="axis 0")
def softmax_wrong_axis(z):
    e = np.exp(z - np.max(z, axis=0, keepdims=True))
    return e / np.sum(e, axis=0, keepdims=True)


@bug("softmax", "subtracts the maximum of the whole array: rows far below it underflow to 0 / 0",
     diagnosis="whole array")
def softmax_global_max(z):
    e = np.exp(z - np.max(z))
    return e / np.sum(e, axis=1, keepdims=True)


@bug("softmax", "forgets keepdims=True: the row sums broadcast along the wrong axis", diagnosis="keepdims")
def softmax_no_keepdims(z):
    e = np.exp(z - np.max(z, axis=1, keepdims=True))
    return e / np.sum(e, axis=1)


@bug("softmax", "subtracts the maximum in place (z -= max): modifies the caller's logits",
     diagnosis="in place")
def softmax_in_place(z):
    z -= np.max(z, axis=1, keepdims=True)
    e = np.exp(z)
    return e / np.sum(e, axis=1, keepdims=True)


@bug("softmax", "computes in float64 (z.astype(np.float64)): float32 in, float64 out", diagnosis="dtype")
def softmax_float64(z):
    z = z.astype(np.float64)
    e = np.exp(z - np.max(z, axis=1, keepdims=True))
    return e / np.sum(e, axis=1, keepdims=True)


@alternative("softmax", "exp(z - logsumexp(z)), with a stable log-sum-exp")
def softmax_logsumexp(z):
    m = np.max(z, axis=1, keepdims=True)
    lse = m + np.log(np.sum(np.exp(z - m), axis=1, keepdims=True))
    return np.exp(z - lse)


@alternative("softmax", "a loop over the rows")
def softmax_loop(z):
    out = np.empty_like(z)
    for i in range(z.shape[0]):
        e = np.exp(z[i] - z[i].max())
        out[i] = e / e.sum()
    return out


# -------------------------------------------------------------------------------- cross_entropy

@bug("cross_entropy", "sums over the batch instead of averaging", diagnosis="sum over the batch")
def cross_entropy_sum(p, y):
    return float(-np.sum(np.log(p[np.arange(p.shape[0]), y])))


@bug("cross_entropy", "p[:, y] picks an N x N block, not one entry per row", diagnosis="one entry per row")
def cross_entropy_wrong_entries(p, y):
    return float(-np.mean(np.log(p[:, y])))


@bug("cross_entropy", "averages -Y * log(p) over all N * C entries: too small by a factor C",
     diagnosis="N x C entries")
def cross_entropy_mean_over_classes(p, y):
    Y = np.eye(p.shape[1])[y]
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(-np.nanmean(Y * np.log(p)))


@bug("cross_entropy", "one-hot product sum(Y * log p): 0 * log 0 = nan where a wrong class has p = 0",
     diagnosis="0 * log(0)")
def cross_entropy_one_hot(p, y):
    Y = np.eye(p.shape[1])[y]
    return float(-np.sum(Y * np.log(p)) / p.shape[0])


@bug("cross_entropy", "returns the per-example losses (N,) instead of their mean",
     diagnosis="mean over the batch")
def cross_entropy_no_mean(p, y):
    return -np.log(p[np.arange(p.shape[0]), y])


@bug("cross_entropy", "the log of the mean probability instead of the mean of the logs",
     diagnosis="log of the mean")
def cross_entropy_log_of_mean(p, y):
    return float(-np.log(np.mean(p[np.arange(p.shape[0]), y])))


@bug("cross_entropy", "returns the loss as np.float16 (to save memory): about 3 digits",
     diagnosis="is float16 but the test's inputs are float64")
def cross_entropy_float16(p, y):
    return np.float16(-np.mean(np.log(p[np.arange(p.shape[0]), y])))


@alternative("cross_entropy", "np.take_along_axis and a NumPy scalar result")
def cross_entropy_take(p, y):
    picked = np.take_along_axis(p, y[:, None], axis=1)
    return -np.log(picked).mean()


@alternative("cross_entropy", "a loop over the examples")
def cross_entropy_loop(p, y):
    total = 0.0
    for i in range(p.shape[0]):
        total -= np.log(p[i, y[i]])
    return total / p.shape[0]


# ------------------------------------------------------------------- softmax_cross_entropy_grad

@bug("softmax_cross_entropy_grad", "forgets the 1/N of the batch mean", diagnosis="batch size")
def grad_missing_mean(z, y):
    e = np.exp(z - np.max(z, axis=1, keepdims=True))
    p = e / np.sum(e, axis=1, keepdims=True)
    p[np.arange(z.shape[0]), y] -= 1
    return p


@bug("softmax_cross_entropy_grad", "y - p: the sign is flipped", diagnosis="sign is flipped")
def grad_wrong_sign(z, y):
    e = np.exp(z - np.max(z, axis=1, keepdims=True))
    p = e / np.sum(e, axis=1, keepdims=True)
    Y = np.zeros_like(p)
    Y[np.arange(z.shape[0]), y] = 1
    return (Y - p) / z.shape[0]


@bug("softmax_cross_entropy_grad", "computes in float32 whatever the input dtype", diagnosis="dtype")
def grad_float32(z, y):
    z = z.astype(np.float32)
    e = np.exp(z - np.max(z, axis=1, keepdims=True))
    p = e / np.sum(e, axis=1, keepdims=True)
    p[np.arange(z.shape[0]), y] -= 1
    return p / z.shape[0]


@bug("softmax_cross_entropy_grad", "builds the result in z itself (in-place exp and subtraction)",
     diagnosis="in place")
def grad_in_place(z, y):
    N = z.shape[0]
    z -= np.max(z, axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= np.sum(z, axis=1, keepdims=True)
    z[np.arange(N), y] -= 1
    return z / N


@bug("softmax_cross_entropy_grad", "p[:, y] -= 1 subtracts at the wrong entries",
     diagnosis="one entry per row")
def grad_wrong_entries(z, y):
    e = np.exp(z - np.max(z, axis=1, keepdims=True))
    p = e / np.sum(e, axis=1, keepdims=True)
    p[:, y] -= 1
    return p / z.shape[0]


@bug("softmax_cross_entropy_grad", "a softmax without max-subtraction: nan for logits of +-1000",
     diagnosis="subtract the maximum")
def grad_unstable_softmax(z, y):
    e = np.exp(z)
    p = e / np.sum(e, axis=1, keepdims=True)
    p[np.arange(z.shape[0]), y] -= 1
    return p / z.shape[0]


@bug("softmax_cross_entropy_grad",
     "chains dL/dp = -1/(N p_y) with the softmax Jacobian: right on paper, 0 * inf = nan when p_y = 0",
     diagnosis="divide by a probability")
def grad_through_jacobian(z, y):
    N, C = z.shape
    e = np.exp(z - np.max(z, axis=1, keepdims=True))
    p = e / np.sum(e, axis=1, keepdims=True)
    dp = np.zeros_like(p)
    dp[np.arange(N), y] = -1 / (N * p[np.arange(N), y])
    jacobian = p[:, :, None] * (np.eye(C, dtype=z.dtype) - p[:, None, :])   # [i, j, k] = dp_ij / dz_ik
    return np.einsum("ij,ijk->ik", dp, jacobian)


@alternative("softmax_cross_entropy_grad", "one-hot labels from np.eye(C, dtype=z.dtype)[y]")
def grad_one_hot(z, y):
    e = np.exp(z - np.max(z, axis=1, keepdims=True))
    p = e / np.sum(e, axis=1, keepdims=True)
    return (p - np.eye(z.shape[1], dtype=z.dtype)[y]) / z.shape[0]


@alternative("softmax_cross_entropy_grad", "a loop over the examples")
def grad_loop(z, y):
    N = z.shape[0]
    grad = np.empty_like(z)
    for i in range(N):
        e = np.exp(z[i] - z[i].max())
        grad[i] = e / e.sum()
        grad[i, y[i]] -= 1
    return grad / N


@alternative("softmax_cross_entropy_grad", "einsum of the softmax Jacobian with the bounded upstream -Y/N * p")
def grad_jacobian_einsum(z, y):
    # dL/dp_j * p_j = -Y_j / N never divides by p, so the Jacobian route stays finite:
    # dL/dz_k = sum_j (dL/dp_j) p_j ([j = k] - p_k) = sum_j (-Y_j / N) ([j = k] - p_k)
    N, C = z.shape
    e = np.exp(z - np.max(z, axis=1, keepdims=True))
    p = e / np.sum(e, axis=1, keepdims=True)
    Y = np.eye(C, dtype=z.dtype)[y]
    delta_minus_p = np.eye(C, dtype=z.dtype)[None, :, :] - p[:, None, :]   # [i, j, k] = [j = k] - p_ik
    return np.einsum("ij,ijk->ik", -Y / N, delta_minus_p)


# ------------------------------------------------------------------ checkpoint_activation_grads
# rows: sigmoid', tanh', relu' at x = (-ln 3, 0, ln 3)

@bug("checkpoint_activation_grads", "relu'(0) = 1 instead of the course's convention 0",
     diagnosis="convention")
def activation_grads_relu_kink_one():
    return [[3 / 16, 1 / 4, 3 / 16], [0.36, 1.0, 0.36], [0.0, 1.0, 1.0]]


@bug("checkpoint_activation_grads", "tanh' as 1 - tanh(x), the square forgotten", diagnosis="square")
def activation_grads_tanh_no_square():
    return [[3 / 16, 1 / 4, 3 / 16], [1.8, 1.0, 0.2], [0.0, 0.0, 1.0]]


@bug("checkpoint_activation_grads", "sigmoid' as x (1 - x), the formula applied to the pre-activation",
     diagnosis="x itself")
def activation_grads_sigmoid_of_x():
    ln3 = 1.0986122886681098
    return [[-ln3 * (1 + ln3), 0.0, ln3 * (1 - ln3)], [0.36, 1.0, 0.36], [0.0, 0.0, 1.0]]


@bug("checkpoint_activation_grads", "sigmoid' with the sign flipped (the two minus signs not cancelled)",
     diagnosis="sign is flipped")
def activation_grads_sigmoid_sign():
    return [[-3 / 16, -1 / 4, -3 / 16], [0.36, 1.0, 0.36], [0.0, 0.0, 1.0]]


@bug("checkpoint_activation_grads", "sigmoid' rounded to two digits (0.19 for 3/16)",
     diagnosis="exact values")
def activation_grads_rounded():
    return [[0.19, 0.25, 0.19], [0.36, 1.0, 0.36], [0.0, 0.0, 1.0]]


@bug("checkpoint_activation_grads", "rows in the wrong order (tanh' first)", diagnosis="order")
def activation_grads_rows_swapped():
    return [[0.36, 1.0, 0.36], [3 / 16, 1 / 4, 3 / 16], [0.0, 0.0, 1.0]]


@alternative("checkpoint_activation_grads", "a NumPy array of decimals")
def activation_grads_array():
    return np.array([[0.1875, 0.25, 0.1875], [0.36, 1, 0.36], [0, 0, 1]])


@alternative("checkpoint_activation_grads", "worked through the intermediate values s and t as fractions")
def activation_grads_fractions():
    s = (1 / 4, 1 / 2, 3 / 4)           # sigmoid at -ln 3, 0, ln 3
    t = (-4 / 5, 0, 4 / 5)              # tanh at the same points
    return (tuple(v * (1 - v) for v in s), tuple(1 - v * v for v in t), (0, 0, 1))


# ------------------------------------------------------------------ checkpoint_softmax_jacobian
# z = (0, 0, ln 2), p = (1/4, 1/4, 1/2), J = diag(p) - p p^T

@bug("checkpoint_softmax_jacobian", "the sign flipped: p p^T - diag(p)", diagnosis="sign is flipped")
def jacobian_sign():
    return [[-3 / 16, 1 / 16, 1 / 8], [1 / 16, -3 / 16, 1 / 8], [1 / 8, 1 / 8, -1 / 4]]


@bug("checkpoint_softmax_jacobian", "softmax treated as elementwise: only the diagonal p (1 - p)",
     diagnosis="off the diagonal")
def jacobian_diagonal_only():
    return [[3 / 16, 0, 0], [0, 3 / 16, 0], [0, 0, 1 / 4]]


@bug("checkpoint_softmax_jacobian", "the off-diagonal entries with a + sign", diagnosis="wrong sign")
def jacobian_off_diagonal_positive():
    return [[3 / 16, 1 / 16, 1 / 8], [1 / 16, 3 / 16, 1 / 8], [1 / 8, 1 / 8, 1 / 4]]


@bug("checkpoint_softmax_jacobian", "the diagonal as p_j alone (its -p_j^2 term forgotten)",
     diagnosis="second term")
def jacobian_diagonal_without_square():
    return [[1 / 4, -1 / 16, -1 / 8], [-1 / 16, 1 / 4, -1 / 8], [-1 / 8, -1 / 8, 1 / 2]]


@bug("checkpoint_softmax_jacobian", "the softmax of z computed wrongly first: p = (1/3, 1/3, 1/3) from exponentials 1, 1, 1",
     diagnosis="probabilities p")
def jacobian_wrong_probabilities():
    p = np.full(3, 1 / 3)
    return np.diag(p) - np.outer(p, p)


@alternative("checkpoint_softmax_jacobian", "diag(p) - p p^T from the hand-computed p, in NumPy")
def jacobian_from_p():
    p = np.array([1, 1, 2]) / 4
    return np.diag(p) - np.outer(p, p)


@alternative("checkpoint_softmax_jacobian", "decimals in nested tuples")
def jacobian_decimals():
    return ((0.1875, -0.0625, -0.125), (-0.0625, 0.1875, -0.125), (-0.125, -0.125, 0.25))


# ------------------------------------------------------- checkpoint_softmax_cross_entropy_grad
# z = [[0, 0, ln 2], [ln 3, 0, 0]], y = (2, 1): (P - Y) / 2

@bug("checkpoint_softmax_cross_entropy_grad", "y - p: the sign flipped", diagnosis="sign is flipped")
def sce_checkpoint_sign():
    return [[-1 / 8, -1 / 8, 1 / 4], [-0.3, 0.4, -0.1]]


@bug("checkpoint_softmax_cross_entropy_grad", "the 1/N of the mean forgotten: P - Y", diagnosis="1/N")
def sce_checkpoint_no_mean():
    return [[1 / 4, 1 / 4, -1 / 2], [0.6, -0.8, 0.2]]


@bug("checkpoint_softmax_cross_entropy_grad", "transposed: classes as rows, examples as columns",
     diagnosis="transposed")
def sce_checkpoint_transposed():
    return [[1 / 8, 0.3], [1 / 8, -0.4], [-1 / 4, 0.1]]


@bug("checkpoint_softmax_cross_entropy_grad", "the label not subtracted: P / N", diagnosis="one-hot label")
def sce_checkpoint_no_label():
    return [[1 / 8, 1 / 8, 1 / 4], [0.3, 0.1, 0.1]]


@bug("checkpoint_softmax_cross_entropy_grad",
     "the Jacobian's off-diagonal terms forgotten: -(1 - p_y) / N at the true class, 0 elsewhere",
     diagnosis="off the diagonal")
def sce_checkpoint_diagonal_only():
    return [[0, 0, -1 / 4], [0, -0.4, 0]]


@bug("checkpoint_softmax_cross_entropy_grad", "the label subtracted at class 1 in both rows",
     diagnosis="own label")
def sce_checkpoint_wrong_class():
    return [[1 / 8, -3 / 8, 1 / 4], [0.3, -0.4, 0.1]]


@alternative("checkpoint_softmax_cross_entropy_grad", "P and Y by hand, then (P - Y) / N in NumPy")
def sce_checkpoint_numpy():
    P = np.array([[1 / 4, 1 / 4, 1 / 2], [3 / 5, 1 / 5, 1 / 5]])
    Y = np.array([[0, 0, 1], [0, 1, 0]])
    return (P - Y) / 2


@alternative("checkpoint_softmax_cross_entropy_grad", "decimals")
def sce_checkpoint_decimals():
    return [[0.125, 0.125, -0.25], [0.3, -0.4, 0.1]]
