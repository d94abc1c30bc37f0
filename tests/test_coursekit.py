"""coursekit: minibatches, the progress bar, the training loop, accuracy, grading mode,
report_result and the shared plots (load_mnist has its own module, test_data.py)."""

from __future__ import annotations

import io
import json

import matplotlib
import numpy as np
import pytest

from coursekit import (Dataset, History, ProgressBar, evaluate_accuracy, fit, grading_mode,
                       minibatches, num_batches, report_result)
from coursekit.plots import plot_histories, show_images

# --- minibatches -------------------------------------------------------------------------


@pytest.mark.parametrize("n, batch_size", [(10, 3), (10, 10), (10, 32), (1, 1), (7, 1)])
def test_minibatches_cover_every_row_exactly_once(n, batch_size):
    X = np.arange(n * 2, dtype=np.float32).reshape(n, 2)
    y = np.arange(n)
    batches = list(minibatches(X, y, batch_size, np.random.default_rng(0)))
    assert len(batches) == num_batches(n, batch_size) == -(-n // batch_size)
    assert all(len(xb) == min(batch_size, n) for xb, _ in batches[:-1])
    assert 1 <= len(batches[-1][0]) <= batch_size
    seen = np.concatenate([yb for _, yb in batches])
    assert sorted(seen.tolist()) == list(range(n))
    for xb, yb in batches:  # rows stay paired with their labels
        np.testing.assert_array_equal(xb, X[yb])
        assert xb.dtype == np.float32


def test_minibatches_keep_order_without_rng_and_shuffle_with_it():
    X, y = np.arange(20.0).reshape(20, 1), np.arange(20)
    in_order = np.concatenate([yb for _, yb in minibatches(X, y, 6)])
    np.testing.assert_array_equal(in_order, np.arange(20))
    first = np.concatenate([yb for _, yb in minibatches(X, y, 6, np.random.default_rng(1))])
    again = np.concatenate([yb for _, yb in minibatches(X, y, 6, np.random.default_rng(1))])
    other = np.concatenate([yb for _, yb in minibatches(X, y, 6, np.random.default_rng(2))])
    np.testing.assert_array_equal(first, again)  # the rng decides the order: reproducible
    assert not np.array_equal(first, np.arange(20))
    assert not np.array_equal(first, other)


def test_minibatches_do_not_modify_their_inputs():
    X, y = np.arange(12.0).reshape(6, 2), np.arange(6)
    X0, y0 = X.copy(), y.copy()
    for xb, _ in minibatches(X, y, 4, np.random.default_rng(0)):
        xb += 100  # a batch is a copy (fancy indexing): editing it leaves X alone
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)


@pytest.mark.parametrize("n_y, batch_size, message", [
    (5, 2, "X has 4 rows but y has 5 labels"),
    (4, 0, "batch_size must be at least 1, got 0"),
    (4, -3, "batch_size must be at least 1, got -3"),
])
def test_minibatches_reject_bad_input(n_y, batch_size, message):
    with pytest.raises(ValueError, match=message):
        list(minibatches(np.zeros((4, 2)), np.zeros(n_y), batch_size))


# --- ProgressBar -----------------------------------------------------------------------

def test_progress_bar_yields_everything_and_draws_a_bounded_number_of_times():
    out = io.StringIO()
    bar = ProgressBar(range(1000), desc="epoch 1/2", width=10, updates=20, file=out)
    items = []
    for item in bar:
        items.append(item)
        bar.set(loss=0.3125)
    assert items == list(range(1000))
    text = out.getvalue()
    assert text.endswith("\n") and text.count("\n") == 1  # one line, redrawn in place
    redraws = text.split("\r")[1:]
    assert len(redraws) == 20  # 19 updates plus the final draw (no duplicate): a saved notebook stays small
    assert redraws[-1].startswith("epoch 1/2 [##########] 1000/1000")
    assert "loss=0.3125" in redraws[-1]
    assert redraws[0].startswith("epoch 1/2 [----------] 50/1000 ")


def test_progress_bar_without_a_length_counts():
    out = io.StringIO()
    for _ in ProgressBar((i for i in range(7)), desc="steps", file=out):
        pass
    assert out.getvalue().split("\r")[-1].startswith("steps 7 ")


def test_progress_bar_total_and_fill():
    out = io.StringIO()
    bar = ProgressBar(iter(range(4)), total=8, width=8, updates=8, file=out)
    list(bar)
    assert "[####----] 4/8" in out.getvalue()


# --- fit and evaluate_accuracy on a tiny synthetic problem -----------------------------

def blobs(n_per_class=60, seed=0) -> Dataset:
    """Three well-separated Gaussian blobs in 2-D, split like a course Dataset."""
    rng = np.random.default_rng(seed)
    centres = np.array([[2.0, 0.0], [-2.0, 1.0], [0.0, -2.5]])
    X = np.concatenate([c + 0.6 * rng.normal(size=(n_per_class, 2)) for c in centres]).astype(np.float32)
    y = np.repeat(np.arange(3), n_per_class).astype(np.int64)
    order = rng.permutation(len(X))
    X, y = X[order], y[order]
    return Dataset("blobs", X[:120], y[:120], X[120:150], y[120:150], X[150:], y[150:], (1, 2),
                   num_classes=3)


def predict(params, X):
    return X @ params["W"] + params["b"]


def softmax_loss(params, X, y):
    logits = predict(params, X)
    shifted = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(shifted)
    p /= p.sum(axis=1, keepdims=True)
    N = len(X)
    loss = -np.mean(np.log(p[np.arange(N), y]))
    dlogits = p
    dlogits[np.arange(N), y] -= 1
    dlogits /= N
    return loss, {"W": X.T @ dlogits, "b": dlogits.sum(axis=0)}


def sgd(w, dw, config=None):
    config = {"learning_rate": 0.5, **(config or {})}
    return w - config["learning_rate"] * dw, config


def initial_params():
    return {"W": np.zeros((2, 3), dtype=np.float32), "b": np.zeros(3, dtype=np.float32)}


def test_fit_reduces_the_loss_and_learns_the_blobs():
    data = blobs()
    params = initial_params()
    start_loss = softmax_loss(params, data.X_train, data.y_train)[0]  # log 3
    trained, history = fit(params, softmax_loss, predict, sgd, data, epochs=5, batch_size=16,
                           verbose=False)
    assert isinstance(history, History) and history.epochs == [1, 2, 3, 4, 5]
    for record in (history.train_loss, history.val_loss, history.val_accuracy,
                   history.learning_rate, history.seconds):
        assert len(record) == 5
    assert history.train_loss[-1] < 0.5 * start_loss
    assert history.val_loss[-1] < history.val_loss[0] < start_loss
    assert history.val_accuracy[-1] >= 0.95
    assert evaluate_accuracy(predict, trained, data.X_test, data.y_test) >= 0.9
    assert history.learning_rate == [0.5] * 5
    # the caller's parameters are untouched
    np.testing.assert_array_equal(params["W"], np.zeros((2, 3)))


def test_fit_is_reproducible_for_a_seed():
    data = blobs()
    runs = [fit(initial_params(), softmax_loss, predict, sgd, data, epochs=2, batch_size=16,
                seed=seed, verbose=False)[0]["W"] for seed in (0, 0, 1)]
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


def test_fit_keeps_optimizer_state_per_parameter_and_applies_the_schedule():
    data = blobs()
    seen = []

    def counting(w, dw, config):
        config = dict(config)
        config["steps"] += 1
        seen.append((w.shape, config["steps"], config["learning_rate"]))
        return w - config["learning_rate"] * dw, config

    shared = {"steps": 0, "learning_rate": 1.0}
    fit(initial_params(), softmax_loss, predict, counting, data, epochs=2, batch_size=60,
        update_config=shared, lr_schedule=lambda epoch: 0.1 / (epoch + 1), verbose=False)
    assert shared == {"steps": 0, "learning_rate": 1.0}  # copied, not shared or modified
    steps_W = [steps for shape, steps, _ in seen if shape == (2, 3)]
    steps_b = [steps for shape, steps, _ in seen if shape == (3,)]
    assert steps_W == steps_b == [1, 2, 3, 4]  # 2 batches per epoch, each parameter counts alone
    assert [rate for shape, _, rate in seen if shape == (3,)] == [0.1, 0.1, 0.05, 0.05]


def test_fit_prints_progress_only_when_verbose(capsys):
    data = blobs()
    fit(initial_params(), softmax_loss, predict, sgd, data, epochs=1, batch_size=16, verbose=False)
    assert capsys.readouterr().out == ""
    fit(initial_params(), softmax_loss, predict, sgd, data, epochs=2, batch_size=16, desc="blobs")
    out = capsys.readouterr().out
    assert "blobs epoch 1/2 [" in out and "blobs epoch 2/2 [" in out and "8/8" in out
    assert "val accuracy" in out


def test_evaluate_accuracy_counts_the_argmax_in_chunks():
    X = np.eye(4)[[0, 1, 2, 3, 0, 1, 2, 3, 0, 1]]
    y = np.array([0, 1, 2, 3, 0, 1, 2, 0, 1, 0])  # 7 of 10 right with identity logits

    def identity(params, X):
        return X @ params["W"]

    params = {"W": np.eye(4)}
    assert evaluate_accuracy(identity, params, X, y) == pytest.approx(0.7)
    assert evaluate_accuracy(identity, params, X, y, batch_size=3) == pytest.approx(0.7)
    assert evaluate_accuracy(identity, params, X, y, batch_size=1) == pytest.approx(0.7)


# --- grading mode, report_result, plots ----------------------------------------------

@pytest.mark.parametrize("value, expected", [(None, False), ("", False), ("autograde", True),
                                             ("validate", True)])
def test_grading_mode_follows_nbgrader_execution(monkeypatch, value, expected):
    if value is None:
        monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    else:
        monkeypatch.setenv("NBGRADER_EXECUTION", value)
    assert grading_mode() is expected


def test_report_result_prints_and_merges_into_the_results_file(monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("BFS_RESULTS_FILE", raising=False)
    report_result(test_accuracy=0.9234, dataset="MNIST")
    assert capsys.readouterr().out == "test accuracy: 92.34%\ndataset: MNIST\n"

    results = tmp_path / "results.json"
    monkeypatch.setenv("BFS_RESULTS_FILE", str(results))
    report_result(test_accuracy=0.5, dataset="digits")
    report_result(val_accuracy=0.25)
    assert json.loads(results.read_text()) == {"dataset": "digits", "test_accuracy": 0.5,
                                               "val_accuracy": 0.25}


def test_plots_draw_without_a_display():
    assert matplotlib.get_backend().lower() == "agg"
    import matplotlib.pyplot as plt

    history = History(train_loss=[1.0, 0.5], val_loss=[1.1, 0.6], val_accuracy=[0.6, 0.8])
    fig = plot_histories({"a": history, "b": history}, title="curves")
    assert len(fig.axes) == 2 and len(fig.axes[0].lines) == 4
    plt.close(fig)
    fig = show_images(np.random.default_rng(0).random((7, 4)), (2, 2), titles=list("abcdefg"),
                      ncols=4, symmetric=True)
    assert len(fig.axes) == 8 and sum(bool(ax.images) for ax in fig.axes) == 7
    plt.close(fig)


# --- the backprop graph of 03 --------------------------------------------------------------


def test_mlp_graph_shows_forward_ops_and_every_shape_but_no_backward_formula():
    import matplotlib.pyplot as plt

    from coursekit.backprop_graph import draw_mlp_graph

    fig = draw_mlp_graph(sizes=(784, 256, 128, 10), batch=128)
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    plt.close(fig)
    everything = "\n".join(texts)
    for forward in ("Z_1 = X W_1 + b_1", "A_1 = f(Z_1)", "Z_2 = A_1 W_2 + b_2", "S = A_2 W_3 + b_3"):
        assert forward in everything, forward
    for shape in ("(128, 784)", "(128, 256)", "(128, 128)", "(128, 10)", "(784, 256)",
                  "(256, 128)", "(128, 10)", "(256,)", "(10,)"):
        assert shape in everything, shape
    for gradient in ("dZ_1", "dA_1", "dZ_2", "dA_2", "dW_1", "dW_2", "dW_3", "db_1", "db_3", "dS"):
        assert f"${gradient}" in everything, gradient
    backward_lines = [t for t in texts if t.lstrip("$").startswith(("dZ", "dA", "dW", "db", "dS"))]
    assert len(backward_lines) >= 8, backward_lines
    for formula in ("odot", "^T", "^\\top", "P - Y", "column sums", "f\\,'", "sum"):
        assert not any(formula in t for t in backward_lines), (formula, backward_lines)
