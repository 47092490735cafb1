"""A member's personal inbox index (protocol §4.4, "Inbox index").

An opaque sealed blob per member, which only that member can open: the
server checks that it is a one-stanza age file and stores it as a blob
(an index of thousands of cases does not fit one DynamoDB item), with a
small item naming it, its version and the day it was written. Writes are
compare-and-swap on the version, so two consoles of one member never lose
each other's work. Reads list the member's cases in large pages, with the
side of the last message of those changed since that day.

The blob is named ``x_<member id>_<random>`` so the orphan sweep
(protocol §4.7) finds the one record that may name it without a scan.

Neither route is audited: the index is the member's own housekeeping,
holding only what the member read through audited routes (protocol §4.6).
"""

from __future__ import annotations

import secrets
from contextlib import suppress
from datetime import date
from typing import Any, TypedDict

from chalicelib import wire
from chalicelib.age.errors import SealedBlobInvalid
from chalicelib.age.validate import validate_sealed_blob
from chalicelib.b64 import b64u_encode
from chalicelib.domain import entries
from chalicelib.domain.answers import CaseSummary
from chalicelib.domain.cases import Context, deadlines
from chalicelib.domain.records import CaseRecord
from chalicelib.domain.team_roster import Caller
from chalicelib.errors import Conflict, InvalidBlob, Malformed
from chalicelib.store import keys
from chalicelib.store.base import ABSENT, BlobMissing, ConditionFailed, StorageUnavailable

# Sealed bytes; about 10,000 cases. Kept under Lambda's 6 MB answer as base64url.
INDEX_LIMIT = 4 * 1024 * 1024
# Cases a page of the index's listing; about 700 KB of JSON, beside a sealed index of at most 4 MiB.
PAGE = 2000


def blob_name(member_id: str) -> str:
    """A fresh name for ``member_id``'s next index blob."""
    return f"x_{member_id}_{b64u_encode(secrets.token_bytes(16))}"


def owner(name: str) -> str | None:
    """The member whose index an ``x_`` blob name says it is; None for a
    name without one (none were deployed: kept, never judged)."""
    member_id, sep = name[2:24], name[24:25]
    try:
        wire.identifier(member_id, "m")
    except Malformed:
        return None
    return member_id if name.startswith("x_") and sep == "_" else None


class IndexRecord(TypedDict):
    """``keys.inbox_index``: where the member's current index blob is."""

    blob: str
    written: str  # the UTC day of the write


class IndexedCase(CaseSummary, total=False):
    """A case as ``GET /v1/team/cases`` lists it; ``last`` for cases updated
    on or after the day the index was written."""

    last: str | None  # "reporter" or "team": who wrote the last message; None: no message
    # A filed report's plaintext source and drill flag (protocol §4.4, "Filing").
    source: str
    drill: bool


class IndexAnswer(TypedDict, total=False):
    sealed: str | None  # the first page only, as ``version``
    version: int
    cases: list[IndexedCase]
    cursor: str | None


def read(ctx: Context, caller: Caller, cursor: str | None) -> IndexAnswer:
    """One page of the caller's cases by id, ``PAGE`` a page, from one scan
    of the cases: an inbox of 10,000 cases lists in 5 calls instead of the
    200 of ``GET /v1/team/cases``. The first page (no ``cursor``) also
    carries the caller's index (``sealed`` null and ``version`` 0 when
    none). Raises Malformed (a cursor that is not a case id)."""
    after = wire.identifier(cursor, "c", "'cursor'") if cursor is not None else None
    item = ctx.store.get(keys.inbox_index(caller.id))
    sealed: bytes | None = None
    if item is not None and after is None:
        try:
            sealed = ctx.store.get_blob(item.data["blob"])
        except BlobMissing:  # replaced between the two reads: the client rebuilds
            sealed = None
    since = item.data["written"] if item is not None else ""
    visible = sorted((c.data for c in ctx.store.query(keys.CASES)
                      if caller.id in c.data["access"] and (after is None or c.data["id"] > after)),
                     key=lambda c: c["id"])
    today = ctx.today()
    cases = [_listed(ctx, c, today, since) for c in visible[:PAGE]]
    answer: IndexAnswer = {"cases": cases,
                           "cursor": visible[PAGE - 1]["id"] if len(visible) > PAGE else None}
    if after is None:
        answer["sealed"] = None if sealed is None else wire.b64u_encode(sealed)
        answer["version"] = item.version if item is not None else 0
    return answer


def _listed(ctx: Context, case: CaseRecord, today: date, since: str) -> IndexedCase:
    due = deadlines(case, today)
    listed: IndexedCase = {
        "id": case["id"], "status": case["status"], "resolution": case["resolution"],
        "received": case["received"], "updated": case["updated"],
        "acknowledged": case["acknowledged"], "feedback": case["feedback"],
        "closed": case["closed"], "assignee": case["assignee"], "access": case["access"],
        "acknowledge_by": due["acknowledge_by"], "feedback_by": due["feedback_by"],
        "overdue": due["overdue"],
        "report": {"id": case["report"]["id"], "size": case["report"]["size"]}}
    if "source" in case:  # listed as GET /v1/team/cases lists it, so the inbox marks a drill
        listed["source"], listed["drill"] = case["source"], case.get("drill", False)
    if case["updated"] >= since:
        last = None
        if case["messages"]:
            thread = entries.entries_of(ctx, case["id"], ["message"])
            last = thread[-1].data["from"] if thread else None
        listed["last"] = last
    return listed


def write(ctx: Context, caller: Caller, body: dict[str, Any]) -> dict[str, int]:
    """Store a new index if ``version`` is the stored one (0: none yet);
    409 ``conflict`` otherwise, and the caller reads, merges and writes again."""
    wire.fields(body, ["sealed", "version"])
    expected = body["version"]
    if not isinstance(expected, int) or isinstance(expected, bool) or expected < 0:
        raise Malformed("'version' must be a non-negative integer.")
    sealed = wire.b64u_field(body, "sealed", max_size=INDEX_LIMIT)
    try:
        validate_sealed_blob(sealed[:64 * 1024], max_stanzas=1)
    except SealedBlobInvalid:
        raise InvalidBlob("The index must be an age file sealed to one recipient.") from None
    key = keys.inbox_index(caller.id)
    current = ctx.store.get(key)
    if (current.version if current is not None else 0) != expected:
        raise Conflict("The index changed meanwhile: read it again.")
    name = blob_name(caller.id)
    ctx.store.put_blob(name, sealed)
    record: IndexRecord = {"blob": name, "written": ctx.today().isoformat()}
    try:
        ctx.store.transact([key.put(record, expect=expected or ABSENT, name="index")])
    except ConditionFailed:
        ctx.store.delete_blob(name)
        raise Conflict("The index changed meanwhile: read it again.") from None
    if current is not None:
        # The write stands even if this fails: the orphan sweep deletes the old blob (§4.7).
        with suppress(StorageUnavailable):
            ctx.store.delete_blob(current.data["blob"])
    return {"version": expected + 1}
