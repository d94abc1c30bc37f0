"""Grading on Dask (``autograder.grader.cluster``): the same scores as the local pool, and faults.

One small class of ``01_derivatives`` (honest, blank, a bug-catalog bug, a file that is not
a notebook), made at test time from the current course (``fixtures``):
- graded by ``python -m autograder grade --cluster local:2`` and by the local pool
  (``--workers 2``): every test cell earns the same points, every status and reason is the same;
  then the local pool on the cluster's output folder grades nothing (resume across backends);
- the killed worker: a LocalCluster of 2, one worker process SIGKILLed while it grades;
  every submission gets exactly one result, with the honest score;
- a worker that reports weak isolation: the batch is refused under ``require_isolation``,
  graded with a warning otherwise.

Needs Linux namespaces (the sandbox's strong mode), like the adversarial suite.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from autograder.config import GraderConfig
from autograder.grader.batch import grade_class
from autograder.grader.cluster import PLUGIN_NAME, DaskBackend, WarmGraderPlugin, cluster_backend
from autograder.grader.errors import GradingError
from autograder.grader.submission import SubmissionResult
from autograder.sandbox.isolation import probe
from coursebuild.course import ROOT, assignment as find_assignment

from . import fixtures as F

pytestmark = pytest.mark.slow

ASSIGNMENT = find_assignment("01_derivatives")
NOTEBOOK = ASSIGNMENT.notebook_id
MODE = probe()
SLOW_SECONDS = 6     # a student cell that sleeps, so a worker can be killed while it grades


def make_course(base: Path) -> Path:
    """A snapshot of 01's source and release (others may edit the real ones)."""
    import shutil

    course = base / "course"
    shutil.copytree(ASSIGNMENT.source.parent, course / "solutions" / ASSIGNMENT.name)
    shutil.copytree(F.release_folder(ASSIGNMENT), course / "notebooks" / ASSIGNMENT.name)
    return course


def stored(out: Path) -> dict[str, SubmissionResult]:
    return {p.parent.name: SubmissionResult.from_json(json.loads(p.read_text()))
            for p in (out / ASSIGNMENT.name).glob(f"*/{NOTEBOOK}.result.json")}


def scores(result: SubmissionResult) -> dict[str, float]:
    return {test.grade_id: test.points for test in result.tests}


def grade_cli(*arguments: str) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", *arguments, "--no-gradebook", "--quiet"],
                          cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


@pytest.fixture(scope="module")
def strong():
    if not MODE.strong:
        pytest.skip(f"strong sandboxes are unavailable here ({MODE.reason})")


def test_bad_cluster_options_are_refused_with_the_option_named():
    with pytest.raises(GradingError, match="expected local:N"):
        cluster_backend(GraderConfig(cluster="local:0"))
    with pytest.raises(GradingError, match="not both"):
        cluster_backend(GraderConfig(cluster="local:2", scheduler="tcp://127.0.0.1:8786"))


def test_the_cluster_grades_as_the_local_pool_and_resumes_across_them(tmp_path, strong):
    course = make_course(tmp_path)
    subs = tmp_path / "submitted"
    kinds = {"honest": F.honest(ASSIGNMENT), "blank": F.blank(ASSIGNMENT)}
    for k, entry in enumerate(F.pick_bugs(ASSIGNMENT, 1)):
        kinds[f"bug{k + 1}"] = F.buggy(ASSIGNMENT, entry)
    for student, nb in kinds.items():
        F.write(nb, F.submission_path(subs, student, ASSIGNMENT))
    F.write(b"{ this is not a notebook", F.submission_path(subs, "malformed", ASSIGNMENT))

    common = (str(subs), "--course", str(course))
    started = time.perf_counter()
    grade_cli(*common, "--out", str(tmp_path / "pool"), "--workers", "2")
    print(f"\nlocal pool (2): {len(kinds) + 1} submissions in {time.perf_counter() - started:.0f} s, start-up included")
    started = time.perf_counter()
    grade_cli(*common, "--out", str(tmp_path / "dask"), "--cluster", "local:2")
    print(f"LocalCluster(2): {len(kinds) + 1} submissions in {time.perf_counter() - started:.0f} s, start-up included")
    pool, dask = stored(tmp_path / "pool"), stored(tmp_path / "dask")
    assert sorted(pool) == sorted(dask) == sorted([*kinds, "malformed"])
    for student in pool:
        assert scores(dask[student]) == scores(pool[student]), student
        assert (dask[student].status, dask[student].reason) == (pool[student].status, pool[student].reason)
    honest = dask["honest"]
    assert honest.status == "graded" and honest.score == honest.max_score > 0
    assert dask["blank"].score < honest.score and dask["malformed"].status == "error"
    assert dask["bug1"].score < honest.score
    assert (tmp_path / "dask" / "grades.csv").read_text().count("\n") == len(pool) + 1

    again = grade_class(GraderConfig(course=str(course), out=str(tmp_path / "dask"), workers=1,
                                     no_gradebook=True), [str(subs)], log=lambda line: None)
    assert (again.graded, again.skipped) == (0, len(pool))


def test_a_worker_killed_mid_submission_is_regraded_elsewhere(tmp_path, strong):
    course = make_course(tmp_path)
    subs = tmp_path / "submitted"
    slow = F.insert_code_cell(F.honest(ASSIGNMENT), f"import time\ntime.sleep({SLOW_SECONDS})")
    students = [f"s{k}" for k in range(4)]
    for student in students:
        F.write(slow, F.submission_path(subs, student, ASSIGNMENT))
    backends: list[DaskBackend] = []

    def start(config, count, log_path):
        backends.append(DaskBackend(config, local_workers=2))
        return backends[0]

    config = GraderConfig(course=str(course), out=str(tmp_path / "out"), no_gradebook=True)
    outcome, errors = {}, []

    def run():
        try:
            outcome["result"] = grade_class(config, [str(subs)], backend=start, log=lambda line: None)
        except Exception as error:  # reported by the assertion below
            errors.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    killed = None
    deadline = time.monotonic() + 600
    while killed is None and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.5)
        if not backends:
            continue
        try:
            states = backends[0].workers()
        except Exception:
            continue
        busy = [state for state in states.values() if state["grading"]]
        if busy:
            time.sleep(1.0)   # well inside the submission's sleeping cell
            killed = busy[0]
            os.kill(killed["pid"], signal.SIGKILL)
    thread.join(timeout=900)
    assert not errors, errors
    assert killed is not None, "no worker was seen grading"
    result = outcome["result"]
    assert result.graded == len(students)
    by_student = stored(tmp_path / "out")
    assert sorted(by_student) == students                     # none lost
    assert sorted(r.student for r in result.results) == students   # none twice
    for student, graded in by_student.items():
        assert graded.status == "graded" and graded.score == graded.max_score > 0, (student, graded.reason)
    assert killed["grading"][0] in students


class ReportsWeakIsolation(WarmGraderPlugin):
    """A worker plugin on a host whose probe said: no namespaces (this host has them, so the
    probe's answer is what is replaced; the refusal under test is the grader's)."""

    @property
    def isolation(self) -> dict:
        return {"strong": False, "reason": "namespaces unavailable on this worker's host", "slot": self.slot}


def test_a_worker_without_namespaces_refuses_unless_weak_isolation_is_allowed(tmp_path, strong):
    course = make_course(tmp_path)
    subs = tmp_path / "submitted"
    F.write(F.honest(ASSIGNMENT), F.submission_path(subs, "honest", ASSIGNMENT))

    def start(config, count, log_path):
        return DaskBackend(config, local_workers=1, plugin=ReportsWeakIsolation)

    required = GraderConfig(course=str(course), out=str(tmp_path / "refused"), no_gradebook=True,
                            require_isolation=True)
    with pytest.raises(GradingError, match="strong isolation is unavailable .namespaces unavailable"):
        grade_class(required, [str(subs)], backend=start, log=lambda line: None)
    assert not stored(tmp_path / "refused")

    lines = []
    allowed = required.replace(require_isolation=False, out=str(tmp_path / "allowed"))
    outcome = grade_class(allowed, [str(subs)], backend=start, log=lines.append)
    assert outcome.graded == 1 and any("WEAK" in line for line in lines)
    assert PLUGIN_NAME == ReportsWeakIsolation.name
