"""MNIST for the notebooks: torchvision's files, NumPy arrays out.

``load_mnist()`` reads ``<data>/MNIST/raw/`` (torchvision's layout), downloading it with
``torchvision.datasets.MNIST`` when the files are absent and the network allows. The four
files are checked against the official md5 sums first, so a corrupt or half-copied dataset
fails with a message that says what to do instead of training on garbage; verified files are
then read directly with NumPy (torchvision is imported only to download).

Offline with no MNIST at all, it warns loudly and returns scikit-learn's bundled 8x8 digits
in the same shape of ``Dataset``, so every notebook still runs end to end.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# The official uncompressed files and their md5 sums (as in torchvision and ../shared/data).
MNIST_MD5 = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}


class DatasetError(RuntimeError):
    """The dataset on disk is unusable (corrupt or partial); the message says how to fix it."""


class DatasetFallbackWarning(UserWarning):
    """MNIST could not be found or downloaded; the small digits dataset is used instead."""


@dataclass(frozen=True)
class Dataset:
    """A classification dataset split three ways, ready for ``(N, D)`` networks.

    X_*: (N, D) floats in [0, 1];  y_*: (N,) int64 labels in [0, num_classes).
    """

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    image_shape: tuple[int, int]
    num_classes: int = 10

    @property
    def is_mnist(self) -> bool:
        return self.name == "MNIST"

    def __repr__(self) -> str:
        return (f"Dataset({self.name}: train {self.X_train.shape}, val {self.X_val.shape}, "
                f"test {self.X_test.shape}, images {self.image_shape[0]}x{self.image_shape[1]})")


def default_data_root() -> Path:
    """``$BFS_DATA_DIR``, else the nearest ``data/`` folder at or above the working directory.

    Notebooks run from ``notebooks/NN_topic/``, so this finds the course's top-level ``data/``.
    """
    if os.environ.get("BFS_DATA_DIR"):
        return Path(os.environ["BFS_DATA_DIR"])
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "data").is_dir():
            return folder / "data"
    return here / "data"


def load_mnist(root: str | os.PathLike | None = None, *, val_size: int = 5000,
               dtype=np.float32, download: bool = True, seed: int = 0) -> Dataset:
    """Load MNIST as float arrays in [0, 1], with ``val_size`` training images held out.

    Falls back (with a ``DatasetFallbackWarning``) to scikit-learn's digits when MNIST is
    absent and cannot be downloaded. Raises ``DatasetError`` for corrupt or partial files.
    """
    root = Path(root) if root is not None else default_data_root()
    raw = root / "MNIST" / "raw"
    present = [name for name in MNIST_MD5 if (raw / name).is_file()]
    if present:
        _verify_mnist_files(raw, present)
    if len(present) < len(MNIST_MD5):
        if not _download_mnist(root, allowed=download):
            if present:
                missing = sorted(set(MNIST_MD5) - set(present))
                raise DatasetError(
                    f"MNIST in {raw} is partial: {', '.join(missing)} missing, and downloading "
                    f"them failed. Copy the four official files there, or delete {root / 'MNIST'} "
                    f"and run again with network access.")
            return _digits_fallback(dtype, seed, reason=f"no MNIST files in {raw} and the "
                                    "download failed (offline?)")
        _verify_mnist_files(raw, list(MNIST_MD5))
    return _mnist_from_idx_files(raw, val_size, dtype, seed)


def _verify_mnist_files(raw: Path, names: list[str]) -> None:
    for name in names:
        digest = hashlib.md5((raw / name).read_bytes()).hexdigest()
        if digest != MNIST_MD5[name]:
            raise DatasetError(
                f"{raw / name} is corrupt or partial (md5 {digest}, expected {MNIST_MD5[name]}). "
                f"Delete {raw.parent} and run again to re-download, or copy the official "
                f"uncompressed file there.")


def _download_mnist(root: Path, allowed: bool) -> bool:
    if not allowed:
        return False
    from torchvision.datasets import MNIST

    try:
        MNIST(root=str(root), train=True, download=True)
        MNIST(root=str(root), train=False, download=True)
    except Exception:  # torchvision raises RuntimeError/URLError/OSError when offline
        return False
    return True


def _mnist_from_idx_files(raw: Path, val_size: int, dtype, seed: int) -> Dataset:
    """Read the verified IDX files (torchvision's layout) straight into NumPy.

    torchvision reads these same files the same way; importing it just to read them would
    cost ~3.5 s per notebook, so it is only imported when a download is needed.
    """
    X, y = _to_arrays(_read_idx(raw / "train-images-idx3-ubyte"), _read_idx(raw / "train-labels-idx1-ubyte"), dtype)
    X_test, y_test = _to_arrays(_read_idx(raw / "t10k-images-idx3-ubyte"),
                                _read_idx(raw / "t10k-labels-idx1-ubyte"), dtype)
    X_train, y_train, X_val, y_val = _hold_out(X, y, val_size, seed)
    return Dataset("MNIST", X_train, y_train, X_val, y_val, X_test, y_test, (28, 28))


def _read_idx(path: Path) -> np.ndarray:
    """An IDX file of unsigned bytes: a 4-byte magic (0x0000 0x08 ndim), big-endian sizes, data."""
    data = path.read_bytes()
    ndim = data[3]
    if data[:3] != b"\x00\x00\x08" or not 1 <= ndim <= 3:
        raise DatasetError(f"{path} is not an IDX file of unsigned bytes")
    shape = tuple(int.from_bytes(data[4 + 4 * k:8 + 4 * k], "big") for k in range(ndim))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def _digits_fallback(dtype, seed: int, reason: str) -> Dataset:
    from sklearn.datasets import load_digits

    warnings.warn(
        f"\n{'!' * 72}\nMNIST IS NOT AVAILABLE ({reason}).\nUsing scikit-learn's 8x8 digits "
        "(1797 images) instead: every cell runs, but accuracies are NOT MNIST results.\n"
        f"Put the four MNIST files in data/MNIST/raw/ (see data/README.md) for the real thing.\n"
        f"{'!' * 72}", DatasetFallbackWarning, stacklevel=3)
    digits = load_digits()
    X = (digits.data / 16.0).astype(dtype)
    y = digits.target.astype(np.int64)
    X_rest, y_rest, X_test, y_test = _hold_out(X, y, 360, seed)
    X_train, y_train, X_val, y_val = _hold_out(X_rest, y_rest, 180, seed + 1)
    return Dataset("digits", X_train, y_train, X_val, y_val, X_test, y_test, (8, 8))


def _to_arrays(images: np.ndarray, labels: np.ndarray, dtype) -> tuple[np.ndarray, np.ndarray]:
    """uint8 (N, H, W) images -> (N, H*W) floats in [0, 1]; labels -> int64."""
    X = images.reshape(len(images), -1).astype(dtype)
    X /= 255
    return X, labels.astype(np.int64)


def _hold_out(X: np.ndarray, y: np.ndarray, size: int, seed: int):
    """Split off ``size`` random rows: returns X_keep, y_keep, X_held, y_held."""
    order = np.random.default_rng(seed).permutation(len(X))
    held, keep = order[:size], order[size:]
    return X[keep], y[keep], X[held], y[held]
