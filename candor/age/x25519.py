"""The X25519 recipient type (C2SP age, "X25519 recipient stanza")."""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from candor.age.primitives import hkdf_sha256, unwrap_file_key, wrap_file_key
from chalicelib.age import bech32
from chalicelib.age.errors import AgeError
from chalicelib.age.format import Stanza, b64decode, b64encode
from chalicelib.age.recipient_types import (
    X25519,
    X25519_IDENTITY_HRP,
    X25519_KEY_SIZE,
    X25519_RECIPIENT_HRP,
    decode_key,
)

LABEL = b"age-encryption.org/v1/X25519"


def _shared_secret(private: X25519PrivateKey, share: bytes) -> bytes:
    # cryptography refuses an all-zero shared secret (identity or low-order
    # share), which the spec requires to be an error, not a mismatch.
    try:
        return private.exchange(X25519PublicKey.from_public_bytes(share))
    except ValueError:
        raise AgeError() from None


class X25519Recipient:
    """An ``age1…`` recipient."""

    def __init__(self, public_key: bytes) -> None:
        if len(public_key) != X25519_KEY_SIZE:
            raise ValueError("X25519 public key must be 32 bytes")
        self._public = public_key

    @classmethod
    def parse(cls, s: str) -> X25519Recipient:
        """Parse ``age1…``. Raises ValueError."""
        return cls(decode_key(s, X25519_RECIPIENT_HRP, X25519_KEY_SIZE))

    def encode(self) -> str:
        return bech32.encode(X25519_RECIPIENT_HRP, self._public)

    def wrap(self, file_key: bytes) -> list[Stanza]:
        ephemeral = X25519PrivateKey.generate()
        share = ephemeral.public_key().public_bytes_raw()
        secret = _shared_secret(ephemeral, self._public)
        key = hkdf_sha256(secret, share + self._public, LABEL)
        return [Stanza(X25519, (b64encode(share).decode(),), wrap_file_key(key, file_key))]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, X25519Recipient) and other._public == self._public

    def __hash__(self) -> int:
        return hash(self._public)

    def __repr__(self) -> str:
        return f"X25519Recipient({self.encode()!r})"


class X25519Identity:
    """An ``AGE-SECRET-KEY-1…`` identity."""

    def __init__(self, secret_key: bytes) -> None:
        if len(secret_key) != X25519_KEY_SIZE:
            raise ValueError("X25519 secret key must be 32 bytes")
        self._secret = secret_key
        self._private = X25519PrivateKey.from_private_bytes(secret_key)
        self._public = self._private.public_key().public_bytes_raw()

    @classmethod
    def generate(cls) -> X25519Identity:
        return cls(X25519PrivateKey.generate().private_bytes_raw())

    @classmethod
    def parse(cls, s: str) -> X25519Identity:
        """Parse ``AGE-SECRET-KEY-1…``. Raises ValueError."""
        return cls(decode_key(s, X25519_IDENTITY_HRP, X25519_KEY_SIZE))

    def encode(self) -> str:
        return bech32.encode(X25519_IDENTITY_HRP, self._secret).upper()

    def recipient(self) -> X25519Recipient:
        return X25519Recipient(self._public)

    def unwrap(self, stanzas: Sequence[Stanza]) -> bytes | None:
        """Return the file key from the first X25519 stanza that opens, None
        if none does. Raises AgeError for a malformed X25519 stanza."""
        for stanza in stanzas:
            if stanza.type != X25519:
                continue
            if len(stanza.args) != 1:
                raise AgeError()
            share = b64decode(stanza.args[0].encode())
            if len(share) != X25519_KEY_SIZE:
                raise AgeError()
            secret = _shared_secret(self._private, share)
            key = hkdf_sha256(secret, share + self._public, LABEL)
            file_key = unwrap_file_key(key, stanza.body)
            if file_key is not None:
                return file_key
        return None

    def __repr__(self) -> str:
        return f"X25519Identity(<{self.recipient().encode()}>)"
