"""Registration of catalog entries."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    assignment: str
    target: str          # the graded function this entry replaces
    kind: str            # "bug" or "alternative"
    description: str
    function: Callable
    # bugs only: a phrase the first failure message must contain (case-insensitive), the
    # diagnosis the student needs; or, where no message can tell this bug from others,
    # ``undiagnosable`` says why
    diagnosis: str | None = None
    undiagnosable: str | None = None

    @property
    def id(self) -> str:
        return f"{self.assignment}:{self.target}:{self.function.__name__}"


ENTRIES: list[Entry] = []


def _register(kind: str, target: str, description: str, **diagnosis):
    def decorate(function: Callable) -> Callable:
        assignment = sys.modules[function.__module__].ASSIGNMENT
        ENTRIES.append(Entry(assignment, target, kind, description, function, **diagnosis))
        return function
    return decorate


def bug(target: str, description: str, *, diagnosis: str | None = None,
        undiagnosable: str | None = None):
    """Mark ``function`` as a wrong implementation of ``target`` that the tests must catch,
    with a first failure message containing ``diagnosis`` (or ``undiagnosable``: why no
    message can name this mistake)."""
    if diagnosis and undiagnosable:
        raise ValueError(f"{target}: a bug has a diagnosis or a reason it has none, not both")
    return _register("bug", target, description, diagnosis=diagnosis, undiagnosable=undiagnosable)


def alternative(target: str, description: str):
    """Mark ``function`` as a correct implementation of ``target`` that must get full marks."""
    return _register("alternative", target, description)


def load_all() -> list[Entry]:
    """Import every catalog module (once) and return all entries."""
    from tests import bugcatalog

    for module in pkgutil.iter_modules(bugcatalog.__path__):
        if module.name.startswith("a"):
            importlib.import_module(f"tests.bugcatalog.{module.name}")
    return list(ENTRIES)
