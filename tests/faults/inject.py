"""Injected S3 and DynamoDB failures through botocore's event hooks.

:class:`StepFaults` hooks a store's real boto3 clients (the store's own
retry configuration included): ``before-call`` counts every storage call
(one per API call, whatever its retries), ``before-send`` answers the
attempts of the chosen call with a failure before any byte leaves. A clean
run counts the steps of a path; the test then fails each step in turn, so a
step added to a path is covered without anyone listing it.

The kinds of failure:

- ``throttle``: every attempt throttled (DynamoDB ``ThrottlingException``,
  S3 ``SlowDown`` 503);
- ``5xx``: every attempt an internal error (500);
- ``timeout``: every attempt times out before it is sent;
- ``lost``: the first attempt reaches the server and takes effect, its
  answer is lost (a read timeout); botocore retries as it would. DynamoDB
  makes a retried ``TransactWriteItems`` idempotent by its client request
  token, which moto ignores, so the retry then gets the first answer;
- ``once``: only the first attempt is throttled; botocore's retry succeeds.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from botocore.awsrequest import AWSPreparedRequest, AWSResponse, HTTPHeaders
from botocore.exceptions import ReadTimeoutError
from botocore.httpsession import URLLib3Session

KINDS = ("throttle", "5xx", "timeout", "lost", "once")
PERSISTENT = ("throttle", "5xx", "timeout")


class _Raw:
    """The ``raw`` an AWSResponse reads its body from."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def _answer(url: str, status: int, headers: dict[str, str], body: bytes) -> AWSResponse:
    return AWSResponse(url, status, HTTPHeaders.from_dict(headers), _Raw(body))


def error_answer(service: str, kind: str, url: str) -> AWSResponse:
    """What S3 or DynamoDB sends back when it throttles or fails inside."""
    if service == "dynamodb":
        code, status = ("ThrottlingException", 400) if kind in ("throttle", "once") else (
            "InternalServerError", 500)
        body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}",
                           "message": "injected"}).encode()
        return _answer(url, status, {"Content-Type": "application/x-amz-json-1.0",
                                     "x-amzn-ErrorType": code}, body)
    code, status = ("SlowDown", 503) if kind in ("throttle", "once") else ("InternalError", 500)
    body = (f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code>"
            f"<Message>injected</Message></Error>").encode()
    return _answer(url, status, {"Content-Type": "application/xml"}, body)


@dataclass
class Step:
    """One storage call: its service and operation."""

    service: str
    operation: str

    def __str__(self) -> str:
        return f"{self.service}.{self.operation}"


@dataclass
class StepFaults:
    """Counts storage calls; fails call number ``fail_at`` (1-based) by ``kind``."""

    steps: list[Step] = field(default_factory=list)
    fail_at: int | None = None
    kind: str = "throttle"
    armed: bool = False
    hit: bool = False  # the chosen call happened
    _current: Step | None = None
    _attempt: int = 0
    _replay: AWSResponse | None = None

    def hook(self, *clients: Any) -> None:
        for client in clients:
            client.meta.events.register_first("before-call.*.*", self._before_call)
            client.meta.events.register_first("before-send.*.*", self._before_send)

    def arm(self, fail_at: int | None = None, kind: str = "throttle") -> None:
        self.steps, self.fail_at, self.kind, self.armed, self.hit = [], fail_at, kind, True, False

    def disarm(self) -> list[Step]:
        self.armed = False
        return self.steps

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """Calls made meanwhile are neither counted nor failed (a client's
        reads before its faulted write)."""
        armed, self.armed = self.armed, False
        try:
            yield
        finally:
            self.armed = armed

    def _before_call(self, model: Any, **_: Any) -> None:
        if not self.armed:
            self._current = None
            return
        step = Step(model.service_model.endpoint_prefix, model.name)
        self.steps.append(step)
        self._current = step if len(self.steps) == self.fail_at else None
        self._attempt, self._replay = 0, None
        self.hit = self.hit or self._current is not None

    def _before_send(self, request: AWSPreparedRequest, **_: Any) -> AWSResponse | None:
        step = self._current
        if step is None:
            return None
        self._attempt += 1
        if self.kind == "timeout":
            raise ReadTimeoutError(endpoint_url=request.url)
        if self.kind == "lost":
            return self._lost(step, request)
        if self.kind == "once" and self._attempt > 1:
            return None
        return error_answer(step.service, self.kind, request.url)

    def _lost(self, step: Step, request: AWSPreparedRequest) -> AWSResponse | None:
        if self._attempt == 1:
            sent = URLLib3Session().send(request)
            body = sent.content
            if step.operation == "TransactWriteItems":  # idempotent by its token
                self._replay = _answer(request.url, sent.status_code, dict(sent.headers), body)
            raise ReadTimeoutError(endpoint_url=request.url)
        return self._replay
