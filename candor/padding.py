"""Padding of documents and attachments before sealing (protocol §2.2).

Sizes leak through encryption, so every plaintext is padded to
`padme(max(len, 4096))` (Padmé, Nikitin et al., PETS 2019): at most about
12 % overhead, and only O(log log L) bits of the length stay visible.

A document is one UTF-8 JSON object followed by ASCII spaces; an attachment
is the file's bytes followed by zero bytes, truncated by readers to the
`size` its document gives.
"""

import json
from typing import Any

from chalicelib.jcs import MAX_SAFE_INTEGER

__all__ = [
    "MAX_DEPTH",
    "MIN_PADDED",
    "DocumentInvalid",
    "pad_attachment",
    "pad_document",
    "padded_attachment_size",
    "padded_length",
    "padme",
    "unpad_attachment",
    "unpad_document",
]

MIN_PADDED = 4096
MAX_DEPTH = 8  # protocol §0: nesting depth <= 8, the top-level object counting 1


class DocumentInvalid(ValueError):
    """A decrypted plaintext is not a well-formed padded document or attachment."""


def padme(length: int) -> int:
    """Padmé length for `length` >= 1. Raises ValueError below 1."""
    if isinstance(length, bool) or not isinstance(length, int) or length < 1:
        raise ValueError("padme is defined for lengths >= 1")
    exponent = length.bit_length() - 1  # E = floor(log2 L)
    size_bits = exponent.bit_length()  # S = floor(log2 E) + 1 (0 when E = 0)
    mask = (1 << (exponent - size_bits)) - 1
    return (length + mask) & ~mask


def padded_length(length: int) -> int:
    """`padme(max(length, 4096))`. Raises ValueError for a negative length."""
    if isinstance(length, bool) or not isinstance(length, int) or length < 0:
        raise ValueError("a length is a non-negative integer")
    return padme(max(length, MIN_PADDED))


def pad_document(json_bytes: bytes) -> bytes:
    """Append spaces to one encoded JSON object. Raises ValueError if it is not one."""
    if not json_bytes.startswith(b"{") or not json_bytes.endswith(b"}"):
        raise ValueError("a document is one JSON object")
    return json_bytes + b" " * (padded_length(len(json_bytes)) - len(json_bytes))


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise DocumentInvalid("duplicate key")
    return result


def _refuse_number(text: str) -> Any:
    raise DocumentInvalid(f"non-integer number {text[:16]!r}")


def _check_value(value: Any, depth: int) -> None:
    """Depth, integer range and well-formed strings (no lone surrogates)."""
    if isinstance(value, dict | list):
        if depth > MAX_DEPTH:
            raise DocumentInvalid(f"nesting deeper than {MAX_DEPTH}")
        items = list(value.items()) if isinstance(value, dict) else [("", v) for v in value]
        for key, item in items:
            _check_value(key, depth)
            _check_value(item, depth + 1)
    elif isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise DocumentInvalid("lone surrogate in a string") from None
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_SAFE_INTEGER:
        raise DocumentInvalid("integer outside +-(2^53 - 1)")


def unpad_document(plaintext: bytes) -> dict[str, Any]:
    """Parse a padded document strictly.

    Raises DocumentInvalid unless `plaintext` is one UTF-8 JSON object (no
    BOM, no leading space, no duplicate keys, no floats, depth <= 8)
    followed only by 0x20 bytes.
    """
    body = plaintext.rstrip(b" ")
    if not body.startswith(b"{") or not body.endswith(b"}"):
        raise DocumentInvalid("not one JSON object followed by spaces")
    try:
        text = body.decode("utf-8")
        document = json.loads(
            text,
            object_pairs_hook=_refuse_duplicates,
            parse_float=_refuse_number,
            parse_constant=_refuse_number,
        )
    except DocumentInvalid:
        raise
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError included
        raise DocumentInvalid("not valid UTF-8 JSON") from None
    if not isinstance(document, dict):
        raise DocumentInvalid("not a JSON object")
    _check_value(document, 1)
    return document


def padded_attachment_size(size: int) -> int:
    """Plaintext length of an attachment of `size` bytes, for streaming writers."""
    return padded_length(size)


def pad_attachment(data: bytes) -> bytes:
    """Append zero bytes up to `padded_attachment_size(len(data))`."""
    return data + bytes(padded_attachment_size(len(data)) - len(data))


def unpad_attachment(plaintext: bytes, size: object) -> bytes:
    """Truncate to `size`, the length its document lists.

    Raises DocumentInvalid when `size` is not an integer within the
    plaintext or the bytes after it are not all zero.
    """
    if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= len(plaintext):
        raise DocumentInvalid("attachment size does not fit the plaintext")
    if plaintext[size:].strip(b"\x00"):
        raise DocumentInvalid("attachment padding is not zero bytes")
    return plaintext[:size]
