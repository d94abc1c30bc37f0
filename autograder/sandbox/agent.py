"""The part of the grader that runs inside the sandbox, beside the student's code.

It executes notebook cells in an IPython shell (as a kernel would, without the kernel) and
answers calls to the student's functions. Everything here is untrusted once student code
has run: the trusted side relies on nothing it says beyond plain data, decoded safely.

Requests it serves (from the trusted side):
    {"op": "exec", "source": str}                  run a cell
    {"op": "call", "name": str, "args", "kwargs"}   call a function defined by the notebook
    {"op": "release"}                              forget the handles given out so far
    {"op": "shutdown"}
Requests it makes (while a call is in progress):
    {"op": "callback", "key", "args", "kwargs"}    call a test's function
    {"op": "rng", "key", "method", "args", "kwargs"} draw from a test's Generator
Every request gets {"op": "reply", "id", "ok", ...}.
"""

from __future__ import annotations

import os
import sys
import traceback
import warnings

import numpy as np

from ..checks import NUMPY_DEFAULT_ERRORS
from ..snapshot import snapshot as _snapshot
from . import autodiff
from .channel import Channel
from .wire import RemoteGenerator, SandboxDecoder, SandboxEncoder

MAX_NESTING = 32


class Agent:
    def __init__(self, channel: Channel, shell):
        self.channel = channel
        self.shell = shell
        self.objects: dict[int, object] = {}
        self.next_id = 0
        self.depth = 0
        self.pid = os.getpid()
        autodiff.install()              # before any student code runs
        self.taint = autodiff.Taint()
        self.cells_run = 0

    def _speaking_for_the_agent(self) -> None:
        """Only the agent's own process talks on the channel. A process the student's code
        forked that returns into this code (a fork bomb, say) ends silently here: its replies
        would interleave with the agent's, and the next step would be blamed for the mess."""
        if os.getpid() != self.pid:
            os._exit(0)

    # ------------------------------------------------------------------ loop
    def serve(self) -> None:
        while True:
            header, blobs = self.channel.receive()
            if header.get("op") == "shutdown":
                return
            self.handle(header, blobs)

    def handle(self, header: dict, blobs: list[bytes]) -> None:
        op, request_id = header.get("op"), header.get("id")
        try:
            if op == "exec":
                reply, reply_blobs = self.exec_cell(str(header.get("source", ""))), []
            elif op == "call":
                reply, reply_blobs = self.call(header, blobs)
            elif op == "release":
                self.objects.clear()
                reply, reply_blobs = {"ok": True}, []
            else:
                reply, reply_blobs = {"ok": False, "error": _error_info(ValueError(f"unknown op {op!r}"))}, []
        except BaseException as error:  # keep serving whatever the student's code raised
            reply, reply_blobs = {"ok": False, "error": _error_info(error)}, []
        self._speaking_for_the_agent()
        self.channel.send({"op": "reply", "id": request_id, **reply}, reply_blobs)

    # ------------------------------------------------------------------ cells
    def exec_cell(self, source: str) -> dict:
        cell, self.cells_run = self.cells_run, self.cells_run + 1
        bound, window = autodiff.namespace_ids(self.shell.user_ns), autodiff.RECORD.window()
        try:
            result = self.shell.run_cell(source, store_history=False, silent=False)
        finally:
            uses = autodiff.RECORD.close(window)
            self.taint.cells_changed()
        sys.stdout.flush()
        sys.stderr.flush()
        record = self._autodiff_record(uses)
        if record:   # what the cell bound was made with autodiff, or without its recorders
            self.taint.cell_ran(bound, self.shell.user_ns, {"cell": cell, **record})
        error = result.error_before_exec or result.error_in_exec
        reply = {"ok": True} if error is None else {"ok": False, "error": _error_info(error)}
        return {**reply, "autodiff": record} if record else reply

    # ------------------------------------------------------------------ calls
    def call(self, header: dict, blobs: list[bytes]) -> tuple[dict, list[bytes]]:
        name = header.get("name")
        function = self.shell.user_ns.get(name) if isinstance(name, str) else None
        if not callable(function):
            raise NameError(f"{name} is not defined: the notebook cell that defines it is "
                            "missing, was not run, or raised an error")
        decoder = SandboxDecoder(blobs, self.objects, self._callback, self._generator)
        args = decoder.decode(header.get("args", []))
        kwargs = decoder.decode(header.get("kwargs", {"$d": []}))
        if not isinstance(args, list) or not isinstance(kwargs, dict):
            raise TypeError("malformed call")
        before = _snapshot(args), _snapshot(kwargs)
        window = autodiff.RECORD.window()
        # warnings recorded, and NumPy's default error handling, whatever filters and
        # np.seterr the notebook's cells set (see autograder.checks.NUMPY_DEFAULT_ERRORS)
        with warnings.catch_warnings(record=True) as caught, np.errstate(**NUMPY_DEFAULT_ERRORS):
            warnings.simplefilter("always")
            try:
                value = function(*args, **kwargs)
            except BaseException as error:
                record = self._call_record(function, window)
                return {"ok": False, "error": _error_info(error), "warnings": _warning_info(caught),
                        **({"autodiff": record} if record else {})}, []
        record = self._call_record(function, window)
        encoder = SandboxEncoder(self.objects)
        encoded = encoder.encode(value)
        mutations = _mutations(before[0], args, "args", encoder) + \
            _mutations(before[1], kwargs, "kwargs", encoder)
        return {"ok": True, "value": encoded, "mutations": mutations, "warnings": _warning_info(caught),
                **({"autodiff": record} if record else {})}, encoder.arrays

    # ------------------------------------------------------------------ autodiff
    def _call_record(self, function, window) -> dict:
        """What autodiff the call used, the data made with autodiff at a cell's top level
        that the function reaches, and whether the recorders are still in place."""
        uses = autodiff.RECORD.close(window)
        try:
            data = self.taint.reached_by(function, self.shell.user_ns)
        except Exception:  # a student's object that breaks the walk: report nothing of it
            data = []
        return self._autodiff_record(uses, data)

    @staticmethod
    def _autodiff_record(uses: dict, data=()) -> dict:
        record = {}
        if uses:
            record["uses"] = uses
        if data:
            record["data"] = list(data)
        tampering = autodiff.tampering()   # and the recorders put back
        if tampering:
            record["tampering"] = tampering
        return record

    # ------------------------------------------------------------------ requests out
    def request(self, header: dict, blobs: list[bytes]):
        """Ask the trusted side for something; serve its nested requests meanwhile."""
        if self.depth >= MAX_NESTING:
            raise RecursionError("calls between the test and the notebook nested too deeply")
        self.next_id += 1
        request_id = f"s{self.next_id}"
        self._speaking_for_the_agent()
        self.channel.send({**header, "id": request_id}, blobs)
        self.depth += 1
        try:
            while True:
                reply, reply_blobs = self.channel.receive()
                if reply.get("op") == "reply":
                    if reply.get("id") != request_id:
                        raise RuntimeError("out-of-order reply")
                    break
                self.handle(reply, reply_blobs)
        finally:
            self.depth -= 1
        if not reply.get("ok"):
            error = reply.get("error") or {}
            raise RuntimeError(f"the test's {header['op']} raised {error.get('type')}: {error.get('message')}")
        decoder = SandboxDecoder(reply_blobs, self.objects, self._callback, self._generator)
        return decoder.decode(reply.get("value"))

    def _outgoing(self, op: str, key, args, kwargs, **extra):
        encoder = SandboxEncoder(self.objects)
        header = {"op": op, "key": key, "args": encoder.encode(list(args)),
                  "kwargs": encoder.encode(dict(kwargs)), **extra}
        return self.request(header, encoder.arrays)

    def _callback(self, key):
        agent = self

        def test_function(*args, **kwargs):
            return agent._outgoing("callback", key, args, kwargs)
        return test_function

    def _generator(self, key):
        def draw(method: str, args, kwargs):
            return self._outgoing("rng", key, args, kwargs, method=method)
        return RemoteGenerator(key, draw)


# ---------------------------------------------------------------------- helpers

def _mutations(before, after, where: str, encoder: SandboxEncoder, path=()) -> list:
    """[{"in": "args"|"kwargs", "path": [...], "value": encoded}] for every changed array or
    container, so the trusted side can apply the same in-place change to its own copy."""
    if isinstance(before, np.ndarray):
        unchanged = (isinstance(after, np.ndarray) and after.shape == before.shape
                     and after.dtype == before.dtype and np.array_equal(after, before, equal_nan=True))
        return [] if unchanged else [{"in": where, "path": list(path), "value": encoder.encode(after)}]
    if isinstance(before, dict) and isinstance(after, dict):
        if set(before) != set(after):
            return [{"in": where, "path": list(path), "value": encoder.encode(after)}]
        found = []
        for key in before:
            if isinstance(key, (str, int)):
                found += _mutations(before[key], after[key], where, encoder, path + (key,))
        return found
    if isinstance(before, list) and isinstance(after, (list, tuple)):
        if len(before) != len(after):
            return [{"in": where, "path": list(path), "value": encoder.encode(after)}]
        found = []
        for index, (old, new) in enumerate(zip(before, after)):
            found += _mutations(old, new, where, encoder, path + (index,))
        return found
    return []


def _error_info(error: BaseException) -> dict:
    """Type, message and the student's own frames (notebook cells) of an exception."""
    frames = [frame for frame in traceback.extract_tb(error.__traceback__)
              if frame.filename.startswith(("<ipython-input", "<cell", "/home/student"))
              or "provided.py" in frame.filename]
    lines = []
    for frame in frames[-6:]:
        lines.append(f"  in {frame.name}, line {frame.lineno}" + (f": {frame.line}" if frame.line else ""))
    return {"type": type(error).__name__, "message": str(error)[:2000], "traceback": "\n".join(lines)}


def _warning_info(caught) -> list:
    return [[item.category.__name__, str(item.message)[:500]] for item in caught[:20]]
