"""The embedded default backend: sealed blobs as files, the index in SQLite.

Durability: a blob is written to a temporary file, fsync'd, then linked into
place (``os.link`` refuses to overwrite) and the directory fsync'd, so a kill
at any point leaves either nothing or the whole blob. The index runs in WAL
mode with ``synchronous=FULL``; a transaction is acknowledged only after
SQLite committed it.

Uploads (protocol §4.2) are same-origin URLs signed with an HMAC key kept in the
data directory; ``candor serve`` checks the signature and streams the body
into ``uploads/`` through :meth:`LocalCaseStore.receive_upload`.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import quote

from chalicelib.store import keys
from chalicelib.store.base import (
    ABSENT,
    ANY,
    BlobMissing,
    Check,
    Clock,
    ConditionFailed,
    Delete,
    Item,
    Key,
    Op,
    Partition,
    StorageUnavailable,
    Upload,
    check_ops,
    raw_key,
    raw_partition,
)
from chalicelib.store.local_parts import ByteSource as ByteSource
from chalicelib.store.local_parts import LocalParts, receive, remove_parts
from chalicelib.store.local_parts import UploadRefused as UploadRefused
from chalicelib.store.local_parts import fsync_dir as _fsync_dir

UPLOAD_TTL = 24 * 3600
EXPIRED_KEPT = 24 * 3600
"""How long ``sweep`` keeps an expired item's row (see there)."""


class LocalCaseStore(LocalParts):
    """Files under ``data_dir/blobs``, index in ``data_dir/index.sqlite3``."""

    def __init__(self, data_dir: str | os.PathLike[str], *, clock: Clock = time) -> None:
        self.layout = keys.LocalLayout(Path(data_dir))
        self.root, self.blobs = self.layout.root, self.layout.blobs
        self.uploads, self.tmp = self.layout.uploads, self.layout.tmp
        for d in (self.root, self.blobs, self.uploads, self.tmp, self.layout.parts):
            d.mkdir(mode=0o700, parents=True, exist_ok=True)
        # mkdir leaves an existing directory's mode alone: make it private.
        self.root.chmod(0o700)
        self._clock = clock
        self._local = threading.local()
        self._url_key = self._load_url_key()
        with self._db() as db:
            db.executescript(keys.SQLITE_SCHEMA)

    # -- plumbing ------------------------------------------------------------
    def _now(self) -> int:
        return int(self._clock.time())

    def _load_url_key(self) -> bytes:
        path = self.layout.url_key
        if not path.exists():
            self._write_file(path, secrets.token_bytes(32), exclusive=True, missing_ok=True)
        return path.read_bytes()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(
            self.layout.index, isolation_level=None, timeout=30,
            check_same_thread=False,
        )
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA busy_timeout=30000")
        # Deleted and overwritten rows (retired receipts' links, purged
        # cases) are zeroed in the database file, not left in free pages.
        db.execute("PRAGMA secure_delete=ON")
        return db

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = self._connect()
        try:
            yield db
        except sqlite3.Error as exc:
            raise StorageUnavailable(type(exc).__name__) from exc

    def _write_file(
        self, dest: Path, data: bytes, *, exclusive: bool, missing_ok: bool = False
    ) -> None:
        tmp = self.tmp / secrets.token_hex(16)
        try:
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        except BaseException:
            # A full disk fails the write: the partial file would keep the
            # space taken until the hourly sweep.
            tmp.unlink(missing_ok=True)
            raise
        self._link_into_place(tmp, dest, exclusive=exclusive, missing_ok=missing_ok)

    def _link_into_place(
        self, tmp: Path, dest: Path, *, exclusive: bool, missing_ok: bool = False
    ) -> None:
        try:
            if exclusive:
                os.link(tmp, dest)  # refuses to overwrite: write-once blobs
            else:
                os.replace(tmp, dest)
        except FileExistsError:
            if not missing_ok:
                raise ConditionFailed(0) from None
        finally:
            tmp.unlink(missing_ok=True)
        _fsync_dir(dest.parent)

    # -- index ---------------------------------------------------------------
    def get(self, pk: Key[Any] | str, sk: str | None = None, /) -> Item[Any] | None:
        pk, sk = raw_key(pk, sk)
        with self._db() as db:
            row = db.execute(
                "SELECT data, version, expires FROM items WHERE pk=? AND sk=?", (pk, sk)
            ).fetchone()
        if row is None or (row[2] is not None and row[2] <= self._now()):
            return None
        return Item(pk, sk, json.loads(row[0]), row[1], row[2])

    def query(
        self, partition: Partition[Any] | str, /, *, prefix: str = "", after: str | None = None,
        limit: int | None = None,
    ) -> list[Item[Any]]:
        pk, prefix = raw_partition(partition, prefix)
        sql = "SELECT sk, data, version, expires FROM items WHERE pk=? AND substr(sk,1,?)=?"
        args: list[object] = [pk, len(prefix), prefix]
        if after is not None:
            sql += " AND sk>?"
            args.append(after)
        sql += " AND (expires IS NULL OR expires>?) ORDER BY sk"
        args.append(self._now())
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        with self._db() as db:
            rows = db.execute(sql, args).fetchall()
        return [Item(pk, r[0], json.loads(r[1]), r[2], r[3]) for r in rows]

    def transact(self, ops: Sequence[Op]) -> None:
        check_ops(ops)
        now = self._now()
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                for i, op in enumerate(ops):
                    if not self._condition_holds(db, op, now):
                        raise ConditionFailed(i, op.name)
                for op in ops:
                    self._apply(db, op)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    @staticmethod
    def _condition_holds(db: sqlite3.Connection, op: Op, now: int) -> bool:
        if op.expect == ANY:
            return True
        row = db.execute(
            "SELECT version, expires FROM items WHERE pk=? AND sk=?", (op.pk, op.sk)
        ).fetchone()
        live = row is not None and (row[1] is None or row[1] > now)
        if op.expect == ABSENT:
            return not live
        return live and row[0] == op.expect

    @staticmethod
    def _apply(db: sqlite3.Connection, op: Op) -> None:
        if isinstance(op, Check):
            return
        if isinstance(op, Delete):
            db.execute("DELETE FROM items WHERE pk=? AND sk=?", (op.pk, op.sk))
            return
        version = 1 if op.expect in (ABSENT, ANY) else op.expect + 1
        if op.expect == ANY:
            row = db.execute(
                "SELECT version FROM items WHERE pk=? AND sk=?", (op.pk, op.sk)
            ).fetchone()
            version = 1 if row is None else row[0] + 1
        db.execute(
            "INSERT OR REPLACE INTO items (pk, sk, data, version, expires) VALUES (?,?,?,?,?)",
            (op.pk, op.sk, json.dumps(op.data, separators=(",", ":")), version, op.expires),
        )

    # -- blobs ---------------------------------------------------------------
    def put_blob(self, key: str, data: bytes) -> None:
        if (self.uploads / self.layout.file_name(key)).exists():
            raise ConditionFailed(0)
        try:
            self._write_file(self.blobs / key, data, exclusive=True)
        except ConditionFailed:
            if self.blob_size(key) != len(data) or self.get_blob(key) != data:
                raise
        except OSError as exc:  # disk full, permissions: the API answers 503
            raise StorageUnavailable(type(exc).__name__) from exc

    def _open_blob(self, key: str) -> BinaryIO:
        # An unclaimed upload is readable too (base.py, "Blob lifecycle"). A
        # claim may move it from uploads/ to blobs/ between two tries, hence
        # the second look in blobs/.
        self.layout.file_name(key)
        for d in (self.blobs, self.uploads, self.blobs):
            try:
                return open(d / key, "rb")
            except FileNotFoundError:
                continue
        raise BlobMissing(key)

    def get_blob(self, key: str) -> bytes:
        with self._open_blob(key) as f:
            return f.read()

    def read_blob_head(self, key: str, length: int) -> bytes:
        with self._open_blob(key) as f:
            return f.read(max(length, 0))

    def blob_size(self, key: str) -> int | None:
        try:
            with self._open_blob(key) as f:
                return os.fstat(f.fileno()).st_size
        except BlobMissing:
            return None

    def delete_blob(self, key: str) -> None:
        for d in (self.blobs, self.uploads):
            (d / self.layout.file_name(key)).unlink(missing_ok=True)
        with self._db() as db:
            db.execute("DELETE FROM uploads WHERE key=?", (key,))
        _fsync_dir(self.blobs)
        _fsync_dir(self.uploads)

    def claim_blob(self, key: str) -> None:
        src = self.uploads / self.layout.file_name(key)
        try:
            os.replace(src, self.blobs / key)
        except FileNotFoundError:
            if (self.blobs / key).exists():
                return  # claimed before
            raise BlobMissing(key) from None
        # The rename must be on disk before the upload row goes: a row without
        # a file is harmless, a claimed file that sweep still sees is not
        # (sweep only ever looks in uploads/, see there).
        _fsync_dir(self.blobs)
        _fsync_dir(self.uploads)
        # Parts that completion left (killed before it removed them, or a
        # part sent again meanwhile): once the row goes, no sweep names them.
        remove_parts(self.layout, key)
        with self._db() as db:
            db.execute("DELETE FROM uploads WHERE key=?", (key,))

    def release_blob(self, key: str) -> None:
        src = self.blobs / self.layout.file_name(key)
        with self._db() as db:
            db.execute("INSERT OR REPLACE INTO uploads (key, size, deadline, created) "
                       "VALUES (?,?,?,?)", (key, 0, 0, self._now()))
        try:
            os.replace(src, self.uploads / key)
        except FileNotFoundError:
            return
        _fsync_dir(self.blobs)
        _fsync_dir(self.uploads)

    # -- local upload and download URLs ------------------------------------
    def _sign(self, *parts: str) -> str:
        mac = hmac.new(self._url_key, "\n".join(parts).encode(), hashlib.sha256)
        return mac.hexdigest()

    def upload_url(self, key: str, size: int, expires_in: int) -> Upload:
        deadline = self._now() + expires_in
        with self._db() as db:
            db.execute(
                "INSERT OR REPLACE INTO uploads (key, size, deadline, created) VALUES (?,?,?,?)",
                (self.layout.file_name(key), size, deadline, self._now()),
            )
        sig = self._sign("put", key, str(size), str(deadline))
        url = f"/v1/uploads/{quote(key)}?size={size}&expires={deadline}&sig={sig}"
        return Upload("PUT", url, {"Content-Type": "application/octet-stream"})

    def download_url(self, key: str, expires_in: int) -> str:
        deadline = self._now() + expires_in
        sig = self._sign("get", key, str(deadline))
        return f"/v1/downloads/{quote(key)}?expires={deadline}&sig={sig}"

    def receive_upload(
        self, key: str, size: int, expires: int, sig: str, body: ByteSource, length: int
    ) -> None:
        """Check a local upload URL and store its body. Raises UploadRefused,
        StorageUnavailable (the disk is full)."""
        good = self._sign("put", self.layout.file_name(key), str(size), str(expires))
        if not hmac.compare_digest(good, sig) or expires < self._now() or length != size:
            raise UploadRefused("bad, expired or mis-sized upload")
        with self._db() as db:
            row = db.execute("SELECT size FROM uploads WHERE key=?", (key,)).fetchone()
        if row is None or row[0] != size or self.blob_size(key) is not None:
            raise UploadRefused("unknown or used upload")
        tmp = self.tmp / secrets.token_hex(16)
        try:
            remaining = receive(tmp, body, size)
            if remaining:
                tmp.unlink(missing_ok=True)
                raise UploadRefused("short upload")
            self._link_into_place(tmp, self.uploads / key, exclusive=True)
        except ConditionFailed:
            raise UploadRefused("upload already done") from None
        except OSError as exc:  # disk full: the server answers 503, as the API does
            tmp.unlink(missing_ok=True)
            raise StorageUnavailable(type(exc).__name__) from exc

    def open_download(self, key: str, expires: int, sig: str) -> BinaryIO:
        """Check a local download URL and open the blob. Raises UploadRefused."""
        good = self._sign("get", self.layout.file_name(key), str(expires))
        if not hmac.compare_digest(good, sig) or expires < self._now():
            raise UploadRefused("bad or expired download")
        try:
            return self._open_blob(key)
        except BlobMissing:
            raise UploadRefused("no such blob") from None

    # -- housekeeping --------------------------------------------------------
    def blob_names(self, before: int) -> Iterator[str]:
        # mtime is the write (put_blob) or the upload: claim_blob's rename keeps it.
        for path in self.blobs.iterdir():
            with contextlib.suppress(FileNotFoundError):  # deleted meanwhile
                if path.stat().st_mtime < before:
                    yield path.name

    def sweep(self, now: int) -> int:
        with self._db() as db:
            stale = [r[0] for r in db.execute(
                "SELECT key FROM uploads WHERE created<=?", (now - UPLOAD_TTL,)
            )]
            # Reads hide an expired item at once; the row goes a day later. A
            # clock stepped forward and back again must not bring back
            # acceptance of what the row refused: a swept nonce would let a
            # recorded team request be replayed (protocol §4.3).
            n = db.execute(
                "DELETE FROM items WHERE expires IS NOT NULL AND expires<=?",
                (now - EXPIRED_KEPT,),
            ).rowcount
        for key in stale:
            # Only uploads/: a claimed blob lives in blobs/ and must survive
            # even if a crash left its upload row behind.
            (self.uploads / key).unlink(missing_ok=True)
            remove_parts(self.layout, key)
            with self._db() as db:
                db.execute("DELETE FROM uploads WHERE key=?", (key,))
        if stale:
            _fsync_dir(self.uploads)
        for parts in self.layout.parts.iterdir():
            # A part directory untouched for a day is of an expired
            # attachment, whatever row it lost (a part sent during a claim).
            with contextlib.suppress(FileNotFoundError):
                if parts.stat().st_mtime < now - UPLOAD_TTL:
                    remove_parts(self.layout, parts.name)
        for tmp in self.tmp.iterdir():  # leftovers of writers killed mid-write
            with contextlib.suppress(FileNotFoundError):
                if tmp.stat().st_mtime < now - 3600:
                    tmp.unlink(missing_ok=True)
        self.checkpoint()
        return n + len(stale)

    def checkpoint(self) -> None:
        """Fold the write-ahead log into the database and empty it: old page
        images in the WAL still hold what was overwritten (a rotated
        receipt's link to its case, a purged case), until this runs (hourly,
        from ``sweep``)."""
        with self._db() as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
