"""Recipient types: stanza names, key string prefixes and sizes.

A light module on purpose: the server (``validate.py``) and the manifest code
use it to name the type of a recipient string or stanza without importing any
identity parsing or decryption code (protocol §2.1, docs/architecture.md rule 7).
"""

from __future__ import annotations

from chalicelib.age import bech32

# Stanza types (C2SP age, "X25519 recipient stanza", "scrypt recipient stanza";
# c2sp.org/age "mlkem768x25519 recipient stanza").
X25519 = "X25519"
MLKEM768X25519 = "mlkem768x25519"
SCRYPT = "scrypt"

# Public recipient types a sealed blob may use (protocol §2.1).
PUBLIC_KEY_TYPES = frozenset({X25519, MLKEM768X25519})

X25519_RECIPIENT_HRP = "age"
X25519_IDENTITY_HRP = "AGE-SECRET-KEY-"
MLKEM_RECIPIENT_HRP = "age1pq"
MLKEM_IDENTITY_HRP = "AGE-SECRET-KEY-PQ-"

X25519_KEY_SIZE = 32
MLKEM_SEED_SIZE = 32
MLKEM_PUBLIC_KEY_SIZE = 1216  # ML-KEM-768 encapsulation key (1184) || X25519 (32)
MLKEM_ENC_SIZE = 1120  # ML-KEM-768 ciphertext (1088) || X25519 share (32)
WRAPPED_FILE_KEY_SIZE = 32  # 16-byte file key || 16-byte Poly1305 tag


def decode_key(s: str, hrp: str, size: int) -> bytes:
    """Decode a bech32 key string whose prefix must be exactly ``hrp`` (case
    included) and whose payload must be ``size`` bytes.

    Raises ValueError otherwise.
    """
    found, data = bech32.decode(s)
    if found != hrp or len(data) != size:
        raise ValueError("not a valid key string of this type")
    return data


def recipient_type(s: str) -> str:
    """Return ``"X25519"`` for an ``age1…`` recipient or ``"mlkem768x25519"``
    for an ``age1pq1…`` recipient.

    The check is structural (prefix, checksum, length); it never imports or
    runs identity or decryption code. Raises ValueError for anything else.
    """
    if s.startswith(MLKEM_RECIPIENT_HRP + "1"):
        decode_key(s, MLKEM_RECIPIENT_HRP, MLKEM_PUBLIC_KEY_SIZE)
        return MLKEM768X25519
    decode_key(s, X25519_RECIPIENT_HRP, X25519_KEY_SIZE)
    return X25519
