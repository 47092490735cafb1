"""The anonymous reporter's side (protocol §3.3, §4.2).

Every function takes a parsed JSON body and the :class:`Context`, checks in
protocol §4.1's order (parse 400, ``auth`` 404, then the rest) and returns the
answer body. Nothing here knows about HTTP or any client identifier.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from typing import Any

from chalicelib import wire
from chalicelib.age.recipient_types import recipient_type
from chalicelib.domain import blobs, entries, team_roster
from chalicelib.domain.answers import (
    CaseStatus,
    Empty,
    EntryAnswer,
    Received,
    Thread,
)
from chalicelib.domain.cases import Context, deadlines, load_case, new_id
from chalicelib.domain.records import CaseRecord, CaseState, ReceiptRecord
from chalicelib.errors import (
    AttachmentClaimed,
    Conflict,
    InvalidAccess,
    InvalidBlob,
    Malformed,
    ReceiptUnknown,
    RotateFirst,
    TokenInUse,
)
from chalicelib.store import keys
from chalicelib.store.base import ABSENT, ConditionFailed, Item, Op

# -- submission ----------------------------------------------------------------
REPORT_FIELDS = ("report", "token_id", "sealed_identity", "reply_to", "access", "attachments")
Commit = Callable[[list[Op]], object]


def submit_report(
    ctx: Context, body: dict[str, Any], raw: bytes, *,
    filed: Mapping[str, Any] | None = None, commit: Commit | None = None,
) -> Received:
    """``POST /v1/reports``; with ``filed`` (the case's plaintext ``source``
    and ``drill``) and ``commit`` (with its audit entry), a report the team
    files (``chalicelib.domain.intake``). Raises TokenInUse, InvalidAccess,
    InvalidBlob, AttachmentMissing, AttachmentClaimed."""
    wire.fields(body, REPORT_FIELDS)
    report = wire.b64u_field(body, "report", max_size=ctx.limits.report)
    token_id = wire.b64u_encode(wire.b64u_field(body, "token_id", size=32))
    sealed_identity = wire.b64u_field(body, "sealed_identity", max_size=ctx.limits.sealed_identity)
    reply_to = wire.string(body, "reply_to", max_len=4096)
    access = wire.id_list(body, "access", "m", max_items=ctx.limits.stanzas - 1)
    attachment_ids = wire.id_list(body, "attachments", "a", max_items=ctx.limits.attachment_ids)
    submit_hash = hashlib.sha256(raw).hexdigest()

    repeat = _repeated_submission(ctx, token_id, submit_hash)
    if repeat is not None:
        return repeat
    kind = _reply_type(reply_to)
    team_roster.check_access(ctx, access, kind)
    blobs.check_blob(report, ctx, recipient_type=kind)
    _check_sealed_identity(ctx, sealed_identity)
    attachments = blobs.load_attachments(ctx, attachment_ids, kind)

    case_id, report_id, day = new_id("c_"), new_id("b_"), ctx.day()
    case: CaseRecord = {
        "id": case_id, "status": "received", "resolution": None, "legal_hold": False,
        "assignee": None, "access": access, "reply_to": reply_to, "type": kind,
        "received": day, "updated": day, "reporter_updated": day, "acknowledged": None,
        "feedback": None, "closed": None,
        "report": {"id": report_id, "size": len(report),
                   "attachments": blobs.attachment_refs(attachments)},
        "messages": 0, "notes": 0, "excluded": team_roster.exclusions_at_submission(ctx, access),
        **(filed or {}),  # type: ignore[typeddict-item]  # source and drill, checked by intake
    }
    state: CaseState = {"token_id": token_id, "visit": None, "rotated": False,
             "sealed_identity": wire.b64u_encode(sealed_identity), "submit_hash": submit_hash}
    ctx.store.put_blob(report_id, report)
    blobs.keep_uploads(ctx, attachments)
    try:
        (commit or ctx.store.transact)([
            keys.case(case_id).put(case, expect=ABSENT, name="case"),
            keys.receipt(token_id).put({"case": case_id}, expect=_receipt_slot(ctx, token_id),
                                       name="receipt"),
            keys.case_state(case_id).put(state, expect=ABSENT, name="state"),
            *blobs.claim_ops(attachments, case_id),
        ])
    except ConditionFailed as exc:
        ctx.store.delete_blob(report_id)
        blobs.release_uploads(ctx, attachments)
        if exc.name == "receipt":
            repeat = _repeated_submission(ctx, token_id, submit_hash)
            if repeat is not None:
                return repeat
            raise TokenInUse() from None
        if exc.name == blobs.CLAIM:
            raise AttachmentClaimed() from None
        raise Conflict() from None
    return {"received": day, "status": "received"}


def _reply_type(reply_to: str) -> str:
    try:
        return recipient_type(reply_to)
    except ValueError:
        raise InvalidAccess("'reply_to' is not an age recipient.") from None


def _check_sealed_identity(ctx: Context, sealed: bytes) -> None:
    # Sealed to recipient(kek) alone: one post-quantum stanza (protocol §2.4).
    info = blobs.check_blob(sealed, ctx, recipient_type="mlkem768x25519")
    if info.stanza_count != 1:
        raise InvalidBlob("'sealed_identity' must be sealed to one recipient.")


def _repeated_submission(ctx: Context, token_id: str, submit_hash: str) -> Received | None:
    """The first answer for a byte-identical retry while the receipt is still
    the first, current one; None when ``token_id`` names no current receipt
    (retired ones are forgotten, protocol §3.3). Raises TokenInUse otherwise."""
    receipt = ctx.store.get(keys.receipt(token_id))
    case_id = receipt.data["case"] if receipt else None
    if receipt is None or case_id is None:
        return None  # never issued, retired, or a record kept by an older release
    case = ctx.store.get(keys.case(case_id))
    state = ctx.store.get(keys.case_state(case_id))
    if case is None or state is None or state.data["rotated"] or not hmac.compare_digest(
        state.data["submit_hash"], submit_hash
    ):
        raise TokenInUse()
    return {"received": case.data["received"], "status": "received"}


def _receipt_slot(ctx: Context, token_id: str) -> int:
    """The condition that claims ``token_id``: absent, or a retired record an
    older release kept (``{"case": null}``), which is overwritten."""
    old = ctx.store.get(keys.receipt(token_id))
    return old.version if old is not None and old.data["case"] is None else ABSENT


# -- follow-up -------------------------------------------------------------------
def _auth(
    ctx: Context, body: dict[str, Any]
) -> tuple[Item[ReceiptRecord], Item[CaseRecord], Item[CaseState]]:
    """The receipt, case and receipt state of a current ``auth``. Raises
    Malformed, ReceiptUnknown."""
    value = body.get("auth")
    if not isinstance(value, str):
        raise Malformed("'auth' must be a string.")
    try:
        auth = wire.b64u_decode(value)
    except Malformed:
        raise ReceiptUnknown() from None
    token_id = wire.b64u_encode(hashlib.sha256(auth).digest())
    receipt = ctx.store.get(keys.receipt(token_id))
    case_id = receipt.data["case"] if receipt else None
    state = ctx.store.get(keys.case_state(case_id)) if case_id else None
    case = ctx.store.get(keys.case(case_id)) if case_id else None
    if receipt is None or case is None or state is None or state.data["token_id"] != token_id:
        raise ReceiptUnknown()
    return receipt, case, state


def _visit(state: Item[CaseState], body: dict[str, Any]) -> None:
    """Content only for the visit that rotated (protocol §3.3 step 4). Raises RotateFirst."""
    value = body.get("visit")
    if not isinstance(value, str):
        raise Malformed("'visit' must be a string.")
    try:
        proof = wire.b64u_encode(hashlib.sha256(wire.b64u_decode(value)).digest())
    except Malformed:
        raise RotateFirst() from None
    stored = state.data["visit"]
    if not stored or not hmac.compare_digest(stored, proof):
        raise RotateFirst()


def open_case(ctx: Context, body: dict[str, Any]) -> CaseStatus:
    """``POST /v1/followup/open``: status, deadlines and the sealed case state."""
    wire.fields(body, ["auth"])
    _, case, state = _auth(ctx, body)
    data, due = case.data, deadlines(case.data, ctx.today())
    # The team's first message acknowledges (protocol §4.4) without a status
    # change: the reporter is shown it as the acknowledgement it is.
    status = data["status"]
    if status == "received" and data["acknowledged"]:
        status = "acknowledged"
    return {
        "status": status, "received": data["received"],
        "updated": _reporter_updated(ctx, data),
        "acknowledge_by": due["acknowledge_by"], "feedback_by": due["feedback_by"],
        "sealed_identity": state.data["sealed_identity"],
    }


def _reporter_updated(ctx: Context, case: CaseRecord) -> str:
    """The day of the last change the reporter can see; never moved by a
    note (protocol §4.2). Records written before the field existed fall
    back to the days the reporter can see anyway."""
    if "reporter_updated" in case:
        return case["reporter_updated"]
    messages = entries.listing(ctx, case["id"], "message", team=False)
    days = [case["received"], *(m["day"] for m in messages)]
    days += [day for day in (case["acknowledged"], case["feedback"], case["closed"]) if day]
    return max(days)


def rotate_receipt(ctx: Context, body: dict[str, Any]) -> Empty:
    """``POST /v1/followup/rotate``: swap the receipt atomically (protocol §3.3 step 3)."""
    wire.fields(body, ["auth", "token_id", "sealed_identity", "visit"])
    receipt, case, state = _auth(ctx, body)
    new_token = wire.b64u_encode(wire.b64u_field(body, "token_id", size=32))
    sealed = wire.b64u_field(body, "sealed_identity", max_size=ctx.limits.sealed_identity)
    visit = wire.b64u_encode(wire.b64u_field(body, "visit", size=32))
    taken = ctx.store.get(keys.receipt(new_token))
    if taken is not None and taken.data["case"] is not None:
        raise TokenInUse()
    _check_sealed_identity(ctx, sealed)
    updated: CaseState = {**state.data, "token_id": new_token, "visit": visit, "rotated": True,
                          "sealed_identity": wire.b64u_encode(sealed)}
    # The case record is not part of this: a team write meanwhile cannot
    # make a reporter's rotation fail.
    try:
        ctx.store.transact([
            # Forgotten, not kept unlinked: a stored retired token_id would
            # prove that a found receipt was once used (protocol §3.3).
            receipt.key.delete(expect=receipt.version, name="old_receipt"),
            keys.receipt(new_token).put({"case": case.data["id"]},
                                        expect=_receipt_slot(ctx, new_token),
                                        name="new_receipt"),
            state.key.put(updated, expect=state.version, name="state"),
        ])
    except ConditionFailed as exc:
        if exc.name == "new_receipt":
            raise TokenInUse() from None
        raise ReceiptUnknown() from None  # another visit rotated first
    return {}


def thread(ctx: Context, body: dict[str, Any]) -> Thread:
    """``POST /v1/followup/thread``: the report and the messages, never notes."""
    wire.fields(body, ["auth", "visit"])
    _, case, state = _auth(ctx, body)
    _visit(state, body)
    report = case.data["report"]
    return {"report": {"id": report["id"], "size": report["size"]},
            "messages": entries.listing(ctx, case.data["id"], "message", team=False)}


def fetch(ctx: Context, body: dict[str, Any]) -> dict[str, str]:
    """``POST /v1/followup/fetch``: a sealed report or message, or an attachment URL."""
    wire.fields(body, ["auth", "visit", "id"])
    _, case, state = _auth(ctx, body)
    _visit(state, body)
    blob_id = body["id"]
    if not isinstance(blob_id, str):
        raise Malformed("'id' must be a string.")
    return entries.fetch_blob(ctx, case.data, blob_id, kinds=("message",))


def post_message(ctx: Context, body: dict[str, Any], raw: bytes) -> EntryAnswer:
    """``POST /v1/followup/messages``: the reporter's signed, sealed message."""
    wire.fields(body, ["auth", "visit", "id", "message", "attachments"])
    _, case, state = _auth(ctx, body)
    _visit(state, body)
    return entries.append(ctx, load_case(ctx, case.data["id"]), body, raw,
                          kind="message", author="reporter", member=None)
