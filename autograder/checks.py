"""Assertions for test cells, with failure messages that teach.

A failed check raises ``CheckFailure`` (an ``AssertionError``) whose message names the
function and the output, gives the shape, the worst element's index with expected vs got,
the relative error against the tolerance, and a hint when the error matches a known mistake.
Inside ``for rng in trials(n):`` messages also give the random seed needed to repeat them.

Test cells use only these helpers and the graded functions, so the same cell runs in a
student's kernel (nbgrader) and in the course grader, where the graded functions are
proxies into a sandbox that behave like local calls.
"""

from __future__ import annotations

import os
import traceback
import warnings
from collections.abc import Callable, Iterator, Mapping

import numpy as np

from . import hints
from .gradcheck import numerical_gradient, numerical_gradients, refined_gradient, relative_error
from .snapshot import snapshot as _snapshot

__all__ = [
    "CheckFailure", "as_array", "call", "check_close", "check_dtype", "check_gradient",
    "check_gradients", "check_scalar", "check_shape", "default_rtol", "demanded_precision", "fail", "trials",
]


class CheckFailure(AssertionError):
    """A check that failed; ``str(error)`` is the message shown to the student."""


class _TrialContext:
    current: str | None = None


def forget_trial() -> None:
    """Leave any ``trials`` loop: later failures name no trial (a test cell that raised inside
    the loop leaves its generator suspended, and its trial current, until collected)."""
    _TrialContext.current = None


def fail(message: str) -> None:
    """Raise ``CheckFailure(message)``, noting the random trial when inside ``trials``."""
    if _TrialContext.current:
        message = f"{message}\n  ({_TrialContext.current})"
    raise CheckFailure(message)


def trials(count: int) -> Iterator[np.random.Generator]:
    """Yield ``count`` generators seeded afresh on every run: trial k (from 0) gets seed
    base + k for a base drawn per run.

    Failures inside the loop name the trial, its seed and the base. ``BFS_TEST_SEED=B``
    makes the run use base B, which repeats a reported failure exactly: the failing trial
    comes back at the same position, so tests whose cases depend on the trial's index (a
    fixed shape for the first trials, say) draw the same case again.
    """
    fixed = os.environ.get("BFS_TEST_SEED")
    base = int(fixed) % (2**32) if fixed else int(np.random.SeedSequence().entropy % (2**32))
    try:
        for k in range(count):
            seed = (base + k) % (2**32)
            _TrialContext.current = (f"random trial {k + 1} of {count}, seed {seed}: "
                                     f"set BFS_TEST_SEED={base} to repeat it")
            yield np.random.default_rng(seed)
    finally:
        _TrialContext.current = None


def default_rtol(dtype) -> float:
    """Tolerance for comparing against an exact reference in ``dtype`` arithmetic."""
    dtype = np.dtype(dtype)
    if dtype == np.float16:
        return 1e-2
    if dtype == np.float32:
        return 1e-4
    return 1e-7


# A list or tuple a student returns is converted to an array only up to this many numbers:
# a tuple that holds one large array many times (by reference, for free) would otherwise
# become gigabytes here, on the grader's side.
MAX_CONVERTED_NUMBERS = 2**24


def _numbers_in(value, depth: int = 0) -> int:
    """How many numbers np.asarray(value) would hold (more than the cap counts as the cap + 1)."""
    if isinstance(value, np.ndarray):
        return int(value.size)
    if not isinstance(value, (list, tuple)) or depth > 32:
        return 1
    total = 0
    for item in value:
        total += _numbers_in(item, depth + 1)
        if total > MAX_CONVERTED_NUMBERS:
            return total
    return total


def as_array(value, name: str, output: str = "the result") -> np.ndarray:
    """``value`` as a plain numeric ndarray, or a failure that says what came back instead."""
    if value is None:
        fail(f"{name}: {output} is None. Did the function forget to `return` it?")
    if isinstance(value, np.ndarray):
        if type(value) is not np.ndarray:
            fail(f"{name}: {output} is a {type(value).__name__}, a subclass of numpy.ndarray; "
                 "return a plain numpy.ndarray (np.asarray(...) converts it).")
        array = value
    elif isinstance(value, (int, float, np.number, np.bool_, list, tuple)):
        if isinstance(value, (list, tuple)) and _numbers_in(value) > MAX_CONVERTED_NUMBERS:
            fail(f"{name}: {output} is a {type(value).__name__} of more than {MAX_CONVERTED_NUMBERS} "
                 "numbers; return one numpy array of the expected shape.")
        try:
            array = np.asarray(value)
        except ValueError as error:  # ragged lists
            fail(f"{name}: {output} cannot be read as an array ({error}).")
    else:
        kind = getattr(value, "type_name", type(value).__name__)  # sandbox handles name their type
        fail(f"{name}: {output} is a {kind}, not a numpy array.")
    if array.dtype.kind not in "biuf":
        fail(f"{name}: {output} has dtype {array.dtype}; expected numbers (a float array).")
    return array


def check_shape(got, shape: tuple, *, name: str, output: str = "the result",
                batch_size: int | None = None, product: bool = False) -> None:
    got = as_array(got, name, output)
    shape = tuple(int(s) for s in shape)
    if got.shape != shape:
        hint = hints.shape_hint(got.shape, shape, batch_size, product=product)
        fail(f"{name}: {output} has shape {got.shape}, expected {shape}."
             + (f"\n  hint: {hint}" if hint else ""))


def check_dtype(got, dtype, *, name: str, output: str = "the result") -> None:
    got = as_array(got, name, output)
    if got.dtype != np.dtype(dtype):
        fail(f"{name}: {output} has dtype {got.dtype}, but the input was {np.dtype(dtype)}. "
             "Keep the input's dtype: float32 in training, float64 in gradient checks "
             "(e.g. np.zeros_like(x) or np.zeros(shape, dtype=x.dtype), not np.zeros(shape)).")


def demanded_precision(dtype=None) -> np.dtype:
    """The precision a check demands: ``dtype``, the dtype of the inputs the test passed
    (float32 where the test sent float32), or float64 when the test does not say.

    Neither the returned value's dtype nor the reference's enters: a float16 answer to a
    float64 test is judged at float64's tolerance, and a reference that is itself a student's
    output (an invariant: the same loss for a duplicated batch) cannot widen it either.
    """
    if dtype is None:
        return np.dtype(np.float64)
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"a check's precision is a float dtype, got {dtype}")
    return dtype


def _precision_note(got: np.ndarray, precision: np.dtype) -> str | None:
    """Why a result in a lower precision than the test's inputs misses the tolerance."""
    if got.dtype.kind != "f" or np.finfo(got.dtype).eps <= np.finfo(precision).eps:
        return None
    return (f"the result is {got.dtype} but the test's inputs are {precision}: it is judged at "
            f"{precision}'s tolerance, and {got.dtype} keeps only about "
            f"{int(np.finfo(got.dtype).precision)} digits. Compute and return in the input's dtype")


def check_close(got, expected, *, name: str, output: str = "the result", rtol: float | None = None,
                atol: float = 0.0, batch_size: int | None = None, hint: str | None = None,
                product: bool = False, dtype=None) -> None:
    """``got`` matches ``expected`` in shape and to ``relative_error <= rtol`` (plus ``atol``).

    ``dtype``: the precision the test demands, the dtype of the inputs it passed (None:
    float64); rtol defaults to its ``default_rtol``. The dtype ``got`` comes back in never
    sets the tolerance (see ``demanded_precision``). A failure gives the caller's ``hint`` first
    (it knows what this output is about), then a generic one from ``hints.value_hint`` where
    its precondition holds (``product``: the output comes from a matrix product, so a
    transpose is a possible mistake); before both, a note when ``got`` is in a lower precision
    than the test's (the likeliest cause then).
    """
    got = as_array(got, name, output)
    expected = np.asarray(expected)
    precision = demanded_precision(dtype)
    check_shape(got, expected.shape, name=name, output=output, batch_size=batch_size, product=product)
    if rtol is None:
        rtol = default_rtol(precision)
    bad = ~np.isfinite(got) & np.isfinite(expected)
    if np.any(bad):
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        fail(f"{name}: {output} contains {got[index]} at index {_index(index)} "
             f"(expected {float(expected[index]):.6g})."
             + (f"\n  hint: {hint}" if hint else
                "\n  hint: an overflow or a division by zero; large inputs need a numerically stable formula"))
    got64, expected64 = got.astype(np.float64), expected.astype(np.float64)
    error = relative_error(got64, expected64)
    scale = max(float(np.max(np.abs(got64), initial=0)), float(np.max(np.abs(expected64), initial=0)))
    worst_abs = float(np.max(np.abs(got64 - expected64), initial=0))
    if worst_abs <= rtol * scale + atol:
        return
    index = np.unravel_index(int(np.argmax(np.abs(got64 - expected64))), got.shape)
    known = hints.value_hint(got64, expected64, batch_size, product=product)
    lines = [
        f"{name}: {output} is wrong (shape {got.shape}).",
        f"  worst element at index {_index(index)}: expected {expected64[index]:.6g}, got {got64[index]:.6g}",
        f"  relative error {error:.2e} (tolerance {rtol:.0e})",
    ]
    for text in (_precision_note(got, precision), hint, known):
        if text:
            lines.append(f"  hint: {text}")
    fail("\n".join(lines))


def check_scalar(got, expected: float, *, name: str, output: str = "the loss",
                 rtol: float | None = None, atol: float = 0.0, hint: str | None = None,
                 dtype=None) -> None:
    """``got`` is a single number (Python or NumPy scalar, or 0-d array) close to ``expected``
    (``dtype``: the precision the test demands, as in ``check_close``)."""
    array = as_array(got, name, output)
    if array.shape != ():
        fail(f"{name}: {output} should be a single number, got an array of shape {array.shape}."
             "\n  hint: the loss is the mean over the batch; np.mean(...) returns one number")
    check_close(array, np.asarray(expected, dtype=np.float64), name=name, output=output,
                rtol=rtol, atol=atol, hint=hint, dtype=dtype)


def check_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, analytic, *, name: str,
                   output: str = "the gradient", h: float = 1e-5, rtol: float = 1e-6,
                   batch_size: int | None = None, hint: str | None = None) -> None:
    """``analytic`` matches the centered-difference gradient of scalar ``f`` at ``x`` (float64).

    The absolute slack 1e-9 * max(1, |f(x)|) covers rounding in the differences
    (about eps * |f| / h = 2e-11 * |f|), so exact zeros in ``analytic`` compare fairly.
    A mismatch is looked at again against Richardson's extrapolation (``refined_gradient``)
    before it fails, so a correct gradient of a very curved function passes.
    """
    numeric = numerical_gradient(f, x, h)
    atol = 1e-9 * max(1.0, abs(float(f(np.array(x, dtype=np.float64)))))
    _check_against_differences(analytic, numeric, f, x, h, name=name, output=output, rtol=rtol,
                               atol=atol, batch_size=batch_size, hint=hint)


def _check_against_differences(analytic, numeric, f, x, h, **check) -> None:
    try:
        check_close(analytic, numeric, **check)
    except CheckFailure:
        check_close(analytic, refined_gradient(f, x, numeric, h), **check)


def check_gradients(f: Callable[..., float], inputs: Mapping[str, np.ndarray],
                    analytic: Mapping[str, np.ndarray], *, name: str, h: float = 1e-5,
                    rtol: float = 1e-6, batch_size: int | None = None,
                    output_names: Mapping[str, str] | None = None) -> None:
    """Like ``check_gradient`` for ``f(**inputs)`` and every input: ``analytic[k]`` is d f / d inputs[k].

    Output names default to ``d<key>`` (``dW``, ``db``); ``analytic`` must have every key.
    """
    missing = [key for key in inputs if key not in analytic]
    if missing:
        fail(f"{name}: the gradients for {', '.join(missing)} are missing "
             f"(got keys {sorted(analytic)}).")
    numeric = numerical_gradients(f, inputs, h)
    values = {k: np.array(v, dtype=np.float64) for k, v in inputs.items()}
    atol = 1e-9 * max(1.0, abs(float(f(**values))))
    for key in inputs:
        output = (output_names or {}).get(key, f"d{key}")
        _check_against_differences(analytic[key], numeric[key],
                                   lambda x, key=key: f(**{**values, key: x}), values[key], h,
                                   name=name, output=f"the gradient {output}", rtol=rtol, atol=atol,
                                   batch_size=batch_size)


# NumPy's own defaults, in force for every call of a student's function: an
# ``np.seterr(all="ignore")`` in a notebook cell must not hide the overflow a stability test
# looks for (an ``np.errstate`` inside the function itself is the function's own business).
NUMPY_DEFAULT_ERRORS = {"divide": "warn", "over": "warn", "under": "ignore", "invalid": "warn"}


def call(fn: Callable, *args, name: str | None = None, forbid_warnings: bool = False, **kwargs):
    """Call a student's function and check the parts of the contract a call can see.

    - an exception becomes a failure that names the function (and says so if it is a stub);
    - array arguments (also inside dicts, lists and tuples) must come back unmodified;
    - warnings are captured (never printed); with ``forbid_warnings`` any warning fails.
    """
    name = name or getattr(fn, "__name__", "the function")
    before_args, before_kwargs = _snapshot(args), _snapshot(kwargs)
    with warnings.catch_warnings(record=True) as caught, np.errstate(**NUMPY_DEFAULT_ERRORS):
        warnings.simplefilter("always")
        try:
            result = fn(*args, **kwargs)
        except CheckFailure:
            raise
        except NotImplementedError:
            fail(f"{name} is not implemented yet: it still raises NotImplementedError.")
        except Exception as error:  # the student's bug, reported as a failed check
            if getattr(error, "contract_violation", False):   # from the grader's proxies
                fail(f"{name} {error}")
            fail(f"{name} raised {type(error).__name__}: {error}{_student_traceback(error)}")
    changed = _changed_argument(before_args, before_kwargs, args, kwargs)
    if changed:
        fail(f"{name} modified its input {changed} in place. Graded functions must not change "
             "their inputs: compute new arrays (x = x * 2, not x *= 2; copy before editing).")
    if forbid_warnings and caught:
        first = caught[0]
        fail(f"{name} emitted {first.category.__name__}: {first.message}."
             "\n  hint: an intermediate value overflowed or was divided by zero; use a formula "
             "that stays finite (before exponentiating, subtract the maximum; before dividing, "
             "make sure the denominator cannot be 0)")
    return result


def _changed_argument(before_args, before_kwargs, args, kwargs) -> str | None:
    for k, (old, new) in enumerate(zip(before_args, args)):
        found = _first_change(old, new, f"argument {k + 1}")
        if found:
            return found
    for key, old in before_kwargs.items():
        found = _first_change(old, kwargs[key], f"`{key}`")
        if found:
            return found
    return None


def _first_change(before, after, where: str) -> str | None:
    """Name the first array or container in ``after`` that differs from its snapshot."""
    if isinstance(before, np.ndarray):
        same = (isinstance(after, np.ndarray) and before.shape == after.shape
                and before.dtype == after.dtype and np.array_equal(before, after, equal_nan=True))
        return None if same else where
    if isinstance(before, dict):
        if not isinstance(after, Mapping) or set(before) != set(after):
            return where
        for key in before:
            found = _first_change(before[key], after[key], f"{where}[{key!r}]")
            if found:
                return found
    elif isinstance(before, (list, tuple)):
        if len(before) != len(after):
            return where
        for k, (old, new) in enumerate(zip(before, after)):
            found = _first_change(old, new, f"{where}[{k}]")
            if found:
                return found
    return None


def _student_traceback(error: Exception) -> str:
    """The student's own frames (notebook cells), never the test's or the grader's."""
    remote = getattr(error, "remote_traceback", None)
    if remote:
        return "\n" + remote.rstrip()
    frames = [frame for frame in traceback.extract_tb(error.__traceback__)
              if "autograder" not in frame.filename.replace("\\", "/").split("/")]
    if not frames:
        return ""
    last = frames[-1]
    return f"\n  (in {last.name}, line {last.lineno}: {last.line})"


def _index(index: tuple) -> str:
    return "(" + ", ".join(str(int(i)) for i in index) + ("," if len(index) == 1 else "") + ")"
