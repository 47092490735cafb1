"""Strict b64u (protocol §0)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.b64 import b64u_decode, b64u_encode

ENCODINGS = [
    ("", ""),
    ("00", "AA"),
    ("0000", "AAA"),
    ("000000", "AAAA"),
    ("fbff", "-_8"),
    ("fbffbf", "-_-_"),
    ("68656c6c6f", "aGVsbG8"),
]

REFUSED = [
    ("padding", "AA=="),
    ("one padding character", "AAA="),
    ("standard alphabet +", "+/8"),
    ("space", "AA A"),
    ("newline", "AAAA\n"),
    ("non-ASCII", "AAé"),
    ("impossible length", "AAAAA"),
    ("non-zero trailing bits, 1 byte", "AB"),
    ("non-zero trailing bits, 2 bytes", "AAB"),
    ("dot", "AA.A"),
]


@pytest.mark.parametrize(("data_hex", "text"), ENCODINGS)
def test_encode_decode(data_hex: str, text: str) -> None:
    assert b64u_encode(bytes.fromhex(data_hex)) == text
    assert b64u_decode(text) == bytes.fromhex(data_hex)


@pytest.mark.parametrize(("why", "text"), REFUSED, ids=[r[0] for r in REFUSED])
def test_refuses(why: str, text: str) -> None:
    with pytest.raises(ValueError, match="b64u"):
        b64u_decode(text)


@pytest.mark.parametrize("value", [b"AA", None, 1])
def test_decode_needs_str(value: object) -> None:
    with pytest.raises(TypeError):
        b64u_decode(value)  # type: ignore[arg-type]


def test_encode_needs_bytes() -> None:
    with pytest.raises(TypeError):
        b64u_encode("AA")  # type: ignore[arg-type]


@given(st.binary(max_size=200))
def test_round_trip(data: bytes) -> None:
    text = b64u_encode(data)
    assert "=" not in text
    assert b64u_decode(text) == data


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"))
def test_only_one_text_form(text: str) -> None:
    try:
        data = b64u_decode(text)
    except ValueError:
        return
    assert b64u_encode(data) == text
