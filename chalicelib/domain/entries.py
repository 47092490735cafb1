"""Messages and notes of a case: append, list, fetch (protocol §2.2, §4.1, §4.2, §4.4).

Messages (reporter and team) and notes (team only) are numbered separately,
so gaps in the reporter's thread reveal nothing about notes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from chalicelib import wire
from chalicelib.domain import blobs
from chalicelib.domain.answers import EntryAnswer, EntrySummary
from chalicelib.domain.cases import Context, load_case
from chalicelib.domain.records import CaseRecord, EntryRecord
from chalicelib.errors import AttachmentClaimed, Conflict, NotFound, ThreadFull, ThreadMoved
from chalicelib.store import keys
from chalicelib.store.base import ABSENT, ConditionFailed, Item, Op

DOWNLOAD_SECONDS = 5 * 60
_RETRIES = 8


def _request_hash(sealed: bytes, attachment_ids: list[str]) -> str:
    return hashlib.sha256(sealed + ",".join(attachment_ids).encode()).hexdigest()


Commit = Callable[[Sequence[Op]], None]


def append(
    ctx: Context, case: Item[CaseRecord], body: dict[str, Any], raw: bytes, *,
    kind: str, author: str, member: str | None, commit: Commit | None = None,
) -> EntryAnswer:
    """Store one sealed message or note; ``commit`` applies the transaction
    (the team's adds its audit entry to it). With ``after`` in the body
    (the count of this kind its writer read), only while the case holds
    exactly that many: a reply written without seeing a newer one is
    refused, atomically with the write. Raises Conflict, ThreadMoved, ThreadFull,
    InvalidBlob, AttachmentMissing, AttachmentClaimed."""
    del raw  # idempotency compares the document, not a re-signed request
    commit = commit or ctx.store.transact
    blob_id = wire.identifier(body.get("id"), "b", "'id'")
    if blob_id == case.data["report"]["id"]:
        raise Conflict("That id is the report's.")
    sealed = wire.b64u_field(body, kind, max_size=ctx.limits.message)
    attachment_ids = wire.id_list(body, "attachments", "a", max_items=ctx.limits.attachment_ids)
    digest = _request_hash(sealed, attachment_ids)
    after = wire.count(body, "after") if "after" in body else None
    case_id = case.data["id"]
    for _ in range(_RETRIES):
        existing = ctx.store.get(keys.entry(case_id, blob_id))
        if existing is not None:
            return _repeat(existing, digest)
        count = case.data["messages"] if kind == "message" else case.data["notes"]
        if after is not None and count != after:
            raise ThreadMoved(f"The case has {count} {kind}s, not {after}: read it again.")
        if count >= (ctx.limits.messages if kind == "message" else ctx.limits.notes):
            raise ThreadFull()
        blobs.check_blob(sealed, ctx, recipient_type=case.data["type"])
        attachments = blobs.load_attachments(ctx, attachment_ids, case.data["type"])
        key = keys.entry_blob(case_id, blob_id)
        _put_once(ctx, key, sealed)
        blobs.keep_uploads(ctx, attachments)
        # A server clock stepped back behind the day received must not date
        # an entry (or acknowledge) before it: days stay in order.
        day = max(ctx.day(), case.data["received"])
        answer: EntryAnswer = {"id": blob_id, "seq": count + 1, "day": day}
        entry: EntryRecord = {
            "id": blob_id, "seq": count + 1, "day": day, "kind": kind, "from": author,
            "member": member, "size": len(sealed),
            "attachments": blobs.attachment_refs(attachments), "hash": digest, "blob": key}
        try:
            commit([
                case.key.put(_after_entry(case.data, kind, author, day),
                             expect=case.version, name="case"),
                keys.entry(case_id, blob_id).put(entry, expect=ABSENT, name="entry"),
                *blobs.claim_ops(attachments, case_id),
            ])
            return answer
        except ConditionFailed as exc:
            blobs.release_uploads(ctx, attachments)
            if exc.name == blobs.CLAIM:
                raise AttachmentClaimed() from None
            case = load_case(ctx, case_id)  # another write won the race: retry
    raise Conflict("The case changed too often; try again.")


def _repeat(existing: Item[EntryRecord], digest: str) -> EntryAnswer:
    if existing.data["hash"] != digest:
        raise Conflict("Another document with this id is stored.")
    return {"id": existing.data["id"], "seq": existing.data["seq"], "day": existing.data["day"]}


def _put_once(ctx: Context, key: str, sealed: bytes) -> None:
    """Write-once blob; this case's own crashed earlier attempt with the same
    id and bytes is fine (the key names the case)."""
    try:
        ctx.store.put_blob(key, sealed)
    except ConditionFailed:
        if ctx.store.get_blob(key) != sealed:
            raise Conflict("Another document with this id is stored.") from None


def _after_entry(case: CaseRecord, kind: str, author: str, day: str) -> CaseRecord:
    """The case after a new entry; team messages acknowledge and give feedback
    (protocol §4.4: ``feedback`` is the first team message other than the one
    that acknowledged)."""
    updated = case.copy()
    if kind == "message":
        updated["messages"] += 1
        updated["reporter_updated"] = day
    else:
        updated["notes"] += 1
    updated["updated"] = day
    if kind == "message" and author == "team":
        if updated["acknowledged"] is None:
            updated["acknowledged"] = day
        elif updated["feedback"] is None:
            updated["feedback"] = day
    return updated


def entries_of(ctx: Context, case_id: str, kinds: Iterable[str]) -> list[Item[EntryRecord]]:
    wanted = set(kinds)
    items = ctx.store.query(keys.entries(case_id))
    return sorted((i for i in items if i.data["kind"] in wanted),
                  key=lambda i: (i.data["kind"], i.data["seq"]))


def listing(ctx: Context, case_id: str, kind: str, *, team: bool) -> list[EntrySummary]:
    """Entries of one kind by ``seq``; the team also sees the member id."""
    return [_summary(i.data, team=team) for i in entries_of(ctx, case_id, [kind])]


def _summary(entry: EntryRecord, *, team: bool) -> EntrySummary:
    summary: EntrySummary = {
        "id": entry["id"], "seq": entry["seq"], "from": entry["from"], "day": entry["day"],
        "size": entry["size"], "attachments": entry["attachments"]}
    if team:
        summary["member"] = entry["member"]
    return summary


def fetch_blob(
    ctx: Context, case: CaseRecord, blob_id: str, *, kinds: tuple[str, ...]
) -> dict[str, str]:
    """``{"sealed"}`` for the report or an entry of ``kinds``, ``{"url"}`` for
    one of their attachments. Raises NotFound."""
    if blob_id == case["report"]["id"]:
        return {"sealed": wire.b64u_encode(ctx.store.get_blob(blob_id))}
    entries = entries_of(ctx, case["id"], kinds)
    if blob_id.startswith("a_"):
        listed = [a["id"] for a in case["report"]["attachments"]]
        listed += [a["id"] for e in entries for a in e.data["attachments"]]
        if blob_id in listed:
            return {"url": ctx.store.download_url(blob_id, DOWNLOAD_SECONDS)}
    else:
        for e in entries:
            if e.data["id"] == blob_id:
                return {"sealed": wire.b64u_encode(ctx.store.get_blob(e.data["blob"]))}
    raise NotFound()
