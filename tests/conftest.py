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
#
# Executing them is most of the suite's work (minutes with training, on one BLAS thread
# each), so it starts in the background as soon as the tests are collected: a pool of one
# process per core executes every notebook the selected tests need, longest first, while
# the other tests run; the tests that need them are moved to the end of the run, and each
# waits for its notebook only if it is not done yet.

_TRIPWIRE = tempfile.TemporaryDirectory(prefix="bfs-tripwire-")
_executions: dict[tuple[str, bool], object] = {}   # (name, grading) -> Future
_pool = None


def _make_tripwire(root: Path) -> Path:
    """A data folder where load_mnist() raises at once: one MNIST file, corrupt."""
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    (raw / "t10k-labels-idx1-ubyte").write_bytes(b"not MNIST: grading mode must not load data\n")
    return root


def _needs_notebooks(item) -> bool:
    return bool({"run_notebook", "book"} & set(getattr(item, "fixturenames", ())))


@pytest.hookimpl(trylast=True)   # after -k and -m have deselected what will not run
def pytest_collection_modifyitems(session, config, items):
    late = [item for item in items if _needs_notebooks(item)]
    items[:] = [item for item in items if not _needs_notebooks(item)] + late
    if not late or config.option.collectonly:
        return
    from coursebuild.course import existing
    names = [a.name for a in existing()]
    wanted: set[tuple[str, bool]] = set()
    for item in late:
        if "book" in item.fixturenames:
            wanted |= {(name, False) for name in names}
        name = getattr(getattr(item, "callspec", None), "params", {}).get("name")
        if name in names:
            wanted |= {(name, False), (name, True)}
    _start_executions(wanted, names)


def _start_executions(wanted: set[tuple[str, bool]], names: list[str]) -> None:
    import concurrent.futures
    import multiprocessing

    from coursebuild.execute import execute_by_name

    global _pool
    _pool = concurrent.futures.ProcessPoolExecutor(
        max_workers=max(1, min(len(wanted), os.cpu_count() or 1)),
        mp_context=multiprocessing.get_context("spawn"))   # no fork of a process with threads
    tripwire = str(_make_tripwire(Path(_TRIPWIRE.name)))
    # One BLAS (and torch) thread per notebook: they run beside each other and beside the
    # rest of the suite, and OpenBLAS threads on an oversubscribed CPU spin (03 took 10 times
    # its CPU time with two threads each in a loaded run).
    one_thread = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    # training runs first, the later (longer) notebooks first; grading mode takes seconds
    for name, grading in sorted(wanted, key=lambda run: (run[1], -names.index(run[0]))):
        env = {**one_thread, **({"BFS_DATA_DIR": tripwire} if grading else {})}
        _executions[name, grading] = _pool.submit(execute_by_name, name, grading, env)


def pytest_sessionfinish(session, exitstatus):
    if _pool is not None:
        for future in _executions.values():
            future.cancel()
        # an interrupted run must not wait minutes for a notebook nobody will look at
        for process in list(getattr(_pool, "_processes", {}).values()):
            if process.is_alive():
                process.terminate()
        _pool.shutdown(wait=True, cancel_futures=True)


@pytest.fixture(scope="session")
def tripwire_data():
    """A data folder where load_mnist() raises at once: one MNIST file, corrupt."""
    return _make_tripwire(Path(_TRIPWIRE.name))


@pytest.fixture(scope="session")
def run_notebook(tripwire_data):
    """``run_notebook(name, grading)``: the executed solution notebook, once per session
    (from the background pool when it was started there)."""
    from coursebuild.course import existing
    from coursebuild.execute import execute_notebook

    assignments = {a.name: a for a in existing()}

    @functools.cache
    def run(name: str, grading: bool):
        assert name in assignments, name
        label = f"{name} executed {'in grading mode' if grading else 'with training'}"
        future = _executions.get((name, grading))
        if future is not None:
            executed, cpu = future.result()
        else:
            cpu = _cpu_seconds()
            with pytest.MonkeyPatch.context() as patch:
                if grading:
                    patch.setenv("BFS_DATA_DIR", str(tripwire_data))
                executed = execute_notebook(assignments[name], grading=grading)
            cpu = _cpu_seconds() - cpu
        _steps.append((label, executed.seconds, cpu))
        return executed

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


SUMMARY_SECTIONS = pytest.StashKey[list]()   # (title, lines) a test leaves for the summary


def pytest_terminal_summary(terminalreporter):
    for title, lines in terminalreporter.config.stash.get(SUMMARY_SECTIONS, []):
        terminalreporter.section(title)
        for line in lines:
            terminalreporter.write_line(line)
    if not _wall:
        return
    terminalreporter.section("seconds per test module (wall, CPU incl. child processes)")
    for module, seconds in sorted(_wall.items(), key=lambda item: -item[1]):
        terminalreporter.write_line(f"{seconds:8.1f} {_cpu[module]:8.1f}  {module}")
    for label, wall, cpu in _steps:
        terminalreporter.write_line(f"{wall:8.1f} {cpu:8.1f}    {label}")
    terminalreporter.write_line(f"{time.perf_counter() - _session_start:8.1f} {_cpu_seconds():8.1f}  "
                                "total (from conftest import to the summary)")
