"""Playbooks: the twin of frontend/src/lib/playbook.ts.

The operator's ``frontend/playbooks.json`` lists, per questionnaire
category, steps with an owner by function and a time target in hours from
receipt. A tick is a note whose signed ``checklist`` field names the step
(protocol §2.2, "Checklist ticks"); of a case's verified notes in ``seq``
order, the last tick of a step decides its state.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from candor.teamops import CaseView

DEFAULT_PATH = Path(__file__).resolve().parents[1] / "frontend" / "playbooks.json"
_ID = re.compile(r"[a-z][a-z0-9_]{0,39}")
_AT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
_TICK_FIELDS = {"v", "playbook", "step", "done", "at"}


@dataclass(frozen=True)
class StepState:
    step: str
    owner: str
    text: str
    due: datetime
    done: bool
    by: str | None
    at: str | None
    overdue: bool
    late: bool


def load(path: Path = DEFAULT_PATH) -> dict[str, Any]:
    """The playbooks file as the build checked it (the build refuses a bad one)."""
    books: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if books.get("v") != 1 or not isinstance(books.get("playbooks"), dict):
        raise ValueError(f"{path}: not a v1 playbooks file")
    return books


def tick_of(doc: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The tick a note document carries, or None (tickOf in playbook.ts)."""
    t = (doc or {}).get("checklist")
    if not isinstance(t, dict) or set(t) != _TICK_FIELDS or t["v"] != 1:
        return None
    if not all(isinstance(t[k], str) and _ID.fullmatch(t[k]) for k in ("playbook", "step")):
        return None
    if not isinstance(t["done"], bool) or not isinstance(t["at"], str):
        return None
    if not _AT.fullmatch(t["at"]):
        return None
    try:
        _parse_at(t["at"])
    except ValueError:
        return None
    return t


def _parse_at(at: str) -> datetime:
    return datetime.strptime(at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def progress(books: Mapping[str, Any], category: str | None, received: str,
             notes: Iterable[tuple[int, Mapping[str, Any] | None, bool]],
             now: datetime | None = None) -> list[StepState]:
    """Each step's state; ``notes`` as (seq, document, verified). [] without a playbook."""
    steps = books["playbooks"].get(category or "")
    if not steps:
        return []
    now = now or datetime.now(UTC)
    start = datetime.fromisoformat(received).replace(tzinfo=UTC)
    last: dict[str, tuple[dict[str, Any], str | None]] = {}
    for _seq, doc, ok in sorted(notes, key=lambda n: n[0]):
        tick = tick_of(doc) if ok else None
        if tick and tick["playbook"] == category:
            last[tick["step"]] = (tick, (doc or {}).get("member"))
    states = []
    for step in steps:
        due = start + timedelta(hours=step["hours"])
        tick, member = last.get(step["id"], (None, None))
        done = bool(tick and tick["done"])
        at = tick["at"] if tick else None
        states.append(StepState(
            step=step["id"], owner=step["owner"], text=step["text"]["en"], due=due, done=done,
            by=member, at=at, overdue=not done and now > due,
            late=done and at is not None and _parse_at(at) > due,
        ))
    return states


def case_progress(view: CaseView, books: Mapping[str, Any],
                  now: datetime | None = None) -> list[StepState]:
    """The progress of a case read by teamops.read_case."""
    notes = [(int(n.meta["seq"]), n.doc, n.ok) for n in view.notes]
    category = view.report.get("form", {}).get("category")
    return progress(books, category, str(view.case["received"]), notes, now)


def lines(states: Iterable[StepState]) -> list[str]:
    """Plain lines for ``candor cases show``: one per step, then a total."""
    states = list(states)
    out = []
    for s in states:
        mark = "x" if s.done else " "
        when = "OVERDUE" if s.overdue else ("late" if s.late else "")
        who = f", by {s.by} at {s.at}" if s.by and s.at else ""
        out.append(f"  [{mark}] {s.text} ({s.owner}, due {s.due:%Y-%m-%d %H:%M} UTC{who})"
                   f"{' ' + when if when else ''}")
    done = sum(s.done for s in states)
    overdue = sum(s.overdue for s in states)
    out.append(f"  {done} of {len(states)} steps done, {overdue} overdue")
    return out
