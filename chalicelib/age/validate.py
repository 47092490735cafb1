"""Header-only checks the server runs on a sealed blob (protocol §2.1, §4.1).

The server can read an age header but holds no identity, so it checks shape
only: a binary age v1 header that parses strictly, at most ``max_stanzas``
stanzas, all of one public-key recipient type (X25519 or mlkem768x25519:
never scrypt, grease or an unknown type), stanzas of the right sizes, and a
payload nonce after the header. The header MAC and payload are not checked.

This module runs on the Lambda: it must import only the format, the
recipient type names and the errors, never identity or decryption code.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.age.errors import AgeError, SealedBlobInvalid
from chalicelib.age.format import INTRO, Stanza, b64decode, parse_header
from chalicelib.age.recipient_types import (
    MLKEM768X25519,
    MLKEM_ENC_SIZE,
    PUBLIC_KEY_TYPES,
    WRAPPED_FILE_KEY_SIZE,
    X25519,
    X25519_KEY_SIZE,
)

PAYLOAD_NONCE_SIZE = 16
_SHARE_SIZES = {X25519: X25519_KEY_SIZE, MLKEM768X25519: MLKEM_ENC_SIZE}


@dataclass(frozen=True)
class BlobInfo:
    """What the header of a valid sealed blob says."""

    recipient_type: str
    stanza_count: int
    header_size: int


def _well_formed(stanza: Stanza) -> bool:
    if len(stanza.args) != 1 or len(stanza.body) != WRAPPED_FILE_KEY_SIZE:
        return False
    try:
        share = b64decode(stanza.args[0].encode("ascii"))
    except AgeError:
        return False
    return len(share) == _SHARE_SIZES[stanza.type]


def validate_sealed_blob(prefix: bytes, *, max_stanzas: int = 32) -> BlobInfo:
    """Check the header of a binary age file. ``prefix`` is the blob, or at
    least its header and the 16-byte payload nonce that follows it.

    Raises SealedBlobInvalid for an armored or malformed header, no stanza or
    more than ``max_stanzas``, mixed recipient types (scrypt included), a
    type other than X25519 or mlkem768x25519 (grease included), a stanza of
    the wrong shape, or a prefix that ends before the payload nonce.
    """
    if not prefix.startswith(INTRO):
        raise SealedBlobInvalid("not a binary age v1 file")
    try:
        header = parse_header(prefix)
    except AgeError:
        raise SealedBlobInvalid("malformed age header") from None
    count = len(header.stanzas)
    if not 1 <= count <= max_stanzas:
        raise SealedBlobInvalid(f"a sealed blob has 1 to {max_stanzas} stanzas")
    types = {s.type for s in header.stanzas}
    if len(types) != 1:
        raise SealedBlobInvalid("recipients of different types")
    (recipient_type,) = types
    if recipient_type not in PUBLIC_KEY_TYPES:
        raise SealedBlobInvalid("unsupported recipient type")
    if not all(_well_formed(s) for s in header.stanzas):
        raise SealedBlobInvalid("malformed recipient stanza")
    if len(prefix) < header.size + PAYLOAD_NONCE_SIZE:
        raise SealedBlobInvalid("no payload nonce")
    return BlobInfo(recipient_type, count, header.size)
