"""Receipts (protocol §3.1), from tests/vectors/receipt.json (shared with the browser)."""

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from candor.receipt import ALPHABET, Receipt, ReceiptInvalid, ReceiptMalformed, ReceiptTypo

VECTORS = json.loads((Path(__file__).parent / "vectors" / "receipt.json").read_text("utf-8"))
ERRORS = {"malformed": ReceiptMalformed, "typo": ReceiptTypo}


@pytest.mark.parametrize("case", VECTORS["receipts"], ids=lambda c: c["name"])
def test_derivations(case: dict[str, Any]) -> None:
    receipt = Receipt.from_bytes(bytes.fromhex(case["T"]))
    assert receipt.text == case["text"]
    assert receipt.auth_b64 == case["auth"]
    assert receipt.token_id == case["token_id"]
    assert receipt.kek.hex() == case["kek"]
    assert receipt.kek_identity == case["kek_identity"]
    recipient = receipt.kek_recipient
    assert len(recipient) == case["kek_recipient_length"]
    assert recipient.startswith(case["kek_recipient_prefix"])
    assert hashlib.sha256(recipient.encode()).hexdigest() == case["kek_recipient_sha256"]


@pytest.mark.parametrize("case", VECTORS["parse"], ids=lambda c: c["name"])
def test_parse(case: dict[str, Any]) -> None:
    if "error" in case:
        with pytest.raises(ERRORS[case["error"]]):
            Receipt.parse(case["input"])
    else:
        assert Receipt.parse(case["input"]).to_bytes().hex() == case["T"]


def test_alphabet_matches_the_vectors() -> None:
    assert VECTORS["alphabet"] == ALPHABET


@pytest.mark.parametrize("secret", [b"", b"x" * 14, b"x" * 16, "x" * 15])
def test_from_bytes_refuses_other_sizes(secret: Any) -> None:
    with pytest.raises(ValueError, match="15 bytes"):
        Receipt.from_bytes(secret)


@pytest.mark.parametrize("value", [None, 42, b"000G40R40M30E209185GR38ED308"])
def test_parse_refuses_non_text(value: Any) -> None:
    with pytest.raises(ReceiptMalformed):
        Receipt.parse(value)


def test_errors_share_a_base() -> None:
    assert issubclass(ReceiptTypo, ReceiptInvalid)
    assert issubclass(ReceiptMalformed, ReceiptInvalid)
    assert issubclass(ReceiptInvalid, ValueError)


def test_generate_is_random_and_repr_hides_the_secret() -> None:
    first, second = Receipt.generate(), Receipt.generate()
    assert first != second
    assert first == Receipt.from_bytes(first.to_bytes())
    assert first.text not in repr(first)
    assert first.to_bytes().hex() not in repr(first)


@given(st.binary(min_size=15, max_size=15))
def test_text_round_trip(secret: bytes) -> None:
    receipt = Receipt.from_bytes(secret)
    text = receipt.text
    assert len(text) == 34
    assert [len(group) for group in text.split("-")] == [4] * 7
    assert set(text.replace("-", "")) <= set(ALPHABET)
    assert Receipt.parse(text) == receipt
    assert Receipt.parse(text.lower().replace("-", " ")) == receipt


@given(st.binary(min_size=15, max_size=15), st.integers(0, 27), st.integers(1, 31))
def test_one_changed_symbol_is_never_silently_accepted(
    secret: bytes, position: int, delta: int
) -> None:
    symbols = list(Receipt.from_bytes(secret).text.replace("-", ""))
    symbols[position] = ALPHABET[(ALPHABET.index(symbols[position]) + delta) % 32]
    try:
        parsed = Receipt.parse("".join(symbols))
    except ReceiptTypo:
        return
    # A 20-bit check lets one in a million typos through; it must then
    # at least be a different receipt, never the same one misread.
    assert parsed.to_bytes() != secret
