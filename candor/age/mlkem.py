"""The post-quantum hybrid recipient type, ``mlkem768x25519``
(c2sp.org/age, "mlkem768x25519 recipient stanza").

The KEM is X-Wing, HPKE KEM MLKEM768-X25519 (id 0x647a); the file key is
sealed with HPKE base mode, HKDF-SHA256 and ChaCha20-Poly1305, info
``age-encryption.org/mlkem768x25519`` and empty associated data. An
identity is the 32-byte X-Wing seed; SHAKE256(seed, 96) expands it into the
ML-KEM-768 seed (d || z, 64 bytes) and the X25519 secret key (32 bytes).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric.mlkem import MLKEM768PrivateKey, MLKEM768PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from candor.age.primitives import FILE_KEY_SIZE
from chalicelib.age import bech32
from chalicelib.age.errors import AgeError
from chalicelib.age.format import Stanza, b64decode, b64encode
from chalicelib.age.recipient_types import (
    MLKEM768X25519,
    MLKEM_ENC_SIZE,
    MLKEM_IDENTITY_HRP,
    MLKEM_PUBLIC_KEY_SIZE,
    MLKEM_RECIPIENT_HRP,
    MLKEM_SEED_SIZE,
    WRAPPED_FILE_KEY_SIZE,
    decode_key,
)

LABEL = b"age-encryption.org/mlkem768x25519"
_MLKEM_PUBLIC_KEY_SIZE = 1184
_MLKEM_CIPHERTEXT_SIZE = 1088
_SUITE = hpke.Suite(hpke.KEM.MLKEM768_X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.CHACHA20_POLY1305)


class MlkemX25519Recipient:
    """An ``age1pq1…`` recipient: the 1216-byte X-Wing encapsulation key."""

    def __init__(self, public_key: bytes) -> None:
        if len(public_key) != MLKEM_PUBLIC_KEY_SIZE:
            raise ValueError("mlkem768x25519 public key must be 1216 bytes")
        # from_public_bytes checks the ML-KEM key's encoding (FIPS 203 7.2).
        self._key = hpke.MLKEM768X25519PublicKey(
            MLKEM768PublicKey.from_public_bytes(public_key[:_MLKEM_PUBLIC_KEY_SIZE]),
            X25519PublicKey.from_public_bytes(public_key[_MLKEM_PUBLIC_KEY_SIZE:]),
        )
        self._public = public_key

    @classmethod
    def parse(cls, s: str) -> MlkemX25519Recipient:
        """Parse ``age1pq1…``. Raises ValueError."""
        return cls(decode_key(s, MLKEM_RECIPIENT_HRP, MLKEM_PUBLIC_KEY_SIZE))

    def encode(self) -> str:
        return bech32.encode(MLKEM_RECIPIENT_HRP, self._public)

    def wrap(self, file_key: bytes) -> list[Stanza]:
        sealed = _SUITE.encrypt(file_key, self._key, info=LABEL)
        enc, body = sealed[:MLKEM_ENC_SIZE], sealed[MLKEM_ENC_SIZE:]
        return [Stanza(MLKEM768X25519, (b64encode(enc).decode(),), body)]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MlkemX25519Recipient) and other._public == self._public

    def __hash__(self) -> int:
        return hash(self._public)

    def __repr__(self) -> str:
        return f"MlkemX25519Recipient({self.encode()[:24]!r}…)"


class MlkemX25519Identity:
    """An ``AGE-SECRET-KEY-PQ-1…`` identity: a 32-byte X-Wing seed."""

    def __init__(self, seed: bytes) -> None:
        if len(seed) != MLKEM_SEED_SIZE:
            raise ValueError("mlkem768x25519 seed must be 32 bytes")
        expanded = hashlib.shake_256(seed).digest(96)
        self._seed = seed
        self._mlkem = MLKEM768PrivateKey.from_seed_bytes(expanded[:64])
        self._x25519 = X25519PrivateKey.from_private_bytes(expanded[64:])
        self._key = hpke.MLKEM768X25519PrivateKey(self._mlkem, self._x25519)

    @classmethod
    def generate(cls) -> MlkemX25519Identity:
        return cls(os.urandom(MLKEM_SEED_SIZE))

    @classmethod
    def from_seed(cls, seed: bytes) -> MlkemX25519Identity:
        """The identity whose X-Wing seed is ``seed`` (protocol §3.1,
        ``kek_identity``). Raises ValueError unless it is 32 bytes."""
        return cls(bytes(seed))

    @classmethod
    def parse(cls, s: str) -> MlkemX25519Identity:
        """Parse ``AGE-SECRET-KEY-PQ-1…``. Raises ValueError."""
        return cls(decode_key(s, MLKEM_IDENTITY_HRP, MLKEM_SEED_SIZE))

    def encode(self) -> str:
        return bech32.encode(MLKEM_IDENTITY_HRP, self._seed).upper()

    def recipient(self) -> MlkemX25519Recipient:
        return MlkemX25519Recipient(
            self._mlkem.public_key().public_bytes_raw()
            + self._x25519.public_key().public_bytes_raw()
        )

    def _open(self, enc: bytes, body: bytes) -> bytes | None:
        # HPKE reports an all-zero X25519 secret as a plain tag failure; the
        # spec makes it an error, so check the X25519 share first.
        try:
            self._x25519.exchange(X25519PublicKey.from_public_bytes(enc[_MLKEM_CIPHERTEXT_SIZE:]))
        except ValueError:
            raise AgeError() from None
        try:
            file_key = _SUITE.decrypt(enc + body, self._key, info=LABEL)
        except InvalidTag:
            return None
        return file_key if len(file_key) == FILE_KEY_SIZE else None

    def unwrap(self, stanzas: Sequence[Stanza]) -> bytes | None:
        """Return the file key from the first mlkem768x25519 stanza that
        opens, None if none does. Raises AgeError for a malformed one."""
        for stanza in stanzas:
            if stanza.type != MLKEM768X25519:
                continue
            if len(stanza.args) != 1:
                raise AgeError()
            enc = b64decode(stanza.args[0].encode())
            if len(enc) != MLKEM_ENC_SIZE or len(stanza.body) != WRAPPED_FILE_KEY_SIZE:
                raise AgeError()
            file_key = self._open(enc, stanza.body)
            if file_key is not None:
                return file_key
        return None

    def __repr__(self) -> str:
        return "MlkemX25519Identity(<secret>)"
