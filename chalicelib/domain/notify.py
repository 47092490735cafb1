""""New case" notifications that carry a count and nothing else (issue 7).

Once an hour the scheduled job counts the cases received today and
yesterday, compares with the counts it sent before and tells the team how
many are new. Batching by the hour keeps the message's own timestamp from
saying when a report came in more precisely than the team's inbox does; the
state it keeps is two counts, whatever the number of cases.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from chalicelib.domain.cases import Context
from chalicelib.store import keys
from chalicelib.store.base import ABSENT, ConditionFailed

SUBJECT = "Candor: new reports"


def message(count: int) -> str:
    noun = "report has" if count == 1 else "reports have"
    return f"{count} new {noun} arrived. Open the review console to read them."


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
            {"counts": counts}, expect=state.version if state else ABSENT, name="notify")])
    except ConditionFailed:
        return 0  # another run is counting these
    return sum(max(0, n - sent.get(day, 0)) for day, n in counts.items())


def run(ctx: Context, publish: Callable[[str, str], None]) -> int:
    """Count new cases and, if any, ``publish(subject, message)``."""
    count = new_cases(ctx)
    if count:
        publish(SUBJECT, message(count))
    return count


def sns_publisher(topic_arn: str) -> Callable[[str, str], None]:
    """Publish to an SNS topic (boto3 loaded on first use)."""

    def publish(subject: str, text: str) -> None:
        import boto3

        boto3.client("sns").publish(TopicArn=topic_arn, Subject=subject, Message=text)

    return publish
