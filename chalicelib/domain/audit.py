"""The tamper-evident audit chain (protocol §4.6).

Entries live at ``keys.audit_entry(seq)``; a head item (``keys.AUDIT_HEAD``)
holds the last ``seq`` and its hash. Every team
action commits its own writes, the new entry and the new head in one
transaction, so the chain cannot fork: two racing actions cannot both take
the same ``seq``, and the loser retries on the new head.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from chalicelib import jcs, wire
from chalicelib.domain.answers import AuditPage
from chalicelib.domain.cases import Context
from chalicelib.domain.records import AuditEntry
from chalicelib.errors import BadCursor, Conflict
from chalicelib.httpsig import RecordedRequest
from chalicelib.store import keys
from chalicelib.store.base import ABSENT, ConditionFailed, Op

# The names of the chain's own operations in a transaction.
_CHAIN = ("audit.head", "audit.entry")
GENESIS = wire.b64u_encode(bytes(32))
PAGE = 50
_RETRIES = 16


def entry_hash(entry: Mapping[str, Any]) -> str:
    """The hash the next entry's ``prev`` names (clients check chains with it)."""
    return wire.b64u_encode(hashlib.sha256(jcs.canonicalize(entry)).digest())


def commit(
    ctx: Context, ops: Sequence[Op], *, member: str | None, action: str,
    case: str | None, request: RecordedRequest | None,
) -> AuditEntry:
    """Apply ``ops`` together with a new audit entry. Returns the entry.

    Raises ConditionFailed (naming the operation) when one of the caller's
    conditions fails; retries by itself when only the chain moved.
    """
    for _ in range(_RETRIES):
        head = ctx.store.get(keys.AUDIT_HEAD)
        seq = head.data["seq"] + 1 if head else 1
        entry: AuditEntry = {
            "seq": seq, "prev": head.data["hash"] if head else GENESIS,
            "day_time": ctx.clock().strftime("%Y-%m-%dT%H:%M:%SZ"),
            "member": member, "action": action, "case": case, "request": request,
        }
        chain = [
            keys.AUDIT_HEAD.put({"seq": seq, "hash": entry_hash(entry)},
                                expect=head.version if head else ABSENT, name=_CHAIN[0]),
            keys.audit_entry(seq).put(entry, expect=ABSENT, name=_CHAIN[1]),
        ]
        try:
            ctx.store.transact([*ops, *chain])
            return entry
        except ConditionFailed as exc:
            if exc.name not in _CHAIN:
                raise
    raise Conflict("The audit log is busy; try again.")


def page(ctx: Context, cursor: str | None) -> AuditPage:
    """``GET /v1/team/audit``: entries by ``seq``, 50 a page."""
    after = None
    if cursor is not None:
        try:
            after = keys.audit_sk(int(base64.urlsafe_b64decode(cursor + "==").decode()))
        except (ValueError, UnicodeDecodeError):
            raise BadCursor() from None
    items = ctx.store.query(keys.AUDIT, after=after, limit=PAGE + 1)
    entries = [i.data for i in items[:PAGE]]
    more = len(items) > PAGE
    next_cursor = wire.b64u_encode(str(entries[-1]["seq"]).encode()) if more else None
    return {"entries": entries, "cursor": next_cursor}
