"""autograder.gradcheck: centered differences of any shape, and the relative error."""

from __future__ import annotations

import numpy as np
import pytest

from autograder.gradcheck import numerical_gradient, numerical_gradients, relative_error


def cubic_sum(x):
    """f(x) = sum(x^3 + 2x); df/dx = 3x^2 + 2 (the O(h^2) term is exactly h^2 per element)."""
    return float(np.sum(x ** 3 + 2 * x))


@pytest.mark.parametrize("shape", [(), (1,), (1, 1), (5,), (3, 4), (2, 3, 2)],
                         ids=lambda s: "x".join(map(str, s)) or "0-d")
def test_numerical_gradient_matches_the_derivative_for_any_shape(shape):
    rng = np.random.default_rng(0)
    x = rng.normal(size=shape)
    grad = numerical_gradient(cubic_sum, x)
    assert grad.shape == x.shape
    assert grad.dtype == np.float64
    # Centered differences of a cubic miss by exactly h^2 = 1e-10 per element.
    np.testing.assert_allclose(grad, 3 * x ** 2 + 2, rtol=0, atol=1e-8)


def test_numerical_gradient_of_a_python_scalar_and_a_size_one_array():
    assert numerical_gradient(lambda x: float(x) ** 2, 3.0).shape == ()
    assert numerical_gradient(lambda x: float(x) ** 2, 3.0) == pytest.approx(6.0, abs=1e-6)
    grad = numerical_gradient(lambda x: float(x[0, 0]) ** 2, np.array([[3.0]]))
    assert grad.shape == (1, 1) and grad[0, 0] == pytest.approx(6.0, abs=1e-6)


def test_numerical_gradient_never_touches_the_callers_array():
    x = np.array([[1.0, -2.0], [0.5, 4.0]])
    before = x.copy()
    seen = []

    def f(point):
        seen.append(point is x)
        return cubic_sum(point)

    numerical_gradient(f, x)
    assert not any(seen), "f must be evaluated on a copy, not the caller's array"
    np.testing.assert_array_equal(x, before)


def test_numerical_gradient_evaluates_in_float64_even_for_float32_input():
    x32 = np.array([0.3, -1.2, 2.0], dtype=np.float32)
    dtypes = []

    def f(point):
        dtypes.append(point.dtype)
        return float(np.sum(np.sin(point)))

    grad = numerical_gradient(f, x32)
    assert set(dtypes) == {np.dtype(np.float64)}
    assert grad.dtype == np.float64 and x32.dtype == np.float32
    # In float64 the centered difference of sin is accurate to ~1e-10; in float32 with
    # h = 1e-5 the perturbation would be lost in rounding (eps32 * |x| ~ 1e-7 ~ h).
    np.testing.assert_allclose(grad, np.cos(x32.astype(np.float64)), rtol=0, atol=1e-9)


def test_numerical_gradient_handles_non_contiguous_input():
    # A transposed (Fortran-ordered) view: perturbing a flattened *copy* of it would leave
    # f's input unchanged and return all zeros.
    x = np.arange(12, dtype=np.float64).reshape(3, 4).T
    assert not x.flags.c_contiguous
    grad = numerical_gradient(cubic_sum, x)
    # f(x) ~ 4e3 here, so rounding in the differences is ~ eps * |f| / h ~ 1e-7.
    np.testing.assert_allclose(grad, 3 * x ** 2 + 2, rtol=0, atol=1e-6)


def test_numerical_gradient_step_size_is_used():
    # f(x) = x^3: the centered difference is exactly 3x^2 + h^2, so h is visible.
    got = numerical_gradient(lambda x: float(x) ** 3, 0.0, h=1e-2)
    assert got == pytest.approx(1e-4, rel=1e-6)


def test_numerical_gradients_differentiates_every_input():
    W = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.0]])
    x = np.array([[0.2, -0.3, 1.1]])
    b = np.array([0.1, -0.2])

    def f(x, W, b):
        return float(np.sum((x @ W + b) ** 2))

    grads = numerical_gradients(f, {"x": x, "W": W, "b": b})
    assert set(grads) == {"x", "W", "b"}
    out = x @ W + b
    expected = {"x": 2 * out @ W.T, "W": x.T @ (2 * out), "b": 2 * out.sum(axis=0)}
    for key in expected:
        assert grads[key].shape == expected[key].shape and grads[key].dtype == np.float64
        np.testing.assert_allclose(grads[key], expected[key], rtol=1e-7, atol=1e-9)


def test_numerical_gradients_leaves_inputs_alone_and_holds_the_others_fixed():
    inputs = {"a": np.array([1.0, 2.0]), "b": np.array(3.0)}
    before = {k: v.copy() for k, v in inputs.items()}
    grads = numerical_gradients(lambda a, b: float(np.sum(a) * b), inputs)
    np.testing.assert_allclose(grads["a"], [3.0, 3.0], rtol=1e-9)
    assert grads["b"] == pytest.approx(3.0, rel=1e-9)
    for key in inputs:
        np.testing.assert_array_equal(inputs[key], before[key])


def test_relative_error_of_equal_arrays_is_zero():
    a = np.array([[1.0, -2.0], [3.0, 0.0]])
    assert relative_error(a, a.copy()) == 0.0


def test_relative_error_divides_by_the_largest_magnitude_of_either_array():
    a = np.array([10.0, 1.0])
    b = np.array([10.0, 1.5])
    assert relative_error(a, b) == pytest.approx(0.5 / 10.0)
    assert relative_error(b, a) == relative_error(a, b)


def test_relative_error_of_unrelated_arrays_is_of_order_one():
    assert relative_error([1.0, 0.0], [0.0, 1.0]) == pytest.approx(1.0)
    assert relative_error([1.0], [-1.0]) == pytest.approx(2.0)


def test_relative_error_does_not_explode_on_near_zero_elements():
    # An element-wise ratio would call the second element 100% wrong; here it is a
    # rounding-level difference on the scale of the whole array.
    a = np.array([1.0, 1e-12])
    b = np.array([1.0, 2e-12])
    assert relative_error(a, b) == pytest.approx(1e-12)


def test_relative_error_of_all_zero_arrays():
    assert relative_error(np.zeros((2, 3)), np.zeros((2, 3))) == 0.0
    # Nearly all zeros: the floor keeps the ratio finite (absolute difference / 1e-12).
    assert relative_error(np.zeros(3), np.full(3, 1e-13)) == pytest.approx(0.1)
    assert np.isfinite(relative_error(np.zeros(3), np.full(3, 1e-30)))


def test_relative_error_of_empty_arrays_and_scalars():
    assert relative_error(np.zeros((0, 3)), np.zeros((0, 3))) == 0.0
    assert relative_error(2.0, 2.0) == 0.0
    assert relative_error(np.float32(1.0), 1.5) == pytest.approx(0.5 / 1.5)


def test_relative_error_compares_in_float64():
    a = np.float32(1.0) + np.float32(1e-7)  # representable in float32
    assert relative_error(np.array([a], dtype=np.float32), np.array([1.0])) > 0


# --- a correct gradient of a very curved function: Richardson's extrapolation -------------

def wiggly(x):
    """f(x) = sum(sin(300 x)): the third derivative 2.7e7 cos puts the centered difference's
    truncation error, h^2 f'''/6, at 1.5e-6 of the gradient: over the 1e-6 checks allow."""
    return float(np.sum(np.sin(300 * x)))


def test_refined_gradient_removes_the_truncation_error_of_centered_differences():
    from autograder.gradcheck import refined_gradient
    x = np.array([0.001, 0.2, -0.4])
    exact = 300 * np.cos(300 * x)
    coarse = numerical_gradient(wiggly, x)
    assert relative_error(coarse, exact) > 1e-6          # the case the refinement exists for
    assert relative_error(refined_gradient(wiggly, x, coarse), exact) < 1e-9


def test_gradient_checks_pass_a_correct_curved_gradient_and_still_fail_a_wrong_one():
    from autograder import checks as ck
    x = np.array([0.001, 0.2, -0.4])
    exact = 300 * np.cos(300 * x)
    ck.check_gradient(wiggly, x, exact, name="f")
    ck.check_gradients(lambda x, y: wiggly(x) + wiggly(y), {"x": x, "y": -x},
                       {"x": exact, "y": exact}, name="f")
    for wrong in (exact * (1 + 1e-5), exact + 1e-3 * np.array([0, 1, 0])):
        with pytest.raises(ck.CheckFailure, match="is wrong"):
            ck.check_gradient(wiggly, x, wrong, name="f")
        with pytest.raises(ck.CheckFailure, match="the gradient dy is wrong"):
            ck.check_gradients(lambda x, y: wiggly(x) + wiggly(y), {"x": x, "y": -x},
                               {"x": exact, "y": wrong}, name="f")
