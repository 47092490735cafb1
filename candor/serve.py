"""``candor serve``: the API and the static pages on one local origin.

The API runs the same Chalice app as Lambda through Chalice's local
gateway; uploads and downloads of attachments (the object-storage role
that S3 plays in the cloud, protocol §4) are same-origin URLs signed by the
local store. Nothing here logs a client address, header or body: the
request handler's own access log is switched off, and the API logs only
route, status, latency and member id.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import mimetypes
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from candor.site import PUBLIC_API, Site
from candor.throttle import (
    Buckets,
    PuzzleGate,
    TokenBucket,
    claims_member,
    query_of,
    verifies,
)
from chalicelib import puzzle
from chalicelib.config import Puzzles, Settings
from chalicelib.domain import retention
from chalicelib.domain.cases import Context
from chalicelib.errors import Unavailable
from chalicelib.http import BASE_HEADERS, runtime
from chalicelib.httpsig import RequestView
from chalicelib.load import takes_puzzle
from chalicelib.store.base import StoreError
from chalicelib.store.local import LocalCaseStore, UploadRefused

log = logging.getLogger("candor.serve")
API_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})
# Protocol §4.1's headers for an answer without a JSON body.
NO_BODY_HEADERS = {k: v for k, v in BASE_HEADERS.items() if k != "Content-Type"}
_MESSAGES = {"not_found": "Not found.", "malformed": "The request could not be parsed.",
             "too_large": "The request is too large.",
             "unavailable": "The server failed; try again."}
# http.server's own statuses as protocol §4.1's: an unknown method (501) is
# an unknown route, as Chalice's 405 is.
_SERVER_ERRORS = {400: (400, "malformed"), 404: (404, "not_found"), 405: (404, "not_found"),
                  414: (413, "too_large"), 431: (413, "too_large"), 501: (404, "not_found")}
RETENTION_INTERVAL = 3600
# How often the digest checks the hour: well inside it, whatever the drift.
DIGEST_TICK = 60.0
_CHUNK = 1 << 20
# A refusal reads and drops a body up to this size first (every anonymous
# API body fits), so that a client still sending reads the answer instead
# of a reset; a larger one is not read, and the connection closes.
DRAIN_LIMIT = 2 * 1024 * 1024
API_BODY_LIMIT = 16 * 1024 * 1024
DEFAULT_RATE, DEFAULT_BURST = 50.0, 200
PUZZLE_MESSAGE = ("The service is busy: retry with a proof of work for the "
                  "Candor-Puzzle challenge (protocol §4.1).")


class Handler(BaseHTTPRequestHandler):
    server_version = "candor"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    # The headers and the body go out in two writes; with Nagle's algorithm
    # the body then waits for the client's delayed ACK (~40 ms) on every
    # answer of a kept-alive connection, as browsers keep them.
    disable_nagle_algorithm = True
    gateway: Any
    buckets: Buckets
    store: LocalCaseStore
    site: Site

    # A client that stops sending is dropped instead of holding a thread.
    timeout = 60
    # Bytes of this request's body not read yet (None: unknown, so a
    # refusal closes without reading).
    _unread: int | None = 0

    def log_message(self, format: str, *args: Any) -> None:
        """Never log requests: the default line holds the client address."""

    # -- dispatch ------------------------------------------------------------
    def send_error(self, code: int, message: str | None = None,
                   explain: str | None = None) -> None:
        """http.server's own answers (501 for an unknown method, 400 for a
        bad request line, 414, 431) in protocol §4.1's shape and headers."""
        status, error = _SERVER_ERRORS.get(code, (503, "unavailable"))
        self._refuse(status, error, _MESSAGES[error])

    def _dispatch(self) -> None:
        url = urlsplit(self.path)
        self._unread = self._length() if self._length() >= 0 else None
        if "Transfer-Encoding" in self.headers:
            self._unread = None  # chunked bodies are not read here
        if self.command not in ("PUT", "POST", "PATCH") and self.headers.get("Content-Length"):
            # A body where none is read would be parsed as the next request.
            self.close_connection = True
        try:
            if url.path.startswith("/v1/uploads/") and self.command == "PUT":
                self._upload(url.path.removeprefix("/v1/uploads/"), parse_qs(url.query))
            elif url.path.startswith("/v1/downloads/") and self.command == "GET":
                self._download(url.path.removeprefix("/v1/downloads/"), parse_qs(url.query))
            elif url.path.startswith("/v1/") and self.command in API_METHODS:
                self._api()
            elif self.command in ("GET", "HEAD") and not url.path.startswith("/v1/"):
                self._static(url.path)
            else:  # like an unknown route (protocol §4.1), never Chalice's CORS preflight
                self._refuse(404, "not_found", _MESSAGES["not_found"])
        except (ConnectionError, TimeoutError):
            self.close_connection = True
        except Exception as exc:  # never socketserver's handler: it logs the client address
            log.error("unexpected %s in candor serve", type(exc).__name__)
            self.close_connection = True
            with contextlib.suppress(OSError):
                self._refuse(503, "unavailable", "The server failed; try again.")

    # Every method goes through _dispatch, which answers in the protocol's shape.
    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _dispatch

    def _length(self) -> int:
        try:
            return max(0, int(self.headers.get("Content-Length") or 0))
        except ValueError:
            return -1

    def _send(self, status: int, body: bytes, headers: Mapping[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _read_body(self) -> bytes:
        length, self._unread = self._unread or 0, 0
        return self.rfile.read(length) if length else b""

    def _discard_body(self) -> None:
        """Read and drop the rest of the body (up to DRAIN_LIMIT) so the
        answer reaches a client that is still sending."""
        left = self._unread
        if left is None or left > DRAIN_LIMIT:
            return
        while left > 0:
            got = len(self.rfile.read(min(left, 1 << 16)))
            if not got:
                break
            left -= got
        self._unread = 0

    def _refuse(self, status: int, code: str, message: str,
                headers: Mapping[str, str] | None = None) -> None:
        """An error in protocol §4.1's shape; the connection then closes, so
        it says so (``Connection: close``) after the body was read or dropped."""
        body = json.dumps({"error": {"code": code, "message": message}}).encode()
        with contextlib.suppress(OSError):
            self._discard_body()
        self.close_connection = True
        self._send(status, body, {**(headers or {}), **BASE_HEADERS, "Connection": "close"})

    # -- API -------------------------------------------------------------------
    def _throttled(self, bucket: TokenBucket) -> None:
        """429 with the whole seconds until ``bucket`` holds a token again."""
        self._refuse(429, "throttled", "Too many requests; try again shortly.",
                     {"Retry-After": str(bucket.retry_after())})

    def _api(self) -> None:
        url = urlsplit(self.path)
        headers = {k: v for k, v in self.headers.items()}
        view = RequestView(self.command, url.path, query_of(parse_qs(url.query, True)), headers)
        # A team call pays from the team's bucket only once its signature
        # verifies; the cheap checks come before its body is read.
        key = (claims_member(runtime.ctx, view, self.buckets.member_keys)
               if url.path.startswith("/v1/team/") else None)
        gate = self.buckets.puzzles
        if key is None and gate is not None and self.command == "POST" \
                and takes_puzzle(url.path):
            body = self._gated(gate, url.path)
            if body is None:
                return
        else:
            if key is None and not self.buckets.anonymous.take():
                self._throttled(self.buckets.anonymous)
                return
            if self._unread is None or self._unread > API_BODY_LIMIT:
                self._refuse(413, "too_large", "The request is too large.")
                return
            body = self._read_body()
        if key is not None:
            signed = verifies(runtime.ctx, replace(view, body=body), key,
                              runtime.settings.public_base_url)
            bucket = self.buckets.team if signed else self.buckets.anonymous
            if not bucket.take():
                self._throttled(bucket)
                return
        try:
            answer = self.gateway.handle_request(self.command, self.path, headers, body)
        except Exception as exc:  # Chalice's LocalGatewayException: no such route
            if type(exc).__name__ not in ("ForbiddenError", "NotAuthorizedError"):
                raise
            self._refuse(404, "not_found", "Not found.")
            return
        payload = answer.get("body") or b""
        if isinstance(payload, str):
            payload = payload.encode()
        self._send(answer["statusCode"], payload,
                   {**(answer.get("headers") or {}), **PUBLIC_API.get(url.path, {})})

    def _gated(self, gate: PuzzleGate, path: str) -> bytes | None:
        """The body of a reporter call that may go on (a valid proof, or a
        token while the anonymous bucket is not low), or None once refused:
        429 ``puzzle_required`` with a challenge under load (protocol §4.1)."""
        if self._unread is None or self._unread > API_BODY_LIMIT:
            self._refuse(413, "too_large", "The request is too large.")
            return None
        proof = self.headers.get(puzzle.PROOF_HEADER)
        body = None if proof is None else self._read_body()
        if proof is not None and body is not None and gate.admit(proof, self.command, path, body):
            return body
        if gate.needed():
            self._refuse(429, "puzzle_required", PUZZLE_MESSAGE, {
                "Retry-After": str(gate.retry_after()),
                puzzle.CHALLENGE_HEADER: gate.challenge().header()})
            return None
        if not self.buckets.anonymous.take():
            self._throttled(self.buckets.anonymous)
            return None
        return self._read_body() if body is None else body

    # -- object storage (local stand-in for presigned S3 URLs) ---------------
    def _unavailable(self, exc: StoreError) -> None:
        """A full disk and the like: 503, as the API answers it (chalicelib.http)."""
        log.warning("storage failure: %s", type(exc).__name__)
        self._refuse(503, Unavailable.code, Unavailable.default_message)

    def _upload(self, key: str, query: dict[str, list[str]]) -> None:
        if not self.buckets.transfers.take():
            self._throttled(self.buckets.transfers)
            return
        length, self._unread = self._length(), None  # the store reads what it accepts
        key, _, part = key.partition("/parts/")  # <id>/parts/<n>: a part (protocol §4.2)
        try:
            if part:
                flat = {name: values[0] for name, values in query.items()}
                self.store.receive_part(key, int(part), flat, self.rfile, length)
            else:
                size, expires = int(query["size"][0]), int(query["expires"][0])
                self.store.receive_upload(key, size, expires, query["sig"][0], self.rfile, length)
        except (KeyError, ValueError, IndexError, UploadRefused):
            self._refuse(403, "forbidden", "This upload URL is not valid.")
            return
        except StoreError as exc:
            self._unavailable(exc)
            return
        self._send(200, b"", NO_BODY_HEADERS)

    def _download(self, key: str, query: dict[str, list[str]]) -> None:
        if not self.buckets.transfers.take():
            self._throttled(self.buckets.transfers)
            return
        try:
            blob = self.store.open_download(key, int(query["expires"][0]), query["sig"][0])
        except (KeyError, ValueError, IndexError, UploadRefused):
            self._refuse(403, "forbidden", "This download URL is not valid.")
            return
        except StoreError as exc:
            self._unavailable(exc)
            return
        with blob:
            size = os.fstat(blob.fileno()).st_size
            self.send_response(200)
            for name, value in {**NO_BODY_HEADERS,
                                "Content-Type": "application/octet-stream",
                                "Content-Disposition": "attachment",
                                "Content-Length": str(size)}.items():
                self.send_header(name, value)
            self.end_headers()
            while chunk := blob.read(_CHUNK):
                self.wfile.write(chunk)

    # -- static pages ----------------------------------------------------------
    def _static(self, path: str) -> None:
        target = self.site.resolve(path)
        if target is None:
            self._refuse(404, "not_found", _MESSAGES["not_found"], self.site.headers_for(path))
            return
        ctype = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if ctype.startswith("text/") or ctype in ("application/javascript", "application/json"):
            ctype += "; charset=utf-8"
        self._send(200, target.read_bytes(), {**self.site.headers_for(path), "Content-Type": ctype})


class QuietServer(ThreadingHTTPServer):
    """socketserver's default error handler prints the client's address."""

    # socketserver listens with a backlog of 5: a flood of connections then
    # fills it and the team's own connections wait for SYN retries, seconds
    # each, whatever the buckets say.
    request_queue_size = 1024

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.error("connection failed")


def make_server(
    settings: Settings, store: LocalCaseStore, site_dir: Path | None, host: str, port: int,
    *, rate: float = DEFAULT_RATE, burst: int = DEFAULT_BURST, puzzles: bool = True,
) -> ThreadingHTTPServer:
    """A ready server (not yet serving). ``port`` 0 picks a free one."""
    from chalice.config import Config
    from chalice.local import LocalGateway

    from app import app

    handler = type("BoundHandler", (Handler,), {
        "gateway": LocalGateway(app, Config(chalice_stage="local")),
        "store": store, "site": Site.load(site_dir),
        "buckets": Buckets.sized(rate, burst, puzzles=puzzles),
    })
    server = QuietServer((host, port), handler)
    server.daemon_threads = True
    # Signed team requests verify against the origin the clients use (protocol §4.3).
    base = settings.public_base_url
    if base == Settings().public_base_url:
        base = f"http://{host}:{server.server_address[1]}"
    runtime.configure(Context(store, limits=settings.limits,
                              retention_days=settings.retention_days),
                      # Puzzles are checked here, before the app: never again in it.
                      replace(settings, public_base_url=base, puzzles=Puzzles()))
    return server


def start_retention(
    ctx: Context, interval: float = RETENTION_INTERVAL,
    digest: Callable[[], object] | None = None, tick: float = DIGEST_TICK,
) -> threading.Thread:
    """Run the retention job now and then every ``interval`` seconds; with
    ``digest``, call it every ``tick`` seconds as well (it sends only in its
    hour, once a day: chalicelib.domain.notify)."""

    def loop() -> None:
        due = 0.0
        while True:
            if time.monotonic() >= due:
                _guarded("retention", lambda: retention.run(ctx))
                due = time.monotonic() + interval
            if digest is not None:
                _guarded("digest", digest)
            time.sleep(min(interval, tick) if digest is not None else interval)

    thread = threading.Thread(target=loop, name="candor-retention", daemon=True)
    thread.start()
    return thread


def _guarded(job: str, run: Callable[[], object]) -> None:
    try:
        done = run()
        if job == "retention" and done:
            log.info("retention purged %d case(s)", done)
        elif job == "digest" and done is not None:
            log.info("daily digest sent")
    except Exception as exc:  # keep serving; the next run retries
        log.warning("%s run failed: %s", job, type(exc).__name__)


def add_throttle_arguments(parser: Any) -> None:
    """``candor serve --rate --burst``: the anonymous bucket (protocol §4.1)."""
    parser.add_argument("--rate", type=float, default=DEFAULT_RATE,
                        help="anonymous API calls a second, all clients together "
                             f"(default {DEFAULT_RATE:g}; the team gets ten times this, "
                             "uploads and downloads the same)")
    parser.add_argument("--burst", type=int, default=DEFAULT_BURST,
                        help=f"anonymous calls saved up (default {DEFAULT_BURST})")


def throttle_of(args: Any) -> dict[str, Any]:
    """The keyword arguments of make_server that add_throttle_arguments set;
    refuses sizes that would throttle everything or nothing."""
    rate, burst = getattr(args, "rate", DEFAULT_RATE), getattr(args, "burst", DEFAULT_BURST)
    if not (rate > 0 and burst >= 1 and math.isfinite(rate)):
        raise ValueError("--rate must be above 0 and --burst at least 1")
    return {"rate": rate, "burst": burst}
