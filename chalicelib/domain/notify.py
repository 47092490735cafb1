"""The team's daily digest: counts at a fixed hour, nothing else (issue 12).

Once a day, at the hour the operator set (``chalicelib.config.Digest``), the
team is told how many reports arrived since the last digest, how many
reporter messages wait for an answer, how many acknowledgements and how
much feedback fall due soon or are overdue (protocol §4.4), and when the
team manifest expires (protocol §4.5). A fixed hour keeps a message's own
timestamp from saying when a report came in: whatever happened, the same
message goes out at the same time, zeros included. It names no case, no
category, no content and no time of day, only counts and the manifest's
public expiry date. Drills are left out of every count.

The scheduled job may run hourly or twice: the day of the last digest is
kept in the store and claimed with a conditional write before anything is
sent, so at most one run a day sends (a send that fails after the claim is
lost for that day rather than sent twice).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from chalicelib.config import Digest as Schedule
from chalicelib.domain import entries
from chalicelib.domain.cases import Context, deadlines
from chalicelib.domain.records import CaseRecord, DigestState
from chalicelib.domain.team_roster import current_manifest
from chalicelib.manifest_status import days_left, expired_line
from chalicelib.store import keys
from chalicelib.store.base import ABSENT, ConditionFailed

SUBJECT = "Candor: daily digest"
ACKNOWLEDGE_SOON_DAYS = 2
FEEDBACK_SOON_DAYS = 14
EXPIRY_WARN_DAYS = 14


@dataclass(frozen=True)
class Tally:
    """The digest's counts."""

    new_reports: int
    awaiting_team: int
    acknowledge_due: int
    feedback_due: int
    manifest_line: str


def due_day(ctx: Context, schedule: Schedule) -> str | None:
    """The day (in the schedule's zone) if the clock is in the digest's hour."""
    now = ctx.clock().astimezone(schedule.tz())
    return now.date().isoformat() if now.hour == schedule.hour else None


def new_reports(cases: list[CaseRecord], seen: Mapping[str, int]) -> int:
    """Cases not counted by the last digest. ``seen`` holds the counts per
    received day from the first day the last digest could not see whole;
    empty before any digest, when every case is new."""
    now = Counter(c["received"] for c in cases)
    if not seen:
        return sum(now.values())
    first = min(seen)
    return sum(max(0, n - seen.get(day, 0)) for day, n in now.items() if day >= first)


def _awaiting_team(ctx: Context, case: CaseRecord) -> bool:
    """The last message of the case came from the reporter."""
    if not case["messages"]:
        return False
    thread = entries.entries_of(ctx, case["id"], ["message"])
    return bool(thread) and thread[-1].data["from"] == "reporter"


def _manifest_line(ctx: Context, today: date) -> str:
    head = current_manifest(ctx)
    if head is None:
        return "Team manifest: none published yet."
    left = days_left(head, today)
    if left < 0:
        return f"Team manifest: {expired_line(head)}."
    if left <= EXPIRY_WARN_DAYS:
        return (f"Team manifest: expires in {left} day{'' if left == 1 else 's'} "
                f"({head['expires']}): an admin must renew it (candor manifest renew).")
    return f"Team manifest: valid until {head['expires']}."


def tally(ctx: Context, seen: Mapping[str, int]) -> tuple[Tally, dict[str, int]]:
    """The counts, and the per-day counts to remember for the next digest."""
    today = ctx.today()
    # Drills (protocol §4.4, "Filing") are practice: no alert counts them.
    cases = [c.data for c in ctx.store.query(keys.CASES) if not c.data.get("drill", False)]
    ack_soon = (today + timedelta(days=ACKNOWLEDGE_SOON_DAYS)).isoformat()
    feedback_soon = (today + timedelta(days=FEEDBACK_SOON_DAYS)).isoformat()
    acknowledge = feedback = awaiting = 0
    for case in cases:
        due = deadlines(case, today)
        acknowledge += not case["acknowledged"] and due["acknowledge_by"] <= ack_soon
        feedback += (not case["feedback"] and case["status"] != "closed"
                     and due["feedback_by"] <= feedback_soon)
        awaiting += _awaiting_team(ctx, case)
    counts = {today.isoformat(): sum(c["received"] == today.isoformat() for c in cases)}
    found = Tally(new_reports(cases, seen), awaiting, acknowledge, feedback,
                  _manifest_line(ctx, today))
    return found, counts


def message(found: Tally) -> str:
    return "\n".join([
        "Candor daily digest: counts only. Open the review console to read the cases.",
        "",
        f"New reports since the last digest: {found.new_reports}",
        f"Reporter messages waiting for an answer: {found.awaiting_team}",
        f"Acknowledgements due within {ACKNOWLEDGE_SOON_DAYS} days or overdue: "
        f"{found.acknowledge_due}",
        f"Feedback due within {FEEDBACK_SOON_DAYS} days or overdue: {found.feedback_due}",
        found.manifest_line,
    ]) + "\n"


def _seen_before(ctx: Context) -> dict[str, int]:
    """Before the first digest: what the hourly count it replaced had told."""
    old = ctx.store.get(keys.NOTIFY_STATE)
    return dict(old.data["counts"]) if old else {}


def run(ctx: Context, publish: Callable[[str, str], None], schedule: Schedule) -> Tally | None:
    """In the digest's hour, once a day: claim the day, then
    ``publish(subject, text)``. None when not due or already sent."""
    day = due_day(ctx, schedule)
    if day is None:
        return None
    state = ctx.store.get(keys.DIGEST_STATE)
    if state is not None and state.data["day"] >= day:
        return None
    found, counts = tally(ctx, state.data["counts"] if state else _seen_before(ctx))
    record: DigestState = {"day": day, "counts": counts}
    try:
        ctx.store.transact([keys.DIGEST_STATE.put(
            record, expect=state.version if state else ABSENT, name="digest")])
    except ConditionFailed:
        return None  # another run sends today's digest
    publish(SUBJECT, message(found))
    return found


def sns_publisher(topic_arn: str) -> Callable[[str, str], None]:
    """Publish to an SNS topic (boto3 loaded on first use)."""

    def publish(subject: str, text: str) -> None:
        import boto3

        boto3.client("sns").publish(TopicArn=topic_arn, Subject=subject, Message=text)

    return publish
