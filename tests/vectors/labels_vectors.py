"""labels.json: what a reporter-controlled name becomes as a label and as a
file name (candor/labels.py and its twin frontend/src/lib/labels.ts)."""

from __future__ import annotations

from datetime import date
from typing import Any

from candor.keyfile import rotated_key_file_name
from candor.labels import plain_label, plain_text, safe_file_name

CASES: list[tuple[str, Any]] = [
    ("plain", "invoice.pdf"),
    ("right-to-left override", "invoice\u202efdp.exe"),
    ("isolates and marks", "\u2067report\u2069\u200e.pdf\u200f"),
    ("zero-width characters", "pay\u200broll\u200d\u2060.xlsx"),
    ("byte order mark", "\ufeffnotes.txt"),
    ("controls and newlines", "line\none\ttab\r\x00\x7f\x85.txt"),
    ("line and paragraph separators", "a\u2028b\u2029c"),
    ("compatibility forms (NFKC)", "\uff49\uff4e\uff56\uff4f\uff49\uff43\uff45\u2024pdf"),
    ("path characters", '../..\\etc/passwd:*?"<>|'),
    ("leading dots and spaces", " ..  .hidden"),
    ("only format characters", "\u202e\u200b"),
    ("empty", ""),
    ("not a string", 42),
    ("null", None),
    ("arabic name", "\u062a\u0642\u0631\u064a\u0631.pdf"),
    ("emoji kept whole", "\U0001f4f8 screenshot.png"),
    ("long", "x" * 119 + "\U0001f4f8" + "y" * 10),
    ("private use", "secret\ue000.txt"),
    ("terminal escape sequences", "Hi\x1b[2J\x1b]0;pwned\x07 there\r\nnext\tline\n"),
]


def cases() -> list[dict[str, Any]]:
    return [{"name": name, "input": value, "label": plain_label(value),
             "file_name": safe_file_name(value), "text": plain_text(value)}
            for name, value in CASES]


NAMES = ["Ada Lovelace", "Jürgen  O'Neil", "Zoë Ødegård-Smith", "  ", "李 小龍", "R2-D2 (bot)",
         "\u202eevil name"]


def key_file_names() -> list[dict[str, str]]:
    day = date(2026, 11, 30)
    return [{"name": n, "day": day.isoformat(), "file_name": rotated_key_file_name(n, day)}
            for n in NAMES]


def generate() -> None:
    from generate_vectors import _write

    _write("labels.json", {
        "description": "protocol §6: reporter-controlled names as labels and file names. "
        "label: NFKC, without \\p{Cc} \\p{Cf} \\p{Zl} \\p{Zp} \\p{Cs} \\p{Co} \\p{Cn}, "
        "trimmed, at most 120 code points; file_name: the label with / \\ : * ? \" < > | "
        "as _, leading dots and spaces dropped, attachment.bin when empty; text: like the label "
        "but keeping \\n and \\t, not trimmed or cut. key_file_names: the file a key "
        "rotation writes, <name>-<date>.candor-key (candor/keyfile.py, lib/keyfile.ts).",
        "cases": cases(),
        "key_file_names": key_file_names(),
    })  # fmt: skip
