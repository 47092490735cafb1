""""New case" notifications that carry a count and nothing else (issue 7).

Once an hour the scheduled job counts the cases received today and
yesterday, compares with the counts it sent before and tells the team how
many are new. Batching by the hour keeps the message's own timestamp from
saying when a report came in more precisely than the team's inbox does; the
state it keeps is two counts, whatever the number of cases.

From `EXPIRY_WARN_DAYS` before the team manifest expires, the job also
warns once a day that an admin must renew it (protocol §4.5): the manifest
is public, so the warning tells nothing about reports.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from chalicelib.domain.cases import Context
from chalicelib.domain.records import NotifyState
from chalicelib.domain.team_roster import current_manifest
from chalicelib.manifest_status import days_left, expiry_warning
from chalicelib.store import keys
from chalicelib.store.base import ABSENT, ConditionFailed

SUBJECT = "Candor: new reports"
EXPIRY_SUBJECT = "Candor: renew the team manifest"
EXPIRY_WARN_DAYS = 14


def message(count: int) -> str:
    noun = "report has" if count == 1 else "reports have"
    return f"{count} new {noun} arrived. Open the review console to read them."


def _state(counts: dict[str, int], expiry_told: str | None) -> NotifyState:
    state: NotifyState = {"counts": counts}
    if expiry_told is not None:
        state["expiry_told"] = expiry_told
    return state


def new_cases(ctx: Context) -> int:
    """How many cases arrived since the last call; remembers the counts."""
    today = ctx.today()
    days = [(today - timedelta(days=n)).isoformat() for n in (1, 0)]
    counts = {day: 0 for day in days}
    for case in ctx.store.query(keys.CASES):
        if case.data["received"] in counts:
            counts[case.data["received"]] += 1
    state = ctx.store.get(keys.NOTIFY_STATE)
    sent = dict(state.data["counts"]) if state else {}
    try:
        ctx.store.transact([keys.NOTIFY_STATE.put(
            _state(counts, state.data.get("expiry_told") if state else None),
            expect=state.version if state else ABSENT, name="notify")])
    except ConditionFailed:
        return 0  # another run is counting these
    return sum(max(0, n - sent.get(day, 0)) for day, n in counts.items())


def expiry_notice(ctx: Context) -> str | None:
    """The day's warning that the manifest expires (or has expired), once a
    day from EXPIRY_WARN_DAYS before; None otherwise. Remembers the day."""
    head, today = current_manifest(ctx), ctx.today()
    if head is None or days_left(head, today) > EXPIRY_WARN_DAYS:
        return None
    state = ctx.store.get(keys.NOTIFY_STATE)
    if state is not None and state.data.get("expiry_told") == today.isoformat():
        return None
    told = _state(state.data["counts"] if state else {}, today.isoformat())
    try:
        ctx.store.transact([keys.NOTIFY_STATE.put(
            told, expect=state.version if state else ABSENT, name="notify")])
    except ConditionFailed:
        return None  # another run is telling the team
    return expiry_warning(head, today)


def run(ctx: Context, publish: Callable[[str, str], None]) -> int:
    """Count new cases and, if any, ``publish(subject, message)``; then the
    day's expiry warning, if due."""
    count = new_cases(ctx)
    if count:
        publish(SUBJECT, message(count))
    warning = expiry_notice(ctx)
    if warning:
        publish(EXPIRY_SUBJECT, warning)
    return count


def sns_publisher(topic_arn: str) -> Callable[[str, str], None]:
    """Publish to an SNS topic (boto3 loaded on first use)."""

    def publish(subject: str, text: str) -> None:
        import boto3

        boto3.client("sns").publish(TopicArn=topic_arn, Subject=subject, Message=text)

    return publish
