"""Cases: the domain context, ids and the legal deadlines (protocol §4.2, §4.4).

Where each record lives is ``chalicelib.store.keys``; what it holds is
``chalicelib.domain.records``.
"""

from __future__ import annotations

import calendar
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from chalicelib import wire
from chalicelib.b64 import b64u_encode
from chalicelib.config import Limits
from chalicelib.domain.answers import Deadlines
from chalicelib.domain.records import CaseRecord
from chalicelib.errors import NotFound
from chalicelib.store import keys
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


def load_case(ctx: Context, case_id: str) -> Item[CaseRecord]:
    """Raises NotFound."""
    item = ctx.store.get(keys.case(case_id))
    if item is None:
        raise NotFound()
    return item


def visible_case(ctx: Context, member_id: str, case_id: str) -> Item[CaseRecord]:
    """The case if ``member_id`` is in its access list; a case the member
    may not see is 404 exactly like one that does not exist. Raises
    Malformed, NotFound."""
    wire.identifier(case_id, "c")
    case = load_case(ctx, case_id)
    if member_id not in case.data["access"]:
        raise NotFound()
    return case


# -- deadlines (protocol §4.4; EU Directive 2019/1937 art. 9) ---------------------
def add_months(day: date, months: int) -> date:
    """Calendar months later, clamped to the month's last day."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def deadlines(case: CaseRecord, today: date) -> Deadlines:
    """``acknowledge_by``, ``feedback_by`` and ``overdue`` of a case record.
    A drill (protocol §4.4, "Filing") is never overdue: its deadlines are
    the practice's, not the law's."""
    ack_by = date.fromisoformat(case["received"]) + timedelta(days=7)
    start = date.fromisoformat(case["acknowledged"]) if case["acknowledged"] else ack_by
    feedback_by = add_months(start, 3)
    overdue = not case.get("drill", False) and (
        (today > ack_by and not case["acknowledged"])
        or (today > feedback_by and not case["feedback"] and case["status"] != "closed")
    )
    return {
        "acknowledge_by": ack_by.isoformat(),
        "feedback_by": feedback_by.isoformat(),
        "overdue": overdue,
    }
