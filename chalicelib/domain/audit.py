"""The tamper-evident audit chain (protocol §4.6).

Entries live at ``audit`` / ``<seq, zero-padded>``; a head item
(``audit-head`` / ``head``) holds the last ``seq`` and its hash. Every team
action commits its own writes, the new entry and the new head in one
transaction, so the chain cannot fork: two racing actions cannot both take
the same ``seq``, and the loser retries on the new head.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from typing import Any

from chalicelib import jcs, wire
from chalicelib.domain.cases import Context
from chalicelib.errors import BadCursor, Conflict
from chalicelib.store.base import ABSENT, ConditionFailed, Op, Put

AUDIT = "audit"
HEAD = ("audit-head", "head")
GENESIS = wire.b64u_encode(bytes(32))
PAGE = 50
_RETRIES = 16


def entry_hash(entry: dict[str, Any]) -> str:
    return wire.b64u_encode(hashlib.sha256(jcs.canonicalize(entry)).digest())


def _sk(seq: int) -> str:
    return f"{seq:012d}"


def commit(
    ctx: Context, ops: Sequence[Op], *, member: str | None, action: str,
    case: str | None, request: dict[str, Any] | None,
) -> dict[str, Any]:
    """Apply ``ops`` together with a new audit entry. Returns the entry.

    Raises ConditionFailed (with the index into ``ops``) when one of the
    caller's conditions fails; retries by itself when only the chain moved.
    """
    for _ in range(_RETRIES):
        head = ctx.store.get(*HEAD)
        seq = head.data["seq"] + 1 if head else 1
        entry = {
            "seq": seq, "prev": head.data["hash"] if head else GENESIS,
            "day_time": ctx.clock().strftime("%Y-%m-%dT%H:%M:%SZ"),
            "member": member, "action": action, "case": case, "request": request,
        }
        chain = [
            Put(*HEAD, {"seq": seq, "hash": entry_hash(entry)},
                expect=head.version if head else ABSENT),
            Put(AUDIT, _sk(seq), entry, expect=ABSENT),
        ]
        try:
            ctx.store.transact([*ops, *chain])
            return entry
        except ConditionFailed as exc:
            if 0 <= exc.index < len(ops):
                raise
    raise Conflict("The audit log is busy; try again.")


def page(ctx: Context, cursor: str | None) -> dict[str, Any]:
    """``GET /v1/team/audit``: entries by ``seq``, 50 a page."""
    after = None
    if cursor is not None:
        try:
            after = _sk(int(base64.urlsafe_b64decode(cursor + "==").decode()))
        except (ValueError, UnicodeDecodeError):
            raise BadCursor() from None
    items = ctx.store.query(AUDIT, after=after, limit=PAGE + 1)
    entries = [dict(i.data) for i in items[:PAGE]]
    more = len(items) > PAGE
    next_cursor = wire.b64u_encode(str(entries[-1]["seq"]).encode()) if more else None
    return {"entries": entries, "cursor": next_cursor}
