"""Derived gradients: which graded functions must not use autodiff, and what a use costs.

The course says which graded functions are *derived* (their gradient is the student's to work
out by hand: the backward passes and the checkpoints that prepare them) in its manifest,
``coursebuild.course.ASSIGNMENTS[...].derived``, read here at grading time. Every other
function may use PyTorch as it likes (06 compares the students' networks with autograd).

The sandbox reports, with each call's reply, the autodiff entries the call used, the data
made with autodiff at a cell's top level that the function reached, and whether its recorders
were removed (``autograder.sandbox.autodiff``). ``findings`` turns that (untrusted) record of
a derived function's call into sentences; the runner fails the test with them, or, with
``--autodiff warn``, keeps its points and reports them as a warning.
"""

from __future__ import annotations

import re

WHY = ("this assignment asks you to derive the gradient by hand (autodiff libraries are "
       "allowed only to check your work, outside graded functions)")
MAX_TEXT = 100


def derived_functions(assignment: str) -> frozenset[str]:
    """The derived graded functions of ``assignment`` (a folder name such as "01_derivatives");
    none for an assignment the course's manifest does not know."""
    try:
        from coursebuild.course import ASSIGNMENTS
    except ImportError:
        return frozenset()
    for item in ASSIGNMENTS:
        if item.name == assignment:
            return frozenset(getattr(item, "derived", ()))
    return frozenset()


def findings(name: str, record, cell_label) -> list[str]:
    """Sentences saying how the call of derived function ``name`` used autodiff, from the
    sandbox's ``record`` (anything; only well-formed parts are read). ``cell_label(index)``:
    the label of the sandbox's index-th cell ("your cell 5"), or None for the instructor's
    own (provided) cells, whose data is not the student's."""
    if not isinstance(record, dict):
        return []
    found = []
    uses = _uses(record.get("uses"))
    if uses:
        found.append(f"{name} computed its result with {_list(uses)}")
    for origin in (record.get("data") if isinstance(record.get("data"), list) else [])[:10]:
        if not isinstance(origin, dict):
            continue
        if isinstance(origin.get("original"), str):
            found.append(f"{name} holds the original {_text(origin['original'])}, taken from behind "
                         "the grader's autodiff recorder")
            continue
        label = cell_label(origin.get("cell"))
        if label is None:
            continue
        what = _text(origin.get("name")) or "data"
        uses, removed = _uses(origin.get("uses")), _tampering(origin.get("tampering"))
        how = " and ".join(filter(None, [uses and f"computed gradients with {_list(uses)}",
                                         removed and f"removed the autodiff recorder ({removed})"]))
        found.append(f"{name} used `{what}`, made by {label} while it {how or 'used autodiff'}")
    removed = _tampering(record.get("tampering"))
    if removed:
        found.append(f"{name} removed the autodiff recorder ({removed}): the grader cannot tell "
                     "whether it used autodiff, so it counts as if it had")
    return list(dict.fromkeys(found))


def message(found: list[str]) -> str:
    return "; ".join(found) + ": " + WHY


def _uses(uses) -> list[str]:
    if not isinstance(uses, dict):
        return []
    return [_phrase(_text(key)) for key, count in list(uses.items())[:10]
            if isinstance(key, str) and isinstance(count, int) and count > 0]


def _phrase(entry: str) -> str:
    return f"an import of {entry[len('import '):]}" if entry.startswith("import ") else entry


def _list(items: list[str]) -> str:
    items = list(dict.fromkeys(items))
    return items[0] if len(items) < 2 else ", ".join(items[:-1]) + " and " + items[-1]


def _tampering(what) -> str:
    if not isinstance(what, list):
        return ""
    return "; ".join(_text(item) for item in what[:5] if isinstance(item, str))


def _text(value) -> str:
    """A name from the sandbox, as plain short text."""
    return re.sub(r"[^\w.()\- ]", "?", value)[:MAX_TEXT] if isinstance(value, str) else ""
