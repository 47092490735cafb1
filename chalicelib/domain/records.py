"""The records the domain stores and answers with (protocol §4.2, §4.4, §4.6, §4.7).

TypedDicts, not classes: a record is the very JSON document that is stored
and sent, so typing it changes no byte. Key order matters for the stored
bytes, so code builds each record in the order declared here. Member
entries and manifests are ``chalicelib.manifest``'s ``MemberEntry`` and
``Manifest``.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict


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


class Deadlines(TypedDict):
    acknowledge_by: str
    feedback_by: str
    overdue: bool


class ReportSize(TypedDict):
    id: str
    size: int


class CaseSummary(TypedDict):
    """One case of ``GET /v1/team/cases``."""

    id: str
    status: str
    received: str
    updated: str
    assignee: str | None
    access: list[str]
    acknowledge_by: str
    feedback_by: str
    overdue: bool
    report: ReportSize


class CaseListing(TypedDict):
    cases: list[CaseSummary]
    cursor: str | None


class CaseView(TypedDict):
    """The team's view of one case: never the receipt state."""

    id: str
    status: str
    resolution: str | None
    legal_hold: bool
    assignee: str | None
    access: list[str]
    reply_to: str
    received: str
    updated: str
    acknowledged: str | None
    feedback: str | None
    closed: str | None
    acknowledge_by: str
    feedback_by: str
    overdue: bool
    report: ReportRef
    messages: list[EntrySummary]
    notes: list[EntrySummary]


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

EntrySummary = TypedDict(
    "EntrySummary",
    {
        "id": str,
        "seq": int,
        "from": str,
        "day": str,
        "size": int,
        "attachments": list[AttachmentRef],
        "member": NotRequired[str | None],  # the team's listing only
    },
)


class EntryAnswer(TypedDict):
    """The answer to a stored message or note."""

    id: str
    seq: int
    day: str


# -- audit (protocol §4.6) ---------------------------------------------------
class AuditEntry(TypedDict):
    """``audit`` / ``<seq>``: one link of the chain."""

    seq: int
    prev: str
    day_time: str
    member: str | None
    action: str
    case: str | None
    request: dict[str, Any] | None  # the signed request's audit record


class AuditHead(TypedDict):
    seq: int
    hash: str


class AuditPage(TypedDict):
    entries: list[AuditEntry]
    cursor: str | None


# -- small state records -----------------------------------------------------
class ManifestHead(TypedDict):
    version: int


class NonceRecord(TypedDict):
    """A used signature nonce; the key says everything."""


class NotifyState(TypedDict):
    counts: dict[str, int]  # cases per received day, as last told
