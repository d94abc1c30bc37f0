"""Issue 11, class 3: the trusted side allocates and waits only within bounds, whatever the
sandbox sends or asks for.

Each test starts one real sandbox (the grader's own, with its namespaces and limits) and
has the student's code attack the trusted end of the channel, which is this process here:

- a forged reply that references one 64 MiB array 80 times (5 GiB once decoded and compared):
  refused as malformed (an encoder sends each array once), this process's peak memory
  grows by about one copy;
- draws from the test's Generator whose sizes are NumPy integers or arrays: refused like
  Python ones, before anything is allocated;
- a test function (``init(fan_in, fan_out, rng)`` style) called with a shape of 10^10
  numbers: refused before it runs;
- a sandbox that asks for a 256 MiB callback result and then stops reading: the send gives
  up at the test's deadline and the sandbox is stopped with a time-limit reason;
- a sandbox that sends more than ``MAX_RECEIVED_BYTES`` in one test (lowered here), as arrays
  or as JSON headers, to a test function that keeps all it gets: stopped with a reason once
  over, this process holding at most the cap's worth.

The batch-level view (scores, reasons, honest neighbours, surviving processes, untouched
files) of the same attacks is in ``test_containment.py`` (``c3_*``).
"""

from __future__ import annotations

import resource
import textwrap
import time

import numpy as np
import pytest

from autograder.sandbox.isolation import probe

pytestmark = pytest.mark.slow

MODE = probe()
GIB = 2**30


@pytest.fixture
def sandbox(tmp_path):
    from autograder.grader.worker import make_shell
    from autograder.sandbox.isolation import Policy, default_readonly_paths
    from autograder.sandbox.session import Sandbox

    box = Sandbox(Policy(readonly_paths=default_readonly_paths(), memory_bytes=2 * GIB), MODE,
                  str(tmp_path), make_shell)
    box.start()
    yield box
    box.stop()


def define(sandbox, source: str) -> None:
    reply = sandbox.exec_cell(textwrap.dedent(source), time.monotonic() + 60)
    assert reply["ok"], reply


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024   # Linux: kilobytes


# The student's code finds the agent and the request it is answering in its caller's frame
# (Agent.call), as any code in the sandbox can.
FIND_AGENT = """
    import sys
    def _agent_and_request():
        frame = sys._getframe(2)
        while frame is not None and "header" not in frame.f_locals:
            frame = frame.f_back
        return frame.f_locals["self"], frame.f_locals["header"]
"""


def test_a_reply_that_references_one_array_many_times_is_refused(sandbox):
    from autograder.sandbox.session import SandboxFailure

    define(sandbox, FIND_AGENT + """
    import numpy as np
    from autograder.sandbox.wire import array_to_npy
    def many_references():
        agent, header = _agent_and_request()
        blob = array_to_npy(np.ones(8 * 2**20))            # 64 MiB
        agent.channel.send({"op": "reply", "id": header["id"], "ok": True,
                            "value": {"$t": [{"$a": 0}] * 80}}, [blob])
        import time
        time.sleep(3600)                                     # never send the real reply
    """)
    before = peak_rss_bytes()
    with pytest.raises(SandboxFailure, match="malformed message .an array referenced twice"):
        sandbox.call("many_references", (), {}, time.monotonic() + 60)
    grown = peak_rss_bytes() - before
    # the received bytes and at most one decoded copy: far from the 5 GiB of 80 copies
    assert grown < 1 * GIB, f"this process grew by {grown / GIB:.1f} GiB"


@pytest.mark.parametrize("draw", [
    "rng.standard_normal(size=np.array([10**5, 10**5]))",
    "rng.standard_normal(size=(np.int64(10**5), np.int64(10**5)))",
    "rng.random(np.int64(10**10))",
    "rng.permutation(np.int64(10**9))",
    "rng.integers(0, 10, size=np.array([10**5, 10**5], dtype=np.uint64))",
    "rng.normal(0.0, 1.0, size=np.float64(1e10))",
], ids=["array-size", "numpy-int-tuple", "numpy-int", "numpy-int-permutation", "uint-array",
        "float-size"])
def test_a_draw_with_numpy_sizes_is_refused_before_anything_is_allocated(sandbox, draw):
    define(sandbox, f"""
    import numpy as np
    def huge(rng):
        return {draw}
    def fine(rng):
        return rng.standard_normal(size=np.array([3, 4])), rng.permutation(np.int64(5))
    """)
    before, started = peak_rss_bytes(), time.monotonic()
    with pytest.raises(Exception, match="refuses|must be|integer|TypeError") as caught:
        sandbox.call("huge", (np.random.default_rng(0),), {}, time.monotonic() + 60)
    assert time.monotonic() - started < 10
    assert peak_rss_bytes() - before < GIB, caught.value
    sample, order = sandbox.call("fine", (np.random.default_rng(0),), {}, time.monotonic() + 60)
    assert sample.shape == (3, 4) and sorted(order) == [0, 1, 2, 3, 4]


def test_a_tests_function_is_not_called_with_a_shape_it_would_have_to_allocate_without_bound(sandbox):
    define(sandbox, """
    import numpy as np
    def init_mlp_attack(init, rng):
        for args in [(10**5, 10**5), ((10**5, 10**5),), (np.int64(10**5), np.int64(10**5))]:
            try:
                init(*args, rng)
            except Exception as error:
                assert "refuses" in str(error), error
            else:
                raise AssertionError(f"init{args} ran")
        return init(3, 4, rng)
    """)

    def init(fan_in, fan_out_or_rng, rng=None):   # a test's initializer: allocates what it is asked
        shape = fan_in if rng is None else (fan_in, fan_out_or_rng)
        return np.zeros(shape)

    before = peak_rss_bytes()
    W = sandbox.call("init_mlp_attack", (init, np.random.default_rng(0)), {}, time.monotonic() + 60)
    assert W.shape == (3, 4)
    assert peak_rss_bytes() - before < GIB


def test_a_sandbox_that_stops_reading_cannot_hold_the_trusted_side_past_the_deadline(sandbox):
    from autograder.sandbox.session import SandboxFailure

    define(sandbox, FIND_AGENT + """
    import time
    def never_reads(big):
        agent, header = _agent_and_request()
        key = header["args"][0]["$cb"]
        # ask for the test function's result, then never read the reply
        agent.channel.send({"op": "callback", "id": "s999", "key": key, "args": [], "kwargs": {"$d": []}}, [])
        time.sleep(3600)
    """)

    def big():   # 256 MiB: far more than a socket buffer holds
        return np.ones(32 * 2**20)

    started = time.monotonic()
    with pytest.raises(SandboxFailure, match="time limit"):
        sandbox.call("never_reads", (big,), {}, time.monotonic() + 5)
    assert time.monotonic() - started < 30


@pytest.mark.parametrize("carrier, cap_mib, messages", [("arrays", 128, 48), ("headers", 32, 96)])
def test_a_sandbox_that_sends_more_than_the_cap_in_one_test_is_stopped(sandbox, monkeypatch, carrier,
                                                                       cap_mib, messages):
    """48 arrays of 16 MiB (768 MiB), or 96 strings of 1 MiB in JSON headers (no blob), each
    to a test function that keeps what it gets; the cap is lowered to 128 or 32 MiB."""
    import os

    from autograder.sandbox import session
    from autograder.sandbox.watchdog import resident_bytes

    monkeypatch.setattr(session, "MAX_RECEIVED_BYTES", cap_mib * 2**20)
    define(sandbox, f"""
    import numpy as np
    def flood(keep):
        for _ in range({messages}):
            keep(np.ones(2 * 2**20) if {carrier!r} == "arrays" else "x" * 2**20)
        return "all sent"
    """)
    kept = []
    before = resident_bytes(os.getpid())
    with pytest.raises(session.SandboxFailure, match=f"sent more than {cap_mib} MB to the grader in one test"):
        sandbox.call("flood", (kept.append,), {}, time.monotonic() + 60)
    grown = resident_bytes(os.getpid()) - before
    assert 0 < len(kept) < messages
    assert grown < (cap_mib + 128) * 2**20, f"this process holds {grown / 2**20:.0f} MiB more"
    print(f"\n{carrier}: stopped after {len(kept)} of {messages} messages, "
          f"this process grew by {grown / 2**20:.0f} MiB (cap {cap_mib} MiB)")
