"""docs/operations.md: every procedure names a test, and every test it names
exists (a renamed test must take the runbook with it)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "operations.md"
# `tests/x.py::name`, `tests/x.py`, or `::name` (in the file named before it).
_REF = re.compile(r"`(tests/[\w/]+\.py)?(?:::(\w+))?`")


def _named_tests(text: str) -> list[tuple[str, str | None]]:
    found, current = [], None
    for match in _REF.finditer(text):
        path, name = match.groups()
        if path is None and name is None:
            continue
        current = path or current
        assert current is not None, f"::{name} before any test file"
        found.append((current, name))
    return found


def _defined(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}


def test_every_named_test_exists() -> None:
    named = _named_tests(DOC.read_text())
    assert len(named) >= 20
    for path, name in named:
        assert (ROOT / path).is_file(), path
        if name is not None:
            assert name in _defined(ROOT / path), f"{path}::{name}"


def test_every_procedure_names_a_test() -> None:
    sections = re.split(r"^## ", DOC.read_text(), flags=re.MULTILINE)[1:]
    titles = [s.splitlines()[0] for s in sections]
    assert titles[:1] == ["The command line as an installed tool"]
    for section in sections:
        assert _named_tests(section), f"no test named under '{section.splitlines()[0]}'"
    for required in ("Renewal", "Joiners and leavers", "A member who lost their key file",
                     "All admins lost", "A lapse", "Backups and restore", "Alerts",
                     "Retention and legal hold", "A drill"):
        assert any(t.startswith(required) for t in titles), required
