"""API Gateway stage, Lambda functions and the role: logging off, throttled,
least privilege (protocol §1, §4.1)."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import DOMAIN, Synth, resources

STAGES = ["prod", "alt"]
DATA_SERVICES = ("s3:", "dynamodb:", "kms:", "sns:", "sqs:", "secretsmanager:", "ssm:")
APP_ENV = {
    "CANDOR_BACKEND",
    "CANDOR_BUCKET",
    "CANDOR_TABLE",
    "CANDOR_PUBLIC_BASE_URL",
    "CANDOR_RETENTION_DAYS",
    "CANDOR_NOTIFY_TOPIC",
}
# Only the API function's, which checks client puzzles (test_puzzles.py).
PUZZLE_ENV = {"CANDOR_PUZZLE_SECRET", "CANDOR_PUZZLE_RATE", "CANDOR_PUZZLE_BURST"}
# Only the housekeeping's, which sends the daily digest (test_digest.py).
DIGEST_ENV = {"CANDOR_DIGEST_HOUR", "CANDOR_DIGEST_ZONE"}


def functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return resources(template, "AWS::Serverless::Function")


def rest_api(template: dict[str, Any]) -> dict[str, Any]:
    return template["Resources"]["RestAPI"]["Properties"]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize("stage", STAGES)
def test_stage_is_throttled_from_parameters_with_logging_and_tracing_off(
    synth: Synth, stage: str
) -> None:
    api = rest_api(synth.templates[stage])
    settings, *team = api["MethodSettings"]
    assert team  # the team's methods: test_team_routes_have_capacity_of_their_own
    assert settings["ResourcePath"] == "/*"
    assert settings["HttpMethod"] == "*"
    assert settings["ThrottlingRateLimit"] == {"Ref": "ThrottleRate"}
    assert settings["ThrottlingBurstLimit"] == {"Ref": "ThrottleBurst"}
    assert settings["LoggingLevel"] == "OFF"
    assert settings["DataTraceEnabled"] is False
    assert api["TracingEnabled"] is False
    assert "AccessLogSetting" not in api
    assert api["EndpointConfiguration"] == "REGIONAL"


def test_throttling_and_concurrency_defaults_come_from_context(synth: Synth) -> None:
    prod = synth.templates["prod"]["Parameters"]
    assert prod["ThrottleRate"]["Default"] == 20
    assert prod["ThrottleBurst"]["Default"] == 40
    assert prod["TeamThrottleRate"]["Default"] == 50
    assert prod["TeamThrottleBurst"]["Default"] == 100
    assert prod["ReporterThrottleRate"]["Default"] == 100
    assert prod["ReporterThrottleBurst"]["Default"] == 200
    alt = synth.templates["alt"]["Parameters"]
    assert (alt["ThrottleRate"]["Default"], alt["ThrottleBurst"]["Default"]) == (7, 9)
    assert alt["ReservedConcurrency"]["Default"] == 3
    assert alt["TeamReservedConcurrency"]["Default"] == 0
    assert alt["HousekeepingReservedConcurrency"]["Default"] == 1


RESERVATIONS = {"APIHandler": "ReservedConcurrency", "TeamHandler": "TeamReservedConcurrency",
                "Housekeeping": "HousekeepingReservedConcurrency"}
# A new account may run 10 functions at once, and Lambda keeps 10 of its
# quota unreserved: nothing may be reserved there.
NEW_ACCOUNT_QUOTA = 10
UNRESERVED_MINIMUM = 10


def reserved_with_defaults(template: dict[str, Any], props: dict[str, Any]) -> int:
    """The function's reservation when every parameter keeps its default."""
    value = props.get("ReservedConcurrentExecutions")
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    condition, if_true, if_false = value["Fn::If"]
    (left, right) = template["Conditions"][condition]["Fn::Equals"]
    default = template["Parameters"][left["Ref"]]["Default"]
    chosen = if_true if default == right else if_false
    if chosen == {"Ref": "AWS::NoValue"}:
        return 0
    return int(template["Parameters"][chosen["Ref"]]["Default"])


def test_a_fresh_deploy_reserves_nothing_so_a_new_account_can_take_it(synth: Synth) -> None:
    """Issue 18 item 2, on the default deployment (cdk.json's context)."""
    import json

    from conftest import REPO_ROOT

    # The stack from settings.py's defaults (conftest sets no `candor`
    # context) and cdk.json, which `cdk deploy` reads, agree on nothing reserved.
    context = json.loads((REPO_ROOT / "infra" / "cdk.json").read_text("utf-8"))["context"]
    for key in ("reservedConcurrency", "teamReservedConcurrency",
                "housekeepingReservedConcurrency"):
        assert context["candor"].get(key, 0) == 0, key
    template = synth.templates["prod"]
    total = sum(reserved_with_defaults(template, props)
                for props in functions(template).values())
    assert total <= NEW_ACCOUNT_QUOTA - UNRESERVED_MINIMUM
    # alt asks for 3 + 1 and gets exactly that.
    alt = synth.templates["alt"]
    assert sum(reserved_with_defaults(alt, props) for props in functions(alt).values()) == 4


@pytest.mark.parametrize("stage", STAGES)
def test_no_access_logs_or_xray_anywhere(synth: Synth, stage: str) -> None:
    template = synth.templates[stage]
    kinds = {r["Type"] for r in template["Resources"].values()}
    # The account-level CloudWatch role is what API Gateway execution and
    # access logs need; trails, WAF and real-time logs record addresses.
    assert not kinds & {
        "AWS::ApiGateway::Account",
        "AWS::ApiGateway::Stage",
        "AWS::CloudTrail::Trail",
        "AWS::WAFv2::WebACL",
        "AWS::WAFv2::LoggingConfiguration",
        "AWS::CloudFront::RealtimeLogConfig",
        "AWS::Logs::SubscriptionFilter",
        "AWS::XRay::Group",
        "AWS::XRay::SamplingRule",
    }
    for props in functions(template).values():
        assert props.get("Tracing") != "Active"
        assert "VpcConfig" not in props


@pytest.mark.parametrize("stage", STAGES)
def test_every_reservation_is_a_parameter_where_0_means_none(synth: Synth, stage: str) -> None:
    template = synth.templates[stage]
    fns = functions(template)
    assert set(fns) == set(RESERVATIONS)
    assert fns["Housekeeping"]["Events"]["HousekeepingEvent"]["Type"] == "Schedule"
    for lid, parameter in RESERVATIONS.items():
        # 0 means no reservation, never a function stopped by a reservation of 0.
        condition = f"{parameter}IsZero"
        assert fns[lid]["ReservedConcurrentExecutions"] == {
            "Fn::If": [condition, {"Ref": "AWS::NoValue"}, {"Ref": parameter}]}
        assert template["Conditions"][condition] == {"Fn::Equals": [{"Ref": parameter}, 0]}
        assert template["Parameters"][parameter]["MinValue"] == 0
        assert template["Parameters"][parameter]["Type"] == "Number"


@pytest.mark.parametrize("stage", STAGES)
def test_functions_use_the_candor_role_and_name_resources_in_the_environment(
    synth: Synth, stage: str
) -> None:
    template = synth.templates[stage]
    (role,) = resources(template, "AWS::IAM::Role")
    (distribution,) = resources(template, "AWS::CloudFront::Distribution")
    for props in functions(template).values():
        assert props["Role"] == {"Fn::GetAtt": [role, "Arn"]}
        env = props["Environment"]["Variables"]
        # Names and numbers only, and the API function's puzzle key, which
        # travels as a dynamic reference (test_puzzles.py).
        assert set(env) <= APP_ENV | PUZZLE_ENV | DIGEST_ENV
        assert env["CANDOR_BACKEND"] == "aws"
        assert set(env["CANDOR_BUCKET"]) == {"Ref"}
        assert set(env["CANDOR_TABLE"]) == {"Ref"}
        if stage == "prod":
            assert env["CANDOR_PUBLIC_BASE_URL"] == {
                "Fn::Join": ["", ["https://", {"Fn::GetAtt": [distribution, "DomainName"]}]]
            }
            assert env["CANDOR_RETENTION_DAYS"] == "365"
            assert "CANDOR_NOTIFY_TOPIC" not in env
        else:
            assert env["CANDOR_PUBLIC_BASE_URL"] == f"https://{DOMAIN}"
            assert env["CANDOR_RETENTION_DAYS"] == "30"
            (topic,) = resources(template, "AWS::SNS::Topic")
            assert env["CANDOR_NOTIFY_TOPIC"] == {"Ref": topic}


def test_the_api_routes_invoke_the_handler_by_name_not_by_reference(synth: Synth) -> None:
    api = rest_api(synth.templates["prod"])
    uris = [
        op["x-amazon-apigateway-integration"]["uri"]["Fn::Sub"]
        for path in api["DefinitionBody"]["paths"].values()
        for op in path.values()
        if isinstance(op, dict) and "x-amazon-apigateway-integration" in op
    ]
    assert len(uris) > 5
    assert all(uri.endswith((":function:candor-prod-api/invocations",
                             ":function:candor-prod-team/invocations")) for uri in uris)
    fns = functions(synth.templates["prod"])
    assert fns["APIHandler"]["FunctionName"] == "candor-prod-api"
    assert fns["TeamHandler"]["FunctionName"] == "candor-prod-team"


@pytest.mark.parametrize("stage", STAGES)
def test_team_routes_have_capacity_of_their_own(synth: Synth, stage: str) -> None:
    """Issue 13 finding 8: team routes run in their own function, with its own
    reserved concurrency, and have their own throttling limits per method."""
    template = synth.templates[stage]
    fns = functions(template)
    same = ("CodeUri", "Handler", "Runtime", "Role", "MemorySize", "Timeout")
    assert {k: fns["TeamHandler"].get(k) for k in same} == {
        k: fns["APIHandler"].get(k) for k in same}
    api_env = fns["APIHandler"]["Environment"]["Variables"]
    assert fns["TeamHandler"]["Environment"]["Variables"] == {
        k: v for k, v in api_env.items() if k not in PUZZLE_ENV}
    permissions = resources(template, "AWS::Lambda::Permission")
    assert {"FunctionName": {"Ref": "TeamHandler"}, "Action": "lambda:InvokeFunction",
            "Principal": "apigateway.amazonaws.com"}.items() <= next(
        p for p in permissions.values() if p["FunctionName"] == {"Ref": "TeamHandler"}).items()
    api = rest_api(template)
    routed: dict[str, set[str]] = {}
    team_methods = set()
    for path, operations in api["DefinitionBody"]["paths"].items():
        for method, op in operations.items():
            if not isinstance(op, dict) or "x-amazon-apigateway-integration" not in op:
                continue
            uri = op["x-amazon-apigateway-integration"]["uri"]["Fn::Sub"]
            handler = uri.rsplit(":function:", 1)[1].split("/")[0].rsplit("-", 1)[1]
            routed.setdefault(handler, set()).add(path)
            if path.startswith("/v1/team/"):
                team_methods.add(("/" + path.replace("/", "~1"), method.upper()))
    assert routed["team"] == {p for p in api["DefinitionBody"]["paths"]
                              if p.startswith("/v1/team/")}
    assert routed["api"] and not any(p.startswith("/v1/team/") for p in routed["api"])
    team = [s for s in api["MethodSettings"] if s["ResourcePath"].startswith("/~1v1~1team~1")]
    assert {(s["ResourcePath"], s["HttpMethod"]) for s in team} == team_methods
    for setting in team:
        assert setting["ThrottlingRateLimit"] == {"Ref": "TeamThrottleRate"}
        assert setting["ThrottlingBurstLimit"] == {"Ref": "TeamThrottleBurst"}
        assert (setting["LoggingLevel"], setting["DataTraceEnabled"]) == ("OFF", False)


@pytest.mark.parametrize("stage", STAGES)
def test_no_managed_policies_and_no_wildcard_resource_on_data_actions(
    synth: Synth, stage: str
) -> None:
    template = synth.templates[stage]
    statements = []
    for props in resources(template, "AWS::IAM::Role").values():
        assert not props.get("ManagedPolicyArns")
        for policy in props.get("Policies", []):
            statements += policy["PolicyDocument"]["Statement"]
    for props in resources(template, "AWS::IAM::Policy").values():
        statements += props["PolicyDocument"]["Statement"]
    assert statements
    for statement in statements:
        assert statement["Effect"] == "Allow"
        actions = as_list(statement["Action"])
        assert all("*" not in action for action in actions), actions
        if any(action.startswith(DATA_SERVICES) for action in actions):
            for resource in as_list(statement["Resource"]):
                assert resource != "*", statement
                assert not (isinstance(resource, str) and resource.endswith(":*")), statement


def _role_statements(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    ((_, role),) = resources(template, "AWS::IAM::Role").items()
    (policy,) = role["Policies"]
    return {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}


@pytest.mark.parametrize("stage", STAGES)
def test_role_reaches_only_the_bucket_prefixes_the_table_and_the_key(
    synth: Synth, stage: str
) -> None:
    template = synth.templates[stage]
    statements = _role_statements(template)
    bucket = template["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"][
        "CANDOR_BUCKET"
    ]["Ref"]
    arn = {"Fn::GetAtt": [bucket, "Arn"]}
    objects = statements["BlobObjects"]
    assert set(objects["Action"]) == {
        "s3:GetObject",
        "s3:PutObject",
        "s3:PutObjectTagging",
        "s3:ListMultipartUploadParts",
        "s3:DeleteObject",
        "s3:DeleteObjectVersion",
    }
    assert objects["Resource"] == [
        {"Fn::Join": ["", [arn, "/blobs/*"]]},
        {"Fn::Join": ["", [arn, "/uploads/*"]]},
    ]
    assert statements["BlobVersions"]["Resource"] == arn
    assert statements["BlobVersions"]["Condition"] == {
        "StringLike": {"s3:prefix": ["blobs/*", "uploads/*"]}
    }
    table = template["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"][
        "CANDOR_TABLE"
    ]["Ref"]
    assert statements["Index"]["Resource"] == {"Fn::GetAtt": [table, "Arn"]}
    assert "dynamodb:Scan" not in statements["Index"]["Action"]
    (key,) = resources(template, "AWS::KMS::Key")
    assert statements["DataKey"]["Resource"] == {"Fn::GetAtt": [key, "Arn"]}
    assert "kms:ViaService" in statements["DataKey"]["Condition"]["StringEquals"]
    if stage == "alt":
        (topic,) = resources(template, "AWS::SNS::Topic")
        assert statements["Notify"] == {
            "Action": "sns:Publish",
            "Effect": "Allow",
            "Resource": {"Ref": topic},
            "Sid": "Notify",
        }
    else:
        assert "Notify" not in statements


@pytest.mark.parametrize("stage", STAGES)
def test_log_groups_exist_before_the_functions_with_bounded_retention(
    synth: Synth, stage: str
) -> None:
    template = synth.templates[stage]
    groups = resources(template, "AWS::Logs::LogGroup")
    names = {props["LogGroupName"]: props for props in groups.values()}
    for lid, props in functions(template).items():
        group = names[f"/aws/lambda/{props['FunctionName']}"]
        assert group["RetentionInDays"] <= 30
        assert any(
            template["Resources"][g]["Properties"] is not None
            and g in as_list(template["Resources"][lid].get("DependsOn", []))
            for g in groups
        )


def test_plain_chalice_policy_grants_the_same_data_actions_on_named_resources() -> None:
    # `.chalice/policy-prod.json` is for `chalice deploy` without CDK; it must
    # not drift from the role above nor widen to `*`.
    import json

    from candor_infra.api import DYNAMODB_ACTIONS, KMS_ACTIONS, S3_OBJECT_ACTIONS
    from conftest import REPO_ROOT

    policy = json.loads((REPO_ROOT / ".chalice" / "policy-prod.json").read_text("utf-8"))
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert set(statements["BlobObjects"]["Action"]) == set(S3_OBJECT_ACTIONS)
    assert set(statements["Index"]["Action"]) == set(DYNAMODB_ACTIONS)
    assert set(statements["DataKey"]["Action"]) == set(KMS_ACTIONS)
    assert statements["DataKey"]["Condition"]["ForAnyValue:StringEquals"] == {
        "kms:ResourceAliases": "alias/candor-prod"
    }
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        assert all("*" not in a for a in as_list(statement["Action"]))
        assert "*" not in as_list(statement["Resource"])


@pytest.mark.parametrize("stage", STAGES)
def test_gateway_answers_use_the_spec_error_shape(synth: Synth, stage: str) -> None:
    import json

    answers = rest_api(synth.templates[stage])["DefinitionBody"][
        "x-amazon-apigateway-gateway-responses"]
    assert answers["MISSING_AUTHENTICATION_TOKEN"]["statusCode"] == "404"
    assert answers["DEFAULT_5XX"]["statusCode"] == "503"  # the only 5xx (protocol §4.1)
    for kind, answer in answers.items():
        body = json.loads(answer["responseTemplates"]["application/json"])
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, kind
        assert answer["responseParameters"]["gatewayresponse.header.Cache-Control"] == \
            "'no-store'"
    # Every 429 says when to come back (protocol §4.1), API Gateway's own too.
    assert answers["THROTTLED"]["responseParameters"][
        "gatewayresponse.header.Retry-After"] == "'1'"


@pytest.mark.parametrize("stage", STAGES)
def test_no_per_method_metrics_as_no_alarm_reads_them(synth: Synth, stage: str) -> None:
    """Issue 18 item 8: detailed (per-method) metrics cost money and count
    submissions per minute; they are on only where an alarm needs them, and
    the stack has no alarm."""
    template = synth.templates[stage]
    assert not resources(template, "AWS::CloudWatch::Alarm")
    settings = rest_api(template)["MethodSettings"]
    assert len(settings) > 1
    assert all(s["MetricsEnabled"] is False for s in settings)


def test_the_deployed_code_carries_its_bytecode(synth: Synth) -> None:
    # The code asset both functions run (team_capacity.py): Lambda's task
    # root is read-only, so bytecode must ship inside it (lambda_zip.py),
    # for the SDK too, and none left from a developer's tree.
    import zipfile
    from importlib.util import MAGIC_NUMBER, cache_from_source, source_hash

    bundles = list(synth.outdir.glob("asset.*.zip")) + [
        p.parent for p in synth.outdir.glob("asset.*/app.py")
    ]
    assert bundles, "no code asset in the assembly"
    for bundle in bundles:
        if bundle.suffix == ".zip":
            archive = zipfile.ZipFile(bundle)
            names, read = archive.namelist(), archive.read
        else:
            names = [p.relative_to(bundle).as_posix() for p in bundle.rglob("*")]
            read = lambda name, root=bundle: (root / name).read_bytes()  # noqa: E731
        assert not [n for n in names if n.endswith(".pyc") and ".cpython-313." not in n]
        for module in ("chalicelib/manifest.py", "botocore/client.py"):
            head = read(cache_from_source(module))[:16]
            assert head == MAGIC_NUMBER + (1).to_bytes(4, "little") + source_hash(read(module))
