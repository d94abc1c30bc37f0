"""Checks for random initializers: is ``W`` a sample of the intended distribution, drawn
from the caller's ``Generator`` and nowhere else?

Hidden tests run with fresh seeds on every run, so a statistical check must not be lucky:
each one below has a false-alarm probability of at most ~2e-9 for a correct initializer,
and a test run makes well under 100 of them, so a correct solution fails a run with
probability < 1e-6 (about 1e-7). The samples are large (n >= 10^5 weights) so that the
mistakes students make (fan_out for fan_in, a missing sqrt(6), a variance used as a standard
deviation, U[0, a) for U[-a, a), a uniform where a normal is meant) sit dozens of standard
errors away and are caught with overwhelming probability.

The bounds, for n i.i.d. weights with intended standard deviation s:

- mean: the sample mean has standard error s / sqrt(n); we allow |mean| <= 6 standard errors.
  For a normal this is exact (two-sided tail 2.0e-9); for a uniform the mean of n >= 10^5
  bounded draws is normal to well within that accuracy (its skewness is 0).
- variance: the mean of W^2 (the mean is known to be 0) has expectation s^2 and standard
  error s^2 * sqrt((kurtosis - 1) / n), kurtosis 3 for a normal and 9/5 for a uniform;
  we allow 6 standard errors. The skewness of that mean is <= sqrt(8 / n) <= 0.009, so the
  Edgeworth correction changes the 6-sigma tail by less than 30%: <= 3e-9.
- shape of the distribution: the Kolmogorov-Smirnov distance D between the empirical and
  the intended CDF (``scipy.stats.kstest``, exact p-value). By the DKW inequality (Massart
  1990) P(D > d) <= 2 exp(-2 n d^2) for any n, so the p-value threshold 1e-9 is a false-alarm
  rate <= 1e-9. With n = 1.2e5 this rejects D > 0.0094; a uniform instead of a normal of the
  same variance has D = 0.058, a 15% wrong scale D >= 0.03.
- uniform support: no value outside [-a, a] (up to rounding), and both ends are reached:
  P(no draw in [a(1 - delta), a]) = (1 - delta / 2)^n <= exp(-n delta / 2) = 1e-10 for
  delta = 2 ln(1e10) / n (4e-4 relative for n = 1.2e5).
- distinct values: continuous draws in float64 almost never repeat (a float32 generator
  repeats ~0.4% of 1.2e5 values); we require >= 99% distinct, which catches one column
  (or row) broadcast to every unit, the symmetry problem in disguise.

``check_rng_use`` checks that a function draws from its ``rng`` argument only, in a way that
also works when the function runs in another process (the course grader's sandbox, which
syncs the Generator's state back after each call): generators in the same state must give
identical weights (global ``np.random`` or an unseeded generator would not), generators in
different states different weights (a fixed seed inside would not), and two calls with one
generator different weights (drawing from a copy would not). Where the function runs in this
process, it also checks that ``np.random``'s global state is left untouched.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from .checks import as_array, call, check_close, check_shape, fail

__all__ = ["check_bounded", "check_init_mlp", "check_normal", "check_rng_use", "check_uniform", "check_weights",
           "layer_scale_hint"]

Z_BOUND = 6.0          # two-sided normal tail: 2.0e-9 per check
KS_MIN_P = 1e-9        # DKW: false alarm <= 1e-9 per check
EDGE_MISS_P = 1e-10    # probability that no draw lands near one end of U(-a, a)
MIN_DISTINCT = 0.99    # fraction of distinct values required
MIN_SAMPLES = 10_000   # below this the normal approximations above are not trusted


Mistakes = Sequence[tuple[float, str]]


def check_weights(W, shape: tuple, *, name: str, dtype=np.float64, output: str = "W") -> np.ndarray:
    """``W`` is a finite ndarray of ``shape`` and ``dtype``; returns it as an array."""
    W = as_array(W, name, output)
    shape = tuple(int(s) for s in shape)
    if len(shape) == 2 and W.ndim == 1 and W.size == shape[0] * shape[1]:
        fail(f"{name}: {output} has shape {W.shape}, expected {shape} = (fan_in, fan_out)."
             "\n  hint: that is a flat vector of the right number of values; a weight is a 2-d "
             "matrix, one row per input and one column per unit (give the shape as a pair)")
    if len(shape) == 2 and W.shape == shape[::-1] and shape[0] != shape[1]:
        fail(f"{name}: {output} has shape {W.shape}, expected {shape} = (fan_in, fan_out)."
             "\n  hint: the shape is transposed. In this course a weight is (fan_in, fan_out), "
             "so that a layer computes x @ W for a batch x of shape (N, fan_in)")
    check_shape(W, shape, name=name, output=output)
    if W.dtype != np.dtype(dtype):
        fail(f"{name}: {output} has dtype {W.dtype}, expected {np.dtype(dtype)}."
             + ("\n  hint: np.zeros(shape) and rng.normal(...) give float64; an integer dtype "
                "cannot hold small weights" if W.dtype.kind in "biu" else
                f"\n  hint: cast with .astype(np.{np.dtype(dtype).name})"
                + (" (or leave NumPy's default float64 alone)" if np.dtype(dtype) == np.float64
                   else "")))
    if not np.all(np.isfinite(W)):
        fail(f"{name}: {output} contains {W[~np.isfinite(W)][0]} (not a finite number).")
    return W


def check_normal(W, std: float, *, name: str, mistakes: Mistakes = (), output: str = "W") -> None:
    """The entries of ``W`` are i.i.d. N(0, std^2).

    mistakes: ``(std_if_wrong, explanation)`` pairs; when the sample's standard deviation
    matches one of them, the failure says which mistake it looks like.
    """
    x = _sample(W, name, output)
    _check_distinct(W, name, output)
    described = f"N(0, {std:.4g}^2)"
    _check_mean(x, std, name, output, described)
    _check_scale(x, std, kurtosis=3.0, name=name, output=output, described=described,
                 mistakes=mistakes, to_bound=None)
    from scipy import stats
    _check_ks(x, stats.norm(0.0, std).cdf, name, output, described,
              other="a uniform U(-a, a) with the same variance")


def check_uniform(W, bound: float, *, name: str, mistakes: Mistakes = (), output: str = "W") -> None:
    """The entries of ``W`` are i.i.d. U(-bound, bound).

    mistakes: ``(bound_if_wrong, explanation)`` pairs, matched against the bound that the
    sample's standard deviation implies.
    """
    x = _sample(W, name, output)
    _check_distinct(W, name, output)
    a = float(bound)
    described = f"U(-{a:.4g}, {a:.4g})"
    std = a / math.sqrt(3.0)
    _check_mean(x, std, name, output, described)
    # the scale first: a known mistake (a wrong bound) is named before its values leave [-a, a]
    _check_scale(x, std, kurtosis=9 / 5, name=name, output=output, described=described,
                 mistakes=mistakes, to_bound=math.sqrt(3.0))
    check_bounded(x, a, name=name, output=output)
    lo, hi = float(x.min()), float(x.max())
    delta = 2 * math.log(1 / EDGE_MISS_P) / x.size
    if hi < a * (1 - delta) or lo > -a * (1 - delta):
        side, value = ("largest", hi) if hi < a * (1 - delta) else ("smallest", lo)
        fail(f"{name}: the {side} value in {output} is {value:.6g}, but {x.size} draws from "
             f"{described} come within {delta:.1e} * a of both ends -a and a "
             f"(this fails by chance with probability < {EDGE_MISS_P:.0e})."
             "\n  hint: the bound a is too small, or the values do not fill [-a, a]")
    from scipy import stats
    _check_ks(x, stats.uniform(-a, 2 * a).cdf, name, output, described,
              other="a normal with the same variance")


def check_bounded(W, bound: float, *, name: str, output: str = "W") -> None:
    """Every entry of ``W`` lies in [-bound, bound] (any sample size)."""
    x = as_array(W, name, output)
    a = float(bound)
    slack = 1e-9 * a  # the test's bound and the student's may differ in the last bits
    if x.size == 0 or np.all(np.abs(x) <= a + slack):
        return
    worst = x.reshape(-1)[int(np.argmax(np.abs(x)))]
    fail(f"{name}: {output} has a value {worst:.6g} outside [-a, a] = [{-a:.6g}, {a:.6g}]."
         "\n  hint: U(-a, a) never leaves [-a, a]. Is the bound a too large, or is this a "
         "normal distribution (rng.normal) where a uniform is meant?")


def check_rng_use(fn: Callable, args: tuple, rng: np.random.Generator, *, name: str,
                  kwargs: dict | None = None, random: bool = True) -> None:
    """``fn(*args, generator, **kwargs)`` draws from ``generator`` and nothing else.

    rng: the test's own generator, used only to pick fresh seeds. random=False (zeros_init)
    only asks for identical results and an untouched global state.
    """
    kwargs = kwargs or {}
    seed = int(rng.integers(2**63))
    global_before = np.random.get_state()

    def draw(generator):
        return as_array(call(fn, *args, generator, name=name, **kwargs), name, "W")

    first = draw(np.random.default_rng(seed))
    again = draw(np.random.default_rng(seed))
    if first.shape != again.shape or not np.array_equal(first, again):
        fail(f"{name}: two calls with generators in the same state (np.random.default_rng({seed}) "
             "each time) returned different weights."
             "\n  hint: draw only from the `rng` argument (rng.normal, rng.uniform, "
             "rng.standard_normal, rng.random); np.random.randn/normal/uniform use NumPy's "
             "global state, and np.random.default_rng() without a seed is a new random stream, "
             "so the same rng would not give the same network")
    if random:
        other = draw(np.random.default_rng(seed + 1))
        if np.array_equal(first, other):
            fail(f"{name}: generators in different states (seeds {seed} and {seed + 1}) "
                 "returned identical weights, so the `rng` argument is ignored."
                 "\n  hint: is there a fixed seed inside the function "
                 "(np.random.default_rng(0), np.random.seed(...))? Draw from `rng` itself")
        generator = np.random.default_rng(seed)
        one, two = draw(generator), draw(generator)
        if np.array_equal(one, two):
            fail(f"{name}: two calls in a row with the same generator returned identical "
                 "weights, so the generator did not advance."
                 "\n  hint: draw from `rng` itself, not from a copy or from a new generator "
                 "made from it; otherwise every layer of init_mlp gets the same matrix")
    global_after = np.random.get_state()
    if not _same_global_state(global_before, global_after):
        fail(f"{name} changed NumPy's global random state (np.random.seed, np.random.normal, "
             "...). Draw only from the `rng` argument, so that results depend on rng alone.")


def check_init_mlp(init_mlp: Callable, layer_sizes, seed: int, dtype=None) -> dict:
    """``init_mlp(layer_sizes, probe, rng[, dtype])`` (the graded function or its proxy)
    against calling the probe by hand, layer by layer.

    The probe is a stand-in initializer (standard normal weights, so every call differs)
    that also notes its arguments and which generator it was given. dtype is passed by name
    ("float64"). The calls, keys, values and zero biases are checked before the dtypes, so a
    wrong value is named rather than hidden behind a missing cast. Returns the parameters.
    """
    rng = np.random.default_rng(seed)
    wrong_generators, calls = [], []

    def probe(fan_in, fan_out, generator):
        calls.append((fan_in, fan_out))
        if generator is not rng:
            wrong_generators.append(repr(generator))
            return np.zeros((fan_in, fan_out))
        return generator.standard_normal((fan_in, fan_out))

    if dtype is None:
        params = call(init_mlp, layer_sizes, probe, rng, name="init_mlp")
        dtype = "float32"
    else:
        params = call(init_mlp, layer_sizes, probe, rng, dtype=dtype, name="init_mlp")
    if wrong_generators:
        fail(f"init_mlp: init was called with {wrong_generators[0]} as its generator, not with "
             "the rng that init_mlp was given. Pass `rng` itself to every call of init, so that "
             "the caller decides the random numbers (and the same rng gives the same network).")
    if not isinstance(params, dict):
        fail(f"init_mlp: returned a {type(params).__name__}, expected a dict "
             "{'W1': ..., 'b1': ..., ...}.")
    L = len(layer_sizes) - 1
    pairs = [(layer_sizes[k], layer_sizes[k + 1]) for k in range(L)]
    if calls == [pair[::-1] for pair in pairs] and calls != pairs:
        fail(f"init_mlp: init was called as init{calls[0]} for layer 1 of sizes "
             f"{list(layer_sizes)}: its arguments are (fan_in, fan_out), and it returns W of "
             "that shape, the layout x @ W uses (no transpose needed).")
    if len(calls) != L:
        fail(f"init_mlp: init was called {len(calls)} times for {L} layers: call it once per "
             "layer, for the weights only (the biases do not come from init).")
    expected_keys = [f"{kind}{layer}" for layer in range(1, L + 1) for kind in "Wb"]
    if set(params) != set(expected_keys):
        fail(f"init_mlp: for layer sizes {list(layer_sizes)} ({L} layers) the keys should be "
             f"{expected_keys}, got {sorted(params)}."
             "\n  hint: layers count from 1 (W1 is the first layer's weight), and there is one "
             "layer per pair of consecutive sizes")
    reference = np.random.default_rng(seed)
    previous = None
    for layer in range(1, L + 1):
        fan_in, fan_out = layer_sizes[layer - 1], layer_sizes[layer]
        expected_W = reference.standard_normal((fan_in, fan_out))  # what the l-th call returns
        W = as_array(params[f"W{layer}"], "init_mlp", f"W{layer}")
        W = check_weights(W, (fan_in, fan_out), name="init_mlp", dtype=W.dtype, output=f"W{layer}")
        hint = ("W_l = init(fan_in, fan_out, rng) with the rng you were given, called once "
                "per layer in order (layer 1 first), then cast to dtype")
        if previous is not None and previous.shape == W.shape and np.array_equal(previous, W):
            hint = (f"W{layer} is the same matrix as W{layer - 1}: every layer needs its own "
                    "call to init (with the same rng, which advances with each call)")
        check_close(W, expected_W.astype(dtype), name="init_mlp", output=f"W{layer}", hint=hint, dtype=dtype)
        b = as_array(params[f"b{layer}"], "init_mlp", f"b{layer}")
        b = check_weights(b, (fan_out,), name="init_mlp", dtype=b.dtype, output=f"b{layer}")
        if np.any(b != 0):
            fail(f"init_mlp: b{layer} should start at zero; it has {np.count_nonzero(b)} "
                 f"nonzero entries (e.g. {b[b != 0][0]:.3g}).")
        previous = W
    for key in expected_keys:
        check_weights(params[key], np.shape(params[key]), name="init_mlp", dtype=dtype, output=key)
    # the caller's generator has advanced exactly as the calls to init advance it
    if rng.random() != reference.random():
        fail("init_mlp: after the call the caller's rng is not where the calls "
             "init(fan_in, fan_out, rng) leave it. Draw nothing from rng yourself: only init does.")
    return params


# What the known mistakes make of the visible tests' measure of the signal on a square layer of
# n inputs and n units (the target is 1): the measured value over the target, as a function of
# n, and what the mistake is. For the ReLU initializers the measure is E[relu(x @ W)^2]
# (1 for He's variance); for Xavier's it is Var[x @ W].
_SQUARE_LAYER_MISTAKES = {
    "uniform": [
        (lambda n: 1 / 3, "that is the standard deviation used as the bound a: U(-a, a) has "
                          "variance a^2 / 3, so a bound is larger than the standard deviation"),
    ],
    "normal": [
        (lambda n: 3.0, "that is the bound of the uniform version used as the standard deviation: "
                        "rng.normal takes the standard deviation itself"),
    ],
    "xavier_uniform": [
        (lambda n: 1 / 6, "two factors are missing at once, a factor 6 in all: the 3 of "
                          "Var[U(-a, a)] = a^2 / 3 and the 2 of Xavier's variance"),
        (lambda n: 2.0, "on this square layer that is He's bound (fan_in alone, with ReLU's "
                        "factor 2); Xavier's variance is for tanh-like layers and uses both fans"),
    ],
    "xavier_normal": [
        (lambda n: 1 / n, "that is the variance used as the standard deviation: rng.normal "
                          "takes the standard deviation, the square root of the variance"),
        (lambda n: 1 / 2, "a factor 2 is missing in the variance: compare with your 4.3"),
        (lambda n: 2.0, "on this square layer that is He's standard deviation (fan_in alone, "
                        "with ReLU's factor 2); Xavier's uses both fans"),
    ],
    "he_uniform": [
        (lambda n: 6 / n, "the square root is missing: the bound is the square root of a "
                          "multiple of the variance"),
        (lambda n: 1 / 2, "ReLU's factor 2 is missing (ReLU switches off half of the signal; on "
                          "this square layer Xavier's bound gives the same)"),
    ],
    "he_normal": [
        (lambda n: 2 / n, "that is the variance used as the standard deviation: rng.normal "
                          "takes the standard deviation, the square root of the variance"),
        (lambda n: 1 / 2, "ReLU's factor 2 is missing in the variance (ReLU switches off half of "
                          "the signal; on this square layer Xavier's scale gives the same)"),
    ],
}
SCALE_MATCH = 0.05   # the visible measure of a correct layer is within ~1% of its value


def layer_scale_hint(name: str, W, measured: float, *, target: float = 1.0) -> str:
    """A hint for the visible tests' measure of the signal after one square layer of ``W``
    (n x n): ``measured`` should be ``target``. Names the known mistake whose measure it
    matches (all weights >= 0, a standard deviation used as a bound, a missing square root
    or factor), else asks the student to compare the scale with their derivation."""
    W = np.asarray(W, dtype=np.float64)
    kind = "uniform" if name.endswith("uniform") else "normal"
    if W.size and float(W.min()) >= 0:
        return ("every weight is >= 0: U(-a, a) and N(0, sigma^2) are centred on 0, so about "
                "half of the weights are negative")
    n, ratio = int(W.shape[0]), measured / target
    for expected, text in _SQUARE_LAYER_MISTAKES[kind] + _SQUARE_LAYER_MISTAKES.get(name, []):
        if ratio > 0 and abs(math.log(ratio / expected(n))) < SCALE_MATCH:
            return f"your result is {ratio:.3g} times the target: {text}"
    return ("compare your scale with your table of 4.4: is the number you pass to rng "
            + ("the bound a" if kind == "uniform" else "the standard deviation")
            + ", as it must be?" + (" And is ReLU's factor in it?" if name.startswith("he") else ""))


def _same_global_state(a, b) -> bool:
    return (a[0] == b[0] and np.array_equal(a[1], b[1]) and a[2:] == b[2:])


def _sample(W, name: str, output: str) -> np.ndarray:
    x = as_array(W, name, output).astype(np.float64).reshape(-1)
    if x.size < MIN_SAMPLES:  # a mistake in the test, not in the student's code
        raise ValueError(f"statistical checks need >= {MIN_SAMPLES} values, got {x.size}")
    if not np.all(np.isfinite(x)):
        fail(f"{name}: {output} contains values that are not finite numbers.")
    return x


def _check_mean(x: np.ndarray, std: float, name: str, output: str, described: str) -> None:
    n = x.size
    limit = Z_BOUND * std / math.sqrt(n)
    mean = float(x.mean())
    if abs(mean) <= limit:
        return
    hint = ("every value is >= 0: U[0, a) or rng.random() * a must be shifted to [-a, a) "
            "(e.g. rng.uniform(-a, a, size) or 2 * a * rng.random(size) - a)"
            if x.min() >= 0 else
            "weights must be centred on 0; check the `loc`/`low` arguments (rng.normal(loc, "
            "scale): the first argument is the mean, not the standard deviation)")
    fail(f"{name}: the mean of {output} is {mean:.4g}, but {n} draws from {described} have a "
         f"mean within +-{limit:.2g} ({Z_BOUND:g} standard errors)."
         f"\n  hint: {hint}")


def _check_scale(x: np.ndarray, std: float, *, kurtosis: float, name: str, output: str,
                 described: str, mistakes: Mistakes, to_bound: float | None) -> None:
    n = x.size
    second = float(np.mean(x * x))
    expected = std * std
    limit = Z_BOUND * expected * math.sqrt((kurtosis - 1) / n)
    if abs(second - expected) <= limit:
        return
    got_std = math.sqrt(second)
    lines = [f"{name}: {output} has the wrong scale for {described}.",
             f"  its standard deviation is {got_std:.5g}, expected {std:.5g} (ratio {got_std / std:.4g}); "
             f"with {n} draws a correct one is within {50 * limit / expected:.2g}% of it"]
    if to_bound is not None:
        lines.append(f"  (that is U(-a, a) with a = {got_std * to_bound:.5g} instead of "
                     f"{std * to_bound:.5g}: the variance of U(-a, a) is a^2 / 3)")
    # name the known mistake whose scale the sample matches (within 3%, i.e. >> 6 standard errors)
    observed = got_std * (to_bound or 1.0)
    best = min(mistakes, key=lambda m: abs(math.log(observed / m[0])) if m[0] > 0 else math.inf,
               default=None)
    if best is not None and best[0] > 0 and abs(observed / best[0] - 1) < 0.03:
        lines.append(f"  hint: {best[1]}")
    elif got_std / std > 1:
        lines.append("  hint: the weights are too large; compare your formula with the docstring")
    else:
        lines.append("  hint: the weights are too small; compare your formula with the docstring")
    fail("\n".join(lines))


def _check_ks(x: np.ndarray, cdf, name: str, output: str, described: str, other: str) -> None:
    from scipy import stats
    result = stats.kstest(x, cdf)
    if result.pvalue >= KS_MIN_P:
        return
    fail(f"{name}: {output} does not follow {described}: the largest gap between the empirical "
         f"CDF of its {x.size} values and the CDF of {described} is D = {result.statistic:.4f} "
         f"(Kolmogorov-Smirnov p-value {result.pvalue:.1e}; a correct sample gives p < "
         f"{KS_MIN_P:.0e} with probability < {KS_MIN_P:.0e})."
         f"\n  hint: mean and scale are right, so the shape of the distribution is wrong: "
         f"is it {other}?")


def _check_distinct(W: np.ndarray, name: str, output: str) -> None:
    W = np.asarray(W)
    distinct = np.unique(W).size
    if distinct >= MIN_DISTINCT * W.size:
        return
    detail = ""
    if W.ndim == 2 and W.shape[1] > 1 and np.all(W == W[:, :1]):
        detail = (" Every column is the same, so every unit of the layer gets identical weights: "
                  "the units compute the same thing and receive the same gradient forever "
                  "(the symmetry problem).")
    elif W.ndim == 2 and W.shape[0] > 1 and np.all(W == W[:1, :]):
        detail = " Every row is the same: each input gets one weight shared by all units."
    fail(f"{name}: {output} has only {distinct} distinct values among {W.size}.{detail}"
         "\n  hint: draw every entry independently, with size=(fan_in, fan_out)")
