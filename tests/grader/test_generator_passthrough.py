"""A test's Generator that the student's code passes on to a test's function arrives there as
the same Generator (as in-process), e.g. ``init_mlp(sizes, init, rng)`` calling ``init(.., rng)``."""

import time

import numpy as np
import pytest

from autograder.grader.worker import make_shell
from autograder.sandbox.isolation import Policy, default_readonly_paths, probe
from autograder.sandbox.session import Sandbox
from autograder.sandbox.wire import TrustedDecoder, WireError

CODE = '''
def build(sizes, init, rng):
    return [init(a, b, rng) for a, b in zip(sizes[:-1], sizes[1:])]
'''


@pytest.fixture
def sandbox(tmp_path):
    policy = Policy(readonly_paths=default_readonly_paths(), memory_bytes=1 * 2**30, files={})
    box = Sandbox(policy, probe(), str(tmp_path), make_shell)
    box.start()
    reply = box.exec_cell(CODE, time.monotonic() + 30)
    assert reply["ok"], reply
    yield box
    box.stop()


def test_a_generator_passed_on_to_a_callback_is_the_tests_own(sandbox):
    seen = []

    def init(fan_in, fan_out, rng):
        seen.append(rng)
        return rng.standard_normal((fan_in, fan_out))

    ours, local = np.random.default_rng(3), np.random.default_rng(3)
    weights = sandbox.call("build", ([4, 3, 2], init, ours), {}, time.monotonic() + 30)
    assert all(rng is ours for rng in seen)
    assert np.array_equal(weights[0], local.standard_normal((4, 3)))
    assert np.array_equal(weights[1], local.standard_normal((3, 2)))
    assert ours.bit_generator.state == local.bit_generator.state


def test_only_generators_sent_in_can_come_back():
    ours = np.random.default_rng(0)
    assert TrustedDecoder([], 1, {id(ours): ours}).decode({"$rng": id(ours)}) is ours
    for key in (id(ours) + 1, "x", None):
        with pytest.raises(WireError):
            TrustedDecoder([], 1, {id(ours): ours}).decode({"$rng": key})
