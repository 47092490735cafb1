"""The records the domain stores (protocol §4.2, §4.4, §4.6, §4.7).

TypedDicts, not classes: a record is the very JSON document that is stored,
so typing it changes no byte. Key order matters for the stored bytes, so
code builds each record in the order declared here. Member entries and
manifests are ``chalicelib.manifest``'s ``MemberEntry`` and ``Manifest``;
where each record lives is ``chalicelib.store.keys``; what the API answers
is ``chalicelib.domain.answers``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NotRequired, TypedDict

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


class CaseFields(TypedDict):
    """What the stored case record and the team's view of it share."""

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
    report: ReportRef


class CaseRecord(CaseFields):
    """The case record (``keys.case``); its receipt state lives apart."""

    type: str  # the recipient type of every blob of the case
    # The last change the reporter can see (a message either way, a status
    # change), never a note (protocol §4.2); absent from older records.
    reporter_updated: NotRequired[str]
    messages: int  # how many there are, so the next one's seq
    notes: int
    # Current members (in the published manifest) the reporter left out at
    # submission: never granted (protocol §4.4); absent from older records.
    excluded: NotRequired[list[str]]
    # A report the team filed (protocol §4.4, "Filing"): how it came in, and
    # whether it is a drill; both absent from a reporter's own report.
    source: NotRequired[str]
    drill: NotRequired[bool]


class CaseState(TypedDict):
    """A case's receipt state, never shown to the team (``keys.case_state``)."""

    token_id: str
    visit: str | None  # H(visit secret) of the visit that rotated
    rotated: bool
    sealed_identity: str
    submit_hash: str


class ReceiptRecord(TypedDict):
    """A receipt: its case, or None once retired (``keys.receipt``)."""

    case: str | None


class AttachmentRecord(TypedDict):
    """An announced upload; ``case`` once claimed (``keys.attachment``)."""

    size: int
    case: str | None


class PurgeMarker(TypedDict):
    """What a purge still has to delete (``keys.PURGES``)."""

    case: str
    docs: list[str]
    attachments: list[str]


class GrantRecord(TypedDict):
    """A member given access after submission (``keys.grant``): the signed
    grant document, so every reader can check who granted it (protocol §4.4)."""

    member: str
    by: str
    day: str
    grant: dict[str, Any]


class GrantHeader(TypedDict):
    """A granted member's age header for one blob of the case (``keys.grant_header``)."""

    header: str  # b64u


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
"""One message or note of a case (``keys.entry``)."""

# -- audit (protocol §4.6) ---------------------------------------------------
class AuditEntry(TypedDict):
    """One link of the audit chain (``keys.audit_entry``)."""

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
    expiry_told: NotRequired[str]  # the day the team was last warned of the manifest's expiry


class DigestState(TypedDict):
    """What the last daily digest saw (``keys.DIGEST_STATE``)."""

    day: str  # the day, in the digest's zone, it was sent
    counts: dict[str, int]  # cases per received day, for days not yet over then
