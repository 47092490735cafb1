"""Reporter-controlled names as labels and file names (protocol §6), against
tests/vectors/labels.json, which the browser twin (lib/labels.ts) runs too."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from candor.labels import MAX_LABEL, plain_label, plain_text, safe_file_name

CASES = json.loads((Path(__file__).parent / "vectors" / "labels.json").read_text("utf-8"))


@pytest.mark.parametrize("case", CASES["cases"], ids=lambda c: c["name"])
def test_label_vectors(case: dict[str, Any]) -> None:
    assert plain_label(case["input"]) == case["label"]
    assert safe_file_name(case["input"]) == case["file_name"]
    assert plain_text(case["input"]) == case["text"]


def test_a_spoofed_extension_shows_as_it_is() -> None:
    """issue 13 finding 4: U+202E made 'invoice\u202efdp.exe' read 'invoiceexe.pdf'."""
    assert safe_file_name("invoice\u202efdp.exe").endswith(".exe")
    assert len(plain_label("y" * 500)) == MAX_LABEL


@pytest.mark.parametrize("case", CASES["key_file_names"], ids=lambda c: c["name"])
def test_rotated_key_file_names(case: dict[str, str]) -> None:
    from datetime import date

    from candor.keyfile import rotated_key_file_name

    assert rotated_key_file_name(case["name"], date.fromisoformat(case["day"])) == case["file_name"]
