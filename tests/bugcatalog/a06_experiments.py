"""Bug catalog for 06_experiments: confusion_matrix, accuracy, precision_recall.

Every bug must fail its test cell with a message naming the function; every alternative
must pass every test cell of the notebook.
"""

import numpy as np

from .registry import alternative, bug

ASSIGNMENT = "06_experiments"


# ---------------------------------------------------------------------- confusion_matrix

@bug("confusion_matrix", "transposed: rows are the predicted classes, columns the true ones")
def confusion_matrix_transposed(y_true, y_pred, num_classes):
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(y_pred, dtype=np.int64), np.asarray(y_true, dtype=np.int64)), 1)
    return matrix


@bug("confusion_matrix", "fancy-index += counts a repeated (true, predicted) pair only once")
def confusion_matrix_fancy_increment(y_true, y_pred, num_classes):
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    matrix[y_true, y_pred] += 1
    return matrix


@bug("confusion_matrix", "bincount without minlength: fails when the highest classes never occur")
def confusion_matrix_bincount_no_minlength(y_true, y_pred, num_classes):
    codes = np.asarray(y_true, dtype=np.int64) * num_classes + np.asarray(y_pred, dtype=np.int64)
    return np.bincount(codes).reshape(num_classes, num_classes)


@bug("confusion_matrix", "bincount on uint8 labels: y_true * C + y_pred wraps around at 256")
def confusion_matrix_bincount_overflow(y_true, y_pred, num_classes):
    codes = y_true * num_classes + y_pred
    return np.bincount(codes, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


@bug("confusion_matrix", "sized by the classes seen (np.unique), not by num_classes")
def confusion_matrix_seen_classes(y_true, y_pred, num_classes):
    classes = np.unique(np.concatenate([y_true, y_pred]))
    index = {int(c): k for k, c in enumerate(classes)}
    matrix = np.zeros((len(classes), len(classes)), dtype=np.int64)
    for t, p in zip(y_true, y_pred):
        matrix[index[int(t)], index[int(p)]] += 1
    return matrix


@bug("confusion_matrix", "counts stored as floats (np.zeros without dtype)")
def confusion_matrix_float_counts(y_true, y_pred, num_classes):
    matrix = np.zeros((num_classes, num_classes))
    np.add.at(matrix, (y_true, y_pred), 1)
    return matrix


@bug("confusion_matrix", "counts stored in the labels' dtype: uint8 counts wrap around at 256")
def confusion_matrix_label_dtype(y_true, y_pred, num_classes):
    matrix = np.zeros((num_classes, num_classes), dtype=np.asarray(y_true).dtype)
    np.add.at(matrix, (y_true, y_pred), 1)
    return matrix


@bug("confusion_matrix", "sized num_classes - 1 (off by one), crashes or drops the last class")
def confusion_matrix_off_by_one(y_true, y_pred, num_classes):
    size = max(num_classes - 1, 1)
    matrix = np.zeros((size, size), dtype=np.int64)
    for t, p in zip(y_true, y_pred):
        if t < size and p < size:
            matrix[t, p] += 1
    return matrix


@alternative("confusion_matrix", "a plain double loop over the pairs")
def confusion_matrix_loop(y_true, y_pred, num_classes):
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    for t, p in zip(y_true.tolist(), y_pred.tolist()):
        matrix[t, p] += 1
    return matrix


@alternative("confusion_matrix", "np.bincount with minlength on int64 codes")
def confusion_matrix_bincount(y_true, y_pred, num_classes):
    codes = y_true.astype(np.int64) * num_classes + y_pred.astype(np.int64)
    return np.bincount(codes, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


@alternative("confusion_matrix", "one-hot matrices multiplied: onehot(y_true).T @ onehot(y_pred)")
def confusion_matrix_one_hot(y_true, y_pred, num_classes):
    eye = np.eye(num_classes, dtype=np.int64)
    return eye[y_true].T @ eye[y_pred]


@alternative("confusion_matrix", "np.histogram2d over integer bin edges, cast to int")
def confusion_matrix_histogram(y_true, y_pred, num_classes):
    edges = np.arange(num_classes + 1) - 0.5
    counts, _, _ = np.histogram2d(y_true, y_pred, bins=[edges, edges])
    return counts.astype(np.int64)


# ---------------------------------------------------------------------- accuracy

@bug("accuracy", "returns the number of correct predictions, not the fraction")
def accuracy_count(y_true, y_pred):
    return int(np.sum(y_true == y_pred))


@bug("accuracy", "returns the count as a float (forgot to divide by N)")
def accuracy_float_count(y_true, y_pred):
    return float(np.sum(y_true == y_pred))


@bug("accuracy", "integer division: the fraction floors to 0 (or 1)")
def accuracy_integer_division(y_true, y_pred):
    return np.sum(y_true == y_pred) // len(y_true)


@bug("accuracy", "divides by y_true.shape (a tuple): an array of shape (1,)")
def accuracy_divide_by_shape(y_true, y_pred):
    return np.sum(y_true == y_pred) / y_true.shape


@bug("accuracy", "the error rate: fraction of wrong predictions")
def accuracy_error_rate(y_true, y_pred):
    return float(np.mean(y_true != y_pred))


@bug("accuracy", "mean of per-class recalls (balanced accuracy), not the plain fraction")
def accuracy_balanced(y_true, y_pred):
    recalls = [np.mean(y_pred[y_true == c] == c) for c in np.unique(y_true)]
    return float(np.mean(recalls))


@alternative("accuracy", "a loop counting matches, divided by N")
def accuracy_loop(y_true, y_pred):
    correct = 0
    for t, p in zip(y_true.tolist(), y_pred.tolist()):
        correct += t == p
    return correct / len(y_true)


@alternative("accuracy", "np.count_nonzero over the size, as a NumPy float64")
def accuracy_count_nonzero(y_true, y_pred):
    return np.float64(np.count_nonzero(y_true == y_pred)) / y_true.size


@alternative("accuracy", "the trace of a confusion matrix over N")
def accuracy_trace(y_true, y_pred):
    num_classes = int(max(y_true.max(), y_pred.max())) + 1
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (y_true.astype(np.int64), y_pred.astype(np.int64)), 1)
    return np.trace(matrix) / matrix.sum()


# ---------------------------------------------------------------------- precision_recall

def _counts(y_true, y_pred, num_classes):
    """True positives, predicted counts, actual counts: three (num_classes,) int arrays."""
    y_true, y_pred = y_true.astype(np.int64), y_pred.astype(np.int64)
    true_positives = np.bincount(y_true[y_true == y_pred], minlength=num_classes)
    predicted = np.bincount(y_pred, minlength=num_classes)
    actual = np.bincount(y_true, minlength=num_classes)
    return true_positives, predicted, actual


@bug("precision_recall", "precision and recall swapped (row and column sums confused)")
def precision_recall_swapped(y_true, y_pred, num_classes):
    tp, predicted, actual = _counts(y_true, y_pred, num_classes)
    precision = np.divide(tp, actual, out=np.zeros(num_classes), where=actual > 0)
    recall = np.divide(tp, predicted, out=np.zeros(num_classes), where=predicted > 0)
    return precision, recall


@bug("precision_recall", "plain division: nan (and a warning) for classes never predicted / absent")
def precision_recall_nan(y_true, y_pred, num_classes):
    tp, predicted, actual = _counts(y_true, y_pred, num_classes)
    return tp / predicted, tp / actual


@bug("precision_recall", "division silenced then nan_to_num: right values, but warns on 0/0")
def precision_recall_warns(y_true, y_pred, num_classes):
    tp, predicted, actual = _counts(y_true, y_pred, num_classes)
    return np.nan_to_num(tp / predicted), np.nan_to_num(tp / actual)


@bug("precision_recall", "integer division: every ratio floors to 0 or 1")
def precision_recall_integer_division(y_true, y_pred, num_classes):
    tp, predicted, actual = _counts(y_true, y_pred, num_classes)
    return tp // np.maximum(predicted, 1), tp // np.maximum(actual, 1)


@bug("precision_recall", "bincount without minlength: too short when the highest classes never occur")
def precision_recall_no_minlength(y_true, y_pred, num_classes):
    y_true, y_pred = y_true.astype(np.int64), y_pred.astype(np.int64)
    size = int(max(y_true.max(), y_pred.max())) + 1
    tp = np.bincount(y_true[y_true == y_pred], minlength=size)
    predicted, actual = np.bincount(y_pred, minlength=size), np.bincount(y_true, minlength=size)
    precision = np.divide(tp, predicted, out=np.zeros(size), where=predicted > 0)
    recall = np.divide(tp, actual, out=np.zeros(size), where=actual > 0)
    return precision, recall


@bug("precision_recall", "undefined precision/recall set to 1 instead of 0")
def precision_recall_undefined_one(y_true, y_pred, num_classes):
    tp, predicted, actual = _counts(y_true, y_pred, num_classes)
    precision = np.divide(tp, predicted, out=np.ones(num_classes), where=predicted > 0)
    recall = np.divide(tp, actual, out=np.ones(num_classes), where=actual > 0)
    return precision, recall


@bug("precision_recall", "macro averages (one number each) instead of per-class arrays")
def precision_recall_macro(y_true, y_pred, num_classes):
    tp, predicted, actual = _counts(y_true, y_pred, num_classes)
    precision = np.divide(tp, predicted, out=np.zeros(num_classes), where=predicted > 0)
    recall = np.divide(tp, actual, out=np.zeros(num_classes), where=actual > 0)
    return float(precision.mean()), float(recall.mean())


@alternative("precision_recall", "a loop over classes with explicit masks")
def precision_recall_loop(y_true, y_pred, num_classes):
    precision, recall = np.zeros(num_classes), np.zeros(num_classes)
    for k in range(num_classes):
        tp = np.sum((y_true == k) & (y_pred == k))
        predicted, actual = np.sum(y_pred == k), np.sum(y_true == k)
        precision[k] = tp / predicted if predicted else 0.0
        recall[k] = tp / actual if actual else 0.0
    return precision, recall


@alternative("precision_recall", "bincount with minlength, denominators clipped to 1 (tp is 0 there)")
def precision_recall_bincount(y_true, y_pred, num_classes):
    tp, predicted, actual = _counts(y_true, y_pred, num_classes)
    return tp / np.maximum(predicted, 1), tp / np.maximum(actual, 1)


@alternative("precision_recall", "from a confusion matrix, nan silenced by np.errstate, as a list")
def precision_recall_errstate(y_true, y_pred, num_classes):
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (y_true.astype(np.int64), y_pred.astype(np.int64)), 1)
    tp = np.diag(matrix)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.nan_to_num(tp / matrix.sum(axis=0))
        recall = np.nan_to_num(tp / matrix.sum(axis=1))
    return [precision, recall]
