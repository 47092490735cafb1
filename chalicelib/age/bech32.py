"""Bech32 (BIP 173) as age uses it for keys and recipients.

Differences from BIP 173, following the age reference implementation: there
is no 90-character limit (``age1pq1`` recipients are 1959 characters long),
and decoding returns the human-readable part in the case it was written in so
callers can check exactly which prefix they accept. Mixed case, bad checksums,
non-zero padding bits and the bech32m constant are all refused.
"""

from __future__ import annotations

_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_CHARSET_REV = {c: i for i, c in enumerate(_CHARSET)}
_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
_BECH32_CONST = 1


class Bech32Error(ValueError):
    """The string is not valid bech32."""


def _polymod(values: list[int]) -> int:
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            if (top >> i) & 1:
                chk ^= _GENERATOR[i]
    return chk


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _convert_bits(data: bytes | list[int], from_bits: int, to_bits: int, pad: bool) -> list[int]:
    acc = 0
    bits = 0
    out: list[int] = []
    maxv = (1 << to_bits) - 1
    for value in data:
        acc = (acc << from_bits) | value
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            out.append((acc >> bits) & maxv)
    if pad:
        if bits:
            out.append((acc << (to_bits - bits)) & maxv)
    elif bits >= from_bits or (acc << (to_bits - bits)) & maxv:
        raise Bech32Error("invalid padding")
    return out


def encode(hrp: str, data: bytes) -> str:
    """Encode ``data`` under ``hrp``, in lower case.

    Raises ValueError for an empty or non-printable-ASCII ``hrp``.
    """
    if not hrp or any(not 33 <= ord(c) <= 126 for c in hrp):
        raise ValueError("invalid bech32 human-readable part")
    hrp = hrp.lower()
    words = _convert_bits(data, 8, 5, pad=True)
    polymod = _polymod(_hrp_expand(hrp) + words + [0] * 6) ^ _BECH32_CONST
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_CHARSET[w] for w in words + checksum)


def decode(s: str) -> tuple[str, bytes]:
    """Decode a bech32 string into (human-readable part as written, data).

    Raises Bech32Error (a ValueError) for anything that is not valid bech32.
    """
    if any(not 33 <= ord(c) <= 126 for c in s):
        raise Bech32Error("invalid character")
    if s.lower() != s and s.upper() != s:
        raise Bech32Error("mixed case")
    pos = s.rfind("1")
    if pos < 1 or pos + 7 > len(s):
        raise Bech32Error("invalid separator position")
    hrp = s[:pos]
    try:
        words = [_CHARSET_REV[c] for c in s[pos + 1 :].lower()]
    except KeyError:
        raise Bech32Error("invalid data character") from None
    if _polymod(_hrp_expand(hrp.lower()) + words) != _BECH32_CONST:
        raise Bech32Error("invalid checksum")
    return hrp, bytes(_convert_bits(words[:-6], 5, 8, pad=False))
