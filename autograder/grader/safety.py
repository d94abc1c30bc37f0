"""Names and text from submissions, made safe to store and to show.

- ``plain_name(text)``: whether a student id (a folder or file name from a submission) may
  name a folder of the output: letters, digits and ``. _ - @ +``, not starting with a dot
  or a sign, at most 100 characters. Anything else (``..``, ``=HYPERLINK(...)``, escape
  sequences, slashes, newlines) is refused with a result row under ``refused_id(text)``;
- ``printable(text)``: ``text`` with every control character (C0, DEL, C1, and the bidi
  overrides) shown as an escape, for the terminal summary and the log.
"""

from __future__ import annotations

import hashlib
import re

_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def plain_name(text: str) -> bool:
    return bool(_PLAIN.fullmatch(text)) and text not in (".", "..")


def refused_id(text: str) -> str:
    """A stable, plain id for a refused name: ``refused-<12 hex digits of its sha256>``."""
    return "refused-" + hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:12]


def printable(text) -> str:
    return _CONTROL.sub(lambda match: match.group().encode("unicode_escape").decode("ascii"), str(text))
