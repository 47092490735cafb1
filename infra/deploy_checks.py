"""The checks `make deploy` runs before it changes anything (infra/deploy.py).

Each takes boto3 clients and raises DeployError with the command that
fixes it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

# The CDK's default bootstrap ("hnb659fds" is its fixed default qualifier).
BOOTSTRAP_PARAMETER = "/cdk-bootstrap/hnb659fds/version"
MIN_BOOTSTRAP_VERSION = 6
# Service Quotas' code for "Concurrent executions" of Lambda.
LAMBDA_QUOTA_CODE = "L-B99A9384"
# Reservation parameter -> the function it reserves for (0: none).
RESERVATIONS = {
    "ReservedConcurrency": "the API",
    "TeamReservedConcurrency": "the team routes",
    "HousekeepingReservedConcurrency": "housekeeping",
}
# chalicelib/store/keys.py MANIFEST_HEAD: present once `candor init` ran.
MANIFEST_HEAD = {"pk": {"S": "manifest-head"}, "sk": {"S": "head"}}


class DeployError(Exception):
    """A check failed or a step cannot go on; ``fix`` says what to run."""

    def __init__(self, problem: str, fix: str = "") -> None:
        super().__init__(problem)
        self.problem = problem
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.problem}\n  fix: {self.fix}" if self.fix else self.problem

def describe_stack(cfn: Any, stack: str) -> dict[str, Any] | None:
    """The stack's description, or None when there is no such stack."""
    from botocore.exceptions import ClientError

    try:
        stacks: list[dict[str, Any]] = cfn.describe_stacks(StackName=stack)["Stacks"]
    except ClientError as exc:
        if "does not exist" in str(exc):
            return None
        raise
    return stacks[0] if stacks else None


def check_credentials(sts: Any) -> str:
    """The account the credentials belong to."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        account: str = sts.get_caller_identity()["Account"]
    except (BotoCoreError, ClientError) as exc:
        raise DeployError(f"no usable AWS credentials ({exc})",
                          "aws configure  (or: aws sso login --profile NAME; "
                          "export AWS_PROFILE=NAME)") from None
    return account


def check_region(region: str | None, pinned: str | None) -> str:
    if not region:
        raise DeployError("no AWS region set", "export AWS_DEFAULT_REGION=eu-central-1  "
                                               "(or: aws configure set region eu-central-1)")
    if pinned and pinned != region:
        raise DeployError(f"infra/cdk.json pins region {pinned}, your AWS region is {region}",
                          f"export AWS_DEFAULT_REGION={pinned}")
    return region


def check_account(account: str, pinned: str | None) -> None:
    if pinned and pinned != account:
        raise DeployError(f"infra/cdk.json pins account {pinned}, your credentials are for "
                          f"{account}", "use the profile of the pinned account (AWS_PROFILE)")


def check_bootstrap(ssm: Any, account: str, region: str) -> int:
    """The CDK bootstrap version of this account and region."""
    from botocore.exceptions import ClientError

    fix = f"(cd infra && npx aws-cdk@2 bootstrap aws://{account}/{region})"
    try:
        value = ssm.get_parameter(Name=BOOTSTRAP_PARAMETER)["Parameter"]["Value"]
    except ClientError as exc:
        if exc.response["Error"].get("Code") == "ParameterNotFound":
            raise DeployError(f"the CDK is not bootstrapped in {account}/{region}", fix) from None
        raise
    if int(value) < MIN_BOOTSTRAP_VERSION:
        raise DeployError(f"CDK bootstrap version {value} is older than "
                          f"{MIN_BOOTSTRAP_VERSION}", fix)
    return int(value)


def concurrency_problem(limit: int, unreserved: int, ours: int,
                        asked: Mapping[str, int]) -> DeployError | None:
    """Whether the reservations ``asked`` fit the account. Lambda keeps
    min(100, quota) executions unreserved (so nothing fits a new account's
    10); ``ours`` is what this stack's functions already hold, freed on update."""
    keep = min(100, limit)
    room = unreserved + ours - keep
    total = sum(asked.values())
    if total <= room:
        return None
    listed = ", ".join(f"{name} {n}" for name, n in asked.items())
    zero = " ".join(f"--parameter {p}=0" for p in RESERVATIONS)
    return DeployError(
        f"Lambda concurrency: the stack reserves {total} ({listed}) but this account can "
        f"reserve {max(room, 0)} (quota {limit}, {unreserved} unreserved, AWS keeps {keep} free)",
        f"aws service-quotas request-service-quota-increase --service-code lambda "
        f"--quota-code {LAMBDA_QUOTA_CODE} --desired-value 1000   (or deploy without "
        f"reservations: make deploy ARGS='{zero}')")


def held_concurrency(lam: Any, prefix: str) -> int:
    """Reservations already held by the functions named ``prefix``*."""
    total = 0
    for page in lam.get_paginator("list_functions").paginate():
        for function in page["Functions"]:
            if function["FunctionName"].startswith(prefix):
                answer = lam.get_function_concurrency(FunctionName=function["FunctionName"])
                total += int(answer.get("ReservedConcurrentExecutions") or 0)
    return total


def check_concurrency(lam: Any, stack: str, asked: Mapping[str, int]) -> None:
    limits = lam.get_account_settings()["AccountLimit"]
    problem = concurrency_problem(int(limits["ConcurrentExecutions"]),
                                  int(limits["UnreservedConcurrentExecutions"]),
                                  held_concurrency(lam, stack + "-"), asked)
    if problem:
        raise problem


def check_stack_state(cfn: Any, stack: str, leftovers: Sequence[str]) -> bool:
    """Whether the stack exists and can be updated. ``leftovers`` are
    fixed-name resources found while no stack exists: a failed create of
    an older template kept them, and they block the next one."""
    found = describe_stack(cfn, stack)
    status = found["StackStatus"] if found else "ABSENT"
    if status.endswith("_IN_PROGRESS"):
        raise DeployError(f"stack {stack} is {status}", "wait for it to finish, then retry")
    if status in ("ROLLBACK_FAILED", "DELETE_FAILED"):
        raise DeployError(f"stack {stack} is {status}",
                          f"make destroy STAGE={stack.removeprefix('candor-')}, then make deploy")
    if status == "UPDATE_ROLLBACK_FAILED":
        raise DeployError(f"stack {stack} is {status}",
                          f"aws cloudformation continue-update-rollback --stack-name {stack}")
    if status in ("ABSENT", "ROLLBACK_COMPLETE") and leftovers:
        raise DeployError(
            f"{', '.join(leftovers)} exist without a stack (kept by an earlier failed "
            "create) and would make this one fail with 'already exists'",
            f"make destroy STAGE={stack.removeprefix('candor-')}  (deletes them and their "
            "contents), then make deploy again")
    return status not in ("ABSENT", "ROLLBACK_COMPLETE")


def existing_leftovers(s3: Any, ddb: Any, names: Mapping[str, str]) -> list[str]:
    """Which of the stack's kept resources exist (``fixed_names``)."""
    from botocore.exceptions import ClientError

    found = []
    try:
        ddb.describe_table(TableName=names["table"])
        found.append(f"table {names['table']}")
    except ClientError as exc:
        if exc.response["Error"].get("Code") != "ResourceNotFoundException":
            raise
    found += [f"bucket {b}" for b in buckets_named(s3, names["blob_bucket"])]
    return found


def fixed_names(stage: str) -> dict[str, str]:
    """The names (and name prefixes) of what the stack keeps: the table's is
    fixed, the buckets' end in a part made at create time
    (infra/candor_infra/storage.py, edge.py)."""
    return {"table": f"candor-{stage}-index", "blob_bucket": f"candor-{stage}-blobs-",
            "pages_bucket": f"candor-{stage}-edgepages"}


def buckets_named(s3: Any, prefix: str) -> list[str]:
    return [b["Name"] for b in s3.list_buckets().get("Buckets", [])
            if b["Name"].startswith(prefix)]


def has_team(ddb: Any, table: str) -> bool:
    """Whether `candor init` already ran against ``table``."""
    found = ddb.get_item(TableName=table, Key=MANIFEST_HEAD, ConsistentRead=True)
    return "Item" in found
