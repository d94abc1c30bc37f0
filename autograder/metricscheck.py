"""Checks for classification metrics (06): a confusion matrix, accuracy, per-class precision
and recall, each compared with the exact expected counts or fractions.

Every check takes what the student's function returned (the test cell calls it through
``checks.call``, so the cell works in a student's kernel and in the course grader, where the
function is a proxy into the sandbox) and the inputs it was given. Hints explain the idea behind a known mistake; they
never hand over the line of code that fixes it.
"""

from __future__ import annotations

import contextlib

import numpy as np

from . import checks as ck

__all__ = ["check_accuracy", "check_confusion", "check_precision_recall",
           "explain_crash", "fail_on_warning"]

ZERO_DIVISION_HINT = (
    "a class that is never predicted (or never occurs) gives 0 / 0; its precision (recall) is 0 "
    "by convention, and the division must never be carried out where the denominator is 0 "
    "(choose the value first, divide only where the denominator is positive)")


def _absent(y_true, y_pred, num_classes) -> list[int]:
    return sorted(set(range(num_classes)) - set(np.asarray(y_true).tolist())
                  - set(np.asarray(y_pred).tolist()))


@contextlib.contextmanager
def explain_crash(y_true, y_pred, num_classes):
    """Around ``checks.call(confusion_matrix, ...)``: when the call raised on labels that stop
    short of num_classes - 1, the failure says why it can."""
    try:
        yield
    except ck.CheckFailure as failure:
        top = int(max(np.max(y_true, initial=0), np.max(y_pred, initial=0)))
        if " raised " not in str(failure) or top >= num_classes - 1:
            raise
        ck.fail(str(failure).split("\n  (random trial")[0]
                + f"\n  hint: num_classes = {num_classes}, but the largest label in y_true and "
                f"y_pred is {top}: a count sized by the largest label it meets comes out too "
                "short here; the matrix is num_classes x num_classes whatever the labels")


def check_confusion(result, y_true, y_pred, num_classes, expected) -> None:
    """``result`` of confusion_matrix(y_true, y_pred, num_classes) is exactly the integer
    counts ``expected`` (C, C)."""
    got = ck.as_array(result, "confusion_matrix", "the confusion matrix")
    expected = np.asarray(expected)
    if got.shape != expected.shape:
        absent = _absent(y_true, y_pred, num_classes)
        ck.fail(f"confusion_matrix: the confusion matrix has shape {got.shape}, expected {expected.shape} "
                f"for num_classes={num_classes}."
                + (f" Classes {absent} occur in neither y_true nor y_pred, but they still get a row "
                   "and a column." if absent else "")
                + "\n  hint: the size comes from num_classes, not from the labels you happen to see "
                  "(a counting function sized by the largest label it meets is too short)")
    if got.dtype.kind not in "iu":
        ck.fail(f"confusion_matrix: the confusion matrix has dtype {got.dtype}; it holds counts, so "
                "return an integer array (NumPy's default for np.zeros is float64).")
    hint = "entry [i, j] counts the examples whose true class is i and predicted class is j"
    if expected.shape[0] > 1 and np.array_equal(got, expected.T):
        hint = "your matrix is transposed: rows are the TRUE classes, columns the PREDICTED ones"
    elif not np.array_equal(expected > 0, expected == 1) and np.array_equal(
            got, (expected > 0).astype(got.dtype)):
        hint = ("every nonzero count is 1: an increment through fancy indexing reads all the old "
                "values first and writes once per distinct (true, predicted) pair, so a repeated "
                "pair counts once; accumulate without buffering (a loop, or NumPy's unbuffered "
                "ufunc methods)")
    elif np.asarray(y_true).dtype == np.uint8:
        hint = ("the labels are uint8 here (as in MNIST's files): arithmetic on them wraps around "
                "at 256 (a code such as true * C + predicted, or counts kept in the labels' dtype); "
                "convert to a wide integer type first")
    ck.check_close(got, expected, name="confusion_matrix", output="the confusion matrix",
                   rtol=0, hint=hint)  # counts are integers: exact


def check_accuracy(result, y_true, y_pred, expected: float) -> None:
    """``result`` of accuracy(y_true, y_pred) is the float fraction ``expected`` of labels
    predicted correctly."""
    got = ck.as_array(result, "accuracy", "the accuracy")
    if got.shape != ():
        ck.fail(f"accuracy: the accuracy should be a single number, got an array of shape {got.shape}."
                "\n  hint: divide by the number of examples (a number), not by a shape (a tuple)")
    N = len(y_true)
    if got.dtype.kind != "f":
        # name the type that came back: a Python int is not "int64", a NumPy integer is
        kind = (str(got.dtype) if isinstance(result, (np.ndarray, np.generic))
                else type(result).__name__)
        count = N > 1 and expected > 0 and abs(float(got) - expected * N) < 1e-9
        ck.fail(f"accuracy: the accuracy is {got.item()!r} of type {kind}; return the fraction "
                "correct as a float in [0, 1].\n  hint: "
                + (f"that is the number of correct predictions; the accuracy divides it by N = {N}"
                   if count else "integer division (//) gives an integer, rounded down"))
    value = float(got)
    # a fraction k/N in [0, 1]: float64 gets it to 1e-16, even float32 to 6e-8
    if abs(value - expected) <= 1e-7:
        return
    balanced = np.mean([np.mean(y_pred[y_true == c] == c) for c in np.unique(y_true)])
    hint = "the accuracy is one fraction over all N examples: how many of them are predicted right"
    if N > 1 and expected > 0 and abs(value - expected * N) < 1e-9:
        hint = f"that is the number of correct predictions; the accuracy divides it by N = {N}"
    elif expected != 0.5 and abs(value - (1 - expected)) < 1e-9:
        hint = "that is the error rate, the fraction of WRONG predictions"
    elif abs(value - balanced) < 1e-9:
        hint = ("that is the mean of the per-class recalls (balanced accuracy); accuracy counts "
                "every example once, so frequent classes weigh more")
    ck.fail(f"accuracy: the accuracy is wrong: expected {expected:.6g} "
            f"({int(round(expected * N))} of N = {N} predictions right), got {value:.6g}."
            f"\n  hint: {hint}")


def _pair(result, num_classes):
    if isinstance(result, np.ndarray) and result.ndim == 2:
        result = tuple(result)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        ck.fail(f"precision_recall: return a pair (precision, recall) of arrays of shape "
                f"({num_classes},); got {type(result).__name__}")
    return (ck.as_array(result[0], "precision_recall", "the precision"),
            ck.as_array(result[1], "precision_recall", "the recall"))


def _check_one(output, value, expected, other, defined, y_true, y_pred, num_classes):
    if value.shape == ():
        ck.fail(f"precision_recall: the {output} is a single number; return one value per class, "
                f"an array of shape ({num_classes},), not an average over the classes.")
    if value.shape != (num_classes,):
        absent = _absent(y_true, y_pred, num_classes)
        ck.fail(f"precision_recall: the {output} has shape {value.shape}, expected ({num_classes},): "
                "one value per class."
                + (f" Classes {absent} never occur, but they still get a value (0)." if absent else "")
                + "\n  hint: the size comes from num_classes, not from the labels you happen to see")
    if value.dtype.kind != "f":
        ck.fail(f"precision_recall: the {output} has dtype {value.dtype}; return floats in [0, 1]."
                "\n  hint: integer division (//) rounds every ratio down to 0 or 1")
    hint = None
    if not np.all(np.isfinite(value)):
        hint = ZERO_DIVISION_HINT
    elif not np.all(defined) and np.allclose(value[defined], expected[defined], rtol=0, atol=1e-12):
        hint = (f"right wherever the {output} is defined; where it is 0 / 0 (a class never "
                + ("predicted" if output == "precision" else "present in y_true")
                + ") the convention is 0, as scikit-learn's zero_division=0")
    elif np.allclose(value, other, rtol=0, atol=1e-12) and not np.allclose(expected, other, rtol=0,
                                                                          atol=1e-12):
        hint = ("precision and recall are swapped: precision divides by how often the class is "
                "PREDICTED (column sums), recall by how often it truly OCCURS (row sums)")
    ck.check_close(value, expected, name="precision_recall", output=f"the {output}", hint=hint)


def check_precision_recall(result, y_true, y_pred, num_classes, expected_precision,
                           expected_recall) -> None:
    """``result`` of precision_recall(y_true, y_pred, num_classes) is (precision, recall),
    each a float (C,) array as expected. (Call it with ``forbid_warnings=True``: a correct
    solution never divides by zero, so it never warns.)"""
    got = dict(zip(("precision", "recall"), _pair(result, num_classes)))
    expected = {"precision": np.asarray(expected_precision), "recall": np.asarray(expected_recall)}
    # how often each class is predicted / occurs: where this is 0 the ratio is 0 by convention
    defined = {"precision": np.bincount(np.asarray(y_pred, dtype=np.int64), minlength=num_classes) > 0,
               "recall": np.bincount(np.asarray(y_true, dtype=np.int64), minlength=num_classes) > 0}
    for output, other in (("precision", "recall"), ("recall", "precision")):
        _check_one(output, got[output], expected[output], expected[other], defined[output],
                   y_true, y_pred, num_classes)


def fail_on_warning(failure: ck.CheckFailure) -> None:
    """Re-raise a warning caught by ``checks.call(precision_recall, ..., forbid_warnings=True)``
    with the hint that fits precision and recall: a 0 / 0 that should never be computed. Any
    other failure (an exception, an input changed in place) is re-raised as it is: the 0 / 0
    hint does not fit it."""
    message = str(failure)
    if not any(f"{word} {kind}" in message for word in ("emitted", "raised")
               for kind in ("RuntimeWarning", "ZeroDivisionError", "FloatingPointError")):
        raise failure
    ck.fail(str(failure).split("\n  hint")[0].split("\n  (random trial")[0]
            + "\n  hint: " + ZERO_DIVISION_HINT)
