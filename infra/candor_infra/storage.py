"""Sealed-blob bucket, index table and the key that encrypts both at rest.

Everything stored is already end-to-end encrypted (protocol §2); KMS adds an
operator-controlled layer and lets an admin make data unreadable by
scheduling the key's deletion.
"""

from __future__ import annotations

from aws_cdk import Aws, CfnCondition, CfnParameter, Duration, Fn, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from candor_infra.scanners import NO_ACCESS_LOGS, skip_checks

BLOB_PREFIX = "blobs/"
UPLOAD_PREFIX = "uploads/"
# Unclaimed attachments go after 24 h (protocol §4.2, §4.7). The app uploads them
# under blobs/ tagged unclaimed and retags them when a report claims them
# (chalicelib/store/aws.py); uploads/ is kept for a staging-prefix design.
UPLOAD_DAYS = 1
STATE_TAG = "candor-state"
UNCLAIMED = "unclaimed"
# A purge deletes every version itself (protocol §4.7); this only catches versions
# left behind by a delete without a version id. Same bound as PITR's 35 days.
NONCURRENT_DAYS = 35
# Headers the pages send with a presigned PUT (protocol §4.2 `upload.headers`):
# If-None-Match refuses a second write, x-amz-tagging marks it unclaimed.
UPLOAD_HEADERS = ["content-type", "if-none-match", "x-amz-tagging"]
# Kept when the stack is deleted or a change would replace them, but deleted
# when the stack's first create fails and rolls back, so that the next try
# does not find a fixed name taken (issue 18 item 1). Data exists only after a
# successful create, so only empty resources are ever deleted.
KEEP = RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE


class Storage(Construct):
    """KMS key, blob bucket and DynamoDB table of one environment."""

    def __init__(self, scope: Construct, cid: str, *, stage: str) -> None:
        super().__init__(scope, cid)
        self.key = kms.Key(
            self,
            "DataKey",
            description=f"Candor {stage}: S3 sealed blobs and DynamoDB index at rest",
            enable_key_rotation=True,
            # `.chalice/policy-prod.json` finds the key by this alias.
            alias=f"alias/candor-{stage}",
            removal_policy=KEEP,
        )
        # A name built from pseudo parameters, not a Ref, so the pages' CSP can
        # name the bucket without CloudFront depending on it: the bucket's
        # CORS depends on CloudFront's domain.
        self.bucket_name = blob_bucket_name(stage)
        self.bucket = s3.Bucket(
            self,
            "Blobs",
            bucket_name=self.bucket_name,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=True,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            removal_policy=KEEP,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="unclaimed-attachments",
                    prefix=BLOB_PREFIX,
                    tag_filters={STATE_TAG: UNCLAIMED},
                    expiration=Duration.days(UPLOAD_DAYS),
                    noncurrent_version_expiration=Duration.days(UPLOAD_DAYS),
                ),
                s3.LifecycleRule(
                    id="unclaimed-uploads",
                    prefix=UPLOAD_PREFIX,
                    expiration=Duration.days(UPLOAD_DAYS),
                    noncurrent_version_expiration=Duration.days(UPLOAD_DAYS),
                    abort_incomplete_multipart_upload_after=Duration.days(UPLOAD_DAYS),
                ),
                # No prefix or tag: also aborts attachments sent in parts
                # (protocol §4.2) whose upload was never completed, a day on.
                s3.LifecycleRule(
                    id="old-versions",
                    noncurrent_version_expiration=Duration.days(NONCURRENT_DAYS),
                    expired_object_delete_marker=True,
                    abort_incomplete_multipart_upload_after=Duration.days(UPLOAD_DAYS),
                ),
            ],
        )
        skip_checks(self.bucket, {"CKV_AWS_18": NO_ACCESS_LOGS})
        self.table = dynamodb.Table(
            self,
            "Index",
            table_name=f"candor-{stage}-index",
            partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="sk", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True,
                # protocol §4.7: backups keep purged index entries for at most 35 days.
                recovery_period_in_days=35,
            ),
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=self.key,
            time_to_live_attribute="ttl",
            removal_policy=KEEP,
        )
        _deletion_protection(Stack.of(self), self.table)

    def allow_uploads_from(self, page_origin: str) -> None:
        """CORS for presigned upload and download from the pages (protocol §4):
        that one origin, PUT and GET, nothing else."""
        self.bucket.add_cors_rule(
            allowed_methods=[s3.HttpMethods.PUT, s3.HttpMethods.GET],
            allowed_origins=[page_origin],
            allowed_headers=UPLOAD_HEADERS,
            max_age=600,
        )


def _deletion_protection(stack: Stack, table: dynamodb.Table) -> None:
    """Deletion protection from a parameter, off by default: CloudFormation
    cannot delete a protected table, so the rollback of a failed first create
    would fail and leave the name taken. Turn it on once the stack exists."""
    parameter = CfnParameter(
        stack,
        "TableDeletionProtection",
        type="String",
        allowed_values=["true", "false"],
        default="false",
        description="DynamoDB deletion protection of the index table; "
        "true after the first successful deploy",
    )
    on = CfnCondition(
        stack,
        "TableDeletionProtectionOn",
        expression=Fn.condition_equals(parameter.value_as_string, "true"),
    )
    table.node.default_child.add_property_override(  # type: ignore[union-attr]
        "DeletionProtectionEnabled", Fn.condition_if(on.logical_id, True, False)
    )


def blob_bucket_name(stage: str) -> str:
    """Globally unique without naming the account: the stack id's UUID is
    unique to this stack (and stable for its life); its first two groups
    (12 hex digits) are enough. At most 41 characters."""
    uuid = Fn.select(2, Fn.split("/", Aws.STACK_ID))
    groups = Fn.split("-", uuid)
    return f"candor-{stage}-blobs-{Fn.select(0, groups)}{Fn.select(1, groups)}"


def storage_origins(bucket_name: str) -> list[str]:
    """The origins a presigned URL for `bucket_name` can have (virtual-hosted
    style, regional and legacy global endpoint), for the pages' connect-src."""
    return [
        f"https://{bucket_name}.s3.{Aws.REGION}.{Aws.URL_SUFFIX}",
        f"https://{bucket_name}.s3.{Aws.URL_SUFFIX}",
    ]
