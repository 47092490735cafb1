"""Ed25519 signatures over canonical JSON (protocol §2.3, §4.5).

A signed document carries `"sig": b64u(Ed25519(seed, JCS(document without
"sig")))`. Verification never raises on bad input: a forged, malformed or
unverifiable document is simply not verified, and readers show it as
forged (protocol §2.3).

One strict rule for every Ed25519 check, documents and team requests alike
(protocol §2.3): a public key, and a signature's R, must be the canonical
encoding of a curve point that is not of small order, and S must be below
the group order. libsodium already refuses these; OpenSSL, which
``chalicelib.httpsig`` verifies with, accepts a signature under a
small-order key that verifies for any message. :func:`strict_public_key` and
:func:`strict_signature` decide at parse time, before any library sees the
bytes, so both libraries answer alike.
"""

import functools
from collections.abc import Iterable, Mapping
from typing import Any

import nacl.exceptions
import nacl.signing

from chalicelib import jcs
from chalicelib.b64 import b64u_decode, b64u_encode

__all__ = [
    "GROUP_ORDER",
    "PUBLIC_KEY_SIZE",
    "SEED_SIZE",
    "SIGNATURE_SIZE",
    "public_key_from_seed",
    "sign_bytes",
    "sign_document",
    "signed_bytes",
    "strict_public_key",
    "strict_signature",
    "verify_bytes",
    "verify_document",
]

SEED_SIZE = 32
PUBLIC_KEY_SIZE = 32
SIGNATURE_SIZE = 64
SIG_FIELD = "sig"

# Curve25519's field, twisted Edwards constant d and group order (RFC 8032 §5.1).
_P = 2**255 - 19
_D = -121665 * pow(121666, _P - 2, _P) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)
GROUP_ORDER = 2**252 + 27742317777372353535851937790883648493


def _decode_point(encoded: bytes) -> tuple[int, int] | None:
    """The affine point of a canonical encoding (RFC 8032 §5.1.3), or None
    for a non-canonical one (y >= p, or x = 0 with the sign bit set) or one
    off the curve."""
    if len(encoded) != 32:
        return None
    y = int.from_bytes(encoded, "little") & ((1 << 255) - 1)
    sign = encoded[31] >> 7
    if y >= _P:
        return None
    u, v = (y * y - 1) % _P, (_D * y * y + 1) % _P
    x = u * pow(v, 3, _P) * pow(u * pow(v, 7, _P), (_P - 5) // 8, _P) % _P
    if (v * x * x - u) % _P != 0:
        x = x * _SQRT_M1 % _P
        if (v * x * x - u) % _P != 0:
            return None
    if x == 0 and sign:
        return None
    return (_P - x if x & 1 != sign else x), y


def _strict_point(encoded: bytes) -> bool:
    point = _decode_point(encoded)
    if point is None:
        return False
    # 8P is the identity exactly for the 8 small-order points. Doubling in
    # projective coordinates (RFC 8032 §5.1.4), complete for Ed25519.
    x, y, z = point[0], point[1], 1
    for _ in range(3):
        xx, yy, zz2 = x * x % _P, y * y % _P, 2 * z * z % _P
        h, g = (xx + yy) % _P, (xx - yy) % _P
        e, f = (h - (x + y) * (x + y)) % _P, (zz2 + g) % _P
        x, y, z = e * f % _P, g * h % _P, f * g % _P
    return not (x == 0 and y == z)


def strict_public_key(key: object) -> bool:
    """Whether ``key`` is 32 bytes encoding, canonically, a point not of small order."""
    return isinstance(key, bytes) and len(key) == PUBLIC_KEY_SIZE and _strict_key(key)


@functools.lru_cache(maxsize=1024)
def _strict_key(key: bytes) -> bool:
    # Members' keys come back on every request they sign: decide each once.
    return _strict_point(key)


def strict_signature(signature: object) -> bool:
    """Whether ``signature`` is 64 bytes whose R is a canonical point not of
    small order and whose S is below the group order."""
    if not isinstance(signature, bytes) or len(signature) != SIGNATURE_SIZE:
        return False
    s = int.from_bytes(signature[32:], "little")
    return s < GROUP_ORDER and _strict_point(signature[:32])


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
    if not strict_signature(signature):
        return False
    for key in public_keys:
        if not strict_public_key(key):
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
