"""autograder.checks and autograder.testcell: every check passes what is right, fails what
is wrong, and says why in the words the course promises (function, output, shape, worst
index, expected vs got, relative error, a hint for known mistakes, the trial's seed)."""

from __future__ import annotations

import functools
import re
import warnings

import numpy as np
import pytest

from autograder import checks as ck
from autograder import hints
from autograder.testcell import run_test_cell


def failure(check, *args, **kwargs) -> str:
    """The message of the CheckFailure that ``check(*args, **kwargs)`` must raise."""
    with pytest.raises(ck.CheckFailure) as caught:
        check(*args, **kwargs)
    assert isinstance(caught.value, AssertionError)  # nbgrader and pytest both see a failure
    return str(caught.value)


E = np.arange(1.0, 7.0).reshape(2, 3)  # a (2, 3) "expected" with no zeros and no symmetry


# --- check_close: pass and fail paths, message contents ---------------------------------

def test_check_close_passes_equal_and_nearly_equal_values():
    ck.check_close(E.copy(), E, name="f")
    ck.check_close(E * (1 + 1e-9), E, name="f")  # float64 default tolerance 1e-7
    ck.check_close([[1, 2, 3], [4, 5, 6]], E, name="f")  # a list of ints is an array too
    ck.check_close(E + 0.5, E, name="f", atol=0.6)


def test_check_close_failure_names_everything_a_student_needs():
    got = E.copy()
    got[1, 0] = 4.5
    message = failure(ck.check_close, got, E, name="linear_backward", output="dW")
    assert message.startswith("linear_backward: dW is wrong (shape (2, 3)).")
    assert "worst element at index (1, 0): expected 4, got 4.5" in message
    error = 0.5 / 6.0
    assert f"relative error {error:.2e} (tolerance 1e-07)" in message
    assert "hint:" not in message  # no known mistake matches a single wrong element


def test_check_close_worst_index_of_a_vector_is_a_one_tuple():
    message = failure(ck.check_close, np.array([1.0, 2.0, 9.0]), np.array([1.0, 2.0, 3.0]), name="f")
    assert "worst element at index (2,): expected 3, got 9" in message


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-7), (np.float32, 1e-4), (np.float16, 1e-2)])
def test_default_tolerance_follows_the_dtype_the_test_names(dtype, rtol):
    assert ck.default_rtol(dtype) == rtol
    expected = np.array([1.0, 2.0, 4.0])
    ck.check_close((expected * (1 + rtol / 4)).astype(dtype), expected, name="f", dtype=dtype)
    if dtype is not np.float16:  # float16 cannot even hold 1 + 4e-2 distinctly enough to matter
        message = failure(ck.check_close, (expected * (1 + 4 * rtol)).astype(dtype), expected, name="f",
                          dtype=dtype)
        assert f"(tolerance {rtol:.0e})" in message


def test_float32_result_is_held_to_float32_precision_where_the_test_says_float32():
    expected = np.array([0.1, 0.2, 0.3])
    ck.check_close(expected.astype(np.float32), expected, name="f", dtype=np.float32)  # rounding ~6e-8
    failure(ck.check_close, expected.astype(np.float32) * 1.001, expected, name="f", dtype=np.float32)
    ck.check_scalar(np.float32(0.1), 0.1, name="f", dtype=np.float32)


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_a_lower_precision_result_never_widens_the_tolerance(dtype):
    """Issue 11, class 6: an answer 0.4 % off, returned as float16 (or float32) for a float64
    test, is judged at float64's tolerance, and the message says why."""
    expected = np.array([0.25, 1.5, -3.0])
    for got in ((expected * 1.004).astype(dtype), expected.astype(dtype) + dtype(1e-3)):
        message = failure(ck.check_close, got, expected, name="f")
        assert "(tolerance 1e-07)" in message
        assert f"the result is {np.dtype(dtype)} but the test's inputs are float64" in message
    message = failure(ck.check_scalar, dtype(1.004 * 0.7), 0.7, name="f", output="the loss")
    assert "(tolerance 1e-07)" in message and f"is {np.dtype(dtype)} but" in message
    # nor can a reference the student produced (an invariant between two of its answers)
    # (0.25, 1.5 and -3 are exact in float16: the reference differs from expected by nothing)
    failure(ck.check_close, expected * (1 + 0.4 * ck.default_rtol(dtype)), expected.astype(dtype), name="f")


def test_a_float32_answer_to_a_float32_test_has_no_precision_note():
    expected = np.array([1.0, 2.0])
    message = failure(ck.check_close, (2 * expected).astype(np.float32), expected, name="f", dtype=np.float32)
    assert "the test's inputs" not in message and "(tolerance 1e-04)" in message


def test_the_precision_a_test_demands_is_a_float_dtype():
    assert ck.demanded_precision(None) == np.float64
    assert ck.demanded_precision(np.float32) == np.float32
    with pytest.raises(TypeError, match="float dtype"):
        ck.check_close(np.ones(2), np.ones(2), name="f", dtype=np.int64)


def test_explicit_rtol_overrides_the_default():
    ck.check_close(E * 1.01, E, name="f", rtol=0.02)
    assert "(tolerance 1e-03)" in failure(ck.check_close, E * 1.01, E, name="f", rtol=1e-3)


def test_near_zero_elements_are_judged_against_the_array_scale():
    # An element-wise comparison would call 1e-12 vs 2e-12 a 100% error.
    ck.check_close(np.array([1.0, 2e-12]), np.array([1.0, 1e-12]), name="f")


def test_all_zero_expected_needs_an_exact_or_tiny_answer():
    ck.check_close(np.zeros(3), np.zeros(3), name="f")
    failure(ck.check_close, np.array([0.0, 1e-3, 0.0]), np.zeros(3), name="f")


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_non_finite_values_are_reported_with_their_index(bad):
    got = E.copy()
    got[0, 2] = bad
    message = failure(ck.check_close, got, E, name="softmax")
    assert f"softmax: the result contains {bad} at index (0, 2) (expected 3)." in message
    assert "numerically stable formula" in message


def test_non_finite_message_uses_the_tests_hint_when_given():
    got = np.array([np.nan, 1.0])
    message = failure(ck.check_close, got, np.array([0.5, 1.0]), name="f", hint="subtract the max")
    assert "hint: subtract the max" in message and "overflow" not in message


def test_custom_hint_is_added_to_a_value_failure():
    message = failure(ck.check_close, E + 1, E, name="f", hint="did you forget the bias?")
    assert message.rstrip().endswith("hint: did you forget the bias?")


# --- hints for known mistakes ----------------------------------------------------------

@pytest.mark.parametrize("factor, batch_size, expected_hint", [
    (4.0, 4, "your values are 4 times too large, and 4 is the batch size"),
    (0.25, 4, "your values are 4 times too small, and 4 is the batch size: did you average over the batch twice"),
    (-1.0, 4, "the sign is flipped: check the direction of a subtraction or a minus sign"),
    (-1.0, None, "the sign is flipped"),
    (-4.0, 4, "the sign is flipped and the scale is off by the batch size"),
    (-0.25, 4, "the sign is flipped and the scale is off by the batch size"),
    (2.0, None, "your values are 2 times the expected ones: a factor 2 gained or lost"),
    (0.5, 3, "your values are 0.5 times the expected ones: a factor 2 gained or lost"),
    (1.7, None, "your values are a constant 1.7 times the expected ones"),
    (4.0, None, "your values are a constant 4 times the expected ones"),
    (0.0, 4, "every value is zero: is the function still a stub"),
])
def test_value_hints(factor, batch_size, expected_hint):
    message = failure(ck.check_close, factor * E, E, name="f", output="dx", batch_size=batch_size)
    assert f"hint: {expected_hint}" in message


def test_factor_n_hint_needs_the_batch_size():
    message = failure(ck.check_close, 4 * E, E, name="f")
    assert "batch size" not in message and "constant 4 times" in message


def test_transpose_hint_for_a_square_result_of_a_product():
    m = np.array([[1.0, 2.0], [3.0, 4.0]])
    message = failure(ck.check_close, m.T, m, name="f", product=True)
    assert "hint: your result is the transpose of the expected one" in message


# each generic hint stays silent where its precondition does not hold

def test_transpose_hint_is_silent_without_a_product_and_for_a_symmetric_input():
    m = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert "transpose" not in failure(ck.check_close, m.T, m, name="f")   # softmax over axis 0, say
    s = np.array([[1.0, 2.0], [2.0, 5.0]])
    got = s + np.array([[0.0, 1.0], [-1.0, 0.0]])
    assert hints.value_hint(got, s, product=True) is None


def test_an_arbitrary_constant_factor_is_silent_for_a_single_number():
    assert "constant" not in failure(ck.check_close, np.float64(1.7), np.float64(1.0), name="f")
    assert "constant" not in failure(ck.check_scalar, 3.3, 1.1, name="f")
    one_nonzero = np.array([0.0, 2.0, 0.0])
    assert hints.value_hint(1.7 * one_nonzero, one_nonzero) is None


def test_named_factors_still_speak_for_a_single_number():
    assert "sign is flipped" in failure(ck.check_scalar, -1.5, 1.5, name="f")
    assert "4 is the batch size" in failure(ck.check_close, np.float64(8.0), np.float64(2.0), name="f",
                                             batch_size=4)


def test_the_batch_size_hint_does_not_give_the_answer_line():
    message = failure(ck.check_close, 4 * E, E, name="f", batch_size=4)
    assert "1/N" not in message and "factor 1/" not in message


def test_the_callers_hint_comes_before_a_generic_one():
    message = failure(ck.check_close, 0 * E, E, name="f", hint="weight decay adds lambda * W")
    lines = [line for line in message.splitlines() if "hint:" in line]
    assert lines[0].endswith("weight decay adds lambda * W") and "every value is zero" in lines[1]


def test_the_zero_hint_is_silent_when_zero_is_expected():
    assert hints.value_hint(np.zeros(3), np.zeros(3)) is None


def test_no_hint_when_nothing_known_matches():
    got = E.copy()
    got[0, 0] = -7.0
    assert hints.diagnose(got, E) is None
    assert "hint" not in failure(ck.check_close, got, E, name="f")


@pytest.mark.parametrize("got_shape, expected_shape, batch_size, expected_hint", [
    ((3, 2), (2, 3), None, "the shape is transposed"),
    ((4,), (3, 4), 3, "the batch axis is missing"),
    ((3, 1), (3,), None, "an axis of size 1 differs: use keepdims=True"),
    ((3,), (3, 1), None, "an axis of size 1 differs: use keepdims=True"),
    ((6,), (2, 3), None, "same number of elements, different shape"),
    ((), (3,), None, "you returned a single number where an array was expected"),
])
def test_shape_hints(got_shape, expected_shape, batch_size, expected_hint):
    message = failure(ck.check_close, np.ones(got_shape), np.ones(expected_shape), name="f",
                      output="dx", batch_size=batch_size)
    assert message.startswith(f"f: dx has shape {got_shape}, expected {expected_shape}.")
    assert f"hint: {expected_hint}" in message


def test_batch_axis_hint_only_when_the_missing_axis_is_the_batch():
    message = failure(ck.check_close, np.ones(4), np.ones((3, 4)), name="f", batch_size=5)
    assert "batch axis" not in message
    assert hints.shape_hint((5,), (3,)) is None


# --- check_shape, check_dtype, check_scalar --------------------------------------------

def test_check_shape():
    ck.check_shape(np.zeros((2, 3)), (2, 3), name="f")
    ck.check_shape(np.zeros((2, 3)), [np.int64(2), 3], name="f")
    message = failure(ck.check_shape, np.zeros((3, 2)), (2, 3), name="linear_forward", output="out")
    assert message.startswith("linear_forward: out has shape (3, 2), expected (2, 3).")
    assert "transposed" in message


def test_check_dtype():
    ck.check_dtype(np.zeros(2, dtype=np.float32), np.float32, name="f")
    message = failure(ck.check_dtype, np.zeros(2), np.float32, name="relu_forward", output="out")
    assert "relu_forward: out has dtype float64, but the input was float32" in message
    assert "Keep the input's dtype" in message


@pytest.mark.parametrize("value", [2.5, np.float64(2.5), np.float32(2.5), np.array(2.5)],
                         ids=["float", "np.float64", "np.float32", "0-d array"])
def test_check_scalar_accepts_any_single_number(value):
    ck.check_scalar(value, 2.5, name="f")


def test_check_scalar_rejects_arrays_with_a_hint():
    for value in (np.array([2.5]), np.full((3,), 2.5)):
        message = failure(ck.check_scalar, value, 2.5, name="softmax_cross_entropy")
        assert "softmax_cross_entropy: the loss should be a single number, got an array of shape" in message
        assert "np.mean" in message


def test_check_scalar_wrong_value():
    message = failure(ck.check_scalar, 2.0, 2.5, name="cross_entropy", hint="log of the right class?")
    assert message.startswith("cross_entropy: the loss is wrong (shape ()).")
    assert "worst element at index (): expected 2.5, got 2" in message
    assert "hint: log of the right class?" in message


# --- as_array: what a graded function may return ---------------------------------------

class NotAnArray:
    pass


class TaggedArray(np.ndarray):
    """An ndarray subclass, like np.matrix or a library's tensor-like array."""


@pytest.mark.parametrize("value, expected", [
    (None, "f: the result is None. Did the function forget to `return` it?"),
    (np.ones(2).view(TaggedArray), "f: the result is a TaggedArray, a subclass of numpy.ndarray"),
    (np.ma.masked_array([1.0, 2.0]), "f: the result is a MaskedArray, a subclass of numpy.ndarray"),
    (NotAnArray(), "f: the result is a NotAnArray, not a numpy array."),
    ({"dx": 1.0}, "f: the result is a dict, not a numpy array."),
    ("0.5", "f: the result is a str, not a numpy array."),
    (np.array([1.0, None], dtype=object), "f: the result has dtype object; expected numbers"),
    ([1.0, "a"], "f: the result has dtype <U32; expected numbers"),
    (np.array([1 + 2j]), "f: the result has dtype complex128; expected numbers"),
    ([[1.0, 2.0], [3.0]], "f: the result cannot be read as an array"),
])
def test_as_array_rejects_what_is_not_a_plain_numeric_array(value, expected):
    assert expected in failure(ck.as_array, value, "f")
    # every check goes through as_array, so each reports the same way
    assert expected.split(": ", 1)[1][:20] in failure(ck.check_close, value, np.ones(2), name="f")


@pytest.mark.parametrize("value", [np.ones(3), [1, 2], (1.0, 2.0), 3, 2.5, np.float32(1), True,
                                   np.array([True, False]), np.arange(3, dtype=np.uint8)])
def test_as_array_accepts_numbers(value):
    array = ck.as_array(value, "f")
    assert type(array) is np.ndarray and array.dtype.kind in "biuf"


def test_as_array_returns_the_same_array_without_copying():
    x = np.ones(3)
    assert ck.as_array(x, "f") is x


# --- check_gradient(s) ---------------------------------------------------------------

def test_check_gradient_passes_a_correct_gradient_and_leaves_x_alone():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 4))
    before = x.copy()
    ck.check_gradient(lambda z: float(np.sum(np.tanh(z))), x, 1 - np.tanh(x) ** 2, name="tanh_grad")
    np.testing.assert_array_equal(x, before)


def test_check_gradient_exact_zeros_compare_fairly():
    # ReLU: the analytic gradient has exact zeros where the numeric one has ~1e-11 noise.
    x = np.array([[-1.0, 2.0], [0.5, -0.3]])
    ck.check_gradient(lambda z: float(np.sum(np.maximum(z, 0) * 3.0)), x, 3.0 * (x > 0), name="relu_grad")


def test_check_gradient_failure_gives_the_batch_factor_hint():
    rng = np.random.default_rng(2)
    N = 5
    X, W = rng.normal(size=(N, 3)), rng.normal(size=(3, 2))

    def loss(W):
        return float(np.mean(np.sum((X @ W) ** 2, axis=1)))

    true = 2 * X.T @ (X @ W) / N
    message = failure(ck.check_gradient, loss, W, N * true, name="mlp_backward", output="the gradient dW1",
                      batch_size=N)
    assert message.startswith("mlp_backward: the gradient dW1 is wrong (shape (3, 2)).")
    assert "relative error" in message and "(tolerance 1e-06)" in message
    assert f"{N} times too large, and {N} is the batch size" in message


def test_check_gradient_wrong_shape():
    message = failure(ck.check_gradient, lambda z: float(np.sum(z ** 2)), np.ones((2, 3)), np.ones((3, 2)),
                      name="f")
    assert "the gradient has shape (3, 2), expected (2, 3)" in message


def test_check_gradients_every_input():
    rng = np.random.default_rng(3)
    inputs = {"x": rng.normal(size=(2, 3)), "W": rng.normal(size=(3, 4)), "b": rng.normal(size=4)}

    def f(x, W, b):
        return float(np.sum(np.sin(x @ W + b)))

    dout = np.cos(inputs["x"] @ inputs["W"] + inputs["b"])
    grads = {"x": dout @ inputs["W"].T, "W": inputs["x"].T @ dout, "b": dout.sum(axis=0)}
    ck.check_gradients(f, inputs, grads, name="linear")

    wrong = {**grads, "b": -grads["b"]}
    message = failure(ck.check_gradients, f, inputs, wrong, name="linear_backward")
    assert message.startswith("linear_backward: the gradient db is wrong (shape (4,)).")
    assert "sign is flipped" in message

    named = failure(ck.check_gradients, f, inputs, wrong, name="g", output_names={"b": "dbias"})
    assert "g: the gradient dbias is wrong" in named

    missing = failure(ck.check_gradients, f, inputs, {"x": grads["x"]}, name="linear_backward")
    assert "linear_backward: the gradients for W, b are missing (got keys ['x'])." in missing


# --- call: exceptions, in-place modification, warnings -------------------------------

def test_call_returns_the_result_and_passes_arguments_through():
    assert ck.call(lambda a, b=1: a + b, 2, b=3) == 5


def test_call_reports_an_exception_by_function_name_with_the_students_line():
    def softmax(z):
        return z.reshape(-1, 7)  # the student's bug: a bad reshape

    message = failure(ck.call, softmax, np.ones(3))
    assert message.startswith("softmax raised ValueError: cannot reshape array")
    assert "(in softmax, line" in message and "z.reshape(-1, 7)" in message


def test_call_reports_a_stub_as_not_implemented():
    def sigmoid(z):
        raise NotImplementedError()

    assert failure(ck.call, sigmoid, np.ones(2)) == (
        "sigmoid is not implemented yet: it still raises NotImplementedError.")


def test_call_name_override_and_default_names():
    def f(z):
        raise KeyError("W2")

    assert failure(ck.call, f, 1, name="mlp_forward").startswith("mlp_forward raised KeyError: 'W2'")
    partial = functools.partial(f)
    assert failure(ck.call, partial, 1).startswith("the function raised KeyError")


def test_call_lets_a_check_failure_through_unchanged():
    original = ck.CheckFailure("inner check")

    def f():
        raise original

    with pytest.raises(ck.CheckFailure) as caught:
        ck.call(f)
    assert caught.value is original


def test_call_shows_a_remote_traceback_from_the_sandbox():
    error = ValueError("bad")
    error.remote_traceback = "  File \"<cell 3>\", line 4, in relu_forward\n    out = x[mask]"

    def proxy(x):
        raise error

    message = failure(ck.call, proxy, np.ones(2), name="relu_forward")
    assert message.endswith('File "<cell 3>", line 4, in relu_forward\n    out = x[mask]')


def _scale_in_place(x):
    x *= 2
    return x


@pytest.mark.parametrize("make_args, make_kwargs, where", [
    (lambda a: (a,), lambda a: {}, "argument 1"),
    (lambda a: (np.ones(2), a), lambda a: {}, "argument 2"),
    (lambda a: (), lambda a: {"x": a}, "`x`"),
])
def test_call_detects_in_place_modification_of_an_array(make_args, make_kwargs, where):
    a = np.arange(3.0)

    def f(*args, **kwargs):
        target = kwargs.get("x", args[-1] if args else None)
        _scale_in_place(target)

    message = failure(ck.call, f, *make_args(a), name="relu_backward", **make_kwargs(a))
    assert message.startswith(f"relu_backward modified its input {where} in place.")
    assert "x = x * 2, not x *= 2" in message


def test_call_detects_in_place_modification_inside_nested_dicts_and_lists():
    params = {"W1": np.ones((2, 2)), "b1": np.zeros(2), "extra": [np.ones(2), {"m": np.zeros(3)}]}

    def update_b1(p):
        p["b1"] += 1

    def update_nested(p):
        p["extra"][1]["m"][0] = 5

    def add_key(p):
        p["W2"] = np.ones(1)

    def replace_entry(p):
        p["W1"] = p["W1"] * 3  # rebinding a value still changes the caller's dict

    def append_item(p):
        p["extra"].append(np.ones(1))

    assert "its input argument 1['b1'] in place" in failure(ck.call, update_b1, params)
    params["b1"] = np.zeros(2)
    assert "its input argument 1['extra'][1]['m'] in place" in failure(ck.call, update_nested, params)
    params["extra"][1]["m"] = np.zeros(3)
    assert "its input argument 1 in place" in failure(ck.call, add_key, params)
    del params["W2"]
    assert "its input argument 1['W1'] in place" in failure(ck.call, replace_entry, params)
    params["W1"] = np.ones((2, 2))
    assert "its input argument 1['extra'] in place" in failure(ck.call, append_item, params)


def test_call_detects_modification_of_an_array_inside_a_tuple_cache():
    cache = (np.ones(2), np.ones(3))

    def backward(dout, cache):
        cache[1][0] = 0.0
        return dout

    message = failure(ck.call, backward, np.ones(2), cache, name="linear_backward")
    assert message.startswith("linear_backward modified its input argument 2[1] in place.")


def test_call_accepts_untouched_inputs_including_nans_and_non_arrays():
    params = {"W": np.array([np.nan, 1.0]), "lr": 0.1, "name": "sgd"}
    result = ck.call(lambda p, x: {**p, "W": p["W"] + x}, params, np.ones(2), name="sgd")
    assert result["W"][1] == 2.0


def _overflowing(z):
    return np.exp(z)


def test_call_captures_warnings_and_never_prints_them(capsys):
    with warnings.catch_warnings(record=True) as outside:
        warnings.simplefilter("always")
        result = ck.call(_overflowing, np.array([1000.0]))
    assert np.isinf(result[0])
    assert outside == []  # nothing leaked to the caller's warning machinery
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def test_forbid_warnings_turns_a_warning_into_a_failure(capsys):
    message = failure(ck.call, _overflowing, np.array([1000.0]), forbid_warnings=True, name="softmax")
    assert message.startswith("softmax emitted RuntimeWarning: overflow encountered in exp.")
    assert "subtract the maximum" in message and "denominator" in message
    assert capsys.readouterr().err == ""
    ck.call(_overflowing, np.array([1.0]), forbid_warnings=True)  # no warning, no failure


def test_call_captures_warnings_even_when_the_caller_ignores_them():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        failure(ck.call, _overflowing, np.array([1000.0]), forbid_warnings=True)


# --- trials and the seed that reproduces a failure -----------------------------------

SEED_NOTE = re.compile(r"random trial (\d+) of (\d+), seed (\d+): set BFS_TEST_SEED=(\d+) to repeat it")


def test_trials_yield_fresh_generators_each_run(monkeypatch):
    monkeypatch.delenv("BFS_TEST_SEED", raising=False)
    runs = [[rng.random() for rng in ck.trials(3)] for _ in range(2)]
    assert all(isinstance(rng, np.random.Generator) for rng in ck.trials(2))
    assert len(runs[0]) == 3 and len(set(runs[0])) == 3
    assert runs[0] != runs[1]  # a new seed every run: ~2^-32 chance of a false alarm


def test_failure_inside_trials_names_the_trial_and_a_seed_that_repeats_the_run(monkeypatch):
    monkeypatch.delenv("BFS_TEST_SEED", raising=False)
    draws = []
    with pytest.raises(ck.CheckFailure) as caught:
        for rng in ck.trials(3):
            draws.append(rng.normal(size=4))
            if len(draws) == 2:
                ck.check_close(draws[-1] * 2, draws[-1], name="f")
    note = SEED_NOTE.search(str(caught.value))
    assert note, str(caught.value)
    trial, count, seed, base = map(int, note.groups())
    assert (trial, count) == (2, 3) and seed == (base + 1) % 2**32

    monkeypatch.setenv("BFS_TEST_SEED", str(base))
    repeated = [rng.normal(size=4) for rng in ck.trials(3)]
    # the whole run again: the failing trial at its own position, so a case chosen by the
    # trial's index (a fixed shape, a tiny feature) is drawn again too
    np.testing.assert_array_equal(repeated[1], draws[1])
    np.testing.assert_array_equal(repeated[0], draws[0])


def test_fixed_seed_numbers_the_trials_consecutively(monkeypatch):
    monkeypatch.setenv("BFS_TEST_SEED", "123")
    messages = []
    for rng in ck.trials(3):
        with pytest.raises(ck.CheckFailure) as caught:
            ck.fail("boom")
        messages.append(str(caught.value))
    seeds = [int(SEED_NOTE.search(m).group(3)) for m in messages]
    assert seeds == [123, 124, 125]
    first = next(iter(ck.trials(1))).random()
    assert first == np.random.default_rng(123).random()


def test_trial_note_is_gone_after_the_loop(monkeypatch):
    monkeypatch.delenv("BFS_TEST_SEED", raising=False)
    for _ in ck.trials(2):
        pass
    assert failure(ck.fail, "plain") == "plain"
    for _ in ck.trials(2):
        break
    assert failure(ck.fail, "after break") == "after break"


# --- testcell: scoring a test cell like nbgrader ----------------------------------------

def _double(x):
    return 2 * x


NAMESPACE = {"double": _double}


def run(source: str, points: float = 3.0):
    return run_test_cell(source, dict(NAMESPACE), grade_id="test_double", max_points=points)


def test_cell_that_passes_gets_full_points_and_keeps_its_stdout():
    outcome = run("import numpy as np\nfrom autograder import checks as ck\n"
                  "print('checking')\nck.check_close(ck.call(double, np.ones(2)), 2 * np.ones(2), name='double')")
    assert outcome.passed and outcome.points == 3.0 and outcome.message == ""
    assert outcome.output == "checking\n"


def test_cell_with_a_failed_check_gets_zero_and_the_checks_message():
    outcome = run("import numpy as np\nfrom autograder import checks as ck\n"
                  "ck.check_close(double(np.ones(2)), 3 * np.ones(2), name='double')")
    assert not outcome.passed and outcome.points == 0.0 and outcome.max_points == 3.0
    assert outcome.message.startswith("double: the result is wrong (shape (2,)).")


def test_cell_with_another_exception_reports_it_without_the_test_source():
    outcome = run("x = {}\nsecret_hidden_value = 42\nx['missing']")
    assert outcome.points == 0.0
    assert outcome.message == "KeyError: 'missing'"
    assert "secret_hidden_value" not in outcome.message


def test_cell_with_a_bare_assert_names_the_line():
    outcome = run("a = 1\n\nassert double(a) == 3")
    assert outcome.points == 0.0 and outcome.message == "an assertion failed (test line 3)"
    with_message = run("assert False, 'double is off'")
    assert with_message.message == "AssertionError: double is off"


def test_cell_with_a_syntax_error_scores_zero():
    outcome = run("def broken(:\n    pass")
    assert outcome.points == 0.0 and outcome.message.startswith("SyntaxError")


@pytest.mark.parametrize("last_line, points", [
    ("1.5", 1.5),         # partial credit, as nbgrader reads an execute_result
    ("0", 0.0),
    ("double(0.5)", 1.0),
    ("7", 3.0),           # capped at the cell's points
    ("-1", 3.0),          # nbgrader: a negative value is "strange", full credit
    ("'not a number'", 3.0),
    ("None", 3.0),        # IPython shows no result for None
    ("print('x')", 3.0),
])
def test_cell_partial_credit_from_a_trailing_expression(last_line, points):
    outcome = run(f"y = 1\n{last_line}")
    assert outcome.points == points


def test_cell_partial_credit_reads_the_value_as_nbgrader_reads_its_text():
    # nbgrader parses the cell's text/plain output with float(): "True" and
    # "np.float64(0.5)" are not numbers to it, so such cells keep full credit.
    assert run("True").points == 3.0
    assert run("import numpy as np\nnp.float64(0.5)").points == 3.0


def test_cell_resets_a_trial_note_left_behind_by_an_earlier_cell(monkeypatch):
    monkeypatch.delenv("BFS_TEST_SEED", raising=False)
    first = run("from autograder import checks as ck\nfor rng in ck.trials(2):\n    ck.fail('inside')")
    assert "random trial 1 of 2" in first.message
    second = run("from autograder import checks as ck\nck.fail('outside')")
    assert second.message == "outside"


def test_a_returned_tuple_is_not_turned_into_an_array_of_unbounded_size():
    big = np.ones(2**20)
    message = failure(ck.check_close, (big,) * 20, np.ones(5), name="f")   # 20 references, one array
    assert "is a tuple of more than" in message and "numpy array" in message
    assert "has shape (2, 3)" in failure(ck.check_close, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], np.ones(5), name="f")


def test_the_transposed_shape_hint_names_a_product_only_where_there_is_one():
    plain = failure(ck.check_close, np.ones((3, 2)), np.ones((2, 3)), name="f")
    assert "rows and columns are swapped" in plain and "matrix product" not in plain
    assert "matrix product" in failure(ck.check_close, np.ones((3, 2)), np.ones((2, 3)), name="f", product=True)


@pytest.mark.parametrize("got_shape, expected_shape, silent", [
    ((3, 2), (2, 4), "the shape is transposed"),                  # not the reverse
    ((3, 4, 2), (2, 4, 3), "the shape is transposed"),            # 3-D: no single transpose
    ((3, 5), (3, 4), "an axis of size 1 differs"),
    ((5,), (2, 3), "same number of elements"),
    ((2,), (), "you returned a single number"),                   # an array where a number was due
])
def test_shape_hints_are_silent_where_they_do_not_apply(got_shape, expected_shape, silent):
    hint = hints.shape_hint(got_shape, expected_shape) or ""
    assert silent not in hint
