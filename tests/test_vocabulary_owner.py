"""One owner of the cell vocabulary: no module but ``autograder/cells.py`` reads or writes
nbgrader's cell metadata by its raw keys or spells a cell marker. Everything else asks
``autograder.cells`` (``classify``, ``grade_id_of``, ``new_cell``, ``to_metadata``, the marker
constants and helpers).

The patterns are assembled here from pieces, so that this file does not match them itself.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from autograder import cells

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ("autograder", "coursebuild", "coursekit", "tools", "tests", "benchmarks")
OWNER = "autograder/cells.py"
ALLOWED = {
    OWNER: "the vocabulary itself",
    "tests/test_cells.py": "the vocabulary's own test: it feeds classify raw nbgrader metadata",
    # Issue 15 requires these to pass *untouched* (they prove that behaviour did not change);
    # they build tampered and nbgrader-made notebooks by hand.
    "tests/grader/test_adversarial.py": "frozen behaviour proof (issue 15)",
    "tests/test_nbgrader_roundtrip.py": "frozen behaviour proof (issue 15)",
}
KEY = "nb" + "grader"
QUOTE = "[\"']"
RAW_METADATA = [
    re.compile(rf"\[\s*{QUOTE}{KEY}{QUOTE}\s*\]"),                      # cell.metadata["..."]
    re.compile(rf"\.(?:get|pop|setdefault)\(\s*{QUOTE}{KEY}{QUOTE}"),     # .get("...")
    re.compile(rf"metadata\.{KEY}\b"),                                  # cell.metadata.<key>
    re.compile(rf"metadata\s*=\s*\{{\s*{QUOTE}{KEY}{QUOTE}"),            # metadata={"...": ...}
    re.compile(rf"{QUOTE}{KEY}{QUOTE}\s*:\s*\{{\s*\*\*|{QUOTE}{KEY}{QUOTE}\s*:\s*\{{\s*{QUOTE}"
               rf"(?:grade|solution|locked|grade_id|points|task|schema_version){QUOTE}"),   # {"...": {"grade": ..}}
    re.compile(rf"\b{KEY}_metadata\b"),                                # the old raw accessor
]
MARKERS = tuple(marker.removeprefix("### ") for marker in cells.RELEASE_FORBIDDEN)


def offences(text: str) -> list[str]:
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        for pattern in RAW_METADATA:
            if pattern.search(line):
                found.append(f"line {number}: raw metadata: {line.strip()[:100]}")
        for marker in MARKERS:
            if marker in line:
                found.append(f"line {number}: spells the marker {marker!r}: {line.strip()[:100]}")
    return found


def scanned_files() -> list[Path]:
    return sorted(path for folder in SCANNED for path in (ROOT / folder).rglob("*.py")
                  if "__pycache__" not in path.parts)


def test_the_allowed_files_exist():
    missing = [name for name in ALLOWED if not (ROOT / name).is_file()]
    assert not missing, f"stale entries in ALLOWED: {missing}"


def test_no_module_but_the_vocabulary_reads_raw_metadata_or_spells_markers():
    report = {}
    for path in scanned_files():
        name = path.relative_to(ROOT).as_posix()
        if name in ALLOWED:
            continue
        found = offences(path.read_text(encoding="utf-8"))
        if found:
            report[name] = found
    assert not report, ("use autograder.cells (classify, grade_id_of, new_cell, to_metadata, the markers) "
                        "instead of nbgrader's raw metadata and marker text:\n"
                        + "\n".join(f"{name}: {line}" for name, lines in report.items() for line in lines))


@pytest.mark.parametrize("line", [
    'grade_id = cell.metadata["' + KEY + '"]["grade_id"]',
    "meta = cell.get('metadata', {}).get('" + KEY + "', {})",
    "cell.metadata." + KEY + ".update(points=3)",
    'made.metadata["' + KEY + '"] = {**meta}',
    'new_code_cell("pass", metadata={"' + KEY + '": {"grade": True}})',
    'text.partition("### ' + "BEGIN HIDDEN" + ' TESTS")',
    'MARKERS = ("### BEGIN ' + 'SOLUTION",)',
])
def test_the_check_catches_each_form(line):
    assert offences(line), line


def test_the_check_spares_what_is_not_cell_metadata():
    assert not offences('resources = {"' + KEY + '": {"notebook": name, "db_url": url}}')
    assert not offences("from " + KEY + ".api import Gradebook")
    assert offences(Path(ROOT / OWNER).read_text(encoding="utf-8")), "the owner itself must match"
