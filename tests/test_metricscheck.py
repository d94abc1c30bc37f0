"""autograder.metricscheck: messages that name the mistake, and hints silent where they do
not fit (a confusion matrix has no product: "transposed" only when it is the transpose)."""

from __future__ import annotations

import numpy as np
import pytest

from autograder import checks as ck
from autograder import metricscheck as mc
from autograder.checks import CheckFailure

Y_TRUE, Y_PRED = np.array([0, 0, 1, 2, 2, 2]), np.array([0, 1, 1, 2, 0, 2])
EXPECTED = np.array([[1, 1, 0, 0], [0, 1, 0, 0], [1, 0, 2, 0], [0, 0, 0, 0]])


def _message(check, *args) -> str:
    with pytest.raises(CheckFailure) as failure:
        check(*args)
    return str(failure.value)


def test_confusion_transpose_hint_only_for_the_transpose():
    assert "transposed" in _message(mc.check_confusion, EXPECTED.T, Y_TRUE, Y_PRED, 4, EXPECTED)
    wrong = EXPECTED.copy()
    wrong[0, 0] += 1
    assert "transpose" not in _message(mc.check_confusion, wrong, Y_TRUE, Y_PRED, 4, EXPECTED)
    # a symmetric expected matrix: a wrong answer is never "its transpose"
    symmetric = np.array([[2, 1], [1, 0]])
    assert "transpose" not in _message(mc.check_confusion, np.array([[1, 1], [1, 1]]),
                                       np.array([0, 0, 1, 0]), np.array([0, 1, 0, 0]), 2, symmetric)


def test_accuracy_names_the_type_that_came_back():
    y_true, y_pred = np.array([0, 1, 2, 2]), np.array([0, 1, 1, 2])
    python_int = _message(mc.check_accuracy, 3, y_true, y_pred, 0.75)
    assert "of type int;" in python_int and "number of correct predictions" in python_int
    numpy_int = _message(mc.check_accuracy, np.int64(0), y_true, y_pred, 0.75)
    assert "of type int64" in numpy_int and "integer division" in numpy_int


def _call(function, y_true, y_pred, num_classes):
    with mc.explain_crash(y_true, y_pred, num_classes):
        return ck.call(function, y_true, y_pred, num_classes, name="confusion_matrix")


def test_explain_crash_names_a_count_sized_by_the_largest_label():
    def by_bincount(y_true, y_pred, num_classes):
        return np.bincount(y_true * num_classes + y_pred).reshape(num_classes, num_classes)
    assert "largest label" in _message(_call, by_bincount, Y_TRUE, Y_PRED, 4)

    def crashes(y_true, y_pred, num_classes):
        raise ValueError("unrelated")
    # labels that reach num_classes - 1: no hint about the size
    assert "largest label" not in _message(_call, crashes, Y_TRUE, Y_PRED, 3)


def test_fail_on_warning_keeps_the_zero_division_hint_for_warnings_only():
    def ratios(function):
        try:
            return ck.call(function, Y_TRUE, Y_PRED, 4, name="precision_recall", forbid_warnings=True)
        except ck.CheckFailure as failure:
            mc.fail_on_warning(failure)

    def divides_by_zero(y_true, y_pred, num_classes):
        return np.array([1.0, 0.0]) / np.array([1.0, 0.0]), np.zeros(num_classes)

    def crashes(y_true, y_pred, num_classes):
        raise ValueError("cannot reshape array of size 11 into shape (4,4)")
    assert "0 / 0" in _message(ratios, divides_by_zero)
    assert "0 / 0" not in _message(ratios, crashes)
