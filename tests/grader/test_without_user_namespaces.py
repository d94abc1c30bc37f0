"""Root on a host that refuses user namespaces (Docker's default seccomp profile does).

Issue 11, class 5, on such a host: the grader cannot give each sandbox a user namespace of its
own, so the kernel objects keyed by the sandbox uid (its user and user-session keyrings, its
persistent keyring) would pass from one submission to the next. The fallback clears them as the
sandbox uid before any student code runs; everything else (IPC, abstract sockets, /dev/shm,
/tmp, $HOME) is per mount/IPC/network namespace and unaffected. The grader says so loudly.

The batch runs under ``without_user_namespaces.py`` (a seccomp filter: unshare/clone with
CLONE_NEWUSER fail with EPERM), with the writer and reader of ``test_containment`` graded one
after the other by one worker. Run: ``.venv/bin/python -m pytest
tests/grader/test_without_user_namespaces.py`` (about a minute; needs root and namespaces).
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import pytest

from .test_containment import (KERNEL_OBJECTS, MODE, _kernel_report, assert_full_marks, honest_nb,
                               kernel_objects, run_batch)
from .without_user_namespaces import install

pytestmark = pytest.mark.slow
LAUNCHER = (str(Path(__file__).with_name("without_user_namespaces.py")), "-m")


def _seccomp_available() -> str | None:
    """Why this host cannot run the test, if it cannot."""
    if os.geteuid() != 0:
        return "needs root (the fallback is for a grader run as root)"
    if not MODE.strong:
        return f"strong sandboxes are unavailable here ({MODE.reason})"
    pid = os.fork()
    if pid == 0:
        try:
            install()
            os._exit(0)
        except OSError:
            os._exit(1)
    return None if os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0 else "seccomp filters are unavailable"


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    why = _seccomp_available()
    if why:
        pytest.skip(why)
    token = uuid.uuid4().hex
    builds = {"honest": honest_nb(), "k1_writer": kernel_objects(token, "leave"),
              "k2_reader": kernel_objects(token, "look")}
    return run_batch(tmp_path_factory.mktemp("no-userns"), builds, launcher=LAUNCHER)


def test_the_grader_says_loudly_that_user_namespaces_are_missing(batch):
    assert batch.completed.returncode == 0, batch.completed.stderr[-3000:]
    said = batch.completed.stdout + batch.completed.stderr
    assert re.search(r"WARNING: .*no user namespaces", said), said[-3000:]
    assert "keyrings" in said


def test_honest_submission_keeps_full_marks(batch):
    honest = batch.result("honest")
    assert_full_marks(honest)
    assert "no user namespaces" in honest.isolation, honest.isolation


@pytest.mark.parametrize("kernel_object", KERNEL_OBJECTS)
def test_no_kernel_object_reaches_the_next_submission(batch, kernel_object):
    left, found = _kernel_report(batch, "k1_writer", "LEFT"), _kernel_report(batch, "k2_reader", "FOUND")
    if kernel_object == "persistent_keyring" and not left[kernel_object]:
        pytest.skip("this kernel offers no persistent keyrings (KEYCTL_GET_PERSISTENT fails)")
    assert left[kernel_object], f"the writer could not leave a trace in {kernel_object}"
    assert not found[kernel_object], f"{kernel_object} carried data to the next submission"


def test_nothing_survives_and_no_input_changes(batch):
    assert not batch.processes_after, batch.processes_after
    assert batch.before == batch.after
