"""Fork sandboxes from a process that never saw the instructor's files (a "zygote").

A sandbox is a fork, so it starts with a copy of the memory of the process that forked it.
A grading worker holds the instructor's source notebooks (full solutions and hidden tests)
and what it learned from earlier submissions; a sandbox forked from it could read all of
that back with ``gc.get_objects()`` or by walking its own stack up into the worker's frames.
So the worker forks a zygote at start-up, after the heavy imports and before it reads any
job, and every sandbox is forked by the zygote instead: as warm, with nothing to steal.

The zygote serves the worker over a Unix socket pair, one request at a time (framed like
``channel``; the sandbox's two file descriptors travel with SCM_RIGHTS):
    {"op": "spawn", "policy": {...}, "mode": {...}, "root_dir": str}, blobs = provided files,
        then fds [channel end, output pipe]         -> {"pid": int} or {"error": str}
    {"op": "wait", "pid": int, "timeout": float|None} -> {"status": int|None}
It dies with the worker (parent-death signal), and the sandboxes' monitors die with it.
"""

from __future__ import annotations

import os
import socket
import sys

from .agent import Agent
from .channel import Channel, ChannelClosed
from .isolation import Mode, Policy, set_parent_death_signal, spawn, wait_for_exit


class ZygoteError(RuntimeError):
    """The zygote is gone or refused a request; the worker cannot start sandboxes any more."""


class Zygote:
    """The worker's handle on its zygote process."""

    def __init__(self, pid: int, sock: socket.socket):
        self.pid, self.sock, self.channel = pid, sock, Channel(sock)

    @classmethod
    def start(cls, shell_factory) -> "Zygote":
        """Fork the zygote now. Call this before the process holds anything secret."""
        sys.stdout.flush()
        sys.stderr.flush()
        ours, theirs = socket.socketpair()
        pid = os.fork()
        if pid == 0:
            try:
                ours.close()
                _serve(theirs, shell_factory)
            finally:
                os._exit(0)
        theirs.close()
        return cls(pid, ours)

    def spawn(self, policy: Policy, mode: Mode, root_dir: str, channel_fd: int, output_fd: int) -> int:
        files = sorted(policy.files.items())
        reply = self._ask({"op": "spawn", "policy": policy.to_json(), "files": [name for name, _ in files],
                           "mode": mode.to_json(), "root_dir": root_dir},
                          [content for _, content in files], fds=[channel_fd, output_fd])
        if "pid" not in reply:
            raise ZygoteError(f"the sandbox could not be started: {reply.get('error')}")
        return int(reply["pid"])

    def wait(self, pid: int, timeout: float | None):
        """The sandbox's exit status (as ``os.waitpid`` gives it), or None if still running."""
        return self._ask({"op": "wait", "pid": pid, "timeout": timeout}).get("status")

    def _ask(self, header: dict, blobs=(), fds=()) -> dict:
        try:
            self.channel.send(header, list(blobs))
            if fds:
                socket.send_fds(self.sock, [b"F"], list(fds))
            reply, _ = self.channel.receive()
        except (ChannelClosed, OSError, ValueError) as error:
            raise ZygoteError(f"the sandbox zygote is gone ({error})") from None
        return reply

    @property
    def alive(self) -> bool:
        try:
            return os.waitpid(self.pid, os.WNOHANG) == (0, 0)
        except ChildProcessError:
            return False

    def close(self) -> None:
        self.sock.close()
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass


def _serve(sock: socket.socket, shell_factory) -> None:
    set_parent_death_signal()
    # Keep only stdout/stderr (the worker's log) and the socket: nothing of the worker's own
    # protocol pipes may stay open in here, or in the sandboxes' monitors forked from here.
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    keep = sock.fileno()
    os.closerange(3, keep)
    os.closerange(keep + 1, 65536)
    channel = Channel(sock)
    while True:
        try:
            header, blobs = channel.receive()
        except ChannelClosed:
            return
        if header.get("op") == "spawn":
            _, fds, _, _ = socket.recv_fds(sock, 1, 2)
            try:
                reply = {"pid": _spawn(header, blobs, fds, shell_factory)}
            except Exception as error:  # report it; the worker decides
                reply = {"error": f"{type(error).__name__}: {error}"}
            finally:
                for fd in fds:
                    os.close(fd)
        elif header.get("op") == "wait":
            reply = {"status": wait_for_exit(int(header["pid"]), header.get("timeout"))}
        else:
            reply = {"error": f"unknown op {header.get('op')!r}"}
        try:
            channel.send(reply)
        except ChannelClosed:
            return


def _spawn(header: dict, blobs: list[bytes], fds: list[int], shell_factory) -> int:
    if len(fds) != 2:
        raise ValueError("a spawn request needs two file descriptors")
    channel_fd, output_fd = fds
    policy = Policy.from_json(header["policy"], dict(zip(header["files"], blobs)))

    def run_agent():
        Agent(Channel(socket.socket(fileno=channel_fd)), shell_factory()).serve()

    return spawn(policy, run_agent, output_fd=output_fd, keep_fds=(channel_fd,),
                 mode=Mode.from_json(header["mode"]), root_dir=header["root_dir"])

