"""What of a Lambda event reaches the app (protocol §1: no layer keeps a
reporter's address, user agent or other network identifier).

CloudFront adds ``X-Forwarded-For`` and ``Via`` to every origin request
whatever its origin request policy says, and API Gateway fills
``requestContext.identity`` with an address and a user agent. Nothing logs
them, but an allow-list here makes sure nothing can: the handler passes on
only the request headers the API reads and the request context Chalice
routes by, so a later log line or stored field cannot pick up what the app
never saw.
"""

from __future__ import annotations

from typing import Any

# The request headers the API reads (protocol §4.1, §4.3): a client puzzle's
# proof and a team request's signature. The CloudFront origin request policy
# forwards the same list (infra/candor_infra/edge.py).
KEPT_HEADERS = frozenset({"content-type", "content-digest", "signature-input", "signature",
                          "candor-proof"})
# What Chalice needs to route and what the team routes sign over (protocol §4.3).
KEPT_CONTEXT = frozenset({"resourcePath", "httpMethod", "stage"})
KEPT_FIELDS = frozenset({
    "resource", "path", "httpMethod", "headers", "multiValueHeaders",
    "queryStringParameters", "multiValueQueryStringParameters", "pathParameters",
    "stageVariables", "requestContext", "body", "isBase64Encoded",
})


def _headers(headers: Any) -> dict[str, Any]:
    if not isinstance(headers, dict):
        return {}
    return {k: v for k, v in headers.items() if isinstance(k, str) and k.lower() in KEPT_HEADERS}


def scrub_event(event: Any) -> Any:
    """The event without any address, user agent, viewer or trace header, and
    without ``requestContext.identity`` or request times. Events that are not
    API Gateway's (the hourly schedule) pass unchanged."""
    if not isinstance(event, dict) or "requestContext" not in event:
        return event
    kept = {k: v for k, v in event.items() if k in KEPT_FIELDS}
    kept["headers"] = _headers(event.get("headers"))
    kept["multiValueHeaders"] = _headers(event.get("multiValueHeaders"))
    context = event.get("requestContext")
    kept["requestContext"] = (
        {k: v for k, v in context.items() if k in KEPT_CONTEXT} if isinstance(context, dict)
        else {}
    )
    return kept
