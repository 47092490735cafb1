"""Retention and purges (protocol §4.7).

A purge first removes the case record and its current receipt and records
a purge marker (``purges`` / ``<case id>``) in the same transaction as its
audit entry: from then on the case is gone for every reader. The marker is
worked off afterwards (entries, attachments, every blob version) and
deleted last, so a crash in between only delays the clean-up: the next
retention run finishes it. Retired ``token_id``s are kept (unlinked).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from chalicelib.domain import audit
from chalicelib.domain.cases import (
    CASES,
    Context,
    attachment_key,
    entries_pk,
    receipt_key,
    state_key,
)
from chalicelib.store.base import ConditionFailed, Delete, Item, Put

PURGES = "purges"


def _blob_ids(ctx: Context, case: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The case's document blob ids and attachment ids."""
    docs, attachments = [case["report"]["id"]], [a["id"] for a in case["report"]["attachments"]]
    for item in ctx.store.query(entries_pk(case["id"]), prefix="blob#"):
        docs.append(item.data["blob"])
        attachments += [a["id"] for a in item.data["attachments"]]
    return docs, attachments


def purge(ctx: Context, case: Item, *, member: str | None, request: dict[str, Any] | None) -> None:
    """Remove a case for good. Raises ConditionFailed if it changed meanwhile."""
    docs, attachments = _blob_ids(ctx, dict(case.data))
    marker = {"case": case.data["id"], "docs": docs, "attachments": attachments}
    state = ctx.store.get(*state_key(case.data["id"]))
    receipt = [Delete(*receipt_key(state.data["token_id"])),
               Delete(state.pk, state.sk, expect=state.version)] if state else []
    audit.commit(
        ctx,
        [Delete(case.pk, case.sk, expect=case.version), *receipt,
         Put(PURGES, case.data["id"], marker)],
        member=member, action="case.purge", case=case.data["id"], request=request,
    )
    finish_purge(ctx, case.data["id"])


def finish_purge(ctx: Context, case_id: str) -> None:
    """Delete what a purge marker lists, then the marker. Idempotent."""
    marker = ctx.store.get(PURGES, case_id)
    if marker is None:
        return
    for item in ctx.store.query(entries_pk(case_id)):
        ctx.store.transact([Delete(item.pk, item.sk)])
    for attachment_id in marker.data["attachments"]:
        ctx.store.transact([Delete(*attachment_key(attachment_id))])
    for blob_id in [*marker.data["docs"], *marker.data["attachments"]]:
        ctx.store.delete_blob(blob_id)
    ctx.store.transact([Delete(PURGES, case_id)])


def due(case: dict[str, Any], today: date, retention_days: int) -> bool:
    """Closed more than ``retention_days`` ago and not under legal hold."""
    return (
        case["status"] == "closed" and not case["legal_hold"] and case["closed"] is not None
        and date.fromisoformat(case["closed"]) + timedelta(days=retention_days) < today
    )


def run(ctx: Context) -> int:
    """The hourly housekeeping job: purge due cases, finish interrupted purges, sweep
    expired items and unclaimed uploads. Returns the number of cases purged."""
    purged = 0
    for item in ctx.store.query(CASES):
        if due(dict(item.data), ctx.today(), ctx.retention_days):
            try:
                purge(ctx, item, member=None, request=None)
                purged += 1
            except ConditionFailed:
                continue  # changed meanwhile (reopened, held): look again tomorrow
    for marker in ctx.store.query(PURGES):
        finish_purge(ctx, marker.sk)
    ctx.store.sweep(ctx.epoch())
    return purged
