"""The thin layer between Chalice and the domain (protocol §4.1).

Every route runs inside :func:`endpoint`, which sets the response headers,
maps domain errors to statuses through ``errors.STATUS``, turns storage
failures into 503 ``unavailable`` (the only 5xx) and logs the route, status,
latency and, for team calls, the member id: nothing else. Bodies, addresses,
user agents, cookies and receipts never reach a log line.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any

from chalice.app import Response

from chalicelib import errors, wire
from chalicelib.config import Settings, load_settings
from chalicelib.domain.cases import Context
from chalicelib.store.base import ConditionFailed, StoreError

log = logging.getLogger("candor.api")

BASE_HEADERS = {
    "Content-Type": "application/json; charset=utf-8",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
JSON_TYPES = ("application/json", "application/json; charset=utf-8")


@dataclass
class Runtime:
    """The process-wide context, built lazily on first use so that boto3
    clients are made after (for example) moto started. Tests ``configure``."""

    _ctx: Context | None = None
    _settings: Settings | None = None
    _call: threading.local = field(default_factory=threading.local)

    @property
    def member(self) -> str | None:
        """The member id of the team call this thread answers (for the log)."""
        return getattr(self._call, "member", None)

    @member.setter
    def member(self, value: str | None) -> None:
        self._call.member = value

    def configure(self, ctx: Context, settings: Settings) -> None:
        self._ctx, self._settings = ctx, settings

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings()
        return self._settings

    @property
    def ctx(self) -> Context:
        if self._ctx is None:
            from chalicelib.store.factory import open_store

            settings = self.settings
            self._ctx = Context(open_store(settings), limits=settings.limits,
                                retention_days=settings.retention_days)
        return self._ctx


runtime = Runtime()


def respond(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    payload = "" if body is None else json.dumps(body, separators=(",", ":"))
    return Response(body=payload, status_code=status, headers={**BASE_HEADERS, **(headers or {})})


def error_response(error: errors.CandorError) -> Response:
    # The clock the skew check used (protocol §4.3), which a client corrects by.
    extra = ({"Date": formatdate(runtime.ctx.epoch(), usegmt=True)}
             if error.code == "clock_skew" else {})
    return respond({"error": {"code": error.code, "message": error.message}},
                   errors.status_of(error), extra)


# What Chalice answers by itself, before or around a view, as protocol §4.1's
# codes: a method the route lacks is an unknown route, as in candor serve.
_FRAMEWORK_ERRORS: dict[int, type[errors.CandorError]] = {
    400: errors.Malformed, 404: errors.NotFound, 405: errors.NotFound,
    413: errors.TooLarge, 415: errors.UnsupportedMediaType,
}


def _is_ours(answer: dict[str, Any]) -> bool:
    headers = {k.lower(): v for k, v in (answer.get("headers") or {}).items()}
    if any(headers.get(k.lower()) != v for k, v in BASE_HEADERS.items()):
        return False
    status = int(answer.get("statusCode", 0))
    if status < 400:
        return True
    try:
        error = json.loads(answer.get("body") or "")["error"]
        code, message = error["code"], error["message"]
    except (ValueError, TypeError, KeyError):
        return False
    return isinstance(message, str) and errors.STATUS.get(code) == status


def conform(answer: dict[str, Any]) -> dict[str, Any]:
    """The Lambda answer, or protocol §4.1's error for an answer the framework
    made itself (its 415, 405, 500 and the like carry neither the error shape
    nor the headers)."""
    if _is_ours(answer):
        return answer
    status = int(answer.get("statusCode", 0))
    error = _FRAMEWORK_ERRORS.get(status, errors.Unavailable)()
    log.info("framework answer %d replaced by %s", status, error.code)
    conformed: dict[str, Any] = error_response(error).to_dict()
    return conformed


def raw_body(request: Any, sealed_limit: int) -> bytes:
    """The body's bytes, refused before parsing when too large (protocol §0).
    Raises UnsupportedMediaType, TooLarge."""
    content_type = (request.headers.get("content-type") or "").lower().replace(" ", "")
    if content_type.replace(";charset=utf-8", "") != "application/json":
        raise errors.UnsupportedMediaType()
    raw: bytes = request.raw_body or b""
    if len(raw) > runtime.settings.limits.body_limit(sealed_limit):
        raise errors.TooLarge()
    return raw


def json_body(request: Any, sealed_limit: int) -> tuple[dict[str, Any], bytes]:
    """The parsed body and its raw bytes. Raises UnsupportedMediaType,
    TooLarge, Malformed."""
    raw = raw_body(request, sealed_limit)
    return wire.parse_body(raw, len(raw)), raw


def endpoint(name: str) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """Wrap a view: errors to JSON, storage failures to 503, one log line."""

    def wrap(view: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(view)
        def run(*args: Any, **kwargs: Any) -> Response:
            start = time.monotonic()
            runtime.member = None
            try:
                response = view(*args, **kwargs)
            except errors.CandorError as exc:
                response = error_response(exc)
            except ConditionFailed:  # a concurrent change won: the client may retry
                response = error_response(errors.Conflict())
            except StoreError as exc:
                log.warning("storage failure: %s", type(exc).__name__)
                response = error_response(errors.Unavailable())
            except Exception as exc:  # no input may yield anything but a clean answer
                # Where, never what: the message could carry request data.
                frame = traceback.extract_tb(exc.__traceback__)[-1]
                log.error("unexpected %s in %s at %s:%d", type(exc).__name__, name,
                          frame.filename.rsplit("/", 2)[-1], frame.lineno)
                response = error_response(errors.Unavailable())
            log.info("route=%s status=%d ms=%d%s", name, response.status_code,
                     (time.monotonic() - start) * 1000,
                     f" member={runtime.member}" if runtime.member else "")
            return response

        return run

    return wrap
