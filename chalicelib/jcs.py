"""RFC 8785 (JCS) canonical JSON for Candor's restricted value set (protocol §0).

Signed and hashed objects hold only strings, integers, booleans, null,
arrays and objects. Anything else is refused rather than approximated:

- floats (and every non-integer number) raise TypeError: RFC 8785 number
  formatting is where implementations disagree, and v1 never needs it;
- integers outside ±(2^53 - 1) raise ValueError: a browser's
  `JSON.parse` would silently round them, so the two sides would sign
  different numbers;
- strings that are not valid Unicode scalar sequences (lone surrogates)
  raise ValueError: they have no UTF-8 form.

Object keys are sorted by their UTF-16 code units, as RFC 8785 §3.2.3 and
the browser's default `Array.prototype.sort` do. Python's `sorted()` orders
by code point, which differs when keys mix characters above U+FFFF with
characters in U+E000-U+FFFF, so this module does not use `sort_keys`.
"""

import json
from collections.abc import Mapping, Sequence

__all__ = ["MAX_DEPTH", "MAX_SAFE_INTEGER", "canonicalize"]

MAX_SAFE_INTEGER = 2**53 - 1
# Far above protocol §0's depth limit of 8 for bodies; only a guard against
# RecursionError on hostile input, which must fail with a typed error.
MAX_DEPTH = 64


def canonicalize(value: object) -> bytes:
    """Return `JCS(value)` as UTF-8 bytes.

    Raises TypeError for values outside the restricted set (floats, bytes,
    non-string keys, …) and ValueError for integers beyond ±(2^53 - 1),
    strings with lone surrogates, or nesting deeper than MAX_DEPTH.
    """
    parts: list[str] = []
    _write(value, parts, 1)
    return "".join(parts).encode("utf-8")


def _utf16_key(key: str) -> bytes:
    # Big-endian UTF-16 bytes compare exactly like sequences of code units.
    return key.encode("utf-16-be", errors="surrogatepass")


def _write_string(text: str, parts: list[str]) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("JCS: string holds a lone surrogate") from exc
    # With ensure_ascii=False, json.dumps escapes exactly what ECMAScript's
    # JSON.stringify escapes: `"`, `\`, and U+0000-U+001F (\b \f \n \r \t
    # short forms, the rest as lower-case \u00xx).
    parts.append(json.dumps(text, ensure_ascii=False))


def _write(value: object, parts: list[str], depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ValueError(f"JCS: nesting deeper than {MAX_DEPTH}")
    if value is None or isinstance(value, bool):
        parts.append({None: "null", True: "true", False: "false"}[value])
    elif isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise ValueError("JCS: integer outside ±(2^53 - 1)")
        parts.append(str(int(value)))
    elif isinstance(value, str):
        _write_string(value, parts)
    elif isinstance(value, Mapping):
        _write_object(value, parts, depth)
    elif isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        parts.append("[")
        for index, item in enumerate(value):
            if index:
                parts.append(",")
            _write(item, parts, depth + 1)
        parts.append("]")
    else:
        raise TypeError(f"JCS: unsupported type {type(value).__name__}")


def _write_object(value: Mapping[object, object], parts: list[str], depth: int) -> None:
    keys: list[str] = []
    for key in value:
        if not isinstance(key, str):
            raise TypeError("JCS: object keys must be strings")
        keys.append(key)
    parts.append("{")
    for index, key in enumerate(sorted(keys, key=_utf16_key)):
        if index:
            parts.append(",")
        _write_string(key, parts)
        parts.append(":")
        _write(value[key], parts, depth + 1)
    parts.append("}")
