"""`make destroy` (infra/deploy.py): the stack, then what it keeps on purpose.

The stack keeps its data when it is deleted (a mistaken delete loses
nothing), so removing a deployment for good is four more steps: empty and
delete both versioned buckets (every version and delete marker: a plain
delete only adds markers), turn off the table's deletion protection and
delete it, and schedule the KMS key's deletion by key id (the alias is
gone with the stack).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from deploy_checks import DeployError, buckets_named, describe_stack

KEY_WINDOW_DAYS = 7  # KMS allows 7 to 30


@dataclass
class Kept:
    """What outlives the stack; a field is empty when there is none."""

    buckets: list[str] = field(default_factory=list)
    table: str = ""
    key_id: str = ""


def kept_by_stack(cfn: Any, stack: str) -> Kept:
    """The retained resources, from the stack's own resource list."""
    kept = Kept()
    if describe_stack(cfn, stack) is None:
        return kept
    for page in cfn.get_paginator("list_stack_resources").paginate(StackName=stack):
        for resource in page["StackResourceSummaries"]:
            kind, physical = resource["ResourceType"], resource.get("PhysicalResourceId", "")
            if kind == "AWS::S3::Bucket" and physical:
                kept.buckets.append(physical)
            elif kind == "AWS::DynamoDB::Table" and physical:
                kept.table = physical
            elif kind == "AWS::KMS::Key" and physical:
                kept.key_id = physical
    return kept


def kept_by_name(kms: Any, s3: Any, names: dict[str, str], stage: str) -> Kept:
    """Without a stack: the table by its name, the buckets by their names'
    prefixes, the key by its description (infra/candor_infra/storage.py)."""
    buckets = [b for prefix in (names["blob_bucket"], names["pages_bucket"])
               for b in buckets_named(s3, prefix)]
    kept = Kept(buckets=buckets, table=names["table"])
    prefix = f"Candor {stage}:"
    for page in kms.get_paginator("list_keys").paginate():
        for key in page["Keys"]:
            meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
            if meta.get("Description", "").startswith(prefix) and meta["KeyState"] == "Enabled":
                kept.key_id = meta["KeyId"]
    return kept


def delete_stack(cfn: Any, stack: str) -> None:
    """Delete the stack and wait (CloudFront takes minutes)."""
    if describe_stack(cfn, stack) is None:
        return
    cfn.delete_stack(StackName=stack)
    cfn.get_waiter("stack_delete_complete").wait(
        StackName=stack, WaiterConfig={"Delay": 15, "MaxAttempts": 240})


def empty_bucket(s3: Any, bucket: str) -> int:
    """Delete every object version and delete marker, then the bucket.
    Returns how many versions and markers went; 0 if it did not exist."""
    from botocore.exceptions import ClientError

    count = 0
    try:
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
            found = [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
            for start in range(0, len(found), 1000):
                batch = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                         for v in found[start:start + 1000]]
                answer = s3.delete_objects(Bucket=bucket,
                                           Delete={"Objects": batch, "Quiet": True})
                if answer.get("Errors"):
                    error = answer["Errors"][0]
                    raise DeployError(f"cannot delete {error['Key']} in {bucket}: "
                                      f"{error.get('Code')}", "check your s3 permissions")
                count += len(batch)
        s3.delete_bucket(Bucket=bucket)
    except ClientError as exc:
        if exc.response["Error"].get("Code") == "NoSuchBucket":
            return 0
        raise
    return count


def delete_table(ddb: Any, table: str) -> bool:
    """Turn off deletion protection and delete; False if there was none."""
    from botocore.exceptions import ClientError

    try:
        ddb.update_table(TableName=table, DeletionProtectionEnabled=False)
        ddb.get_waiter("table_exists").wait(TableName=table, WaiterConfig={"Delay": 2})
        ddb.delete_table(TableName=table)
    except ClientError as exc:
        if exc.response["Error"].get("Code") == "ResourceNotFoundException":
            return False
        raise
    return True


def schedule_key_deletion(kms: Any, key_id: str, days: int = KEY_WINDOW_DAYS) -> str:
    """Schedule the key's deletion; returns when it will be deleted. Once it
    is, every backup and leftover copy encrypted with it is unreadable."""
    meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    if meta["KeyState"] == "PendingDeletion":
        return str(meta.get("DeletionDate", "already scheduled"))
    answer = kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=days)
    return str(answer["DeletionDate"])
