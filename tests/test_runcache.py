"""coursekit.runcache: runs are stored once, found again, and retrained when anything changes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from coursekit.runcache import RunCache, default_cache_dir, fingerprint, run_key

CONFIG = {"hidden": [500, 250], "learning_rate": 0.448, "activation": "relu", "seed": 0}


def _result():
    return {"train_loss": [2.3, 0.5, float("nan")], "test_accuracy": np.float64(0.97),
            "diverged": False, "test_probs": np.arange(6, dtype=np.float32).reshape(3, 2)}


def test_second_call_loads_instead_of_running(tmp_path, capsys):
    cache, calls = RunCache(tmp_path, code="v1"), []

    def compute():
        calls.append(1)
        return _result()

    first, hit_first = cache.get_or_run(CONFIG, compute, label="run 1")
    second, hit_second = cache.get_or_run(CONFIG, compute, label="run 1")
    assert (hit_first, hit_second, len(calls)) == (False, True, 1)
    assert "loaded from the cache" in capsys.readouterr().out
    assert second["test_probs"].dtype == np.float32
    np.testing.assert_array_equal(second["test_probs"], first["test_probs"])
    assert second["test_accuracy"] == 0.97 and second["diverged"] is False
    assert second["train_loss"][:2] == [2.3, 0.5] and np.isnan(second["train_loss"][2])


def test_config_or_code_change_misses(tmp_path):
    RunCache(tmp_path, code="v1").save(CONFIG, _result())
    assert RunCache(tmp_path, code="v1").load(CONFIG) is not None
    assert RunCache(tmp_path, code="v2").load(CONFIG) is None
    assert RunCache(tmp_path, code="v1").load({**CONFIG, "learning_rate": 0.01}) is None
    assert run_key(CONFIG) == run_key(dict(reversed(list(CONFIG.items()))))  # order-free


def test_corrupt_entry_is_a_miss_and_no_pickle(tmp_path):
    cache = RunCache(tmp_path)
    path = cache.save(CONFIG, _result())
    assert json.loads(path.read_text())["config"] == CONFIG
    with np.load(path.with_suffix(".npz"), allow_pickle=False) as arrays:
        assert list(arrays) == ["test_probs"]
    path.with_suffix(".npz").write_bytes(b"garbage")
    assert cache.load(CONFIG) is None
    path.write_text("{")
    assert cache.load(CONFIG) is None
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporaries left


def test_fingerprint_follows_files_and_functions(tmp_path):
    source = tmp_path / "provided.py"
    source.write_text("def f():\n    return 1\n")
    before = fingerprint(source, "text", test_fingerprint_follows_files_and_functions)
    assert before == fingerprint(Path(source), "text", test_fingerprint_follows_files_and_functions)
    source.write_text("def f():\n    return 2\n")
    assert fingerprint(source, "text", test_fingerprint_follows_files_and_functions) != before
    with pytest.raises(TypeError):
        fingerprint(3.5)


def test_unstorable_values_are_refused(tmp_path):
    with pytest.raises(TypeError, match="run cache"):
        RunCache(tmp_path).save(CONFIG, {"model": object()})


def test_default_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("BFS_CACHE_DIR", str(tmp_path))
    assert default_cache_dir("06_experiments") == tmp_path / "06_experiments"
    monkeypatch.delenv("BFS_CACHE_DIR")
    monkeypatch.setenv("BFS_DATA_DIR", str(tmp_path / "data"))
    assert default_cache_dir("06_experiments") == tmp_path.resolve() / "build" / "cache" / "06_experiments"
