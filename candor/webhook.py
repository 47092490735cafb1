"""A loopback webhook that turns monitoring alerts into sealed cases
(protocol §4.4, "Filing"; docs/operations.md, "Monitoring alerts").

Brand-monitoring and account-activity tools POST an alert as JSON; the
adapter checks that it comes from a tool holding the shared secret, turns it
into a report form, seals it to the team exactly as the reporter page does
and files it with the intake member's key (protocol §4.5, Roles), which can
file and read nothing. It listens on a loopback address only: a tool on
another host reaches it through the operator's own tunnel or proxy. The
alert's receipt is not kept: nobody follows up a machine's alert.

Two ways to prove an alert, because tools differ in what they can send:
- ``X-Candor-Signature: t=<unix seconds>,sha256=<hex HMAC-SHA256(secret,
  "<t>." + body)>``, within 300 s, each signature once (no replay);
- ``Authorization: Bearer <secret>`` for tools that only send a fixed header.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

MAX_ALERT_BYTES = 64 * 1024
SKEW_SECONDS = 300
SUMMARY_MAX = 200  # the questionnaire's summary field
DETAILS_MAX = 20000
_SIGNATURE = re.compile(r"t=(\d{1,12}),sha256=([0-9a-f]{64})")
_SUMMARY_KEYS = ("summary", "title", "subject", "name", "rule", "event")
_DETAILS_KEYS = ("details", "description", "message", "text", "body")


class AlertRefused(ValueError):
    """An alert that is not proven by the shared secret, or not an alert;
    ``status`` is the HTTP answer."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


@dataclass
class AlertGate:
    """Checks alerts against the shared secret; remembers recent signatures."""

    secret: bytes
    clock: Callable[[], float]
    _seen: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def check(self, headers: Mapping[str, str], body: bytes) -> None:
        """Raises AlertRefused (401) unless the secret proves ``body``."""
        signature = headers.get("x-candor-signature")
        if signature is not None:
            self._check_hmac(signature, body)
            return
        bearer = headers.get("authorization", "")
        if bearer.startswith("Bearer ") and hmac.compare_digest(
            bearer.removeprefix("Bearer ").encode(), self.secret
        ):
            return
        raise AlertRefused(401, "the alert is not signed with the shared secret")

    def _check_hmac(self, signature: str, body: bytes) -> None:
        match = _SIGNATURE.fullmatch(signature.strip())
        if match is None:
            raise AlertRefused(401, "X-Candor-Signature is not t=<seconds>,sha256=<hex>")
        stamp, mac = match.groups()
        expected = hmac.new(self.secret, stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(mac, expected):
            raise AlertRefused(401, "the alert's signature does not verify")
        now = self.clock()
        if abs(now - int(stamp)) > SKEW_SECONDS:
            raise AlertRefused(401, "the alert's signature is too old or dated ahead")
        with self._lock:
            self._seen = {k: t for k, t in self._seen.items() if now - t <= 2 * SKEW_SECONDS}
            if mac in self._seen:
                raise AlertRefused(401, "the alert was already received (a replay)")
            self._seen[mac] = now


def sign_alert(secret: bytes, body: bytes, stamp: int) -> str:
    """The X-Candor-Signature header a tool sends (for scripts and tests)."""
    mac = hmac.new(secret, str(stamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={stamp},sha256={mac}"


def _text(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def alert_form(alert: object, category: str | None) -> dict[str, str]:
    """The report form of an alert: a one-line summary, the alert's own text
    and then the whole alert as JSON, so nothing it said is lost. Raises
    AlertRefused (400) for what is not a JSON object."""
    if not isinstance(alert, dict) or not alert:
        raise AlertRefused(400, "an alert is a non-empty JSON object")
    summary = next((_text(alert[k]) for k in _SUMMARY_KEYS if alert.get(k)), "Monitoring alert")
    text = next((_text(alert[k]) for k in _DETAILS_KEYS if alert.get(k)), "")
    whole = json.dumps(alert, ensure_ascii=False, indent=1, sort_keys=True)
    details = (text + "\n\n" if text else "") + "The alert as received:\n" + whole
    form = {"summary": " ".join(summary.split())[:SUMMARY_MAX], "details": details[:DETAILS_MAX]}
    if category:
        form["category"] = category
    return form


def require_loopback(host: str) -> None:
    """Raises ValueError unless ``host`` is a loopback address."""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"--bind {host}: the webhook listens on a loopback address only "
                         "(127.0.0.1 or ::1); put a tunnel or proxy in front of it")


File = Callable[[dict[str, str]], Mapping[str, Any]]


def make_server(host: str, port: int, gate: AlertGate, file: File,
                category: str | None = None) -> HTTPServer:
    """An HTTP server on ``host`` (loopback) answering ``POST /alerts``:
    201 ``{"received"}`` once filed; 401 unproven, 400 not an alert, 413
    too large, 502 when the API refused. One alert at a time."""
    require_loopback(host)

    class Handler(BaseHTTPRequestHandler):
        server_version = "candor-webhook"
        sys_version = ""

        def do_POST(self) -> None:  # the name http.server calls
            if self.path != "/alerts":
                self._answer(404, {"error": "POST /alerts"})
                return
            try:
                size = int(self.headers.get("content-length") or "0")
                if size > MAX_ALERT_BYTES:
                    raise AlertRefused(413, f"an alert is at most {MAX_ALERT_BYTES} bytes")
                body = self.rfile.read(size)
                gate.check({k.lower(): v for k, v in self.headers.items()}, body)
                try:
                    alert = json.loads(body)
                except ValueError:
                    raise AlertRefused(400, "the alert is not JSON") from None
                answer = file(alert_form(alert, category))
            except AlertRefused as exc:
                self._answer(exc.status, {"error": str(exc)})
                return
            except Exception as exc:  # the API or the network: say so, keep serving
                self._answer(502, {"error": f"not filed: {type(exc).__name__}: {exc}"})
                return
            self._answer(201, {"received": answer.get("received")})

        def _answer(self, status: int, body: Mapping[str, Any]) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # alerts may name people: nothing of them goes to a log

    return HTTPServer((host, port), Handler)
