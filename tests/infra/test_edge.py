"""CloudFront: pages over OAC, `/v1/*` to the API, strict headers, no logs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match
from conftest import CERTIFICATE, DOMAIN, REPO_ROOT, Synth, resources

STAGES = ["prod", "alt"]
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # AWS managed cache policy


def distribution(template: dict[str, Any]) -> dict[str, Any]:
    ((_, props),) = resources(template, "AWS::CloudFront::Distribution").items()
    return props["DistributionConfig"]  # type: ignore[no-any-return]


def api_behaviour(template: dict[str, Any]) -> dict[str, Any]:
    (behaviour,) = distribution(template)["CacheBehaviors"]
    assert behaviour["PathPattern"] == "/v1/*"
    return behaviour  # type: ignore[no-any-return]


def origin(template: dict[str, Any], origin_id: str) -> dict[str, Any]:
    (found,) = [o for o in distribution(template)["Origins"] if o["Id"] == origin_id]
    return found


def headers_policy(template: dict[str, Any], ref: dict[str, str]) -> dict[str, Any]:
    props = template["Resources"][ref["Ref"]]["Properties"]
    return props["ResponseHeadersPolicyConfig"]  # type: ignore[no-any-return]


def flat(value: Any) -> str:
    """A Fn::Join'ed string with its intrinsics written as JSON."""
    if isinstance(value, dict) and "Fn::Join" in value:
        sep, parts = value["Fn::Join"]
        return str(sep).join(flat(p) for p in parts)
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


@pytest.mark.parametrize("stage", STAGES)
def test_pages_come_from_the_bucket_through_origin_access_control(synth: Synth, stage: str) -> None:
    template = synth.templates[stage]
    default = distribution(template)["DefaultCacheBehavior"]
    pages = origin(template, default["TargetOriginId"])
    assert set(pages["OriginAccessControlId"]) == {"Fn::GetAtt"}
    assert pages["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    ((_, oac),) = resources(template, "AWS::CloudFront::OriginAccessControl").items()
    config = oac["OriginAccessControlConfig"]
    assert (config["OriginAccessControlOriginType"], config["SigningBehavior"]) == ("s3", "always")
    # Only CloudFront, only this distribution, only reads.
    policies = resources(template, "AWS::S3::BucketPolicy")
    allows = [
        s
        for p in policies.values()
        for s in p["PolicyDocument"]["Statement"]
        if s["Effect"] == "Allow"
    ]
    (allow,) = allows
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow["Action"] == "s3:GetObject"
    assert "AWS:SourceArn" in allow["Condition"]["StringEquals"]


@pytest.mark.parametrize("stage", STAGES)
def test_https_only_and_no_standard_logging(synth: Synth, stage: str) -> None:
    config = distribution(synth.templates[stage])
    behaviours = [config["DefaultCacheBehavior"], *config["CacheBehaviors"]]
    assert all(b["ViewerProtocolPolicy"] == "https-only" for b in behaviours)
    assert "Logging" not in config
    assert not any("RealtimeLogConfigArn" in b for b in behaviours)
    assert "WebACLId" not in config
    assert config["DefaultRootObject"] == "index.html"


def test_custom_domain_gets_its_certificate_and_modern_tls(synth: Synth) -> None:
    config = distribution(synth.templates["alt"])
    assert config["Aliases"] == [DOMAIN]
    assert config["ViewerCertificate"] == {
        "AcmCertificateArn": CERTIFICATE,
        "MinimumProtocolVersion": "TLSv1.2_2021",
        "SslSupportMethod": "sni-only",
    }


@pytest.mark.parametrize("stage", STAGES)
def test_api_behaviour_forwards_every_query_and_only_needed_headers_uncached(
    synth: Synth, stage: str
) -> None:
    template = synth.templates[stage]
    behaviour = api_behaviour(template)
    assert behaviour["CachePolicyId"] == CACHING_DISABLED
    assert set(behaviour["AllowedMethods"]) == {
        "GET",
        "HEAD",
        "OPTIONS",
        "PUT",
        "PATCH",
        "POST",
        "DELETE",
    }
    request = template["Resources"][behaviour["OriginRequestPolicyId"]["Ref"]]["Properties"]
    config = request["OriginRequestPolicyConfig"]
    assert config["QueryStringsConfig"] == {"QueryStringBehavior": "all"}
    assert config["CookiesConfig"] == {"CookieBehavior": "none"}
    headers = config["HeadersConfig"]
    assert headers["HeaderBehavior"] == "whitelist"
    assert set(headers["Headers"]) == {
        "Content-Type",
        "Content-Digest",
        "Signature-Input",
        "Signature",
    }
    api = origin(template, behaviour["TargetOriginId"])
    assert api["OriginPath"] == "/v1api"
    assert api["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert {"Ref": "RestAPI"} in api["DomainName"]["Fn::Join"][1]


@pytest.mark.parametrize("stage", STAGES)
def test_pages_carry_the_frontend_csp_plus_storage_origin_and_security_headers(
    synth: Synth, stage: str
) -> None:
    template = synth.templates[stage]
    policy = headers_policy(
        template, distribution(template)["DefaultCacheBehavior"]["ResponseHeadersPolicyId"]
    )
    security = policy["SecurityHeadersConfig"]
    csp = flat(security["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    raw = json.loads((REPO_ROOT / "frontend" / "headers.json").read_text(encoding="utf-8"))
    source = raw["headers"]["Content-Security-Policy"]
    for directive in source.split(";"):
        name = directive.split()[0]
        if name != "connect-src":
            assert directive.strip() in csp
    connect = next(d for d in csp.split(";") if d.split()[0] == "connect-src").split()
    assert connect[1] == "'self'"
    assert all(f"https://candor-{stage}-blobs-" in o for o in connect[2:])
    assert connect[2:]
    assert "frame-ancestors 'none'" in csp
    assert security["ContentSecurityPolicy"]["Override"] is True
    hsts = security["StrictTransportSecurity"]
    assert hsts["AccessControlMaxAgeSec"] >= 31_536_000
    assert hsts["Override"] is True
    assert security["ReferrerPolicy"] == {"ReferrerPolicy": "no-referrer", "Override": True}
    assert security["ContentTypeOptions"] == {"Override": True}
    assert security["FrameOptions"] == {"FrameOption": "DENY", "Override": True}
    custom = {h["Header"]: h["Value"] for h in policy["CustomHeadersConfig"]["Items"]}
    assert custom["Permissions-Policy"] == raw["headers"]["Permissions-Policy"]


@pytest.mark.parametrize("stage", STAGES)
def test_api_answers_are_never_framed_cached_or_sniffed(synth: Synth, stage: str) -> None:
    template = synth.templates[stage]
    policy = headers_policy(template, api_behaviour(template)["ResponseHeadersPolicyId"])
    security = policy["SecurityHeadersConfig"]
    assert security["ContentSecurityPolicy"]["ContentSecurityPolicy"] == (
        "default-src 'none'; frame-ancestors 'none'"
    )
    assert security["ReferrerPolicy"]["ReferrerPolicy"] == "no-referrer"
    assert security["ContentTypeOptions"] == {"Override": True}
    assert "StrictTransportSecurity" in security
    assert {"Header": "Cache-Control", "Value": "no-store", "Override": True} in policy[
        "CustomHeadersConfig"
    ]["Items"]


def test_assertions_module_agrees(synth: Synth) -> None:
    # The same properties through aws_cdk.assertions, which also refuses a
    # template with a dependency cycle (CloudFront <-> API <-> bucket CORS).
    template = synth.assertions["prod"]
    template.has_resource_properties(
        "AWS::CloudFront::Distribution",
        {"DistributionConfig": Match.object_like({"Logging": Match.absent()})},
    )
    template.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [Match.object_like({"BucketKeyEnabled": True})]
            },
            "LoggingConfiguration": Match.absent(),
        },
    )
    template.has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "BillingMode": "PAY_PER_REQUEST",
            "TimeToLiveSpecification": {"AttributeName": "ttl", "Enabled": True},
        },
    )
    template.resource_count_is("AWS::SNS::Topic", 0)
    synth.assertions["alt"].resource_count_is("AWS::SNS::Topic", 1)


@pytest.mark.parametrize("stage", STAGES)
def test_outputs_name_the_urls_bucket_and_table(synth: Synth, stage: str) -> None:
    outputs = synth.templates[stage]["Outputs"]
    assert {
        "ApiUrl",
        "PageUrl",
        "BlobBucketName",
        "TableName",
        "PagesBucketName",
        "DistributionId",
    } <= set(outputs)
    assert ("NotifyTopicArn" in outputs) == (stage == "alt")
    if stage == "alt":
        assert outputs["ApiUrl"]["Value"] == f"https://{DOMAIN}"


ADDRESS_OR_VIEWER = ("x-forwarded", "forwarded", "cloudfront-", "user-agent", "via",
                     "true-client-ip", "x-real-ip", "cookie", "referer", "origin",
                     "accept-language", "sec-ch-", "x-amz-cf-id", "x-amzn-trace-id")


def _kept_headers() -> set[str]:
    """The headers the Lambda handler passes on (chalicelib/anonymize.py),
    read without importing the app into the infra venv."""
    import ast

    tree = ast.parse((REPO_ROOT / "chalicelib" / "anonymize.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "KEPT_HEADERS":
            return set(ast.literal_eval(node.value.args[0]))  # type: ignore[attr-defined]
    raise AssertionError("KEPT_HEADERS not found")


@pytest.mark.parametrize("stage", STAGES)
def test_api_origin_gets_no_address_user_agent_or_viewer_header(
    synth: Synth, stage: str
) -> None:
    """Issue 13 finding 9: the origin request policy forwards none of them,
    and exactly the headers the handler keeps."""
    template = synth.templates[stage]
    behaviour = api_behaviour(template)
    request = template["Resources"][behaviour["OriginRequestPolicyId"]["Ref"]]["Properties"]
    headers = request["OriginRequestPolicyConfig"]["HeadersConfig"]
    assert headers["HeaderBehavior"] == "whitelist"  # never allViewer…
    forwarded = {h.lower() for h in headers["Headers"]}
    assert not [h for h in forwarded if h.startswith(ADDRESS_OR_VIEWER)]
    assert forwarded == _kept_headers()
