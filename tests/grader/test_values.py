"""Checks that decide by values (issue 11, class 6): submissions that game the tolerances.

ONE batch, graded with the command an instructor types (``python -m autograder grade ...``),
holds the honest submission of five assignments and four attacks built from it:

- ``f16``: in 01, 02, 03 and 06 one graded function each (``cross_entropy``,
  ``linear_forward``, ``mlp_forward``, ``precision_recall``) returns the right answer 0.4 %
  off, as float16, whenever the test's inputs are float64 (float32 inputs get the right
  answer, in float32). The tolerance used to follow the returned dtype (float16: 1e-2), so
  each of these tests gave full marks; now a check's precision is the test's (the dtype of
  the inputs it passed, float64 unless the test says otherwise): each loses its test, with a
  message that names the float16 result and the float64 inputs.
- ``mlp_loss_settings``: 03's ``mlp_loss``, right in every case the hidden tests check
  against PyTorch and 1 % off (loss and gradients, float64 and float32) at the one setting,
  weight decay 0.1, that only the invariant checks used (float32 in, a duplicated batch).
  Those compared the student with itself (float32 against its own float64 answer, which the
  same mistake shares), and it got full marks; they now compare with PyTorch's for the same
  case (float32: for the float32-rounded inputs), and the test is lost at the float32 case.
- ``mlp_loss_formula``: the same with a different formula, the penalty without its 1/2, at
  every weight decay the PyTorch cases do not use.
- ``regularized_f32``: 07's ``regularized_mlp_loss``, right for float64 inputs and 1 % off
  (loss and gradients, float32 kept) for float32 ones. Its float32 case checked the dtypes
  only, and it got full marks; the float32 values are now compared with PyTorch's.

Every other test of each attack earns what the honest submission earns, except the tests
that use the attacked function in float64 themselves (a backward pass checked against
centered differences of the student's forward, an SGD epoch through it): those were lost
before this fix too and are listed as collateral. The honest submissions keep full marks;
every input file is byte-identical; no sandbox process outlives the batch.

Against the code before this fix (a scratch copy of the repository whose check modules,
``autograder/{checks,layercheck,linearcheck,losscheck,normcheck,sgdcheck,distcheck}.py``, and
``solutions/`` are those of the commit before, with this file copied in and run there by the
repository's own interpreter, ``/path/to/repo/.venv/bin/python -m pytest
tests/grader/test_values.py``) every attack gets full marks: the seven cases of
``test_attack_loses_its_test_with_a_message_about_the_value`` fail with "should have
failed; the attack got full marks", and the rest pass.

Run: ``.venv/bin/python -m pytest tests/grader/test_values.py`` (about 2 minutes on 2
cores; it needs Linux namespaces, and skips with a reason where they are missing).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from autograder.grader.submission import SubmissionResult
from autograder.notebook import nbgrader_cells
from autograder.sandbox.isolation import probe
from coursebuild.course import ROOT, assignment as find_assignment

from . import fixtures as F
from .fixtures import file_hashes, sandbox_processes

pytestmark = pytest.mark.slow

A01, A02, A03, A06, A07 = (find_assignment(name) for name in ("01_derivatives", "02_single_layer",
                           "03_multilayer", "06_experiments", "07_regularization"))
ASSIGNMENTS = (A01, A02, A03, A06, A07)
TEST_SECONDS, CELL_SECONDS, MEMORY_MB, WORKERS = 60, 60, 2048, 2
SUBMISSION_SECONDS = 900 + (uuid.uuid4().int % 1000 + 1) / 1000   # marks this batch's processes
MARKER = f'"submission_seconds": {SUBMISSION_SECONDS}'.encode()
SEED = "20241201"
MODE = probe()


# ============================================================================ the attacks

def right_answer(assignment, name: str) -> str:
    """The solution's ``name``, renamed ``_right_<name>`` (the attacks call it)."""
    code = F.solution_sources(assignment)[name]
    renamed = re.sub(rf"^def {name}\(", f"def _right_{name}(", code, count=1, flags=re.M)
    assert renamed != code, f"no def {name} in the solution cell"
    return renamed


def attack(assignment, name: str, wrapper: str) -> str:
    return right_answer(assignment, name) + "\n\n" + textwrap.dedent(wrapper)


# 0.4 % off, as float16, for float64 inputs; right (in the input's dtype) otherwise
F16 = {
    A01: ("cross_entropy", """
        def cross_entropy(p, y):
            loss = _right_cross_entropy(p, y)
            return np.float16(1.004 * loss) if np.asarray(p).dtype == np.float64 else loss
        """),
    A02: ("linear_forward", """
        def linear_forward(x, W, b):
            out, cache = _right_linear_forward(x, W, b)
            if out.dtype == np.float64:
                out = (1.004 * out).astype(np.float16)
            return out, cache
        """),
    A03: ("mlp_forward", """
        def mlp_forward(params, X, activation="relu"):
            logits, caches = _right_mlp_forward(params, X, activation)
            if logits.dtype == np.float64:
                logits = (1.004 * logits).astype(np.float16)
            return logits, caches
        """),
    A06: ("precision_recall", """
        def precision_recall(y_true, y_pred, num_classes):
            precision, recall = _right_precision_recall(y_true, y_pred, num_classes)
            return (1.004 * precision).astype(np.float16), (1.004 * recall).astype(np.float16)
        """),
}

# right where the hidden tests compare with PyTorch; wrong where `wrong` holds (dtype kept)
MLP_LOSS = """
    def mlp_loss(params, X, y, activation="relu", weight_decay=0.0):
        loss, grads = _right_mlp_loss(params, X, y, activation, weight_decay)
        if {wrong}:
            {change}
        return loss, grads
    """
ONE_PERCENT_OFF = "loss, grads = 1.01 * loss, {key: value * 1.01 for key, value in grads.items()}"
# the penalty (weight_decay / 2) * sum W^2 doubled: no 1/2 (and its gradient doubled with it)
NO_HALF = ("loss, grads = 2 * loss - _right_mlp_loss(params, X, y, activation, 0.0)[0], "
           "{key: 2 * value - _right_mlp_loss(params, X, y, activation, 0.0)[1][key] "
           "for key, value in grads.items()}")
TESTED_DECAYS = "(0.0, 0.2, 0.3, 0.4, 0.5, 0.7)"   # the weight decays of 03's PyTorch cases

REGULARIZED_F32 = """
    def regularized_mlp_loss(params, X, y, activation="relu", weight_decay=0.0, norm=None,
                             dropout=0.0, state=None, train=True, rng=None):
        loss, grads, new_state = _right_regularized_mlp_loss(params, X, y, activation, weight_decay, norm,
                                                             dropout, state, train, rng)
        if np.asarray(X).dtype == np.float32:
            loss, grads = 1.01 * loss, {key: value * np.float32(1.01) for key, value in grads.items()}
        return loss, grads, new_state
    """


@dataclass(frozen=True)
class Case:
    student: str
    assignment: object
    test: str                # the test it must lose
    message: str             # regex its message must match
    # tests that use the attacked function in float64 themselves (centered differences of the
    # student's own forward pass or loss, an epoch through it): lost before this fix as well
    collateral: tuple = ()


VALUE = r"is wrong \(shape .*\n.*\n  relative error .* \(tolerance 1e-07\)\n"
F16_NOTE = r"  hint: the result is float16 but the test's inputs are float64: it is judged at float64's tolerance"
CASES = [
    Case("f16", A01, "test_cross_entropy", rf"cross_entropy: .*{VALUE}{F16_NOTE}",
         ("test_softmax_cross_entropy_grad",)),
    Case("f16", A02, "test_linear_forward", rf"linear_forward: out .*{VALUE}{F16_NOTE}",
         ("test_linear_backward_loop", "test_linear_backward", "test_sgd_epoch")),
    Case("f16", A03, "test_mlp_forward", rf"mlp_forward: the logits .*{VALUE}{F16_NOTE}",
         ("test_mlp_backward", "test_mlp_loss")),
    Case("f16", A06, "test_precision_recall", rf"precision_recall: the (precision|recall) {VALUE}{F16_NOTE}"),
    Case("mlp_loss_settings", A03, "test_mlp_loss",
         r"mlp_loss \(float32, activation='\w+', weight_decay=0.1\): the loss \(float32\) is wrong"),
    Case("mlp_loss_formula", A03, "test_mlp_loss",
         r"mlp_loss \(float32, activation='\w+', weight_decay=0.1\): the loss \(float32\) is wrong"),
    Case("regularized_f32", A07, "test_regularized_mlp_loss",
         r"regularized_mlp_loss \(float32, norm=[^,]+, weight_decay=[\d.]+, no dropout\): the loss is wrong"),
]


def submissions() -> dict[tuple[str, str], object]:
    """{(student, assignment name): notebook}: the honest ones, then the attacks."""
    honest = {a: F.honest(a) for a in ASSIGNMENTS}
    made = {("honest", a.name): nb for a, nb in honest.items()}
    for a, (name, wrapper) in F16.items():
        made[("f16", a.name)] = F.with_answer(honest[a], name, attack(a, name, wrapper))
    for student, wrong, change in (("mlp_loss_settings", "weight_decay == 0.1", ONE_PERCENT_OFF),
                                   ("mlp_loss_formula", f"weight_decay not in {TESTED_DECAYS}", NO_HALF)):
        made[(student, A03.name)] = F.with_answer(honest[A03], "mlp_loss", attack(
            A03, "mlp_loss", MLP_LOSS.format(wrong=wrong, change=change)))
    made[("regularized_f32", A07.name)] = F.with_answer(honest[A07], "regularized_mlp_loss", attack(
        A07, "regularized_mlp_loss", REGULARIZED_F32))
    return made


# ============================================================================ the batch

@dataclass
class Batch:
    results: dict            # (student, assignment name) -> SubmissionResult
    completed: subprocess.CompletedProcess
    before: dict
    after: dict
    processes_after: set

    def result(self, student: str, assignment) -> SubmissionResult:
        key = (student, assignment.name)
        assert key in self.results, (f"no result for {key}; the grader said:\n"
                                     f"{self.completed.stdout[-3000:]}\n{self.completed.stderr[-3000:]}")
        return self.results[key]


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    if not MODE.strong:
        pytest.skip(f"strong sandboxes are unavailable here ({MODE.reason}); the suite checks them")
    base = tmp_path_factory.mktemp("values")
    course, subs, out = base / "course", base / "subs", base / "out"
    for a in ASSIGNMENTS:   # a snapshot of the course: others may edit the real one
        shutil.copytree(a.source.parent, course / "solutions" / a.name)
        shutil.copytree(F.release_folder(a), course / "notebooks" / a.name)
    for (student, name), nb in submissions().items():
        F.write(nb, F.submission_path(subs, student, find_assignment(name)))
    before = file_hashes(subs, course)
    command = [sys.executable, "-m", "autograder", "grade", str(subs), "--course", str(course),
               "--out", str(out), "--workers", str(WORKERS), "--no-gradebook",
               "--test-timeout", str(TEST_SECONDS), "--cell-timeout", str(CELL_SECONDS),
               "--memory-mb", str(MEMORY_MB), "--submission-timeout", str(SUBMISSION_SECONDS)]
    started = time.perf_counter()
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=1800,
                               env={**os.environ, "BFS_TEST_SEED": SEED})
    time.sleep(1)   # let the kernel finish tearing down the last namespaces
    results = {}
    for a in ASSIGNMENTS:
        for path in (out / a.name).glob(f"*/{a.notebook_id}.result.json"):
            results[(path.parent.name, a.name)] = SubmissionResult.from_json(json.loads(path.read_text()))
    print(f"\nvalues batch: {len(results)} submissions in {time.perf_counter() - started:.0f} s")
    yield Batch(results, completed, before, file_hashes(subs, course), sandbox_processes(MARKER))


# ============================================================================ the checks

def test_the_batch_finished(batch):
    assert batch.completed.returncode == 0, batch.completed.stderr[-3000:]
    assert set(batch.results) == set(submissions()), set(submissions()) - set(batch.results)


@pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=lambda a: a.name)
def test_honest_submissions_keep_full_marks(batch, assignment):
    result = batch.result("honest", assignment)
    assert result.status == "graded" and result.isolation.startswith("strong")
    assert result.tests and all(t.passed for t in result.tests), \
        {t.grade_id: t.message for t in result.tests if not t.passed}
    assert result.score == result.max_score == sum(c.points for c in nbgrader_cells(F.source(assignment))
                                                   if c.kind == "test")


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.student}-{c.test}")
def test_attack_loses_its_test_with_a_message_about_the_value(batch, case):
    result, honest = batch.result(case.student, case.assignment), batch.result("honest", case.assignment)
    assert result.status == "graded", (result.status, result.reason)
    assert [t.grade_id for t in result.tests] == [t.grade_id for t in honest.tests]
    for test, reference in zip(result.tests, honest.tests):
        if test.grade_id == case.test:
            assert test.points == 0, f"{test.grade_id} should have failed; the attack got full marks"
            assert re.search(case.message, test.message), \
                f"{test.grade_id}: expected /{case.message}/ in:\n{test.message}"
        elif test.grade_id not in case.collateral:
            assert test.points == reference.points == reference.max_points, \
                f"{test.grade_id} lost points: {test.message}"


def test_every_input_file_is_byte_identical(batch):
    changed = {path for path in batch.before.keys() | batch.after.keys()
               if batch.before.get(path) != batch.after.get(path)}
    assert not changed, sorted(changed)


def test_no_sandbox_process_survives(batch):
    assert not batch.processes_after, \
        f"processes of this batch, running as a sandbox uid, outlived it: {batch.processes_after}"
