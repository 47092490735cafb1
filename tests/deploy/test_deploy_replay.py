"""`make deploy` and `make destroy` replayed offline against moto's server
(issue 18): the checks, the first admin by `candor init`, the page build and
upload, `/console/` through the CloudFront Function's rewrite, signed
releases of the pages (issue 17), and teardown.

Only `cdk deploy` itself is left out: the test creates what the stack
would, under the names the stack gives them (infra/candor_infra/storage.py).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import posixpath
import re
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from candor import release as rel
from candor import verifypage
from tests.backends import FAKE_AWS_ENV, fake_aws_env, moto_server_url
from tests.support import release as admins

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "infra"))

import deploy  # noqa: E402
import deploy_checks as checks  # noqa: E402
import deploy_pages as pages  # noqa: E402
import deploy_teardown as teardown  # noqa: E402

REWRITE = ROOT / "infra" / "candor_infra" / "directory_index.js"
HEADERS = ROOT / "frontend" / "headers.json"
PASS = "operator passphrase for the replay"
# Runs the CloudFront Function as CloudFront does: a top-level `handler`,
# one viewer-request event per URI given, the results as JSON lines.
RUN_FUNCTION = """
const src = require("fs").readFileSync(process.argv[1], "utf8");
const handler = new Function(src + "\\nreturn handler;")();
for (const uri of process.argv.slice(2)) {
  const event = {version: "1.0", context: {eventType: "viewer-request"}, viewer: {ip: "192.0.2.1"},
                 request: {method: "GET", uri, querystring: {}, headers: {}, cookies: {}}};
  console.log(JSON.stringify(handler(event)));
}
"""
ASSET_REF = re.compile(r'(?:src|href)="((?:\.\./)*assets/[^"]+)"')


@pytest.fixture
def aws() -> Iterator[deploy.Aws]:
    import boto3

    with fake_aws_env():
        session = boto3.session.Session(region_name=FAKE_AWS_ENV["AWS_REGION"])
        yield deploy.Aws(session, moto_server_url())


def make_stack_resources(aws: deploy.Aws, stage: str) -> deploy.Outputs:
    """What `cdk deploy` would leave: the kept resources and the outputs."""
    from chalicelib.store.factory import create_aws_resources

    names = checks.fixed_names(stage)
    blob_bucket = names["blob_bucket"] + secrets.token_hex(6)
    pages_bucket = names["pages_bucket"] + "1a2b3c4d-" + secrets.token_hex(4)
    create_aws_resources(blob_bucket, names["table"], session=aws.session,
                         endpoint_url=aws.endpoint_url)
    s3 = aws.client("s3")
    s3.create_bucket(Bucket=pages_bucket)
    s3.put_bucket_versioning(Bucket=pages_bucket, VersioningConfiguration={"Status": "Enabled"})
    aws.client("kms").create_key(Description=f"Candor {stage}: S3 sealed blobs and DynamoDB")
    distribution = aws.client("cloudfront").create_distribution(DistributionConfig={
        "CallerReference": stage, "Comment": "Candor pages and API", "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{
            "Id": "pages", "DomainName": f"{pages_bucket}.s3.amazonaws.com",
            "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "pages", "ViewerProtocolPolicy": "https-only",
                                 "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"},
        "DefaultRootObject": "index.html"})["Distribution"]
    url = f"https://{distribution['DomainName']}"
    return deploy.Outputs(api_url=url, page_url=url + "/", pages_bucket=pages_bucket,
                          blob_bucket=blob_bucket, table=names["table"],
                          distribution_id=distribution["Id"])


def referenced_assets(html_key: str, html: str) -> set[str]:
    base = posixpath.dirname(html_key)
    return {posixpath.normpath(posixpath.join(base, ref)) for ref in ASSET_REF.findall(html)}


def watch_pages_consistent(aws: deploy.Aws, bucket: str) -> list[str]:
    """From now on, after every PutObject and DeleteObjects to ``bucket`` by
    a client of ``aws``, check that each page in the bucket finds every
    asset it names. Returns the list of keys put, filled in as they are."""
    reader = aws.client("s3")
    put: list[str] = []

    def remember(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["replay_params"] = dict(params)

    def check(context: dict[str, Any], **_: Any) -> None:
        params = context.get("replay_params", {})
        if params.get("Bucket") != bucket:
            return
        if "Key" in params:
            put.append(params["Key"])
        present = {item["Key"] for item in
                   reader.list_objects_v2(Bucket=bucket).get("Contents", [])}
        for key in (k for k in present if k.endswith(".html")):
            html = reader.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
            missing = referenced_assets(key, html) - present
            assert not missing, f"{key} was live while {sorted(missing)} were not"

    for operation in ("PutObject", "DeleteObjects"):
        aws.session.events.register(f"provide-client-params.s3.{operation}", remember)
        aws.session.events.register(f"after-call.s3.{operation}", check)
    return put


def run_rewrite(*uris: str) -> list[dict[str, Any]]:
    done = subprocess.run(["node", "-e", RUN_FUNCTION, str(REWRITE), *uris],
                          capture_output=True, text=True, timeout=60, check=True)
    return [json.loads(line) for line in done.stdout.splitlines()]


def serve(aws: deploy.Aws, bucket: str, uri: str) -> tuple[str, bytes]:
    """What CloudFront returns for ``uri``: the rewritten key's object from
    the pages bucket (DefaultRootObject covers "/" only)."""
    (answer,) = run_rewrite(uri)
    assert "uri" in answer, f"{uri} answered {answer} instead of a request"
    key = answer["uri"].lstrip("/") or "index.html"
    obj = aws.client("s3").get_object(Bucket=bucket, Key=key)
    return obj["ContentType"], obj["Body"].read()


def test_checks_stop_before_anything_changes(aws: deploy.Aws) -> None:
    assert checks.check_credentials(aws.client("sts")) == "123456789012"
    with pytest.raises(checks.DeployError, match="AWS_DEFAULT_REGION"):
        checks.check_region(None, None)
    with pytest.raises(checks.DeployError, match="pins region eu-central-1"):
        checks.check_region("us-east-1", "eu-central-1")
    ssm = aws.client("ssm")
    with contextlib.suppress(ssm.exceptions.ParameterNotFound):
        ssm.delete_parameter(Name=checks.BOOTSTRAP_PARAMETER)
    with pytest.raises(checks.DeployError) as missing:
        checks.check_bootstrap(ssm, "123456789012", "us-east-1")
    assert "bootstrap aws://123456789012/us-east-1" in missing.value.fix
    for version, ok in (("5", False), ("21", True)):
        ssm.put_parameter(Name=checks.BOOTSTRAP_PARAMETER, Value=version, Type="String",
                          Overwrite=True)
        if ok:
            assert checks.check_bootstrap(ssm, "123456789012", "us-east-1") == 21
        else:
            with pytest.raises(checks.DeployError, match="older than"):
                checks.check_bootstrap(ssm, "123456789012", "us-east-1")


def test_leftovers_of_a_failed_create_stop_the_next_one(aws: deploy.Aws) -> None:
    """Issue 18 item 1: kept resources with fixed names and no stack make
    `cdk deploy` fail with "already exists"; the check says so first."""
    stage = "r" + secrets.token_hex(4)
    names = checks.fixed_names(stage)
    s3, ddb, cfn = aws.client("s3"), aws.client("dynamodb"), aws.client("cloudformation")
    assert checks.existing_leftovers(s3, ddb, names) == []
    assert checks.check_stack_state(cfn, f"candor-{stage}", []) is False
    make_stack_resources(aws, stage)
    leftovers = checks.existing_leftovers(s3, ddb, names)
    assert len(leftovers) == 2
    with pytest.raises(checks.DeployError) as stopped:
        checks.check_stack_state(cfn, f"candor-{stage}", leftovers)
    assert f"make destroy STAGE={stage}" in stopped.value.fix


@pytest.mark.parametrize(("limit", "unreserved", "ours", "asked", "fits"), [
    (10, 10, 0, (0, 0, 0), True),        # a new account: no reservations fit it...
    (10, 10, 0, (0, 0, 1), False),       # ...not even housekeeping's 1
    (1000, 1000, 0, (50, 10, 1), True),
    (1000, 150, 0, (50, 10, 1), False),  # AWS keeps 100 unreserved
    (1000, 150, 61, (50, 10, 1), True),  # an update frees what the stack holds
])
def test_concurrency_quota_against_the_reservations(
        limit: int, unreserved: int, ours: int, asked: tuple[int, int, int], fits: bool) -> None:
    asking = dict(zip(checks.RESERVATIONS.values(), asked, strict=True))
    problem = checks.concurrency_problem(limit, unreserved, ours, asking)
    assert (problem is None) == fits
    if problem:
        assert "--quota-code L-B99A9384" in problem.fix
        assert "ReservedConcurrency=0" in problem.fix


@pytest.mark.slow  # the page build (node) and two CLI runs: about 15 s
def test_deploy_steps_replayed_then_torn_down(aws: deploy.Aws, tmp_path: Path) -> None:
    stage = "r" + secrets.token_hex(4)
    out = make_stack_resources(aws, stage)
    written = tmp_path / "outputs.json"
    written.write_text(json.dumps({f"candor-{stage}": {
        "ApiUrl": out.api_url, "PageUrl": out.page_url, "PagesBucketName": out.pages_bucket,
        "BlobBucketName": out.blob_bucket, "TableName": out.table,
        "DistributionId": out.distribution_id, "DistributionDomain": "x"}}))
    assert deploy.read_outputs(written, f"candor-{stage}") == out

    ddb = aws.client("dynamodb")
    assert not checks.has_team(ddb, out.table)
    key, manifest = tmp_path / "ada.candor-key", tmp_path / "manifest.json"
    env = {"AWS_ENDPOINT_URL": str(aws.endpoint_url), "CANDOR_PASSPHRASE": PASS}
    deploy.make_admin_key(key, "Ada Admin", env=env)
    deploy.first_admin(out, "us-east-1", key, manifest, env=env)
    assert checks.has_team(ddb, out.table) and key.is_file() and manifest.is_file()

    publish_over_an_old_deploy(aws, out, manifest, tmp_path / "site")
    console_served_through_the_rewrite(aws, out.pages_bucket, tmp_path / "site")
    releases_signed_uploaded_and_kept(aws, out, manifest, key, tmp_path)
    torn_down(aws, out, stage)


def publish_over_an_old_deploy(aws: deploy.Aws, out: deploy.Outputs, manifest: Path,
                               site: Path) -> None:
    """Upload over an older build: no page is ever live without its assets,
    content types and caching are right, the old assets go at the end."""
    s3 = aws.client("s3")
    s3.put_object(Bucket=out.pages_bucket, Key="assets/page-OLD.js", Body=b"old",
                  ContentType="text/javascript")
    s3.put_object(Bucket=out.pages_bucket, Key="index.html", ContentType="text/html",
                  Body=b'<script type="module" src="assets/page-OLD.js"></script>')
    put = watch_pages_consistent(aws, out.pages_bucket)
    uploaded = deploy.publish_pages(aws, out, manifest, site, HEADERS)
    assert put == uploaded
    built = {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()}
    assert set(uploaded) == built - {"headers.json"}
    live = {o["Key"] for o in s3.list_objects_v2(Bucket=out.pages_bucket)["Contents"]}
    assert live == set(uploaded)
    expected = {".html": "text/html", ".js": "text/javascript", ".css": "text/css",
                ".svg": "image/svg+xml", ".wasm": "application/wasm"}
    for key in uploaded:
        head = s3.head_object(Bucket=out.pages_bucket, Key=key)
        assert head["ContentType"].startswith(expected[posixpath.splitext(key)[1]]), key
        hashed = key.startswith("assets/")
        assert ("immutable" in head["CacheControl"]) == hashed, key
    invalidations = aws.client("cloudfront").list_invalidations(
        DistributionId=out.distribution_id)["InvalidationList"]
    assert invalidations["Quantity"] == 1


def console_served_through_the_rewrite(aws: deploy.Aws, bucket: str, site: Path) -> None:
    """Issue 18 item 4: S3 behind origin access control has no directory
    keys, so `/console/` works only through the function's rewrite."""
    with pytest.raises(aws.client("s3").exceptions.NoSuchKey):
        aws.client("s3").get_object(Bucket=bucket, Key="console/")
    for uri, file in (("/console/", "console/index.html"), ("/", "index.html"),
                      ("/followup.html", "followup.html")):
        content_type, body = serve(aws, bucket, uri)
        assert content_type.startswith("text/html") and body == (site / file).read_bytes(), uri
        for asset in referenced_assets(file, body.decode()):
            assert serve(aws, bucket, "/" + asset)[1] == (site / asset).read_bytes()
    (redirect,) = run_rewrite("/console")
    assert redirect["statusCode"] in (301, 302)
    assert redirect["headers"]["location"]["value"] == "/console/"


def releases_signed_uploaded_and_kept(aws: deploy.Aws, out: deploy.Outputs, manifest: Path,
                                      key: Path, work: Path) -> None:
    """Issue 17 in the cloud: the admins sign what `make pages --build-only`
    leaves, with the headers CloudFront serves; `--release` publishes and
    uploads it, release.json last; a changed build is not uploaded unsigned;
    release 2 keeps the chain, and verify-page's checks pass on the bucket."""
    s3, site, bucket = aws.client("s3"), work / "site", out.pages_bucket
    assert deploy.prepare_pages(aws, out, manifest, site, HEADERS) is None
    served = json.loads((site / "headers.json").read_text())
    connect = served["Content-Security-Policy"].split("connect-src", 1)[1].split(";")[0]
    assert f"https://{out.blob_bucket}.s3.us-east-1.amazonaws.com" in connect.split()
    assert served["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"
    assert admins.sign(work / "p1.json", site, manifest, key, PASS) == 0

    put = watch_pages_consistent(aws, bucket)
    deploy.publish_pages(aws, out, manifest, site, HEADERS, release=work / "p1.json")
    html = [i for i, k in enumerate(put) if k.endswith(".html")]
    assert put[-1] == "release.json" and max(html) < len(put) - 1 and "releases/1.json" in put
    head = s3.head_object(Bucket=bucket, Key="release.json")
    assert head["CacheControl"] == "no-cache" and head["ContentType"] == "application/json"
    first = json.loads(s3.get_object(Bucket=bucket, Key="release.json")["Body"].read())
    assert verified_version(aws, bucket, first, served, manifest) == 1

    changed = work / "headers-changed.json"  # e.g. an operator's new header
    changed.write_text(json.dumps({"headers": {**json.loads(HEADERS.read_text())["headers"],
                                               "X-Robots-Tag": "noindex"}}))
    before = bucket_state(s3, bucket)
    with pytest.raises(checks.DeployError, match="holds release 1, and this build differs"):
        deploy.publish_pages(aws, out, manifest, site, changed)
    assert bucket_state(s3, bucket) == before
    assert admins.sign(work / "p2.json", site, manifest, key, PASS) == 0
    deploy.publish_pages(aws, out, manifest, site, changed, release=work / "p2.json")
    second = json.loads(s3.get_object(Bucket=bucket, Key="release.json")["Body"].read())
    assert second["version"] == 2 and second["prev"] == rel.fingerprint(first)
    served = pages.served_headers(changed, out.blob_bucket, "us-east-1")
    assert verified_version(aws, bucket, first, served, manifest) == 2

    shutil.rmtree(site / "releases")  # a build without the chain never deletes it
    (site / "release.json").unlink()
    pages.upload_pages(s3, bucket, site)
    kept = {k for k in pages.bucket_keys(s3, bucket) if pages.is_release(k)}
    assert kept == {"release.json", "releases/1.json", "releases/2.json"}


def test_release_chain_kept_and_its_head_uploaded_last(aws: deploy.Aws, tmp_path: Path) -> None:
    """Without a page build: the order of an upload with a release, and a
    build without the chain deletes what it lacks but never the chain."""
    site = tmp_path / "site"
    for key in ("index.html", "assets/report-X.js", "releases/1.json", "release.json",
                "console/index.html", "headers.json", "favicon.svg"):
        (site / key).parent.mkdir(parents=True, exist_ok=True)
        (site / key).write_text("{}" if key.endswith(".json") else key)
    assert pages.upload_order(site) == ["assets/report-X.js", "favicon.svg", "releases/1.json",
                                        "console/index.html", "index.html", "release.json"]
    s3, bucket = aws.client("s3"), "candor-r-edgepages-" + secrets.token_hex(4)
    s3.create_bucket(Bucket=bucket)
    for key in ("releases/2.json", "assets/report-OLD.js"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"{}")
    (site / "releases" / "1.json").unlink()
    (site / "release.json").unlink()
    pages.upload_pages(s3, bucket, site)
    assert sorted(pages.bucket_keys(s3, bucket)) == [
        "assets/report-X.js", "console/index.html", "favicon.svg", "index.html",
        "releases/2.json"]
    assert pages.fetch_releases(s3, bucket, tmp_path / "fresh") is None  # no head yet
    assert (tmp_path / "fresh" / "releases" / "2.json").read_bytes() == b"{}"


def test_served_headers_match_the_response_headers_policy() -> None:
    """What CloudFront adds (infra/candor_infra/edge.py) with the deployed
    bucket's origins in place of CloudFormation's tokens."""
    served = pages.served_headers(HEADERS, "candor-prod-blobs-abc", "eu-central-1")
    connect = served["Content-Security-Policy"].split("connect-src", 1)[1].split(";")[0].split()
    assert connect == ["'self'", "https://candor-prod-blobs-abc.s3.eu-central-1.amazonaws.com",
                       "https://candor-prod-blobs-abc.s3.amazonaws.com"]
    assert served["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"
    source = json.loads(HEADERS.read_text())
    built = source["headers"]
    assert {k: v for k, v in served.items() if k not in built and k != "paths"} == {
        "Strict-Transport-Security": "max-age=63072000; includeSubDomains"}
    assert all(served[k] == v for k, v in built.items() if k != "Content-Security-Policy")
    # Each path's behaviour changes what the file says, and every CSP gets the origins.
    assert set(served["paths"]) == set(source["paths"])
    console = served["paths"]["console/*"]
    assert console == {"Permissions-Policy": source["paths"]["console/*"]["Permissions-Policy"]}
    worker = served["paths"]["assets/clean-*.js"]["Content-Security-Policy"]
    assert "'wasm-unsafe-eval'" in worker and "https://candor-prod-blobs-abc.s3" in worker
    cn = pages.served_headers(HEADERS, "b", "cn-north-1")["Content-Security-Policy"]
    assert "https://b.s3.cn-north-1.amazonaws.com.cn" in cn


def bucket_state(s3: Any, bucket: str) -> dict[str, str]:
    listed = s3.list_objects_v2(Bucket=bucket)["Contents"]
    return {item["Key"]: item["ETag"] for item in listed}


def verified_version(aws: deploy.Aws, bucket: str, anchor: dict[str, Any],
                     served: Mapping[str, Any], manifest: Path) -> int:
    """`candor verify-page`'s check of what CloudFront would serve from the
    bucket with ``served`` headers, and the API's one manifest."""
    listed = json.dumps({"manifests": [json.loads(manifest.read_text())]}).encode()

    def fetch(path: str) -> tuple[bytes, Mapping[str, str]]:
        if path == "v1/manifest":
            return listed, {}
        content_type, body = serve(aws, bucket, "/" + path)
        headers = rel.headers_for({k: v for k, v in served.items() if k != "paths"},
                                  served.get("paths", {}), path)
        return body, {**{k.lower(): v for k, v in headers.items()}, "content-type": content_type}

    today = datetime.now(UTC).date()
    result = verifypage.verify_site("https://cloud.invalid/", anchor, today=today, fetch=fetch)
    version: int = result.release["version"]
    return version


def torn_down(aws: deploy.Aws, out: deploy.Outputs, stage: str) -> None:
    """`make destroy` without a stack: versioned buckets emptied (versions
    and delete markers) and deleted, the protected table and the key gone."""
    s3, ddb, kms = aws.client("s3"), aws.client("dynamodb"), aws.client("kms")
    s3.put_object(Bucket=out.blob_bucket, Key="blobs/x", Body=b"sealed")
    s3.delete_object(Bucket=out.blob_bucket, Key="blobs/x")  # a delete marker
    ddb.update_table(TableName=out.table, DeletionProtectionEnabled=True)
    deploy.destroy(argparse.Namespace(stage=stage, yes=True, key_window_days=7), aws)
    names = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert not {out.blob_bucket, out.pages_bucket} & names
    with pytest.raises(ddb.exceptions.ResourceNotFoundException):
        ddb.describe_table(TableName=out.table)
    keys = [kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"] for k in kms.list_keys()["Keys"]]
    ours = [k for k in keys if k.get("Description", "").startswith(f"Candor {stage}:")]
    assert [k["KeyState"] for k in ours] == ["PendingDeletion"]


def test_outputs_and_kept_resources_read_from_the_stack(aws: deploy.Aws) -> None:
    """`make pages` and `make destroy` find names in the stack itself: its
    outputs, and the physical ids of what it keeps (the key by id); destroy
    then deletes the stack and everything it kept."""
    stage = "r" + secrets.token_hex(4)
    stack, table = f"candor-{stage}", f"candor-{stage}-index"
    blobs, pages = f"candor-{stage}-blobs-{secrets.token_hex(6)}", f"candor-{stage}-edgepages-x"
    outputs = {"ApiUrl": "https://d1.cloudfront.net", "PageUrl": "https://d1.cloudfront.net/",
               "PagesBucketName": pages, "BlobBucketName": blobs, "TableName": table,
               "DistributionId": "E1"}
    cfn = aws.client("cloudformation")
    with pytest.raises(checks.DeployError, match="no stack"):
        deploy.deployed_outputs(cfn, stack)
    cfn.create_stack(StackName=stack, TemplateBody=json.dumps(kept_template(outputs)))
    assert deploy.deployed_outputs(cfn, stack) == deploy.Outputs.from_mapping(outputs)
    kept = teardown.kept_by_stack(cfn, stack)
    assert sorted(kept.buckets) == sorted([blobs, pages]) and kept.table == table
    kms = aws.client("kms")
    assert kms.describe_key(KeyId=kept.key_id)["KeyMetadata"]["KeyId"] == kept.key_id
    assert checks.check_stack_state(cfn, stack, []) is True

    s3, ddb = aws.client("s3"), aws.client("dynamodb")
    for bucket in (blobs, pages):
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        for body in (b"one", b"two"):  # two versions, then a delete marker
            s3.put_object(Bucket=bucket, Key="k", Body=body)
        s3.delete_object(Bucket=bucket, Key="k")
    ddb.update_table(TableName=table, DeletionProtectionEnabled=True)
    deploy.destroy(argparse.Namespace(stage=stage, yes=True, key_window_days=30), aws)
    assert checks.describe_stack(cfn, stack) is None
    assert not {blobs, pages} & {b["Name"] for b in s3.list_buckets()["Buckets"]}
    with pytest.raises(ddb.exceptions.ResourceNotFoundException):
        ddb.describe_table(TableName=table)
    assert kms.describe_key(KeyId=kept.key_id)["KeyMetadata"]["KeyState"] == "PendingDeletion"


def kept_template(outputs: dict[str, str]) -> dict[str, Any]:
    """The kept part of the stack, kept as the real one is on delete."""
    retain = {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"}
    # A policy as a string: moto's KMS cannot read one given as an object.
    policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "kms:*", "Principal": {"AWS": "*"}, "Resource": "*"}]})
    return {"Resources": {
        "Key": {"Type": "AWS::KMS::Key", **retain, "Properties": {"KeyPolicy": policy}},
        "Blobs": {"Type": "AWS::S3::Bucket", **retain,
                  "Properties": {"BucketName": outputs["BlobBucketName"]}},
        "Pages": {"Type": "AWS::S3::Bucket", **retain,
                  "Properties": {"BucketName": outputs["PagesBucketName"]}},
        "Index": {"Type": "AWS::DynamoDB::Table", **retain, "Properties": {
            "TableName": outputs["TableName"], "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}}},
        "Outputs": {name: {"Value": value} for name, value in outputs.items()}}


def test_reservations_checked_are_the_ones_cdk_will_deploy() -> None:
    """A --parameter wins, then the deployed stack's value (cdk deploy keeps
    previous parameter values), then infra/cdk.json's."""
    from candor_infra.settings import stage_settings

    settings = stage_settings({"candor": {"reservedConcurrency": 50, "teamReservedConcurrency": 10,
                                          "housekeepingReservedConcurrency": 1}}, "prod")
    assert list(deploy.reservations(settings, {}, {}).values()) == [50, 10, 1]
    previous = {"ReservedConcurrency": "20", "ThrottleRate": "9"}
    assert list(deploy.reservations(settings, {}, previous).values()) == [20, 10, 1]
    now = {"ReservedConcurrency": "0", "HousekeepingReservedConcurrency": "0"}
    assert list(deploy.reservations(settings, now, previous).values()) == [0, 10, 0]


def test_an_update_counts_the_reservations_the_stack_holds(aws: deploy.Aws) -> None:
    """Only this stack's functions' reservations come back on an update."""
    import io
    import zipfile

    stage = "r" + secrets.token_hex(4)
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "sts:AssumeRole",
        "Principal": {"Service": "lambda.amazonaws.com"}}]}
    role = aws.client("iam").create_role(RoleName=f"candor-{stage}-role",
                                         AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return event\n")
    lam = aws.client("lambda")
    for name, reserved in ((f"candor-{stage}-api", 50), (f"candor-{stage}-team", 10),
                           (f"candor-{stage}x-api", 7), (f"other-{stage}", 5)):
        lam.create_function(FunctionName=name, Runtime="python3.13", Role=role,
                            Handler="app.handler", Code={"ZipFile": code.getvalue()})
        lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=reserved)
    assert checks.held_concurrency(lam, f"candor-{stage}-") == 60
