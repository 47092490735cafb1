"""The daily digest through moto's SNS (issue 12): a scripted week, and the
canary scan over what is sent."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from candor.client import ApiClient
from candor.reporter import follow_up, submit
from chalicelib.config import Digest, Settings
from chalicelib.domain import notify
from tests.api.test_anonymity import CanaryTransport, _canary_needles, _receipt_secrets
from tests.backends import fake_aws_env
from tests.support import digest_week
from tests.support.team import Api


@contextmanager
def sns_to_queue() -> Iterator[tuple[str, Any, str]]:
    """A moto SNS topic with an SQS queue subscribed: (topic, sqs, queue url)."""
    import boto3
    from moto import mock_aws

    with fake_aws_env(), mock_aws():
        sns, sqs = boto3.client("sns"), boto3.client("sqs")
        topic = sns.create_topic(Name="candor-digest")["TopicArn"]
        queue = sqs.create_queue(QueueName="team")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn["Attributes"]["QueueArn"])
        yield topic, sqs, queue


def drain(sqs: Any, queue: str) -> list[str]:
    """Every raw SNS envelope the queue holds."""
    bodies: list[str] = []
    while batch := sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages"):
        bodies += [m["Body"] for m in batch]
        for m in batch:
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"])
    return bodies


def test_a_week_of_digests_through_sns(local_api: Api) -> None:
    with sns_to_queue() as (topic, sqs, queue):
        week = digest_week.play(local_api, notify.sns_publisher(topic))
        envelopes = [json.loads(body) for body in drain(sqs, queue)]
    assert {e["Subject"] for e in envelopes} == {notify.SUBJECT}
    # SQS keeps no order: the same seven texts, in the order they were published.
    assert sorted(e["Message"] for e in envelopes) == sorted(week.texts)
    digest_week.check_sent(week, week.texts)


def test_what_is_sent_holds_no_identifier_receipt_or_content(local_api: Api) -> None:
    """The canary flow of tests/api/test_anonymity.py, then the digest: the
    whole SNS envelope holds no header value, address, receipt secret,
    case id, content or category."""
    api = local_api
    transport = CanaryTransport(api)
    anonymous = ApiClient(transport)
    form = {"category": digest_week.CATEGORY, "summary": digest_week.SECRET}
    sub = submit(anonymous, api.team.manifest, form, today=api.ctx.today())
    visit = follow_up(anonymous, sub.receipt, api.team.manifest)
    visit.send(f"{digest_week.SECRET}, again", today=api.ctx.today())
    hour = api.ctx.clock().hour
    with sns_to_queue() as (topic, sqs, queue):
        sent = notify.run(api.ctx, notify.sns_publisher(topic), Digest(hour=hour))
        [body] = drain(sqs, queue)
    assert sent is not None and (sent.new_reports, sent.awaiting_team) == (1, 1)
    needles = {**_canary_needles(), **_receipt_secrets("first", sub.receipt),
               **_receipt_secrets("second", visit.receipt), "visit": visit.visit}
    needles |= {"case id": api.store.query("cases")[0].sk.encode(),
                "content": digest_week.SECRET.encode(),
                "category": digest_week.CATEGORY.encode()}
    leaked = [name for name, needle in needles.items() if needle in body.encode()]
    assert leaked == []


def test_the_hourly_job_sends_the_digest_in_its_hour_only(
    local_api: Api, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """app.housekeeping, as Lambda runs it every hour: no topic, no digest;
    with one, the digest goes out in the set hour and only once."""
    from app import housekeeping
    from chalicelib.http import runtime

    tick = {"version": "0", "id": "1", "detail-type": "Scheduled Event",
            "source": "aws.events", "account": "111122223333", "region": "eu-central-1",
            "time": "2026-11-30T08:00:00Z", "detail": {}, "resources": []}
    submit(local_api.anonymous, local_api.team.manifest, {"summary": "s"},
           today=local_api.ctx.today())
    hour = local_api.ctx.clock().hour
    monkeypatch.setattr(runtime, "_ctx", local_api.ctx)
    monkeypatch.setattr(runtime, "_settings", Settings(digest=Digest(hour=hour)))
    assert housekeeping(tick, None) == {"purged": 0}
    with sns_to_queue() as (topic, sqs, queue):
        for digest_hour, sent in (((hour + 1) % 24, 0), (hour, 1), (hour, 0)):
            settings = Settings(notify_topic=topic, digest=Digest(hour=digest_hour))
            monkeypatch.setattr(runtime, "_settings", settings)
            assert housekeeping(tick, None) == {"purged": 0, "digest": sent}
        [body] = drain(sqs, queue)
    assert "New reports since the last digest: 1\n" in json.loads(body)["Message"]
