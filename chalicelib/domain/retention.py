"""Retention and purges (protocol §4.7).

A purge first removes the case record and its current receipt and records
a purge marker (``keys.PURGES``) in the same transaction as its
audit entry: from then on the case is gone for every reader. The marker is
worked off afterwards (entries, attachments, every blob version) and
deleted last, so a crash in between only delays the clean-up: the next
retention run finishes it. Retired ``token_id``s are kept (unlinked).
"""

from __future__ import annotations

from datetime import date, timedelta

from chalicelib.domain import audit
from chalicelib.domain.cases import Context
from chalicelib.domain.records import CaseRecord, PurgeMarker
from chalicelib.httpsig import RecordedRequest
from chalicelib.store import keys
from chalicelib.store.base import ConditionFailed, Item

PURGES = keys.PURGES


def _blob_ids(ctx: Context, case: CaseRecord) -> tuple[list[str], list[str]]:
    """The case's document blob ids and attachment ids."""
    docs, attachments = [case["report"]["id"]], [a["id"] for a in case["report"]["attachments"]]
    for item in ctx.store.query(keys.entries(case["id"])):
        docs.append(item.data["blob"])
        attachments += [a["id"] for a in item.data["attachments"]]
    return docs, attachments


def purge(
    ctx: Context, case: Item[CaseRecord], *, member: str | None,
    request: RecordedRequest | None,
) -> None:
    """Remove a case for good. Raises ConditionFailed if it changed meanwhile."""
    case_id = case.data["id"]
    docs, attachments = _blob_ids(ctx, case.data)
    marker: PurgeMarker = {"case": case_id, "docs": docs, "attachments": attachments}
    state = ctx.store.get(keys.case_state(case_id))
    receipt = [keys.receipt(state.data["token_id"]).delete(name="receipt"),
               state.key.delete(expect=state.version, name="state")] if state else []
    audit.commit(
        ctx,
        [case.key.delete(expect=case.version, name="case"), *receipt,
         PURGES.key(case_id).put(marker, name="marker")],
        member=member, action="case.purge", case=case.data["id"], request=request,
    )
    finish_purge(ctx, case.data["id"])


def finish_purge(ctx: Context, case_id: str) -> None:
    """Delete what a purge marker lists, then the marker. Idempotent."""
    marker = ctx.store.get(PURGES.key(case_id))
    if marker is None:
        return
    for item in ctx.store.query(keys.case_items(case_id)):
        ctx.store.transact([item.key.delete()])
    for attachment_id in marker.data["attachments"]:
        ctx.store.transact([keys.attachment(attachment_id).delete()])
    for blob_id in [*marker.data["docs"], *marker.data["attachments"]]:
        ctx.store.delete_blob(blob_id)
    ctx.store.transact([marker.key.delete()])


def due(case: CaseRecord, today: date, retention_days: int) -> bool:
    """Closed more than ``retention_days`` ago and not under legal hold."""
    return (
        case["status"] == "closed" and not case["legal_hold"] and case["closed"] is not None
        and date.fromisoformat(case["closed"]) + timedelta(days=retention_days) < today
    )


def run(ctx: Context) -> int:
    """The hourly housekeeping job: purge due cases, finish interrupted purges, sweep
    expired items and unclaimed uploads. Returns the number of cases purged."""
    purged = 0
    for item in ctx.store.query(keys.CASES):
        if due(item.data, ctx.today(), ctx.retention_days):
            try:
                purge(ctx, item, member=None, request=None)
                purged += 1
            except ConditionFailed:
                continue  # changed meanwhile (reopened, held): look again tomorrow
    for marker in ctx.store.query(PURGES):
        finish_purge(ctx, marker.sk)
    ctx.store.sweep(ctx.epoch())
    return purged
