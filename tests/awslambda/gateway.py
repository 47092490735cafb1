"""A front proxy that turns real HTTP requests into API Gateway REST proxy
events (payload format 1.0) for the function, as API Gateway does behind
CloudFront, and its results back into HTTP answers.

Resources come from the OpenAPI document in the package's SAM template,
the one API Gateway builds its resources from; an unknown resource or method
gets API Gateway's 403 "Missing Authentication Token". Bodies whose
Content-Type is one of the API's binary media types arrive base64-encoded.
Every request carries a fresh canary address (``identity.sourceIp``,
``X-Forwarded-For``, ``CloudFront-Viewer-Address``) and user agent
(``identity.userAgent``, ``User-Agent``), all recorded in ``canaries``, so
a test can show that none of them is kept anywhere.
"""

from __future__ import annotations

import base64
import re
import secrets
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.awslambda.runtime_api import InvocationFailed, QuietServer, RuntimeApi

STAGE = "v1api"  # infra/candor_infra/settings.py API_STAGE
API_ID = "a1b2c3d4e5"
DOMAIN = f"{API_ID}.execute-api.eu-central-1.amazonaws.com"
EDGE = "130.176.0.1"  # a CloudFront edge, which forwards on behalf of the viewer
MISSING_TOKEN = (403, b'{"message":"Missing Authentication Token"}')
INTERNAL_ERROR = b'{"message":"Internal server error"}'


@dataclass(frozen=True)
class Route:
    resource: str
    pattern: re.Pattern[str]
    methods: frozenset[str]


def routes(definition: dict[str, Any]) -> list[Route]:
    """The API's resources and their methods, from its OpenAPI document."""
    found = []
    for resource, operations in definition["paths"].items():
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(resource))
        methods = frozenset(m.upper() for m in operations if not m.startswith("x-"))
        found.append(Route(resource, re.compile(regex + "$"), methods))
    return found


class Canaries:
    """A new viewer address and user agent per request, all remembered."""

    def __init__(self) -> None:
        self.issued: set[str] = set()
        self._lock = threading.Lock()

    def new(self, n: int) -> tuple[str, str]:
        tag = secrets.token_hex(4)
        # Documentation ranges (RFC 5737, RFC 3849): never a real viewer.
        ip = f"203.0.113.{n % 250 + 1}" if n % 2 else f"2001:db8:{tag[:4]}::{tag[4:]}"
        agent = f"Mozilla/5.0 (X11; Linux x86_64) CandorCanary/{tag}"
        with self._lock:
            self.issued.update((ip, agent))
        return ip, agent


class Gateway:
    """The proxy on a loopback port; ``url`` is what clients talk to."""

    def __init__(self, runtime: RuntimeApi, definition: dict[str, Any],
                 binary_media_types: Sequence[str] | None = None) -> None:
        self.runtime = runtime
        self.routes = routes(definition)
        self.binary_media_types = tuple(
            definition.get("x-amazon-apigateway-binary-media-types", [])
            if binary_media_types is None else binary_media_types)  # fmt: skip
        self.canaries = Canaries()
        self.failures: list[str] = []  # function errors and timeouts (502, 504)
        self.count = 0
        self.base64_bodies = 0  # events whose body arrived base64-encoded
        self._lock = threading.Lock()
        self._server = QuietServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}"

    def start(self) -> Gateway:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def is_binary(self, content_type: str | None) -> bool:
        mime = (content_type or "").split(";")[0].strip().lower()
        for allowed in self.binary_media_types:
            kind, _, sub = allowed.lower().partition("/")
            if allowed == "*/*" or allowed.lower() == mime or (
                sub == "*" and mime.startswith(kind + "/")
            ):
                return True
        return False

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for route in self.routes:
            found = route.pattern.match(path)
            if found and method in route.methods:
                return route, found.groupdict()
        return None

    def handle(self, method: str, target: str, headers: list[tuple[str, str]],
               body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        """One request through API Gateway and the function."""
        parts = urlsplit(target)
        matched = self.match(method, parts.path)
        if matched is None:
            return MISSING_TOKEN[0], [("Content-Type", "application/json")], MISSING_TOKEN[1]
        with self._lock:
            self.count += 1
            n = self.count
        ip, agent = self.canaries.new(n)
        event = self.event(method, parts.path, parts.query, headers, body, matched, ip, agent)
        try:
            result = self.runtime.invoke(event)
        except InvocationFailed as exc:
            self.failures.append(str(exc))
            timed_out = str(exc).startswith("Task timed out")
            status = 504 if timed_out else 502
            message = b"Endpoint request timed out" if timed_out else b"Internal server error"
            return status, [("Content-Type", "application/json")], b'{"message":"' + message + b'"}'
        return self.answer(result, dict(headers).get("Accept"))

    def event(self, method: str, path: str, query: str, headers: list[tuple[str, str]],
              body: bytes, matched: tuple[Route, dict[str, str]], ip: str,
              agent: str) -> dict[str, Any]:
        """The REST proxy event, in the shape API Gateway sends."""
        route, params = matched
        added = [
            ("User-Agent", agent), ("X-Forwarded-For", f"{ip}, {EDGE}"),
            ("CloudFront-Viewer-Address", f"{ip}:{40000 + len(path)}"),
            ("Via", "2.0 0123456789abcdef.cloudfront.net (CloudFront)"),
            ("CloudFront-Viewer-Country", "IS"), ("CloudFront-Is-Desktop-Viewer", "true"),
            ("CloudFront-Is-Mobile-Viewer", "false"), ("CloudFront-Forwarded-Proto", "https"),
            ("X-Amz-Cf-Id", secrets.token_urlsafe(40)), ("X-Forwarded-Proto", "https"),
            ("X-Forwarded-Port", "443"), ("X-Amzn-Trace-Id", f"Root=1-{secrets.token_hex(12)}"),
        ]  # fmt: skip
        names = {name.lower() for name, _ in added}
        merged = [(k, v) for k, v in headers if k.lower() not in names | {"host"}]
        merged += [("Host", DOMAIN), *added]
        single: dict[str, str] = {}
        multi: dict[str, list[str]] = {}
        for name, value in merged:
            single[name] = value
            multi.setdefault(name, []).append(value)
        pairs = parse_qsl(query, keep_blank_values=True)
        binary = self.is_binary(next((v for k, v in merged if k.lower() == "content-type"), None))
        if body and binary:
            with self._lock:
                self.base64_bodies += 1
        now = time.time()
        return {
            "resource": route.resource, "path": path, "httpMethod": method,
            "headers": single, "multiValueHeaders": multi,
            "queryStringParameters": dict(pairs) or None,
            "multiValueQueryStringParameters": _multi(pairs) or None,
            "pathParameters": params or None, "stageVariables": None,
            "requestContext": _context(route.resource, method, path, ip, agent, now),
            "body": (base64.b64encode(body).decode() if binary else body.decode(errors="replace"))
                    if body else None,
            "isBase64Encoded": bool(body) and binary,
        }  # fmt: skip

    def answer(self, result: Any, accept: str | None
               ) -> tuple[int, list[tuple[str, str]], bytes]:
        """The function's proxy result as an HTTP answer."""
        if not isinstance(result, dict) or not isinstance(result.get("statusCode"), int):
            self.failures.append(f"malformed proxy response: {str(result)[:200]}")
            return 502, [("Content-Type", "application/json")], INTERNAL_ERROR
        out: list[tuple[str, str]] = []
        for name, values in (result.get("multiValueHeaders") or {}).items():
            out += [(name, str(v)) for v in values]
        listed = {n.lower() for n, _ in out}
        out += [(n, str(v)) for n, v in (result.get("headers") or {}).items()
                if n.lower() not in listed]  # fmt: skip
        raw = result.get("body") or ""
        data = raw.encode() if isinstance(raw, str) else b""
        if result.get("isBase64Encoded") and self.is_binary(accept):
            data = base64.b64decode(data)
        out.append(("x-amzn-RequestId", str(uuid.uuid4())))
        return result["statusCode"], out, data


def _multi(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for k, v in pairs:
        out.setdefault(k, []).append(v)
    return out


def _context(resource: str, method: str, path: str, ip: str, agent: str,
             now: float) -> dict[str, Any]:
    identity = dict.fromkeys(
        ("cognitoIdentityPoolId", "accountId", "cognitoIdentityId", "caller", "apiKey",
         "apiKeyId", "principalOrgId", "accessKey", "cognitoAuthenticationType",
         "cognitoAuthenticationProvider", "userArn", "user", "clientCert"))  # fmt: skip
    return {
        "resourceId": secrets.token_hex(3), "resourcePath": resource, "httpMethod": method,
        "extendedRequestId": secrets.token_urlsafe(12),
        "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
        "path": f"/{STAGE}{path}",
        "accountId": "111122223333", "protocol": "HTTP/1.1", "stage": STAGE,
        "domainPrefix": API_ID, "requestTimeEpoch": int(now * 1000),
        "requestId": str(uuid.uuid4()),
        "identity": {**identity, "sourceIp": ip, "userAgent": agent},
        "domainName": DOMAIN, "apiId": API_ID,
    }


def _handler(gateway: Gateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body are two writes: without TCP_NODELAY each answer on a
        # kept-alive connection waits ~40 ms for the delayed ACK (as candor serve did).
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _any(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, headers, data = gateway.handle(
                self.command, self.path, list(self.headers.items()), body)
            self.send_response(status)
            for name, value in headers:
                if name.lower() not in ("content-length", "connection"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _any

    return Handler
