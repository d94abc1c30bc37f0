"""A live sandbox: calls behave like local calls; the process is contained and limited."""

import os
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

from autograder.grader.worker import make_shell
from autograder.sandbox.isolation import Mode, Policy, default_readonly_paths, probe
from autograder.sandbox.session import Sandbox, SandboxFailure, StudentCodeError

MODE = probe()
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

CODE = '''
import numpy as np
import warnings
from provided import triple

def double_in_place(x):
    x *= 2
    return triple(x)

def apply(f, x):
    return f(x) + 1

def draw(rng):
    a = rng.normal(size=3)
    b = rng.integers(0, 100, size=4)
    order = np.arange(5)
    rng.shuffle(order)
    return a, b, order

def warn():
    warnings.warn("careful", RuntimeWarning)
    return 1.0

def broken(x):
    raise ValueError(f"bad input {x}")

def stub():
    raise NotImplementedError()

def add_key(params):
    params["extra"] = np.ones(2)
    return len(params)
'''


def deadline(seconds=30):
    return time.monotonic() + seconds


@pytest.fixture
def sandbox(tmp_path):
    policy = Policy(readonly_paths=default_readonly_paths(), memory_bytes=1 * 2**30,
                    files={"provided.py": b"def triple(x):\n    return 3 * x\n"})
    box = Sandbox(policy, MODE, str(tmp_path), make_shell)
    box.start()
    reply = box.exec_cell(CODE, deadline())
    assert reply["ok"], reply
    yield box
    box.stop()


def test_calls_return_values_and_write_back_in_place_changes(sandbox):
    x = np.arange(3.0)
    assert np.array_equal(sandbox.call("double_in_place", (x,), {}, deadline()), [0, 6, 12])
    assert np.array_equal(x, [0, 2, 4]), "the in-place change reaches the caller, as in-process"
    params = {"W1": np.ones(1)}
    assert sandbox.call("add_key", (params,), {}, deadline()) == 2
    assert set(params) == {"W1", "extra"}


def test_test_functions_and_generators_are_called_back(sandbox):
    assert sandbox.call("apply", (lambda v: float(np.sum(v)), np.ones(4)), {}, deadline()) == 5.0
    ours, local = np.random.default_rng(7), np.random.default_rng(7)
    a, b, order = sandbox.call("draw", (ours,), {}, deadline())
    assert np.array_equal(a, local.normal(size=3)) and np.array_equal(b, local.integers(0, 100, size=4))
    expected = np.arange(5)
    local.shuffle(expected)
    assert np.array_equal(order, expected)
    assert ours.bit_generator.state == local.bit_generator.state, "the generator advanced as in-process"


def test_errors_and_warnings_look_like_local_ones(sandbox):
    with pytest.raises(ValueError, match="bad input 3") as caught:
        sandbox.call("broken", (3,), {}, deadline())
    assert isinstance(caught.value, StudentCodeError)
    assert "raise ValueError" in caught.value.remote_traceback
    with pytest.raises(NotImplementedError):
        sandbox.call("stub", (), {}, deadline())
    with pytest.raises(NameError, match="not defined"):
        sandbox.call("missing", (), {}, deadline())
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        sandbox.call("warn", (), {}, deadline())
    assert [w.category for w in seen] == [RuntimeWarning]


def test_a_function_that_never_returns_is_stopped(sandbox):
    sandbox.exec_cell("def spin():\n    while True:\n        pass", deadline())
    start = time.monotonic()
    with pytest.raises(SandboxFailure, match="time limit"):
        sandbox.call("spin", (), {}, deadline(1.5))
    assert time.monotonic() - start < 10 and not sandbox.alive


def test_memory_is_limited(sandbox):
    reply = sandbox.exec_cell("big = np.ones(50 * 2**30 // 8)", deadline())
    assert not reply["ok"] and reply["error"]["type"] == "MemoryError", reply


def test_exiting_is_reported(sandbox):
    with pytest.raises(SandboxFailure, match="status 3"):
        sandbox.exec_cell("import os\nos._exit(3)", deadline())


def test_output_is_kept_short(sandbox):
    sandbox.exec_cell("for _ in range(2000):\n    print('x' * 1000)", deadline())
    sandbox.stop()
    assert len(sandbox.output()) < 70_000 and "more bytes of output not kept" in sandbox.output()


@pytest.mark.skipif(not MODE.strong, reason=f"namespaces unavailable here: {MODE.reason}")
def test_strong_isolation_hides_the_course_and_the_network(sandbox):
    probe_code = f'''
import os, socket
seen = {{}}
seen["uid"] = os.getuid()
seen["repo"] = sorted(os.listdir({REPO!r})) if os.path.isdir({REPO!r}) else None
seen["solutions"] = os.path.exists({os.path.join(REPO, "solutions")!r})
try:
    socket.create_connection(("127.0.0.1", 22), timeout=1)
    seen["net"] = "connected"
except OSError as error:
    seen["net"] = type(error).__name__
for path in ("/etc/passwd", {os.path.join(REPO, "README.md")!r}, "/evil"):
    try:
        open(path, "a").close()
        seen[path] = "written"
    except OSError as error:
        seen[path] = type(error).__name__
open("/tmp/inside-only", "w").write("x")
def report():
    return seen
'''
    assert sandbox.exec_cell(probe_code, deadline())["ok"]
    seen = sandbox.call("report", (), {}, deadline())
    assert seen["uid"] != 0
    assert seen["repo"] in (None, [".venv", "autograder", "coursekit"]) or ".venv" not in os.listdir(REPO)
    assert seen["solutions"] is False
    assert seen["net"] != "connected"
    assert all(seen[p] != "written" for p in ("/etc/passwd", os.path.join(REPO, "README.md"), "/evil"))
    assert not os.path.exists("/tmp/inside-only")


@pytest.mark.skipif(not MODE.strong, reason=f"namespaces unavailable here: {MODE.reason}")
def test_read_only_paths_under_tmp_stay_visible(tmp_path):
    # A course cloned under /tmp (as CI may do) has its .venv and helper packages there; the
    # sandbox's private /tmp must not hide them, and must not make them writable.
    shared = Path(tempfile.mkdtemp(prefix="bfs-course-under-tmp-", dir="/tmp"))
    shared.chmod(0o755)  # as a .venv is: readable by the sandbox user
    (shared / "helper.txt").write_text("visible")
    policy = Policy(readonly_paths=(*default_readonly_paths(), str(shared)), memory_bytes=2**30)
    box = Sandbox(policy, MODE, str(tmp_path), make_shell)
    box.start()
    try:
        code = f"""
def look():
    try:
        with open({str(shared / "new.txt")!r}, "w"):
            writable = True
    except OSError:
        writable = False
    with open({str(shared / "helper.txt")!r}) as file:
        return file.read(), writable
"""
        assert box.exec_cell(code, deadline())["ok"]
        assert tuple(box.call("look", (), {}, deadline())) == ("visible", False)
    finally:
        box.stop()
        (shared / "helper.txt").unlink()
        shared.rmdir()


def test_weak_mode_still_grades(tmp_path):
    box = Sandbox(Policy(memory_bytes=2**30, files={"provided.py": b"def triple(x):\n    return 3 * x\n"}),
                  Mode(False, False, "forced for the test"), str(tmp_path), make_shell)
    box.start()
    try:
        assert box.exec_cell(CODE, deadline())["ok"]
        assert np.array_equal(box.call("double_in_place", (np.ones(2),), {}, deadline()), [6, 6])
    finally:
        box.stop()


# ---------------------------------------------------------------------- limits of the whole

BUSY = '''
import os, signal, time

def spin_children(count, seconds_each, reap):
    """``count`` children at a time, each using ``seconds_each`` of CPU time, until stopped;
    waited for, or (``reap=False``) reaped by the kernel, their parent ignoring SIGCHLD."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL if reap else signal.SIG_IGN)
    while True:
        children = []
        for _ in range(count):
            pid = os.fork()
            if pid == 0:
                while time.process_time() < seconds_each:
                    pass
                os._exit(0)
            children.append(pid)
        if reap:
            for pid in children:
                os.waitpid(pid, 0)
        else:
            time.sleep(seconds_each)
'''
CPU_LIMIT = 3


@pytest.mark.skipif(not MODE.strong, reason=f"namespaces unavailable here: {MODE.reason}")
@pytest.mark.parametrize("cgroups", [True, False], ids=["cgroups", "fallback"])
@pytest.mark.parametrize("count, seconds_each, reap", [(4, 1.5, True), (2, 0.3, False)],
                         ids=["4-children-waited", "short-children-auto-reaped"])
def test_cpu_time_is_limited_for_the_processes_of_a_sandbox_together(tmp_path, cgroups, count,
                                                                      seconds_each, reap):
    """Children that each stay far under RLIMIT_CPU (``cpu_seconds`` per process) but use more
    than ``cpu_seconds`` together are stopped with a CPU-time reason: by the cgroup's CPU
    accounting, or without cgroups by the watchdog's sum over the namespace's processes
    (which counts children that were reaped without a wait too)."""
    box = Sandbox(Policy(readonly_paths=default_readonly_paths(), memory_bytes=2**30, cpu_seconds=CPU_LIMIT,
                         cgroups=cgroups), MODE, str(tmp_path), make_shell)
    box.start()
    try:
        assert box.exec_cell(BUSY, deadline())["ok"]
        started = time.monotonic()
        with pytest.raises(SandboxFailure, match=r"its processes together used up its CPU-time limit"):
            box.call("spin_children", (count, seconds_each, reap), {}, deadline(30))
        print(f"\nstopped after {time.monotonic() - started:.1f} s (limit {CPU_LIMIT} s of CPU)")
    finally:
        box.stop()


@pytest.mark.skipif(not MODE.strong, reason=f"namespaces unavailable here: {MODE.reason}")
def test_a_sandbox_removes_the_empty_groups_its_uid_left_behind(tmp_path):
    """A grading run killed before its monitors could remove their cgroups leaves empty groups;
    the next sandbox of the same uid removes them, and no group of a live monitor or of
    another uid."""
    from autograder.sandbox import cgroups

    controllers = cgroups.detect()
    if controllers.version == "none":
        pytest.skip(f"no cgroups here ({controllers.reason})")
    uid, dead = 61060, os.fork()
    if dead == 0:
        os._exit(0)
    os.waitpid(dead, 0)
    names = {"stale": cgroups.group_id(uid, dead), "live": cgroups.group_id(uid, os.getpid()),
             "other uid": cgroups.group_id(uid + 1, dead)}
    paths = {key: [os.path.join(parent, name) for parent in controllers.dirs.values()]
             for key, name in names.items()}
    for path in sum(paths.values(), []):
        os.makedirs(path)
    try:
        box = Sandbox(Policy(readonly_paths=default_readonly_paths(), memory_bytes=2**30, uid=uid),
                      MODE, str(tmp_path), make_shell)
        box.start()
        assert box.exec_cell("x = 1", deadline())["ok"]
        box.stop()
        assert not any(os.path.exists(path) for path in paths["stale"]), paths["stale"]
        assert all(os.path.isdir(path) for path in paths["live"] + paths["other uid"])
    finally:
        for path in sum(paths.values(), []):
            if os.path.isdir(path):
                os.rmdir(path)
