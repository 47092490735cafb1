"""What API Gateway answers by itself, in protocol §4.1's error shape."""

from __future__ import annotations

import json
from typing import Any

# What API Gateway answers by itself (unknown route, throttling, a body over
# its limit, a Lambda that failed or timed out) in protocol §4.1's error shape
# and headers; 503 is the only 5xx.
_GATEWAY_ANSWERS = {
    "MISSING_AUTHENTICATION_TOKEN": (404, "not_found", "Not found."),
    # No origin key: the caller skipped CloudFront (infra/candor_infra/origin_key.py).
    "INVALID_API_KEY": (403, "forbidden", "Use the service's public address."),
    "THROTTLED": (429, "throttled", "Too many requests; try again shortly."),
    "REQUEST_TOO_LARGE": (413, "too_large", "The request is too large."),
    "UNSUPPORTED_MEDIA_TYPE": (415, "unsupported_media_type", "Send application/json."),
    "DEFAULT_4XX": (None, "malformed", "The request is malformed."),
    "DEFAULT_5XX": (503, "unavailable", "The service is unavailable; try again."),
}


# API Gateway's buckets refill every second; it cannot say exactly when.
THROTTLED_RETRY_AFTER = 1


def gateway_responses() -> dict[str, Any]:
    """``x-amazon-apigateway-gateway-responses`` for the REST API."""
    headers = {
        "gatewayresponse.header.Cache-Control": "'no-store'",
        "gatewayresponse.header.Referrer-Policy": "'no-referrer'",
        "gatewayresponse.header.X-Content-Type-Options": "'nosniff'",
    }
    answers: dict[str, Any] = {}
    for kind, (status, code, message) in _GATEWAY_ANSWERS.items():
        body = json.dumps({"error": {"code": code, "message": message}})
        parameters = dict(headers)
        if status == 429:  # every 429 says when to come back (protocol §4.1)
            parameters["gatewayresponse.header.Retry-After"] = f"'{THROTTLED_RETRY_AFTER}'"
        answer: dict[str, Any] = {"responseParameters": parameters,
                                  "responseTemplates": {"application/json": body}}
        if status is not None:
            answer["statusCode"] = str(status)
        answers[kind] = answer
    return answers
