"""Parsing recipient and identity strings into the right type.

Clients only: the Lambda classifies recipient strings with
``chalicelib.age.recipient_types.recipient_type``, re-exported here for the
clients' convenience.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from candor.age.mlkem import MlkemX25519Identity, MlkemX25519Recipient
from candor.age.x25519 import X25519Identity, X25519Recipient
from chalicelib.age.recipient_types import (
    MLKEM_IDENTITY_HRP,
    MLKEM_RECIPIENT_HRP,
    X25519_IDENTITY_HRP,
)
from chalicelib.age.recipient_types import recipient_type as recipient_type

if TYPE_CHECKING:
    from candor.age.api import Identity, Recipient

__all__ = ["parse_identities_file", "parse_identity", "parse_recipient", "recipient_type"]


def parse_recipient(s: str) -> Recipient:
    """Parse an ``age1…`` or ``age1pq1…`` recipient. Raises ValueError."""
    if s.startswith(MLKEM_RECIPIENT_HRP + "1"):
        return MlkemX25519Recipient.parse(s)
    return X25519Recipient.parse(s)


def parse_identity(s: str) -> Identity:
    """Parse an ``AGE-SECRET-KEY-PQ-1…`` or ``AGE-SECRET-KEY-1…`` identity.

    Raises ValueError (whose message never contains the key).
    """
    try:
        if s.startswith(MLKEM_IDENTITY_HRP + "1"):
            return MlkemX25519Identity.parse(s)
        if s.startswith(X25519_IDENTITY_HRP + "1"):
            return X25519Identity.parse(s)
    except ValueError:
        pass
    raise ValueError("not a valid age identity")


def parse_identities_file(text: str) -> list[Identity]:
    """Parse an identity file: one identity per line; blank lines and lines
    starting with ``#`` are ignored. Raises ValueError naming the line
    number (never its content), or if the file holds no identity."""
    identities: list[Identity] = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            identities.append(parse_identity(line))
        except ValueError:
            raise ValueError(f"line {number}: not a valid age identity") from None
    if not identities:
        raise ValueError("no identity found")
    return identities
