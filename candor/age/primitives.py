"""The symmetric primitives every part of age shares (C2SP age,
"File key", "Header MAC", "Payload", and the stanza key wrap)."""

from __future__ import annotations

import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from chalicelib.age.errors import AgeError
from chalicelib.age.recipient_types import WRAPPED_FILE_KEY_SIZE

FILE_KEY_SIZE = 16
PAYLOAD_NONCE_SIZE = 16
HEADER_LABEL = b"header"
PAYLOAD_LABEL = b"payload"
_ZERO_NONCE = bytes(12)


def hkdf_sha256(ikm: bytes, salt: bytes, info: bytes, length: int = 32) -> bytes:
    """HKDF-SHA256 (RFC 5869); an empty ``salt`` means no salt."""
    return HKDF(hashes.SHA256(), length, salt or None, info).derive(ikm)


def new_file_key() -> bytes:
    """A fresh random 16-byte file key."""
    return os.urandom(FILE_KEY_SIZE)


def header_mac(file_key: bytes, mac_input: bytes) -> bytes:
    """HMAC-SHA256 over the header up to ``---``, keyed by
    HKDF(file key, salt empty, info "header")."""
    key = hkdf_sha256(file_key, b"", HEADER_LABEL)
    return hmac.digest(key, mac_input, "sha256")


def check_header_mac(file_key: bytes, mac_input: bytes, mac: bytes) -> None:
    """Raise AgeError unless ``mac`` authenticates the header."""
    if not hmac.compare_digest(header_mac(file_key, mac_input), mac):
        raise AgeError()


def stream_key(file_key: bytes, nonce: bytes) -> bytes:
    """The payload key: HKDF(file key, salt = payload nonce, info "payload")."""
    return hkdf_sha256(file_key, nonce, PAYLOAD_LABEL)


def wrap_file_key(key: bytes, file_key: bytes) -> bytes:
    """ChaCha20-Poly1305 of the file key under a stanza key, zero nonce."""
    return ChaCha20Poly1305(key).encrypt(_ZERO_NONCE, file_key, None)


def unwrap_file_key(key: bytes, body: bytes) -> bytes | None:
    """Open a stanza body. Returns None when the tag does not verify (the
    stanza is for someone else); raises AgeError when the body is not exactly
    a wrapped 16-byte file key, which is checked before decrypting."""
    if len(body) != WRAPPED_FILE_KEY_SIZE:
        raise AgeError()
    try:
        return ChaCha20Poly1305(key).decrypt(_ZERO_NONCE, body, None)
    except InvalidTag:
        return None
