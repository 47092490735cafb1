"""Hourly "new reports" notifications: a count, nothing else."""

from __future__ import annotations

import json

from candor.reporter import submit
from chalicelib.domain import notify
from tests.backends import fake_aws_env
from tests.support.team import Api


def test_counts_each_new_case_once(api: Api) -> None:
    sent: list[tuple[str, str]] = []
    assert notify.run(api.ctx, lambda s, m: sent.append((s, m))) == 0
    for _ in range(2):
        submit(api.anonymous, api.team.manifest, {"summary": "secret words"})
    assert notify.run(api.ctx, lambda s, m: sent.append((s, m))) == 2
    assert notify.run(api.ctx, lambda s, m: sent.append((s, m))) == 0
    assert sent == [(notify.SUBJECT, "2 new reports have arrived. Open the review console "
                                     "to read them.")]


def test_publishes_to_sns_without_case_data(local_api: Api) -> None:
    import boto3
    from moto import mock_aws

    sub = submit(local_api.anonymous, local_api.team.manifest, {"summary": "secret words"})
    with fake_aws_env(), mock_aws():
        sns, sqs = boto3.client("sns"), boto3.client("sqs")
        topic = sns.create_topic(Name="candor-new")["TopicArn"]
        queue = sqs.create_queue(QueueName="inbox")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
        sns.subscribe(TopicArn=topic, Protocol="sqs",
                      Endpoint=arn["Attributes"]["QueueArn"])
        assert notify.run(local_api.ctx, notify.sns_publisher(topic)) == 1
        [received] = sqs.receive_message(QueueUrl=queue)["Messages"]
    body = json.loads(received["Body"])
    assert (body["Subject"], body["Message"]) == (notify.SUBJECT, notify.message(1))
    case_id = local_api.store.query("cases")[0].sk
    for secret in (case_id, "secret words", sub.receipt.token_id):
        assert secret not in received["Body"]


def test_warns_once_a_day_from_14_days_before_the_manifest_expires(api: Api) -> None:
    """The hourly job tells the team, once a day, to renew the manifest from
    EXPIRY_WARN_DAYS before it expires (issue 11), and keeps counting cases."""
    from datetime import date

    sent: list[tuple[str, str]] = []
    expires = date.fromisoformat(api.team.manifest["expires"])
    to_warning = (expires - api.ctx.today()).days - notify.EXPIRY_WARN_DAYS
    api.clock.advance((to_warning - 1) * 86400)
    assert notify.run(api.ctx, lambda s, m: sent.append((s, m))) == 0
    assert sent == []  # 15 days before: nothing yet
    api.clock.advance(86400)
    submit(api.anonymous, api.team.manifest, {"summary": "secret words"}, today=api.ctx.today())
    assert notify.run(api.ctx, lambda s, m: sent.append((s, m))) == 1
    assert notify.run(api.ctx, lambda s, m: sent.append((s, m))) == 0  # the same day: once
    assert [s for s, _ in sent] == [notify.SUBJECT, notify.EXPIRY_SUBJECT]
    assert "expires in 14 days" in sent[1][1] and "secret" not in sent[1][1]
    api.clock.advance(86400)
    notify.run(api.ctx, lambda s, m: sent.append((s, m)))
    assert sent[-1] == (notify.EXPIRY_SUBJECT, sent[-1][1]) and "in 13 days" in sent[-1][1]
