"""Verifying the team's audit chain (protocol §4.6): the twin of the
browser's ``lib/audit.ts``.

A member checks every link, every recorded request's signature against the
member's current and old keys, and that the head they saw last time is still
in the chain. That head is kept in a small JSON file, the same file the
console saves and opens.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from candor import roster
from chalicelib.domain.audit import GENESIS, entry_hash
from chalicelib.httpsig import verify_recorded

if TYPE_CHECKING:
    from candor.teamops import Session

HEAD_TYPE = "candor/audit-head"
_HASH = re.compile(r"[A-Za-z0-9_-]{43}")  # b64u of a SHA-256 digest


@dataclass
class AuditResult:
    entries: int
    head: tuple[int, str]
    problems: list[str]
    day_time: str | None = field(default=None)


def verify_entries(
    entries: list[Mapping[str, Any]],
    manifest: Mapping[str, Any],
    remembered: tuple[int, str] | None = None,
) -> AuditResult:
    """Check one whole chain, as fetched, against the verified manifest."""
    problems: list[str] = []
    prev = GENESIS
    for index, entry in enumerate(entries, start=1):
        if entry["seq"] != index or entry["prev"] != prev:
            problems.append(f"entry {index}: the chain is broken")
        prev = entry_hash(entry)
        problems += _request_problem(manifest, entry)
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


def _request_problem(manifest: Mapping[str, Any], entry: Mapping[str, Any]) -> list[str]:
    member, record = entry.get("member"), entry.get("request")
    if member is None and record is None:
        return []  # a system action (retention purge)
    keys = roster.member_public_keys(manifest, member) if isinstance(member, str) else []
    if (not isinstance(member, str) or not keys or not isinstance(record, Mapping)
            or not verify_recorded(record, member, keys)):
        return [f"entry {entry['seq']}: the request signature does not verify"]
    return []


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
