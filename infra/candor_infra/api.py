"""The Chalice app (API handler and hourly housekeeping) and its API Gateway stage.

`chalice.cdk.Chalice` runs `chalice package` and includes the SAM template;
this module then tightens what Chalice leaves open: a hand-written role,
stage throttling, logging and tracing off, fixed function names.

Team routes get capacity of their own (issue 13 finding 8): the same code
deployed as a second function, `TeamHandler`, with its own reserved
concurrency, and their own per-method throttling limits, so an anonymous
flood that saturates the API function or its routes' limits never reaches
the team's.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import Aws, CfnParameter, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from chalice.cdk import Chalice

from candor_infra.digest import digest_environment
from candor_infra.gateway import gateway_responses
from candor_infra.origin_key import OriginKey, require_origin_key
from candor_infra.puzzles import PuzzleSecret, puzzle_environment
from candor_infra.scanners import NO_ACCESS_LOGS, NO_VPC, NO_XRAY, skip_checks
from candor_infra.settings import API_STAGE, StageSettings
from candor_infra.storage import BLOB_PREFIX, UPLOAD_PREFIX, Storage
from candor_infra.team_capacity import (
    API_HANDLER,
    TEAM_HANDLER,
    TEAM_PATHS,
    TwoHandlerChalice,
    method_settings,
    reserved,
)

REST_API = "RestAPI"
# API Gateway gives up on an integration after 29 s.
API_TIMEOUT_S = 29
API_MEMORY_MB = 512
# The hourly housekeeping job may walk many cases; 15 minutes is Lambda's
# limit and shorter than the hour, so runs do not overlap without a reservation.
SCHEDULED_TIMEOUT_S = 900
# Application logs hold route, status, latency and member ids (protocol §4.1).
LOG_RETENTION = logs.RetentionDays.ONE_MONTH
PENDING_BASE_URL = "https://pending.invalid"

S3_OBJECT_ACTIONS = [
    "s3:GetObject",
    "s3:PutObject",  # also starts, presigns parts of, and completes multipart uploads
    "s3:PutObjectTagging",
    "s3:ListMultipartUploadParts",  # completion lists the parts (protocol §4.2)
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
]
DYNAMODB_ACTIONS = [
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:Query",
    "dynamodb:ConditionCheckItem",
]
KMS_ACTIONS = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]


@dataclass(frozen=True)
class ApiParameters:
    """Deploy-time knobs (`cdk deploy --parameters Name=value`)."""

    throttle_rate: CfnParameter
    throttle_burst: CfnParameter
    reporter_throttle_rate: CfnParameter
    reporter_throttle_burst: CfnParameter
    reserved_concurrency: CfnParameter
    team_throttle_rate: CfnParameter
    team_throttle_burst: CfnParameter
    team_reserved_concurrency: CfnParameter
    housekeeping_reserved_concurrency: CfnParameter


class Api:
    """Adds the Chalice app to `stack`; the Chalice construct is a direct child
    of the stack so that its stage name is the stack name."""

    def __init__(
        self,
        stack: Stack,
        settings: StageSettings,
        storage: Storage,
        topic_arn: str | None,
    ) -> None:
        self._stage = settings.stage
        self.parameters = _parameters(stack, settings)
        self.role = _role(stack, settings.stage, storage, topic_arn)
        env = {
            "CANDOR_BACKEND": "aws",
            "CANDOR_BUCKET": storage.bucket.bucket_name,
            "CANDOR_TABLE": storage.table.table_name,
            # Packaging imports app.py with this environment; the real value,
            # CloudFront's domain, exists only after the API: set_public_base_url.
            "CANDOR_PUBLIC_BASE_URL": PENDING_BASE_URL,
            "CANDOR_RETENTION_DAYS": str(settings.retention_days),
        }
        if topic_arn:
            env["CANDOR_NOTIFY_TOPIC"] = topic_arn
        with _app_importable_from(settings.source_dir):
            self.chalice = TwoHandlerChalice(
                stack,
                "Chalice",
                source_dir=str(settings.source_dir),
                stage_config={
                    "api_gateway_stage": API_STAGE,
                    "api_gateway_endpoint_type": "REGIONAL",
                    "manage_iam_role": False,
                    "iam_role_arn": self.role.role_arn,
                    "autogen_policy": False,
                    "lambda_timeout": API_TIMEOUT_S,
                    "lambda_memory_size": API_MEMORY_MB,
                    "environment_variables": env,
                },
            )
        sam = _packaged_template(self.chalice)
        self._functions = [
            logical_id
            for logical_id, resource in sam["Resources"].items()
            if resource["Type"] == "AWS::Serverless::Function"
        ] + [TEAM_HANDLER]
        self._tighten_functions(stack)
        self._tighten_rest_api(stack, sam)
        self.origin_key = OriginKey(stack, "OriginKey", stage=settings.stage, rest_api=REST_API)
        # Only the reporter routes' function checks puzzles (protocol §4.1);
        # the team's and housekeeping never see the secret.
        self.puzzle_secret = PuzzleSecret(stack, "PuzzleSecret", stage=settings.stage)
        for key, value in puzzle_environment(self.puzzle_secret.value, self.parameters).items():
            self.chalice.add_environment_variable(key, value, API_HANDLER)
        # Only the hourly housekeeping sends the daily digest.
        digest = digest_environment(stack, settings.digest_hour, settings.digest_zone)
        for logical_id in self._functions:
            if logical_id not in (API_HANDLER, TEAM_HANDLER):
                for key, value in digest.items():
                    self.chalice.add_environment_variable(key, value, logical_id)

    def set_public_base_url(self, url: str) -> None:
        """The origin and base path clients sign against (protocol §4.3)."""
        for logical_id in self._functions:
            self.chalice.add_environment_variable("CANDOR_PUBLIC_BASE_URL", url, logical_id)

    @property
    def rest_api_id(self) -> str:
        return self.chalice.get_resource(REST_API).ref

    def function_name(self, logical_id: str) -> str:
        suffix = {API_HANDLER: "api", TEAM_HANDLER: "team"}.get(logical_id, logical_id)
        return f"candor-{self._stage}-{suffix}"

    def _tighten_functions(self, stack: Stack) -> None:
        for logical_id in self._functions:
            function = self.chalice.get_resource(logical_id)
            name = self.function_name(logical_id)
            function.add_property_override("FunctionName", name)
            # PassThrough never samples: API Gateway's tracing is off below.
            function.add_property_override("Tracing", "PassThrough")
            if logical_id == API_HANDLER:
                parameter = self.parameters.reserved_concurrency
            elif logical_id == TEAM_HANDLER:
                parameter = self.parameters.team_reserved_concurrency
            else:  # the scheduled housekeeping
                parameter = self.parameters.housekeeping_reserved_concurrency
                function.add_property_override("Timeout", SCHEDULED_TIMEOUT_S)
            function.add_property_override(
                "ReservedConcurrentExecutions", reserved(stack, parameter)
            )
            # Created here, not by Lambda, so retention is bounded and the
            # role needs no logs:CreateLogGroup.
            group = logs.LogGroup(
                stack,
                f"{logical_id}Logs",
                log_group_name=f"/aws/lambda/{name}",
                retention=LOG_RETENTION,
                removal_policy=RemovalPolicy.DESTROY,
            )
            function.add_resource_dependency(
                group.node.default_child,
                "log group first, so Lambda never creates it",  # type: ignore[arg-type]
            )
            skip_checks(
                group,
                {"CKV_AWS_158": "route, status, latency only; CloudWatch encrypts at rest anyway"},
            )
            skip_checks(
                function,
                {
                    "CKV_AWS_116": "API calls are synchronous; housekeeping runs again next hour",
                    "CKV_AWS_117": NO_VPC,
                    "CKV_AWS_173": "resource names, and the API's puzzle seed key, which "
                    "only lets its holder bank puzzle work (infra/candor_infra/puzzles.py)",
                },
            )

    def _handler_arn(self, logical_id: str) -> str:
        return (
            "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:"
            + self.function_name(logical_id)
        )

    def _tighten_rest_api(self, stack: Stack, sam: dict[str, Any]) -> None:
        rest = self.chalice.get_resource(REST_API)
        # CloudFront -> RestAPI -> APIHandler -> (CANDOR_PUBLIC_BASE_URL)
        # CloudFront would be a cycle: name the handlers by ARN instead of Ref.
        definition = sam["Resources"][REST_API]["Properties"]["DefinitionBody"]
        paths = {}
        for path, operations in definition["paths"].items():
            handler = TEAM_HANDLER if path.startswith(TEAM_PATHS) else API_HANDLER
            body = json.dumps(operations).replace(
                "${" + API_HANDLER + ".Arn}", self._handler_arn(handler)
            )
            paths[path] = json.loads(body)
        definition = require_origin_key({**definition, "paths": paths})
        definition["x-amazon-apigateway-gateway-responses"] = gateway_responses()
        rest.add_property_override("DefinitionBody", definition)
        # With OpenApiVersion set SAM creates no extra stage named `Stage`
        # (unthrottled, on the execute-api URL); "2.0" matches the Swagger
        # 2.0 definition, which SAM then leaves as it is.
        rest.add_property_override("OpenApiVersion", "2.0")
        rest.add_property_override("TracingEnabled", False)
        rest.add_property_override("MethodSettings", method_settings(definition, self.parameters))
        skip_checks(
            rest,
            {
                "CKV_AWS_73": NO_XRAY,
                "CKV_AWS_76": NO_ACCESS_LOGS,
                "CKV_AWS_120": "every answer is per-request and Cache-Control: no-store",
            },
        )


def _parameters(stack: Stack, settings: StageSettings) -> ApiParameters:
    return ApiParameters(
        throttle_rate=CfnParameter(
            stack,
            "ThrottleRate",
            type="Number",
            min_value=1,
            default=settings.throttle_rate,
            description="API Gateway stage steady-state limit, requests per second (all clients)",
        ),
        throttle_burst=CfnParameter(
            stack,
            "ThrottleBurst",
            type="Number",
            min_value=1,
            default=settings.throttle_burst,
            description="API Gateway stage burst limit, requests (all clients)",
        ),
        reporter_throttle_rate=CfnParameter(
            stack,
            "ReporterThrottleRate",
            type="Number",
            min_value=1,
            default=settings.reporter_throttle_rate,
            description="API Gateway limit of each route that takes client puzzles, requests "
            "per second; above ThrottleRate, at which puzzles start",
        ),
        reporter_throttle_burst=CfnParameter(
            stack,
            "ReporterThrottleBurst",
            type="Number",
            min_value=1,
            default=settings.reporter_throttle_burst,
            description="API Gateway burst limit of each route that takes client puzzles; "
            "above ThrottleBurst",
        ),
        reserved_concurrency=CfnParameter(
            stack,
            "ReservedConcurrency",
            type="Number",
            min_value=0,
            default=settings.reserved_concurrency,
            description="Reserved concurrent executions of the API handler (0: no reservation)",
        ),
        team_throttle_rate=CfnParameter(
            stack,
            "TeamThrottleRate",
            type="Number",
            min_value=1,
            default=settings.team_throttle_rate,
            description="API Gateway limit of each team route, requests per second",
        ),
        team_throttle_burst=CfnParameter(
            stack,
            "TeamThrottleBurst",
            type="Number",
            min_value=1,
            default=settings.team_throttle_burst,
            description="API Gateway burst limit of each team route, requests",
        ),
        team_reserved_concurrency=CfnParameter(
            stack,
            "TeamReservedConcurrency",
            type="Number",
            min_value=0,
            default=settings.team_reserved_concurrency,
            description="Reserved concurrent executions of the team routes' handler "
            "(0: no reservation)",
        ),
        housekeeping_reserved_concurrency=CfnParameter(
            stack,
            "HousekeepingReservedConcurrency",
            type="Number",
            min_value=0,
            default=settings.housekeeping_reserved_concurrency,
            description="Reserved concurrent executions of the hourly housekeeping "
            "(0: no reservation)",
        ),
    )


def _role(stack: Stack, stage: str, storage: Storage, topic_arn: str | None) -> iam.Role:
    """Least privilege: the two bucket prefixes, the table, the key via S3 and
    DynamoDB only, and the functions' own log groups. No `*` resource."""
    bucket = storage.bucket.bucket_arn
    prefixes = [BLOB_PREFIX, UPLOAD_PREFIX]
    statements = [
        iam.PolicyStatement(
            sid="Logs",
            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[
                f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:"
                f"log-group:/aws/lambda/candor-{stage}-*:*"
            ],
        ),
        iam.PolicyStatement(
            sid="BlobObjects",
            actions=S3_OBJECT_ACTIONS,
            resources=[f"{bucket}/{prefix}*" for prefix in prefixes],
        ),
        iam.PolicyStatement(
            # Without it a HeadObject on a missing key answers 403, not 404.
            sid="BlobExistence",
            actions=["s3:ListBucket"],
            resources=[bucket],
        ),
        iam.PolicyStatement(
            # A purge lists the versions of one blob (protocol §4.7).
            sid="BlobVersions",
            actions=["s3:ListBucketVersions"],
            resources=[bucket],
            conditions={"StringLike": {"s3:prefix": [f"{prefix}*" for prefix in prefixes]}},
        ),
        iam.PolicyStatement(
            sid="Index",
            actions=DYNAMODB_ACTIONS,
            resources=[storage.table.table_arn],
        ),
        iam.PolicyStatement(
            sid="DataKey",
            actions=KMS_ACTIONS,
            resources=[storage.key.key_arn],
            conditions={
                "StringEquals": {
                    "kms:ViaService": [
                        f"s3.{Aws.REGION}.{Aws.URL_SUFFIX}",
                        f"dynamodb.{Aws.REGION}.{Aws.URL_SUFFIX}",
                    ]
                }
            },
        ),
    ]
    if topic_arn:
        statements.append(
            iam.PolicyStatement(sid="Notify", actions=["sns:Publish"], resources=[topic_arn])
        )
    return iam.Role(
        stack,
        "FunctionRole",
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        description=f"Candor {stage}: API handler and hourly housekeeping",
        inline_policies={"candor": iam.PolicyDocument(statements=statements)},
    )


@contextmanager
def _app_importable_from(source_dir: Path) -> Iterator[None]:
    """`chalice package` imports the module named `app`; make sure that is
    `source_dir/app.py`, not infra/app.py (same name) nor a stale import."""
    module = sys.modules.get("app")
    if module is not None and Path(getattr(module, "__file__", "")).parent != source_dir:
        del sys.modules["app"]
    sys.path.insert(0, str(source_dir))
    try:
        yield
    finally:
        sys.path.remove(str(source_dir))


def _packaged_template(chalice: Chalice) -> dict[str, Any]:
    """The SAM template `chalice package` wrote (the construct keeps no parsed copy)."""
    path = Path(chalice._sam_package_dir) / "sam.json"  # no public accessor
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]
