"""Receipts: the reporter's one-time follow-up tokens (protocol §3.1).

A receipt `T` is 15 random bytes. Its text form is 24 symbols of the
Crockford-style alphabet below (T as a 120-bit big-endian integer), then 4
check symbols (the first 20 bits of `H("candor/v1 receipt check" || T)`),
shown as seven groups of four. Everything else derives from `T`:

    auth     = HKDF(T, "candor/v1 receipt auth")   proves possession
    kek      = HKDF(T, "candor/v1 receipt key")    seeds the case-state identity
    token_id = b64u(H(auth))                       what the server stores

Only `auth` ever leaves the reporter's machine.
"""

import hashlib
import hmac
import os
from functools import cached_property

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from candor.age.mlkem import MlkemX25519Identity
from chalicelib.b64 import b64u_encode

__all__ = [
    "ALPHABET",
    "RECEIPT_SIZE",
    "Receipt",
    "ReceiptInvalid",
    "ReceiptMalformed",
    "ReceiptTypo",
]

RECEIPT_SIZE = 15
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
DATA_SYMBOLS = 24  # 120 bits, 5 per symbol
CHECK_SYMBOLS = 4  # 20 bits
GROUP = 4
CHECK_LABEL = b"candor/v1 receipt check"
AUTH_LABEL = b"candor/v1 receipt auth"
KEK_LABEL = b"candor/v1 receipt key"

_VALUES = {symbol: value for value, symbol in enumerate(ALPHABET)}
# Read as the digits people mean (protocol §3.1).
_VALUES.update({"I": 1, "L": 1, "O": 0})
# What people type between groups: any whitespace, plus these. Everything
# else (other letters such as U, other punctuation) is refused.
_SEPARATORS = frozenset("-_.,:;/|\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc")


class ReceiptInvalid(ValueError):
    """Base class: the text is not a receipt."""


class ReceiptMalformed(ReceiptInvalid):
    """The text holds a character that is not a receipt symbol, or the wrong number."""


class ReceiptTypo(ReceiptInvalid):
    """The symbols are well formed but the check symbols do not match: a typo."""


def _hkdf(secret: bytes, info: bytes) -> bytes:
    # protocol §0: empty salt. RFC 5869 pads an absent salt to zeros, same key.
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"", info=info).derive(secret)


def _encode_symbols(value: int, count: int) -> str:
    return "".join(ALPHABET[(value >> (5 * (count - 1 - i))) & 31] for i in range(count))


def _check_symbols(secret: bytes) -> str:
    digest = hashlib.sha256(CHECK_LABEL + secret).digest()
    return _encode_symbols(int.from_bytes(digest[:3]) >> 4, CHECK_SYMBOLS)


def _normalise(text: str) -> str:
    """Drop separators, upper-case, map I/L/O; raises ReceiptMalformed."""
    symbols = []
    for char in text:
        if char.isspace() or char in _SEPARATORS:
            continue
        # ASCII only: str.upper() would turn the dotless i (U+0131) into "I".
        upper = char.upper() if char.isascii() else char
        if upper not in _VALUES:
            raise ReceiptMalformed("a receipt holds only digits and letters")
        symbols.append(ALPHABET[_VALUES[upper]])
    if len(symbols) != DATA_SYMBOLS + CHECK_SYMBOLS:
        raise ReceiptMalformed(f"a receipt has {DATA_SYMBOLS + CHECK_SYMBOLS} symbols")
    return "".join(symbols)


class Receipt:
    """One receipt `T`. Its repr never shows the secret."""

    def __init__(self, secret: bytes) -> None:
        if not isinstance(secret, bytes) or len(secret) != RECEIPT_SIZE:
            raise ValueError(f"a receipt is {RECEIPT_SIZE} bytes")
        self._secret = secret

    @classmethod
    def generate(cls) -> "Receipt":
        """A new receipt from the operating system's CSPRNG."""
        return cls(os.urandom(RECEIPT_SIZE))

    @classmethod
    def from_bytes(cls, secret: bytes) -> "Receipt":
        """The receipt whose `T` is `secret`. Raises ValueError unless 15 bytes."""
        return cls(secret)

    @classmethod
    def parse(cls, text: str) -> "Receipt":
        """Read a receipt as a person typed it.

        Raises ReceiptMalformed for characters or lengths that cannot be a
        receipt, ReceiptTypo when the check symbols do not match.
        """
        if not isinstance(text, str):
            raise ReceiptMalformed("a receipt is text")
        symbols = _normalise(text)
        value = 0
        for symbol in symbols[:DATA_SYMBOLS]:
            value = value << 5 | _VALUES[symbol]
        receipt = cls(value.to_bytes(RECEIPT_SIZE))
        if not hmac.compare_digest(_check_symbols(receipt._secret), symbols[DATA_SYMBOLS:]):
            raise ReceiptTypo("the receipt has a typo")
        return receipt

    def to_bytes(self) -> bytes:
        """`T`, the 15 secret bytes."""
        return self._secret

    @cached_property
    def text(self) -> str:
        """The text form: seven groups of four symbols joined by `-`."""
        value = int.from_bytes(self._secret)
        symbols = _encode_symbols(value, DATA_SYMBOLS) + _check_symbols(self._secret)
        return "-".join(symbols[i : i + GROUP] for i in range(0, len(symbols), GROUP))

    @cached_property
    def auth(self) -> bytes:
        """`HKDF(T, "candor/v1 receipt auth")`: the only derivation that travels."""
        return _hkdf(self._secret, AUTH_LABEL)

    @property
    def auth_b64(self) -> str:
        """`b64u(auth)`, as sent in the `auth` field of reporter routes."""
        return b64u_encode(self.auth)

    @cached_property
    def kek(self) -> bytes:
        """`HKDF(T, "candor/v1 receipt key")`: the seed of the case-state identity."""
        return _hkdf(self._secret, KEK_LABEL)

    @property
    def token_id(self) -> str:
        """`b64u(H(auth))`: the server's name for this receipt."""
        return b64u_encode(hashlib.sha256(self.auth).digest())

    @cached_property
    def _kek_key(self) -> MlkemX25519Identity:
        return MlkemX25519Identity.from_seed(self.kek)

    @property
    def kek_identity(self) -> str:
        """The `mlkem768x25519` age identity whose seed is `kek` (AGE-SECRET-KEY-PQ-1…)."""
        return self._kek_key.encode()

    @property
    def kek_recipient(self) -> str:
        """`recipient(kek)`: the case state is sealed to this alone (protocol §2.4)."""
        return self._kek_key.recipient().encode()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Receipt):
            return NotImplemented
        return hmac.compare_digest(self._secret, other._secret)

    def __hash__(self) -> int:
        return hash(self.token_id)

    def __repr__(self) -> str:
        return "Receipt(<secret>)"
