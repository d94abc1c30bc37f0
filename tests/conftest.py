"""Suite-wide set-up: a headless matplotlib, a clean environment, MNIST discovery, and a
per-module timing table at the end of every run (the CI budget is watched there)."""

from __future__ import annotations

import contextlib
import functools
import os
import tempfile
import resource
import time
from collections import defaultdict
from pathlib import Path

# Before anything imports matplotlib: tests draw figures without a display.
os.environ["MPLBACKEND"] = "Agg"
# A grading-mode flag left in the caller's shell would silently skip the notebooks' training
# cells everywhere; tests that want grading mode set it themselves.
os.environ.pop("NBGRADER_EXECUTION", None)

import pytest  # noqa: E402

from coursekit.data import MNIST_MD5  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MNIST_RAW = ROOT / "data" / "MNIST" / "raw"


def mnist_present() -> bool:
    """All four MNIST files are in the course's ``data/MNIST/raw`` (not checked for md5)."""
    return all((MNIST_RAW / name).is_file() for name in MNIST_MD5)


@pytest.fixture(scope="session")
def mnist_files() -> Path | None:
    """The course's MNIST folder (symlinks resolved), or None when it is not there."""
    return MNIST_RAW.resolve() if mnist_present() else None


@pytest.fixture(scope="session")
def mnist_raw(mnist_files) -> Path:
    """The course's MNIST folder; skips the test when MNIST is not there."""
    if mnist_files is None:
        pytest.skip(f"MNIST is not in {MNIST_RAW} (run scripts/setup.sh with MNIST_DIR set, "
                    "or put the four IDX files there); this test needs the real dataset")
    return mnist_files


# --- the executed solution notebooks and the book, once per session ------------------
# Shared by tests/test_course.py (the notebooks' own checks) and tests/test_book*.py (the
# self-study book is built from the same executed notebooks: nothing is executed twice).

@pytest.fixture(scope="session")
def tripwire_data():
    """A data folder where load_mnist() raises at once: one MNIST file, corrupt."""
    with tempfile.TemporaryDirectory(prefix="bfs-tripwire-") as scratch:
        raw = Path(scratch) / "MNIST" / "raw"
        raw.mkdir(parents=True)
        (raw / "t10k-labels-idx1-ubyte").write_bytes(b"not MNIST: grading mode must not load data\n")
        yield Path(scratch)


@pytest.fixture(scope="session")
def run_notebook(tripwire_data, timed):
    """``run_notebook(name, grading)``: the executed solution notebook, once per session."""
    from coursebuild.course import existing
    from coursebuild.execute import execute_notebook

    assignments = {a.name: a for a in existing()}

    @functools.cache
    def run(name: str, grading: bool):
        label = f"{name} executed {'in grading mode' if grading else 'with training'}"
        with pytest.MonkeyPatch.context() as patch, timed(label):
            if grading:
                patch.setenv("BFS_DATA_DIR", str(tripwire_data))
            return execute_notebook(assignments[name], grading=grading)

    return run


@pytest.fixture(scope="session")
def book(run_notebook, tmp_path_factory, timed):
    """The self-study book built from every solution notebook executed with training."""
    from coursebuild.book import build_book
    from coursebuild.course import existing

    executed = {a: run_notebook(a.name, False).notebook for a in existing()}
    with timed("the book built with Sphinx"):
        return build_book(executed, tmp_path_factory.mktemp("book") / "site")


# --- time per test module (and named steps), printed after the run -------------------
# Wall seconds, and CPU seconds of this process plus the processes it waited for (kernels,
# nbgrader, children): on a busy machine the CPU column is what a quiet 2-core CI would need.

_wall: dict[str, float] = defaultdict(float)
_cpu: dict[str, float] = defaultdict(float)
_session_start = time.perf_counter()
_steps: list[tuple[str, float, float]] = []


def _cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@pytest.fixture(scope="session")
def timed():
    """``with timed(label): ...`` lists a slow step (a notebook run, say) in the summary,
    with its wall and CPU seconds (child processes count once they have exited)."""

    @contextlib.contextmanager
    def step(label: str):
        wall, cpu = time.perf_counter(), _cpu_seconds()
        yield
        _steps.append((label, time.perf_counter() - wall, _cpu_seconds() - cpu))

    return step


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    wall, cpu = time.perf_counter(), _cpu_seconds()
    yield
    module = item.nodeid.split("::")[0]
    _wall[module] += time.perf_counter() - wall
    _cpu[module] += _cpu_seconds() - cpu


def pytest_terminal_summary(terminalreporter):
    if not _wall:
        return
    terminalreporter.section("seconds per test module (wall, CPU incl. child processes)")
    for module, seconds in sorted(_wall.items(), key=lambda item: -item[1]):
        terminalreporter.write_line(f"{seconds:8.1f} {_cpu[module]:8.1f}  {module}")
    for label, wall, cpu in _steps:
        terminalreporter.write_line(f"{wall:8.1f} {cpu:8.1f}    {label}")
    terminalreporter.write_line(f"{time.perf_counter() - _session_start:8.1f} {_cpu_seconds():8.1f}  "
                                "total (from conftest import to the summary)")
