"""Cache finished training runs on disk, so rerunning a notebook skips unchanged runs.

A run is stored under a *key*: the SHA-256 of its configuration (as canonical JSON) and of
the code it depends on (the text of ``provided.py``, the source of the training function,
...). Change any of them and the key changes, so the run trains again; nothing is ever
invalidated by hand, and a stale entry is simply never asked for again.

    cache = RunCache(default_cache_dir("06_experiments"),
                     code=fingerprint(Path("provided.py"), train_run))
    result, hit = cache.get_or_run(config, lambda: train_and_evaluate(config), label="run 1")

``result`` is a flat dict of JSON values (numbers, strings, lists, dicts) and NumPy arrays.
On disk an entry is two files, never a pickle:
- ``<key>.json``: the configuration, the code fingerprint and the JSON values (a float
  nan or inf is written as Python's ``json`` writes it, ``NaN``/``Infinity``, and reads back);
- ``<key>.npz``: the arrays, read back with ``allow_pickle=False``.
Both are written to a temporary name and renamed into place (the ``.npz`` first, the
``.json`` last), so an interrupted run leaves no half entry behind. An unreadable or
mismatched entry counts as a miss and is overwritten.

The folder defaults to ``<course root>/build/cache/<name>`` (``build/`` is git-ignored), or
``$BFS_CACHE_DIR/<name>`` when that is set. Delete the folder to retrain everything.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import marshal
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType

import numpy as np

from .data import default_data_root

__all__ = ["RunCache", "default_cache_dir", "fingerprint", "run_key"]

FORMAT_VERSION = 1


def default_cache_dir(name: str) -> Path:
    """``$BFS_CACHE_DIR/<name>``, else ``build/cache/<name>`` next to the course's ``data/``."""
    if os.environ.get("BFS_CACHE_DIR"):
        return Path(os.environ["BFS_CACHE_DIR"]) / name
    return default_data_root().resolve().parent / "build" / "cache" / name


def fingerprint(*dependencies) -> str:
    """One SHA-256 hex digest of everything a run's result depends on besides its config.

    Each dependency may be a ``str`` (hashed as is), a ``Path`` (the file's bytes), or a
    function, class or module (its source text; compiled code when no source is available).
    """
    digest = hashlib.sha256()
    for dependency in dependencies:
        if isinstance(dependency, Path):
            data = b"file:" + dependency.read_bytes()
        elif isinstance(dependency, str):
            data = b"text:" + dependency.encode()
        elif isinstance(dependency, (ModuleType, type)) or callable(dependency):
            data = b"source:" + _source(dependency)
        else:
            raise TypeError(f"cannot fingerprint a {type(dependency).__name__}; pass a str, "
                            "a Path, a function or a module")
        digest.update(hashlib.sha256(data).digest())
    return digest.hexdigest()


def run_key(config: Mapping, code: str = "") -> str:
    """The key of a run: SHA-256 of the canonical JSON of ``config`` and of ``code``."""
    text = json.dumps({"config": _plain(config), "code": code, "format": FORMAT_VERSION},
                      sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:24]


class RunCache:
    """A folder of finished runs, keyed by configuration and code fingerprint."""

    def __init__(self, folder: str | os.PathLike, code: str = "", *, verbose: bool = True):
        self.folder = Path(folder)
        self.code = code
        self.verbose = verbose

    def key(self, config: Mapping) -> str:
        return run_key(config, self.code)

    def load(self, config: Mapping) -> dict | None:
        """The stored result of ``config``, or None when there is none (or it is unreadable)."""
        key = self.key(config)
        meta_path, array_path = self.folder / f"{key}.json", self.folder / f"{key}.npz"
        try:
            meta = json.loads(meta_path.read_text())
            if meta.get("config") != _plain(config) or meta.get("code") != self.code:
                return None
            result = dict(meta["values"])
            if meta["arrays"]:
                with np.load(array_path, allow_pickle=False) as arrays:
                    result.update({name: arrays[name] for name in meta["arrays"]})
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return result

    def save(self, config: Mapping, result: Mapping) -> Path:
        """Store ``result`` for ``config``; returns the path of the entry's ``.json``."""
        self.folder.mkdir(parents=True, exist_ok=True)
        key = self.key(config)
        arrays = {name: value for name, value in result.items() if isinstance(value, np.ndarray)}
        values = {name: _plain(value) for name, value in result.items() if name not in arrays}
        if arrays:
            temporary = self.folder / f".{key}.{os.getpid()}.npz"
            np.savez(temporary, **arrays)
            os.replace(temporary, self.folder / f"{key}.npz")
        meta = {"config": _plain(config), "code": self.code, "format": FORMAT_VERSION,
                "saved": time.strftime("%Y-%m-%d %H:%M:%S"), "arrays": sorted(arrays),
                "values": values}
        temporary = self.folder / f".{key}.{os.getpid()}.json"
        temporary.write_text(json.dumps(meta, indent=1, sort_keys=True))
        target = self.folder / f"{key}.json"
        os.replace(temporary, target)
        return target

    def get_or_run(self, config: Mapping, compute: Callable[[], Mapping],
                   label: str = "run") -> tuple[dict, bool]:
        """``(result, True)`` from the cache, else ``(compute(), False)`` after saving it."""
        result = self.load(config)
        if result is not None:
            if self.verbose:
                print(f"{label}: loaded from the cache ({self._where(config)}), not retrained")
            return result, True
        result = dict(compute())
        path = self.save(config, result)
        if self.verbose:
            print(f"{label}: trained and saved to the cache ({self._where(config, path)})")
        return result, False

    def _where(self, config: Mapping, path: Path | None = None) -> str:
        path = (path or self.folder / f"{self.key(config)}.json").resolve()
        try:
            return str(path.relative_to(default_data_root().resolve().parent))
        except ValueError:
            return str(path)


def _source(obj) -> bytes:
    try:
        return inspect.getsource(obj).encode()
    except (OSError, TypeError):  # defined where no source is kept (exec, a frozen module)
        code = getattr(obj, "__code__", None)
        if code is None:
            raise TypeError(f"no source or code object to fingerprint for {obj!r}") from None
        return marshal.dumps(code)


def _plain(value):
    """``value`` as plain JSON data (NumPy scalars and arrays become numbers and lists)."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot store a {type(value).__name__} in the run cache; use numbers, "
                    "strings, lists, dicts or numpy arrays")
