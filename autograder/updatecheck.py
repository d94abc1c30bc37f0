"""Checks for optimizer update rules ``rule(w, dw, config=None) -> (next_w, config)``.

What 05_optimizers' test cells share; each cell keeps its own cases (the fixed example, the
rule's defaults, its ``torch.optim`` reference, the random configurations and the known
mistakes to name) and calls these helpers:

- ``update`` makes one call the way a training loop does and checks the contract: ``w``,
  ``dw`` and ``config`` come back unmodified; the result is a pair ``(next_w, config dict)``;
  ``next_w`` is a new array shaped like ``w`` with ``w``'s dtype, sharing memory with no input.
- ``race`` updates one or several parameters in turns, each with its own config, and after
  every step compares the trajectory with a ``torch.optim`` optimizer started from the same
  ``w`` and fed the same gradients. On a mismatch it replays the rule's known mistakes and,
  when one reproduces the student's trajectory, says which.
- ``hidden_tests`` is the standard battery: constant gradients, random gradients with dead
  elements, a quadratic whose gradient is taken at the current ``w`` (so an error
  compounds), ``config=None`` and a partial config, three parameters in turns, float32.
- ``check_defaults`` checks that a config returned for ``config=None`` holds the documented
  default hyperparameters.
- ``given_gradients``, ``constant_gradient``, ``random_gradients`` and ``quadratic`` make the
  gradient sources ``grad(w, t) -> dw`` (``t`` = 1, 2, ... the step) that ``race`` feeds.

Everything here works in both places a test cell runs: in the student's kernel, and in the
course grader's trusted process where ``Rule.function`` is a proxy into the sandbox (only
plain arrays and dicts cross; the returned config is passed back untouched).

Tolerances. float64: NumPy and torch round differently (~1e-16 relative per operation); over
at most 15 steps, even with the quadratic's feedback, ``w - w_start`` agrees to ~1e-13
relative (worst seen in 300 random trials of the solution and of every cataloged alternative:
2.3e-12). Every cataloged mistake changes it by 1e-5 or more, so 1e-9 leaves wide margins on
both sides. float32: ``w`` itself is compared (a small step is below float32's resolution of
``w``); ``w`` rounds to ~6e-8 of its size at every step, so after 6 steps it agrees with the
float64 reference to ~1e-6 of ``max |w_start|`` (worst seen in those trials: 8.3e-7); 1e-5 of
that scale is allowed (as atol, since ``w`` may cross 0).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from . import checks as ck

__all__ = ["MISTAKES", "Rule", "check_defaults", "constant_gradient", "fixed_example",
           "given_gradients", "hidden_tests", "quadratic", "race", "random_gradients", "update"]

RTOL = {np.dtype(np.float64): 1e-9, np.dtype(np.float32): 1e-5}
DIAGNOSE_RTOL = 1e-7   # a mistake "reproduces" a trajectory to this fraction of its size

# grad(w, t) -> dw: the gradient fed at step t (1, 2, ...) when the parameter is at w
Gradient = Callable[[np.ndarray, int], np.ndarray]
# one_step(w, dw, state, hyperparameters) -> (next_w, state): a known mistake, replayed
OneStep = Callable[[np.ndarray, np.ndarray, dict, dict], tuple]


@dataclass(frozen=True)
class Rule:
    """The update rule under test and what a correct one does.

    function: the graded rule (or the grader's proxy of it); name: its name in messages;
    defaults: the documented default hyperparameters; torch_optimizer(p, hyperparameters):
    the matching ``torch.optim`` optimizer of the float64 tensor ``p``; warning_hint: what
    to say when the rule emits a floating-point warning (None: the generic hint).
    """

    function: Callable
    name: str
    defaults: Mapping[str, float]
    torch_optimizer: Callable | None = None
    warning_hint: str | None = None
    mistakes: Mapping[str, OneStep] = field(default_factory=dict)

    def in_effect(self, config) -> dict:
        """The hyperparameters a correct rule uses for ``config`` (defaults filled in)."""
        return {**self.defaults, **{k: v for k, v in (config or {}).items() if k in self.defaults}}


def update(rule: Rule, w: np.ndarray, dw: np.ndarray, config: dict | None = None) -> tuple:
    """One call ``rule(w, dw[, config])``, as a training loop makes it, with the contract
    checked (see the module docstring). Returns ``(next_w, config)``."""
    name = rule.name
    args = (w, dw) if config is None else (w, dw, config)
    try:
        result = ck.call(rule.function, *args, name=name, forbid_warnings=True)
    except ck.CheckFailure as failure:
        if "argument 3" in str(failure):
            raise ck.CheckFailure(
                f"{failure}\n  hint: the config passed in belongs to the caller: work on a new "
                "dict made from it, and compute new state arrays instead of changing the caller's "
                "in place (an augmented assignment such as *= writes into the array itself)") from None
        if "emitted" in str(failure) and rule.warning_hint:
            raise ck.CheckFailure(f"{failure}\n  hint: {rule.warning_hint}") from None
        raise
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        ck.fail(f"{name} should return a pair (next_w, config); it returned {type(result).__name__}.")
    next_w, new_config = result
    if not isinstance(new_config, dict):
        ck.fail(f"{name}: the returned config is a {type(new_config).__name__}, not a dict. Return "
                "the config holding the hyperparameters and the state: the next call continues from it.")
    ck.check_shape(next_w, np.shape(w), name=name, output="next_w")
    if np.asarray(next_w).dtype != w.dtype:
        ck.fail(f"{name}: next_w has dtype {np.asarray(next_w).dtype}, but w was {w.dtype}. Keep "
                "w's dtype (float32 in training). Two common ways to lose it: state arrays "
                "created from w's shape alone (NumPy's constructors give float64 unless given a "
                "dtype), and NumPy float64 scalars (np.sqrt or np.float64 of a number), which make "
                "a float32 array float64 when they multiply it (Python floats do not: math.sqrt, "
                "float(...)).")
    _check_no_shared_memory(name, w, dw, next_w, new_config)
    return next_w, new_config


def check_defaults(rule: Rule, config: dict) -> None:
    """``config``, returned by a call with ``config=None``, holds every documented default."""
    for key, value in rule.defaults.items():
        if key not in config or not np.isclose(config[key], value, rtol=1e-12, atol=0):
            ck.fail(f"{rule.name}: with config=None the returned config should hold the default "
                    f"{key} = {value}; it holds {config.get(key, 'nothing')} (keys: {sorted(config)}).")


def _check_no_shared_memory(name: str, w, dw, next_w, new_config: dict) -> None:
    arrays = {"w": w, "dw": dw}
    arrays.update({f"config[{key!r}]": value for key, value in new_config.items()
                   if isinstance(value, np.ndarray)})
    for where, array in arrays.items():
        if isinstance(next_w, np.ndarray) and np.shares_memory(next_w, array):
            ck.fail(f"{name}: next_w shares its memory with {where}, so changing one in place "
                    "would silently change the other. Return a new array.")
    for key, value in new_config.items():
        for where in ("w", "dw"):
            if isinstance(value, np.ndarray) and np.shares_memory(value, arrays[where]):
                ck.fail(f"{name}: config[{key!r}] shares its memory with the input {where}; a caller "
                        f"that reuses its {where} buffer would corrupt the state. Store a copy.")


# --- gradient sources ------------------------------------------------------------------

def given_gradients(gradients) -> Gradient:
    """The gradients of a fixed example: ``gradients[t - 1]`` at step t, wherever w is."""
    gradients = [np.array(g, dtype=np.float64) for g in gradients]
    return lambda w, t: gradients[t - 1].copy()


def constant_gradient(shape: tuple, rng: np.random.Generator) -> Gradient:
    """The same gradient at every step, elements of scale 1e-2 to 10."""
    g = rng.normal(size=shape) * 10 ** rng.uniform(-2, 1, size=shape)
    return lambda w, t: g.copy()


def random_gradients(shape: tuple, rng: np.random.Generator, steps: int, dead: float = 0.0) -> Gradient:
    """Fresh gradients every step, with a fixed scale per element (1e-2 to 10) and a fraction
    ``dead`` of elements whose gradient is exactly 0 at every step (like a dead ReLU unit)."""
    scale = 10 ** rng.uniform(-2, 1, size=shape) * (rng.random(size=shape) >= dead)
    gs = [rng.normal(size=shape) * scale for _ in range(steps)]
    return lambda w, t: gs[t - 1].copy()


def quadratic(shape: tuple, rng: np.random.Generator) -> Gradient:
    """Gradient of f(w) = 1/2 (w - c)^T A (w - c), A symmetric with eigenvalues in [0.5, 5]:
    computed at the current w, so a wrong step changes every later gradient."""
    n = int(np.prod(shape))
    q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    A = (q * rng.uniform(0.5, 5.0, size=n)) @ q.T
    c = rng.normal(size=shape)
    return lambda w, t: (A @ (w - c).reshape(-1)).reshape(shape)


# --- trajectories compared with torch.optim -----------------------------------------------

def _replay(rule: Rule, one_step: OneStep, run: dict, steps: int) -> list:
    w, state, path = run["w0"].copy(), {}, []
    hp = rule.in_effect(run["config"])
    with np.errstate(all="ignore"):
        for t in range(1, steps + 1):
            w, state = one_step(w, run["grad"](w, t), state, hp)
            path.append(w)
    return path


def _diagnose(rule: Rule, run: dict) -> str | None:
    """Name a known mistake whose trajectory the student's reproduces, if any."""
    for message, one_step in rule.mistakes.items():
        theirs = _replay(rule, one_step, run, len(run["path"]))
        if all(np.all(np.isfinite(b)) and np.max(np.abs(a - b), initial=0) <=
               DIAGNOSE_RTOL * max(np.max(np.abs(b - run["w0"]), initial=0), 1e-12)
               for a, b in zip(run["path"], theirs)):
            return message
    return None


def race(rule: Rule, runs: list[dict], steps: int, phase: str) -> None:
    """Update every run's w in turns (run 1, run 2, ..., run 1, ...), each with its own config,
    and after every step compare w - w_start (float64) or w (float32) with a torch optimizer's,
    started from the same w and fed the same gradients.

    A run is a dict: ``w0`` (the start, float64 or float32), ``config`` (dict or None),
    ``grad`` (a gradient source) and optionally ``hint`` (said on a mismatch no known
    mistake explains).
    """
    import torch

    for run in runs:
        run.update(w=run["w0"].copy(), cfg=run["config"], path=[])
        run["p"] = torch.tensor(run["w0"].astype(np.float64), requires_grad=True)
        run["opt"] = rule.torch_optimizer(run["p"], rule.in_effect(run["config"]))
    for t in range(1, steps + 1):
        for k, run in enumerate(runs):
            dtype = run["w0"].dtype
            dw = run["grad"](run["w"].astype(np.float64), t).astype(dtype)
            run["w"], run["cfg"] = update(rule, run["w"], dw, run["cfg"])
            run["path"].append(run["w"].astype(np.float64))
            reference = run["p"].detach().numpy().copy()
            run["p"].grad = torch.from_numpy(run["grad"](reference, t).astype(dtype).astype(np.float64))
            run["opt"].step()
            origin = run["w0"].astype(np.float64) if dtype == np.float64 else 0.0
            expected = run["p"].detach().numpy() - origin
            got = run["path"][-1] - origin
            output = (("w - w_start" if dtype == np.float64 else "w")
                      + f" after {t} step{'s' if t > 1 else ''} ({phase}"
                      + (f", parameter {k + 1} of {len(runs)}" if len(runs) > 1 else "") + ")")
            rtol = RTOL[dtype]
            atol = 0.0 if dtype == np.float64 else rtol * float(np.max(np.abs(run["w0"])))
            try:
                ck.check_close(got, expected, name=rule.name, output=output, rtol=rtol, atol=atol)
            except ck.CheckFailure:
                hint = (_diagnose(rule, run) if dtype == np.float64 else None) or run.get("hint")
                ck.check_close(got, expected, name=rule.name, output=output, rtol=rtol, atol=atol,
                               hint=hint)
                raise


def fixed_example(rule: Rule, w, config: dict | None, gradients, *,
                  output: str = "w after step {t}") -> tuple:
    """The visible tests' fixed example: ``len(gradients)`` calls from ``w`` (float64) with
    ``config`` (None: the defaults), each step compared with ``torch.optim`` fed the same
    gradients. The student's whole trajectory is computed first, so that on a mismatch the
    known mistake it reproduces (``rule.mistakes``, over every step) is named; else a hint
    from the first step's size. Returns the last ``(w, config)``."""
    import torch

    w0 = np.array(w, dtype=np.float64)
    gradients = [np.array(g, dtype=np.float64) for g in gradients]
    current, cfg, path = w0, config, []
    for g in gradients:
        current, cfg = update(rule, current, g.copy(), cfg)
        path.append(np.asarray(current, dtype=np.float64))
    p = torch.tensor(w0.copy(), requires_grad=True)
    optimizer = rule.torch_optimizer(p, rule.in_effect(config))
    first = None
    for t, g in enumerate(gradients, start=1):
        p.grad = torch.from_numpy(g.copy())
        optimizer.step()
        expected = p.detach().numpy().copy()
        first = expected if first is None else first
        label = output.format(t=t)
        try:
            ck.check_close(path[t - 1], expected, name=rule.name, output=label)
        except ck.CheckFailure:
            run = dict(w0=w0, config=config, grad=given_gradients(gradients), path=path)
            hint = _diagnose(rule, run) or (_first_step_hint(rule, run, first) if t == 1 else None)
            ck.check_close(path[t - 1], expected, name=rule.name, output=label, hint=hint)
            raise
    return current, cfg


def _first_step_hint(rule: Rule, run: dict, expected_w: np.ndarray) -> str | None:
    """What the first step's size says when no known mistake reproduces the trajectory."""
    step, expected = run["path"][0] - run["w0"], expected_w - run["w0"]
    if np.any(expected != 0):
        c = float(np.sum(step * expected) / np.sum(expected * expected))
        if np.allclose(step, c * expected, rtol=1e-6, atol=1e-12 * float(np.max(np.abs(expected)))):
            if abs(c + 1) < 1e-6:
                return ("the step has the wrong sign: w moved along +dw, uphill; a descent step "
                        "goes against the gradient")
            if run["config"] is None or set(rule.defaults) - set(run["config"]):
                return (f"your first step is {c:.4g} times the right one: for what config does not "
                        f"give, the rule must use the documented defaults {dict(rule.defaults)}")
            if rule.name != "adam":
                return (f"your first step is {c:.4g} times the right one: look for a missing or "
                        "extra factor in the step")
    if rule.name == "adam":
        lr = rule.in_effect(run["config"])["learning_rate"]
        moving = np.abs(run["grad"](run["w0"], 1)) > 0
        sizes = np.abs(step[moving]) / lr if np.any(moving) else np.zeros(1)
        return (f"at the first step your weights with a nonzero gradient moved by "
                f"{np.min(sizes):.3g} to {np.max(sizes):.3g} times "
                "learning_rate: compare that with what your derivation (c) says the first step "
                "with bias correction does to such a weight, then check the bias correction and "
                "the step count at the first update")
    return None


SHARED_STATE_HINT = ("each parameter alone follows torch, but not when several are updated in "
                     "turns: is some state kept outside config (a global variable, a default "
                     "argument, a function attribute)? Every parameter's state must live in its "
                     "own config.")


def hidden_tests(rule: Rule, random_config: Callable[[np.random.Generator], dict],
                 trials: int = 3) -> None:
    """The standard battery (see the module docstring); ``random_config(rng)`` draws a full
    config of hyperparameters for which the rule is stable on ``quadratic``."""
    for rng in ck.trials(trials):
        shapes = [(int(rng.integers(1, 6)),), tuple(int(n) for n in rng.integers(1, 5, size=2))]
        for shape in shapes:
            race(rule, [dict(w0=rng.normal(size=shape), config=random_config(rng),
                             grad=constant_gradient(shape, rng))], 10, "constant gradient")
            race(rule, [dict(w0=rng.normal(size=shape), config=random_config(rng),
                             grad=random_gradients(shape, rng, 10, dead=0.2))], 10, "random gradients")
            race(rule, [dict(w0=rng.normal(size=shape), config=random_config(rng),
                             grad=quadratic(shape, rng))], 15, "a quadratic, gradients at the current w")
    for rng in ck.trials(1):
        _defaults_tests(rule, random_config, rng)
    for rng in ck.trials(trials):
        # several parameters, each with its own config, updated in turns as in a training loop
        shape = tuple(int(n) for n in rng.integers(1, 5, size=2))
        race(rule, [dict(w0=rng.normal(size=shape), config=random_config(rng),
                         grad=random_gradients(shape, rng, 8), hint=SHARED_STATE_HINT),
                    dict(w0=rng.normal(size=shape), config=random_config(rng),
                         grad=random_gradients(shape, rng, 8), hint=SHARED_STATE_HINT),
                    dict(w0=rng.normal(size=(1,)), config=random_config(rng),
                         grad=random_gradients((1,), rng, 8), hint=SHARED_STATE_HINT)],
             8, "three parameters")
        # float32 in, float32 out (and the same path, to float32 precision)
        race(rule, [dict(w0=rng.normal(size=shape).astype(np.float32), config=random_config(rng),
                         grad=random_gradients(shape, rng, 6))], 6, "float32")


def _defaults_tests(rule: Rule, random_config, rng: np.random.Generator) -> None:
    """config=None and a partial config: the documented defaults fill in the rest."""
    w, dw = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    _, config = update(rule, w, dw)
    check_defaults(rule, config)
    defaults_hint = ("with config=None (or a config that gives only some hyperparameters) the "
                     f"rule must use the documented defaults for the others: {dict(rule.defaults)}")
    race(rule, [dict(w0=rng.normal(size=(4,)), config=None, grad=random_gradients((4,), rng, 6),
                     hint=defaults_hint)], 6, "config=None")
    partial = {"learning_rate": random_config(rng)["learning_rate"]}
    race(rule, [dict(w0=rng.normal(size=(2, 3)), config=partial,
                     grad=random_gradients((2, 3), rng, 6), hint=defaults_hint)], 6,
         f"config={partial}")


# --- known mistakes, replayed on the student's trajectory ---------------------------------
# Each is one_step(w, g, state, hp) -> (w, state), a rule with one mistake; the message says
# what the student's trajectory is consistent with and where to look, never the answer line.

def _momentum(move, velocity):
    def one_step(w, g, s, hp):
        lr, mu = hp["learning_rate"], hp["momentum"]
        before = s.get("v", np.zeros_like(w))
        after = velocity(before, g, lr, mu)
        return move(w, before, after, lr), {"v": after}
    return one_step


def _rmsprop(average=lambda c, g, rho: rho * c + (1 - rho) * g * g,
             divide=lambda old, c, eps: np.sqrt(c) + eps, forget=False):
    def one_step(w, g, s, hp):
        lr, rho, eps = hp["learning_rate"], hp["decay_rate"], hp["epsilon"]
        old = np.zeros_like(w) if forget else s.get("c", np.zeros_like(w))
        c = average(old, g, rho)
        return w - lr * g / divide(old, c, eps), {"c": c}
    return one_step


def _adam(correct_m=True, correct_v=True, shift=0, eps_inside=False, eps_early=False, swap=False,
          keep_corrected=False, no_eps=False, scalar_v=False, forget=False):
    def one_step(w, g, s, hp):
        lr, b1, b2, eps = hp["learning_rate"], hp["beta1"], hp["beta2"], hp["epsilon"]
        b1, b2 = (b2, b1) if swap else (b1, b2)
        s = {} if forget else s
        k = s.get("k", 0) + 1
        first = b1 * s.get("m1", np.zeros_like(w)) + (1 - b1) * g
        square = np.mean(g * g) if scalar_v else g * g
        second = b2 * s.get("m2", np.zeros_like(w)) + (1 - b2) * square
        first_c = first / (1 - b1 ** (k + shift)) if correct_m else first
        second_c = second / (1 - b2 ** (k + shift)) if correct_v else second
        if eps_inside:
            step = first_c / np.sqrt(second_c + eps)
        elif eps_early:
            step = first_c * np.sqrt(1 - b2 ** k) / (np.sqrt(second) + eps)
        else:
            step = first_c / (np.sqrt(second_c) + (0.0 if no_eps else eps))
        if keep_corrected:
            first, second = first_c, second_c
        return w - lr * step, {"k": k, "m1": first, "m2": second}
    return one_step


NOT_STORED = ("is not stored in the returned config, so every call starts again from the "
              "initial state: keep it in the config you return and read it back on the next call")

MISTAKES: dict[str, dict[str, OneStep]] = {
    "sgd": {
        "the step has the wrong sign: w moved along +dw, uphill; a descent step goes against "
        "the gradient": lambda w, g, s, hp: (w + hp["learning_rate"] * g, s),
        "the learning_rate given in config was ignored: your steps are what the default 0.01 "
        "gives; fill in a default only where config has no value":
            lambda w, g, s, hp: (w - 1e-2 * g, s),
    },
    "sgd_momentum": {
        "every step is a plain SGD step: the velocity " + NOT_STORED:
            _momentum(lambda w, v0, v, lr: w + v, lambda v, g, lr, mu: -lr * g),
        "w moved with the old velocity, the one from before this step's gradient: update the "
        "velocity first, then move w by the new one":
            _momentum(lambda w, v0, v, lr: w + v0, lambda v, g, lr, mu: mu * v - lr * g),
        "the learning rate is applied twice, once inside the velocity and again when w moves":
            _momentum(lambda w, v0, v, lr: w + lr * v, lambda v, g, lr, mu: mu * v - lr * g),
        "the gradient's part was scaled by (1 - momentum), as in an average (torch's dampening): "
        "the velocity keeps the fraction momentum of itself and gains the whole plain SGD step":
            _momentum(lambda w, v0, v, lr: w + v, lambda v, g, lr, mu: mu * v - (1 - mu) * lr * g),
        "the step has the wrong sign: w moved uphill; in this notebook's form the velocity is "
        "the step itself, so w moves by +v":
            _momentum(lambda w, v0, v, lr: w - v, lambda v, g, lr, mu: mu * v - lr * g),
    },
    "rmsprop": {
        "epsilon went inside the square root: the convention here (and torch's) adds it to the "
        "root": _rmsprop(divide=lambda old, c, eps: np.sqrt(c + eps)),
        "decay_rate and 1 - decay_rate are swapped: the old average keeps the weight decay_rate "
        "(close to 1), the new squared gradient gets the small rest":
            _rmsprop(average=lambda c, g, rho: (1 - rho) * c + rho * g * g),
        "the cache " + NOT_STORED: _rmsprop(forget=True),
        "the step divided by the old cache, from before this step: add this step's squared "
        "gradient to the average first, then divide": _rmsprop(divide=lambda old, c, eps: np.sqrt(old) + eps),
        "the step divided by the cache itself: divide by its square root, the root mean square":
            _rmsprop(divide=lambda old, c, eps: c + eps),
        "the cache averages |dw|, not the squared gradient: its square root is then not a root "
        "mean square (RMSprop averages squares)":
            _rmsprop(average=lambda c, g, rho: rho * c + (1 - rho) * np.abs(g)),
        "epsilon is missing from the denominator (it keeps 0 / 0 from happening where a "
        "gradient is always 0)": _rmsprop(divide=lambda old, c, eps: np.sqrt(c)),
    },
    "adam": {
        "no bias correction: m and v start at 0, so their early averages are too small; each "
        "needs its correction factor from your derivation": _adam(correct_m=False, correct_v=False),
        "only v has its bias correction: m needs its own": _adam(correct_m=False),
        "only m has its bias correction: v needs its own": _adam(correct_v=False),
        "the step count t is off by one: it must be 1 at the first update": _adam(shift=1),
        "epsilon went inside the square root: the convention here (and torch's) adds it to the "
        "root of the corrected v": _adam(eps_inside=True),
        "epsilon was added to the root of the raw v, before its bias correction (the paper's "
        "efficient form): rescale it by the same correction, or add it after correcting":
            _adam(eps_early=True),
        "epsilon is missing from the denominator": _adam(no_eps=True),
        "beta1 and beta2 are swapped: m averages with beta1, v with beta2": _adam(swap=True),
        "the corrected moments were stored as the state: store the raw averages m and v, and "
        "correct a copy at every step": _adam(keep_corrected=True),
        "v is one number for all weights (an average over the whole array): every weight needs "
        "its own second moment, elementwise": _adam(scalar_v=True),
        "the state (m, v and t) " + NOT_STORED: _adam(forget=True),
    },
}
