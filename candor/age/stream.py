"""The payload: STREAM over ChaCha20-Poly1305 in 64 KiB chunks
(C2SP age, "Payload").

Chunk i is sealed with nonce = i as an 11-byte big-endian counter followed by
a last-chunk flag byte. Every chunk but the last is full; the last may be
full, and may be empty only when the whole payload is empty.

Memory is a few fixed buffers of BATCH_CHUNKS chunks whatever the file size,
and plaintext is yielded only after its tag has verified.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from chalicelib.age.errors import AgeError
from chalicelib.age.format import ByteReader

CHUNK_SIZE = 64 * 1024
TAG_SIZE = 16
ENCRYPTED_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE
# Chunks read, sealed or opened per system call: fewer calls, still ~3 MiB of
# buffers whatever the file size.
BATCH_CHUNKS = 16


class Writable(Protocol):
    def write(self, data: bytes | memoryview, /) -> object: ...


class Source:
    """A binary reader that first serves ``prefix`` (bytes already read
    past the header), then ``src``; ``fill`` reads until a buffer is full or
    the input ends."""

    def __init__(self, src: ByteReader, prefix: bytes = b"") -> None:
        self._prefix = prefix
        self._readinto: Callable[[memoryview], int | None] | None = getattr(src, "readinto", None)
        self._src = src

    def _read_some(self, view: memoryview) -> int:
        if self._prefix:
            n = min(len(view), len(self._prefix))
            view[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        if self._readinto is not None:
            return self._readinto(view) or 0
        data = self._src.read(len(view))
        view[: len(data)] = data
        return len(data)

    def fill(self, view: memoryview) -> int:
        """Read into ``view`` until it is full or the input ends; return the
        number of bytes read."""
        n = 0
        while n < len(view):
            got = self._read_some(view[n:])
            if not got:
                break
            n += got
        return n

    def read_up_to(self, size: int) -> bytes:
        """Read ``size`` bytes, fewer only if the input ends first."""
        buf = bytearray(size)
        return bytes(buf[: self.fill(memoryview(buf))])

    def read_exactly(self, size: int) -> bytes:
        """Read ``size`` bytes. Raises AgeError if the input ends first."""
        buf = bytearray(size)
        if self.fill(memoryview(buf)) != size:
            raise AgeError()
        return bytes(buf)


def _nonce(counter: int, last: bool) -> bytes:
    # 11-byte counter || flag; 2**88 chunks cannot be reached in practice.
    return (counter << 8 | last).to_bytes(12, "big")


def _open(
    aead: ChaCha20Poly1305, counter: int, last: bool, sealed: memoryview, out: memoryview
) -> bool:
    try:
        aead.decrypt_into(_nonce(counter, last), sealed, None, out)
    except InvalidTag:
        # OpenSSL writes the plaintext before it checks the tag: wipe it so a
        # stale view can never expose unauthenticated bytes.
        out[:] = bytes(len(out))
        return False
    return True


def decrypt_chunks(key: bytes, src: Source) -> Iterator[memoryview]:
    """Yield the authenticated plaintext of a payload, a batch of up to
    BATCH_CHUNKS chunks at a time. Each view is valid until the next one is
    requested. Raises AgeError at the first chunk that is truncated,
    tampered with, reordered or misplaced, or if data follows the last
    chunk, after yielding the chunks before it that authenticated.

    Like the reference implementation, a full chunk is first tried as a
    middle chunk, then as the last one, so the plaintext released before an
    error is exactly what the C2SP test vectors expect."""
    aead = ChaCha20Poly1305(key)
    sealed = memoryview(bytearray(BATCH_CHUNKS * ENCRYPTED_CHUNK_SIZE))
    plain = memoryview(bytearray(BATCH_CHUNKS * CHUNK_SIZE))
    counter = 0
    while True:
        size = src.fill(sealed)
        done = 0  # plaintext bytes of this batch that authenticated
        for start in range(0, max(size, 1), ENCRYPTED_CHUNK_SIZE):
            chunk = sealed[start : min(start + ENCRYPTED_CHUNK_SIZE, size)]
            out = plain[done : done + max(len(chunk) - TAG_SIZE, 0)]
            if len(chunk) == ENCRYPTED_CHUNK_SIZE and _open(aead, counter, False, chunk, out):
                done += CHUNK_SIZE
                counter += 1
                continue
            # Otherwise this must be the last chunk: short, or full and last.
            # It may be empty only if it is the only one.
            allowed = len(chunk) >= TAG_SIZE and (counter == 0 or len(out) > 0)
            if allowed and _open(aead, counter, True, chunk, out):
                yield plain[: done + len(out)]
                if start + len(chunk) == size and (size < len(sealed) or not src.fill(sealed[:1])):
                    return
                raise AgeError()  # data after the last chunk
            if done:
                yield plain[:done]
            raise AgeError()
        yield plain[:done]


def encrypt_chunks(key: bytes, src: Source) -> Iterator[memoryview]:
    """Yield the sealed payload read from ``src``, a batch of up to
    BATCH_CHUNKS chunks at a time. Each view is valid until the next one is
    requested."""
    aead = ChaCha20Poly1305(key)
    batch = BATCH_CHUNKS * CHUNK_SIZE
    current = memoryview(bytearray(batch))
    following = memoryview(bytearray(batch))
    sealed = memoryview(bytearray(BATCH_CHUNKS * ENCRYPTED_CHUNK_SIZE))
    size = src.fill(current)
    counter = 0
    while True:
        # Whether the input ends with this batch decides the last-chunk flag.
        next_size = src.fill(following) if size == batch else 0
        written = 0
        for start in range(0, max(size, 1), CHUNK_SIZE):
            chunk = current[start : min(start + CHUNK_SIZE, size)]
            last = next_size == 0 and start + CHUNK_SIZE >= size
            out = sealed[written : written + len(chunk) + TAG_SIZE]
            aead.encrypt_into(_nonce(counter, last), chunk, None, out)
            written += len(out)
            counter += 1
        yield sealed[:written]
        if next_size == 0:
            return
        current, following, size = following, current, next_size
