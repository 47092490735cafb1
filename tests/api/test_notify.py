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
