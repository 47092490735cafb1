"""How commands print: tables for people, lines for programs, JSON on request.

On a terminal a listing is a table. When stdout is not a terminal (a pipe,
a file) it is plain text, one record per line, fields separated by tabs in
the order the table shows them, no header, nothing wrapped or cut: a
script can read ids with ``cut -f1``. ``--json`` prints one JSON document
whose shape docs/operations.md lists. Text that came from someone else (a
report's summary, a member's name) never carries a tab, a line break or a
control character into the output.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text


def to_terminal() -> bool:
    return sys.stdout.isatty()


# Soft wrap off a terminal: rich would otherwise break long lines at 80 columns.
out = Console(highlight=False, soft_wrap=not to_terminal())


def one_line(value: object) -> str:
    """``value`` as text without tabs, line breaks, control or bidirectional
    characters (str.isprintable is false for all of them)."""
    text = "" if value is None else str(value)
    return "".join(c if c.isprintable() else " " for c in text)


def emit_json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True))


def print_table(columns: Sequence[str], rows: Sequence[Sequence[object]], *,
                keep_whole: int = 1, alarm: Sequence[bool] = ()) -> None:
    """A table on a terminal, tab-separated lines elsewhere. The first
    ``keep_whole`` columns (ids) are never wrapped or cut, even on a narrow
    terminal; rows flagged in ``alarm`` are shown in red there."""
    if not to_terminal():
        for row in rows:
            print("\t".join(one_line(cell) for cell in row))
        return
    table = Table()
    for index, name in enumerate(columns):
        if index < keep_whole:
            width = max([len(name), *(len(one_line(row[index])) for row in rows)])
            table.add_column(name, no_wrap=True, min_width=width)
        else:
            table.add_column(name, overflow="fold")
    for index, row in enumerate(rows):
        style = "bold red" if index < len(alarm) and alarm[index] else None
        # Text, not str: rich would read "[...]" in a report's summary as markup.
        table.add_row(*(Text(one_line(cell)) for cell in row), style=style)
    out.print(table)


def warn(line: str) -> None:
    """One line on stderr that does not stop the command."""
    print(f"candor: warning: {line}", file=sys.stderr)
