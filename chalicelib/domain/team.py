"""The crisis team's case routes (protocol §4.4).

Every case route answers 404 to a member outside the case's ``access``
list, admins included. Every action commits with its audit entry.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any, cast

from chalicelib import wire
from chalicelib.domain import audit, entries, grants, retention
from chalicelib.domain.answers import (
    CaseListing,
    CaseSummary,
    CaseView,
    EntryAnswer,
    Reports,
    SealedReport,
)
from chalicelib.domain.cases import (
    RESOLUTIONS,
    STATUSES,
    TRANSITIONS,
    Context,
    deadlines,
    visible_case,
)
from chalicelib.domain.records import CaseRecord
from chalicelib.domain.team_roster import Caller
from chalicelib.errors import (
    BadCursor,
    BadTransition,
    Conflict,
    Forbidden,
    InvalidAccess,
    LegalHold,
    Malformed,
)
from chalicelib.store import keys
from chalicelib.store.base import BlobMissing, ConditionFailed, Op

PAGE = 50



def list_cases(
    ctx: Context, caller: Caller, status: str | None, cursor: str | None
) -> CaseListing:
    """Cases by ``received`` descending then ``id``, 50 a page."""
    if status is not None and status not in STATUSES:
        raise Malformed("Unknown status.")
    after = _decode_cursor(cursor) if cursor else None
    today = ctx.today()
    rows = [c.data for c in ctx.store.query(keys.CASES)
            if caller.id in c.data["access"] and status in (None, c.data["status"])]
    rows.sort(key=lambda c: (_descending(c["received"]), c["id"]))
    if after is not None:
        rows = [c for c in rows if (_descending(c["received"]), c["id"]) > after]
    page = rows[:PAGE]
    next_cursor = _encode_cursor(page[-1]) if len(rows) > PAGE else None
    return {"cases": [_summary(c, today) for c in page], "cursor": next_cursor}


def _summary(case: CaseRecord, today: date) -> CaseSummary:
    summary: CaseSummary = {
        "id": case["id"], "status": case["status"], "resolution": case["resolution"],
        "received": case["received"], "updated": case["updated"],
        "acknowledged": case["acknowledged"], "feedback": case["feedback"],
        "closed": case["closed"], "assignee": case["assignee"], "access": case["access"],
        **deadlines(case, today),
        "report": {"id": case["report"]["id"], "size": case["report"]["size"]}}
    return _with_filing(summary, case)


def _with_filing[T: (CaseSummary, CaseView)](answer: T, case: CaseRecord) -> T:
    """A filed report's plaintext ``source`` and ``drill`` (protocol §4.4,
    "Filing"); a reporter's own report has neither."""
    if "source" in case:
        # Not in the answer's TypedDict: mypy refuses optional keys beside
        # the ``**deadlines`` the answers are built with.
        filed = cast(dict[str, object], answer)
        filed["source"], filed["drill"] = case["source"], case.get("drill", False)
    return answer


def _descending(day: str) -> str:
    # Sorts ISO days newest first as plain strings.
    return "".join(chr(ord("9") - ord(ch) + ord("0")) if "0" <= ch <= "9" else ch for ch in day)


def _encode_cursor(case: CaseRecord) -> str:
    return wire.b64u_encode(json.dumps([case["received"], case["id"]]).encode())


def _decode_cursor(cursor: str) -> tuple[str, str]:
    try:
        day, case_id = json.loads(wire.b64u_decode(cursor))
        if len(cursor) > 256 or not isinstance(day, str) or not isinstance(case_id, str):
            raise ValueError
        return _descending(day), case_id
    except (ValueError, TypeError, Malformed):
        raise BadCursor() from None


def case_view(ctx: Context, case: CaseRecord) -> CaseView:
    """The team's view of a case: never the receipt fields or the case state."""
    report = case["report"]
    view: CaseView = {
        "id": case["id"], "status": case["status"], "resolution": case["resolution"],
        "legal_hold": case["legal_hold"], "assignee": case["assignee"],
        "access": case["access"], "reply_to": case["reply_to"],
        "received": case["received"], "updated": case["updated"],
        "acknowledged": case["acknowledged"], "feedback": case["feedback"],
        "closed": case["closed"], **deadlines(case, ctx.today()),
        "report": {"id": report["id"], "size": report["size"],
                   "attachments": report["attachments"]},
        "messages": entries.listing(ctx, case["id"], "message", team=True),
        "notes": entries.listing(ctx, case["id"], "note", team=True),
        "grants": grants.listing(ctx, case["id"]),
    }
    return _with_filing(view, case)


def show_case(ctx: Context, caller: Caller, case_id: str) -> CaseView:
    case = visible_case(ctx, caller.id, case_id)
    audit.commit(ctx, [], member=caller.id, action="case.read", case=case_id,
                 request=caller.request)
    return case_view(ctx, case.data)


def fetch(ctx: Context, caller: Caller, case_id: str, blob_id: str) -> dict[str, str]:
    case = visible_case(ctx, caller.id, case_id)
    answer = entries.fetch_blob(ctx, case.data, blob_id, kinds=("message", "note"))
    header = grants.header_for(ctx, case_id, caller.id, blob_id)
    if header is not None:
        answer["header"] = header
    audit.commit(ctx, [], member=caller.id, action="blob.read", case=case_id,
                 request=caller.request)
    return answer


REPORTS_PER_CALL = 50
REPORTS_ANSWER_BUDGET = 5 * 1024 * 1024 // 2  # sealed; as base64url the answer stays under 4 MiB


def read_reports(ctx: Context, caller: Caller, cases: str | None) -> Reports:
    """``GET /v1/team/reports?cases=c_…,c_…``: the sealed reports of up to 50
    cases in one call, so that an inbox costs one audited request per page
    rather than one per case. The audit entry's signed ``@query`` names the
    cases. Cases the caller may not see are listed as ``missing``, exactly
    like cases that do not exist; ``more`` are left for another call when
    the answer would grow too large."""
    ids = (cases or "").split(",")
    if not cases or len(ids) > REPORTS_PER_CALL or len(set(ids)) != len(ids):
        raise Malformed(f"'cases' must name 1 to {REPORTS_PER_CALL} distinct cases.")
    for case_id in ids:
        wire.identifier(case_id, "c", "'cases'")
    reports: list[SealedReport] = []
    missing: list[str] = []
    more: list[str] = []
    budget = REPORTS_ANSWER_BUDGET
    for case_id in ids:
        case = ctx.store.get(keys.case(case_id))
        if case is None or caller.id not in case.data["access"]:
            missing.append(case_id)
        elif case.data["report"]["size"] > budget and reports:
            more.append(case_id)
        else:
            report = case.data["report"]
            try:
                sealed = ctx.store.get_blob(report["id"])
            except BlobMissing:  # purged meanwhile: like a case that does not exist
                missing.append(case_id)
                continue
            budget -= len(sealed)
            item: SealedReport = {"case": case_id, "id": report["id"],
                                  "sealed": wire.b64u_encode(sealed)}
            header = grants.header_for(ctx, case_id, caller.id, report["id"])
            if header is not None:
                item["header"] = header
            reports.append(item)
    audit.commit(ctx, [], member=caller.id, action="reports.read", case=None,
                 request=caller.request)
    return {"reports": reports, "missing": missing, "more": more}


def add_entry(
    ctx: Context, caller: Caller, case_id: str, kind: str, body: dict[str, Any], raw: bytes
) -> EntryAnswer:
    """A team message (the reporter sees it) or a note (team only); with
    ``after``, only while the thread holds that many of them (protocol §4.4)."""
    wire.fields(body, ["id", kind, "attachments"], ["after"])
    case = visible_case(ctx, caller.id, case_id)

    def with_audit(ops: Sequence[Op]) -> None:  # the entry and its audit entry, together
        audit.commit(ctx, ops, member=caller.id, action=f"{kind}.add", case=case_id,
                     request=caller.request)

    return entries.append(ctx, case, body, raw, kind=kind, author="team", member=caller.id,
                          commit=with_audit)


def patch_case(
    ctx: Context, caller: Caller, case_id: str, body: dict[str, Any]
) -> CaseView:
    """Status, resolution, assignee and legal hold (protocol §4.4). Raises
    BadTransition, InvalidAccess, Forbidden."""
    wire.fields(body, [], ["status", "resolution", "assignee", "legal_hold"])
    case = visible_case(ctx, caller.id, case_id)
    updated = _apply_patch(ctx, caller, case.data.copy(), body)
    try:
        audit.commit(ctx, [case.key.put(updated, expect=case.version, name="case")],
                     member=caller.id, action="case.update", case=case_id,
                     request=caller.request)
    except ConditionFailed:
        raise Conflict("The case changed meanwhile; reload and try again.") from None
    return case_view(ctx, updated)


def _apply_patch(
    ctx: Context, caller: Caller, case: CaseRecord, body: dict[str, Any]
) -> CaseRecord:
    status = body.get("status", case["status"])
    resolution = body.get("resolution", case["resolution"])
    if status not in STATUSES or (resolution is not None and resolution not in RESOLUTIONS):
        raise Malformed("Unknown status or resolution.")
    day = max(ctx.day(), case["received"])  # a clock stepped back never dates before receipt
    if status != case["status"]:
        if status not in TRANSITIONS[case["status"]]:
            raise BadTransition()
        if case["status"] == "closed":  # reopening clears the resolution
            resolution = body.get("resolution")
            case["closed"] = None
        if case["acknowledged"] is None:
            case["acknowledged"] = day
        case["updated"] = case["reporter_updated"] = day
        if status == "closed":
            case["closed"] = day
    if (status == "closed") != (resolution is not None):
        raise BadTransition("A closed case needs a resolution, and only a closed one has one.")
    case["status"], case["resolution"] = status, resolution
    if "assignee" in body:
        if body["assignee"] is not None and body["assignee"] not in case["access"]:
            raise InvalidAccess("The assignee must be in the case's access list.")
        case["assignee"] = body["assignee"]
    if "legal_hold" in body:
        if not isinstance(body["legal_hold"], bool):
            raise Malformed("'legal_hold' must be true or false.")
        if case["legal_hold"] and not body["legal_hold"] and not caller.is_admin:
            raise Forbidden("Only admins clear a legal hold.")
        case["legal_hold"] = body["legal_hold"]
    return case


def delete_case(ctx: Context, caller: Caller, case_id: str) -> None:
    """Purge a case now (admin in its access list). Raises LegalHold."""
    caller.require_admin()
    case = visible_case(ctx, caller.id, case_id)
    if case.data["legal_hold"]:
        raise LegalHold()
    retention.purge(ctx, case, member=caller.id, request=caller.request)
