"""The storage key layout, in one place (protocol §4.2, §4.5, §4.6, §4.7).

Every index key (``pk`` / ``sk``) and blob name is built here and nowhere
else; each key is typed by the record it holds
(``chalicelib.domain.records``). docs/architecture.md draws the same layout
as a table, with the transactions that write it.

Blobs are named by the domain: a report by its id, an attachment by its id,
a message or note by :func:`entry_blob`. On S3 a blob is the object
``blobs/<name>``; locally the file ``blobs/<name>`` (``uploads/<name>`` until
claimed) under the data directory, beside ``index.sqlite3``. In DynamoDB and
SQLite an item is the row (``pk``, ``sk``) holding the JSON ``data``, its
version and its expiry.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chalicelib.b64 import b64u_encode
from chalicelib.store.base import Key, Partition

if TYPE_CHECKING:
    from chalicelib.domain.inbox_index import IndexRecord
    from chalicelib.domain.notices import Notice
    from chalicelib.domain.records import (
        AttachmentRecord,
        AuditEntry,
        AuditHead,
        CaseRecord,
        CaseState,
        DigestState,
        EntryRecord,
        GrantHeader,
        GrantRecord,
        ManifestHead,
        NonceRecord,
        NotifyState,
        PurgeMarker,
        ReceiptRecord,
    )
    from chalicelib.domain.retention import OrphanSweep
    from chalicelib.domain.uploads import PendingUpload
    from chalicelib.manifest import Manifest, MemberEntry

# -- cases -------------------------------------------------------------------
CASES: Partition[CaseRecord] = Partition("cases")
_ENTRY = "blob#"
_ATTACHMENT = "attachment#"
_GRANT = "grant#"
_GRANT_HEADER = "grant-header#"


def case(case_id: str) -> Key[CaseRecord]:
    return CASES.key(case_id)


def case_items(case_id: str) -> Partition[Any]:
    """Everything filed under a case (its entries and its state), for a purge."""
    return Partition(f"case#{case_id}")


def entries(case_id: str) -> Partition[EntryRecord]:
    return Partition(f"case#{case_id}", _ENTRY)


def entry(case_id: str, blob_id: str) -> Key[EntryRecord]:
    return entries(case_id).key(_ENTRY + blob_id)


def grants(case_id: str) -> Partition[GrantRecord]:
    return Partition(f"case#{case_id}", _GRANT)


def grant(case_id: str, member_id: str) -> Key[GrantRecord]:
    return grants(case_id).key(_GRANT + member_id)


def grant_headers(case_id: str, member_id: str) -> Partition[GrantHeader]:
    """One granted member's headers, one item per blob: a case with hundreds
    of entries would not fit one item (400 KB in DynamoDB)."""
    return Partition(f"case#{case_id}", f"{_GRANT_HEADER}{member_id}#")


def grant_header(case_id: str, member_id: str, blob_id: str) -> Key[GrantHeader]:
    return grant_headers(case_id, member_id).key(f"{_GRANT_HEADER}{member_id}#{blob_id}")


def case_state(case_id: str) -> Key[CaseState]:
    """Kept apart from the case record so team writes and listings never touch it."""
    return Key(f"case#{case_id}", "state")


def receipt(token_id: str) -> Key[ReceiptRecord]:
    return Key(f"receipt#{token_id}", "receipt")


def attachment(attachment_id: str) -> Key[AttachmentRecord]:
    return Key(_ATTACHMENT + attachment_id, "attachment")


def pending_upload(attachment_id: str) -> Key[PendingUpload]:
    """An attachment sent in parts (protocol §4.2): the backend's upload id
    and the part size, from the announcement until the claim deadline."""
    return Key(f"upload#{attachment_id}", "upload")


def attachment_id(key: Key[AttachmentRecord]) -> str:
    """The attachment id (and blob name) of an attachment's key."""
    return key.pk.removeprefix(_ATTACHMENT)


PURGES: Partition[PurgeMarker] = Partition("purges")
NOTIFY_STATE: Key[NotifyState] = Key("notify", "state")
DIGEST_STATE: Key[DigestState] = Key("notify", "digest")
ORPHAN_SWEEP: Key[OrphanSweep] = Key("retention", "orphans")


# -- team --------------------------------------------------------------------
MEMBERS: Partition[MemberEntry] = Partition("members")
MANIFESTS: Partition[Manifest] = Partition("manifests")
MANIFEST_HEAD: Key[ManifestHead] = Key("manifest-head", "head")
# The next version while admins sign it (protocol §4.5); stale once published.
MANIFEST_PROPOSAL: Key[Manifest] = Key("manifest-proposal", "next")


def member(member_id: str) -> Key[MemberEntry]:
    return MEMBERS.key(member_id)


def manifest_sk(version: int) -> str:
    return f"{version:08d}"


def manifest(version: int) -> Key[Manifest]:
    return MANIFESTS.key(manifest_sk(version))


def nonce(member_id: str, value: str) -> Key[NonceRecord]:
    return Key(f"nonce#{member_id}#{value}", "nonce")


def puzzle_proof(digest: bytes) -> Key[NonceRecord]:
    """An admitted client puzzle proof (protocol §4.1), by its digest: used
    once, like a nonce, and kept while its seed is valid. Nothing in it
    names a client: the digest covers a seed of the minute, the request and
    a random nonce."""
    return Key(f"proof#{b64u_encode(digest)}", "proof")


def inbox_index(member_id: str) -> Key[IndexRecord]:
    """Where a member's inbox index blob is (protocol §4.4, "Inbox index")."""
    return Key(f"inbox-index#{member_id}", "index")


NOTICES: Partition[Notice] = Partition("notices")


def notice(notice_id: str) -> Key[Notice]:
    """A published staff notice (protocol §4.9), by its id."""
    return NOTICES.key(notice_id)


# -- audit -------------------------------------------------------------------
AUDIT: Partition[AuditEntry] = Partition("audit")
AUDIT_HEAD: Key[AuditHead] = Key("audit-head", "head")


def audit_sk(seq: int) -> str:
    return f"{seq:012d}"


def audit_entry(seq: int) -> Key[AuditEntry]:
    return AUDIT.key(audit_sk(seq))


# -- blobs -------------------------------------------------------------------
def entry_blob(case_id: str, blob_id: str) -> str:
    """Where a message or note is stored: derived from the case and the
    author's id, so an id chosen by an author can never name (and a purge
    never delete) another case's blob."""
    digest = hashlib.sha256(f"candor/v1 entry\n{case_id}\n{blob_id}".encode()).digest()
    return "e_" + b64u_encode(digest)


S3_BLOB_PREFIX = "blobs/"


def s3_object(name: str) -> str:
    return S3_BLOB_PREFIX + name


def dynamodb_key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


class LocalLayout:
    """The files of a local data directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.blobs = root / "blobs"  # kept blobs
        self.uploads = root / "uploads"  # uploads not claimed yet
        self.parts = root / "parts"  # parts/<name>/<n>: uploads in parts not completed yet
        self.tmp = root / "tmp"  # half-written files
        self.index = root / "index.sqlite3"
        self.url_key = root / "url.key"  # HMAC key of local upload URLs

    @staticmethod
    def file_name(name: str) -> str:
        """``name`` checked as a file name. Raises ValueError."""
        # Names are chosen by the domain (random b64u ids), never by a
        # client, but a path separator or dot here would escape the data
        # directory.
        if not name or not all(c.isalnum() or c in "-_" for c in name):
            raise ValueError("invalid blob key")
        return name


SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    pk TEXT NOT NULL,
    sk TEXT NOT NULL,
    data TEXT NOT NULL,
    version INTEGER NOT NULL,
    expires INTEGER,
    PRIMARY KEY (pk, sk)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS uploads (
    key TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    deadline INTEGER NOT NULL,
    created INTEGER NOT NULL
) WITHOUT ROWID;
"""
