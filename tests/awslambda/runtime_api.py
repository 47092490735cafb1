"""A local Lambda Runtime API: the HTTP interface a runtime (here AWS's
`awslambdaric`) polls for events and answers on, as documented in the
Lambda developer guide ("Using the Lambda runtime API for custom runtimes"):

- GET  /2018-06-01/runtime/invocation/next: blocks until an event comes;
  the body is the event, the headers carry its request id and deadline.
- POST /2018-06-01/runtime/invocation/{id}/response: the function's answer.
- POST /2018-06-01/runtime/invocation/{id}/error: the function raised.
- POST /2018-06-01/runtime/init/error: the handler could not be loaded.

`invoke` hands an event to whichever runtime polls next, as Lambda hands
one event at a time to each execution environment; several runtime
processes polling one server are several environments.
"""

from __future__ import annotations

import json
import queue
import re
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PREFIX = "/2018-06-01/runtime"
# Lambda's limit on a synchronous invocation's event and on its result.
MAX_PAYLOAD = 6_291_556
FUNCTION_ARN = "arn:aws:lambda:eu-central-1:111122223333:function:candor-APIHandler"
_RESULT = re.compile(PREFIX + r"/invocation/([^/]+)/(response|error)$")


class InvocationFailed(Exception):
    """The function reported an error, or did not answer in time."""


@dataclass
class _Invocation:
    request_id: str
    event: bytes
    deadline_ms: int
    done: threading.Event = field(default_factory=threading.Event)
    kind: str = ""  # "response" or "error"
    payload: bytes = b""


class QuietServer(ThreadingHTTPServer):
    """A runtime stopped while it waits for an event drops its connection:
    expected, not worth a traceback."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class RuntimeApi:
    """The server, on a loopback port; `address` is `AWS_LAMBDA_RUNTIME_API`."""

    def __init__(self) -> None:
        self._pending: queue.Queue[_Invocation] = queue.Queue()
        self._running: dict[str, _Invocation] = {}
        self._lock = threading.Lock()
        self.init_errors: list[dict[str, Any]] = []
        self.first_poll: float | None = None  # monotonic time of the first /next
        self._server = QuietServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> RuntimeApi:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def invoke(self, event: dict[str, Any], timeout: float = 29.0) -> dict[str, Any]:
        """Run one event; the function's result. Raises InvocationFailed."""
        request_id = str(uuid.uuid4())
        deadline_ms = int((time.time() + timeout) * 1000)
        call = _Invocation(request_id, json.dumps(event).encode(), deadline_ms)
        if len(call.event) > MAX_PAYLOAD:
            raise InvocationFailed(f"Request payload size ({len(call.event)} bytes) exceeded "
                                   f"maximum allowed payload size ({MAX_PAYLOAD} bytes).")
        self._pending.put(call)
        if not call.done.wait(timeout):
            raise InvocationFailed(f"Task timed out after {timeout:.2f} seconds")
        if call.kind == "error":
            raise InvocationFailed(call.payload.decode(errors="replace"))
        return json.loads(call.payload)  # type: ignore[no-any-return]

    # -- called by the handler ---------------------------------------------
    def _next(self) -> _Invocation:
        with self._lock:
            if self.first_poll is None:
                self.first_poll = time.monotonic()
        call = self._pending.get()
        with self._lock:
            self._running[call.request_id] = call
        return call

    def _finish(self, request_id: str, kind: str, payload: bytes) -> bool:
        with self._lock:
            call = self._running.pop(request_id, None)
        if call is None:
            return False
        call.kind, call.payload = kind, payload
        call.done.set()
        return True


def _handler(api: RuntimeApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # the runtime client keeps its connection
        # Headers and body are two writes: without TCP_NODELAY each answer on a
        # kept-alive connection waits ~40 ms for the delayed ACK (as candor serve did).
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _answer(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path != PREFIX + "/invocation/next":
                self._answer(404, b'{"errorMessage":"not found"}')
                return
            call = api._next()
            self._answer(200, call.event, {
                "Lambda-Runtime-Aws-Request-Id": call.request_id,
                "Lambda-Runtime-Deadline-Ms": str(call.deadline_ms),
                "Lambda-Runtime-Invoked-Function-Arn": FUNCTION_ARN,
                "Lambda-Runtime-Trace-Id": "Root=1-00000000-000000000000000000000000;Sampled=0",
            })  # fmt: skip

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path == PREFIX + "/init/error":
                api.init_errors.append(json.loads(body or b"{}"))
                self._answer(202, b'{"status":"OK"}')
                return
            found = _RESULT.match(self.path)
            if found and found.group(2) == "response" and len(body) > MAX_PAYLOAD:
                error = {"errorType": "Function.ResponseSizeTooLarge", "errorMessage":
                         f"Response payload size ({len(body)} bytes) exceeded maximum "
                         f"allowed payload size ({MAX_PAYLOAD} bytes)."}
                api._finish(found.group(1), "error", json.dumps(error).encode())
                self._answer(413, json.dumps(error).encode())
            elif found and api._finish(found.group(1), found.group(2), body):
                self._answer(202, b'{"status":"OK"}')
            else:
                self._answer(400, b'{"errorMessage":"unknown request id"}')

    return Handler
