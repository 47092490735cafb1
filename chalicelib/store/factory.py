"""Pick the storage backend named in the settings (protocol §4.2).

``create_aws_resources`` makes a bucket and table shaped like the ones the
infrastructure defines, for tests and development only: in the cloud the
CDK stack owns them and the Lambda never creates anything.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from chalicelib.store.base import CaseStore

if TYPE_CHECKING:
    import boto3


class StoreSettings(Protocol):
    """The part of ``chalicelib.config.Settings`` a store needs."""

    @property
    def backend(self) -> str: ...
    @property
    def data_dir(self) -> str | Path: ...
    @property
    def bucket(self) -> str: ...
    @property
    def table(self) -> str: ...


def open_store(settings: StoreSettings) -> CaseStore:
    """The configured store. Raises ValueError for an unknown backend."""
    # Imported here so that a local deployment never loads boto3 and a
    # Lambda never loads SQLite (cold start time).
    if settings.backend == "local":
        from chalicelib.store.local import LocalCaseStore

        return LocalCaseStore(settings.data_dir)
    if settings.backend == "aws":
        from chalicelib.store.aws import AwsCaseStore

        if not settings.bucket or not settings.table:
            raise ValueError("the aws backend needs a bucket and a table name")
        return AwsCaseStore(settings.bucket, settings.table)
    raise ValueError(f"unknown storage backend {settings.backend!r}")


def create_aws_resources(
    bucket: str,
    table: str,
    *,
    session: boto3.session.Session | None = None,
    endpoint_url: str | None = None,
    region: str | None = None,
) -> None:
    """Create a versioned bucket and a table with TTL on ``ttl``, as the
    infrastructure does (tests and development only; not idempotent)."""
    import boto3

    session = session or boto3.session.Session()
    s3 = session.client("s3", endpoint_url=endpoint_url, region_name=region)
    ddb = session.client("dynamodb", endpoint_url=endpoint_url, region_name=region)
    where = region or session.region_name or "us-east-1"
    if where == "us-east-1":
        s3.create_bucket(Bucket=bucket)
    else:
        s3.create_bucket(
            Bucket=bucket,
            CreateBucketConfiguration={"LocationConstraint": where},  # type: ignore[typeddict-item]
        )
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    ddb.create_table(
        TableName=table,
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.get_waiter("table_exists").wait(TableName=table, WaiterConfig={"Delay": 1})
    ddb.update_time_to_live(
        TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"}
    )
