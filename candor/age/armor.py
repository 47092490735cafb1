"""The ASCII armor (C2SP age, "ASCII armor"): strict PEM with type
``AGE ENCRYPTED FILE``, standard padded base64 in 64-column lines.

Readers accept LF or CRLF line endings and up to 1024 bytes of whitespace
before and after the armor, and nothing else: no headers, no empty or
whitespace-padded lines, no short line before the last, canonical base64.
"""

from __future__ import annotations

import binascii
from typing import BinaryIO

from candor.age.stream import Writable
from chalicelib.age.errors import AgeError

BEGIN = b"-----BEGIN AGE ENCRYPTED FILE-----"
END = b"-----END AGE ENCRYPTED FILE-----"
COLUMNS_PER_LINE = 64
BYTES_PER_LINE = COLUMNS_PER_LINE // 4 * 3
MAX_WHITESPACE = 1024
_WHITESPACE = b" \t\r\n\v\f"
_LINE_LIMIT = COLUMNS_PER_LINE + 2  # the longest valid line: 64 columns and CRLF


def is_armored(prefix: bytes) -> bool:
    """Whether a file starting with ``prefix`` is meant to be armored."""
    return prefix.lstrip(_WHITESPACE).startswith(b"-----BEGIN")


def _decode_line(line: bytes) -> bytes:
    try:
        data = binascii.a2b_base64(line, strict_mode=True)
    except binascii.Error:
        raise AgeError() from None
    if binascii.b2a_base64(data, newline=False) != line:
        raise AgeError()  # non-canonical padding bits
    return data


class ArmorReader:
    """Decode armor from ``src`` as it is read, one line at a time.

    Raises AgeError from ``read`` as soon as the armor is malformed."""

    def __init__(self, src: BinaryIO, prefix: bytes = b"") -> None:
        self._src = src
        self._prefix = prefix  # bytes the caller already read from src
        self._pending = b""
        self._started = False
        self._done = False

    def _line(self) -> bytes | None:
        """The next line without its LF or CRLF, None at end of input."""
        raw = self._readline(_LINE_LIMIT + 1)
        if not raw:
            return None
        if len(raw) > _LINE_LIMIT and not raw.endswith(b"\n"):
            raise AgeError()  # column limit exceeded
        line = raw.removesuffix(b"\n")
        return line.removesuffix(b"\r") if raw.endswith(b"\n") else line

    def _readline(self, limit: int) -> bytes:
        if not self._prefix:
            return self._src.readline(limit)
        nl = self._prefix.find(b"\n", 0, limit)
        if nl >= 0 or len(self._prefix) >= limit:
            end = nl + 1 if nl >= 0 else limit
            raw, self._prefix = self._prefix[:end], self._prefix[end:]
            return raw
        raw, self._prefix = self._prefix, b""
        return raw + self._src.readline(limit - len(raw))

    def _skip_whitespace_lines(self) -> bytes | None:
        seen = 0
        while (line := self._line()) is not None:
            if line.strip(_WHITESPACE):
                return line
            seen += len(line) + 1
            if seen > MAX_WHITESPACE:
                raise AgeError()
        return None

    def _begin(self) -> None:
        if self._skip_whitespace_lines() != BEGIN:
            raise AgeError()

    def _finish(self) -> None:
        if self._skip_whitespace_lines() is not None:
            raise AgeError()  # trailing data after the armor
        self._done = True

    def _next_block(self) -> bytes:
        line = self._line()
        if line is None:
            raise AgeError()  # no END line
        if line == END:
            self._finish()
            return b""
        if not 0 < len(line) <= COLUMNS_PER_LINE:
            raise AgeError()
        data = _decode_line(line)
        if len(data) < BYTES_PER_LINE:
            if self._line() != END:
                raise AgeError()  # a short line must be the last one
            self._finish()
        return data

    def read(self, size: int = -1) -> bytes:
        """Return up to ``size`` decoded bytes (all if negative); b"" at the
        end. Raises AgeError."""
        if not self._started:
            self._begin()
            self._started = True
        out = bytearray(self._pending)
        while not self._done and (size < 0 or len(out) < size):
            out += self._next_block()
        if size < 0:
            size = len(out)
        self._pending = bytes(out[size:])
        return bytes(out[:size])


class ArmorWriter:
    """Encode to ``dst`` as armor; ``close`` writes the final line and END
    (it does not close ``dst``)."""

    def __init__(self, dst: Writable) -> None:
        self._dst = dst
        self._pending = bytearray()
        self._dst.write(BEGIN + b"\n")

    def write(self, data: bytes | memoryview) -> int:
        self._pending += data
        whole = len(self._pending) // BYTES_PER_LINE * BYTES_PER_LINE
        if whole:
            self._dst.write(_encode_lines(self._pending[:whole]))
            del self._pending[:whole]
        return len(data)

    def close(self) -> None:
        if self._pending:
            self._dst.write(_encode_lines(self._pending))
        self._pending.clear()
        self._dst.write(END + b"\n")


def _encode_lines(data: bytes | bytearray) -> bytes:
    text = binascii.b2a_base64(data, newline=False)
    lines = [text[i : i + COLUMNS_PER_LINE] for i in range(0, len(text), COLUMNS_PER_LINE)]
    return b"\n".join(lines) + b"\n"
