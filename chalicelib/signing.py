"""Ed25519 signatures over canonical JSON (protocol §2.3, §4.5).

A signed document carries `"sig": b64u(Ed25519(seed, JCS(document without
"sig")))`. Verification never raises on bad input: a forged, malformed or
unverifiable document is simply not verified, and readers show it as
forged (protocol §2.3).
"""

from collections.abc import Iterable, Mapping
from typing import Any

import nacl.exceptions
import nacl.signing

from chalicelib import jcs
from chalicelib.b64 import b64u_decode, b64u_encode

__all__ = [
    "PUBLIC_KEY_SIZE",
    "SEED_SIZE",
    "SIGNATURE_SIZE",
    "public_key_from_seed",
    "sign_bytes",
    "sign_document",
    "signed_bytes",
    "verify_bytes",
    "verify_document",
]

SEED_SIZE = 32
PUBLIC_KEY_SIZE = 32
SIGNATURE_SIZE = 64
SIG_FIELD = "sig"


def _signing_key(seed: bytes) -> nacl.signing.SigningKey:
    if not isinstance(seed, bytes) or len(seed) != SEED_SIZE:
        raise ValueError("an Ed25519 seed is 32 bytes")
    return nacl.signing.SigningKey(seed)


def public_key_from_seed(seed: bytes) -> bytes:
    """Return the 32-byte Ed25519 public key of `seed`. Raises ValueError for a bad seed."""
    return bytes(_signing_key(seed).verify_key)


def sign_bytes(message: bytes, seed: bytes) -> bytes:
    """Return the 64-byte Ed25519 signature of `message`. Raises ValueError for a bad seed."""
    return _signing_key(seed).sign(message).signature


def verify_bytes(message: bytes, signature: bytes, public_keys: Iterable[bytes]) -> bool:
    """True when `signature` verifies under any of `public_keys`. Never raises."""
    if not isinstance(signature, bytes) or len(signature) != SIGNATURE_SIZE:
        return False
    for key in public_keys:
        if not isinstance(key, bytes) or len(key) != PUBLIC_KEY_SIZE:
            continue
        try:
            nacl.signing.VerifyKey(key).verify(message, signature)
        except (nacl.exceptions.BadSignatureError, nacl.exceptions.CryptoError, ValueError):
            continue
        return True
    return False


def signed_bytes(doc: Mapping[str, Any], *omit: str) -> bytes:
    """Return `JCS(doc without the fields in omit)`, the bytes a signature covers.

    Raises TypeError/ValueError when `doc` is outside JCS's value set.
    """
    return jcs.canonicalize({key: value for key, value in doc.items() if key not in omit})


def sign_document(doc: Mapping[str, Any], seed: bytes) -> dict[str, Any]:
    """Return a copy of `doc` with `"sig"` over `JCS(doc)`.

    Raises ValueError when `doc` already has a `"sig"` or the seed is bad,
    and TypeError/ValueError when `doc` is outside JCS's value set.
    """
    if SIG_FIELD in doc:
        raise ValueError("document is already signed")
    signature = sign_bytes(signed_bytes(doc), seed)
    return {**doc, SIG_FIELD: b64u_encode(signature)}


def verify_document(doc: object, public_keys: Iterable[bytes]) -> bool:
    """True when `doc["sig"]` verifies under any of `public_keys`. Never raises."""
    if not isinstance(doc, Mapping) or not isinstance(doc.get(SIG_FIELD), str):
        return False
    try:
        signature = b64u_decode(doc[SIG_FIELD])
        message = signed_bytes(doc, SIG_FIELD)
    except (TypeError, ValueError):
        return False
    return verify_bytes(message, signature, public_keys)
