"""A gradient the course asks students to derive, computed with autodiff instead, is caught.

Two batches of ``01_derivatives`` submissions, graded with the command an instructor types
(``python -m autograder grade``, two workers): the default (``--autodiff fail``) and
``--autodiff warn``. Each cheat is built from the honest submission and gets full marks from
a grader without the sandbox's recorders (``autograder.sandbox.autodiff``; see the README's
"What a submission can and cannot do"): it computes a derived function's result with
``torch.autograd.grad``, ``Tensor.backward``, ``torch.func.grad``, in a non-derived function
that a derived one calls, precomputes a checkpoint's numbers with autograd at a cell's top
level, or takes torch's originals from behind the recorders before using them. With ``fail`` it loses exactly that test, with a message that
says why; with ``warn`` it keeps full marks and the warning is in the test's message and in
the notes (results.json). Honest submissions in the same batch keep full marks, so does one
that checks its work with autograd in a cell of its own and one whose non-derived functions
use torch; every input file is byte-identical afterwards.

Small checks on one sandbox each follow: what the recorders see (forward mode,
``torch.autograd.functional``, the engine reached directly, a class attribute swapped and
put back, an import of JAX), and what they must not (torch's forward functions, ``vmap``).

Run: ``.venv/bin/python -m pytest tests/grader/test_autodiff.py`` (about a minute on 2 cores;
it needs Linux namespaces, and skips the batches with a reason where they are missing).
"""

from __future__ import annotations

import copy
import functools
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from autograder.grader.derived import WHY, derived_functions
from autograder.grader.submission import SubmissionResult
from autograder.notebook import graded_functions, nbgrader_cells
from autograder.sandbox.isolation import probe
from coursebuild.course import ASSIGNMENTS, ROOT, assignment as find_assignment

from . import fixtures as F
from .fixtures import file_hashes, sandbox_processes

ASSIGNMENT = find_assignment("01_derivatives")
NOTEBOOK = ASSIGNMENT.notebook_id
TEST_SECONDS, CELL_SECONDS, WORKERS = 60, 60, 2
SUBMISSION_SECONDS = 800 + (uuid.uuid4().int % 1000 + 1) / 1000   # marks this run's processes
MARKER = f'"submission_seconds": {SUBMISSION_SECONDS}'.encode()
SEED = "20240601"
MODE = probe()


def code(text: str) -> str:
    return textwrap.dedent(text).strip("\n") + "\n"


@functools.cache
def _honest():
    return F.honest(ASSIGNMENT)


def honest_nb():
    return copy.deepcopy(_honest())


# ============================================================================ the submissions

def tanh_with(body: str):
    """The honest submission whose tanh_grad is ``body`` (after ``import torch``)."""
    return F.with_answer(honest_nb(), "tanh_grad", "import numpy as np\nimport torch\n\n" + code(body))


def d_autograd_grad():
    return tanh_with("""
        def tanh_grad(x):
            xt = torch.from_numpy(np.array(x)).requires_grad_()
            (g,) = torch.autograd.grad(torch.tanh(xt).sum(), xt)
            return g.numpy()
    """)


def d_tensor_backward():
    return tanh_with("""
        def tanh_grad(x):
            xt = torch.from_numpy(np.array(x)).requires_grad_()
            torch.tanh(xt).sum().backward()
            return xt.grad.numpy()
    """)


def d_func_grad():
    return tanh_with("""
        from torch.func import grad, vmap

        _elementwise = vmap(grad(torch.tanh))

        def tanh_grad(x):
            xt = torch.from_numpy(np.array(x))
            return _elementwise(xt.reshape(-1)).reshape(xt.shape).numpy()
    """)


def d_restores_originals():
    """Takes torch's own functions from behind the recorders, puts them back in torch, then
    uses them (the recorders are found replaced after the call)."""
    return tanh_with("""
        import torch.autograd.graph

        def _behind(recorder):
            for cell in getattr(recorder, "__closure__", None) or ():
                if callable(cell.cell_contents):
                    return cell.cell_contents
            return recorder

        def tanh_grad(x):
            variable = torch.autograd.graph.Variable
            engine = vars(variable)["_execution_engine"]
            variable._execution_engine = getattr(engine, "_engine", engine)
            torch.autograd.grad = _behind(torch.autograd.grad)
            xt = torch.from_numpy(np.array(x)).requires_grad_()
            (g,) = torch.autograd.grad(torch.tanh(xt).sum(), xt)
            return g.numpy()
    """)


def d_precomputed_checkpoint():
    """The checkpoint's numbers computed with autograd at the answer cell's top level."""
    return F.with_answer(honest_nb(), "checkpoint_activation_grads", code("""
        import numpy as np
        import torch

        _rows = []
        for _activation in (torch.sigmoid, torch.tanh, torch.relu):
            _x = torch.tensor(np.log(np.array([1 / 3, 1.0, 3.0])), requires_grad=True)
            _activation(_x).sum().backward()
            _rows.append(_x.grad.tolist())

        def checkpoint_activation_grads():
            return _rows
    """))


def h_checks_with_autograd():
    """Honest, and checks its tanh_grad against autograd in a cell of its own (allowed)."""
    return F.insert_code_cell(honest_nb(), code("""
        import torch
        _xt = torch.linspace(-3, 3, 7, dtype=torch.float64, requires_grad=True)
        torch.tanh(_xt).sum().backward()
        assert np.allclose(tanh_grad(_xt.detach().numpy()), _xt.grad.numpy())
        print("my tanh_grad agrees with autograd")
    """), after="tanh_grad")


def with_needless_backward(nb, function: str):
    """``nb`` whose ``function`` (the honest one) first runs a backward pass it does not use."""
    return F.with_answer(nb, function, F.solution_sources(ASSIGNMENT)[function] + "\n" + code(f"""
        import torch
        _{function}_by_hand = {function}

        def {function}(*args):
            probe = torch.ones(2, requires_grad=True)
            (probe * probe).sum().backward()
            return _{function}_by_hand(*args)
    """))


def n_torch_forward():
    """Honest, with a non-derived function (sigmoid, which sigmoid_grad calls) computed with
    torch, and a non-derived function (cross_entropy) that runs a backward pass: neither is
    the student's to derive, and no derived function calls the second."""
    nb = F.with_answer(honest_nb(), "sigmoid", code("""
        import numpy as np
        import torch

        def sigmoid(x):
            return torch.sigmoid(torch.from_numpy(np.array(x))).numpy()
    """))
    return with_needless_backward(nb, "cross_entropy")


def d_autodiff_in_a_helper():
    """softmax (not derived) runs a backward pass; softmax_cross_entropy_grad (derived) calls
    it: what a derived function's call runs counts, the student's other functions included."""
    return with_needless_backward(honest_nb(), "softmax")


TARGET_TESTS = {   # student -> (the test it must lose, the reason)
    "d_autograd_grad": ("test_tanh_grad", r"tanh_grad computed its result with torch\.autograd\.grad"),
    "d_tensor_backward": ("test_tanh_grad", r"tanh_grad computed its result with Tensor\.backward"),
    "d_func_grad": ("test_tanh_grad", r"tanh_grad computed its result with torch\.func\.grad"),
    "d_restores_originals": ("test_tanh_grad", r"tanh_grad removed the autodiff recorder \("
                             r"(Variable\._execution_engine|torch\.autograd\.grad) was replaced"),
    "d_autodiff_in_a_helper": ("test_softmax_cross_entropy_grad",
                               r"softmax_cross_entropy_grad computed its result with Tensor\.backward"),
    "d_precomputed_checkpoint": ("test_checkpoint_activation_grads",
                                 r"checkpoint_activation_grads used `_rows`, made by answer cell "
                                 r"'checkpoint_activation_grads' while it computed gradients with "
                                 r"Tensor\.backward"),
}
SUBMISSIONS = {"honest": honest_nb, "h_checks_with_autograd": h_checks_with_autograd,
               "n_torch_forward": n_torch_forward, "d_autograd_grad": d_autograd_grad,
               "d_tensor_backward": d_tensor_backward, "d_func_grad": d_func_grad,
               "d_restores_originals": d_restores_originals, "d_autodiff_in_a_helper": d_autodiff_in_a_helper,
               "d_precomputed_checkpoint": d_precomputed_checkpoint}
HONEST = ("honest", "h_checks_with_autograd", "n_torch_forward")
# --autodiff warn changes only what a finding costs, whichever way it was found: the warn batch
# grades one use found in the call's record and one found in a cell's data (and the honest
# work that checks itself with autograd), which keeps the suite's time down.
WARN_SUBMISSIONS = ("honest", "h_checks_with_autograd", "d_autograd_grad", "d_precomputed_checkpoint")


# ============================================================================ the batches

class Batch:
    def __init__(self, base: Path, mode: str, students=tuple(SUBMISSIONS)):
        self.course, self.subs, self.out = base / "course", base / "subs", base / "out"
        for folder, source in (("solutions", ASSIGNMENT.source.parent), ("notebooks", F.release_folder(ASSIGNMENT))):
            shutil.copytree(source, self.course / folder / ASSIGNMENT.name)   # a snapshot of the course
        for student in students:
            F.write(SUBMISSIONS[student](), F.submission_path(self.subs, student, ASSIGNMENT))
        self.before = file_hashes(self.subs, self.course)
        command = [sys.executable, "-m", "autograder", "grade", str(self.subs), "--course", str(self.course),
                   "--out", str(self.out), "--workers", str(WORKERS), "--no-gradebook", "--autodiff", mode,
                   "--test-timeout", str(TEST_SECONDS), "--cell-timeout", str(CELL_SECONDS),
                   "--submission-timeout", str(SUBMISSION_SECONDS)]
        started = time.perf_counter()
        self.completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=1200,
                                        env={**os.environ, "BFS_TEST_SEED": SEED})
        self.seconds = time.perf_counter() - started
        time.sleep(1)
        self.after = file_hashes(self.subs, self.course)
        self.processes_after = sandbox_processes(MARKER)
        self.results = {path.parent.name: SubmissionResult.from_json(json.loads(path.read_text()))
                        for path in (self.out / ASSIGNMENT.name).glob(f"*/{NOTEBOOK}.result.json")}
        print(f"\nautodiff batch ({mode}): {len(self.results)} submissions in {self.seconds:.0f} s")

    def result(self, student: str) -> SubmissionResult:
        assert student in self.results, (f"no result for {student}; the grader said:\n"
                                         f"{self.completed.stdout[-3000:]}\n{self.completed.stderr[-3000:]}")
        return self.results[student]

    def tests(self, student: str) -> dict:
        return {t.grade_id: t for t in self.result(student).tests}


def _batch(tmp_path_factory, mode: str, students=tuple(SUBMISSIONS)) -> Batch:
    if not MODE.strong:
        pytest.skip(f"strong sandboxes are unavailable here ({MODE.reason}); the suite checks them")
    return Batch(tmp_path_factory.mktemp(f"autodiff-{mode}"), mode, students)


@pytest.fixture(scope="module")
def failing(tmp_path_factory):
    return _batch(tmp_path_factory, "fail")


@pytest.fixture(scope="module")
def warning(tmp_path_factory):
    return _batch(tmp_path_factory, "warn", WARN_SUBMISSIONS)


def full_marks() -> float:
    return sum(c.points for c in nbgrader_cells(F.source(ASSIGNMENT)) if c.kind == "test")


@pytest.mark.slow
@pytest.mark.parametrize("student", HONEST)
def test_honest_submissions_keep_full_marks(failing, student):
    result = failing.result(student)
    assert failing.completed.returncode == 0, failing.completed.stderr[-3000:]
    assert result.status == "graded" and result.isolation.startswith("strong")
    assert all(t.passed and not t.message for t in result.tests), \
        {t.grade_id: t.message for t in result.tests if not t.passed or t.message}
    assert result.score == result.max_score == full_marks()
    assert not any("autodiff" in note for note in result.notes), result.notes


@pytest.mark.slow
@pytest.mark.parametrize("student", sorted(TARGET_TESTS))
def test_a_derived_gradient_computed_with_autodiff_loses_exactly_its_test(failing, student):
    target, reason = TARGET_TESTS[student]
    tests, honest = failing.tests(student), failing.tests("honest")
    assert list(tests) == list(honest)
    for grade_id, test in tests.items():
        if grade_id == target:
            assert test.points == 0, f"{grade_id} should have failed: {test.message}"
            assert re.search(reason, test.message), f"expected /{reason}/ in:\n{test.message}"
            assert test.message.rstrip().endswith(WHY) or WHY in test.message
        else:
            assert test.points == honest[grade_id].points == test.max_points, f"{grade_id}: {test.message}"


@pytest.mark.slow
def test_every_input_file_is_byte_identical_and_no_process_is_left(failing):
    changed = {p for p in failing.before.keys() | failing.after.keys()
               if failing.before.get(p) != failing.after.get(p)}
    assert not changed, sorted(changed)
    assert not failing.processes_after, failing.processes_after


@pytest.mark.slow
@pytest.mark.parametrize("student", sorted(set(TARGET_TESTS) & set(WARN_SUBMISSIONS)))
def test_with_autodiff_warn_the_points_stay_and_the_warning_is_reported(warning, student):
    target, reason = TARGET_TESTS[student]
    result = warning.result(student)
    assert result.score == result.max_score == full_marks(), \
        {t.grade_id: t.message for t in result.tests if not t.passed}
    test = next(t for t in result.tests if t.grade_id == target)
    assert test.message.startswith("warning (--autodiff warn): ") and re.search(reason, test.message)
    assert [t.grade_id for t in result.tests if t.message] == [target]
    notes = [note for note in result.notes if note.startswith(f"test '{target}': warning")]
    assert len(notes) == 1 and re.search(reason, notes[0]), result.notes
    gradescope = json.loads((warning.out / ASSIGNMENT.name / student / "results.json").read_text())
    assert re.search(reason, gradescope["output"]) and gradescope["score"] == full_marks()
    assert "note(s)" in warning.completed.stdout


@pytest.mark.slow
def test_with_autodiff_warn_honest_submissions_have_no_warning(warning):
    for student in set(HONEST) & set(WARN_SUBMISSIONS):
        result = warning.result(student)
        assert result.score == full_marks() and not any(t.message for t in result.tests)
        assert not any("autodiff" in note for note in result.notes)


# ============================================================================ the course's rule

def test_the_manifest_names_the_release_rules_backward_functions_and_their_checkpoints():
    """The grader reads ``derived`` from the manifest; the release rules (tests/release_rules)
    name the same functions: the BACKWARD ones and the checkpoints that prepare them."""
    import importlib

    for item in ASSIGNMENTS:
        if not item.source.exists():
            continue
        rules = importlib.import_module(f"tests.release_rules.a{item.name}")
        expected = set(rules.BACKWARD) | {c for f in rules.BACKWARD for c in rules.CHECKPOINTS.get(f, ())}
        assert set(item.derived) == expected, item.name
        assert derived_functions(item.name) == expected
        assert expected <= set(graded_functions(F.source(item))), item.name
    assert derived_functions("no_such_assignment") == frozenset()


def test_the_findings_read_only_well_formed_records():
    from autograder.grader.derived import findings

    label = {0: "your cell 1"}.get
    assert findings("f", None, label) == findings("f", "garbage", label) == findings("f", {}, label) == []
    assert findings("f", {"uses": {"torch.autograd.grad": 2, 5: 1, "x": "many"}}, label) == \
        ["f computed its result with torch.autograd.grad"]
    assert findings("f", {"uses": {"import jax": 1}}, label) == ["f computed its result with an import of jax"]
    made = findings("f", {"data": [{"cell": 0, "name": "t\x1b[2J", "uses": {"Tensor.backward": 1}},
                                   {"cell": 7, "name": "u"}, "junk"]}, label)
    assert made == ["f used `t??2J`, made by your cell 1 while it computed gradients with Tensor.backward"]
    assert findings("f", {"tampering": ["torch.autograd.grad was replaced", 3]}, label) == [
        "f removed the autodiff recorder (torch.autograd.grad was replaced): the grader cannot tell "
        "whether it used autodiff, so it counts as if it had"]


# ============================================================================ one sandbox

@pytest.fixture
def sandbox(tmp_path):
    if not MODE.strong:
        pytest.skip(f"strong sandboxes are unavailable here ({MODE.reason})")
    from autograder.grader.worker import make_shell, warm_up
    from autograder.sandbox.isolation import Policy, default_readonly_paths
    from autograder.sandbox.session import Sandbox

    warm_up()
    box = Sandbox(Policy(readonly_paths=default_readonly_paths(), memory_bytes=2**30), MODE, str(tmp_path),
                  make_shell)
    box.start()
    yield box
    box.stop()


def _deadline():
    return time.monotonic() + 60


def _record(box, function: str, *args):
    import numpy as np

    try:
        box.call(function, tuple(np.asarray(a, dtype=float) for a in args), {}, _deadline())
    except Exception:
        pass
    return box.last_autodiff


def test_what_the_recorders_see(sandbox):
    assert sandbox.exec_cell(code("""
        import numpy as np, torch
        import torch.autograd.forward_ad as fwAD
        import torch.autograd.graph
        from torch.autograd.functional import jacobian

        def forward_only(x):
            return torch.tanh(torch.from_numpy(x)).numpy()
        def vmapped(x):
            return torch.func.vmap(torch.tanh)(torch.from_numpy(x)).numpy()
        def by_hand(x):
            return 1 - np.tanh(x) ** 2
        def forward_mode(x):
            with fwAD.dual_level():
                dual = fwAD.make_dual(torch.from_numpy(x), torch.ones(len(x), dtype=torch.float64))
                return fwAD.unpack_dual(torch.tanh(dual)).tangent.numpy()
        def functional(x):
            return jacobian(torch.tanh, torch.from_numpy(x)).diagonal().numpy()
        def jacfwd(x):
            return torch.func.jacfwd(torch.tanh)(torch.from_numpy(x)).diagonal().numpy()
        def engine_directly(x):
            xt = torch.from_numpy(x).requires_grad_()
            out = torch.tanh(xt).sum()
            torch.autograd.graph._engine_run_backward((out,), (torch.ones(()),), False, False, (xt,), False, True)
            return xt.grad.numpy()
        def swap_and_restore(x):
            variable = torch.autograd.graph.Variable
            mine = vars(variable)["_execution_engine"]
            variable._execution_engine = vars(mine)["_engine"]
            xt = torch.from_numpy(x).requires_grad_()
            torch.tanh(xt).sum().backward()
            variable._execution_engine = mine
            return xt.grad.numpy()
        def imports_jax(x):
            import jax
    """), _deadline())["ok"]
    x = [0.5, -1.0]
    for clean in ("forward_only", "vmapped", "by_hand"):
        assert _record(sandbox, clean, x) is None, clean
    assert _record(sandbox, "forward_mode", x) == {"uses": {"torch.autograd.forward_ad": 2}}   # make, unpack
    assert _record(sandbox, "functional", x) == {"uses": {"torch.autograd.functional.jacobian": 1}}
    assert _record(sandbox, "jacfwd", x) == {"uses": {"torch.func.jacfwd": 1}}
    assert _record(sandbox, "engine_directly", x)["uses"] == {
        "the autograd engine (Variable._execution_engine.run_backward)": 1}
    swapped = _record(sandbox, "swap_and_restore", x)
    assert swapped["tampering"] == ["Variable._execution_engine was replaced"], swapped
    assert _record(sandbox, "by_hand", x) is None, "the recorders are back after a swap"
    assert _record(sandbox, "imports_jax", x) == {"uses": {"import jax": 1}}


def test_a_function_holding_an_original_behind_its_recorder_is_found(sandbox):
    assert sandbox.exec_cell(code("""
        import numpy as np, torch
        _grad = [c.cell_contents for c in torch.autograd.grad.__closure__ if callable(c.cell_contents)][0]
        def holds_original(x):
            return x if _grad is None else x
    """), _deadline())["ok"]
    assert _record(sandbox, "holds_original", [1.0]) == {"data": [{"original": "torch.autograd.grad"}]}
