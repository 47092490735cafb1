"""Reporter-controlled strings shown to the team (protocol §6): attachment
names and form answers become labels and file names. The twin of the
browser's ``lib/labels.ts``, pinned by ``tests/vectors/labels.json``.

A label keeps what a reader needs and drops what can mislead: control and
format characters (``\\p{Cc}``, ``\\p{Cf}``: bidi overrides such as U+202E,
which make ``invoice\u202efdp.exe`` read as ``invoiceexe.pdf``, and
zero-width characters) and line or paragraph separators. Display code still
shows a label in isolation (``<bdi>``), so a right-to-left name cannot
reorder the text around it.
"""

from __future__ import annotations

import re
import unicodedata

MAX_LABEL = 120  # code points
FALLBACK_NAME = "attachment.bin"
_DROPPED = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})
_PATH_CHARS = re.compile(r'[/\\:*?"<>|]')


def plain_label(value: object) -> str:
    """NFKC, without control, format, separator, surrogate, private or
    unassigned characters, trimmed, at most MAX_LABEL code points."""
    text = unicodedata.normalize("NFKC", value) if isinstance(value, str) else ""
    kept = "".join(c for c in text if unicodedata.category(c) not in _DROPPED)
    return kept.strip()[:MAX_LABEL]


def plain_text(value: object) -> str:
    """A free text for a terminal or a page: like a label, but keeping line
    breaks and tabs and its whole length, so no escape sequence or bidi
    override from a reporter reaches a team member's terminal or screen."""
    text = unicodedata.normalize("NFKC", value) if isinstance(value, str) else ""
    return "".join(c for c in text if c in "\n\t" or unicodedata.category(c) not in _DROPPED)


def safe_file_name(value: object) -> str:
    """A label that is also a safe file name on every system: no path
    characters, no leading dots or spaces; FALLBACK_NAME when nothing is left."""
    name = _PATH_CHARS.sub("_", plain_label(value)).lstrip(". ")
    return name or FALLBACK_NAME
