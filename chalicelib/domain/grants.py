"""Access after submission: grants and revocations (protocol §4.4 "Grants").

A grant gives a current member a case filed before them. The server cannot
make one: it has no file key. The granting member's client unwraps each
blob's file key and sends, per blob, a whole new age header (one stanza for
the new member and a header MAC under the same file key); the granted
member's client puts that header in front of the blob's unchanged payload.
Sealed blobs never change, and a grant costs one header per blob whatever
the blob's size. A header the server alters only breaks the granted
member's own view: their client fails to open the blob, as for any bad one.

Headers are written first, one item per blob; the grant takes effect in
one transaction with the case's new ``access`` and its audit entry, which
fails (409) when an entry arrived meanwhile, so a grant always covers
every blob of the case it names.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from chalicelib import signing, wire
from chalicelib.age.errors import SealedBlobInvalid
from chalicelib.age.recipient_types import recipient_type
from chalicelib.age.validate import PAYLOAD_NONCE_SIZE, validate_sealed_blob
from chalicelib.domain import audit, entries, team_roster
from chalicelib.domain.answers import GrantSummary
from chalicelib.domain.cases import Context, visible_case
from chalicelib.domain.records import CaseRecord, GrantHeader, GrantRecord
from chalicelib.domain.team_roster import Caller
from chalicelib.errors import (
    Conflict,
    InvalidAccess,
    InvalidBlob,
    Malformed,
    MemberExcluded,
    NotFound,
)
from chalicelib.manifest import INTAKE
from chalicelib.store import keys
from chalicelib.store.base import MAX_OPS, ConditionFailed, Op

GRANT_FIELDS = ("v", "type", "case", "member", "by", "sig")
# One stanza of either type and the MAC line: a hybrid stanza is about 1.6 KB.
MAX_HEADER = 4096
GRANT_BODY_LIMIT = 4 * 1024 * 1024  # headers of a case at its limits (2,200 blobs)



def case_blobs(ctx: Context, case: CaseRecord) -> set[str]:
    """Every blob a reader of the case reads: the report, each message and
    note, and every attachment of any of them."""
    ids = {case["report"]["id"], *(a["id"] for a in case["report"]["attachments"])}
    for item in entries.entries_of(ctx, case["id"], ("message", "note")):
        ids.add(item.data["id"])
        ids.update(a["id"] for a in item.data["attachments"])
    return ids


def grant(ctx: Context, caller: Caller, case_id: str, body: dict[str, Any]) -> GrantSummary:
    """``POST /v1/team/cases/{case_id}/access``. Raises NotFound, Malformed,
    InvalidAccess, MemberExcluded, InvalidBlob, Conflict."""
    wire.fields(body, ["member", "grant", "headers"])
    case = visible_case(ctx, caller.id, case_id)
    member_id = wire.identifier(body["member"], "m", "'member'")
    _check_member(ctx, case.data, member_id)
    document = _check_document(body["grant"], case.data, member_id, caller)
    headers = _check_headers(ctx, body["headers"], case.data)
    for batch in _batches([keys.grant_header(case_id, member_id, blob_id).put(
            GrantHeader(header=wire.b64u_encode(header))) for blob_id, header in headers]):
        ctx.store.transact(batch)
    record: GrantRecord = {"member": member_id, "by": caller.id, "day": ctx.day(),
                           "grant": document}
    updated = case.data.copy()
    if member_id not in updated["access"]:
        updated["access"] = [*updated["access"], member_id]
    try:
        audit.commit(ctx, [case.key.put(updated, expect=case.version, name="case"),
                           keys.grant(case_id, member_id).put(record, name="grant")],
                     member=caller.id, action="case.grant", case=case_id,
                     request=caller.request)
    except ConditionFailed:
        raise Conflict("The case changed meanwhile (a new entry or access change); "
                       "grant again to cover it.") from None
    return summary(record)


def _check_member(ctx: Context, case: CaseRecord, member_id: str) -> None:
    if member_id in case.get("excluded", []):
        raise MemberExcluded()
    entry = ctx.store.get(keys.member(member_id))
    if entry is None or entry.data["removed"]:
        raise InvalidAccess("'member' is not a current member.")
    if entry.data["role"] == INTAKE:  # files reports, reads none (protocol §4.5, Roles)
        raise InvalidAccess("'member' is an intake member, who reads no case.")
    if recipient_type(entry.data["recipient"]) != case["type"]:
        raise InvalidAccess("The member's recipient is not of the case's type.")
    if member_id in case["access"] and ctx.store.get(keys.grant(case["id"], member_id)) is None:
        raise Conflict("The member is on the case already.")


def grant_document_problem(
    doc: object, case_reply_to: str, member_id: str, by: str
) -> str | None:
    """Why ``doc`` is not the grant document naming this case, member and
    granter (its signature apart), or None."""
    if not isinstance(doc, Mapping) or sorted(doc) != sorted(GRANT_FIELDS):
        return "a grant document has exactly the fields " + ", ".join(GRANT_FIELDS)
    case_hash = wire.b64u_encode(hashlib.sha256(case_reply_to.encode()).digest())
    if doc["v"] != 1 or doc["type"] != "grant" or doc["case"] != case_hash:
        return "the grant document is not one of this case"
    if doc["member"] != member_id or doc["by"] != by:
        return "the grant document names another member or granter"
    return None


def _check_document(
    doc: object, case: CaseRecord, member_id: str, caller: Caller
) -> dict[str, Any]:
    problem = grant_document_problem(doc, case["reply_to"], member_id, caller.id)
    if problem is not None or not isinstance(doc, Mapping):
        raise InvalidAccess(f"'grant': {problem}.")
    key = wire.b64u_decode(caller.member["signing_key"])
    if not signing.verify_document(doc, [key]):
        raise InvalidAccess("'grant': the signature does not verify under your key.")
    return dict(doc)


def _check_headers(
    ctx: Context, value: object, case: CaseRecord
) -> list[tuple[str, bytes]]:
    """One header per blob of the case, each one stanza of the case's type.
    Raises Malformed, TooLarge, InvalidBlob, Conflict."""
    if not isinstance(value, dict):
        raise Malformed("'headers' must be an object of blob ids.")
    wanted = case_blobs(ctx, case)
    unknown = set(value) - wanted
    if unknown:
        raise Malformed(f"'headers' names {sorted(unknown)[0][:40]!r}, not a blob of the case.")
    if wanted - set(value):
        raise Conflict("The case has blobs the grant does not cover (a new entry?); "
                       "grant again to cover them.")
    out = []
    for blob_id in sorted(value):
        header = wire.b64u_field(value, blob_id, max_size=MAX_HEADER)
        check_header(header, case["type"])
        out.append((blob_id, header))
    return out


def check_header(header: bytes, recipient_type: str) -> None:
    """A whole age header (MAC line included, nothing after it) with exactly
    one stanza of ``recipient_type``. Raises InvalidBlob."""
    try:
        info = validate_sealed_blob(header + bytes(PAYLOAD_NONCE_SIZE), max_stanzas=1)
    except SealedBlobInvalid as exc:
        raise InvalidBlob(f"A grant header is not valid: {exc}.") from None
    if info.header_size != len(header) or info.recipient_type != recipient_type:
        raise InvalidBlob("A grant header must be one header of one stanza of the case's type.")


def _batches(ops: Sequence[Op]) -> list[list[Op]]:
    return [list(ops[i:i + MAX_OPS]) for i in range(0, len(ops), MAX_OPS)]


def revoke(ctx: Context, caller: Caller, case_id: str, member_id: str) -> None:
    """``DELETE /v1/team/cases/{case_id}/access/{member_id}``: an admin in the
    case takes a member off. What they read stays read; from now on the case
    answers them 404 and clients seal nothing new to them. Raises Forbidden,
    NotFound, Conflict."""
    caller.require_admin()
    case = visible_case(ctx, caller.id, case_id)
    wire.identifier(member_id, "m")
    if member_id not in case.data["access"]:
        raise NotFound()
    updated = case.data.copy()
    updated["access"] = [m for m in updated["access"] if m != member_id]
    if not set(updated["access"]) & team_roster.effective_admins(ctx):
        raise Conflict("Taking this member off would leave the case without an admin: "
                       "grant another admin first.")
    if updated["assignee"] == member_id:
        updated["assignee"] = None
    try:
        audit.commit(ctx, [case.key.put(updated, expect=case.version, name="case"),
                           keys.grant(case_id, member_id).delete(name="grant")],
                     member=caller.id, action="case.revoke", case=case_id,
                     request=caller.request)
    except ConditionFailed:
        raise Conflict("The case changed meanwhile; reload and try again.") from None
    delete_headers(ctx, case_id, member_id)


def delete_headers(ctx: Context, case_id: str, member_id: str) -> None:
    """Delete a member's grant headers. After the revocation committed, so a
    crash half-way leaves headers nobody can fetch (the member is off the
    case), and a later grant overwrites them."""
    items = ctx.store.query(keys.grant_headers(case_id, member_id))
    for batch in _batches([i.key.delete() for i in items]):
        ctx.store.transact(batch)


def header_for(ctx: Context, case_id: str, member_id: str, blob_id: str) -> str | None:
    """The caller's grant header for a blob, b64u, or None (not granted)."""
    item = ctx.store.get(keys.grant_header(case_id, member_id, blob_id))
    return item.data["header"] if item is not None else None


def listing(ctx: Context, case_id: str) -> list[GrantSummary]:
    return [summary(i.data) for i in ctx.store.query(keys.grants(case_id))]


def summary(record: GrantRecord) -> GrantSummary:
    return {"member": record["member"], "by": record["by"], "day": record["day"],
            "grant": record["grant"]}

