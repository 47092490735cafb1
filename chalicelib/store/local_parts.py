"""Attachments sent in parts to the local store (protocol §4.2).

The local twin of S3's multipart uploads: part ``n`` of blob ``key`` is the
file ``parts/<key>/<n>``, sent to a same-origin URL signed like the single
upload URLs (``PUT /v1/uploads/<key>/parts/<n>?upload=&size=&expires=&sig=``).
Sending a part again replaces it whole (written aside, then renamed).
Completion joins the parts into a temporary file and links it into
``uploads/<key>``, so the blob appears whole or not at all, then removes the
part directory. An upload in parts has a row in the ``uploads`` table from
its start, so the hourly sweep removes it a day later, completed or not.
"""

from __future__ import annotations

import contextlib
import hmac
import os
import secrets
import shutil
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import quote

from chalicelib.store.base import (
    BlobMissing,
    ConditionFailed,
    PartsMissing,
    StorageUnavailable,
    Upload,
)
from chalicelib.store.keys import LocalLayout

_COPY = 1 << 20


class UploadRefused(Exception):
    """A local upload or download URL was bad, expired, used, or the body did
    not have the announced size."""


class ByteSource(Protocol):
    """What an upload body must offer: a request's ``rfile``, a BytesIO."""

    def read(self, size: int, /) -> bytes: ...


class _LocalStore(Protocol):
    layout: LocalLayout
    tmp: Path
    uploads: Path

    def _now(self) -> int: ...
    def _db(self) -> contextlib.AbstractContextManager[sqlite3.Connection]: ...
    def _sign(self, *parts: str) -> str: ...
    def _link_into_place(self, tmp: Path, dest: Path, *, exclusive: bool,
                         missing_ok: bool = False) -> None: ...
    def blob_size(self, key: str) -> int | None: ...


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def receive(tmp: Path, body: ByteSource, size: int) -> int:
    """Copy up to ``size`` bytes of ``body`` into ``tmp``, synced; the number
    of bytes missing."""
    remaining = size
    with open(tmp, "wb") as f:
        while remaining:
            chunk = body.read(min(remaining, _COPY))
            if not chunk:
                break
            f.write(chunk)
            remaining -= len(chunk)
        f.flush()
        os.fsync(f.fileno())
    return remaining


class LocalParts:
    """The part methods of :class:`~chalicelib.store.local.LocalCaseStore`."""

    def start_parts(self: _LocalStore, key: str) -> str:
        directory = self.layout.parts / self.layout.file_name(key)
        with self._db() as db:
            # size -1: no single upload URL can match this row (receive_upload).
            db.execute("INSERT OR REPLACE INTO uploads (key, size, deadline, created) "
                       "VALUES (?,?,?,?)", (key, -1, 0, self._now()))
        try:
            directory.mkdir(mode=0o700, parents=True)
        except OSError as exc:
            raise StorageUnavailable(type(exc).__name__) from exc
        return secrets.token_hex(8)

    def part_url(self: _LocalStore, key: str, upload_id: str, number: int, length: int,
                 expires_in: int) -> Upload:
        deadline = self._now() + expires_in
        sig = self._sign("part", key, upload_id, str(number), str(length), str(deadline))
        url = (f"/v1/uploads/{quote(key)}/parts/{number}?upload={upload_id}&size={length}"
               f"&expires={deadline}&sig={sig}")
        return Upload("PUT", url, {"Content-Type": "application/octet-stream"})

    def receive_part(self: _LocalStore, key: str, number: int, query: dict[str, str],
                     body: ByteSource, length: int) -> None:
        """Check a local part URL (its query: upload, size, expires, sig) and
        store the body as that part. Raises UploadRefused, KeyError and
        ValueError (a query without a field), StorageUnavailable."""
        size, expires = int(query["size"]), int(query["expires"])
        good = self._sign("part", self.layout.file_name(key), query["upload"], str(number),
                          str(size), str(expires))
        if not hmac.compare_digest(good, query["sig"]) or expires < self._now() \
                or length != size:
            raise UploadRefused("bad, expired or mis-sized part")
        directory = self.layout.parts / key
        tmp = self.tmp / secrets.token_hex(16)
        try:
            if receive(tmp, body, size):
                raise UploadRefused("short part")
            os.replace(tmp, directory / str(number))  # a retried part replaces the old
            fsync_dir(directory)
        except FileNotFoundError:
            raise UploadRefused("no such upload, or completed") from None
        except OSError as exc:  # disk full: 503, as the API answers it
            raise StorageUnavailable(type(exc).__name__) from exc
        finally:
            tmp.unlink(missing_ok=True)

    def complete_parts(self: _LocalStore, key: str, upload_id: str,
                       lengths: Sequence[int]) -> None:
        directory = self.layout.parts / self.layout.file_name(key)
        try:
            with _opened_parts(directory, lengths) as parts:
                tmp = self.tmp / secrets.token_hex(16)
                try:
                    _join(parts, tmp)
                    self._link_into_place(tmp, self.uploads / key, exclusive=True)
                except ConditionFailed:
                    pass  # a concurrent completion linked the same bytes first
                except OSError as exc:
                    raise StorageUnavailable(type(exc).__name__) from exc
                finally:
                    tmp.unlink(missing_ok=True)
        except FileNotFoundError:
            if self.blob_size(key) == sum(lengths):
                return  # completed before
            raise BlobMissing(key) from None
        shutil.rmtree(directory, ignore_errors=True)


@contextlib.contextmanager
def _opened_parts(directory: Path, lengths: Sequence[int]) -> Iterator[Sequence[BinaryIO]]:
    """Parts 1..len(lengths), open. Raises FileNotFoundError when the
    directory is gone, PartsMissing when a part is missing, another is
    there, or one has another length."""
    names = sorted(os.listdir(directory))
    if names != sorted(str(n) for n in range(1, len(lengths) + 1)):
        raise PartsMissing(directory.name)
    with contextlib.ExitStack() as stack:
        # Open first, then check: a part replaced meanwhile is read as opened.
        files = [stack.enter_context(open(directory / str(n), "rb"))
                 for n in range(1, len(lengths) + 1)]
        if [os.fstat(f.fileno()).st_size for f in files] != list(lengths):
            raise PartsMissing(directory.name)
        yield files


def _join(parts: Sequence[BinaryIO], tmp: Path) -> None:
    with open(tmp, "wb") as out:
        for part in parts:
            shutil.copyfileobj(part, out, _COPY)
        out.flush()
        os.fsync(out.fileno())


def remove_parts(layout: LocalLayout, key: str) -> None:
    """Drop an upload's part directory, if any (the sweep)."""
    shutil.rmtree(layout.parts / key, ignore_errors=True)
