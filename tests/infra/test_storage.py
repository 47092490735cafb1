"""Blob bucket, index table and KMS key: protocol §1, §4, §4.7 on the template."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from conftest import DOMAIN, Synth, resources

STAGES = ["prod", "alt"]


def _env(template: dict[str, Any]) -> dict[str, Any]:
    return template["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]


def blob_bucket(template: dict[str, Any]) -> dict[str, Any]:
    return template["Resources"][_env(template)["CANDOR_BUCKET"]["Ref"]]["Properties"]


def index_table(template: dict[str, Any]) -> dict[str, Any]:
    return template["Resources"][_env(template)["CANDOR_TABLE"]["Ref"]]["Properties"]


def data_key_id(template: dict[str, Any]) -> str:
    (lid,) = resources(template, "AWS::KMS::Key")
    return lid


@pytest.mark.parametrize("stage", STAGES)
def test_blob_bucket_is_encrypted_with_the_customer_key_and_bucket_keys(
    synth: Synth, stage: str
) -> None:
    template = synth.templates[stage]
    (rule,) = blob_bucket(template)["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["BucketKeyEnabled"] is True
    default = rule["ServerSideEncryptionByDefault"]
    assert default["SSEAlgorithm"] == "aws:kms"
    assert default["KMSMasterKeyID"] == {"Fn::GetAtt": [data_key_id(template), "Arn"]}


@pytest.mark.parametrize("stage", STAGES)
def test_key_rotates(synth: Synth, stage: str) -> None:
    template = synth.templates[stage]
    key = template["Resources"][data_key_id(template)]
    assert key["Properties"]["EnableKeyRotation"] is True


@pytest.mark.parametrize("stage", STAGES)
def test_stateful_resources_are_kept_unless_their_first_create_fails(
    synth: Synth, stage: str
) -> None:
    """Issue 18 item 1: the key, both buckets and the table survive a stack
    deletion or replacement, but a failed first create deletes them, so the
    retry does not find their names taken."""
    template = synth.templates[stage]
    stateful = {
        lid: r
        for lid, r in template["Resources"].items()
        if r["Type"] in ("AWS::KMS::Key", "AWS::S3::Bucket", "AWS::DynamoDB::Table")
    }
    assert sorted(r["Type"] for r in stateful.values()) == [
        "AWS::DynamoDB::Table", "AWS::KMS::Key", "AWS::S3::Bucket", "AWS::S3::Bucket"]
    for lid, resource in stateful.items():
        assert resource["DeletionPolicy"] == "RetainExceptOnCreate", lid
        assert resource["UpdateReplacePolicy"] == "Retain", lid


@pytest.mark.parametrize("stage", STAGES)
def test_table_deletion_protection_is_off_unless_the_parameter_turns_it_on(
    synth: Synth, stage: str
) -> None:
    """CloudFormation cannot delete a protected table, so protection on the
    first create would make its rollback fail and keep the name taken."""
    template = synth.templates[stage]
    parameter = template["Parameters"]["TableDeletionProtection"]
    assert (parameter["Default"], sorted(parameter["AllowedValues"])) == (
        "false", ["false", "true"])
    (condition,) = [
        name for name, expression in template["Conditions"].items()
        if expression == {"Fn::Equals": [{"Ref": "TableDeletionProtection"}, "true"]}]
    assert index_table(template)["DeletionProtectionEnabled"] == {
        "Fn::If": [condition, True, False]}


def evaluate(value: Any, refs: dict[str, str]) -> Any:
    """The few intrinsics a name is built from, evaluated as CloudFormation would."""
    if isinstance(value, dict) and len(value) == 1:
        ((name, args),) = value.items()
        if name == "Ref":
            return refs[args]
        if name == "Fn::Join":
            return args[0].join(evaluate(a, refs) for a in args[1])
        if name == "Fn::Split":
            return evaluate(args[1], refs).split(args[0])
        if name == "Fn::Select":
            return evaluate(args[1], refs)[int(args[0])]
    if isinstance(value, list):
        return [evaluate(v, refs) for v in value]
    assert isinstance(value, str), value
    return value


STACK_IDS = [
    "arn:aws:cloudformation:eu-central-1:111122223333:stack/candor-{stage}/"
    "1c2fa620-982a-11e3-aff7-50e2416294e0",
    "arn:aws:cloudformation:us-east-1:111122223333:stack/candor-{stage}/"
    "8f0e2b10-9c5d-11f0-8a3b-0a1b2c3d4e5f",
]
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")


@pytest.mark.parametrize("stage", STAGES)
def test_blob_bucket_name_is_unique_per_stack_without_the_account_id(
    synth: Synth, stage: str
) -> None:
    """Issue 18 item 11: a suffix from the stack's id, not the account id;
    the pages' connect-src names the same bucket (storage_origins)."""
    template = synth.templates[stage]
    name = blob_bucket(template)["BucketName"]
    assert "AWS::AccountId" not in json.dumps(name)
    names = []
    for stack_id in STACK_IDS:
        refs = {"AWS::StackId": stack_id.format(stage=stage), "AWS::Region": "eu-central-1",
                "AWS::URLSuffix": "amazonaws.com", "AWS::AccountId": "111122223333"}
        value = evaluate(name, refs)
        assert BUCKET_NAME.match(value) and "--" not in value, value
        assert value.startswith(f"candor-{stage}-blobs-")
        assert "111122223333" not in value
        names.append(value)
        policies = resources(template, "AWS::CloudFront::ResponseHeadersPolicy").values()
        csp = next(
            p["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]["ContentSecurityPolicy"]
            for p in policies
            if "connect-src" in json.dumps(p))["ContentSecurityPolicy"]
        connect = next(d for d in evaluate(csp, refs).split(";") if "connect-src" in d)
        assert f"https://{value}.s3.eu-central-1.amazonaws.com" in connect.split()
    assert names == [f"candor-{stage}-blobs-1c2fa620982a", f"candor-{stage}-blobs-8f0e2b109c5d"]


@pytest.mark.parametrize("stage", STAGES)
def test_every_bucket_blocks_public_access_enforces_ownership_and_versions(
    synth: Synth, stage: str
) -> None:
    buckets = resources(synth.templates[stage], "AWS::S3::Bucket")
    assert len(buckets) == 2  # blobs and pages
    for props in buckets.values():
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
        assert props["VersioningConfiguration"] == {"Status": "Enabled"}
        assert "BucketEncryption" in props


@pytest.mark.parametrize("stage", STAGES)
def test_no_bucket_has_server_access_logging(synth: Synth, stage: str) -> None:
    for props in resources(synth.templates[stage], "AWS::S3::Bucket").values():
        assert "LoggingConfiguration" not in props


@pytest.mark.parametrize("stage", STAGES)
def test_every_bucket_policy_refuses_plain_http_and_old_tls(synth: Synth, stage: str) -> None:
    template = synth.templates[stage]
    policies = resources(template, "AWS::S3::BucketPolicy")
    assert len(policies) == 2
    for props in policies.values():
        denies = [s for s in props["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
        assert {
            "Action": "s3:*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Resource": denies[0]["Resource"],
        } in denies
        assert any(s["Condition"] == {"NumericLessThan": {"s3:TlsVersion": 1.2}} for s in denies)


@pytest.mark.parametrize("stage", STAGES)
def test_lifecycle_expires_unclaimed_uploads_after_a_day_and_old_versions(
    synth: Synth, stage: str
) -> None:
    rules = {
        r["Id"]: r for r in blob_bucket(synth.templates[stage])["LifecycleConfiguration"]["Rules"]
    }
    tagged = rules["unclaimed-attachments"]
    assert tagged["Status"] == "Enabled"
    assert tagged["Prefix"] == "blobs/"
    assert tagged["TagFilters"] == [{"Key": "candor-state", "Value": "unclaimed"}]
    assert tagged["ExpirationInDays"] == 1
    assert tagged["NoncurrentVersionExpiration"] == {"NoncurrentDays": 1}
    staged = rules["unclaimed-uploads"]
    assert staged["Prefix"] == "uploads/"
    assert staged["ExpirationInDays"] == 1
    old = rules["old-versions"]
    assert old["NoncurrentVersionExpiration"]["NoncurrentDays"] <= 35
    assert old["ExpiredObjectDeleteMarker"] is True
    # Attachments sent in parts (protocol §4.2) but never completed go a day
    # on: the rule covers blobs/, where they are started (no prefix or tag,
    # which S3 does not allow with this action anyway).
    assert old["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    assert not {"Prefix", "TagFilters", "Filter"} & set(old)


def test_cors_allows_only_put_and_get_from_the_pages_origin(synth: Synth) -> None:
    template = synth.templates["prod"]
    (rule,) = blob_bucket(template)["CorsConfiguration"]["CorsRules"]
    assert sorted(rule["AllowedMethods"]) == ["GET", "PUT"]
    (distribution,) = resources(template, "AWS::CloudFront::Distribution")
    assert rule["AllowedOrigins"] == [
        {"Fn::Join": ["", ["https://", {"Fn::GetAtt": [distribution, "DomainName"]}]]}
    ]
    assert "*" not in rule["AllowedHeaders"]
    assert {"if-none-match", "x-amz-tagging"} <= set(rule["AllowedHeaders"])


def test_cors_origin_is_the_custom_domain_when_one_is_set(synth: Synth) -> None:
    (rule,) = blob_bucket(synth.templates["alt"])["CorsConfiguration"]["CorsRules"]
    assert rule["AllowedOrigins"] == [f"https://{DOMAIN}"]


@pytest.mark.parametrize("stage", STAGES)
def test_table_is_on_demand_with_pitr_sse_kms_and_ttl(synth: Synth, stage: str) -> None:
    template = synth.templates[stage]
    table = index_table(template)
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    # protocol §4.7: purged index entries survive in backups for at most 35 days.
    assert table["PointInTimeRecoverySpecification"].get("RecoveryPeriodInDays", 35) <= 35
    assert table["SSESpecification"] == {
        "KMSMasterKeyId": {"Fn::GetAtt": [data_key_id(template), "Arn"]},
        "SSEEnabled": True,
        "SSEType": "KMS",
    }
    assert table["TimeToLiveSpecification"] == {"AttributeName": "ttl", "Enabled": True}
    assert table["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert "GlobalSecondaryIndexes" not in table
    assert "StreamSpecification" not in table
