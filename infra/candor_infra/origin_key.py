"""Only CloudFront reaches the API (issue 18 item 7).

The REST API's own `execute-api` URL is public. A client calling it
directly would skip what CloudFront does for every API call: the origin
request policy that forwards no address, user agent or viewer header, and
the response headers policy. API Gateway cannot turn that endpoint off and
still be CloudFront's origin without a custom domain of its own (a regional
certificate, more DNS), and a resource policy cannot tell CloudFront from
anyone else. So every method requires an API key, and CloudFront alone
sends it, as an origin custom header it sets over whatever a viewer sends.
The key is no credential of a person: a random value Secrets Manager
generates in the stack, which CloudFormation hands to API Gateway and
CloudFront and to nobody else. Without it API Gateway answers 403 before
any Lambda runs. Throttling is API Gateway's own (the stage's method
settings), so it applies either way; the stage is the only one (SAM's
extra `Stage` stage is turned off with `OpenApiVersion`, infra/candor_infra/api.py).
"""

from __future__ import annotations

import copy
from typing import Any

from aws_cdk import Acknowledgment, Fn, Validations
from aws_cdk import aws_apigateway as apigateway
from constructs import Construct

from candor_infra.generated import generated_secret

ORIGIN_KEY_HEADER = "x-api-key"
SECURITY_SCHEME = "origin_key"
KEY_LENGTH = 40


class OriginKey(Construct):
    """The key, its usage plan on the API's stage, and its generated value."""

    def __init__(self, scope: Construct, cid: str, *, stage: str, rest_api: str) -> None:
        super().__init__(scope, cid)
        self.value = generated_secret(
            self,
            description=f"Candor {stage}: the header CloudFront sends to the API",
            length=KEY_LENGTH,
            no_cmk="a value shared by CloudFront and API Gateway, no data; "
            "the AWS-managed key is enough",
        )
        key = apigateway.CfnApiKey(
            self,
            "ApiKey",
            enabled=True,
            value=self.value,
            description=f"Candor {stage}: CloudFront's requests to the API",
        )
        plan = apigateway.CfnUsagePlan(
            self,
            "Plan",
            description=f"Candor {stage}: lets CloudFront's key call the API's stage",
            # `<RestApi>.Stage` is SAM's reference to the stage it generates.
            api_stages=[
                apigateway.CfnUsagePlan.ApiStageProperty(
                    api_id=Fn.ref(rest_api), stage=Fn.ref(f"{rest_api}.Stage")
                )
            ],
        )
        Validations.of(plan).acknowledge(
            Acknowledgment(
                id="CloudFormation-Validate::F1020",
                reason="SAM resolves `<RestApi>.Stage` to the stage it generates",
            )
        )
        apigateway.CfnUsagePlanKey(
            self, "PlanKey", key_id=key.ref, key_type="API_KEY", usage_plan_id=plan.ref
        )


def require_origin_key(definition: dict[str, Any]) -> dict[str, Any]:
    """`definition` (Swagger 2.0) with every operation requiring the key."""
    result = copy.deepcopy(definition)
    result["securityDefinitions"] = {
        SECURITY_SCHEME: {"type": "apiKey", "name": ORIGIN_KEY_HEADER, "in": "header"}
    }
    result["x-amazon-apigateway-api-key-source"] = "HEADER"
    for operations in result["paths"].values():
        for method, operation in operations.items():
            if method.startswith("x-") or method == "parameters":
                continue
            operation["security"] = [{SECURITY_SCHEME: []}]
    return result
