"""The notice vectors (tests/vectors/notice.json, protocol §4.9) against
chalicelib/domain/notices.py, which the server and candor/notice.py use;
tests/js/notice.test.mjs runs the same cases against frontend/src/lib/notice.ts."""

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from chalicelib.domain import notices as nt

VECTORS = json.loads((Path(__file__).parent / "vectors" / "notice.json").read_text("utf-8"))
AUTHORITY = json.loads((Path(__file__).parent / "vectors" / "manifest.json").read_text("utf-8"))[
    "manifests"][VECTORS["authority"]]


@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda c: c["name"])
def test_each_notice_gets_its_verdict(case: dict[str, Any]) -> None:
    today = date.fromisoformat(case["today"])
    if case["valid"]:
        assert nt.verify_notice(case["notice"], AUTHORITY, today=today) == case["notice"]
        return
    with pytest.raises(nt.NoticeInvalid) as caught:
        nt.verify_notice(case["notice"], AUTHORITY, today=today)
    assert str(caught.value) == case["python_reason"]


def test_the_vectors_hold_both_verdicts_and_every_language() -> None:
    verdicts = {c["valid"] for c in VECTORS["cases"]}
    assert verdicts == {True, False}
    every = next(c for c in VECTORS["cases"] if c["name"] == "valid in every language")
    assert sorted(every["notice"]["text"]) == sorted(nt.LANGUAGES)
    catalogues = Path(__file__).parent.parent / "frontend" / "i18n"
    assert sorted(p.stem for p in catalogues.glob("*.json")) == sorted(nt.LANGUAGES)
