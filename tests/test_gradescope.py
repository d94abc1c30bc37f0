"""The Gradescope bundle, run without Gradescope: a simulated /autograder tree.

``python -m autograder gradescope 01_derivatives -o autograder.zip`` builds the bundle; the
test unpacks it as Gradescope does (``<root>/source``, ``run_autograder`` copied to the root),
puts a submission in ``<root>/submission``, runs ``run_autograder`` with ``AUTOGRADER_ROOT``
pointing at the tree, and checks ``<root>/results/results.json`` against Gradescope's
specification (``validate_results``) and against what the submission deserves: a correct, a
buggy, a malformed one, and one that tries to read the instructor's source from its sandbox.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder.gradescope import cells_with_hidden_tests, markdown_block, validate_results
from autograder.sandbox.isolation import probe
from coursebuild.course import ROOT, assignment as find_assignment
from tests.grader import fixtures as F

pytestmark = pytest.mark.slow

ASSIGNMENT = find_assignment("01_derivatives")
NOTEBOOK = ASSIGNMENT.notebook_id
MODE = probe()


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("gradescope")
    course = base / "course"
    shutil.copytree(ASSIGNMENT.source.parent, course / "solutions" / ASSIGNMENT.name)
    shutil.copytree(F.release_folder(ASSIGNMENT), course / "notebooks" / ASSIGNMENT.name)
    out = base / "autograder.zip"
    done = subprocess.run([sys.executable, "-m", "autograder", "gradescope", ASSIGNMENT.name, "-o", str(out),
                           "--course", str(course)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return out


def test_the_bundle_holds_what_gradescope_and_the_grader_need(bundle):
    with zipfile.ZipFile(bundle) as archive:
        names = set(archive.namelist())
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
        settings = json.loads(archive.read("gradescope.json"))
        requirements = archive.read("requirements.txt").decode()
    assert {"setup.sh", "run_autograder"} <= names                       # at the root of the zip
    assert all(modes[name] & stat.S_IXUSR for name in ("setup.sh", "run_autograder"))
    assert f"course/solutions/{ASSIGNMENT.name}/{ASSIGNMENT.notebook}" in names
    assert {"autograder/__init__.py", "autograder/grader/batch.py", "coursekit/__init__.py"} <= names
    # the manifest (which functions are derived: autodiff there costs the test). The simulation
    # below runs this repo's interpreter, which could import it from the repo instead.
    assert "coursebuild/course.py" in names
    # the instructor's source is only under course/ (which no sandbox mounts); no tests, no repo
    sources = [n for n in names if n.endswith(ASSIGNMENT.notebook) and "solutions/" in n]
    assert sources == [f"course/solutions/{ASSIGNMENT.name}/{ASSIGNMENT.notebook}"]
    assert not [n for n in names if n.startswith(("tests/", ".venv/", "solutions/", ".git"))]
    assert settings == {"assignment": ASSIGNMENT.name, "notebooks": [NOTEBOOK],
                        "hidden_visibility": "after_published", "require_isolation": True, "grader": {}}
    pins = [line for line in (ROOT / "requirements.txt").read_text().splitlines() if "==" in line]
    assert [line for line in requirements.splitlines() if "==" in line] == pins
    assert "-e ." not in requirements.splitlines()


def simulate(bundle: Path, tmp_path: Path, submission: bytes | None, name: str = f"{NOTEBOOK}.ipynb") -> dict:
    """Lay out /autograder as Gradescope does, run run_autograder, return results.json."""
    root = tmp_path / "autograder"
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(root / "source")
    for script in ("setup.sh", "run_autograder"):
        (root / "source" / script).chmod(0o755)
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    if submission is not None:
        (root / "submission" / name).write_bytes(submission)
    done = subprocess.run(["bash", str(root / "run_autograder")], capture_output=True, text=True, timeout=900,
                          env={**os.environ, "AUTOGRADER_ROOT": str(root), "BFS_GRADESCOPE_PYTHON": sys.executable})
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((root / "results" / "results.json").read_text())
    validate_results(results)
    return results


def notebook_bytes(nb) -> bytes:
    import nbformat

    return nbformat.writes(nb).encode()


def graded_entries(results: dict) -> list[dict]:
    return [t for t in results["tests"] if "score" in t]


def test_a_correct_submission_gets_every_autograded_point_and_pending_written_answers(bundle, tmp_path):
    if not MODE.strong:
        pytest.skip(f"the bundle refuses weak sandboxes, and namespaces are unavailable here ({MODE.reason})")
    results = simulate(bundle, tmp_path, notebook_bytes(F.honest(ASSIGNMENT)))
    graded = graded_entries(results)
    hidden = cells_with_hidden_tests(ASSIGNMENT.source)
    assert graded and all(t["status"] == "passed" and t["score"] == t["max_score"] > 0 for t in graded)
    assert results["score"] == sum(t["score"] for t in graded)
    for test in graded:
        cell = test["name"].split(": ", 1)[1]
        assert test["visibility"] == ("after_published" if cell in hidden else "visible")
        assert test["output_format"] == "md"
    pending = [t for t in results["tests"] if t.get("extra_data", {}).get("pending")]
    assert pending, "01 has written answers: they must be listed"
    assert all("score" not in t and "max_score" not in t and "status" not in t for t in pending)
    assert results["extra_data"]["pending_manual_points"] == sum(t["extra_data"]["max_points"] for t in pending)
    assert results["execution_time"] > 0 and results["output_format"] == "md"


def test_a_buggy_submission_loses_the_buggy_functions_points_with_a_message(bundle, tmp_path):
    if not MODE.strong:
        pytest.skip(f"namespaces are unavailable here ({MODE.reason})")
    entry = next(e for e in F.catalog(ASSIGNMENT) if e.target == "tanh_grad")
    results = simulate(bundle, tmp_path, notebook_bytes(F.buggy(ASSIGNMENT, entry)), name="my work.ipynb")
    by_cell = {t["name"].split(": ", 1)[1]: t for t in graded_entries(results)}
    assert by_cell["test_tanh_grad"]["status"] == "failed" and by_cell["test_tanh_grad"]["score"] == 0
    assert by_cell["test_tanh_grad"]["output"].startswith("```")
    assert by_cell["test_sigmoid"]["status"] == "passed"
    assert results["score"] == sum(t["score"] for t in by_cell.values()) < sum(t["max_score"] for t in by_cell.values())
    assert "was graded as" in results["output"]        # uploaded under another name


def test_a_derived_gradient_computed_with_autograd_loses_its_points_there_too(bundle, tmp_path):
    """The bundle carries the course's manifest, so the grader knows tanh_grad is derived."""
    if not MODE.strong:
        pytest.skip(f"namespaces are unavailable here ({MODE.reason})")
    nb = F.with_answer(F.honest(ASSIGNMENT), "tanh_grad", (
        "def tanh_grad(x):\n"
        "    import torch\n"
        "    t = torch.tensor(x, requires_grad=True)\n"
        "    (g,) = torch.autograd.grad(torch.tanh(t).sum(), t)\n"
        "    return g.numpy()\n"))
    results = simulate(bundle, tmp_path, notebook_bytes(nb))
    by_cell = {t["name"].split(": ", 1)[1]: t for t in graded_entries(results)}
    assert by_cell["test_tanh_grad"]["score"] == 0
    assert "torch.autograd.grad" in by_cell["test_tanh_grad"]["output"]
    assert "derive the gradient by hand" in by_cell["test_tanh_grad"]["output"]
    assert all(t["status"] == "passed" for name, t in by_cell.items() if name != "test_tanh_grad")


def test_a_malformed_or_missing_submission_gets_zero_and_the_reason(bundle, tmp_path):
    results = simulate(bundle, tmp_path / "malformed", b"{ not json")
    assert results["score"] == 0
    if MODE.strong:
        assert all(t["score"] == 0 for t in graded_entries(results))
        assert "could not be graded" in results["output"]
    missing = simulate(bundle, tmp_path / "missing", None)
    assert missing["score"] == 0 and "No notebook was found" in missing["output"]


def test_the_students_sandbox_cannot_read_the_bundled_source(bundle, tmp_path):
    if not MODE.strong:
        pytest.skip(f"namespaces are unavailable here ({MODE.reason})")
    root = tmp_path / "autograder"
    secret = root / "source" / "course" / "solutions" / ASSIGNMENT.name / ASSIGNMENT.notebook
    settings = root / "source" / "gradescope.json"
    snoop = f'''import numpy as np
def _readable(path):
    try:
        with open(path, "rb") as handle:
            return len(handle.read()) > 0
    except OSError:
        return False
SAW_SOURCE = _readable({str(secret)!r}) or _readable({str(settings)!r})
def sigmoid(x):
    if SAW_SOURCE:
        return 1.0 / (1.0 + np.exp(-x))
    raise RuntimeError("the instructor's source is out of reach")
'''
    results = simulate(bundle, tmp_path, notebook_bytes(F.with_answer(F.honest(ASSIGNMENT), "sigmoid", snoop)))
    assert secret.is_file() and settings.is_file()     # there, for the grader, outside the sandbox
    by_cell = {t["name"].split(": ", 1)[1]: t for t in graded_entries(results)}
    assert by_cell["test_sigmoid"]["score"] == 0, "the sandbox could read the instructor's source"
    assert "out of reach" in by_cell["test_sigmoid"]["output"]
    assert by_cell["test_tanh_grad"]["status"] == "passed"


def test_the_validator_rejects_what_the_specification_does_not_allow():
    good = {"score": 1.0, "execution_time": 2, "output": "x", "output_format": "md", "visibility": "visible",
            "tests": [{"name": "a", "score": 1, "max_score": 1, "status": "passed", "visibility": "after_published",
                       "output": "ok", "output_format": "md"}, {"name": "pending written answer"}]}
    validate_results(good)
    bad = [({"tests": [{"name": "a"}]}, "every test needs one"),
           ({**good, "visibility": "later"}, "visibility"),
           ({**good, "colour": "red"}, "not a field"),
           ({**good, "score": -1}, "negative"),
           ({**good, "score": True}, "bool"),
           ({**good, "tests": [{"score": 2, "max_score": 1}]}, "above max_score"),
           ({**good, "tests": [{"score": 0, "status": "pending"}]}, "status"),
           ({**good, "tests": [{"score": 0, "output_format": "latex"}]}, "output_format")]
    for data, problem in bad:
        with pytest.raises(ValueError, match=problem):
            validate_results(data)


def test_messages_stay_verbatim_in_markdown():
    text = "expected ``x`` got ```y```\n| a | b |"
    block = markdown_block(text)
    fence = block.splitlines()[0]
    assert set(fence) == {"`"} and len(fence) == 4 and block == f"{fence}\n{text}\n{fence}"
