""""New case" notifications that carry a count and nothing else (issue 7).

Once an hour the scheduled job compares the cases still ``received`` with
the ones it saw last time and tells the team how many are new. Batching by
the hour keeps the message's own timestamp from saying when a report came in
more precisely than the team's inbox does.
"""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.domain.cases import CASES, Context
from chalicelib.store.base import ABSENT, ConditionFailed, Put

STATE = ("notify", "state")
SUBJECT = "Candor: new reports"


def message(count: int) -> str:
    noun = "report has" if count == 1 else "reports have"
    return f"{count} new {noun} arrived. Open the review console to read them."


def new_cases(ctx: Context) -> int:
    """How many cases became ``received`` since the last call; remembers them."""
    received = sorted(c.sk for c in ctx.store.query(CASES) if c.data["status"] == "received")
    state = ctx.store.get(*STATE)
    seen = set(state.data["seen"]) if state else set()
    try:
        ctx.store.transact([Put(*STATE, {"seen": received},
                                expect=state.version if state else ABSENT)])
    except ConditionFailed:
        return 0  # another run is counting these
    return len(set(received) - seen)


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
