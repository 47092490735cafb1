"""What the fault tests check after a fault: through Candor's own clients,
the team sees only whole cases (every report, message, note and attachment
decrypts and verifies), the audit chain verifies, and every write a client
saw acknowledged is there."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from candor import audit, teamops
from candor.receipt import Receipt
from candor.reporter import follow_up


@dataclass
class Ledger:
    """The acknowledged writes a client saw: case summaries and message texts."""

    summaries: set[str] = field(default_factory=set)
    messages: set[str] = field(default_factory=set)
    receipts: list[Receipt] = field(default_factory=list)
    views: dict[str, teamops.CaseView] = field(default_factory=dict)  # read and whole


def case_ids(s: teamops.Session) -> list[str]:
    """The ids of every case the team can list."""
    ids: list[str] = []
    cursor = ""
    while True:
        page = s.get("/v1/team/cases", cursor=cursor)
        ids += [c["id"] for c in page["cases"]]
        cursor = page["cursor"] or ""
        if not cursor:
            return ids


def whole_case(s: teamops.Session, case_id: str) -> teamops.CaseView:
    """A listed case read in full. Fails on anything half there: a report,
    message, note or attachment that is missing, does not decrypt or does
    not verify."""
    view = teamops.read_case(s, case_id)
    assert view.warnings == [], view.warnings
    for shown in [*view.messages, *view.notes]:
        assert shown.ok, (case_id, shown.reason)
    for entry in _attachments(view):
        teamops.attachment(s, case_id, entry)  # downloads, checks the hash, decrypts
    return view


def _attachments(view: teamops.CaseView) -> Iterable[dict[str, Any]]:
    yield from view.report.get("attachments", [])
    for shown in view.messages + view.notes:
        yield from (shown.doc or {}).get("attachments", [])


def audit_verifies(s: teamops.Session) -> int:
    """The whole chain verifies; returns its length."""
    result = audit.verify_audit(s)
    assert result.problems == [], result.problems
    return result.entries


def check(
    s: teamops.Session, ledger: Ledger, stale: Iterable[str] = (), *, audit: bool = True
) -> None:
    """Whole cases, a verified chain, and every acknowledged write there.

    Cases read before are read again only when named in ``stale``, so that a
    long run does not read every case after every step."""
    listed = case_ids(s)
    ledger.views = {c: v for c, v in ledger.views.items() if c in listed}
    for case_id in listed:
        if case_id in stale or case_id not in ledger.views:
            ledger.views[case_id] = whole_case(s, case_id)
    if audit:
        audit_verifies(s)
    views = ledger.views.values()
    missing = ledger.summaries - {str(v.report["form"]["summary"]) for v in views}
    assert not missing, f"acknowledged reports lost: {sorted(missing)[:5]}"
    texts = {str(m.doc["text"]) for v in views for m in v.messages if m.doc}
    lost = ledger.messages - texts
    assert not lost, f"acknowledged messages lost: {sorted(lost)[:5]}"


def reporter_reads(api: Any, receipt: Receipt, manifest: dict[str, Any]) -> Receipt:
    """The reporter opens the case, rotates, and every message verifies;
    returns the new receipt."""
    visit = follow_up(api, receipt, manifest)
    assert all(ok for _, ok in visit.read_messages(manifest))
    return visit.receipt


def local_unswept(data_dir: Path) -> list[str]:
    """Files of a local data directory that the index does not refer to and
    that the sweep will not remove (run the sweep first): blobs nobody
    claims, and anything left in ``tmp/``."""
    referenced: set[str] = set()
    with sqlite3.connect(data_dir / "index.sqlite3") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        for (raw,) in db.execute("SELECT data FROM items"):
            referenced |= blob_references(json.loads(raw))
    blobs = {p.name for p in (data_dir / "blobs").iterdir()}
    left = [f"blobs/{name}: orphan" for name in sorted(blobs - referenced)]
    left += [f"blobs/{name}: referenced, missing" for name in sorted(referenced - blobs)]
    return left + [f"tmp/{p.name}: left over" for p in (data_dir / "tmp").iterdir()]


def blob_references(data: dict[str, Any]) -> set[str]:
    """Blob names one index record refers to: a case's report and its
    attachments, an entry's blob and attachments, what a purge marker lists."""
    out: set[str] = set()
    report = data.get("report")
    if isinstance(report, dict) and "id" in report:
        out.add(report["id"])
        out.update(a["id"] for a in report.get("attachments", []))
    if "blob" in data and "kind" in data:
        out.add(data["blob"])
        out.update(a["id"] for a in data.get("attachments", []))
    if "docs" in data and "attachments" in data:
        out.update(data["docs"])
        out.update(data["attachments"])
    return out
