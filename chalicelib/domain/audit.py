"""The tamper-evident audit chain (protocol §4.6).

Entries live at ``keys.audit_entry(seq)``; a head item (``keys.AUDIT_HEAD``)
holds the last ``seq`` and its hash. Every team
action commits its own writes, the new entry and the new head in one
transaction, so the chain cannot fork: two racing actions cannot both take
the same ``seq``, and the loser retries on the new head.

What an entry records follows from its signed request by one table,
``chalicelib/audit_actions.json``, which the verifiers (``candor/audit.py``,
``frontend/src/lib/audit.ts``) read too: the server writes nothing they
would refuse, and a server that forges an entry cannot make it pass.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from chalicelib import jcs, wire
from chalicelib.domain.answers import AuditPage
from chalicelib.domain.cases import Context
from chalicelib.domain.records import AuditEntry
from chalicelib.errors import BadCursor, ClockSkew, Conflict
from chalicelib.httpsig import (
    RecordedRequest,
    RequestView,
    SignatureInput,
    SignatureRefused,
    parse_signature_input,
)
from chalicelib.store import keys
from chalicelib.store.base import ABSENT, ConditionFailed, Op

# The names of the chain's own operations in a transaction.
_CHAIN = ("audit.head", "audit.entry")
GENESIS = wire.b64u_encode(bytes(32))
PAGE = 50
_RETRIES = 16

TABLE: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parent.parent / "audit_actions.json").read_text("utf-8"))
SKEW_SECONDS: int = TABLE["skew_seconds"]
ENTRY_FIELDS = frozenset(AuditEntry.__annotations__)
REQUEST_FIELDS = frozenset(RecordedRequest.__annotations__)
_DAY_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")  # ASCII digits
_IDS = {name: re.compile(pattern) for name, pattern in TABLE["ids"].items()}


def _route_pattern(template: str) -> re.Pattern[str]:
    """A route's path after any base path, each {name} an id of ids[name]."""
    parts = re.split(r"\{(\w+)\}", template)
    body = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>{TABLE['ids'][p]})"
                   for i, p in enumerate(parts))
    return re.compile(TABLE["base_path"] + body)


_ROUTES = [(route, _route_pattern(route["path"])) for route in TABLE["routes"]]


def entry_hash(entry: Mapping[str, Any]) -> str:
    """The hash the next entry's ``prev`` names (clients check chains with it)."""
    return wire.b64u_encode(hashlib.sha256(jcs.canonicalize(entry)).digest())


# -- the rules an entry follows (shared by the server and the verifiers) -----------------


def derive(request: Mapping[str, Any], signer: str) -> tuple[str, str | None] | None:
    """The ``(action, case)`` that a signed request stands for by the table,
    or None when its method, path and query name no audited route."""
    method, path, query = (request.get(k) for k in ("@method", "@path", "@query"))
    if not (isinstance(method, str) and isinstance(path, str) and isinstance(query, str)):
        return None
    for route, pattern in _ROUTES:
        match = pattern.fullmatch(path) if route["method"] == method else None
        if match is None or not _query_fits(route["query"], query):
            continue
        if route.get("self") and match.group("member") != signer:
            return None
        return route["action"], match.groupdict().get("case")
    return None


def _query_fits(spec: Mapping[str, Any], query: str) -> bool:
    """The signed @query holds exactly the route's parameters, each 1..max
    distinct ids of its kind."""
    if not query.startswith("?"):
        return False
    pairs = [p.split("=", 1) for p in query[1:].split("&")] if query != "?" else []
    if any(len(p) != 2 for p in pairs):
        return False
    params = {unquote(k): unquote(v) for k, v in pairs}
    if len(params) != len(pairs) or set(params) != set(spec):
        return False
    for name, rule in spec.items():
        ids = params[name].split(",")
        if not 1 <= len(ids) <= rule["max"] or len(set(ids)) != len(ids):
            return False
        if not all(_IDS[rule["ids"]].fullmatch(i) for i in ids):
            return False
    return True


def signed_params(request: Mapping[str, Any]) -> SignatureInput | None:
    """The recorded request's ``keyid``, ``created`` and ``nonce``, or None
    when its Signature-Input does not follow protocol §4.3's profile."""
    try:
        headers = {"Signature-Input": str(request["Signature-Input"]),
                   "Signature": str(request["Signature"])}
        return parse_signature_input(RequestView(str(request["@method"]), "", {}, headers))
    except (KeyError, TypeError, SignatureRefused):
        return None


def day_time_seconds(day_time: object) -> int | None:
    """``YYYY-MM-DDTHH:MM:SSZ`` as seconds since the epoch, or None."""
    if not isinstance(day_time, str) or _DAY_TIME.fullmatch(day_time) is None:
        return None
    try:
        parsed = datetime.strptime(day_time, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None
    return int(parsed.timestamp())


def is_system_entry(entry: Mapping[str, Any]) -> bool:
    """An unsigned entry of exactly a shape the table's ``system`` names."""
    if entry.get("member") is not None or entry.get("request") is not None:
        return False
    for shape in TABLE["system"]:
        case = entry.get("case")
        case_fits = case is None if shape["case"] is None else (
            isinstance(case, str) and _IDS[shape["case"]].fullmatch(case) is not None)
        seq = entry.get("seq")
        seq_fits = shape["seq"] is None or (not isinstance(seq, bool) and seq == shape["seq"])
        if entry.get("action") == shape["action"] and case_fits and seq_fits:
            return True
    return False


# -- writing --------------------------------------------------------------------------


def commit(
    ctx: Context, ops: Sequence[Op], *, member: str | None, action: str,
    case: str | None, request: RecordedRequest | None,
) -> AuditEntry:
    """Apply ``ops`` together with a new audit entry. Returns the entry.

    Raises ConditionFailed (naming the operation) when one of the caller's
    conditions fails; retries by itself when only the chain moved. Raises
    ClockSkew when the request's ``created`` is no longer within the skew of
    the time recorded (protocol §4.6).
    """
    for _ in range(_RETRIES):
        head = ctx.store.get(keys.AUDIT_HEAD)
        seq = head.data["seq"] + 1 if head else 1
        entry: AuditEntry = {
            "seq": seq, "prev": head.data["hash"] if head else GENESIS,
            "day_time": _day_time(ctx, seq),
            "member": member, "action": action, "case": case, "request": request,
        }
        _check(entry)
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


def _day_time(ctx: Context, seq: int) -> str:
    """Now, but never before the previous entry's time, so that day_time never
    goes back along the chain even when two servers' clocks differ a little."""
    now = ctx.clock().strftime("%Y-%m-%dT%H:%M:%SZ")
    previous = ctx.store.get(keys.audit_entry(seq - 1)) if seq > 1 else None
    return max(now, previous.data["day_time"]) if previous else now


def _check(entry: AuditEntry) -> None:
    """Record only what the verifiers accept (see the module's docstring)."""
    request = entry["request"]
    if request is None:
        if not is_system_entry(entry):
            raise Conflict("The audit log does not take this system entry here.")
        return
    signed = signed_params(request)
    member = entry["member"] or ""
    if signed is None or signed.keyid != member or derive(request, member) != (
            entry["action"], entry["case"]):
        raise ValueError(f"audit entry {entry['action']} does not follow from its request")
    recorded = day_time_seconds(entry["day_time"])
    if recorded is None or abs(recorded - signed.created) > SKEW_SECONDS:
        raise ClockSkew()


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
