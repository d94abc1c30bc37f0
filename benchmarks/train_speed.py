"""The course's from-scratch NumPy MLP against the identical ``torch.nn`` MLP, side by side.

    .venv/bin/python benchmarks/train_speed.py [--epochs 3] [--threads 2] [--batch 128]

Same CPU threads (BLAS for NumPy via threadpoolctl, ``torch.set_num_threads``), same float32
data (MNIST's 55,000 training images), same initial weights, same batch order, same plain
SGD step. Prints seconds per epoch for each, their ratio, and both test accuracies. The
from-scratch network is the solution's ``mlp_loss`` / ``mlp_forward`` (03_multilayer), taken
from the generated ``provided.py`` that later assignments import. It prints; it never asserts.
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def load_from_scratch_mlp():
    """mlp_forward and mlp_loss exactly as the course provides them to 04-06."""
    path = ROOT / "solutions" / "04_initializers" / "provided.py"
    spec = importlib.util.spec_from_file_location("provided_mlp", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.mlp_forward, module.mlp_loss


def he_init(sizes, rng):
    params = {}
    for layer, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        params[f"W{layer}"] = (rng.normal(size=(fan_in, fan_out)) * np.sqrt(2 / fan_in)).astype(np.float32)
        params[f"b{layer}"] = np.zeros(fan_out, dtype=np.float32)
    return params


def train_numpy(params, data, orders, batch, lr):
    mlp_forward, mlp_loss = load_from_scratch_mlp()
    params = {k: v.copy() for k, v in params.items()}
    seconds = []
    for order in orders:
        start = time.perf_counter()
        for first in range(0, len(order), batch):
            rows = order[first:first + batch]
            _, grads = mlp_loss(params, data.X_train[rows], data.y_train[rows])
            for name in params:
                params[name] -= lr * grads[name]
        seconds.append(time.perf_counter() - start)
    logits = mlp_forward(params, data.X_test)[0]
    return seconds, float(np.mean(np.argmax(logits, axis=1) == data.y_test))


def train_torch(params, data, orders, batch, lr):
    import torch

    layers = []
    count = len(params) // 2
    for layer in range(1, count + 1):
        W, b = params[f"W{layer}"], params[f"b{layer}"]
        linear = torch.nn.Linear(W.shape[0], W.shape[1])
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(W.T.copy()))
            linear.bias.copy_(torch.from_numpy(b.copy()))
        layers.append(linear)
        if layer < count:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    X, y = torch.from_numpy(data.X_train), torch.from_numpy(data.y_train)
    seconds = []
    for order in orders:
        start = time.perf_counter()
        index = torch.from_numpy(order)
        for first in range(0, len(order), batch):
            rows = index[first:first + batch]
            loss = torch.nn.functional.cross_entropy(model(X[rows]), y[rows])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        seconds.append(time.perf_counter() - start)
    with torch.no_grad():
        logits = model(torch.from_numpy(data.X_test)).numpy()
    return seconds, float(np.mean(np.argmax(logits, axis=1) == data.y_test))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--sizes", default="784,256,128,10")
    args = parser.parse_args()

    import torch
    from threadpoolctl import threadpool_limits

    from coursekit import load_mnist

    torch.set_num_threads(args.threads)
    data = load_mnist()
    sizes = [int(s) for s in args.sizes.split(",")]
    sizes[0], sizes[-1] = data.X_train.shape[1], data.num_classes
    rng = np.random.default_rng(0)
    params = he_init(sizes, rng)
    orders = [rng.permutation(len(data.X_train)) for _ in range(args.epochs)]
    with threadpool_limits(limits=args.threads):
        numpy_seconds, numpy_accuracy = train_numpy(params, data, orders, args.batch, args.lr)
    torch_seconds, torch_accuracy = train_torch(params, data, orders, args.batch, args.lr)

    # The first epoch warms caches and allocators; report the median of the epochs.
    numpy_epoch, torch_epoch = float(np.median(numpy_seconds)), float(np.median(torch_seconds))
    print(f"network {'-'.join(map(str, sizes))}, batch {args.batch}, float32, {args.threads} threads, "
          f"{args.epochs} epochs of plain SGD (lr {args.lr}) on {data.name} ({len(data.X_train)} images)")
    print(f"{'':12} {'s/epoch':>8} {'test accuracy':>14}")
    print(f"{'from scratch':12} {numpy_epoch:8.2f} {numpy_accuracy:14.2%}")
    print(f"{'torch.nn':12} {torch_epoch:8.2f} {torch_accuracy:14.2%}")
    print(f"ratio (from scratch / torch): {numpy_epoch / torch_epoch:.2f}  (target <= 1.5, stretch <= 1.0)")


if __name__ == "__main__":
    main()
