"""Strict parsing of request bodies (protocol §0, §4.1).

UTF-8 without BOM, no duplicate keys, nesting depth ≤ 8, unknown fields
refused, every field of the expected type. Every failure is ``Malformed``
(400) or ``TooLarge`` (413); nothing here touches storage.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from chalicelib import b64
from chalicelib.errors import Malformed, TooLarge

MAX_DEPTH = 8
_ID = {
    "b": re.compile(r"\Ab_[A-Za-z0-9_-]{22}\Z"),
    "a": re.compile(r"\Aa_[A-Za-z0-9_-]{22}\Z"),
    "c": re.compile(r"\Ac_[A-Za-z0-9_-]{22}\Z"),
    "m": re.compile(r"\Am_[A-Za-z0-9_-]{20}\Z"),
}


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise Malformed(f"Duplicate key {key!r}.")
        out[key] = value
    return out


def _depth(value: Any) -> int:
    """Nesting depth of containers, without recursion (no input can exhaust
    the stack)."""
    deepest, todo = 0, [(value, 1)]
    while todo:
        item, level = todo.pop()
        children = item.values() if isinstance(item, dict) else item \
            if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, level)
        if level <= MAX_DEPTH:
            todo.extend((child, level + 1) for child in children)
    return deepest


def _refuse_constant(name: str) -> Any:
    raise Malformed(f"{name} is not JSON.")


def parse_body(raw: bytes | None, max_bytes: int) -> dict[str, Any]:
    """Parse a JSON object body. Raises TooLarge before parsing, then Malformed."""
    raw = raw or b""
    if len(raw) > max_bytes:
        raise TooLarge()
    if raw.startswith(b"\xef\xbb\xbf"):
        raise Malformed("The body must not start with a byte-order mark.")
    try:
        text = raw.decode("utf-8")
        value = json.loads(
            text, object_pairs_hook=_no_duplicates, parse_constant=_refuse_constant
        )
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise Malformed("The body is not valid JSON.") from None
    if not isinstance(value, dict):
        raise Malformed("The body must be a JSON object.")
    if _depth(value) > MAX_DEPTH:
        raise Malformed("The body is nested too deeply.")
    return value


def fields(
    body: Mapping[str, Any], required: Sequence[str], optional: Sequence[str] = ()
) -> None:
    """Refuse unknown and missing fields (400)."""
    unknown = set(body) - set(required) - set(optional)
    if unknown:
        raise Malformed(f"Unknown field {sorted(unknown)[0]!r}.")
    for name in required:
        if name not in body:
            raise Malformed(f"Missing field {name!r}.")


def count(body: Mapping[str, Any], name: str) -> int:
    """A non-negative integer field (400 otherwise; JSON true is no number)."""
    value = body.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**53:
        raise Malformed(f"{name!r} must be a non-negative integer.")
    return value


def string(body: Mapping[str, Any], name: str, *, max_len: int = 256) -> str:
    value = body.get(name)
    if not isinstance(value, str) or len(value) > max_len:
        raise Malformed(f"{name!r} must be a string of at most {max_len} characters.")
    return value


def b64u_decode(value: str, what: str = "value") -> bytes:
    """Strict base64url without padding (protocol §0). Raises Malformed."""
    try:
        return b64.b64u_decode(value)
    except (TypeError, ValueError):
        raise Malformed(f"{what} is not canonical base64url.") from None


def b64u_encode(data: bytes) -> str:
    return b64.b64u_encode(data)



def b64u_field(
    body: Mapping[str, Any], name: str, *, size: int | None = None, max_size: int | None = None
) -> bytes:
    """A b64u field decoded; ``size`` exact, or at most ``max_size`` (413)."""
    value = body.get(name)
    if not isinstance(value, str):
        raise Malformed(f"{name!r} must be a base64url string.")
    if max_size is not None and len(value) > -(-max_size * 4 // 3):
        raise TooLarge(f"{name!r} is too large.")
    data = b64u_decode(value, repr(name))
    if size is not None and len(data) != size:
        raise Malformed(f"{name!r} must be {size} bytes.")
    return data


def identifier(value: Any, kind: str, what: str = "id") -> str:
    """An id of the given kind (``b``, ``a``, ``c``, ``m``). Raises Malformed."""
    if not isinstance(value, str) or not _ID[kind].match(value):
        raise Malformed(f"{what} is not a valid {kind}_ id.")
    return value


def id_list(body: Mapping[str, Any], name: str, kind: str, *, max_items: int) -> list[str]:
    """A list of distinct ids. Raises Malformed."""
    value = body.get(name)
    if not isinstance(value, list) or len(value) > max_items:
        raise Malformed(f"{name!r} must be a list of at most {max_items} ids.")
    ids = [identifier(v, kind, repr(name)) for v in value]
    if len(set(ids)) != len(ids):
        raise Malformed(f"{name!r} repeats an id.")
    return ids
