"""Every answer of the Chalice app follows protocol §4.1, Chalice's own ones
(415 for a content type a route does not take, 405 for a method it lacks)
included: every route, every method, every content type."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import contract
from tests.support.team import Api

CONTENT_TYPES = (None, "application/json", "text/plain", "application/json; charset=latin-1")


class _Context:
    function_name = "candor"
    aws_request_id = "walk"


def _event(resource: str, path: str, method: str, content_type: str | None) -> dict[str, Any]:
    headers = {"content-type": content_type} if content_type else {}
    params = {name: value for name, value in contract.SAMPLE_IDS.items()
              if "{" + name + "}" in resource}
    return {
        "resource": resource, "path": path, "httpMethod": method, "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None, "multiValueQueryStringParameters": None,
        "pathParameters": params or None, "stageVariables": None,
        "requestContext": {"resourcePath": resource, "httpMethod": method, "path": path,
                           "stage": "v1api", "identity": {}},
        "body": "{}" if method in ("POST", "PUT", "PATCH") else None,
        "isBase64Encoded": False,
    }


@pytest.mark.parametrize("store_kind", ["local"], indirect=True)
def test_every_route_and_method_answers_in_the_contract(api: Api) -> None:
    from app import app

    seen = set()
    for resource, path in contract.route_paths(app.routes):
        for method in contract.METHODS:
            for content_type in CONTENT_TYPES:
                answer = app(_event(resource, path, method, content_type), _Context())
                status = int(answer["statusCode"])
                body = answer.get("body") or ""
                contract.check(f"{method} {path} {content_type}", status,
                               answer.get("headers") or {},
                               body.encode() if isinstance(body, str) else body)
                seen.add(status)
    # The walk reached the framework's answers, not only the views'.
    assert {400, 401, 404, 415} <= seen
