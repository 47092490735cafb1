"""Errors of the age module.

Every way an encrypted file can be bad -- malformed header, no matching
identity, wrong header MAC, tampered or truncated payload -- raises the same
``AgeError``, so failures are no oracle (like ``fernet.InvalidToken``).
Caller mistakes (mixing recipient types, bad key strings) are ``ValueError``.
"""


class AgeError(Exception):
    """The file cannot be decrypted: it is malformed, tampered with, or no
    identity matched. Deliberately carries no detail."""

    def __init__(self, message: str = "age: file cannot be decrypted") -> None:
        super().__init__(message)


class SealedBlobInvalid(ValueError):
    """A sealed blob's header breaks the rules of protocol §2.1."""
