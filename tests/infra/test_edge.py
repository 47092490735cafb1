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


def behaviour(template: dict[str, Any], pattern: str) -> dict[str, Any]:
    (found,) = [b for b in distribution(template)["CacheBehaviors"] if b["PathPattern"] == pattern]
    return found  # type: ignore[no-any-return]


def api_behaviour(template: dict[str, Any]) -> dict[str, Any]:
    return behaviour(template, "/v1/*")


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
        "Candor-Proof",
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
        "DataKeyId",
    } <= set(outputs)
    # make destroy schedules the retained key's deletion by its id.
    (key,) = resources(synth.templates[stage], "AWS::KMS::Key")
    assert outputs["DataKeyId"]["Value"] == {"Ref": key}
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


DIRECTORY_INDEX = REPO_ROOT / "infra" / "candor_infra" / "directory_index.js"


@pytest.mark.parametrize("stage", STAGES)
def test_directory_paths_are_rewritten_by_a_viewer_request_function(
    synth: Synth, stage: str
) -> None:
    """Issue 18 item 4: `/console/` reaches S3 as `/console/index.html`;
    only the pages get the function, never the API."""
    template = synth.templates[stage]
    config = distribution(template)
    (association,) = config["DefaultCacheBehavior"]["FunctionAssociations"]
    assert association["EventType"] == "viewer-request"
    ((function_id, function),) = resources(template, "AWS::CloudFront::Function").items()
    assert association["FunctionARN"] == {"Fn::GetAtt": [function_id, "FunctionARN"]}
    assert function["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    assert function["AutoPublish"] is True
    assert function["FunctionCode"] == DIRECTORY_INDEX.read_text(encoding="utf-8")
    assert "FunctionAssociations" not in api_behaviour(template)


# (uri, query string as CloudFront passes it) -> the request's new uri, or
# the redirect's Location.
DIRECTORY_CASES = [
    ("/console/", {}, {"uri": "/console/index.html"}),
    ("/console", {}, {"location": "/console/"}),
    ("/", {}, {"uri": "/index.html"}),
    ("/followup.html", {}, {"uri": "/followup.html"}),
    ("/assets/x.js", {}, {"uri": "/assets/x.js"}),
    ("/console/", {"lang": {"value": "de"}}, {"uri": "/console/index.html"}),
    ("/console", {"lang": {"value": "de"}, "a": {"value": "1", "multiValue": [
        {"value": "1"}, {"value": "2%203"}]}}, {"location": "/console/?lang=de&a=1&a=2%203"}),
    # Never a scheme-relative Location (another host): no open redirect.
    ("//evil.example/x", {}, {"location": "/evil.example/x/"}),
    ("/\\evil.example/x", {}, {"location": "/evil.example/x/"}),
    ("/\\/\\evil", {}, {"location": "/evil/"}),
]
RUN_HANDLER = """
const source = require("fs").readFileSync(process.argv[1], "utf8");
const handler = new Function(source + "\\nreturn handler;")();
const cases = JSON.parse(process.argv[2]);
const out = cases.map(([uri, querystring]) => handler({
  version: "1.0", context: {eventType: "viewer-request"}, viewer: {ip: "192.0.2.1"},
  request: {method: "GET", uri, querystring, headers: {}, cookies: {}},
}));
process.stdout.write(JSON.stringify(out));
"""


def test_the_directory_function_rewrites_sample_paths_under_node() -> None:
    """The function's own code on CloudFront's event shape: directories get
    their index.html, a directory without its slash is redirected (relative
    URLs in console/index.html need the slash), files pass unchanged."""
    import subprocess

    cases = [[uri, query] for uri, query, _ in DIRECTORY_CASES]
    run = subprocess.run(
        ["node", "-e", RUN_HANDLER, str(DIRECTORY_INDEX), json.dumps(cases)],
        capture_output=True, text=True, check=True, timeout=60,
    )
    results = json.loads(run.stdout)
    for (uri, query, expected), result in zip(DIRECTORY_CASES, results, strict=True):
        if "uri" in expected:
            assert result["uri"] == expected["uri"], uri
            assert result["querystring"] == query and result["method"] == "GET"
        else:
            assert result["statusCode"] == 302, uri
            assert result["headers"] == {"location": {"value": expected["location"]}}


NAMED_KINDS = {
    "AWS::CloudFront::ResponseHeadersPolicy": ("ResponseHeadersPolicyConfig", "Name"),
    "AWS::CloudFront::OriginRequestPolicy": ("OriginRequestPolicyConfig", "Name"),
    "AWS::CloudFront::OriginAccessControl": ("OriginAccessControlConfig", "Name"),
    "AWS::CloudFront::Function": (None, "Name"),
}


@pytest.mark.parametrize("stage", STAGES)
def test_cloudfront_names_carry_stage_and_region(synth: Synth, stage: str) -> None:
    """Issue 18 item 11: CloudFront's names are account-wide; the same stage
    in two regions must not collide."""
    template = synth.templates[stage]
    names = []
    for kind, (config, key) in NAMED_KINDS.items():
        found = resources(template, kind)
        assert found, kind
        for props in found.values():
            name = flat((props[config] if config else props)[key])
            assert name.startswith(f'candor-{stage}-{{"Ref":"AWS::Region"}}-'), name
            names.append(name)
    paths = json.loads((REPO_ROOT / "frontend" / "headers.json").read_text())["paths"]
    # Pages, API, public API, one per path; request policy, access control, function.
    assert len(names) == len(set(names)) == 6 + len(paths)


@pytest.mark.parametrize("stage", STAGES)
def test_each_path_of_the_header_file_gets_its_own_behaviour_and_policy(
    synth: Synth, stage: str
) -> None:
    template = synth.templates[stage]
    config = distribution(template)
    raw = json.loads((REPO_ROOT / "frontend" / "headers.json").read_text(encoding="utf-8"))
    patterns = [b["PathPattern"] for b in config["CacheBehaviors"]]
    # CloudFront takes the first match: the API's two, then the longest pattern first.
    wanted = sorted(("/" + p for p in raw["paths"]), key=lambda p: (-len(p), p))
    assert patterns == ["/v1/manifest", "/v1/*", *wanted]
    default = config["DefaultCacheBehavior"]
    base = headers_policy(template, default["ResponseHeadersPolicyId"])
    console = behaviour(template, "/console/*")
    policy = headers_policy(template, console["ResponseHeadersPolicyId"])
    assert console["ResponseHeadersPolicyId"] != default["ResponseHeadersPolicyId"]
    for key in ("TargetOriginId", "FunctionAssociations", "CachePolicyId", "AllowedMethods"):
        assert console[key] == default[key]
    custom = {h["Header"]: h["Value"] for h in policy["CustomHeadersConfig"]["Items"]}
    assert custom["Permissions-Policy"] == raw["paths"]["console/*"]["Permissions-Policy"]
    assert "publickey-credentials-create=(self)" in custom["Permissions-Policy"]
    page = {h["Header"]: h["Value"] for h in base["CustomHeadersConfig"]["Items"]}
    assert "publickey-credentials-get=()" in page["Permissions-Policy"]
    # The rest of the console's set is the pages' own, storage origin included.
    assert {k: v for k, v in custom.items() if k != "Permissions-Policy"} == {
        k: v for k, v in page.items() if k != "Permissions-Policy"}
    assert policy["SecurityHeadersConfig"] == base["SecurityHeadersConfig"]


@pytest.mark.parametrize("stage", STAGES)
def test_public_files_and_the_manifest_list_answer_cors_and_the_rest_of_the_api_does_not(
    synth: Synth, stage: str
) -> None:
    template = synth.templates[stage]
    config = distribution(template)
    public = [config["DefaultCacheBehavior"], *config["CacheBehaviors"]]
    public = [b for b in public if b.get("PathPattern") != "/v1/*"]
    for found in public:
        cors = headers_policy(template, found["ResponseHeadersPolicyId"])["CorsConfig"]
        assert cors["AccessControlAllowOrigins"] == {"Items": ["*"]}
        assert cors["AccessControlAllowCredentials"] is False
        assert cors["AccessControlAllowMethods"] == {"Items": ["GET", "HEAD"]}
        if found.get("PathPattern") != "/v1/manifest":  # a verifier reads the signed headers
            assert cors["AccessControlExposeHeaders"] == {"Items": ["*"]}
        assert "Access-Control-Allow-Origin" not in {
            h["Header"]
            for h in headers_policy(template, found["ResponseHeadersPolicyId"])
            .get("CustomHeadersConfig", {"Items": []})["Items"]}
    manifest = behaviour(template, "/v1/manifest")
    assert manifest["TargetOriginId"] == api_behaviour(template)["TargetOriginId"]
    assert manifest["CachePolicyId"] == CACHING_DISABLED
    assert "CorsConfig" not in headers_policy(
        template, api_behaviour(template)["ResponseHeadersPolicyId"])
