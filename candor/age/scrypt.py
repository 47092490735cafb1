"""The passphrase recipient type (C2SP age, "scrypt recipient stanza").

An scrypt stanza must be the only stanza of its header, both when encrypting
(``api.encrypt`` refuses other recipients) and when decrypting.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence

from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from candor.age.primitives import unwrap_file_key, wrap_file_key
from chalicelib.age.errors import AgeError
from chalicelib.age.format import Stanza, b64decode, b64encode
from chalicelib.age.recipient_types import SCRYPT

LABEL = b"age-encryption.org/v1/scrypt"
SALT_SIZE = 16
_WORK_FACTOR = re.compile(r"[1-9][0-9]{0,1}")  # decimal, no leading zero, < 100


def _derive(passphrase: bytes, salt: bytes, work_factor: int) -> bytes:
    kdf = Scrypt(salt=LABEL + salt, length=32, n=1 << work_factor, r=8, p=1)
    return kdf.derive(passphrase)


def _check_passphrase(passphrase: str) -> bytes:
    if not passphrase:
        raise ValueError("passphrase must not be empty")
    return passphrase.encode("utf-8")


class ScryptRecipient:
    """Encrypt to a passphrase, with scrypt work factor 2**``work_factor``."""

    def __init__(self, passphrase: str, work_factor: int = 18) -> None:
        if not 1 <= work_factor <= 30:
            raise ValueError("scrypt work factor must be between 1 and 30")
        self._passphrase = _check_passphrase(passphrase)
        self._work_factor = work_factor

    def wrap(self, file_key: bytes) -> list[Stanza]:
        salt = os.urandom(SALT_SIZE)
        key = _derive(self._passphrase, salt, self._work_factor)
        args = (b64encode(salt).decode(), str(self._work_factor))
        return [Stanza(SCRYPT, args, wrap_file_key(key, file_key))]

    def __repr__(self) -> str:
        return f"ScryptRecipient(<passphrase>, work_factor={self._work_factor})"


class ScryptIdentity:
    """Decrypt with a passphrase; refuse work factors above
    2**``max_work_factor`` (each step doubles time and memory)."""

    def __init__(self, passphrase: str, max_work_factor: int = 22) -> None:
        self._passphrase = _check_passphrase(passphrase)
        self._max_work_factor = max_work_factor

    def unwrap(self, stanzas: Sequence[Stanza]) -> bytes | None:
        """Return the file key, or None if the passphrase does not open the
        stanza. Raises AgeError for a malformed scrypt stanza, one that is
        not alone in its header, or one whose work factor is too high."""
        for stanza in stanzas:
            if stanza.type != SCRYPT:
                continue
            if len(stanzas) != 1 or len(stanza.args) != 2:
                raise AgeError()
            salt = b64decode(stanza.args[0].encode())
            if len(salt) != SALT_SIZE or not _WORK_FACTOR.fullmatch(stanza.args[1]):
                raise AgeError()
            work_factor = int(stanza.args[1])
            if work_factor > self._max_work_factor:
                raise AgeError()
            if len(stanza.body) != 32:
                raise AgeError()  # checked before the expensive derivation
            key = _derive(self._passphrase, salt, work_factor)
            file_key = unwrap_file_key(key, stanza.body)
            if file_key is not None:
                return file_key
        return None

    def __repr__(self) -> str:
        return f"ScryptIdentity(<passphrase>, max_work_factor={self._max_work_factor})"
