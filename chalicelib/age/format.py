"""The age header: stanzas, header MAC line, and their exact encoding.

C2SP age, "Header". Parsing is strict so that every header has exactly one
encoding: the bytes covered by the header MAC are the bytes read, and
re-encoding a parsed header gives them back. Any deviation raises AgeError.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from typing import NamedTuple, Protocol

from chalicelib.age.errors import AgeError

INTRO = b"age-encryption.org/v1\n"
STANZA_PREFIX = b"->"
FOOTER_PREFIX = b"---"
COLUMNS_PER_LINE = 64
BYTES_PER_LINE = COLUMNS_PER_LINE // 4 * 3
MAC_SIZE = 32
# No legitimate header comes close: 32 hybrid stanzas are about 50 KiB. The cap
# bounds the memory a reader spends before it can reject a file.
MAX_HEADER_SIZE = 1 << 20

_B64_CHARS = re.compile(rb"[A-Za-z0-9+/]*")
_READ_SIZE = 16 * 1024


# NamedTuple rather than dataclass: dataclasses imports inspect, a noticeable
# share of the CLI's start-up time.
class Stanza(NamedTuple):
    """One recipient stanza: its type (first argument), the other
    arguments, and the decoded body."""

    type: str
    args: tuple[str, ...]
    body: bytes


class Header(NamedTuple):
    """A parsed header. ``mac_input`` is the header up to and including the
    ``---`` of the MAC line, exactly as read; ``size`` counts the whole
    header including the MAC line and its newline."""

    stanzas: tuple[Stanza, ...]
    mac: bytes
    mac_input: bytes
    size: int


def b64decode(s: bytes) -> bytes:
    """Decode canonical unpadded standard base64 (C2SP age, "Conventions").

    Raises AgeError for padding, stray characters (newlines included) or
    non-zero trailing bits.
    """
    if len(s) % 4 == 1 or _B64_CHARS.fullmatch(s) is None:
        raise AgeError()
    try:
        data = binascii.a2b_base64(s + b"=" * (-len(s) % 4), strict_mode=True)
    except binascii.Error:
        raise AgeError() from None
    if b64encode(data) != s:
        raise AgeError()  # non-canonical: trailing bits were set
    return data


def b64encode(data: bytes) -> bytes:
    """Encode ``data`` as unpadded standard base64."""
    return base64.b64encode(data).rstrip(b"=")


def _is_valid_arg(arg: bytes) -> bool:
    return bool(arg) and all(33 <= c <= 126 for c in arg)


def encode_stanza(stanza: Stanza) -> bytes:
    """Encode one stanza; the body ends with a short (possibly empty) line.

    Raises ValueError for an empty argument or one outside ASCII 33-126.
    """
    fields = [stanza.type, *stanza.args]
    raw = [f.encode("ascii", "strict") if f.isascii() else b"" for f in fields]
    if not all(_is_valid_arg(a) for a in raw):
        raise ValueError("stanza arguments must be non-empty printable ASCII")
    out = [STANZA_PREFIX + b" " + b" ".join(raw) + b"\n"]
    body = stanza.body
    for i in range(0, len(body), BYTES_PER_LINE):
        out.append(b64encode(body[i : i + BYTES_PER_LINE]) + b"\n")
    if len(body) % BYTES_PER_LINE == 0:
        out.append(b"\n")
    return b"".join(out)


def encode_header_without_mac(stanzas: Sequence[Stanza]) -> bytes:
    """The bytes the header MAC covers: intro, stanzas and ``---``."""
    return INTRO + b"".join(encode_stanza(s) for s in stanzas) + FOOTER_PREFIX


def encode_header(stanzas: Sequence[Stanza], mac: bytes) -> bytes:
    """The full header, MAC line and final newline included."""
    return encode_header_without_mac(stanzas) + b" " + b64encode(mac) + b"\n"


def header_end(buf: bytes | bytearray) -> int | None:
    """Offset just past the MAC line's newline, or None if ``buf`` does not
    hold a whole header yet. Body lines are base64, which has no ``-``, so
    the first line starting with ``---`` is the only possible MAC line."""
    pos = buf.find(b"\n" + FOOTER_PREFIX)
    if pos < 0:
        return None
    nl = buf.find(b"\n", pos + 1)
    return None if nl < 0 else nl + 1


def _parse_stanza(lines: list[bytes], i: int) -> tuple[Stanza, int]:
    parts = lines[i].split(b" ")
    if parts[0] != STANZA_PREFIX or len(parts) < 2:
        raise AgeError()
    if not all(_is_valid_arg(a) for a in parts[1:]):
        raise AgeError()
    args = [a.decode("ascii") for a in parts[1:]]
    body = bytearray()
    while True:
        i += 1
        if i >= len(lines):
            raise AgeError()  # every stanza ends with a short body line
        chunk = b64decode(lines[i])
        if len(chunk) > BYTES_PER_LINE:
            raise AgeError()
        body += chunk
        if len(chunk) < BYTES_PER_LINE:
            return Stanza(args[0], tuple(args[1:]), bytes(body)), i + 1


def parse_header(buf: bytes | bytearray) -> Header:
    """Parse the header at the start of ``buf`` (which may continue with the
    payload). Raises AgeError if it is malformed or incomplete."""
    end = header_end(buf)
    if end is None or end > MAX_HEADER_SIZE or not buf.startswith(INTRO):
        raise AgeError()
    lines = bytes(buf[: end - 1]).split(b"\n")
    stanzas: list[Stanza] = []
    i = 1
    while not lines[i].startswith(FOOTER_PREFIX):
        stanza, i = _parse_stanza(lines, i)
        stanzas.append(stanza)
    if i != len(lines) - 1:
        raise AgeError()  # a stanza body swallowed the MAC line
    parts = lines[i].split(b" ")
    if parts[0] != FOOTER_PREFIX or len(parts) != 2:
        raise AgeError()
    mac = b64decode(parts[1])
    if len(mac) != MAC_SIZE:
        raise AgeError()
    mac_input = bytes(buf[: end - len(parts[1]) - 2])
    return Header(tuple(stanzas), mac, mac_input, end)


class ByteReader(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def read_header(src: ByteReader, prefix: bytes = b"") -> tuple[Header, bytes]:
    """Read and parse a header from ``prefix`` then ``src``; return it and
    the bytes read past its end (the start of the payload). Raises AgeError."""
    buf = bytearray(prefix)
    # Rescanning from the start is quadratic only up to MAX_HEADER_SIZE.
    while (end := header_end(buf)) is None:
        if len(buf) > MAX_HEADER_SIZE:
            raise AgeError()
        block = src.read(_READ_SIZE)
        if not block:
            raise AgeError()
        buf += block
    header = parse_header(buf)
    return header, bytes(buf[end:])
