"""What the API answers (protocol §4.2, §4.4, §4.6): typed, so the routes
send exactly the fields the protocol lists, in this order."""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

from chalicelib.domain.records import AttachmentRef, AuditEntry, CaseFields


# -- the reporter's side -----------------------------------------------------
class UploadAnswer(TypedDict):
    method: str
    url: str
    headers: dict[str, str]


class Received(TypedDict):
    """``POST /v1/reports``."""

    received: str
    status: str


class CaseStatus(TypedDict):
    """``POST /v1/followup/open``."""

    status: str
    received: str
    updated: str
    acknowledge_by: str
    feedback_by: str
    sealed_identity: str


class Thread(TypedDict):
    """``POST /v1/followup/thread``."""

    report: ReportSize
    messages: list[EntrySummary]


class Empty(TypedDict):
    """An answer with nothing to say (``POST /v1/followup/rotate``)."""


# -- cases and entries -------------------------------------------------------
class Deadlines(TypedDict):
    acknowledge_by: str
    feedback_by: str
    overdue: bool


class ReportSize(TypedDict):
    id: str
    size: int


class CaseSummary(TypedDict):
    """One case of ``GET /v1/team/cases``: with the days it was
    acknowledged, given feedback and closed, and how, so that the console's
    figures need no request per case."""

    id: str
    status: str
    resolution: str | None
    received: str
    updated: str
    acknowledged: str | None
    feedback: str | None
    closed: str | None
    assignee: str | None
    access: list[str]
    acknowledge_by: str
    feedback_by: str
    overdue: bool
    report: ReportSize


class CaseListing(TypedDict):
    cases: list[CaseSummary]
    cursor: str | None


class GrantSummary(TypedDict):
    """A member given access after submission, and by whom (protocol §4.4)."""

    member: str
    by: str
    day: str
    grant: dict[str, Any]  # the signed grant document


class CaseView(CaseFields):
    """The team's view of one case: never the receipt state."""

    acknowledge_by: str
    feedback_by: str
    overdue: bool
    messages: list[EntrySummary]
    notes: list[EntrySummary]
    grants: list[GrantSummary]


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


class SealedReport(TypedDict):
    case: str
    id: str
    sealed: str
    header: NotRequired[str]  # the caller's grant header (protocol §4.4 "Grants")


class Reports(TypedDict):
    """``GET /v1/team/reports``."""

    reports: list[SealedReport]
    missing: list[str]
    more: list[str]


# -- audit -------------------------------------------------------------------
class AuditPage(TypedDict):
    entries: list[AuditEntry]
    cursor: str | None
