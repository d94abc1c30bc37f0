"""coursekit.load_mnist on real files, in all three situations a student can be in:

- MNIST present: the real dataset, in the promised shapes and types;
- offline with no MNIST: a loud DatasetFallbackWarning and scikit-learn's digits, in the
  same Dataset contract;
- a corrupt or partial copy: DatasetError naming the file and what to do.

"Offline" is made real: the loader runs in a child process inside a fresh network namespace
(``unshare -n``, or ``unshare -rn`` without root), where no connection is possible and
torchvision's download genuinely fails. Only where no namespace can be made does the child
fall back to refusing every socket connection itself (a warning says so).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from coursekit import DatasetError, load_mnist
from coursekit.data import MNIST_MD5

SMALL_FILE = "t10k-labels-idx1-ubyte"  # 10 KB: cheap to copy and corrupt


def check_dataset_contract(data, name, image_shape, sizes):
    """The Dataset shape contract every notebook relies on."""
    assert data.name == name
    assert data.image_shape == image_shape and data.num_classes == 10
    D = image_shape[0] * image_shape[1]
    splits = [(data.X_train, data.y_train), (data.X_val, data.y_val), (data.X_test, data.y_test)]
    for (X, y), n in zip(splits, sizes):
        assert X.shape == (n, D) and y.shape == (n,)
        assert X.dtype == np.float32 and y.dtype == np.int64
        assert X.min() >= 0.0 and X.max() <= 1.0
        assert X.max() == 1.0  # scaled to fill [0, 1], not left in 0..255 or 0..16
        assert y.min() == 0 and y.max() == 9 and len(np.unique(y)) == 10


# --- MNIST present ---------------------------------------------------------------------

def test_mnist_loads_in_the_promised_shapes(mnist_raw):
    data = load_mnist(mnist_raw.parent.parent)
    check_dataset_contract(data, "MNIST", (28, 28), (55000, 5000, 10000))
    assert data.is_mnist
    assert "MNIST: train (55000, 784)" in repr(data)
    # the held-out validation rows come from the training set, not the test set
    assert not np.array_equal(data.X_val[:100], data.X_test[:100])


# --- offline: run the loader where the network is really unreachable --------------------

CHILD = r"""
import json, os, socket, sys, warnings

if os.environ.get("BFS_TEST_REFUSE_SOCKETS"):
    def refuse(*args, **kwargs):
        raise OSError(101, "Network is unreachable (refused by the test)")
    socket.socket.connect = refuse

try:  # the premise: nothing can be reached
    socket.create_connection(("1.1.1.1", 80), timeout=3).close()
    network = "reachable"
except OSError as error:
    network = f"unreachable: {error}"

from coursekit import DatasetError, load_mnist

results = {"network": network}
for label, root in json.loads(sys.argv[1]).items():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            data = load_mnist(root)
        except DatasetError as error:
            results[label] = {"error": str(error)}
            continue
    results[label] = {
        "warnings": [[w.category.__name__, str(w.message)] for w in caught],
        "name": data.name, "image_shape": list(data.image_shape), "num_classes": data.num_classes,
        "splits": {split: {"shape": list(getattr(data, split).shape),
                           "dtype": str(getattr(data, split).dtype),
                           "min": float(getattr(data, split).min()),
                           "max": float(getattr(data, split).max()),
                           "classes": len(set(getattr(data, split).tolist()))
                           if split.startswith("y") else None}
                   for split in ("X_train", "y_train", "X_val", "y_val", "X_test", "y_test")},
    }
print("RESULTS " + json.dumps(results))
"""


@cache
def isolation() -> list[str] | None:
    """A command prefix that runs a process without network, or None where none works."""
    if not shutil.which("unshare"):
        return None
    for prefix in (["unshare", "-n"], ["unshare", "-rn"]):
        try:
            if subprocess.run([*prefix, "true"], capture_output=True, timeout=30).returncode == 0:
                return prefix
        except (OSError, subprocess.TimeoutExpired):
            continue
    return None


@pytest.fixture(scope="module")
def offline(mnist_files):
    """Results of load_mnist, offline, on an empty data folder and (when MNIST is here to
    copy from) on a partial copy."""
    with tempfile.TemporaryDirectory(prefix="bfs-offline-") as scratch:
        yield load_offline(Path(scratch), mnist_files)


def load_offline(base: Path, mnist_files: Path | None) -> dict:
    empty = base / "empty"
    empty.mkdir()
    roots = {"empty": str(empty)}
    if mnist_files is not None:
        link_mnist(base / "partial", mnist_files, skip="train-images-idx3-ubyte")
        roots["partial"] = str(base / "partial")
    env = {**os.environ}
    prefix = isolation()
    if prefix is None:
        warnings.warn("no network namespace can be made here (unshare -n / -rn failed): the offline "
                      "tests refuse socket connections inside the child process instead")
        env["BFS_TEST_REFUSE_SOCKETS"] = "1"
    done = subprocess.run([*(prefix or []), sys.executable, "-c", CHILD, json.dumps(roots)],
                          capture_output=True, text=True, env=env, cwd=base, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    line = [text for text in done.stdout.splitlines() if text.startswith("RESULTS ")][-1]
    results = json.loads(line[len("RESULTS "):])
    assert results["network"].startswith("unreachable"), (
        f"the offline tests need a process without network; got {results['network']}")
    return {"roots": roots, **results}


def link_mnist(root: Path, source: Path, skip: str | None = None) -> Path:
    """``root/MNIST/raw`` with symlinks to the real files (all, or all but ``skip``)."""
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in MNIST_MD5:
        if name != skip:
            (raw / name).symlink_to(source / name)
    return raw


def test_offline_without_mnist_falls_back_loudly_to_digits(offline):
    result = offline["empty"]
    assert "error" not in result, result
    categories = [category for category, _ in result["warnings"]]
    assert categories == ["DatasetFallbackWarning"], result["warnings"]
    message = result["warnings"][0][1]
    assert "MNIST IS NOT AVAILABLE" in message and "digits" in message
    assert "data/MNIST/raw" in message  # says how to get the real thing
    assert result["name"] == "digits" and result["image_shape"] == [8, 8]
    assert result["num_classes"] == 10
    splits = result["splits"]
    sizes = {"train": 1257, "val": 180, "test": 360}  # 1797 digits, 20% test, 10% validation
    for split, n in sizes.items():
        X, y = splits[f"X_{split}"], splits[f"y_{split}"]
        assert X["shape"] == [n, 64] and X["dtype"] == "float32"
        assert X["min"] >= 0.0 and X["max"] == 1.0
        assert y["shape"] == [n] and y["dtype"] == "int64" and y["classes"] == 10
    # nothing half-downloaded is left behind to be mistaken for MNIST later
    assert not any(Path(offline["roots"]["empty"]).rglob("*-ubyte*"))


def test_partial_mnist_offline_is_an_error_that_says_what_to_do(offline):
    if "partial" not in offline:
        pytest.skip("MNIST is not in data/MNIST/raw: the partial copy is made from it")
    result = offline["partial"]
    assert "error" in result, f"a partial MNIST must not load: {result}"
    message = result["error"]
    raw = Path(offline["roots"]["partial"]) / "MNIST" / "raw"
    assert f"MNIST in {raw} is partial: train-images-idx3-ubyte missing" in message
    assert "Copy the four official files there" in message


# --- corrupt copies: caught by the md5 check before anything is read -------------------

def corrupt_copy(raw: Path, name: str, how: str) -> None:
    target = raw / name
    data = bytearray(target.read_bytes())
    target.unlink()  # replace the symlink by a real, modified copy
    if how == "flipped byte":
        data[len(data) // 2] ^= 0x01
    else:
        data = data[: len(data) // 3]
    target.write_bytes(bytes(data))


@pytest.mark.parametrize("how", ["flipped byte", "truncated"])
def test_corrupt_mnist_file_is_an_error_naming_the_file(tmp_path, how, mnist_raw):
    raw = link_mnist(tmp_path, mnist_raw)
    corrupt_copy(raw, SMALL_FILE, how)
    with pytest.raises(DatasetError) as caught:
        load_mnist(tmp_path, download=False)
    message = str(caught.value)
    assert f"{raw / SMALL_FILE} is corrupt or partial" in message
    assert f"expected {MNIST_MD5[SMALL_FILE]}" in message
    assert "Delete" in message and "re-download" in message
    # the other (symlinked) files were left alone
    assert all((raw / name).is_symlink() for name in MNIST_MD5 if name != SMALL_FILE)


def test_corrupt_file_is_reported_even_when_others_are_missing(tmp_path, mnist_raw):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    shutil.copyfile(mnist_raw / SMALL_FILE, raw / SMALL_FILE)
    corrupt_copy(raw, SMALL_FILE, "truncated")
    with pytest.raises(DatasetError, match=f"{SMALL_FILE} is corrupt or partial"):
        load_mnist(tmp_path, download=False)


def test_no_download_and_no_mnist_falls_back_in_process(tmp_path):
    with pytest.warns(Warning) as caught:
        data = load_mnist(tmp_path, download=False)
    assert [w.category.__name__ for w in caught] == ["DatasetFallbackWarning"]
    check_dataset_contract(data, "digits", (8, 8), (1257, 180, 360))


def test_partial_copy_without_download_is_an_error(tmp_path, mnist_raw):
    link_mnist(tmp_path, mnist_raw, skip="t10k-labels-idx1-ubyte")
    with pytest.raises(DatasetError, match="partial: t10k-labels-idx1-ubyte missing"):
        load_mnist(tmp_path, download=False)


def test_the_numpy_reader_gives_exactly_torchvisions_arrays(mnist_raw):
    """load_mnist reads the verified IDX files itself (torchvision costs seconds to import);
    its pixels and labels must be torchvision's, byte for byte."""
    from torchvision.datasets import MNIST

    from coursekit.data import _read_idx

    for train, prefix in ((True, "train"), (False, "t10k")):
        reference = MNIST(root=str(mnist_raw.parent.parent), train=train, download=False)
        images = _read_idx(mnist_raw / f"{prefix}-images-idx3-ubyte")
        labels = _read_idx(mnist_raw / f"{prefix}-labels-idx1-ubyte")
        assert np.array_equal(images, reference.data.numpy())
        assert np.array_equal(labels, reference.targets.numpy())
