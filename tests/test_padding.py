"""Padding (protocol §2.2), from tests/vectors/padding.json (shared with the browser)."""

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from candor.padding import (
    DocumentInvalid,
    pad_attachment,
    pad_document,
    padded_attachment_size,
    padded_length,
    padme,
    unpad_attachment,
    unpad_document,
)

VECTORS = json.loads((Path(__file__).parent / "vectors" / "padding.json").read_text("utf-8"))


@pytest.mark.parametrize("case", VECTORS["padme"], ids=lambda c: str(c["L"]))
def test_padme(case: dict[str, int]) -> None:
    assert padme(case["L"]) == case["padme"]


@pytest.mark.parametrize("case", VECTORS["padded_length"], ids=lambda c: str(c["n"]))
def test_padded_length(case: dict[str, int]) -> None:
    assert padded_length(case["n"]) == case["padded"]
    assert padded_attachment_size(case["n"]) == case["padded"]


def test_spec_section_8() -> None:
    lengths = [1, 4097, 5000, 70000, 1000000]
    assert [padded_length(n) for n in lengths] == [4096, 4352, 5120, 71680, 1015808]


def _plaintext(case: dict[str, Any]) -> bytes:
    tail: bytes = bytes.fromhex(case["tail_byte_hex"]) * case["tail_count"]
    return bytes.fromhex(case["head_hex"]) + tail


@pytest.mark.parametrize("case", VECTORS["documents"], ids=lambda c: c["name"])
def test_unpad_document(case: dict[str, Any]) -> None:
    if case["valid"]:
        assert unpad_document(_plaintext(case)) == case["document"]
    else:
        with pytest.raises(DocumentInvalid):
            unpad_document(_plaintext(case))


@pytest.mark.parametrize("case", VECTORS["attachments"], ids=lambda c: c["name"])
def test_unpad_attachment(case: dict[str, Any]) -> None:
    plaintext = bytes.fromhex(case["head_hex"]) + bytes(case["zero_count"])
    if case["output_hex"] is None:
        with pytest.raises(DocumentInvalid):
            unpad_attachment(plaintext, case["size"])
    else:
        assert unpad_attachment(plaintext, case["size"]).hex() == case["output_hex"]


@given(st.binary(max_size=10_000))
def test_attachment_round_trip(data: bytes) -> None:
    padded = pad_attachment(data)
    assert len(padded) == padded_attachment_size(len(data))
    assert unpad_attachment(padded, len(data)) == data


@pytest.mark.parametrize("length", [0, -1, True, 1.5])
def test_padme_refuses(length: Any) -> None:
    with pytest.raises(ValueError, match="length"):
        padme(length)


@pytest.mark.parametrize("size", [True, "3", None, 2.0])
def test_unpad_attachment_refuses_bad_sizes(size: Any) -> None:
    with pytest.raises(DocumentInvalid):
        unpad_attachment(b"abc", size)


@pytest.mark.parametrize("body", [b"", b"[]", b"{} ", b" {}", b"{"])
def test_pad_document_refuses_non_objects(body: bytes) -> None:
    with pytest.raises(ValueError, match="object"):
        pad_document(body)


def test_unpad_refuses_hostile_nesting() -> None:
    with pytest.raises(DocumentInvalid):
        unpad_document(b'{"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}")


def test_unpad_refuses_huge_integers() -> None:
    with pytest.raises(DocumentInvalid):
        unpad_document(b'{"a":' + b"9" * 10_000 + b"}")


@given(st.integers(1, 2**40))
def test_padme_bounds(length: int) -> None:
    padded = padme(length)
    assert padded >= length
    assert padme(padded) == padded
    if length >= 2:
        # Overhead below L / E (Nikitin et al.): under 8.4 % from 4096 bytes on.
        assert (padded - length) * (length.bit_length() - 1) < length


@given(st.integers(1, 2**40))
def test_padme_monotonic(length: int) -> None:
    assert padme(length) <= padme(length + 1)


@given(st.dictionaries(st.text(max_size=8), st.text(max_size=300), max_size=20))
def test_document_round_trip(document: dict[str, str]) -> None:
    try:
        body = json.dumps(document, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return
    padded = pad_document(body)
    assert len(padded) == padded_length(len(body))
    assert unpad_document(padded) == document
