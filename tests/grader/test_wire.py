"""The wire format: what may cross the sandbox boundary, and what may not."""

import collections
import io
import socket
import time

import numpy as np
import pytest

from autograder.sandbox.channel import Channel, ChannelClosed, ChannelTimeout, ProtocolError
from autograder.sandbox.wire import (ContractViolation, Handle, SandboxDecoder, SandboxEncoder,
                                     TrustedDecoder, TrustedEncoder, WireError, npy_to_array)


def sandbox_to_trusted(value, objects=None):
    encoder = SandboxEncoder({} if objects is None else objects)
    tree = encoder.encode(value)
    return TrustedDecoder(encoder.arrays, session_id=1).decode(tree)


def test_plain_values_round_trip_with_types_kept():
    value = {"W1": np.arange(6, dtype=np.float32).reshape(2, 3), "n": 3, "big": 2**70,
             "x": 1.5, "name": "relu", "flag": True, "none": None,
             "pair": (np.zeros(0), [1, 2.5]), 7: np.float32(0.25), "scalar": np.array(3.0),
             "nan": float("nan"), "inf": float("-inf"), "bools": np.array([True, False])}
    back = sandbox_to_trusted(value)
    assert back["W1"].dtype == np.float32 and np.array_equal(back["W1"], value["W1"])
    assert back["big"] == 2**70 and back["name"] == "relu" and back["flag"] is True
    assert isinstance(back["pair"], tuple) and back["pair"][0].shape == (0,)
    assert isinstance(back[7], np.float32) and back[7] == np.float32(0.25)
    assert back["scalar"].shape == ()              # 0-d arrays stay 0-d
    assert np.isnan(back["nan"]) and back["inf"] == float("-inf")
    assert back["bools"].dtype == bool


def test_namedtuples_cross_as_tuples():
    Pair = collections.namedtuple("Pair", "out cache")
    back = sandbox_to_trusted(Pair(np.ones(2), "c"))
    assert type(back) is tuple and back[1] == "c"


def test_ndarray_subclass_is_refused_with_a_message():
    class AlwaysEqual(np.ndarray):
        def __eq__(self, other):
            return True
    evil = np.zeros(3).view(AlwaysEqual)
    with pytest.raises(ContractViolation, match="subclass of numpy.ndarray"):
        sandbox_to_trusted({"dx": evil})


def test_other_objects_stay_behind_as_handles_that_refuse_use():
    class Cache:
        pass
    objects = {}
    handle = sandbox_to_trusted(Cache(), objects)
    assert isinstance(handle, Handle) and handle.type_name == "Cache" and len(objects) == 1
    for use in (np.asarray, len, float, bool, lambda h: h + 1, lambda h: h[0]):
        with pytest.raises(ContractViolation, match="Cache"):
            use(handle)


def test_objects_pretending_to_be_arrays_become_handles():
    class Fake:
        def __array__(self, dtype=None, copy=None):
            return np.ones(3)
        __array_interface__ = np.ones(3).__array_interface__
    assert isinstance(sandbox_to_trusted(Fake()), Handle)


def test_object_and_structured_arrays_cannot_be_decoded():
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(WireError):
        npy_to_array(buffer.getvalue())
    buffer = io.BytesIO()
    np.save(buffer, np.zeros(2, dtype=[("a", "f8"), ("b", "i4")]))
    with pytest.raises(WireError, match="cannot cross"):
        npy_to_array(buffer.getvalue())


@pytest.mark.parametrize("tree", [
    {"$a": 5}, {"$h": "x"}, {"$cb": 1}, {"$rng": 1}, {"$zzz": 1}, {"$d": [[1]]},
    {"$d": [[[1, 2], 3]]}, {"$t": 3}, {"$f": "1e999"}, {},
])
def test_trusted_decoder_rejects_malformed_or_foreign_trees(tree):
    with pytest.raises((WireError, ContractViolation)):
        TrustedDecoder([], session_id=1).decode(tree)


def test_deep_nesting_is_refused():
    tree = []
    for _ in range(100):
        tree = [tree]
    with pytest.raises(WireError, match="deeply"):
        TrustedDecoder([], session_id=1).decode(tree)


def test_test_side_values_become_callbacks_and_remote_generators():
    callbacks, generators = {}, {}
    encoder = TrustedEncoder(1, callbacks, generators)
    rng = np.random.default_rng(0)
    tree = encoder.encode([lambda x: x, rng])
    assert list(tree[0]) == ["$cb"] and list(tree[1]) == ["$rng"]
    made = []
    decoder = SandboxDecoder(encoder.arrays, {}, lambda key: made.append(("cb", key)) or "cb",
                             lambda key: made.append(("rng", key)) or "rng")
    assert decoder.decode(tree) == ["cb", "rng"]
    assert generators[made[1][1]] is rng


def test_handles_from_an_earlier_sandbox_cannot_be_sent():
    with pytest.raises(ContractViolation, match="earlier run"):
        TrustedEncoder(2, {}, {}).encode(Handle(1, 5, "Cache"))


def test_sandbox_receives_writable_copies():
    encoder = TrustedEncoder(1, {}, {})
    original = np.arange(3.0)
    tree = encoder.encode(original)
    received = SandboxDecoder(encoder.arrays, {}, None, None).decode(tree)
    received[0] = 99
    assert original[0] == 0


# ------------------------------------------------------------------------- channel

def channel_pair(max_bytes=2**20):
    a, b = socket.socketpair()
    return Channel(a, max_bytes), Channel(b, max_bytes)


def test_channel_round_trip_with_blobs():
    left, right = channel_pair()
    left.send({"op": "x", "n": 1}, [b"abc", b""])
    header, blobs = right.receive(time.monotonic() + 5)
    assert header["op"] == "x" and header["n"] == 1 and blobs == [b"abc", b""]


def test_channel_refuses_oversized_frames():
    left, right = channel_pair(max_bytes=1000)
    left.sock.sendall((10**9).to_bytes(8, "little"))
    with pytest.raises(ProtocolError, match="refused"):
        right.receive(time.monotonic() + 5)


def test_channel_refuses_garbage():
    left, right = channel_pair()
    payload = (3).to_bytes(4, "little") + b"{x}"
    left.sock.sendall(len(payload).to_bytes(8, "little") + payload)
    with pytest.raises(ProtocolError):
        right.receive(time.monotonic() + 5)


def test_channel_times_out_and_notices_a_closed_peer():
    left, right = channel_pair()
    with pytest.raises(ChannelTimeout):
        right.receive(time.monotonic() + 0.1)
    left.sock.close()
    with pytest.raises(ChannelClosed):
        right.receive(time.monotonic() + 1)
