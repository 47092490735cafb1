"""The storage interface every backend implements (protocol §4.2, §4.7).

Candor's index is a single table of items addressed by a partition key
(``pk``) and a sort key (``sk``), each holding a small JSON document and a
version number. Every multi-item change is one all-or-nothing transaction of
conditional writes, which is what DynamoDB's ``TransactWriteItems`` offers and
what SQLite gives with one ``BEGIN IMMEDIATE`` transaction. Sealed blobs live
beside the index in object storage under random names.

The domain layer (``chalicelib.domain``) decides *what* to write; a store only
guarantees *how*: atomically, durably (a return means the data survives a
crash) and with the conditions checked.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, overload

MAX_OPS = 100
"""Most operations in one transaction (DynamoDB's ``TransactWriteItems`` limit)."""

# Conditions a write may carry.
ABSENT = -1
"""``expect=ABSENT``: the item must not exist (or must have expired)."""
ANY = -2
"""``expect=ANY``: no condition."""


@dataclass(frozen=True)
class Key[R]:
    """Where one record lives: partition ``pk``, sort key ``sk``. ``R`` is the
    type of the record stored there, so the domain reads and writes it typed
    (``chalicelib.store.keys`` builds every key)."""

    pk: str
    sk: str

    def put(
        self, data: R, *, expect: int = ANY, expires: int | None = None, name: str = ""
    ) -> Put[R]:
        return Put(self.pk, self.sk, data, expect, expires, name)

    def delete(self, *, expect: int = ANY, name: str = "") -> Delete:
        return Delete(self.pk, self.sk, expect, name)


@dataclass(frozen=True)
class Partition[R]:
    """The records of partition ``pk`` whose sort key starts with ``prefix``;
    each is an ``R``."""

    pk: str
    prefix: str = ""

    def key(self, sk: str) -> Key[R]:
        return Key(self.pk, sk)


@dataclass(frozen=True)
class Item[R = Mapping[str, Any]]:
    """One index item. ``version`` starts at 1 and grows by one per put."""

    pk: str
    sk: str
    data: R
    version: int = 1
    expires: int | None = None  # epoch seconds; an expired item reads as absent

    @property
    def key(self) -> Key[R]:
        return Key(self.pk, self.sk)


# Every operation carries a ``name``: the role it plays in its transaction
# ("receipt", "attachment", ...). A failed condition is reported by that name,
# so the domain maps it to its error whatever the order of the operations.


@dataclass(frozen=True)
class Put[R = Mapping[str, Any]]:
    """Write ``data`` at (pk, sk).

    ``expect`` is ``ABSENT``, ``ANY`` or the version the item must have now;
    the stored version becomes that plus one (1 for a new item). With ``ANY``
    the version becomes the stored one plus one; over an expired item a
    backend may still hold the old row, so the version is then 1 *or more*
    (always more than any version a reader could have seen).
    """

    pk: str
    sk: str
    data: R
    expect: int = ANY
    expires: int | None = None
    name: str = ""


@dataclass(frozen=True)
class Delete:
    """Remove (pk, sk); ``expect`` as for ``Put`` (``ABSENT`` is meaningless here)."""

    pk: str
    sk: str
    expect: int = ANY
    name: str = ""


@dataclass(frozen=True)
class Check:
    """Change nothing, but require (pk, sk) to be at version ``expect``
    (``ABSENT``: to be absent or expired)."""

    pk: str
    sk: str
    expect: int
    name: str = ""


Op = Put[Any] | Delete | Check


def raw_key(pk: Key[Any] | str, sk: str | None) -> tuple[str, str]:
    """The (pk, sk) strings of ``get``'s arguments. Raises TypeError for a
    half-given key."""
    if isinstance(pk, Key):
        return pk.pk, pk.sk
    if sk is None:
        raise TypeError("a sort key is needed with a plain partition key")
    return pk, sk


def raw_partition(pk: Partition[Any] | str, prefix: str) -> tuple[str, str]:
    """The partition key and the whole sort-key prefix of ``query``'s arguments."""
    return (pk.pk, pk.prefix + prefix) if isinstance(pk, Partition) else (pk, prefix)


def check_ops(ops: Sequence[Op]) -> None:
    """Refuse what no backend can apply atomically. Raises ValueError."""
    if len(ops) > MAX_OPS or len({(o.pk, o.sk) for o in ops}) != len(ops):
        raise ValueError(f"at most {MAX_OPS} operations, one per item")


class Clock(Protocol):
    """What a store needs of a clock; the ``time`` module is one."""

    def time(self) -> float: ...


@dataclass(frozen=True)
class Upload:
    """Where and how a client sends an attachment's sealed bytes."""

    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)


class StoreError(Exception):
    """Base class of storage errors."""


class ConditionFailed(StoreError):
    """A transaction's condition did not hold; nothing was written.

    ``name`` is the name of the first failing operation and ``index`` its
    position (-1 when the backend cannot tell). Map errors by ``name``: the
    order of a transaction's operations is no part of its meaning.
    """

    def __init__(self, index: int = -1, name: str = "") -> None:
        super().__init__(f"condition failed at operation {index} ({name or 'unnamed'})")
        self.index = index
        self.name = name


class StorageUnavailable(StoreError):
    """The backend failed or timed out; the API answers 503 ``unavailable``."""


class BlobMissing(StoreError):
    """No blob under that key."""


class PartsMissing(StoreError):
    """An upload in parts lacks a part, or holds one of the wrong length;
    nothing was completed."""


# Blob lifecycle: a blob exists once ``put_blob`` returned or an upload to
# ``upload_url`` completed; reads (``get_blob``, ``read_blob_head``,
# ``blob_size``, ``download_url``) see it from then on, claimed or not, so the
# domain can validate an attachment's age header before claiming it.


class CaseStore(Protocol):
    """The one storage interface. Implementations: local and aws."""

    # -- index -------------------------------------------------------------
    # The domain passes a typed Key or Partition and gets its records typed;
    # plain strings (tests, tools) read untyped mappings.
    @overload
    def get[R](self, key: Key[R], /) -> Item[R] | None: ...
    @overload
    def get(self, pk: str, sk: str, /) -> Item | None: ...
    def get(self, pk: Key[Any] | str, sk: str | None = None, /) -> Item[Any] | None:
        """Return the item, or None if absent or expired."""

    @overload
    def query[R](
        self, partition: Partition[R], /, *, prefix: str = "", after: str | None = None,
        limit: int | None = None,
    ) -> list[Item[R]]: ...
    @overload
    def query(
        self, pk: str, /, *, prefix: str = "", after: str | None = None,
        limit: int | None = None,
    ) -> list[Item]: ...
    def query(
        self, partition: Partition[Any] | str, /, *, prefix: str = "", after: str | None = None,
        limit: int | None = None,
    ) -> list[Item[Any]]:
        """Items of ``partition`` whose sort key starts with its prefix and
        then ``prefix``, ascending by sort key, strictly after ``after``;
        expired ones skipped."""

    def transact(self, ops: Sequence[Op]) -> None:
        """Apply all ``ops`` or none. Raises ConditionFailed, StorageUnavailable.

        At most 100 operations, at most one per (pk, sk) (ValueError
        otherwise). Conditions are checked against the state before the
        transaction; ``ConditionFailed`` names the first failing one.
        """

    # -- blobs -------------------------------------------------------------
    def put_blob(self, key: str, data: bytes) -> None:
        """Store ``data`` durably under ``key``, never overwriting.

        Raises ConditionFailed(0) if the key exists (put or uploaded) with
        other bytes, StorageUnavailable. The same bytes again succeed: that is
        a retry of a write whose answer was lost.
        """

    def get_blob(self, key: str) -> bytes:
        """Raises BlobMissing."""

    def read_blob_head(self, key: str, length: int) -> bytes:
        """The first ``length`` bytes (fewer if the blob is shorter). Raises BlobMissing."""

    def blob_size(self, key: str) -> int | None:
        """Size in bytes, or None if there is no such blob."""

    def delete_blob(self, key: str) -> None:
        """Delete every version of the blob; absent is fine."""

    def upload_url(self, key: str, size: int, expires_in: int) -> Upload:
        """A one-shot upload of exactly ``size`` bytes to ``key`` within
        ``expires_in`` seconds (protocol §4.2 ``POST /v1/attachments``).

        The client sends ``Upload.headers`` with the body; a browser adds
        Content-Length itself (it is signed on S3, so it must equal ``size``).
        """

    def claim_blob(self, key: str) -> None:
        """Keep an uploaded blob for good: until claimed, an upload is removed
        24 h after it was announced (S3: lifecycle on the object's tag; local:
        ``sweep``). Claiming twice is fine. Raises BlobMissing."""

    def release_blob(self, key: str) -> None:
        """Undo ``claim_blob`` for a claim whose transaction did not commit:
        the upload is removed 24 h from now unless claimed again. Absent is
        fine."""

    def download_url(self, key: str, expires_in: int) -> str:
        """A URL that returns the blob for ``expires_in`` seconds."""

    # -- uploads in parts (protocol §4.2) ------------------------------------
    # An upload in parts becomes the blob ``key`` when completed, and is then
    # an unclaimed upload like one from ``upload_url``. Parts never completed
    # go a day after the start (S3: the bucket's lifecycle rule; local: sweep).
    def start_parts(self, key: str) -> str:
        """Begin an upload in parts to ``key``; its upload id. Raises
        StorageUnavailable."""

    def part_url(self, key: str, upload_id: str, number: int, length: int,
                 expires_in: int) -> Upload:
        """An upload of part ``number`` (from 1) of exactly ``length`` bytes
        within ``expires_in`` seconds. Sending a part again replaces it."""

    def complete_parts(self, key: str, upload_id: str, lengths: Sequence[int]) -> None:
        """Join parts 1..len(lengths) into blob ``key``, never overwriting.
        Raises PartsMissing unless exactly those parts are there with those
        lengths, BlobMissing if the upload is gone. Completing again what was
        completed succeeds (a retry whose answer was lost)."""

    def blob_names(self, before: int) -> Iterator[str]:
        """Names of the kept blobs written before epoch second ``before``, in
        no particular order, for the orphan sweep (protocol §4.7). An upload
        counts from its upload: claiming does not make it newer. Local lists
        ``blobs/`` only (unclaimed uploads wait in ``uploads/``); S3 lists
        unclaimed uploads too, which share the prefix until the lifecycle
        rule removes them. Raises StorageUnavailable."""

    def sweep(self, now: int) -> int:
        """Remove expired items and uploads that no index item claims (for
        backends without native TTL). An expired item reads as absent at once;
        its row may stay a while longer (local: a day), as DynamoDB's TTL
        keeps it. Returns how many were removed."""
