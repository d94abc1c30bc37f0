"""Framed messages over a stream socket: a JSON header plus ``.npy`` blobs.

Frame: 8-byte little-endian length, then the payload. Payload: 4-byte header length, the
UTF-8 JSON header (which lists the blob lengths under ``"blobs"``), then the blobs. Frames
larger than ``max_bytes`` are refused, so a runaway sandbox cannot exhaust the grader's memory.
"""

from __future__ import annotations

import json
import select
import socket
import struct
import time

DEFAULT_MAX_BYTES = 600 * 2**20
# JSON is for structure; arrays travel as blobs. A header this large is an attack on the
# reader's memory (json.loads of 600 MB of "[0,0,..." is gigabytes of Python objects).
DEFAULT_MAX_HEADER_BYTES = 16 * 2**20


class ChannelClosed(ConnectionError):
    """The other side closed the connection (or died)."""


class ChannelTimeout(TimeoutError):
    """No complete message arrived before the deadline."""


class ProtocolError(ValueError):
    """The other side sent something that is not a well-formed message."""


class Channel:
    def __init__(self, sock: socket.socket, max_bytes: int = DEFAULT_MAX_BYTES,
                 max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES):
        self.sock = sock
        self.max_bytes = max_bytes
        self.max_header_bytes = max_header_bytes
        self.received_bytes = 0   # of every message received so far, framing included

    def send(self, header: dict, blobs: list[bytes] = (), deadline: float | None = None) -> None:
        """Send one message; ``deadline`` (a ``time.monotonic()`` instant, None: no limit)
        bounds the wait for a peer that stops reading (ChannelTimeout)."""
        header = {**header, "blobs": [len(blob) for blob in blobs]}
        text = json.dumps(header, allow_nan=False, separators=(",", ":")).encode()
        payload_length = 4 + len(text) + sum(len(blob) for blob in blobs)
        parts = [struct.pack("<Q", payload_length), struct.pack("<I", len(text)), text, *blobs]
        if payload_length < 2**20:
            parts = [b"".join(parts)]
        try:
            for part in parts:
                self._write(memoryview(part), deadline)
        except ChannelTimeout:   # a TimeoutError, hence an OSError: not a closed channel
            raise
        except OSError as error:
            raise ChannelClosed(str(error)) from None

    def _write(self, data: memoryview, deadline: float | None) -> None:
        if deadline is None:
            self.sock.sendall(data)
            return
        while len(data):
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([], [self.sock], [], wait)[1]:
                raise ChannelTimeout("the other side stopped reading before the deadline")
            try:
                sent = self.sock.send(data[:4 * 2**20], socket.MSG_DONTWAIT)
            except BlockingIOError:   # writable, but not for this much: wait again
                continue
            data = data[sent:]

    def receive(self, deadline: float | None = None) -> tuple[dict, list[bytes]]:
        """The next message; ``deadline`` is a ``time.monotonic()`` instant (None: wait forever)."""
        (length,) = struct.unpack("<Q", self._read(8, deadline))
        if length < 4 or length > self.max_bytes:
            raise ProtocolError(f"message of {length} bytes refused")
        (header_length,) = struct.unpack("<I", self._read(4, deadline))
        if header_length > length - 4:
            raise ProtocolError("header longer than the message")
        if header_length > self.max_header_bytes:
            raise ProtocolError(f"a message header of {header_length} bytes refused")
        rest = self._read(length - 4, deadline)   # the header, then the blobs
        self.received_bytes += 8 + length
        try:
            header = json.loads(rest[:header_length])
        except (ValueError, RecursionError) as error:  # bad JSON or UTF-8, nesting, huge ints
            raise ProtocolError(f"header is not JSON: {str(error)[:200]}") from None
        if not isinstance(header, dict) or not isinstance(header.get("blobs"), list):
            raise ProtocolError("header is not a message")
        blobs, offset = [], header_length
        for size in header["blobs"]:
            if not isinstance(size, int) or size < 0 or offset + size > len(rest):
                raise ProtocolError("blob lengths do not match the message")
            blobs.append(rest[offset:offset + size])
            offset += size
        if offset != len(rest):
            raise ProtocolError("trailing bytes after the blobs")
        return header, blobs

    def _read(self, count: int, deadline: float | None) -> bytes:
        chunks, remaining = [], count
        while remaining:
            if deadline is not None:
                wait = deadline - time.monotonic()
                if wait <= 0 or not select.select([self.sock], [], [], wait)[0]:
                    raise ChannelTimeout("no reply before the deadline")
            try:
                chunk = self.sock.recv(min(remaining, 4 * 2**20))
            except (ConnectionResetError, OSError) as error:
                raise ChannelClosed(str(error)) from None
            if not chunk:
                raise ChannelClosed("the other side closed the connection")
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)
