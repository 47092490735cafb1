"""Strict base64url without padding (protocol §0 "Conventions").

Decoders refuse `=`, characters outside `A-Z a-z 0-9 - _` and non-zero
trailing bits, so every byte string has exactly one accepted text form. That
matters because b64u strings are compared, hashed and signed as text.
"""

import base64
import binascii
import re

__all__ = ["b64u_decode", "b64u_encode"]

_B64U = re.compile(r"[A-Za-z0-9_-]*")


def b64u_encode(data: bytes) -> str:
    """Return `b64u(data)`. Raises TypeError for anything but bytes-like input."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError("b64u_encode expects bytes")
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64u_decode(text: str) -> bytes:
    """Decode strict b64u.

    Raises TypeError when `text` is not a str and ValueError when it is not
    the one canonical b64u form of some byte string.
    """
    if not isinstance(text, str):
        raise TypeError("b64u_decode expects a str")
    if _B64U.fullmatch(text) is None:
        raise ValueError("b64u: character outside A-Z a-z 0-9 - _")
    if len(text) % 4 == 1:
        raise ValueError("b64u: impossible length")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as exc:  # unreachable after the checks above, kept as a guard
        raise ValueError("b64u: undecodable") from exc
    # Re-encoding exposes non-zero trailing bits: they would not survive.
    if b64u_encode(data) != text:
        raise ValueError("b64u: non-zero trailing bits")
    return data
