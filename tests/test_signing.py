"""Ed25519 over JCS, from tests/vectors/signing.json (shared with the browser)."""

import json
from pathlib import Path
from typing import Any

import pytest

from chalicelib import signing
from chalicelib.b64 import b64u_decode, b64u_encode

VECTORS = json.loads((Path(__file__).parent / "vectors" / "signing.json").read_text("utf-8"))
SEED = bytes.fromhex(VECTORS["seed_hex"])


def test_public_key() -> None:
    assert b64u_encode(signing.public_key_from_seed(SEED)) == VECTORS["public_key"]


def test_signed_bytes() -> None:
    signed = signing.signed_bytes(VECTORS["signed_document"], "sig")
    assert signed.decode() == VECTORS["signed_bytes"]


def test_sign_document_reproduces_the_vector() -> None:
    assert signing.sign_document(VECTORS["document"], SEED) == VECTORS["signed_document"]
    assert VECTORS["signed_document"]["sig"] == VECTORS["sig"]


@pytest.mark.parametrize("case", VECTORS["verify"], ids=lambda c: c["name"])
def test_verify(case: dict[str, Any]) -> None:
    keys = [b64u_decode(k) for k in case["public_keys"]]
    assert signing.verify_document(case["document"], keys) is case["valid"]


def test_refuses_to_sign_twice() -> None:
    with pytest.raises(ValueError, match="already signed"):
        signing.sign_document(VECTORS["signed_document"], SEED)


@pytest.mark.parametrize("seed", [b"", b"x" * 31, b"x" * 33, "x" * 32])
def test_bad_seed(seed: Any) -> None:
    with pytest.raises(ValueError, match="seed"):
        signing.public_key_from_seed(seed)


@pytest.mark.parametrize(
    ("doc", "keys"),
    [
        (None, [b"k" * 32]),
        ([], [b"k" * 32]),
        ({"sig": "AA", "x": 1.5}, [b"k" * 32]),
        (VECTORS["signed_document"], [b"short", "not bytes", b"\x00" * 32]),
        ({**VECTORS["signed_document"], "x": float("nan")}, [SEED]),
    ],
    ids=["none", "list", "float field", "bad keys", "nan field"],
)
def test_verify_never_raises(doc: Any, keys: Any) -> None:
    assert signing.verify_document(doc, keys) is False


def test_verify_bytes() -> None:
    sig = signing.sign_bytes(b"m", SEED)
    key = signing.public_key_from_seed(SEED)
    assert signing.verify_bytes(b"m", sig, [key])
    assert not signing.verify_bytes(b"n", sig, [key])
    assert not signing.verify_bytes(b"m", sig[:-1], [key])
