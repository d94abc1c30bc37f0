"""Grade one submission: run its plan, student code in a sandbox, tests in this process.

The runner walks the plan. ``run`` steps execute in the sandbox (a cell that raises is
noted, as in nbgrader, and the notebook goes on). ``test`` steps execute here, against
``StudentFunction`` proxies. If the sandbox dies or times out, the test that was running
fails with the reason; before the next step a fresh sandbox replays the student's cells so
far (skipping any cell that itself killed the sandbox), so one bad function costs only the
tests that call it.

A derived function (see ``derived``) whose call used autodiff fails the test that called it
(or, with ``--autodiff warn``, keeps its points with a warning in the test's message and the
notes).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from ..config import GraderConfig
from ..sandbox.isolation import Mode, Policy
from ..sandbox.session import Sandbox, SandboxFailure, StudentFunction
from ..testcell import TestOutcome, run_test_cell
from . import derived as derived_rules
from .plan import Plan, Step

MAX_RESTARTS = 20


@dataclass
class RunOutcome:
    tests: list[TestOutcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    output: str = ""


class SubmissionRunner:
    def __init__(self, plan: Plan, graded_names: list[str], policy: Policy, mode: Mode,
                 root_dir: str, shell_factory, limits: GraderConfig, spawner=None,
                 derived: frozenset[str] = frozenset()):
        """``limits``: the grader's settings (the time limits, ``autodiff``); ``derived``: the
        graded functions whose gradients the student must derive (no autodiff)."""
        self.plan, self.graded_names, self.limits = plan, graded_names, limits
        self.derived = derived
        self.cells: list[Step] = []         # the cells run in the current sandbox, in order
        self.autodiff_findings: list[str] = []   # of the test in progress
        self.make_sandbox = lambda: Sandbox(policy, mode, root_dir, shell_factory, spawner)
        self.sandbox: Sandbox | None = None
        self.done: list[Step] = []          # run steps executed so far, for replays
        self.poisoned: set[int] = set()     # indexes (in self.done) of cells that kill the sandbox
        self.deadline = 0.0
        self.failure: str | None = None
        self.restarts = 0
        self.outcome = RunOutcome()
        self._outputs: list[str] = []

    # ------------------------------------------------------------------ public
    def run(self) -> RunOutcome:
        end = time.monotonic() + self.limits.submission_seconds
        try:
            for step in self.plan.steps:
                if time.monotonic() > end:
                    self._out_of_time(step)
                elif step.kind == "run":
                    self._run_cell(step)
                else:
                    self._run_test(step)
        finally:
            self._retire_sandbox()
        self.outcome.output = "\n".join(text for text in self._outputs if text.strip())
        return self.outcome

    def call(self, name: str, args: tuple, kwargs: dict):
        """Called by the proxies in a test cell."""
        if self.failure:
            raise SandboxFailure(self.failure)
        sandbox = self.sandbox
        try:
            return sandbox.call(name, args, kwargs, self.deadline)
        except SandboxFailure as failure:
            self.failure = failure.reason
            raise
        finally:
            if name in self.derived:
                self.autodiff_findings += derived_rules.findings(
                    name, getattr(sandbox, "last_autodiff", None), self._cell_label)

    # ------------------------------------------------------------------ steps
    def _run_cell(self, step: Step) -> None:
        if not self._ensure_sandbox():
            return
        self.done.append(step)
        error = self._exec(len(self.done) - 1)
        if error:
            self.outcome.notes.append(f"{step.label} {error}")

    def _run_test(self, step: Step) -> None:
        namespace = {"__name__": "__test__"}
        namespace.update({name: StudentFunction(name, self) for name in self.graded_names})
        if not self._ensure_sandbox():
            self.outcome.tests.append(TestOutcome.failed(step.grade_id, step.points,
                                                         "your notebook's code could not be run: "
                                                         + (self.failure or "the sandbox failed")))
            return
        self.failure = None
        self.autodiff_findings = []
        self.deadline = time.monotonic() + self.limits.test_seconds
        try:
            cell = run_test_cell(step.source, namespace, grade_id=step.grade_id, max_points=step.points)
            result = TestOutcome(step.grade_id, cell.points, step.points, cell.message)   # not its output
        except SandboxFailure as failure:
            result = TestOutcome.failed(step.grade_id, step.points, f"your code {failure.reason} while this test ran")
        if self.failure and result.passed:   # the test swallowed the failure: it still failed
            result = TestOutcome.failed(step.grade_id, step.points, f"your code {self.failure} while this test ran")
        if self.autodiff_findings:
            result = self._autodiff_outcome(result, derived_rules.message(list(dict.fromkeys(self.autodiff_findings))))
        self.outcome.tests.append(result)
        if self.sandbox is not None and self.sandbox.alive:
            try:
                self.sandbox.release(time.monotonic() + 10)
            except SandboxFailure:
                pass

    def _autodiff_outcome(self, result: TestOutcome, text: str) -> TestOutcome:
        """The test's outcome once a derived function's call was found using autodiff."""
        if self.limits.autodiff == "warn":
            self.outcome.notes.append(f"test '{result.grade_id}': warning (--autodiff warn): {text}")
            return TestOutcome(result.grade_id, result.points, result.max_points,
                               "\n".join(filter(None, [f"warning (--autodiff warn): {text}", result.message])))
        return TestOutcome.failed(result.grade_id, result.max_points,
                                  "\n".join(filter(None, [text, result.message])))

    def _cell_label(self, index: int) -> str | None:
        """The label of the ``index``-th cell run in the current sandbox; None for a provided
        (instructor's) cell or an index the runner never sent."""
        if not isinstance(index, int) or not 0 <= index < len(self.cells):
            return None
        step = self.cells[index]
        return None if step.provided else step.label

    def _out_of_time(self, step: Step) -> None:
        if step.kind == "test":
            self.outcome.tests.append(TestOutcome.failed(
                step.grade_id, step.points,
                f"not run: the submission used up its total time of {self.limits.submission_seconds:.0f} s"))

    # ------------------------------------------------------------------ sandbox
    def _exec(self, index: int) -> str | None:
        """Execute ``self.done[index]``; a description of what went wrong, or None."""
        step = self.done[index]
        self.cells.append(step)
        try:
            reply = self.sandbox.exec_cell(step.source, time.monotonic() + self.limits.cell_seconds)
        except SandboxFailure as failure:
            self.poisoned.add(index)
            self._retire_sandbox()
            reason = failure.reason
            if "time limit" in reason:
                reason += f" of {self.limits.cell_seconds:.0f} s per cell"
            return f"stopped the notebook: it {reason}; it was skipped when the notebook was restarted"
        if reply.get("ok"):
            return None
        error = reply.get("error") or {}
        return f"raised {error.get('type')}: {str(error.get('message'))[:300]}"

    def _ensure_sandbox(self) -> bool:
        """A live sandbox with every (non-poisoned) cell so far replayed in it."""
        while self.sandbox is None or not self.sandbox.alive:
            self._retire_sandbox()
            if self.restarts > MAX_RESTARTS:
                self.failure = "kept crashing; grading stopped"
                return False
            self.restarts += 1
            self.sandbox = self.make_sandbox()
            self.cells = []
            self.sandbox.start()
            for index in range(len(self.done)):
                if index not in self.poisoned:
                    error = self._exec(index)
                    if index in self.poisoned:
                        self.outcome.notes.append(f"{self.done[index].label} {error}")
                        break
        return True

    def _retire_sandbox(self) -> None:
        if self.sandbox is not None:
            self.sandbox.stop()
            self._outputs.append(self.sandbox.output())
            self.sandbox = None
