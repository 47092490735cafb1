"""One environment of Candor: storage, API, pages and CloudFront."""

from __future__ import annotations

import os
from typing import Any

import aws_cdk as cdk
from aws_cdk import CfnOutput, Environment, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from candor_infra.api import Api
from candor_infra.edge import Edge
from candor_infra.headers import load_page_headers
from candor_infra.settings import StageSettings, stage_settings
from candor_infra.storage import Storage, storage_origins


class CandorStack(Stack):
    """Everything one Candor deployment needs; resource names reach the app
    only through environment variables."""

    def __init__(self, scope: Construct, settings: StageSettings, **kwargs: Any) -> None:
        env = (
            Environment(account=settings.account, region=settings.region)
            if settings.region or settings.account
            else None
        )
        super().__init__(
            scope,
            settings.stack_name,
            env=env,
            description=f"Candor anonymous intake ({settings.stage})",
            **kwargs,
        )
        storage = Storage(self, "Storage", stage=settings.stage)
        topic = _notify_topic(self, settings.stage) if settings.notifications else None
        api = Api(self, settings, storage, topic.topic_arn if topic else None)
        page_headers = load_page_headers(
            settings.headers_file, storage_origins(storage.bucket_name)
        )
        edge = Edge(
            self,
            "Edge",
            stage=settings.stage,
            page_headers=page_headers,
            rest_api_id=api.rest_api_id,
            origin_key=api.origin_key.value,
            domain_name=settings.domain_name,
            certificate_arn=settings.certificate_arn,
        )
        # The pages' origin is also the API's public base URL (protocol §4.3):
        # CloudFront serves `/v1/*` at the root, so the base path is empty.
        page_origin = f"https://{settings.domain_name or edge.domain}"
        storage.allow_uploads_from(page_origin)
        api.set_public_base_url(page_origin)
        _outputs(self, page_origin, storage, edge, topic)


def _notify_topic(stack: Stack, stage: str) -> sns.Topic:
    """ "A new case arrived": the app publishes a count, never case data."""
    return sns.Topic(
        stack,
        "NotifyTopic",
        display_name=f"Candor {stage}: new cases",
        master_key=kms.Alias.from_alias_name(stack, "SnsKey", "alias/aws/sns"),
        enforce_ssl=True,
    )


def _outputs(
    stack: Stack, page_origin: str, storage: Storage, edge: Edge, topic: sns.Topic | None
) -> None:
    CfnOutput(
        stack,
        "ApiUrl",
        value=page_origin,
        description="Base URL for `candor --api` and key files (routes are /v1/...)",
    )
    CfnOutput(stack, "PageUrl", value=f"{page_origin}/", description="Reporter page")
    CfnOutput(stack, "BlobBucketName", value=storage.bucket.bucket_name)
    CfnOutput(stack, "TableName", value=storage.table.table_name)
    CfnOutput(stack, "DataKeyId", value=storage.key.key_id, description="KMS key of both")
    CfnOutput(stack, "PagesBucketName", value=edge.bucket.bucket_name)
    CfnOutput(stack, "DistributionId", value=edge.distribution.distribution_id)
    CfnOutput(
        stack,
        "DistributionDomain",
        value=edge.domain,
        description="Point domainName's DNS (alias/CNAME) here when one is set",
    )
    if topic:
        CfnOutput(stack, "NotifyTopicArn", value=topic.topic_arn)


def build_stacks(app: cdk.App) -> list[CandorStack]:
    """Add one stack per stage in context `stages` (default: prod) to `app`."""
    stages = app.node.try_get_context("stages") or ["prod"]
    if isinstance(stages, str):
        stages = [s for s in stages.split(",") if s]
    context = {
        key: app.node.try_get_context(key)
        for key in ["candor", *(f"candor:{stage}" for stage in stages)]
        if app.node.try_get_context(key) is not None
    }
    stacks = []
    for stage in stages:
        settings = stage_settings(context, stage)
        # `chalice package` asks botocore for a region only to name the
        # apigateway service principal; nothing reaches AWS.
        os.environ.setdefault("AWS_DEFAULT_REGION", settings.region or "us-east-1")
        stacks.append(CandorStack(app, settings))
    return stacks
