"""Capacity of their own for the team routes (issue 13 finding 8).

An anonymous flood must not starve the team. API Gateway applies a stage's
throttling limits per method, so the team's methods get limits of their own
(larger ones); and they run in a function of their own, `TeamHandler`, the
same code as `APIHandler` with its own reserved concurrency, so a flood
that uses up the API function's concurrency never reaches it. A
reservation of 0 means none at all (a reserved concurrency of 0 would stop
the function). Reservations are 0 by default, as a new account has none to
give (issue 18 item 2): the separate function then isolates the team only
once the operator sets them (docs/deploy.md); the throttling limits hold
either way.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from aws_cdk import Aws, CfnCondition, CfnParameter, Fn, Stack
from chalice.cdk import Chalice

from candor_infra.lambda_zip import precompile
from candor_infra.puzzles import reporter_method_settings

API_HANDLER = "APIHandler"
TEAM_HANDLER = "TeamHandler"
TEAM_PATHS = "/v1/team/"


class TwoHandlerChalice(Chalice):
    """The Chalice construct, whose SAM template also holds `TeamHandler`: a
    copy of `APIHandler` (same code, role and environment) with its own
    invoke permission. It is added where the construct writes the template
    with its code asset, so both functions deploy the one package. The
    package gets its bytecode compiled ahead of time (lambda_zip.py)."""

    def _package_app(self) -> None:
        super()._package_app()  # type: ignore[no-untyped-call]
        precompile(Path(self._sam_package_dir) / "deployment.zip")

    def _generate_sam_template_with_assets(self, chalice_out_dir: str, package_id: str) -> str:
        path: str = super()._generate_sam_template_with_assets(chalice_out_dir, package_id)
        template = json.loads(Path(path).read_text(encoding="utf-8"))
        res = template["Resources"]
        res[TEAM_HANDLER] = copy.deepcopy(res[API_HANDLER])
        permission = copy.deepcopy(res[f"{API_HANDLER}InvokePermission"])
        permission["Properties"]["FunctionName"] = {"Ref": TEAM_HANDLER}
        res[f"{TEAM_HANDLER}InvokePermission"] = permission
        Path(path).write_text(json.dumps(template, indent=2), encoding="utf-8")
        return path


def reserved(stack: Stack, parameter: CfnParameter) -> Any:
    """The parameter's value, or no reservation at all when it is 0."""
    zero = CfnCondition(
        stack,
        f"{parameter.node.id}IsZero",
        expression=Fn.condition_equals(parameter.value_as_number, 0),
    )
    return Fn.condition_if(zero.logical_id, Aws.NO_VALUE, parameter.value_as_number)


def method_settings(definition: dict[str, Any], parameters: Any) -> list[dict[str, Any]]:
    """Every method gets its own token bucket of these limits (API
    Gateway applies a stage's limits per method), by nothing that
    identifies a client (protocol §4.1); team methods get larger ones, and
    so do the routes that take client puzzles (infra/candor_infra/puzzles.py).
    ``parameters`` is the stack's ``ApiParameters``."""
    p = parameters
    # MetricsEnabled adds per-method CloudWatch metrics (paid, and per-minute
    # counts of submissions); no alarm reads them: the stage's own metrics,
    # free and always on, are enough (docs/cost-model.md).
    common = {"LoggingLevel": "OFF", "DataTraceEnabled": False, "MetricsEnabled": False}
    settings = [
        {
            "ResourcePath": "/*",
            "HttpMethod": "*",
            "ThrottlingRateLimit": p.throttle_rate.value_as_number,
            "ThrottlingBurstLimit": p.throttle_burst.value_as_number,
            **common,
        }
    ]
    for path, operations in sorted(definition["paths"].items()):
        if not path.startswith(TEAM_PATHS):
            continue
        for method in sorted(operations):
            if method.startswith("x-"):
                continue
            settings.append(
                {
                    "ResourcePath": "/" + path.replace("/", "~1"),
                    "HttpMethod": method.upper(),
                    "ThrottlingRateLimit": p.team_throttle_rate.value_as_number,
                    "ThrottlingBurstLimit": p.team_throttle_burst.value_as_number,
                    **common,
                }
            )
    return settings + reporter_method_settings(p, common)
