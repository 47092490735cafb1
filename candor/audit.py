"""Verifying the team's audit chain (protocol §4.6): the twin of the
browser's ``lib/audit.ts``.

A member checks every link, every recorded request's signature against the
member's current and old keys, that each entry's action and case follow
from its signed request by the table the server records with
(``chalicelib/audit_actions.json``), that no signed request is recorded
twice, that ``day_time`` lies within the skew of the signature's
``created`` and never goes back, and that the only unsigned entries are the
system actions the table names. The head seen last time must still be in
the chain; it is kept in a small JSON file, the same file the console saves
and opens.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from candor import roster
from chalicelib.domain.audit import (
    ENTRY_FIELDS,
    GENESIS,
    REQUEST_FIELDS,
    SKEW_SECONDS,
    day_time_seconds,
    derive,
    entry_hash,
    is_system_entry,
    signed_params,
)
from chalicelib.httpsig import verify_recorded

if TYPE_CHECKING:
    from candor.teamops import Session

HEAD_TYPE = "candor/audit-head"
_HASH = re.compile(r"[A-Za-z0-9_-]{43}")  # b64u of a SHA-256 digest

# Each problem's text; the shared vectors name them by kind (the dict's keys).
PROBLEMS = {
    "chain": "the chain is broken",
    "shape": "the entry's fields are not the protocol's",
    "system": "an unsigned entry that is not a system action the protocol names",
    "signature": "the request signature does not verify",
    "action": "the action, case or query does not follow from the signed request",
    "replay": "the signed request was already recorded in an earlier entry",
    "time": f"day_time is not within {SKEW_SECONDS} s of the signature's created, "
            "or earlier than the entry before",
}


@dataclass
class AuditResult:
    entries: int
    head: tuple[int, str]
    problems: list[str]
    day_time: str | None = field(default=None)


@dataclass
class _Walk:
    """What checking an entry needs from the entries before it."""

    manifest: Mapping[str, Any]
    seen: set[tuple[str, str]] = field(default_factory=set)  # (keyid, nonce) signed before
    last_time: int | None = None


def verify_entries(
    entries: Sequence[Mapping[str, Any]],
    manifest: Mapping[str, Any],
    remembered: tuple[int, str] | None = None,
) -> AuditResult:
    """Check one whole chain, as fetched, against the verified manifest."""
    problems: list[str] = []
    prev = GENESIS
    walk = _Walk(manifest)
    for index, entry in enumerate(entries, start=1):
        seq = entry.get("seq")  # a number, as JSON has it (true is no 1 in the browser)
        linked = not isinstance(seq, bool) and seq == index and entry.get("prev") == prev
        kinds = [] if linked else ["chain"]
        prev = entry_hash(entry)
        kinds += _entry_problems(walk, entry)
        problems += [f"entry {index}: {PROBLEMS[kind]}" for kind in kinds]
    if remembered is not None:
        seq, digest = remembered
        if seq > len(entries) or entry_hash(entries[seq - 1]) != digest:
            problems.append(f"the head seen before (entry {seq}) is gone or changed")
    day_time = entries[-1].get("day_time") if entries else None
    return AuditResult(len(entries), (len(entries), prev), problems, day_time)


def verify_audit(s: Session, remembered: tuple[int, str] | None = None) -> AuditResult:
    """Fetch the whole chain page by page and check it (see verify_entries)."""
    entries: list[Mapping[str, Any]] = []
    cursor: str | None = None
    while True:
        page = s.api.call("GET", "/v1/team/audit", query={"cursor": cursor or ""})
        entries += page["entries"]
        cursor = page["cursor"]
        if not cursor:
            break
    return verify_entries(entries, s.manifest, remembered)


def _entry_problems(walk: _Walk, entry: Mapping[str, Any]) -> list[str]:
    """The kinds of problem one entry has, in PROBLEMS' order after "chain"."""
    record = entry.get("request")
    if set(entry) != ENTRY_FIELDS or (isinstance(record, Mapping)
                                      and set(record) != REQUEST_FIELDS):
        return ["shape"]
    time = day_time_seconds(entry["day_time"])
    in_order = time is not None and (walk.last_time is None or time >= walk.last_time)
    walk.last_time = time if time is not None else walk.last_time
    if entry["member"] is None and record is None:
        return ([] if is_system_entry(entry) else ["system"]) + ([] if in_order else ["time"])
    member = entry["member"]
    keys = roster.member_public_keys(walk.manifest, member) if isinstance(member, str) else []
    signed = signed_params(record) if isinstance(record, Mapping) else None
    if (not isinstance(member, str) or not keys or not isinstance(record, Mapping)
            or signed is None or not verify_recorded(record, member, keys)):
        return ["signature"]
    kinds = [] if derive(record, member) == (entry["action"], entry["case"]) else ["action"]
    if (signed.keyid, signed.nonce) in walk.seen:
        kinds.append("replay")
    walk.seen.add((signed.keyid, signed.nonce))
    if not in_order or time is None or abs(time - signed.created) > SKEW_SECONDS:
        kinds.append("time")
    return kinds


# -- the remembered head ---------------------------------------------------------------


def head_file(head: tuple[int, str], day_time: str | None = None) -> dict[str, Any]:
    """The head file's JSON object: {v, type, seq, hash, day_time}."""
    return {"v": 1, "type": HEAD_TYPE, "seq": head[0], "hash": head[1], "day_time": day_time}


def parse_head(data: object) -> tuple[int, str]:
    """(seq, hash) from a parsed head file. Raises ValueError for anything else."""
    if not isinstance(data, dict) or type(data.get("v")) is not int or data["v"] != 1:
        raise ValueError("not an audit head file")
    seq, digest = data.get("seq"), data.get("hash")
    if data.get("type") != HEAD_TYPE or type(seq) is not int or seq < 1:
        raise ValueError("not an audit head file")
    if not isinstance(digest, str) or _HASH.fullmatch(digest) is None:
        raise ValueError("not an audit head file")
    return seq, digest
