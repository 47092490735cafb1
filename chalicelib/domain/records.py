"""The records the domain stores (protocol §4.2, §4.4, §4.6, §4.7).

TypedDicts, not classes: a record is the very JSON document that is stored,
so typing it changes no byte. Key order matters for the stored bytes, so
code builds each record in the order declared here. Member entries and
manifests are ``chalicelib.manifest``'s ``MemberEntry`` and ``Manifest``;
where each record lives is ``chalicelib.store.keys``; what the API answers
is ``chalicelib.domain.answers``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

if TYPE_CHECKING:
    from chalicelib.httpsig import RecordedRequest


# -- cases -------------------------------------------------------------------
class AttachmentRef(TypedDict):
    """An attachment as a case or entry lists it."""

    id: str
    size: int


class ReportRef(TypedDict):
    id: str
    size: int
    attachments: list[AttachmentRef]


class CaseRecord(TypedDict):
    """``cases`` / ``<case id>``: what the team sees of a case."""

    id: str
    status: str
    resolution: str | None
    legal_hold: bool
    assignee: str | None
    access: list[str]
    reply_to: str
    type: str  # the recipient type of every blob of the case
    received: str
    updated: str
    acknowledged: str | None
    feedback: str | None
    closed: str | None
    report: ReportRef
    messages: int  # how many there are, so the next one's seq
    notes: int


class CaseState(TypedDict):
    """``case#<case id>`` / ``state``: the receipt state, never shown to the team."""

    token_id: str
    visit: str | None  # H(visit secret) of the visit that rotated
    rotated: bool
    sealed_identity: str
    submit_hash: str


class ReceiptRecord(TypedDict):
    """``receipt#<token_id>``: the case, or None once the receipt is retired."""

    case: str | None


class AttachmentRecord(TypedDict):
    """``attachment#<id>``: an announced upload; ``case`` once claimed."""

    size: int
    case: str | None


class PurgeMarker(TypedDict):
    """``purges`` / ``<case id>``: what a purge still has to delete."""

    case: str
    docs: list[str]
    attachments: list[str]


# -- entries (messages and notes) --------------------------------------------
EntryRecord = TypedDict(
    "EntryRecord",
    {
        "id": str,
        "seq": int,
        "day": str,
        "kind": str,  # "message" or "note"
        "from": str,  # "reporter" or "team"
        "member": str | None,
        "size": int,
        "attachments": list[AttachmentRef],
        "hash": str,  # of the request, to recognise a retry
        "blob": str,  # the storage key of the sealed bytes
    },
)
"""``case#<case id>`` / ``blob#<blob id>``: one message or note."""

# -- audit (protocol §4.6) ---------------------------------------------------
class AuditEntry(TypedDict):
    """``audit`` / ``<seq>``: one link of the chain."""

    seq: int
    prev: str
    day_time: str
    member: str | None
    action: str
    case: str | None
    request: RecordedRequest | None


class AuditHead(TypedDict):
    seq: int
    hash: str


# -- small state records -----------------------------------------------------
class ManifestHead(TypedDict):
    version: int


class NonceRecord(TypedDict):
    """A used signature nonce; the key says everything."""


class NotifyState(TypedDict):
    counts: dict[str, int]  # cases per received day, as last told
