"""``candor cases export``: a decrypted case for legal counsel (protocol §6).

Never uses a document's file name as a path: attachments are written as
``attachments/NN.bin`` and their original names, types and hashes are
listed in ``attachments.json``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from candor import teamops
from candor.labels import plain_label


def _entries(items: list[teamops.Shown]) -> list[dict[str, Any]]:
    return [{"seq": s.meta["seq"], "day": s.meta["day"], "from": s.meta["from"],
             "member": s.meta.get("member"), "verified": s.ok, "problem": s.reason,
             "text": s.doc.get("text") if s.ok and s.doc else None,
             "attachments": (s.doc or {}).get("attachments", []) if s.ok else []}
            for s in items]


def case_json(view: teamops.CaseView) -> dict[str, Any]:
    """``candor cases show --json``: the case as stored, what the client found
    wrong with it, the decrypted report, and each message and note with its
    verdict (the shape docs/operations.md lists)."""
    case = {k: v for k, v in view.case.items() if k not in ("messages", "notes")}
    return {"case": case, "warnings": view.warnings, "report": view.report,
            "messages": _entries(view.messages), "notes": _entries(view.notes),
            "withheld_before": sorted(view.messages[i].meta["seq"] for i in view.gaps)}


def export_case(s: teamops.Session, case_id: str, target: Path) -> list[Path]:
    """Write report, thread, notes and attachments under ``target`` (created,
    must be empty). Returns the files written. Raises TeamError, OSError."""
    view = teamops.read_case(s, case_id)
    target.mkdir(parents=True, exist_ok=True)
    if any(target.iterdir()):
        raise teamops.TeamError(f"{target} is not empty")
    (target / "attachments").mkdir(mode=0o700)
    written: list[Path] = []

    def put(name: str, data: bytes) -> None:
        path = target / name
        path.write_bytes(data)
        path.chmod(0o600)
        written.append(path)

    case = {k: v for k, v in view.case.items() if k not in ("messages", "notes")}
    put("case.json", _json({"case": case, "warnings": view.warnings}))
    put("report.json", _json(view.report))
    put("thread.json", _json(_entries(view.messages)))
    put("notes.json", _json(_entries(view.notes)))
    listed = []
    sources = [view.report.get("attachments", [])]
    sources += [(m.doc or {}).get("attachments", []) for m in view.messages + view.notes if m.ok]
    for number, entry in enumerate((a for group in sources for a in group), start=1):
        data = teamops.attachment(s, case_id, entry)
        put(f"attachments/{number:02d}.bin", data)
        # `label` is the name as a reader should see it (protocol §6); `name`
        # stays as the reporter sent it, as evidence.
        listed.append({"file": f"attachments/{number:02d}.bin", **entry,
                       "label": plain_label(entry.get("name"))})
    put("attachments.json", _json(listed))
    return written


def _json(value: Any) -> bytes:
    return (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode()
