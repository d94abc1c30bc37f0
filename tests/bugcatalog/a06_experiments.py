"""Bug catalog for 06_experiments: confusion_matrix, accuracy, precision_recall, the two
checkpoints, planted_bug_report and fixed_backward.

Every bug must fail its test cell with a message naming the function; every alternative
must pass every test cell of the notebook.
"""

import numpy as np

from .registry import alternative, bug

ASSIGNMENT = "06_experiments"


# ---------------------------------------------------------------------- confusion_matrix

@bug("confusion_matrix", "transposed: rows are the predicted classes, columns the true ones", diagnosis='transposed')
def confusion_matrix_transposed(y_true, y_pred, num_classes):
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(y_pred, dtype=np.int64), np.asarray(y_true, dtype=np.int64)), 1)
    return matrix


@bug("confusion_matrix", "fancy-index += counts a repeated (true, predicted) pair only once", diagnosis='repeated pair')
def confusion_matrix_fancy_increment(y_true, y_pred, num_classes):
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    matrix[y_true, y_pred] += 1
    return matrix


@bug("confusion_matrix", "bincount without minlength: fails when the highest classes never occur", diagnosis='largest label')
def confusion_matrix_bincount_no_minlength(y_true, y_pred, num_classes):
    codes = np.asarray(y_true, dtype=np.int64) * num_classes + np.asarray(y_pred, dtype=np.int64)
    return np.bincount(codes).reshape(num_classes, num_classes)


@bug("confusion_matrix", "bincount on uint8 labels: y_true * C + y_pred wraps around at 256", diagnosis='wraps around')
def confusion_matrix_bincount_overflow(y_true, y_pred, num_classes):
    codes = y_true * num_classes + y_pred
    return np.bincount(codes, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


@bug("confusion_matrix", "sized by the classes seen (np.unique), not by num_classes", diagnosis='comes from num_classes')
def confusion_matrix_seen_classes(y_true, y_pred, num_classes):
    classes = np.unique(np.concatenate([y_true, y_pred]))
    index = {int(c): k for k, c in enumerate(classes)}
    matrix = np.zeros((len(classes), len(classes)), dtype=np.int64)
    for t, p in zip(y_true, y_pred):
        matrix[index[int(t)], index[int(p)]] += 1
    return matrix


@bug("confusion_matrix", "counts stored as floats (np.zeros without dtype)", diagnosis='integer')
def confusion_matrix_float_counts(y_true, y_pred, num_classes):
    matrix = np.zeros((num_classes, num_classes))
    np.add.at(matrix, (y_true, y_pred), 1)
    return matrix


@bug("confusion_matrix", "counts stored in the labels' dtype: uint8 counts wrap around at 256", diagnosis='wraps around')
def confusion_matrix_label_dtype(y_true, y_pred, num_classes):
    matrix = np.zeros((num_classes, num_classes), dtype=np.asarray(y_true).dtype)
    np.add.at(matrix, (y_true, y_pred), 1)
    return matrix


@bug("confusion_matrix", "sized num_classes - 1 (off by one), crashes or drops the last class", diagnosis='comes from num_classes')
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

@bug("accuracy", "returns the number of correct predictions, not the fraction", diagnosis='number of correct predictions')
def accuracy_count(y_true, y_pred):
    return int(np.sum(y_true == y_pred))


@bug("accuracy", "returns the count as a float (forgot to divide by N)", diagnosis='number of correct predictions')
def accuracy_float_count(y_true, y_pred):
    return float(np.sum(y_true == y_pred))


@bug("accuracy", "integer division: the fraction floors to 0 (or 1)", diagnosis='integer division')
def accuracy_integer_division(y_true, y_pred):
    return np.sum(y_true == y_pred) // len(y_true)


@bug("accuracy", "divides by y_true.shape (a tuple): an array of shape (1,)", diagnosis='a shape')
def accuracy_divide_by_shape(y_true, y_pred):
    return np.sum(y_true == y_pred) / y_true.shape


@bug("accuracy", "the error rate: fraction of wrong predictions", diagnosis='error rate')
def accuracy_error_rate(y_true, y_pred):
    return float(np.mean(y_true != y_pred))


@bug("accuracy", "mean of per-class recalls (balanced accuracy), not the plain fraction", diagnosis='balanced accuracy')
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


@bug("precision_recall", "precision and recall swapped (row and column sums confused)", diagnosis='swapped')
def precision_recall_swapped(y_true, y_pred, num_classes):
    tp, predicted, actual = _counts(y_true, y_pred, num_classes)
    precision = np.divide(tp, actual, out=np.zeros(num_classes), where=actual > 0)
    recall = np.divide(tp, predicted, out=np.zeros(num_classes), where=predicted > 0)
    return precision, recall


@bug("precision_recall", "divides the counts in float16 (to save memory): about 3 digits",
     diagnosis="is float16 but the test's inputs are float64")
def precision_recall_float16(y_true, y_pred, num_classes):
    tp, predicted, actual = (c.astype(np.float16) for c in _counts(y_true, y_pred, num_classes))
    precision = np.divide(tp, predicted, out=np.zeros(num_classes, np.float16), where=predicted > 0)
    recall = np.divide(tp, actual, out=np.zeros(num_classes, np.float16), where=actual > 0)
    return precision, recall


@bug("precision_recall", "plain division: nan (and a warning) for classes never predicted / absent", diagnosis='0 / 0')
def precision_recall_nan(y_true, y_pred, num_classes):
    tp, predicted, actual = _counts(y_true, y_pred, num_classes)
    return tp / predicted, tp / actual


@bug("precision_recall", "division silenced then nan_to_num: right values, but warns on 0/0", diagnosis='0 / 0')
def precision_recall_warns(y_true, y_pred, num_classes):
    tp, predicted, actual = _counts(y_true, y_pred, num_classes)
    return np.nan_to_num(tp / predicted), np.nan_to_num(tp / actual)


@bug("precision_recall", "integer division: every ratio floors to 0 or 1", diagnosis='integer division')
def precision_recall_integer_division(y_true, y_pred, num_classes):
    tp, predicted, actual = _counts(y_true, y_pred, num_classes)
    return tp // np.maximum(predicted, 1), tp // np.maximum(actual, 1)


@bug("precision_recall", "bincount without minlength: too short when the highest classes never occur", diagnosis='comes from num_classes')
def precision_recall_no_minlength(y_true, y_pred, num_classes):
    y_true, y_pred = y_true.astype(np.int64), y_pred.astype(np.int64)
    size = int(max(y_true.max(), y_pred.max())) + 1
    tp = np.bincount(y_true[y_true == y_pred], minlength=size)
    predicted, actual = np.bincount(y_pred, minlength=size), np.bincount(y_true, minlength=size)
    precision = np.divide(tp, predicted, out=np.zeros(size), where=predicted > 0)
    recall = np.divide(tp, actual, out=np.zeros(size), where=actual > 0)
    return precision, recall


@bug("precision_recall", "undefined precision/recall set to 1 instead of 0", diagnosis='convention is 0')
def precision_recall_undefined_one(y_true, y_pred, num_classes):
    tp, predicted, actual = _counts(y_true, y_pred, num_classes)
    precision = np.divide(tp, predicted, out=np.ones(num_classes), where=predicted > 0)
    recall = np.divide(tp, actual, out=np.ones(num_classes), where=actual > 0)
    return precision, recall


@bug("precision_recall", "macro averages (one number each) instead of per-class arrays", diagnosis='average over the classes')
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


# ----------------------------------------------------------- checkpoint_precision_recall
# labels of the checkpoint: y_true = [0, 1, 1, 2, 2, 2, 0, 1], y_pred = [0, 1, 0, 1, 1, 1, 0, 1]

@bug("checkpoint_precision_recall", "precision and recall swapped (row and column totals confused)", diagnosis='swapped')
def checkpoint_precision_recall_swapped():
    return [[1.0, 2 / 3, 0.0], [2 / 3, 2 / 5, 0.0]]


@bug("checkpoint_precision_recall", "the never-predicted class gets precision 1 instead of 0", diagnosis='precision 1')
def checkpoint_precision_recall_undefined_one():
    return [[2 / 3, 2 / 5, 1.0], [1.0, 2 / 3, 0.0]]


@bug("checkpoint_precision_recall", "true positives divided by N = 8 for both", diagnosis='N = 8')
def checkpoint_precision_recall_over_n():
    return [[2 / 8, 2 / 8, 0.0], [2 / 8, 2 / 8, 0.0]]


@bug("checkpoint_precision_recall", "class 1's column total miscounted (4 instead of 5)", diagnosis='column total')
def checkpoint_precision_recall_miscounted():
    return [[2 / 3, 2 / 4, 0.0], [1.0, 2 / 3, 0.0]]


@bug("checkpoint_precision_recall", "rows and columns: a (3, 2) answer, one row per class", diagnosis='one row per class')
def checkpoint_precision_recall_per_class_rows():
    return [[2 / 3, 1.0], [2 / 5, 2 / 3], [0.0, 0.0]]


@alternative("checkpoint_precision_recall", "decimals rounded to six significant digits, as a tuple")
def checkpoint_precision_recall_decimals():
    return ((0.666667, 0.4, 0), (1, 0.666667, 0))


@alternative("checkpoint_precision_recall", "a NumPy array from the hand-counted matrix")
def checkpoint_precision_recall_array():
    counts = np.array([[2, 0, 0], [1, 2, 0], [0, 3, 0]])
    columns, rows = counts.sum(axis=0), counts.sum(axis=1)
    precision = np.array([2 / 3, 2 / 5, 0.0]) if columns[2] == 0 else np.diag(counts) / columns
    return np.stack([precision, np.diag(counts) / rows])


# ---------------------------------------------------------------- planted_bug_report

@bug("planted_bug_report", "the tanh bug placed in layer 1, the lowest wrong gradient", diagnosis='highest wrong')
def planted_bug_report_lowest_layer():
    return [{"layer": 3, "gradients": ["b3"], "mistake": "batch_scale"},
            {"layer": 1, "gradients": ["W1", "b1", "W2", "b2"], "mistake": "activation_derivative"}]


@bug("planted_bug_report", "the tanh bug's reach: only layer 2's own gradients listed", diagnosis='through dh1')
def planted_bug_report_no_propagation():
    return [{"layer": 3, "gradients": ["b3"], "mistake": "batch_scale"},
            {"layer": 2, "gradients": ["W2", "b2"], "mistake": "activation_derivative"}]


@bug("planted_bug_report", "the db3 bug called a sign mistake", diagnosis="batch size")
def planted_bug_report_sign():
    return [{"layer": 3, "gradients": ["b3"], "mistake": "sign"},
            {"layer": 2, "gradients": ["W1", "b1", "W2", "b2"], "mistake": "activation_derivative"}]


@bug("planted_bug_report", "the tanh bug called a layer_input mistake (the wrong array, read as the input)", diagnosis='local derivative')
def planted_bug_report_layer_input():
    return [{"layer": 3, "gradients": ["b3"], "mistake": "batch_scale"},
            {"layer": 2, "gradients": ["W1", "b1", "W2", "b2"], "mistake": "layer_input"}]


@bug("planted_bug_report", "only the tanh bug reported", diagnosis='2 planted bugs')
def planted_bug_report_one_bug():
    return [{"layer": 2, "gradients": ["W1", "b1", "W2", "b2"], "mistake": "activation_derivative"}]


@bug("planted_bug_report", "every wrong gradient blamed on both bugs", diagnosis='not used by any later step')
def planted_bug_report_all_gradients():
    wrong = ["W1", "b1", "W2", "b2", "b3"]
    return [{"layer": 3, "gradients": wrong, "mistake": "batch_scale"},
            {"layer": 2, "gradients": wrong, "mistake": "activation_derivative"}]


@bug("planted_bug_report", "a mistake word outside the stated vocabulary", diagnosis='must be one of')
def planted_bug_report_free_text():
    return [{"layer": 3, "gradients": ["b3"], "mistake": "mean instead of sum"},
            {"layer": 2, "gradients": ["W1", "b1", "W2", "b2"], "mistake": "activation_derivative"}]


@alternative("planted_bug_report", "the other order, tuples, and NumPy integers for the layers")
def planted_bug_report_reordered():
    return ({"mistake": "activation_derivative", "layer": np.int64(2), "gradients": ("b2", "W2", "b1", "W1")},
            {"gradients": ("b3",), "layer": np.int64(3), "mistake": "batch_scale"})


@alternative("planted_bug_report", "a single gradient name given as a string, plain ints")
def planted_bug_report_string_gradient():
    return [{"layer": 3, "gradients": "b3", "mistake": "batch_scale"},
            {"layer": 2, "gradients": ["W2", "b2", "W1", "b1"], "mistake": "activation_derivative"}]


# ---------------------------------------------------------------- checkpoint_tanh_layer
# x = [[1, 2], [3, -1]], h = [[0.5, -0.2], [0, 0.8]], G = dL/dh = [[0.4, 1], [-2, 0.5]]

@bug("checkpoint_tanh_layer", "the sigmoid's local derivative h (1 - h) used for the tanh", diagnosis='sigmoid')
def checkpoint_tanh_layer_sigmoid_derivative():
    dz = [[0.4 * 0.5 * 0.5, 1.0 * -0.2 * 1.2], [0.0, 0.5 * 0.8 * 0.2]]
    dW = [[dz[0][0] + 3 * dz[1][0], dz[0][1] + 3 * dz[1][1]],
          [2 * dz[0][0] - dz[1][0], 2 * dz[0][1] - dz[1][1]]]
    return {"dz": dz, "dW": dW, "db": [dz[0][0] + dz[1][0], dz[0][1] + dz[1][1]]}


@bug("checkpoint_tanh_layer", "the square missing from the tanh derivative: G (1 - h)", diagnosis='square')
def checkpoint_tanh_layer_no_square():
    dz = [[0.4 * 0.5, 1.0 * 1.2], [-2.0 * 1.0, 0.5 * 0.2]]
    dW = [[dz[0][0] + 3 * dz[1][0], dz[0][1] + 3 * dz[1][1]],
          [2 * dz[0][0] - dz[1][0], 2 * dz[0][1] - dz[1][1]]]
    return {"dz": dz, "dW": dW, "db": [dz[0][0] + dz[1][0], dz[0][1] + dz[1][1]]}


@bug("checkpoint_tanh_layer", "dW transposed (dz^T x)", diagnosis='transposed')
def checkpoint_tanh_layer_transposed():
    return {"dz": [[0.3, 0.96], [-2.0, 0.18]], "dW": [[-5.7, 2.6], [1.5, 1.74]], "db": [-1.7, 1.14]}


@bug("checkpoint_tanh_layer", "db averaged over the batch (1/N twice)", diagnosis='averaged')
def checkpoint_tanh_layer_db_mean():
    return {"dz": [[0.3, 0.96], [-2.0, 0.18]], "dW": [[-5.7, 1.5], [2.6, 1.74]], "db": [-0.85, 0.57]}


@bug("checkpoint_tanh_layer", "dW and db computed from G, skipping the tanh", diagnosis='instead of dz')
def checkpoint_tanh_layer_skips_tanh():
    return {"dz": [[0.3, 0.96], [-2.0, 0.18]], "dW": [[-5.6, 2.5], [2.8, 1.5]], "db": [-1.6, 1.5]}


@bug("checkpoint_tanh_layer", "dz's sign flipped (h^2 - 1)", diagnosis='wrong sign')
def checkpoint_tanh_layer_sign():
    return {"dz": [[-0.3, -0.96], [2.0, -0.18]], "dW": [[5.7, -1.5], [-2.6, -1.74]], "db": [1.7, -1.14]}


@alternative("checkpoint_tanh_layer", "written as the arithmetic of the hand derivation")
def checkpoint_tanh_layer_arithmetic():
    dz = [[0.4 * (1 - 0.5 ** 2), 1 * (1 - 0.2 ** 2)], [-2 * (1 - 0 ** 2), 0.5 * (1 - 0.8 ** 2)]]
    return {"dz": dz,
            "dW": [[1 * dz[0][0] + 3 * dz[1][0], 1 * dz[0][1] + 3 * dz[1][1]],
                   [2 * dz[0][0] - 1 * dz[1][0], 2 * dz[0][1] - 1 * dz[1][1]]],
            "db": (dz[0][0] + dz[1][0], dz[0][1] + dz[1][1])}


@alternative("checkpoint_tanh_layer", "NumPy arrays, fractions as Python expressions")
def checkpoint_tanh_layer_arrays():
    return {"dz": np.array([[3 / 10, 24 / 25], [-2, 9 / 50]]),
            "dW": np.array([[-57 / 10, 3 / 2], [13 / 5, 87 / 50]]),
            "db": np.array([-17 / 10, 57 / 50])}


# ----------------------------------------------------------------------- fixed_backward
# the colleague's handover_backward has two wrong lines: db3 is a mean, dz2 uses 1 - z2**2

def _backward(dlogits, cache, db3="sum", local="h2", in_place=False, dtype=None):
    X, h1, z2, h2 = cache["X"], cache["h1"], cache["z2"], cache["h2"]
    grads = {"W3": h2.T @ dlogits}
    grads["b3"] = dlogits.sum(axis=0) if db3 == "sum" else dlogits.mean(axis=0)
    dh2 = dlogits @ cache["W3"].T
    if in_place:
        h2 **= 2
        dz2 = dh2 * (1 - h2)
    else:
        dz2 = dh2 * {"h2": 1 - h2 ** 2, "z2": 1 - z2 ** 2, "sigmoid": h2 * (1 - h2),
                     "tanh_of_h2": 1 - np.tanh(h2) ** 2}[local]
    grads["W2"], grads["b2"] = h1.T @ dz2, dz2.sum(axis=0)
    dz1 = (dz2 @ cache["W2"].T) * h1 * (1 - h1)
    grads["W1"], grads["b1"] = X.T @ dz1, dz1.sum(axis=0)
    if dtype is not None:
        grads = {k: v.astype(dtype) for k, v in grads.items()}
    return grads


@bug("fixed_backward", "the colleague's code unchanged (both wrong lines)", diagnosis='pre-activation')
def fixed_backward_unchanged(dlogits, cache):
    from coursekit.handover import handover_backward
    return handover_backward(dlogits, cache)


@bug("fixed_backward", "only db3 fixed: dz2 still uses 1 - z2**2", diagnosis='pre-activation')
def fixed_backward_only_db3(dlogits, cache):
    return _backward(dlogits, cache, db3="sum", local="z2")


@bug("fixed_backward", "only the tanh derivative fixed: db3 still a mean", diagnosis='average over the batch')
def fixed_backward_only_tanh(dlogits, cache):
    return _backward(dlogits, cache, db3="mean", local="h2")


@bug("fixed_backward", "tanh's derivative replaced by the sigmoid's h2 (1 - h2)", diagnosis='sigmoid')
def fixed_backward_sigmoid_derivative(dlogits, cache):
    return _backward(dlogits, cache, local="sigmoid")


@bug("fixed_backward", "tanh applied twice: 1 - tanh(h2)**2", diagnosis='applied twice')
def fixed_backward_tanh_of_output(dlogits, cache):
    return _backward(dlogits, cache, local="tanh_of_h2")


@bug("fixed_backward", "squares the cached h2 in place (h2 **= 2)", diagnosis='in place')
def fixed_backward_in_place(dlogits, cache):
    return _backward(dlogits, cache, in_place=True)


@bug("fixed_backward", "returns float64 gradients for float32 inputs", diagnosis='dtype')
def fixed_backward_float64(dlogits, cache):
    return _backward(dlogits, cache, dtype=np.float64)


@alternative("fixed_backward", "the tanh derivative recomputed from z2, and the bias sum as a product with ones")
def fixed_backward_from_z2(dlogits, cache):
    X, h1, z2, h2 = cache["X"], cache["h1"], cache["z2"], cache["h2"]
    ones = np.ones(len(dlogits), dtype=dlogits.dtype)
    dz2 = (dlogits @ cache["W3"].T) / np.cosh(z2) ** 2
    dz1 = (dz2 @ cache["W2"].T) * h1 * (1 - h1)
    return {"W1": X.T @ dz1, "b1": ones @ dz1, "W2": h1.T @ dz2, "b2": ones @ dz2,
            "W3": h2.T @ dlogits, "b3": ones @ dlogits}


@alternative("fixed_backward", "einsum for every product, layers in a loop")
def fixed_backward_einsum(dlogits, cache):
    inputs = {1: cache["X"], 2: cache["h1"], 3: cache["h2"]}
    grads, delta = {}, dlogits
    for layer in (3, 2, 1):
        grads[f"W{layer}"] = np.einsum("nd,nm->dm", inputs[layer], delta)
        grads[f"b{layer}"] = np.einsum("nm->m", delta)
        if layer > 1:
            upstream = np.einsum("nm,dm->nd", delta, cache[f"W{layer}"])
            out = inputs[layer]
            delta = upstream * (1 - out * out) if layer == 3 else upstream * out * (1 - out)
    return grads
