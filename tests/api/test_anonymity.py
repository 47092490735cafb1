"""No reporter identifier is stored or logged (protocol §1, §4.1).

Canary values travel in every place a client or API Gateway can put an
identifier; then every stored byte (files, SQLite, S3 objects and their
metadata, DynamoDB items) and every log line is searched for them, and for
the receipts themselves.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from typing import Any

import pytest

from candor.client import ApiClient
from candor.receipt import Receipt
from candor.reporter import Evidence, follow_up, submit
from tests.support.team import Api

CANARIES = {
    "X-Forwarded-For": "203.0.113.77, 198.51.100.9",
    "User-Agent": "CanaryBrowser/7.7 (canary-ua-41d8)",
    "Cookie": "session=canary-cookie-9f2c",
    "Accept-Language": "xx-CANARY;q=0.9",
    "X-Amzn-Trace-Id": "Root=1-canary-trace",
    # What CloudFront and API Gateway add, or a viewer may send (protocol §1).
    "Via": "2.0 canary-via.cloudfront.net (CloudFront)",
    "X-Amz-Cf-Id": "canary-cf-id-77aa",
    "X-Forwarded-Port": "44301",
    "X-Forwarded-Proto": "canary-proto",
    "Forwarded": "for=192.0.2.60;proto=canary",
    "X-Real-IP": "192.0.2.61",
    "True-Client-IP": "192.0.2.62",
    "CloudFront-Viewer-Address": "192.0.2.63:53117",
    "CloudFront-Viewer-Country": "CANARYLAND",
    "CloudFront-Viewer-City": "Canaryville",
    "CloudFront-Viewer-ASN": "6466364",
    "CloudFront-Viewer-TLS": "TLSv1.3:canary-cipher",
    "CloudFront-Viewer-JA3-Fingerprint": "canaryja3fingerprint0000",
    "CloudFront-Is-Mobile-Viewer": "canary-mobile",
    "Referer": "https://canary-referer.example/",
    "Origin": "https://canary-origin.example",
    "Sec-CH-UA": "\"CanaryHint\";v=\"7\"",
}
SOURCE_IP = "198.51.100.23"
# Everything API Gateway puts in requestContext beyond what routing needs.
IDENTITY = {
    "sourceIp": SOURCE_IP, "userAgent": CANARIES["User-Agent"], "caller": "canary-caller",
    "user": "canary-user", "userArn": "arn:aws:iam::000000000000:user/canary-user-arn",
    "accountId": "canary-account", "accessKey": "CANARYACCESSKEY",
    "cognitoIdentityId": "canary-cognito-id", "cognitoIdentityPoolId": "canary-pool",
    "cognitoAuthenticationProvider": "canary-provider",
    "cognitoAuthenticationType": "canary-auth-type", "principalOrgId": "canary-org",
    "clientCert": {"clientCertPem": "canary-cert-pem", "subjectDN": "CN=canary-subject"},
}
CONTEXT = {
    "requestId": "canary-request-id", "extendedRequestId": "canary-extended-id",
    "requestTime": "30/Nov/2026:03:04:05 +0000", "requestTimeEpoch": 1796007845123,
    "domainName": "canary-domain.execute-api.example", "domainPrefix": "canary-prefix",
    "protocol": "HTTP/canary", "accountId": "canary-context-account", "apiId": "canaryapi",
}


class CanaryTransport:
    """Sends every request as API Gateway would deliver it: canary headers
    and a request context naming a client address and user agent."""

    def __init__(self, api: Api) -> None:
        from app import app

        self.app, self.inner = app, api.transport
        self.base_url, self.store = api.transport.base_url, api.store

    def send(self, method: str, target: str, headers: Any, body: bytes) -> tuple[int, bytes]:
        path, _, query = target.partition("?")
        route = self.app.routes and _match(self.app, path)
        event = {
            "resource": route[0], "path": path, "httpMethod": method,
            "headers": {**CANARIES, **headers},
            "multiValueHeaders": {k: [v] for k, v in {**CANARIES, **headers}.items()},
            "queryStringParameters": dict(p.split("=", 1) for p in query.split("&") if p)
            or None,
            "multiValueQueryStringParameters": {
                p.split("=", 1)[0]: [p.split("=", 1)[1]] for p in query.split("&") if p} or None,
            "pathParameters": route[1] or None, "stageVariables": None,
            "requestContext": {
                **CONTEXT,
                "resourcePath": route[0], "httpMethod": method, "path": "/v1api" + path,
                "stage": "v1api", "identity": IDENTITY,
            },
            "body": body.decode() if body else None, "isBase64Encoded": False,
        }
        answer = self.app(event, _Context())
        payload = answer.get("body") or ""
        return int(answer["statusCode"]), payload.encode() if isinstance(payload, str) else payload


class _Context:
    function_name = "candor"
    aws_request_id = "canary-request"


def _match(app: Any, path: str) -> tuple[str, dict[str, str]]:
    parts = path.strip("/").split("/")
    for route in app.routes:
        template = route.strip("/").split("/")
        if len(template) == len(parts) and all(
            t.startswith("{") or t == p for t, p in zip(template, parts, strict=True)
        ):
            return route, {t[1:-1]: p for t, p in zip(template, parts, strict=True)
                           if t.startswith("{")}
    raise AssertionError(f"no route for {path}")


def _stored_bytes(store: Any) -> Iterator[tuple[str, bytes]]:
    if hasattr(store, "root"):
        for path in store.root.rglob("*"):
            if path.is_file():
                yield str(path), path.read_bytes()
        return
    s3, ddb = store._s3, store._ddb
    versions = s3.list_object_versions(Bucket=store.bucket)
    for v in versions.get("Versions", []):
        obj = s3.get_object(Bucket=store.bucket, Key=v["Key"], VersionId=v["VersionId"])
        yield v["Key"], obj["Body"].read()
        yield v["Key"] + " (metadata)", json.dumps(obj.get("Metadata", {})).encode()
        tags = s3.get_object_tagging(Bucket=store.bucket, Key=v["Key"], VersionId=v["VersionId"])
        yield v["Key"] + " (tags)", json.dumps(tags["TagSet"]).encode()
    for page in ddb.get_paginator("scan").paginate(TableName=store.table):
        for item in page["Items"]:
            yield "dynamodb item", json.dumps(item).encode()


def _canary_needles() -> dict[str, bytes]:
    """Every value a client, CloudFront or API Gateway put in the event
    around the request itself."""
    needles = {name: value.encode() for name, value in CANARIES.items()}
    needles |= {f"identity {k}": str(v).encode() for k, v in IDENTITY.items()
                if not isinstance(v, dict)}
    needles |= {f"context {k}": str(v).encode() for k, v in CONTEXT.items()}
    needles |= {"client cert": b"canary-cert-pem", "source ip": SOURCE_IP.encode(),
                "user agent product": b"CanaryBrowser"}
    for part in CANARIES["X-Forwarded-For"].split(", "):
        needles[f"forwarded address {part}"] = part.encode()
    return needles


def test_the_app_never_sees_an_identifier(
    api: Api, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The handler drops them from the whole event before Chalice routes it."""
    from chalice.app import Chalice

    seen: list[bytes] = []
    original = Chalice.__call__

    def spy(self: Chalice, event: Any, context: Any) -> Any:
        seen.append(json.dumps(event).encode())
        return original(self, event, context)

    monkeypatch.setattr(Chalice, "__call__", spy)
    transport = CanaryTransport(api)
    anonymous = ApiClient(transport)
    sub = submit(anonymous, api.team.manifest, {"summary": "whole event"})
    follow_up(anonymous, sub.receipt, api.team.manifest)
    ApiClient(transport, api.team.admin.key).call("GET", "/v1/team/cases")
    assert len(seen) >= 4
    for name, needle in _canary_needles().items():
        assert not [event for event in seen if needle in event], f"the app saw {name}"


def test_no_identifier_or_receipt_is_stored_or_logged(
    api: Api, store_kind: str, caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    transport = CanaryTransport(api)
    anonymous = ApiClient(transport)
    files = [] if store_kind == "aws" else [Evidence("photo.jpg", os.urandom(5000))]
    sub = submit(anonymous, api.team.manifest, {"summary": "canary case"}, files=files)
    visit = follow_up(anonymous, sub.receipt, api.team.manifest)
    visit.send("a reporter message")
    team = ApiClient(transport, api.team.admin.key)
    case_id = team.call("GET", "/v1/team/cases")["cases"][0]["id"]
    team.call("PATCH", f"/v1/team/cases/{case_id}", {"status": "acknowledged"})
    later = follow_up(anonymous, visit.receipt, api.team.manifest)

    secrets: dict[str, bytes] = {}
    for n, receipt in enumerate((sub.receipt, visit.receipt, later.receipt)):
        secrets |= _receipt_secrets(f"receipt {n}", receipt)
    secrets["visit secret"] = visit.visit
    needles = {**_canary_needles(), **secrets}

    hay = list(_stored_bytes(api.store))
    assert hay, "nothing was stored"
    logs = [r.getMessage().encode() for r in caplog.records]
    captured = capsys.readouterr()
    logs += [captured.out.encode(), captured.err.encode()]
    for name, needle in needles.items():
        stored = [where for where, data in hay if needle in data]
        logged = [line for line in logs if needle in line]
        assert (stored, logged) == ([], []), f"{name} leaked"


def _receipt_secrets(label: str, receipt: Receipt) -> dict[str, bytes]:
    return {
        f"{label} text": receipt.text.encode(),
        f"{label} compact": receipt.text.replace("-", "").encode(),
        f"{label} bytes": receipt.to_bytes(),
        f"{label} auth": receipt.auth,
        f"{label} auth b64": receipt.auth_b64.encode(),
        f"{label} kek": receipt.kek,
        f"{label} kek identity": receipt.kek_identity.encode(),
    }
