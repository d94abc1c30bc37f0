"""Copies of the arrays inside a value, to tell afterwards whether a call changed them in place.

Used on both sides of the sandbox: ``checks.call`` (a test's view: did the student's
function modify its inputs?) and the sandbox's agent (which changes to mirror back to the
test's own arrays).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


def snapshot(value):
    """Copies of every array inside ``value``, mirroring its container structure (dicts stay
    dicts, lists and tuples become lists); anything else becomes None."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, Mapping):
        return {key: snapshot(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [snapshot(item) for item in value]
    return None
