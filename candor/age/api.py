"""Encrypting and decrypting age files (C2SP age), the two one-method
interfaces every recipient and identity type implements, and the rules on
mixing them (protocol §2.1)."""

from __future__ import annotations

import contextlib
import io
import os
import stat
from collections.abc import Iterator, Sequence
from typing import BinaryIO, Protocol

from candor.age.armor import ArmorReader, ArmorWriter
from candor.age.primitives import (
    PAYLOAD_NONCE_SIZE,
    check_header_mac,
    header_mac,
    new_file_key,
    stream_key,
)
from candor.age.stream import Source, Writable, decrypt_chunks, encrypt_chunks
from chalicelib.age.errors import AgeError
from chalicelib.age.format import (
    INTRO,
    ByteReader,
    Stanza,
    b64encode,
    encode_header_without_mac,
    read_header,
)
from chalicelib.age.recipient_types import SCRYPT


class Recipient(Protocol):
    """Something a file key can be wrapped to."""

    def wrap(self, file_key: bytes) -> list[Stanza]: ...


class Identity(Protocol):
    """Something that can unwrap a file key from a header's stanzas: returns
    None when no stanza is for it, raises AgeError for a malformed one."""

    def unwrap(self, stanzas: Sequence[Stanza]) -> bytes | None: ...


def _check_stanza_types(stanzas: Sequence[Stanza]) -> None:
    types = {s.type for s in stanzas}
    if SCRYPT in types and len(stanzas) != 1:
        raise ValueError("a passphrase cannot be combined with other recipients")
    if len(types) != 1:
        raise ValueError("all recipients of a file must be of one type")


def _header(recipients: Sequence[Recipient], file_key: bytes) -> bytes:
    if not recipients:
        raise ValueError("at least one recipient is required")
    stanzas = [s for r in recipients for s in r.wrap(file_key)]
    _check_stanza_types(stanzas)
    mac_input = encode_header_without_mac(stanzas)
    return mac_input + b" " + b64encode(header_mac(file_key, mac_input)) + b"\n"


def encrypt(
    recipients: Sequence[Recipient], src: BinaryIO, dst: BinaryIO, *, armor: bool = False
) -> None:
    """Encrypt ``src`` to ``dst`` for ``recipients``, streaming in 64 KiB
    chunks. Raises ValueError for no recipients, recipients of different
    types, or a passphrase combined with anything else."""
    file_key = new_file_key()
    header = _header(recipients, file_key)
    nonce = os.urandom(PAYLOAD_NONCE_SIZE)
    out: Writable = ArmorWriter(dst) if armor else dst
    out.write(header + nonce)
    for chunk in encrypt_chunks(stream_key(file_key, nonce), Source(src)):
        out.write(chunk)
    if isinstance(out, ArmorWriter):
        out.close()


def _unwrap(identities: Sequence[Identity], stanzas: Sequence[Stanza]) -> bytes:
    # An scrypt stanza must be alone whoever is decrypting (C2SP age, "scrypt
    # recipient stanza"), so this is checked before any identity looks.
    if any(s.type == SCRYPT for s in stanzas) and len(stanzas) != 1:
        raise AgeError()
    for identity in identities:
        file_key = identity.unwrap(stanzas)
        if file_key is not None:
            return file_key
    raise AgeError()


def decrypt_chunks_from(identities: Sequence[Identity], src: BinaryIO) -> Iterator[memoryview]:
    """Yield the authenticated plaintext of an armored or binary age file
    chunk by chunk (each view is valid until the next is requested).
    Raises AgeError, possibly after some chunks were yielded."""
    if not identities:
        raise ValueError("at least one identity is required")
    head = Source(src).read_up_to(len(INTRO))
    reader: ByteReader = src
    if head != INTRO:
        # Binary files start with the intro; anything else must be armor.
        reader, head = ArmorReader(src, head), b""
    header, rest = read_header(reader, head)
    file_key = _unwrap(identities, header.stanzas)
    check_header_mac(file_key, header.mac_input, header.mac)
    source = Source(reader, rest)
    nonce = source.read_exactly(PAYLOAD_NONCE_SIZE)
    yield from decrypt_chunks(stream_key(file_key, nonce), source)


def decrypt(identities: Sequence[Identity], src: BinaryIO, dst: BinaryIO) -> None:
    """Decrypt an armored or binary age file from ``src`` into ``dst``.

    Only authenticated chunks are written, but when AgeError is raised the
    chunks before the failure have been written: callers that keep the
    output must discard it (``decrypt_bytes`` and ``decrypt_file`` do)."""
    for chunk in decrypt_chunks_from(identities, src):
        dst.write(chunk)


def encrypt_bytes(recipients: Sequence[Recipient], data: bytes, *, armor: bool = False) -> bytes:
    """Encrypt ``data``; see ``encrypt``."""
    out = io.BytesIO()
    encrypt(recipients, io.BytesIO(data), out, armor=armor)
    return out.getvalue()


def decrypt_bytes(identities: Sequence[Identity], data: bytes) -> bytes:
    """Decrypt ``data`` whole. Raises AgeError, returning nothing."""
    out = io.BytesIO()
    decrypt(identities, io.BytesIO(data), out)
    return out.getvalue()


def _is_special(path: str) -> bool:
    """Whether ``path`` exists and is not a regular file (a device such as
    /dev/null, a FIFO, a terminal): those are written in place, since
    renaming a file over them would replace the device itself."""
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except FileNotFoundError:
        return False


@contextlib.contextmanager
def _atomic_output(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """A temporary file next to ``path`` (mode 0600), renamed onto ``path``
    when the block succeeds and deleted when it raises. Symbolic links are
    followed; special files are written directly."""
    target = os.path.realpath(path)
    if _is_special(target):
        with open(target, "wb") as out:
            yield out
        return
    directory, name = os.path.split(target)
    tmp = os.path.join(directory, f".{name}.{os.urandom(6).hex()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def decrypt_file(
    identities: Sequence[Identity], src: BinaryIO, path: str | os.PathLike[str]
) -> None:
    """Decrypt into ``path``, which appears only once the whole file has
    authenticated; on failure nothing is left behind and an existing
    ``path`` is untouched. (A device or FIFO is written as the file
    decrypts, like ``decrypt``.) Raises AgeError or OSError."""
    with _atomic_output(path) as out:
        decrypt(identities, src, out)


def encrypt_file(
    recipients: Sequence[Recipient],
    src: BinaryIO,
    path: str | os.PathLike[str],
    *,
    armor: bool = False,
) -> None:
    """Encrypt into ``path``, which appears only once encryption finished.
    Raises ValueError or OSError."""
    with _atomic_output(path) as out:
        encrypt(recipients, src, out, armor=armor)
