"""Case records, their index keys and the legal deadlines (protocol §4.2, §4.4).

The index layout (``pk`` / ``sk``):

- ``cases`` / ``<case id>``: the case record (one partition, so the team's
  inbox is one query; case ids are random, so its order reveals nothing)
- ``case#<case id>`` / ``blob#<blob id>``: a message or note of the case
- ``case#<case id>`` / ``state``: the receipt state (current ``token_id``,
  visit proof, ``sealed_identity``), apart from the record the team sees
- ``receipt#<token_id>`` / ``receipt``: a current or retired receipt; a
  retired one holds no case id (kept unlinked, protocol §3.3)
- ``attachment#<id>`` / ``attachment``: an announced upload, claimed or not
"""

from __future__ import annotations

import calendar
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from chalicelib.b64 import b64u_encode
from chalicelib.config import Limits
from chalicelib.errors import NotFound
from chalicelib.store.base import CaseStore, Item

Clock = Callable[[], datetime]

STATUSES = ("received", "acknowledged", "investigating", "closed")
RESOLUTIONS = ("substantiated", "unsubstantiated", "referred", "duplicate", "spam", "withdrawn")
TRANSITIONS = {
    "received": {"acknowledged", "investigating", "closed"},
    "acknowledged": {"investigating", "closed"},
    "investigating": {"closed"},
    "closed": {"investigating"},
}
CASES = "cases"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Context:
    """What every domain function needs: the store, the clock and the limits."""

    store: CaseStore
    clock: Clock = utc_now
    limits: Limits = field(default_factory=Limits)
    retention_days: int = 365

    def today(self) -> date:
        return self.clock().astimezone(UTC).date()

    def day(self) -> str:
        return self.today().isoformat()

    def epoch(self) -> int:
        return int(self.clock().timestamp())


def new_id(prefix: str) -> str:
    """``prefix`` + b64u of 16 random bytes (protocol §2.2, §4.2)."""
    return prefix + b64u_encode(secrets.token_bytes(16))


def case_key(case_id: str) -> tuple[str, str]:
    return CASES, case_id


def entries_pk(case_id: str) -> str:
    return f"case#{case_id}"


def state_key(case_id: str) -> tuple[str, str]:
    """The receipt state of a case: current ``token_id``, ``H(v)`` of the
    visit that rotated, ``sealed_identity``. Kept apart from the case record
    so team writes and listings never touch it."""
    return entries_pk(case_id), "state"


def receipt_key(token_id: str) -> tuple[str, str]:
    return f"receipt#{token_id}", "receipt"


def attachment_key(attachment_id: str) -> tuple[str, str]:
    return f"attachment#{attachment_id}", "attachment"


def load_case(ctx: Context, case_id: str) -> Item:
    """Raises NotFound."""
    item = ctx.store.get(*case_key(case_id))
    if item is None:
        raise NotFound()
    return item


# -- deadlines (protocol §4.4; EU Directive 2019/1937 art. 9) ---------------------
def add_months(day: date, months: int) -> date:
    """Calendar months later, clamped to the month's last day."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def deadlines(case: Mapping[str, Any], today: date) -> dict[str, Any]:
    """``acknowledge_by``, ``feedback_by`` and ``overdue`` of a case record."""
    ack_by = date.fromisoformat(case["received"]) + timedelta(days=7)
    start = date.fromisoformat(case["acknowledged"]) if case.get("acknowledged") else ack_by
    feedback_by = add_months(start, 3)
    overdue = (today > ack_by and not case.get("acknowledged")) or (
        today > feedback_by and not case.get("feedback") and case["status"] != "closed"
    )
    return {
        "acknowledge_by": ack_by.isoformat(),
        "feedback_by": feedback_by.isoformat(),
        "overdue": overdue,
    }
