"""candor/playbook.py and frontend/src/lib/playbook.ts agree: the same
notes give the same progress (done, who, when, due, overdue, late), the
same ticks are refused, and ``lines`` prints what ``candor cases show``
shows. Good ticks, unticks, forged notes and malformed checklist fields."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from candor import playbook

ROOT = Path(__file__).resolve().parents[1]
NOW = "2026-12-01T13:00:00Z"
RECEIVED = "2026-11-30"


def tick(step: str, done: bool, at: str, **extra: Any) -> dict[str, Any]:
    return {"v": 1, "playbook": "confidential_leak", "step": step, "done": done, "at": at, **extra}


def note(seq: int, step: str, done: bool, at: str, *, ok: bool = True, member: str = "m_a",
         **extra: Any) -> dict[str, Any]:
    doc = {"member": member, "checklist": tick(step, done, at, **extra)}
    return {"seq": seq, "ok": ok, "doc": doc}


NOTES: list[dict[str, Any]] = [
    note(1, "preserve_evidence", True, "2026-11-30T02:00:00Z"),
    note(3, "scope_leak", False, "2026-11-30T05:00:00Z", member="m_b"),
    note(2, "scope_leak", True, "2026-11-30T04:00:00Z"),
    note(4, "legal_hold", True, "2026-12-01T01:00:00Z"),
    note(5, "takedown", True, "2026-11-30T06:00:00Z", ok=False, member="m_x"),
    note(6, "holding_statement", True, "2026-11-30"),
    note(7, "notify_affected", True, "2026-11-30T06:00:00Z", x=1),
    note(8, "notify_affected", True, "2026-11-30T06:00:00Z", v=2),
    {"seq": 9, "ok": True, "doc": {"member": "m_a", "text": "an ordinary note"}},
]

JS = """
import { readFileSync } from "node:fs";
import { parsePlaybooks, progress } from "./frontend/src/lib/playbook.ts";
const input = JSON.parse(readFileSync(0, "utf8"));
const raw = JSON.parse(readFileSync("frontend/playbooks.json", "utf8"));
const q = JSON.parse(readFileSync("frontend/questionnaire.json", "utf8"));
const cats = q.fields.find((f) => f.key === "category").options.map((o) => o.value);
const books = parsePlaybooks(raw, ["en", "de"], cats);
const notes = input.notes.map((n) =>
  ({ meta: { seq: n.seq }, verdict: n.ok ? "ok" : "signature", doc: n.doc }));
const states = progress(books, "confidential_leak", input.received, notes, new Date(input.now));
console.log(JSON.stringify(states.map((s) => ({ step: s.step.id, due: s.due.toISOString(),
  done: s.done, by: s.by, at: s.at, overdue: s.overdue, late: s.late }))));
"""


def js_progress() -> list[dict[str, Any]]:
    result = subprocess.run(
        ["node", "--import", "tsx", "--input-type=module", "-e", JS],
        input=json.dumps({"notes": NOTES, "received": RECEIVED, "now": NOW}),
        cwd=ROOT, capture_output=True, text=True, check=True,
    )
    out: list[dict[str, Any]] = json.loads(result.stdout)
    return out


def test_python_and_browser_agree_on_progress() -> None:
    now = datetime.fromisoformat(NOW)
    notes = [(n["seq"], n["doc"], n["ok"]) for n in NOTES]
    states = playbook.progress(playbook.load(), "confidential_leak", RECEIVED, notes, now)
    py = [{"step": s.step, "due": s.due.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
           "done": s.done, "by": s.by, "at": s.at, "overdue": s.overdue, "late": s.late}
          for s in states]
    assert py == js_progress()
    by = {s.step: s for s in states}
    assert by["preserve_evidence"].done and not by["preserve_evidence"].late
    assert not by["scope_leak"].done and by["scope_leak"].by == "m_b" and by["scope_leak"].overdue
    assert by["legal_hold"].late
    assert not by["takedown"].done and by["takedown"].by is None
    assert not by["holding_statement"].done and not by["notify_affected"].done
    lines = playbook.lines(states)
    assert lines[-1] == "  2 of 6 steps done, 2 overdue"
    assert ("  [x] Put the case and related records under legal hold (legal, due 2026-12-01 "
            "00:00 UTC, by m_a at 2026-12-01T01:00:00Z) late") in lines
