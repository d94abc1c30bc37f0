"""The trusted end of a sandbox: start it, run cells in it, call the student's functions.

``Sandbox`` owns one sandboxed process (see ``isolation``) running the ``agent``, and the
channel to it. ``StudentFunction`` is the proxy a test cell sees in place of a graded
function: calling it sends the arguments into the sandbox and returns the decoded result,
and it behaves like a local call in the ways tests can observe: in-place changes to array
arguments are applied to the caller's arrays, warnings are re-issued, exceptions are raised
with the student's exception type name (as a ``StudentCodeError``), and test functions and
Generators passed as arguments are called back on this side.
"""

from __future__ import annotations

import builtins
import inspect
import itertools
import math
import os
import signal
import socket
import threading
import time
import warnings

import numpy as np

from . import cgroups
from .agent import Agent
from .channel import Channel, ChannelClosed, ChannelTimeout, ProtocolError
from .isolation import PROCESS_LIMIT_REASON, Mode, Policy, describe_exit, spawn, wait_for_exit
from .wire import ContractViolation, Handle, TrustedDecoder, TrustedEncoder, WireError

GENERATOR_METHODS = {
    "integers", "random", "choice", "bytes", "shuffle", "permutation", "permuted", "beta",
    "binomial", "chisquare", "dirichlet", "exponential", "f", "gamma", "geometric", "gumbel",
    "hypergeometric", "laplace", "logistic", "lognormal", "logseries", "multinomial",
    "multivariate_normal", "negative_binomial", "noncentral_chisquare", "noncentral_f",
    "normal", "pareto", "poisson", "power", "rayleigh", "standard_cauchy",
    "standard_exponential", "standard_gamma", "standard_normal", "standard_t", "triangular",
    "uniform", "vonmises", "wald", "weibull", "zipf",
}
MIRRORED_WARNINGS = {"RuntimeWarning", "UserWarning", "DeprecationWarning", "FutureWarning",
                     "ComplexWarning", "SyntaxWarning"}
MAX_OUTPUT = 64 * 1024
# What the sandbox may send this side during one test (and one cell) in all, headers and
# blobs: each message is capped by the channel, but a test may keep every result it gets.
# Read at each message (a test may lower it).
MAX_RECEIVED_BYTES = 2 * 2**30


class SandboxFailure(BaseException):
    """The sandboxed process timed out, died or misbehaved; ``reason`` says which.

    A BaseException, so that test code catching ``Exception`` cannot swallow it.
    """

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class StudentCodeError(Exception):
    """An exception raised by the student's code in the sandbox."""

    remote_traceback = ""


_error_classes: dict[str, type] = {}


def student_error(kind: str, message: str, remote_traceback: str = "") -> StudentCodeError:
    """A ``StudentCodeError`` named like the exception the student's code raised and, for
    Python's own exceptions, also an instance of it (``ValueError``, ...), so tests catch it
    the same way as in-process and messages read "raised OSError: ..."."""
    if kind not in _error_classes:
        base = getattr(builtins, kind, None) if kind.isidentifier() else None
        if kind == "LinAlgError":
            base = np.linalg.LinAlgError
        if kind in ("SystemExit", "KeyboardInterrupt", "GeneratorExit"):
            base = RuntimeError  # a call that exits must not stop the grader
        mirrored = isinstance(base, type) and issubclass(base, Exception) and base is not Exception
        name = kind if kind.isidentifier() else "StudentCodeError"
        _error_classes[kind] = type(name, (StudentCodeError, base) if mirrored else (StudentCodeError,), {})
    error = _error_classes[kind](message)
    error.remote_traceback = remote_traceback
    return error


class Sandbox:
    """One sandboxed process and the trusted end of its channel."""

    _ids = itertools.count(1)

    def __init__(self, policy: Policy, mode: Mode, root_dir: str, shell_factory, spawner=None):
        """``spawner``: a ``zygote.Zygote`` to fork the sandbox from (the grading worker's, so
        that the sandbox never holds a copy of the worker's memory); None forks this process."""
        self.policy, self.mode, self.root_dir, self.shell_factory = policy, mode, root_dir, shell_factory
        self.spawner = spawner
        self.id = next(self._ids)
        self.pid: int | None = None
        self.exit_reason: str | None = None
        self._output = bytearray()
        self._output_total = 0
        self._next_request = 0
        self.callbacks: dict = {}
        self.generators: dict = {}
        self._received = 0          # bytes of messages from the sandbox since the last release
        self._deadline: float | None = None   # of the request in progress
        self.last_autodiff = None   # the "autodiff" record of the last call's reply (untrusted data)
        self._group: cgroups.Group | None = None   # the sandbox's cgroup, found at the first reply

    # ------------------------------------------------------------------ life
    def start(self) -> None:
        trusted_end, sandbox_end = socket.socketpair()
        out_read, out_write = os.pipe()
        shell_factory = self.shell_factory

        def run_agent():
            Agent(Channel(sandbox_end), shell_factory()).serve()

        try:
            if self.spawner is not None:
                self.pid = self.spawner.spawn(self.policy, self.mode, self.root_dir, sandbox_end.fileno(),
                                              out_write)
            else:
                self.pid = spawn(self.policy, run_agent, output_fd=out_write,
                                 keep_fds=(sandbox_end.fileno(),), mode=self.mode, root_dir=self.root_dir)
        except BaseException:
            for fd in (out_read, out_write):
                os.close(fd)
            trusted_end.close()
            sandbox_end.close()
            raise
        sandbox_end.close()
        os.close(out_write)
        self.channel = Channel(trusted_end)
        self._reader = threading.Thread(target=self._drain_output, args=(out_read,), daemon=True)
        self._reader.start()

    def stop(self, reason: str | None = None) -> str:
        """End the sandbox (politely if ``reason`` is None) and return why it ended."""
        if self.pid is not None:
            status = None
            if reason is None:
                try:
                    self.channel.send({"op": "shutdown"}, deadline=time.monotonic() + 2)
                except (ChannelClosed, ChannelTimeout):
                    pass
                status = self._wait(timeout=2.0)
            if status is None:
                # The monitor kills process 1 of the sandbox's PID namespace, which takes every
                # process of the namespace with it (setsid and double forks included).
                try:
                    os.kill(self.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
                status = self._wait(timeout=2.0)
            if status is None:
                try:
                    os.killpg(self.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                status = self._wait(timeout=None)
            # The monitor removes the sandbox's cgroup; if it was killed first, do it here.
            cgroups.Group.at(cgroups.detect(not self.policy.cgroups),
                             cgroups.group_id(self.policy.uid, self.pid)).destroy()
            self.exit_reason = reason or describe_exit(status)
            self.pid = None
            self.channel.sock.close()
            self._reader.join(timeout=2)
        return self.exit_reason or ""

    @property
    def alive(self) -> bool:
        return self.pid is not None

    def output(self) -> str:
        text = self._output.decode("utf-8", errors="replace")
        if self._output_total > len(self._output):
            text += f"\n... ({self._output_total - len(self._output)} more bytes of output not kept)"
        return text

    # ------------------------------------------------------------------ work
    def exec_cell(self, source: str, deadline: float) -> dict:
        """Run a cell; returns the agent's reply ({"ok": bool, "error": {...}})."""
        reply, _ = self._request({"op": "exec", "source": source}, [], deadline)
        return reply

    def call(self, name: str, args: tuple, kwargs: dict, deadline: float):
        encoder = TrustedEncoder(self.id, self.callbacks, self.generators)
        header = {"op": "call", "name": name, "args": encoder.encode(list(args)),
                  "kwargs": encoder.encode(dict(kwargs))}
        self.last_autodiff = None
        reply, blobs = self._request(header, encoder.arrays, deadline)
        self.last_autodiff = reply.get("autodiff")
        decoder = TrustedDecoder(blobs, self.id, self.generators)
        for category, message in reply.get("warnings", [])[:20]:
            kind = getattr(builtins, category, None) if category in MIRRORED_WARNINGS else None
            if category == "ComplexWarning":
                kind = np.exceptions.ComplexWarning
            warnings.warn(str(message), kind if kind is not None else UserWarning, stacklevel=3)
        if not reply.get("ok"):
            error = reply.get("error") or {}
            raise student_error(str(error.get("type", "Exception"))[:100],
                                str(error.get("message", ""))[:2000], str(error.get("traceback", ""))[:4000])
        try:
            value = self._decode(decoder, reply.get("value"))
            for change in reply.get("mutations", [])[:1000]:
                _apply_mutation(args, kwargs, change, self._decode(decoder, change.get("value")))
        except ProtocolError as error:
            raise SandboxFailure(self.stop(f"was stopped: it sent a malformed message ({error})")) from None
        return value

    def release(self, deadline: float) -> None:
        self.callbacks.clear()
        self.generators.clear()
        self._received = 0
        if self.alive:
            self._request({"op": "release"}, [], deadline)

    # ------------------------------------------------------------------ protocol
    def _request(self, header: dict, blobs: list[bytes], deadline: float):
        if not self.alive:
            raise SandboxFailure(f"the notebook's process {self.exit_reason or 'is not running'}")
        self._next_request += 1
        request_id = f"t{self._next_request}"
        outer, self._deadline = self._deadline, deadline
        try:
            self.channel.send({**header, "id": request_id}, blobs, deadline)
            while True:
                before = self.channel.received_bytes
                reply, reply_blobs = self.channel.receive(deadline)
                self._received += self.channel.received_bytes - before
                if self._received > MAX_RECEIVED_BYTES:
                    raise SandboxFailure(self.stop(f"was stopped: it sent more than {MAX_RECEIVED_BYTES / 2**20:.0f} MB "
                                                   "to the grader in one test (its limit)"))
                if reply.get("op") == "reply":
                    if reply.get("id") != request_id:
                        raise ProtocolError("out-of-order reply")
                    if self._process_limit_reached():
                        raise SandboxFailure(self.stop(PROCESS_LIMIT_REASON))
                    return reply, reply_blobs
                self._serve(reply, reply_blobs)
        except ChannelTimeout:
            raise SandboxFailure(self.stop("was stopped: it ran past its time limit")) from None
        except ChannelClosed:
            raise SandboxFailure(self.stop()) from None
        except (ProtocolError, WireError) as error:
            raise SandboxFailure(self.stop(f"was stopped: it sent a malformed message ({error})")) from None
        finally:
            self._deadline = outer

    def _process_limit_reached(self) -> bool:
        """Did the kernel refuse a process or thread of this sandbox at ``pids.max``? Read at
        every reply, so that the step that ran into the limit is the one that loses its points:
        the monitor's watchdog sees it too, but only at its next poll, often in the next step.
        (Without cgroups only the watchdog sees it.)"""
        if self._group is None:
            controllers = cgroups.detect(not self.policy.cgroups)
            if controllers.version == "none" or not self.mode.strong:
                return False
            self._group = cgroups.Group.at(controllers, cgroups.group_id(self.policy.uid, self.pid))
        return self._group.process_limit_hits() > 0

    def _serve(self, header: dict, blobs: list[bytes]) -> None:
        """Answer the sandbox's request to call a test's function or draw from its Generator."""
        op, request_id = header.get("op"), header.get("id")
        decoder = TrustedDecoder(blobs, self.id, self.generators)
        try:
            args = self._decode(decoder, header.get("args", []))
            kwargs = self._decode(decoder, header.get("kwargs", {"$d": []}))
            if not isinstance(args, list) or not isinstance(kwargs, dict) \
                    or not all(isinstance(key, str) for key in kwargs):
                raise ProtocolError("malformed arguments")
            if op == "callback":
                function = self.callbacks.get(header.get("key"))
                if function is None:
                    raise ProtocolError("unknown callback")
                _check_callback_arguments(args, kwargs)
                value = function(*args, **kwargs)
            elif op == "rng":
                generator, method = self.generators.get(header.get("key")), header.get("method")
                if generator is None or method not in GENERATOR_METHODS:
                    raise ProtocolError(f"unknown generator method {method!r}")
                _check_draw(generator, method, args, kwargs)
                value = getattr(generator, method)(*args, **kwargs)
                if method == "shuffle":
                    value = args[0]
            else:
                raise ProtocolError(f"unexpected request {op!r}")
            encoder = TrustedEncoder(self.id, self.callbacks, self.generators)
            reply = {"op": "reply", "id": request_id, "ok": True, "value": encoder.encode(value)}
            self.channel.send(reply, encoder.arrays, self._deadline)
        except (ProtocolError, WireError):
            raise
        except Exception as error:  # a test function failed on the student's input: tell the sandbox
            self.channel.send(deadline=self._deadline, header={"op": "reply", "id": request_id, "ok": False,
                               "error": {"type": type(error).__name__, "message": str(error)[:1000]}})

    def _decode(self, decoder: TrustedDecoder, node):
        try:
            return decoder.decode(node)
        except ContractViolation:
            raise
        except WireError as error:
            raise ProtocolError(str(error)) from None

    # ------------------------------------------------------------------ process
    def _wait(self, timeout: float | None):
        """The exit status if the process ends within ``timeout`` (None: wait forever)."""
        if self.spawner is not None:
            return self.spawner.wait(self.pid, timeout)
        return wait_for_exit(self.pid, timeout)

    def _drain_output(self, fd: int) -> None:
        with os.fdopen(fd, "rb", buffering=0) as stream:
            while True:
                chunk = stream.read(65536)
                if not chunk:
                    return
                self._output_total += len(chunk)
                room = MAX_OUTPUT - len(self._output)
                if room > 0:
                    self._output += chunk[:room]


MAX_DRAW_NUMBERS = 2**24      # one draw from a test's Generator: at most 16M numbers (128 MB)
MAX_DRAW_ARGUMENT = 2**21     # and no argument above 2M numbers (a 1448 x 1448 covariance)


def _check_draw(generator, method: str, args: list, kwargs: dict) -> None:
    """Refuse a draw the sandbox asks for that would make this (trusted, time-unlimited)
    side compute or allocate without bound, e.g. ``multivariate_normal`` with a 4000 x 4000
    covariance (a minute of SVD) or ``permutation(10**9)``, whatever types the sizes come in
    (Python or NumPy integers, lists, tuples or arrays of them). Raises ValueError, which the
    sandbox receives as the draw's error."""
    try:
        bound = inspect.signature(getattr(generator, method)).bind(*args, **kwargs).arguments
    except (TypeError, ValueError):
        return   # the call itself will raise the right TypeError
    size, largest = bound.get("size"), 1
    for name, value in bound.items():
        if name == "size":
            continue
        if _is_integer(value) and name in ("a", "x", "length"):   # choice(10**9), bytes(n)
            largest = max(largest, abs(int(value)))
        elif isinstance(value, (np.ndarray, list, tuple)):
            count = int(np.size(value)) if isinstance(value, np.ndarray) else len(value)
            if count > MAX_DRAW_ARGUMENT and name not in ("a", "x"):
                raise ValueError(f"the test's generator refuses {method}() with an argument of "
                                 f"{count} numbers (at most {MAX_DRAW_ARGUMENT})")
            largest = max(largest, count)
    numbers = largest if size is None else _numbers_in_shape(size) * largest
    if numbers > MAX_DRAW_NUMBERS:
        raise ValueError(f"the test's generator refuses to draw {numbers} numbers at once "
                         f"(at most {MAX_DRAW_NUMBERS})")


def _is_integer(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _numbers_in_shape(shape) -> int:
    """How many numbers an array of ``shape`` holds (an int, or a list, tuple or array of
    ints); anything else counts as unbounded, so that it is refused, not trusted."""
    if _is_integer(shape):
        return abs(int(shape))
    if isinstance(shape, np.ndarray):
        if shape.dtype.kind not in "iu" or shape.ndim > 1 or shape.size > 64:
            return MAX_DRAW_NUMBERS + 1
        shape = shape.tolist()
    if isinstance(shape, (list, tuple)) and len(shape) <= 64 and all(_is_integer(n) for n in shape):
        return math.prod(abs(int(n)) for n in shape)
    return MAX_DRAW_NUMBERS + 1


def _check_callback_arguments(args: list, kwargs: dict) -> None:
    """Refuse a call to a test's function whose integer arguments ask for more numbers than
    a draw may: a test's ``init(fan_in, fan_out, rng)`` allocates fan_in x fan_out numbers on
    this side, so ``init(10**5, 10**5, rng)`` from the sandbox would take 80 GB here. Counted:
    the product of the integer arguments, and every shape (a tuple or list of integers)."""
    values = [*args, *kwargs.values()]
    integers = [abs(int(v)) for v in values if _is_integer(v)]
    numbers = math.prod(integers) if integers else 1
    for value in values:
        if isinstance(value, (list, tuple)) and value and all(_is_integer(n) for n in value):
            numbers = max(numbers, _numbers_in_shape(value))
    if numbers > MAX_DRAW_NUMBERS:
        raise ValueError(f"the test's function refuses arguments that ask for {numbers} numbers "
                         f"(at most {MAX_DRAW_NUMBERS})")


def _apply_mutation(args: tuple, kwargs: dict, change: dict, value) -> None:
    """Apply an in-place change the student's function made to one of its arguments."""
    target = list(args) if change.get("in") == "args" else kwargs
    path = change.get("path", [])
    if not isinstance(path, list) or not path:
        return
    for step in path[:-1]:
        try:
            target = target[step]
        except (KeyError, IndexError, TypeError):
            return
    try:
        current = target[path[-1]]
    except (KeyError, IndexError, TypeError):
        return
    if isinstance(current, np.ndarray) and isinstance(value, np.ndarray):
        if current.shape == value.shape and current.flags.writeable:
            np.copyto(current, value, casting="unsafe")
        elif isinstance(target, (dict, list)):
            target[path[-1]] = value
    elif isinstance(current, dict) and isinstance(value, dict):
        current.clear()
        current.update(value)
    elif isinstance(current, list) and isinstance(value, list):
        current[:] = value


class StudentFunction:
    """Stands in for a graded function inside a test cell run by the trusted grader."""

    def __init__(self, name: str, runner):
        self.__name__ = self.__qualname__ = name
        self._runner = runner

    def __call__(self, *args, **kwargs):
        return self._runner.call(self.__name__, args, kwargs)

    def __repr__(self) -> str:
        return f"<student's {self.__name__}>"
