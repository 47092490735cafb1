"""Issue 18 item 7: one API Gateway stage, the throttled one, reachable only
through CloudFront (infra/candor_infra/origin_key.py)."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Expanded, Synth, resources

STAGES = ["prod", "alt"]


def rest_api(template: dict[str, Any]) -> dict[str, Any]:
    return template["Resources"]["RestAPI"]["Properties"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("stage", STAGES)
def test_the_only_stage_is_the_throttled_one(expanded: Expanded, stage: str) -> None:
    """Issue 18 item 7, on the template after the SAM transform: no extra,
    unthrottled `Stage` stage made by the deployment."""
    template = expanded.templates[stage]
    ((_, stage_props),) = resources(template, "AWS::ApiGateway::Stage").items()
    assert stage_props["StageName"] == "v1api"
    ((deployment_id, deployment),) = resources(template, "AWS::ApiGateway::Deployment").items()
    assert "StageName" not in deployment and "StageDescription" not in deployment
    assert stage_props["DeploymentId"] == {"Ref": deployment_id}
    default, *methods = stage_props["MethodSettings"]
    assert (default["ResourcePath"], default["HttpMethod"]) == ("/*", "*")
    assert default["ThrottlingRateLimit"] == {"Ref": "ThrottleRate"}
    # Item 5: the team's methods keep limits of their own on that stage, and
    # so do the routes that take client puzzles (test_puzzles.py).
    team = [s for s in methods if s["ResourcePath"].startswith("/~1v1~1team~1")]
    assert team and all(s["ThrottlingRateLimit"] == {"Ref": "TeamThrottleRate"} for s in team)
    assert all(s["ThrottlingRateLimit"] == {"Ref": "ReporterThrottleRate"}
               for s in methods if s not in team)


@pytest.mark.parametrize("stage", STAGES)
def test_every_method_requires_the_key_only_cloudfront_sends(
    synth: Synth, expanded: Expanded, stage: str
) -> None:
    """Issue 18 item 7: the execute-api URL does not bypass CloudFront; a
    call without CloudFront's key is refused by API Gateway (403)."""
    template = synth.templates[stage]
    definition = rest_api(template)["DefinitionBody"]
    assert definition["securityDefinitions"] == {
        "origin_key": {"type": "apiKey", "name": "x-api-key", "in": "header"}}
    operations = [op for path in definition["paths"].values()
                  for method, op in path.items() if not method.startswith("x-")]
    assert len(operations) > 5
    assert all(op["security"] == [{"origin_key": []}] for op in operations)
    answers = definition["x-amazon-apigateway-gateway-responses"]
    assert answers["INVALID_API_KEY"]["statusCode"] == "403"
    # The key's value is generated in the stack and reaches only API Gateway
    # and CloudFront's API origin, as a dynamic reference.
    ((secret_id, secret),) = [item for item in resources(
        template, "AWS::SecretsManager::Secret").items() if item[0].startswith("OriginKey")]
    generated = secret["GenerateSecretString"]
    assert generated["PasswordLength"] >= 32 and generated["ExcludePunctuation"] is True
    value = {"Fn::Join": ["", ["{{resolve:secretsmanager:", {"Ref": secret_id},
                               ":SecretString:::}}"]]}
    ((key_id, key),) = resources(template, "AWS::ApiGateway::ApiKey").items()
    assert (key["Value"], key["Enabled"]) == (value, True)
    ((_, distribution),) = resources(template, "AWS::CloudFront::Distribution").items()
    origins = distribution["DistributionConfig"]["Origins"]
    (api_origin,) = [o for o in origins if o.get("OriginPath") == "/v1api"]
    assert api_origin["OriginCustomHeaders"] == [{"HeaderName": "x-api-key", "HeaderValue": value}]
    assert all("OriginCustomHeaders" not in o for o in origins if o is not api_origin)
    # After the SAM transform the usage plan binds the key to the one stage.
    after = expanded.templates[stage]
    ((stage_id, _),) = resources(after, "AWS::ApiGateway::Stage").items()
    ((plan_id, plan),) = resources(after, "AWS::ApiGateway::UsagePlan").items()
    assert plan["ApiStages"] == [{"ApiId": {"Ref": "RestAPI"}, "Stage": {"Ref": stage_id}}]
    assert "Throttle" not in plan and "Quota" not in plan  # the stage throttles
    ((_, plan_key),) = resources(after, "AWS::ApiGateway::UsagePlanKey").items()
    assert plan_key == {"KeyId": {"Ref": key_id}, "KeyType": "API_KEY",
                        "UsagePlanId": {"Ref": plan_id}}
