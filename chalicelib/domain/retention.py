"""Retention and purges (protocol §4.7).

A purge first removes the case record and its current receipt and records
a purge marker (``keys.PURGES``) in the same transaction as its
audit entry: from then on the case is gone for every reader. The marker is
worked off afterwards (entries, attachments, every blob version) and
deleted last, so a crash in between only delays the clean-up: the next
retention run finishes it. Retired ``token_id``s are kept (unlinked).

A blob is written (or its upload claimed) before the transaction that
refers to it, so a transaction that fails, or a process killed in between,
leaves a blob nothing refers to. Deleting it on the failure is unsafe (a
timed-out transaction may have committed), so once a day
:func:`sweep_orphans` deletes the blobs older than a day that no index
record refers to: a case, entry or purge marker for a case's blobs, the
member's index record for an inbox index blob (named after its member).
A removed member's index record and blob go in the hourly run.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TypedDict

from chalicelib.domain import audit, inbox_index
from chalicelib.domain.cases import Context
from chalicelib.domain.records import CaseRecord, PurgeMarker
from chalicelib.httpsig import RecordedRequest
from chalicelib.store import keys
from chalicelib.store.base import ABSENT, ConditionFailed, Item, StorageUnavailable

PURGES = keys.PURGES
ORPHAN_AGE = 24 * 3600
"""How old an unreferenced blob must be to go. Its transaction follows its
write within seconds; an upload is claimable only until its attachment
record expires, a day after the announcement that preceded the upload."""
ORPHAN_LIMIT = 1000
"""Most orphans deleted per run; the rest go the next day."""
SWEPT_KINDS = ("b_", "a_", "e_", "x_")
"""Blob names the references below cover (reports, attachments, entries,
inbox indexes). Any other kind, and an ``x_`` name without its member, is
never swept."""


class OrphanSweep(TypedDict):
    """The day the orphan sweep last ran (``keys.ORPHAN_SWEEP``)."""

    day: str


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


def _claim_day(ctx: Context) -> bool:
    """Record that the sweep runs today; False if it ran today (or on a later
    day: the clock stepped back) or another run claimed it first."""
    state = ctx.store.get(keys.ORPHAN_SWEEP)
    if state is not None and state.data["day"] >= ctx.day():
        return False
    try:
        ctx.store.transact([keys.ORPHAN_SWEEP.put(
            {"day": ctx.day()}, expect=state.version if state else ABSENT, name="sweep")])
    except ConditionFailed:
        return False
    return True


def _referenced(ctx: Context) -> set[str]:
    """Every blob an index record refers to. Cases before purge markers: a
    purge deletes the case and writes its marker in one transaction, so a
    case purged meanwhile is seen as one or the other."""
    out: set[str] = set()
    for case in ctx.store.query(keys.CASES):
        docs, attachments = _blob_ids(ctx, case.data)
        out.update(docs, attachments)
    for marker in ctx.store.query(PURGES):
        out.update(marker.data["docs"], marker.data["attachments"])
    return out


def _index_kept(ctx: Context, name: str, named: dict[str, str | None]) -> bool:
    """Whether ``name`` is an index blob to keep: the one its member's index
    record names, or one without a member in its name (not ours to judge).
    ``named`` caches member id -> the blob their record names."""
    member_id = inbox_index.owner(name)
    if member_id is None:
        return True
    if member_id not in named:
        record = ctx.store.get(keys.inbox_index(member_id))
        named[member_id] = record.data["blob"] if record is not None else None
    return named[member_id] == name


def drop_removed_indexes(ctx: Context) -> int:
    """Delete the index record, then the blob, of every removed member; a
    PUT that passed authentication before the removal and committed after
    it is caught by the next run. Returns the number of indexes deleted."""
    dropped = 0
    for member in ctx.store.query(keys.MEMBERS):
        removed = member.data["removed"]
        record = ctx.store.get(keys.inbox_index(member.data["id"])) if removed else None
        if record is None:
            continue
        try:
            ctx.store.transact([record.key.delete(expect=record.version, name="index")])
        except ConditionFailed:
            continue  # written meanwhile: the next run deletes that one
        dropped += 1
        try:
            ctx.store.delete_blob(record.data["blob"])
        except StorageUnavailable:
            continue  # nothing names it now: the orphan sweep deletes it
    return dropped


def sweep_orphans(ctx: Context) -> int | None:
    """Once a day, delete the blobs older than ``ORPHAN_AGE`` that nothing
    refers to (at most ``ORPHAN_LIMIT``). None if it already ran today."""
    if not _claim_day(ctx):
        return None
    # Names first, references second: a blob this old that a transaction
    # refers to was referred to long before the references are read.
    old = [n for n in ctx.store.blob_names(ctx.epoch() - ORPHAN_AGE)
           if n.startswith(SWEPT_KINDS)]
    if not old:
        return 0
    referenced = _referenced(ctx)
    named: dict[str, str | None] = {}
    doomed = [n for n in old if n not in referenced
              and not (n.startswith("x_") and _index_kept(ctx, n, named))][:ORPHAN_LIMIT]
    for name in doomed:
        ctx.store.delete_blob(name)
    return len(doomed)


def run(ctx: Context) -> int:
    """The hourly housekeeping job: purge due cases, finish interrupted purges, sweep
    expired items and unclaimed uploads, drop removed members' indexes, and once a day
    orphan blobs. Returns the
    number of cases purged."""
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
    drop_removed_indexes(ctx)
    sweep_orphans(ctx)
    return purged
